//  check_file — a file or directory: exists, has the right type, is fresh
//  enough, is within a size range, has exactly the right permission bits.
//
//  Keys: path (required, absolute), type (file | dir; default: either),
//  max_age (duration: the file must have been written within it), min_size,
//  max_size (sizes, files only), mode (octal, e.g. 0644: the permission bits
//  must equal it).
//  Remedy: `create = true` makes a missing file (empty) or directory (with
//  its parents) with `mode` (default 0644 / 0755); it never touches a target
//  that exists. `run` (a command) handles every other failure, and a missing
//  target when create is off.
//  Metrics: size_bytes, age_s (seconds since the last write), mode.
//  Evidence: when it was last written (ISO 8601, UTC), its size and mode.

#include "check.h"
#include "kind_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef enum { FILE_ANY, FILE_REGULAR, FILE_DIR } file_type_t;

typedef struct {
    char *path;
    int type;                   //  file_type_t
    int64_t max_age_ms;         //  0 = no freshness check
    bool has_min_size, has_max_size;
    uint64_t min_size, max_size;
    bool has_mode;
    int64_t mode;
    bool create;
    char *run;
    bool last_missing;          //  what the last run saw (run and remedy
                                //  never overlap for one instance)
} file_check_t;

#define FILE_AT(field) HEAL_KEY_AT (file_check_t, field)

static const heal_key_word_t s_types [] = {
    { "file", FILE_REGULAR }, { "dir", FILE_DIR }, { "directory", FILE_DIR }, { NULL, 0 }
};

static const heal_key_t s_keys [] = {
    { .name = "path", .type = HEAL_KEY_PATH, .at = FILE_AT (path),
      .flags = HEAL_KEY_REQUIRED, .help = "the file or directory" },
    { .name = "type", .type = HEAL_KEY_ENUM, .at = FILE_AT (type),
      .words = s_types, .invalid = "'%s' is not file or dir", .help = "file or dir" },
    { .name = "max_age", .type = HEAL_KEY_DURATION, .at = FILE_AT (max_age_ms),
      .invalid = "'%s' is not a duration (e.g. 300, 30m, 6h, 2d)",
      .help = "must have been written within it" },
    { .name = "min_size", .type = HEAL_KEY_SIZE, .at = FILE_AT (min_size),
      .seen = FILE_AT (has_min_size),
      .invalid = "'%s' is not a size (e.g. 1, 10K, 5M)", .help = "regular files" },
    { .name = "max_size", .type = HEAL_KEY_SIZE, .at = FILE_AT (max_size),
      .seen = FILE_AT (has_max_size),
      .invalid = "'%s' is not a size (e.g. 100M, 2G)", .help = "regular files" },
    { .name = "mode", .type = HEAL_KEY_MODE, .at = FILE_AT (mode),
      .seen = FILE_AT (has_mode), .help = "the permission bits must equal it" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "create", .type = HEAL_KEY_BOOL, .at = FILE_AT (create), .def = "false",
      .help = "create a missing target" },
    { .name = "run", .type = HEAL_KEY_STRING, .at = FILE_AT (run),
      .max_len = KIND_MAX_COMMAND, .help = "command" },
    { .name = NULL }
};

//  The size bounds: min <= max, regular files only.
static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    file_check_t *self = (file_check_t *) self_;
    const char *file = config->file;
    if (self->has_min_size && self->has_max_size && self->min_size > self->max_size) {
        heal_config_error (err, errlen, file, check->name, "min_size",
                           "larger than max_size");
        return -1;
    }
    if ((self->has_min_size || self->has_max_size) && self->type == FILE_DIR) {
        heal_config_error (err, errlen, file, check->name,
                           self->has_min_size ? "min_size" : "max_size",
                           "only for type = file");
        return -1;
    }
    return 0;
}

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    (void) ctx;
    file_check_t *self = (file_check_t *) self_;
    event_t *ev = result->event;
    self->last_missing = false;
    struct stat st;
    if (stat (self->path, &st)) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            self->last_missing = true;
            kind_message (ev, "%s: missing", self->path);
            return CHECK_FAIL;
        }
        kind_message (ev, "%s: cannot stat: %s", self->path, strerror (e));
        return CHECK_UNKNOWN;
    }
    bool is_dir = S_ISDIR (st.st_mode), is_reg = S_ISREG (st.st_mode);
    //  The precise clock: time() reads glibc's coarse clock, which can still
    //  show the previous second and make a file a second younger than it is.
    int64_t now = event_now_ms () / 1000;
    int64_t age = now - (int64_t) st.st_mtime;
    if (age < 0)
        age = 0;
    unsigned bits = (unsigned) (st.st_mode & 07777);
    event_add_metric (ev, "size_bytes", (double) st.st_size);
    event_add_metric (ev, "age_s", (double) age);
    event_add_metric (ev, "mode", (double) bits);
    char when [40], ago [40];
    kind_iso8601 ((int64_t) st.st_mtime, when, sizeof when);
    kind_human_duration (age, ago, sizeof ago);
    kind_evidence (ev, "%s: %s, %lld bytes, mode %04o, last written %s (%s ago)",
                   self->path, is_dir ? "directory" : is_reg ? "file" : "special file",
                   (long long) st.st_size, bits, when, ago);

    if (self->type == FILE_REGULAR && !is_reg) {
        kind_message (ev, "%s: not a regular file", self->path);
        return CHECK_FAIL;
    }
    if (self->type == FILE_DIR && !is_dir) {
        kind_message (ev, "%s: not a directory", self->path);
        return CHECK_FAIL;
    }
    if (self->has_mode && bits != (unsigned) self->mode) {
        kind_message (ev, "%s: mode %04o, expected %04o", self->path, bits,
                      (unsigned) self->mode);
        return CHECK_FAIL;
    }
    if (self->max_age_ms > 0 && age * 1000 > self->max_age_ms) {
        char limit [40];
        kind_human_duration (self->max_age_ms / 1000, limit, sizeof limit);
        kind_message (ev, "%s: stale: last written %s ago (max_age %s)", self->path,
                      ago, limit);
        return CHECK_FAIL;
    }
    if (is_reg && self->has_min_size && (uint64_t) st.st_size < self->min_size) {
        kind_message (ev, "%s: %lld bytes, below min_size %llu", self->path,
                      (long long) st.st_size, (unsigned long long) self->min_size);
        return CHECK_FAIL;
    }
    if (is_reg && self->has_max_size && (uint64_t) st.st_size > self->max_size) {
        kind_message (ev, "%s: %lld bytes, above max_size %llu", self->path,
                      (long long) st.st_size, (unsigned long long) self->max_size);
        return CHECK_FAIL;
    }
    if (self->max_age_ms > 0)
        kind_message (ev, "%s: fresh (written %s ago)", self->path, ago);
    else
        kind_message (ev, "%s: ok", self->path);
    return CHECK_OK;
}

//  Create the missing target. Returns 0 or -1 with a reason in why.
static int
s_create (file_check_t *self, char *why, size_t len)
{
    bool dir = self->type == FILE_DIR;
    mode_t mode = self->has_mode ? self->mode : dir ? 0755 : 0644;
    //  parents: private unless told otherwise
    char parent [4096];
    snprintf (parent, sizeof parent, "%s", self->path);
    char *slash = strrchr (parent, '/');
    if (slash && slash != parent) {
        *slash = 0;
        if (heal_mkdir_p (parent, 0755)) {
            snprintf (why, len, "mkdir -p %.1000s: %s", parent, strerror (errno));
            return -1;
        }
    }
    if (dir) {
        if (mkdir (self->path, mode) && errno != EEXIST) {
            snprintf (why, len, "mkdir %.1000s: %s", self->path, strerror (errno));
            return -1;
        }
    }
    else {
        //  O_EXCL: never truncate something that appeared meanwhile
        int fd = open (self->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                       mode);
        if (fd < 0 && errno != EEXIST) {
            snprintf (why, len, "create %.1000s: %s", self->path, strerror (errno));
            return -1;
        }
        if (fd >= 0)
            close (fd);
    }
    //  umask may have removed bits the operator asked for
    if (self->has_mode && chmod (self->path, self->mode)) {
        snprintf (why, len, "chmod %04o %.1000s: %s", (unsigned) self->mode, self->path,
                  strerror (errno));
        return -1;
    }
    snprintf (why, len, "created %s %.1000s (mode %04o)", dir ? "directory" : "file",
              self->path, (unsigned) mode);
    return 0;
}

static remedy_status_t
s_remedy (void *self_, const check_ctx_t *ctx, const check_result_t *failed,
          event_remedy_t *out)
{
    (void) failed;
    file_check_t *self = (file_check_t *) self_;
    if (self->last_missing && self->create) {
        event_set_string (&out->action, "create", EVENT_MAX_SHORT);
        char why [EVENT_MAX_TEXT];
        int rc = s_create (self, why, sizeof why);
        event_set_string (&out->output, why, EVENT_MAX_TEXT);
        return rc ? REMEDY_FAILED : REMEDY_DONE;
    }
    return kind_remedy_run (ctx, self->run, out);
}

const check_kind_t check_kind_file = {
    .name = "file",
    .size = sizeof (file_check_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .setup = s_setup,
    .run = s_run,
    .remedy = s_remedy,
};
