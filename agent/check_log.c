//  check_log — the `log` kind: watch a log file for a regex and for its size.
//
//  Each run reads only what was appended since the last run: the offset and
//  the file's identity (dev, inode, a fingerprint of the bytes just before the
//  offset) live in state_dir/log-<check>.json and survive restarts. Rotation by
//  rename finishes the old file (found again as PATH.1) and starts the new one
//  from 0; truncation and copytruncate start from 0. Matching lines are counted
//  in a sliding window (LOG_RATE_BUCKETS buckets, bounded memory) and compared
//  with max_rate; the last few matching lines are the evidence.
//
//  Speed: the file is read in LOG_READ_BUFFER chunks and each chunk of complete
//  lines is searched as a whole with PCRE2 (JIT, PCRE2_MULTILINE), then the
//  line around each match is found with memchr: no per-line call, no per-line
//  allocation. A match that spans a newline is re-checked on its line alone so
//  the result is per line, as with grep.
//
//  Remedy (max_size exceeded): rotate PATH -> PATH.1 ... PATH.<keep> (by rename
//  and a fresh empty PATH, or by copytruncate), then the optional reopen command.

#define PCRE2_CODE_UNIT_WIDTH 8

#include "check.h"
#include "check_log.h"
#include "kind_util.h"
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define LOG_STATE_VERSION 1

typedef struct {
    int64_t index;              //  absolute bucket number (ts / bucket_ms)
    uint64_t count;
} log_bucket_t;

typedef struct {
    char text [EVENT_MAX_EVIDENCE_LEN + 1];     //  raw bytes (made safe on output)
    size_t len;
    bool truncated;
} log_line_t;

typedef struct {
    //  Configuration
    char *name;
    char *path;
    char *rotated;              //  PATH.1
    char *pattern;              //  NULL = no pattern (size only)
    bool has_rate;
    heal_rate_t rate;           //  max_rate as parsed
    uint64_t max_rate;          //  matches allowed in the window
    int64_t window_ms;
    char *rate_text;
    bool has_size;
    uint64_t max_size;
    bool from_start;
    int64_t evidence_setting;   //  max_evidence as configured
    size_t max_evidence;
    bool rotate;
    bool copytruncate;
    int64_t keep_setting;       //  keep as configured
    int keep;
    char *reopen;               //  command, or NULL
    char *state_file;           //  NULL when there is no state_dir
    const heal_config_t *config;

    //  PCRE2
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    bool jit;

    //  Position (persisted)
    bool state_loaded;
    bool known;                 //  we have a position in some file
    bool missing;               //  the file was absent last time we looked
    uint64_t dev, ino;
    uint64_t offset;
    uint64_t tail;              //  fingerprint of the LOG_TAIL_CHECK bytes before offset
    bool in_long_line;          //  offset is inside a line longer than the buffer
    bool dirty;                 //  state changed since last written

    //  Rate window (persisted)
    int64_t bucket_ms;
    log_bucket_t buckets [LOG_RATE_BUCKETS];

    //  Evidence ring (persisted)
    log_line_t *lines;          //  max_evidence slots
    size_t line_next;
    size_t line_count;

    //  Scratch
    char *buf;                  //  LOG_READ_BUFFER bytes, allocated once
} log_check_t;

//  Per-scan counters.
typedef struct {
    uint64_t matched;
    uint64_t bytes;
    uint64_t errors;
    bool partial;
} log_scan_t;

#define LOG_AT(field) HEAL_KEY_AT (log_check_t, field)

static const heal_key_t s_keys [] = {
    { .name = "path", .type = HEAL_KEY_PATH, .at = LOG_AT (path),
      .flags = HEAL_KEY_REQUIRED, .missing = "missing: the log file to watch",
      .help = "the log file" },
    { .name = "pattern", .type = HEAL_KEY_STRING, .at = LOG_AT (pattern),
      .max_len = LOG_MAX_PATTERN, .help = "PCRE2 regex a line must match to count" },
    { .name = "max_rate", .type = HEAL_KEY_RATE, .at = LOG_AT (rate),
      .seen = LOG_AT (has_rate), .help = "matches allowed, e.g. 50/h" },
    { .name = "max_size", .type = HEAL_KEY_SIZE, .at = LOG_AT (max_size),
      .seen = LOG_AT (has_size), .invalid = "'%s' is not a size (e.g. 100M)",
      .help = "the file's size at most" },
    { .name = "from_start", .type = HEAL_KEY_BOOL, .at = LOG_AT (from_start),
      .def = "false", .help = "read a new file from its start" },
    { .name = "max_evidence", .type = HEAL_KEY_INT, .at = LOG_AT (evidence_setting),
      .min = 0, .max = EVENT_MAX_EVIDENCE, .def = HEAL_KEY_TEXT (LOG_DEFAULT_EVIDENCE),
      .help = "matching lines kept as evidence" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "rotate", .type = HEAL_KEY_BOOL, .at = LOG_AT (rotate), .def = "false",
      .help = "rotate the file" },
    { .name = "keep", .type = HEAL_KEY_INT, .at = LOG_AT (keep_setting), .min = 1,
      .max = LOG_MAX_KEEP, .def = HEAL_KEY_TEXT (LOG_DEFAULT_KEEP),
      .help = "rotated files kept" },
    { .name = "copytruncate", .type = HEAL_KEY_BOOL, .at = LOG_AT (copytruncate),
      .def = "false", .help = "copy then truncate instead of renaming" },
    { .name = "reopen", .type = HEAL_KEY_STRING, .at = LOG_AT (reopen),
      .max_len = KIND_MAX_COMMAND, .help = "command that makes the writer reopen it" },
    { .name = NULL }
};

static void s_destroy (void **self_p);

//  --------------------------------------------------------------------------
//  Small helpers

//  memrchr is a GNU extension: macOS lacks it.
static const char *
s_memrchr (const char *s, char c, size_t n)
{
    while (n > 0) {
        n--;
        if (s [n] == c)
            return s + n;
    }
    return NULL;
}

static uint64_t
s_fnv1a (const unsigned char *data, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= data [i];
        h *= 1099511628211ULL;
    }
    return h;
}

//  Fingerprint of the bytes [offset - LOG_TAIL_CHECK, offset) of fd.
//  Returns 0 and *hash, or -1 when they cannot be read in full.
static int
s_tail_hash (int fd, uint64_t offset, uint64_t *hash)
{
    unsigned char tail [LOG_TAIL_CHECK];
    size_t want = offset < LOG_TAIL_CHECK ? (size_t) offset : LOG_TAIL_CHECK;
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread (fd, tail + got, want - got,
                           (off_t) (offset - want + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t) n;
    }
    *hash = s_fnv1a (tail, want);
    return 0;
}

//  a + b, freshly allocated. Caller frees.
static char *
s_concat (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    char *s = (char *) malloc (la + lb + 1);
    if (s) {
        memcpy (s, a, la);
        memcpy (s + la, b, lb + 1);
    }
    return s;
}

//  Human size: "12.3M".
static void
s_size_text (uint64_t bytes, char *out, size_t outlen)
{
    const char *units = "BKMGT";
    double v = (double) bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf (out, outlen, "%" PRIu64 "B", bytes);
    else
        snprintf (out, outlen, "%.1f%c", v, units [u]);
}

//  --------------------------------------------------------------------------
//  Rate window

static void
s_window_add (log_check_t *self, int64_t now_ms, uint64_t count)
{
    if (count == 0)
        return;
    int64_t index = now_ms / self->bucket_ms;
    log_bucket_t *b = &self->buckets [(uint64_t) index % LOG_RATE_BUCKETS];
    if (b->index != index) {
        b->index = index;
        b->count = 0;
    }
    b->count += count;
    self->dirty = true;
}

static uint64_t
s_window_sum (const log_check_t *self, int64_t now_ms)
{
    int64_t index = now_ms / self->bucket_ms;
    uint64_t sum = 0;
    for (size_t i = 0; i < LOG_RATE_BUCKETS; i++) {
        const log_bucket_t *b = &self->buckets [i];
        if (b->count && b->index <= index && b->index > index - LOG_RATE_BUCKETS)
            sum += b->count;
    }
    return sum;
}

//  --------------------------------------------------------------------------
//  Evidence

static void
s_evidence_add (log_check_t *self, const char *line, size_t len, bool truncated)
{
    if (self->max_evidence == 0)
        return;
    log_line_t *slot = &self->lines [self->line_next];
    if (len > EVENT_MAX_EVIDENCE_LEN) {
        len = EVENT_MAX_EVIDENCE_LEN;
        truncated = true;
    }
    memcpy (slot->text, line, len);
    slot->text [len] = 0;
    slot->len = len;
    slot->truncated = truncated;
    self->line_next = (self->line_next + 1) % self->max_evidence;
    if (self->line_count < self->max_evidence)
        self->line_count++;
}

//  The evidence lines, oldest first, made safe for the bus. Truncated lines end
//  with "...".
static void
s_evidence_emit (log_check_t *self, event_t *event)
{
    size_t first = (self->line_next + self->max_evidence - self->line_count)
                 % (self->max_evidence ? self->max_evidence : 1);
    for (size_t i = 0; i < self->line_count; i++) {
        const log_line_t *l = &self->lines [(first + i) % self->max_evidence];
        char *safe = heal_safe_string (l->text, l->len,
                                       l->truncated ? EVENT_MAX_EVIDENCE_LEN - 3
                                                    : EVENT_MAX_EVIDENCE_LEN);
        if (!safe)
            continue;
        if (l->truncated) {
            size_t n = strlen (safe);
            char *longer = (char *) realloc (safe, n + 4);
            if (longer) {
                memcpy (longer + n, "...", 4);
                safe = longer;
            }
        }
        event_add_evidence (event, safe);
        free (safe);
    }
}

//  --------------------------------------------------------------------------
//  State file

static void
s_state_reset_position (log_check_t *self)
{
    self->known = false;
    self->dev = self->ino = 0;
    self->offset = 0;
    self->tail = 0;
    self->in_long_line = false;
}

//  Load state_dir/log-<check>.json if present. A state for another path or a
//  corrupt file is ignored (logged); a pattern change keeps the position and
//  drops the counts.
static void
s_state_load (log_check_t *self, bool verbose)
{
    self->state_loaded = true;
    if (!self->state_file)
        return;
    size_t size = 0;
    char *text = heal_read_file (self->state_file, LOG_STATE_MAX, &size);
    if (!text) {
        if (errno != ENOENT)
            zsys_warning ("check_log: %s: cannot read state: %s",
                          self->state_file, strerror (errno));
        return;
    }
    json_error_t jerr;
    json_t *root = json_loadb (text, size, 0, &jerr);
    free (text);
    if (!json_is_object (root)
    ||  json_integer_value (json_object_get (root, "v")) != LOG_STATE_VERSION) {
        zsys_warning ("check_log: %s: ignoring unreadable state", self->state_file);
        json_decref (root);
        return;
    }
    const char *path = json_string_value (json_object_get (root, "path"));
    if (!path || strcmp (path, self->path) != 0) {
        if (verbose)
            zsys_warning ("check_log: %s: state is for another path, ignored",
                          self->state_file);
        json_decref (root);
        return;
    }
    self->known = json_is_true (json_object_get (root, "known"));
    self->missing = json_is_true (json_object_get (root, "missing"));
    self->dev = (uint64_t) json_integer_value (json_object_get (root, "dev"));
    self->ino = (uint64_t) json_integer_value (json_object_get (root, "ino"));
    json_int_t offset = json_integer_value (json_object_get (root, "offset"));
    self->offset = offset > 0 ? (uint64_t) offset : 0;
    self->tail = (uint64_t) json_integer_value (json_object_get (root, "tail"));
    self->in_long_line = json_is_true (json_object_get (root, "long_line"));

    const char *pattern = json_string_value (json_object_get (root, "pattern"));
    bool same_pattern = (!pattern && !self->pattern)
                     || (pattern && self->pattern && streq (pattern, self->pattern));
    int64_t bucket_ms = json_integer_value (json_object_get (root, "bucket_ms"));
    json_t *buckets = json_object_get (root, "buckets");
    if (same_pattern && bucket_ms == self->bucket_ms && json_is_array (buckets)) {
        size_t i;
        json_t *b;
        json_array_foreach (buckets, i, b) {
            if (!json_is_array (b) || json_array_size (b) != 2)
                continue;
            int64_t index = json_integer_value (json_array_get (b, 0));
            json_int_t count = json_integer_value (json_array_get (b, 1));
            if (index < 0 || count <= 0)
                continue;
            log_bucket_t *slot = &self->buckets [(uint64_t) index % LOG_RATE_BUCKETS];
            if (slot->index < index) {
                slot->index = index;
                slot->count = (uint64_t) count;
            }
        }
    }
    json_t *evidence = json_object_get (root, "evidence");
    if (same_pattern && json_is_array (evidence)) {
        size_t i;
        json_t *e;
        json_array_foreach (evidence, i, e) {
            const char *line = json_string_value (e);
            if (line)
                s_evidence_add (self, line, strlen (line), false);
        }
    }
    json_decref (root);
}

//  Write the state if it changed. Failures are logged; the check goes on
//  (it would re-read from the last saved offset after a restart).
static void
s_state_save (log_check_t *self)
{
    if (!self->dirty || !self->state_file)
        return;
    json_t *root = json_object ();
    json_object_set_new (root, "v", json_integer (LOG_STATE_VERSION));
    json_object_set_new (root, "path", json_string (self->path));
    if (self->pattern) {
        char *safe = heal_safe_string (self->pattern, strlen (self->pattern),
                                       LOG_MAX_PATTERN * 3);
        //  state compares patterns byte for byte: store only a faithful copy
        if (safe && streq (safe, self->pattern))
            json_object_set_new (root, "pattern", json_string (safe));
        free (safe);
    }
    json_object_set_new (root, "known", json_boolean (self->known));
    json_object_set_new (root, "missing", json_boolean (self->missing));
    json_object_set_new (root, "dev", json_integer ((json_int_t) self->dev));
    json_object_set_new (root, "ino", json_integer ((json_int_t) self->ino));
    json_object_set_new (root, "offset", json_integer ((json_int_t) self->offset));
    json_object_set_new (root, "tail", json_integer ((json_int_t) self->tail));
    json_object_set_new (root, "long_line", json_boolean (self->in_long_line));
    json_object_set_new (root, "bucket_ms", json_integer (self->bucket_ms));
    json_t *buckets = json_array ();
    for (size_t i = 0; i < LOG_RATE_BUCKETS; i++)
        if (self->buckets [i].count) {
            json_t *b = json_array ();
            json_array_append_new (b, json_integer (self->buckets [i].index));
            json_array_append_new (b, json_integer ((json_int_t) self->buckets [i].count));
            json_array_append_new (buckets, b);
        }
    json_object_set_new (root, "buckets", buckets);
    json_t *evidence = json_array ();
    size_t first = self->max_evidence
                 ? (self->line_next + self->max_evidence - self->line_count)
                   % self->max_evidence : 0;
    for (size_t i = 0; i < self->line_count; i++) {
        const log_line_t *l = &self->lines [(first + i) % self->max_evidence];
        char *safe = heal_safe_string (l->text, l->len, EVENT_MAX_EVIDENCE_LEN);
        if (safe)
            json_array_append_new (evidence, json_string (safe));
        free (safe);
    }
    json_object_set_new (root, "evidence", evidence);
    char *text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    if (!text)
        return;
    char *dir = strdup (self->state_file);
    if (dir) {
        char *slash = strrchr (dir, '/');
        if (slash && slash != dir) {
            *slash = 0;
            heal_mkdir_p (dir, 0700);
        }
        free (dir);
    }
    if (heal_write_atomic (self->state_file, text, strlen (text), 0600) == 0)
        self->dirty = false;
    else
        zsys_error ("check_log: %s: cannot write state: %s",
                    self->state_file, strerror (errno));
    free (text);
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
    s_evidence_add (self, line, len, truncated);
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
        const char *nl = s_memrchr (data + pos, '\n', ms - pos);
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
static int
s_scan_fd (log_check_t *self, int fd, uint64_t offset, int64_t deadline_ms,
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
        const char *last = s_memrchr (buf + start, '\n', have - start);
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

typedef enum {
    LOG_OPEN_OK = 0,
    LOG_OPEN_MISSING,
    LOG_OPEN_ERROR          //  message set
} log_open_t;

//  Open path for reading without blocking (a FIFO must not hang the check)
//  and check that it is a regular file.
static log_open_t
s_open (const char *path, int *fd_p, struct stat *st, char *msg, size_t msglen)
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
static void
s_finish_rotated (log_check_t *self, int64_t deadline_ms, log_scan_t *scan)
{
    if (!self->known || !self->rotated)
        return;
    int fd = -1;
    struct stat st;
    char msg [256];
    if (s_open (self->rotated, &fd, &st, msg, sizeof msg) != LOG_OPEN_OK)
        return;
    bool same = (uint64_t) st.st_dev == self->dev && (uint64_t) st.st_ino == self->ino;
    uint64_t hash = 0;
    if (!same && (uint64_t) st.st_size >= self->offset
    &&  s_tail_hash (fd, self->offset, &hash) == 0 && hash == self->tail)
        same = true;
    if (same && (uint64_t) st.st_size > self->offset) {
        uint64_t end = 0;
        bool long_line = self->in_long_line;
        s_scan_fd (self, fd, self->offset, deadline_ms, &end, &long_line, scan);
    }
    close (fd);
}

//  --------------------------------------------------------------------------
//  configure

static void *
s_configure (const heal_config_t *config, const heal_check_config_t *check,
             char *err, size_t errlen)
{
    log_check_t *self = (log_check_t *) calloc (1, sizeof (log_check_t));
    if (!self) {
        heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
        return NULL;
    }
    self->config = config;
    self->name = strdup (check->name);
    if (kind_configure (config, check, s_keys, s_remedy_keys, self, err, errlen))
        goto failed;
    const char *path = self->path;
    self->rotated = s_concat (path, ".1");

    const char *pattern = self->pattern;
    if (pattern) {
        pcre2_compile_context *cctx = pcre2_compile_context_create (NULL);
        if (cctx)
            pcre2_set_newline (cctx, PCRE2_NEWLINE_LF);
        int code = 0;
        PCRE2_SIZE where = 0;
        //  Bytes, not UTF: log files hold anything; MULTILINE so ^ and $ mean
        //  the start and end of a line in a whole-buffer search.
        self->re = pcre2_compile ((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
                                  PCRE2_MULTILINE, &code, &where, cctx);
        pcre2_compile_context_free (cctx);
        if (!self->re) {
            PCRE2_UCHAR why [256];
            pcre2_get_error_message (code, why, sizeof why);
            heal_config_error (err, errlen, config->file, check->name, "pattern",
                               "invalid regex at offset %zu: %s", (size_t) where,
                               (const char *) why);
            goto failed;
        }
        self->jit = pcre2_jit_compile (self->re, PCRE2_JIT_COMPLETE) == 0;
        self->md = pcre2_match_data_create_from_pattern (self->re, NULL);
        self->mctx = pcre2_match_context_create (NULL);
        if (!self->md || !self->mctx) {
            heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
            goto failed;
        }
        if (self->jit) {
            self->jit_stack = pcre2_jit_stack_create (32 * 1024, LOG_JIT_STACK_MAX, NULL);
            if (self->jit_stack)
                pcre2_jit_stack_assign (self->mctx, NULL, self->jit_stack);
        }
    }

    if (self->has_rate) {
        if (!self->re) {
            heal_config_error (err, errlen, config->file, check->name, "max_rate",
                               "needs a 'pattern' to count");
            goto failed;
        }
        self->max_rate = self->rate.count;
        self->window_ms = self->rate.window_ms;
        self->rate_text = strdup (self->rate.text);
    }
    else
        self->window_ms = 3600 * 1000;      //  count per hour when only reporting
    self->bucket_ms = self->window_ms / LOG_RATE_BUCKETS;
    if (self->bucket_ms < 1)
        self->bucket_ms = 1;

    if (!self->re && !self->has_size) {
        heal_config_error (err, errlen, config->file, check->name, "pattern",
                           "missing: a log check needs 'pattern' or 'max_size'");
        goto failed;
    }
    self->max_evidence = (size_t) self->evidence_setting;
    self->keep = (int) self->keep_setting;
    if ((self->rotate || self->copytruncate) && !self->has_size) {
        heal_config_error (err, errlen, config->file, check->name,
                           self->rotate ? "rotate" : "copytruncate",
                           "rotation needs 'max_size' on the check");
        goto failed;
    }

    if (config->state_dir && *config->state_dir)
    {
        char file [EVENT_MAX_NAME + 16];
        snprintf (file, sizeof file, "/log-%s.json", check->name);
        self->state_file = s_concat (config->state_dir, file);
    }
    self->lines = (log_line_t *) calloc (self->max_evidence ? self->max_evidence : 1,
                                         sizeof (log_line_t));
    self->buf = (char *) malloc (LOG_READ_BUFFER);
    if (!self->name || !self->path || !self->rotated || !self->lines || !self->buf
    ||  (self->has_rate && !self->rate_text)
    ||  (config->state_dir && *config->state_dir && !self->state_file)) {
        heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
        goto failed;
    }
    return self;

failed:
    s_destroy ((void **) &self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  run

static check_status_t
s_run (void *self_v, const check_ctx_t *ctx, check_result_t *result)
{
    log_check_t *self = (log_check_t *) self_v;
    event_t *event = result->event;
    char msg [EVENT_MAX_MESSAGE];
    if (!self->state_loaded)
        s_state_load (self, ctx->verbose);

    //  Stop reading a little before the deadline so the run reports in time.
    int64_t now_mono = heal_monotonic_ms ();
    int64_t scan_deadline = 0;
    if (ctx->deadline_ms > 0) {
        int64_t left = ctx->deadline_ms - now_mono;
        scan_deadline = now_mono + (left > 0 ? left - left / 10 - 50 : 0);
        if (scan_deadline < now_mono)
            scan_deadline = now_mono;
    }

    int fd = -1;
    struct stat st;
    log_open_t opened = s_open (self->path, &fd, &st, msg, sizeof msg);
    log_scan_t scan = { 0 };
    if (opened == LOG_OPEN_MISSING) {
        //  Gone (deleted, or between a rename and the writer's reopen): finish
        //  the rotated file if it is ours, then wait for the path to return;
        //  when it does, it is a new file, read from its start.
        if (!self->missing) {
            s_finish_rotated (self, scan_deadline, &scan);
            s_window_add (self, event_now_ms (), scan.matched);
            s_state_reset_position (self);
            self->missing = true;
            self->dirty = true;
            s_state_save (self);
        }
        snprintf (msg, sizeof msg, "%s: no such file", self->path);
        event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
        return CHECK_UNKNOWN;
    }
    if (opened == LOG_OPEN_ERROR) {
        event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
        return CHECK_UNKNOWN;
    }

    uint64_t size = (uint64_t) st.st_size;
    uint64_t dev = (uint64_t) st.st_dev, ino = (uint64_t) st.st_ino;
    uint64_t start = 0;
    const char *reset = NULL;
    bool long_line = false;
    if (!self->known) {
        //  First sight. A file that appeared after we saw it missing is new:
        //  read it all. Otherwise from_start decides (default: its end, so
        //  old errors are not a spike).
        start = (self->missing || self->from_start) ? 0 : size;
        if (start == size && size > 0)
            reset = "started at the end of the file";
    }
    else
    if (dev != self->dev || ino != self->ino) {
        s_finish_rotated (self, scan_deadline, &scan);
        reset = "rotated (new file)";
    }
    else {
        uint64_t hash = 0;
        if (size < self->offset) {
            s_finish_rotated (self, scan_deadline, &scan);
            reset = "truncated";
        }
        else
        if (s_tail_hash (fd, self->offset, &hash) || hash != self->tail) {
            //  truncated and written past our offset since (copytruncate
            //  between two runs): PATH.1 may hold the rest of what we read
            s_finish_rotated (self, scan_deadline, &scan);
            reset = "rewritten";
        }
        else {
            start = self->offset;
            long_line = self->in_long_line;
        }
    }
    if (reset && start == 0)
        long_line = false;

    uint64_t end = start;
    int rc = 0;
    if (size > start && self->re)
        rc = s_scan_fd (self, fd, start, scan_deadline, &end, &long_line, &scan);
    else
    if (size > start) {
        //  size only: nothing to read
        end = size;
        scan.bytes = size - start;
    }
    int read_errno = errno;
    if (reset || end != self->offset || !self->known || dev != self->dev
    ||  ino != self->ino || long_line != self->in_long_line || self->missing) {
        uint64_t tail = 0;
        s_tail_hash (fd, end, &tail);
        self->known = true;
        self->missing = false;
        self->dev = dev;
        self->ino = ino;
        self->offset = end;
        self->tail = tail;
        self->in_long_line = long_line;
        self->dirty = true;
    }
    close (fd);
    int64_t now = event_now_ms ();
    s_window_add (self, now, scan.matched);
    s_state_save (self);

    if (rc) {
        snprintf (msg, sizeof msg, "%s: read failed: %s", self->path,
                  strerror (read_errno));
        event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
        return CHECK_UNKNOWN;
    }

    uint64_t in_window = s_window_sum (self, now);
    double per_hour = (double) in_window * 3600000.0 / (double) self->window_ms;
    event_add_metric (event, "size_bytes", (double) size);
    event_add_metric (event, "new_bytes", (double) scan.bytes);
    if (self->re) {
        event_add_metric (event, "new_matches", (double) scan.matched);
        event_add_metric (event, "matches", (double) in_window);
        event_add_metric (event, "window_seconds", (double) self->window_ms / 1000.0);
        event_add_metric (event, "matches_per_hour", per_hour);
        if (self->has_rate)
            event_add_metric (event, "max_matches", (double) self->max_rate);
        if (scan.errors)
            event_add_metric (event, "match_errors", (double) scan.errors);
    }
    if (self->has_size)
        event_add_metric (event, "max_size_bytes", (double) self->max_size);
    if (scan.partial)
        event_add_metric (event, "lag_bytes", (double) (size > end ? size - end : 0));

    bool rate_bad = self->has_rate && in_window > self->max_rate;
    bool size_bad = self->has_size && size > self->max_size;
    char part [3][320];
    size_t parts = 0;
    char sz [32], maxsz [32];
    s_size_text (size, sz, sizeof sz);
    if (self->has_size)
        s_size_text (self->max_size, maxsz, sizeof maxsz);
    if (size_bad)
        snprintf (part [parts++], sizeof part [0], "size %s > max_size %s", sz, maxsz);
    if (self->re) {
        if (self->has_rate) {
            const char *unit = self->rate_text + strcspn (self->rate_text, "/");
            unit += *unit == '/';
            bool bare = *unit < '0' || *unit > '9';
            snprintf (part [parts++], sizeof part [0],
                      "%" PRIu64 " matching lines in the last %s%s (max_rate %s)",
                      in_window, bare ? "1" : "", unit, self->rate_text);
        }
        else
            snprintf (part [parts++], sizeof part [0],
                      "%" PRIu64 " matching lines in the last hour", in_window);
    }
    if (!size_bad && self->has_size)
        snprintf (part [parts++], sizeof part [0], "size %s (max %s)", sz, maxsz);
    int off = snprintf (msg, sizeof msg, "%s: ", self->path);
    for (size_t i = 0; i < parts && off > 0 && (size_t) off < sizeof msg; i++)
        off += snprintf (msg + off, sizeof msg - (size_t) off, "%s%s",
                         i ? "; " : "", part [i]);
    if (off > 0 && (size_t) off < sizeof msg && (reset || scan.partial))
        snprintf (msg + off, sizeof msg - (size_t) off, " (%s%s%s)",
                  reset ? reset : "", reset && scan.partial ? ", " : "",
                  scan.partial ? "caught up partly, more next run" : "");
    event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
    if (in_window > 0 || rate_bad)
        s_evidence_emit (self, event);
    return (rate_bad || size_bad) ? CHECK_FAIL : CHECK_OK;
}

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
        for (ssize_t done = 0; done < n; ) {
            ssize_t w = write (out, buf + done, (size_t) (n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = -1;
                break;
            }
            done += w;
        }
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
    return s_concat (path, suffix);
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

static remedy_status_t
s_remedy (void *self_v, const check_ctx_t *ctx, const check_result_t *failed,
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
    if (s_open (self->path, &fd, &st, why, sizeof why) != LOG_OPEN_OK) {
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
        if (s_scan_fd (self, fd, self->offset, 0, &end, &long_line, &scan) == 0) {
            uint64_t tail = 0;
            s_tail_hash (fd, end, &tail);
            self->offset = end;
            self->tail = tail;
            self->in_long_line = long_line;
            s_window_add (self, event_now_ms (), scan.matched);
            self->dirty = true;
        }
    }
    remedy_status_t status = REMEDY_FAILED;
    if (s_shift (self, why, sizeof why))
        goto done;
    mode_t mode = st.st_mode & 07777;
    if (copy) {
        char *tmp = s_concat (self->rotated, ".tmp");
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
    s_state_save (self);
    {
        char *safe = heal_safe_text (why, strlen (why), EVENT_MAX_TEXT);
        event_set_string (&out->output, safe ? safe : why, EVENT_MAX_TEXT);
        free (safe);
    }
    return status;
}

//  --------------------------------------------------------------------------

static void
s_destroy (void **self_p)
{
    if (!self_p || !*self_p)
        return;
    log_check_t *self = (log_check_t *) *self_p;
    free (self->name);
    heal_keys_free (s_keys, self);
    heal_keys_free (s_remedy_keys, self);
    free (self->rotated);
    free (self->rate_text);
    free (self->state_file);
    free (self->lines);
    free (self->buf);
    pcre2_match_data_free (self->md);
    pcre2_match_context_free (self->mctx);
    pcre2_jit_stack_free (self->jit_stack);
    pcre2_code_free (self->re);
    free (self);
    *self_p = NULL;
}

const check_kind_t check_kind_log = {
    .name = "log",
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .configure = s_configure,
    .run = s_run,
    .remedy = s_remedy,
    .destroy = s_destroy,
};
