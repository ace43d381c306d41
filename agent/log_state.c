//  log_state — the `log` kind's memory between runs: the position in the file
//  (offset, identity, a fingerprint of the bytes before the offset), the rate
//  window's buckets and the evidence ring, saved as state_dir/log-<check>.json.

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

int
log_tail_hash (int fd, uint64_t offset, uint64_t *hash)
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

char *
log_concat (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    char *s = (char *) malloc (la + lb + 1);
    if (s) {
        memcpy (s, a, la);
        memcpy (s + la, b, lb + 1);
    }
    return s;
}


//  --------------------------------------------------------------------------
//  Rate window

void
log_window_add (log_check_t *self, int64_t now_ms, uint64_t count)
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

uint64_t
log_window_sum (const log_check_t *self, int64_t now_ms)
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

void
log_evidence_add (log_check_t *self, const char *line, size_t len, bool truncated)
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
void
log_evidence_emit (log_check_t *self, event_t *event)
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

void
log_state_reset (log_check_t *self)
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
void
log_state_load (log_check_t *self, bool verbose)
{
    self->state_loaded = true;
    if (!self->state_file)
        return;
    size_t size = 0;
    char *text = heal_read_file_private (self->state_file, LOG_STATE_MAX, &size);
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
                log_evidence_add (self, line, strlen (line), false);
        }
    }
    json_decref (root);
}

//  Write the state if it changed. Failures are logged; the check goes on
//  (it would re-read from the last saved offset after a restart).
void
log_state_save (log_check_t *self)
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
