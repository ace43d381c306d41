//  log_scan — the `log` kind's reader: each chunk of complete lines is searched
//  as a whole with PCRE2 (JIT, MULTILINE) and the line around each match found
//  with memchr; no per-line call, no per-line allocation (see check_log.c).

#include "log_impl.h"
#include "kind_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

const char *
log_memrchr (const char *s, char c, size_t n)
{
    while (n > 0) {
        n--;
        if (s [n] == c)
            return s + n;
    }
    return NULL;
}


//  --------------------------------------------------------------------------
//  Matching

//  One match attempt on subject[0..len) from start. Returns >0 on a match,
//  PCRE2_ERROR_NOMATCH, or another negative PCRE2 error.
static int
s_match (log_check_t *self, const char *subject, size_t len, size_t start)
{
    if (self->jit)
        return pcre2_jit_match (self->re, (PCRE2_SPTR) subject, len, start, 0,
                                self->md, self->mctx);
    return pcre2_match (self->re, (PCRE2_SPTR) subject, len, start, 0,
                        self->md, self->mctx);
}

static void
s_line_matched (log_check_t *self, log_scan_t *scan, const char *line, size_t len,
                bool truncated)
{
    scan->matched++;
    log_evidence_add (self, line, len, truncated);
}

//  Match one line on its own (used for matches that span lines, for lines
//  longer than the buffer, and after a whole-buffer error).
static void
s_scan_line (log_check_t *self, log_scan_t *scan, const char *line, size_t len,
             bool truncated)
{
    int rc = s_match (self, line, len, 0);
    if (rc > 0 || rc == 0)
        s_line_matched (self, scan, line, len, truncated);
    else
    if (rc != PCRE2_ERROR_NOMATCH)
        scan->errors++;
}

//  Search [data, data+len), which holds complete lines (it ends with '\n').
static void
s_scan_lines (log_check_t *self, log_scan_t *scan, const char *data, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        int rc = s_match (self, data, len, pos);
        if (rc == PCRE2_ERROR_NOMATCH)
            return;
        if (rc < 0) {
            //  A limit hit on the whole buffer: go on line by line from here
            //  so one pathological line costs only itself.
            while (pos < len) {
                const char *nl = (const char *) memchr (data + pos, '\n', len - pos);
                size_t end = nl ? (size_t) (nl - data) : len;
                s_scan_line (self, scan, data + pos, end - pos, false);
                pos = end + 1;
            }
            return;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer (self->md);
        size_t ms = ov [0] < len ? (size_t) ov [0] : len;
        size_t me = (size_t) ov [1];
        if (ms < pos)               //  \K can report a start before pos
            ms = pos;
        const char *nl = log_memrchr (data + pos, '\n', ms - pos);
        size_t line_start = nl ? (size_t) (nl - data) + 1 : pos;
        nl = ms < len ? (const char *) memchr (data + ms, '\n', len - ms) : NULL;
        size_t line_end = nl ? (size_t) (nl - data) : len;
        if (me > line_end)
            //  the match ran past the end of its line: does the line match alone?
            s_scan_line (self, scan, data + line_start, line_end - line_start, false);
        else
            s_line_matched (self, scan, data + line_start, line_end - line_start, false);
        pos = line_end + 1;
    }
}

//  Scan fd from offset to EOF (or the deadline): complete lines only. The
//  offset of the first byte not consumed is returned in *end; a partial last
//  line stays for the next run. *in_long_line carries a line longer than the
//  buffer across calls (it is counted once, on its first LOG_READ_BUFFER bytes).
int
log_scan_fd (log_check_t *self, int fd, uint64_t offset, int64_t deadline_ms,
           uint64_t *end, bool *in_long_line, log_scan_t *scan)
{
    if (lseek (fd, (off_t) offset, SEEK_SET) < 0)
        return -1;
    char *buf = self->buf;
    size_t have = 0;
    uint64_t base = offset;         //  file offset of buf [0]
    bool skipping = *in_long_line;
    int rc = 0;
    while (true) {
        if (deadline_ms && heal_monotonic_ms () >= deadline_ms) {
            scan->partial = true;
            break;
        }
        ssize_t n = read (fd, buf + have, LOG_READ_BUFFER - have);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        have += (size_t) n;
        size_t start = 0;
        if (skipping) {
            const char *nl = (const char *) memchr (buf, '\n', have);
            if (!nl) {
                base += have;
                scan->bytes += have;
                have = 0;
                continue;
            }
            start = (size_t) (nl - buf) + 1;
            skipping = false;
        }
        const char *last = log_memrchr (buf + start, '\n', have - start);
        if (!last) {
            if (start == 0 && have == LOG_READ_BUFFER) {
                //  a line longer than the buffer: match what we have, once
                s_scan_line (self, scan, buf, have, true);
                skipping = true;
                base += have;
                scan->bytes += have;
                have = 0;
            }
            else {
                memmove (buf, buf + start, have - start);
                base += start;
                scan->bytes += start;
                have -= start;
            }
            continue;
        }
        size_t stop = (size_t) (last - buf) + 1;
        if (self->re)
            s_scan_lines (self, scan, buf + start, stop - start);
        memmove (buf, buf + stop, have - stop);
        base += stop;
        scan->bytes += stop;
        have -= stop;
    }
    *end = base;
    *in_long_line = skipping;
    return rc;
}

//  --------------------------------------------------------------------------
//  Opening


//  Open path for reading without blocking (a FIFO must not hang the check)
//  and check that it is a regular file.
log_open_t
log_open (const char *path, int *fd_p, struct stat *st, char *msg, size_t msglen)
{
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return LOG_OPEN_MISSING;
        snprintf (msg, msglen, "%s: cannot open: %s", path, strerror (errno));
        return LOG_OPEN_ERROR;
    }
    if (fstat (fd, st)) {
        snprintf (msg, msglen, "%s: cannot stat: %s", path, strerror (errno));
        close (fd);
        return LOG_OPEN_ERROR;
    }
    if (!S_ISREG (st->st_mode)) {
        const char *what = S_ISDIR (st->st_mode) ? "a directory"
                         : S_ISFIFO (st->st_mode) ? "a FIFO"
                         : S_ISSOCK (st->st_mode) ? "a socket"
                         : S_ISCHR (st->st_mode) ? "a character device"
                         : S_ISBLK (st->st_mode) ? "a block device" : "not a file";
        snprintf (msg, msglen, "%s: not a regular file (%s)", path, what);
        close (fd);
        return LOG_OPEN_ERROR;
    }
    //  Reads of a regular file never block; clear the flag anyway.
    int flags = fcntl (fd, F_GETFL);
    if (flags >= 0)
        fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
    *fd_p = fd;
    return LOG_OPEN_OK;
}

//  After a rotation, finish the previous file if PATH.1 is it: the same
//  identity (rename), or the same bytes up to our offset (copytruncate).
void
log_finish_rotated (log_check_t *self, int64_t deadline_ms, log_scan_t *scan)
{
    if (!self->known || !self->rotated)
        return;
    int fd = -1;
    struct stat st;
    char msg [256];
    if (log_open (self->rotated, &fd, &st, msg, sizeof msg) != LOG_OPEN_OK)
        return;
    bool same = (uint64_t) st.st_dev == self->dev && (uint64_t) st.st_ino == self->ino;
    uint64_t hash = 0;
    if (!same && (uint64_t) st.st_size >= self->offset
    &&  log_tail_hash (fd, self->offset, &hash) == 0 && hash == self->tail)
        same = true;
    if (same && (uint64_t) st.st_size > self->offset) {
        uint64_t end = 0;
        bool long_line = self->in_long_line;
        log_scan_fd (self, fd, self->offset, deadline_ms, &end, &long_line, scan);
    }
    close (fd);
}
