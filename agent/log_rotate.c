//  log_rotate — the `log` kind's remedy when max_size is exceeded: rotate
//  PATH -> PATH.1 ... PATH.<keep> by rename and a fresh empty PATH, or by
//  copytruncate, then run the optional reopen command.

#include "log_impl.h"
#include "kind_util.h"
#include "heal/command.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>


//  --------------------------------------------------------------------------
//  remedy

//  Copy src to dst (created with mode), fsynced. Returns 0 or -1.
static int
s_copy_file (int in, const char *dst, mode_t mode, char *buf)
{
    int out = open (dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (out < 0)
        return -1;
    int rc = 0;
    if (lseek (in, 0, SEEK_SET) < 0)
        rc = -1;
    while (rc == 0) {
        ssize_t n = read (in, buf, LOG_READ_BUFFER);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        if (heal_write_all (out, buf, (size_t) n))
            rc = -1;
    }
    if (rc == 0 && fsync (out))
        rc = -1;
    int saved = errno;
    close (out);
    errno = saved;
    return rc;
}

static char *
s_numbered (const char *path, int n)
{
    char suffix [16];
    snprintf (suffix, sizeof suffix, ".%d", n);
    return log_concat (path, suffix);
}

//  PATH.<keep-1> -> PATH.<keep> ... PATH.1 -> PATH.2: the oldest beyond keep
//  is replaced (dropped). Missing numbers are skipped.
static int
s_shift (log_check_t *self, char *why, size_t whylen)
{
    for (int i = self->keep - 1; i >= 1; i--) {
        char *from = s_numbered (self->path, i);
        char *to = s_numbered (self->path, i + 1);
        int rc = (from && to) ? rename (from, to) : -1;
        if (rc && errno != ENOENT) {
            snprintf (why, whylen, "rename %s -> %s: %s", from ? from : "?",
                      to ? to : "?", strerror (errno));
            free (from);
            free (to);
            return -1;
        }
        free (from);
        free (to);
    }
    return 0;
}

remedy_status_t
log_rotate_remedy (void *self_v, const check_ctx_t *ctx, const check_result_t *failed,
          event_remedy_t *out)
{
    log_check_t *self = (log_check_t *) self_v;
    (void) failed;
    if (!self->has_size || (!self->rotate && !self->copytruncate))
        return REMEDY_NONE;
    bool copy = self->copytruncate;
    event_set_string (&out->action, copy ? "copytruncate" : "rotate", EVENT_MAX_SHORT);
    char why [1024] = "";
    int fd = -1;
    struct stat st;
    if (log_open (self->path, &fd, &st, why, sizeof why) != LOG_OPEN_OK) {
        if (!*why)
            snprintf (why, sizeof why, "%s: no such file", self->path);
        event_set_string (&out->output, why, EVENT_MAX_TEXT);
        return REMEDY_FAILED;
    }
    if ((uint64_t) st.st_size <= self->max_size) {
        //  Already under the limit (someone else rotated): nothing to do.
        close (fd);
        event_set_string (&out->output, "already under max_size", EVENT_MAX_TEXT);
        return REMEDY_NONE;
    }
    //  Count what is pending before the data moves.
    if (self->known && (uint64_t) st.st_dev == self->dev
    &&  (uint64_t) st.st_ino == self->ino && (uint64_t) st.st_size > self->offset) {
        log_scan_t scan = { 0 };
        uint64_t end = self->offset;
        bool long_line = self->in_long_line;
        if (log_scan_fd (self, fd, self->offset, 0, &end, &long_line, &scan) == 0) {
            uint64_t tail = 0;
            log_tail_hash (fd, end, &tail);
            self->offset = end;
            self->tail = tail;
            self->in_long_line = long_line;
            log_window_add (self, event_now_ms (), scan.matched);
            self->dirty = true;
        }
    }
    remedy_status_t status = REMEDY_FAILED;
    if (s_shift (self, why, sizeof why))
        goto done;
    mode_t mode = st.st_mode & 07777;
    if (copy) {
        char *tmp = log_concat (self->rotated, ".tmp");
        if (!tmp || s_copy_file (fd, tmp, mode, self->buf)) {
            snprintf (why, sizeof why, "copy %s -> %s: %s", self->path,
                      tmp ? tmp : "?", strerror (errno));
            if (tmp)
                unlink (tmp);
            free (tmp);
            goto done;
        }
        if (rename (tmp, self->rotated)) {
            snprintf (why, sizeof why, "rename %s -> %s: %s", tmp, self->rotated,
                      strerror (errno));
            unlink (tmp);
            free (tmp);
            goto done;
        }
        free (tmp);
        //  Lines written between the copy and this truncate are lost: that is
        //  copytruncate's price (prefer rotate + reopen when the writer can).
        int wfd = open (self->path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (wfd < 0 || ftruncate (wfd, 0)) {
            snprintf (why, sizeof why, "truncate %s: %s", self->path, strerror (errno));
            if (wfd >= 0)
                close (wfd);
            goto done;
        }
        close (wfd);
        snprintf (why, sizeof why, "copied %s to %s and truncated it", self->path,
                  self->rotated);
    }
    else {
        if (rename (self->path, self->rotated)) {
            snprintf (why, sizeof why, "rename %s -> %s: %s", self->path,
                      self->rotated, strerror (errno));
            goto done;
        }
        //  A fresh empty file with the same mode and owner, so writers that
        //  open per write (>>) go on and the check does not see it missing.
        int nfd = open (self->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (nfd >= 0) {
            if (fchown (nfd, st.st_uid, st.st_gid)) {
                //  not owner: keep ours
            }
            if (fchmod (nfd, mode)) {
                //  umask applied; best effort
            }
            close (nfd);
        }
        snprintf (why, sizeof why, "renamed %s to %s", self->path, self->rotated);
    }
    status = REMEDY_DONE;
    if (self->reopen) {
        int64_t timeout = ctx->check ? ctx->check->timeout_ms : CONFIG_DEFAULT_TIMEOUT_MS;
        if (ctx->deadline_ms > 0) {
            int64_t left = ctx->deadline_ms - heal_monotonic_ms ();
            if (left < timeout)
                timeout = left > 100 ? left : 100;
        }
        command_result_t res;
        memset (&res, 0, sizeof res);
        if (command_run (self->reopen, self->config->path, timeout, EVENT_MAX_TEXT, &res)) {
            size_t n = strlen (why);
            snprintf (why + n, sizeof why - n, "; reopen: cannot run: %s", strerror (errno));
            status = REMEDY_FAILED;
        }
        else {
            size_t n = strlen (why);
            if (res.timed_out)
                snprintf (why + n, sizeof why - n, "; reopen timed out");
            else
            if (res.exit_code != 0)
                snprintf (why + n, sizeof why - n, "; reopen exited %d", res.exit_code);
            n = strlen (why);
            if (res.output && res.output_len)
                snprintf (why + n, sizeof why - n, "\n%s", res.output);
            if (res.timed_out || res.exit_code != 0)
                status = REMEDY_FAILED;
            command_result_free (&res);
        }
    }
done:
    close (fd);
    log_state_save (self);
    {
        char *safe = heal_safe_text (why, strlen (why), EVENT_MAX_TEXT);
        event_set_string (&out->output, safe ? safe : why, EVENT_MAX_TEXT);
        free (safe);
    }
    return status;
}
