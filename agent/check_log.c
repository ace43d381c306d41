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
//
//  This file holds the keys, setup and run; the parts are in log_state.c
//  (position, window, evidence), log_scan.c (the reader) and log_rotate.c (the
//  remedy), sharing log_impl.h.

#include "log_impl.h"
#include "kind_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

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
//  setup: the pattern compiled, the rate window, the state file, buffers

static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    log_check_t *self = (log_check_t *) self_;
    self->config = config;
    self->name = strdup (check->name);
    const char *path = self->path;
    self->rotated = log_concat (path, ".1");

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
            return -1;
        }
        self->jit = pcre2_jit_compile (self->re, PCRE2_JIT_COMPLETE) == 0;
        self->md = pcre2_match_data_create_from_pattern (self->re, NULL);
        self->mctx = pcre2_match_context_create (NULL);
        if (!self->md || !self->mctx) {
            heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
            return -1;
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
            return -1;
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
        return -1;
    }
    self->max_evidence = (size_t) self->evidence_setting;
    self->keep = (int) self->keep_setting;
    if ((self->rotate || self->copytruncate) && !self->has_size) {
        heal_config_error (err, errlen, config->file, check->name,
                           self->rotate ? "rotate" : "copytruncate",
                           "rotation needs 'max_size' on the check");
        return -1;
    }

    if (config->state_dir && *config->state_dir)
    {
        char file [EVENT_MAX_NAME + 16];
        snprintf (file, sizeof file, "/log-%s.json", check->name);
        self->state_file = log_concat (config->state_dir, file);
    }
    self->lines = (log_line_t *) calloc (self->max_evidence ? self->max_evidence : 1,
                                         sizeof (log_line_t));
    self->buf = (char *) malloc (LOG_READ_BUFFER);
    if (!self->name || !self->path || !self->rotated || !self->lines || !self->buf
    ||  (self->has_rate && !self->rate_text)
    ||  (config->state_dir && *config->state_dir && !self->state_file)) {
        heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
        return -1;
    }
    return 0;
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
        log_state_load (self, ctx->verbose);

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
    log_open_t opened = log_open (self->path, &fd, &st, msg, sizeof msg);
    log_scan_t scan = { 0 };
    if (opened == LOG_OPEN_MISSING) {
        //  Gone (deleted, or between a rename and the writer's reopen): finish
        //  the rotated file if it is ours, then wait for the path to return;
        //  when it does, it is a new file, read from its start.
        if (!self->missing) {
            log_finish_rotated (self, scan_deadline, &scan);
            log_window_add (self, event_now_ms (), scan.matched);
            log_state_reset (self);
            self->missing = true;
            self->dirty = true;
            log_state_save (self);
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
        log_finish_rotated (self, scan_deadline, &scan);
        reset = "rotated (new file)";
    }
    else {
        uint64_t hash = 0;
        if (size < self->offset) {
            log_finish_rotated (self, scan_deadline, &scan);
            reset = "truncated";
        }
        else
        if (log_tail_hash (fd, self->offset, &hash) || hash != self->tail) {
            //  truncated and written past our offset since (copytruncate
            //  between two runs): PATH.1 may hold the rest of what we read
            log_finish_rotated (self, scan_deadline, &scan);
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
        rc = log_scan_fd (self, fd, start, scan_deadline, &end, &long_line, &scan);
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
        log_tail_hash (fd, end, &tail);
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
    log_window_add (self, now, scan.matched);
    log_state_save (self);

    if (rc) {
        snprintf (msg, sizeof msg, "%s: read failed: %s", self->path,
                  strerror (read_errno));
        event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
        return CHECK_UNKNOWN;
    }

    uint64_t in_window = log_window_sum (self, now);
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
        log_evidence_emit (self, event);
    return (rate_bad || size_bad) ? CHECK_FAIL : CHECK_OK;
}

//  --------------------------------------------------------------------------

//  What setup made (the key tables' values are check_destroy's).
static void
s_cleanup (void *self_)
{
    log_check_t *self = (log_check_t *) self_;
    free (self->name);
    free (self->rotated);
    free (self->rate_text);
    free (self->state_file);
    free (self->lines);
    free (self->buf);
    pcre2_match_data_free (self->md);
    pcre2_match_context_free (self->mctx);
    pcre2_jit_stack_free (self->jit_stack);
    pcre2_code_free (self->re);
}

const check_kind_t check_kind_log = {
    .name = "log",
    .size = sizeof (log_check_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .setup = s_setup,
    .run = s_run,
    .remedy = log_rotate_remedy,
    .cleanup = s_cleanup,
};
