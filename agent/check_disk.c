//  check_disk — free space and free inodes of the file system holding a path.
//
//  Keys: path (required), min_free ("10%" or "5G"; default 10% when neither
//  threshold is given), min_inodes_free (a count or "5%").
//  Remedy: `run` (a command), optional. Nothing built in: heal never deletes
//  files it was not told about.
//  Metrics: free_bytes, total_bytes, free_pct, free_inodes, total_inodes,
//  free_inodes_pct. free_pct is what df shows as 100 - Use%: the space an
//  unprivileged user can still write over the space not reserved for root.
//  The figures come from platform_disk_stats: on macOS, free space does not
//  count purgeable space, and APFS inode limits are not checked (docs/macos.md).

#include "check.h"
#include "kind_util.h"
#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *path;
    bool has_free;
    heal_size_pct_t min_free;
    bool has_inodes;
    heal_size_pct_t min_inodes;
    char *run;                  //  remedy command or NULL
} disk_t;

#define DISK_AT(field) HEAL_KEY_AT (disk_t, field)
#define DISK_DEFAULT_MIN_FREE_PCT 10    //  when neither threshold is given

static const heal_key_t s_keys [] = {
    { .name = "path", .type = HEAL_KEY_PATH, .at = DISK_AT (path),
      .flags = HEAL_KEY_REQUIRED, .help = "a path on the file system to watch" },
    { .name = "min_free", .type = HEAL_KEY_SIZE_PCT, .at = DISK_AT (min_free),
      .seen = DISK_AT (has_free),
      .help = "free space at least (default 10% when neither threshold is given)" },
    { .name = "min_inodes_free", .type = HEAL_KEY_COUNT_PCT, .at = DISK_AT (min_inodes),
      .seen = DISK_AT (has_inodes), .help = "free inodes at least" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "run", .type = HEAL_KEY_STRING, .at = DISK_AT (run),
      .max_len = KIND_MAX_COMMAND, .help = "command" },
    { .name = NULL }
};

//  "1.5 GiB" style into buf.
static void
s_bytes (uint64_t bytes, char *buf, size_t len)
{
    const char *units [] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    double v = (double) bytes;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf (buf, len, "%llu B", (unsigned long long) bytes);
    else
        snprintf (buf, len, "%.1f %s", v, units [u]);
}

//  No threshold given: min_free 10%.
static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    (void) config, (void) check, (void) err, (void) errlen;
    disk_t *self = (disk_t *) self_;
    if (!self->has_free && !self->has_inodes) {
        self->has_free = true;
        self->min_free.is_percent = true;
        self->min_free.percent = DISK_DEFAULT_MIN_FREE_PCT;
    }
    return 0;
}

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    (void) ctx;
    disk_t *self = (disk_t *) self_;
    event_t *ev = result->event;
    platform_disk_t st;
    if (platform_disk_stats (self->path, &st)) {
        kind_message (ev, "%s: cannot read the file system: %s", self->path,
                      strerror (errno));
        return CHECK_UNKNOWN;
    }
    uint64_t total = st.total_bytes;
    uint64_t avail = st.avail_bytes;
    uint64_t used = st.used_bytes;
    double free_pct = used + avail ? 100.0 * (double) avail / (double) (used + avail) : 100.0;
    uint64_t inodes = st.inodes;
    uint64_t inodes_free = st.inodes_free;
    double inodes_pct = inodes ? 100.0 * (double) inodes_free / (double) inodes : 100.0;

    event_add_metric (ev, "free_bytes", (double) avail);
    event_add_metric (ev, "total_bytes", (double) total);
    event_add_metric (ev, "free_pct", free_pct);
    event_add_metric (ev, "free_inodes", (double) inodes_free);
    event_add_metric (ev, "total_inodes", (double) inodes);
    event_add_metric (ev, "free_inodes_pct", inodes_pct);

    char free_text [32], total_text [32], need [48] = "";
    s_bytes (avail, free_text, sizeof free_text);
    s_bytes (total, total_text, sizeof total_text);
    kind_evidence (ev, "%s: %s free of %s (%.1f%%), %llu of %llu inodes free",
                   self->path, free_text, total_text, free_pct,
                   (unsigned long long) inodes_free, (unsigned long long) inodes);

    bool low_space = false, low_inodes = false;
    if (self->has_free) {
        if (self->min_free.is_percent) {
            low_space = free_pct < self->min_free.percent;
            snprintf (need, sizeof need, "%g%%", self->min_free.percent);
        }
        else {
            low_space = avail < self->min_free.bytes;
            s_bytes (self->min_free.bytes, need, sizeof need);
        }
    }
    char need_inodes [48] = "";
    //  Some file systems (btrfs, ZFS datasets) report no inode counts at all;
    //  APFS makes them up from free space (and they can wrap): no alert on
    //  either, and the event says so.
    if (self->has_inodes && st.inodes_synthetic)
        kind_evidence (ev, "min_inodes_free not checked: %s inode counts are synthetic",
                       st.fstype);
    if (self->has_inodes && platform_disk_inodes_checkable (&st)) {
        if (self->min_inodes.is_percent) {
            low_inodes = inodes_pct < self->min_inodes.percent;
            snprintf (need_inodes, sizeof need_inodes, "%g%%", self->min_inodes.percent);
        }
        else {
            low_inodes = inodes_free < self->min_inodes.bytes;
            snprintf (need_inodes, sizeof need_inodes, "%llu",
                      (unsigned long long) self->min_inodes.bytes);
        }
    }
    if (low_space) {
        kind_message (ev, "%s: only %s free (%.1f%%), below min_free %s", self->path,
                      free_text, free_pct, need);
        return CHECK_FAIL;
    }
    if (low_inodes) {
        kind_message (ev, "%s: only %llu inodes free (%.1f%%), below min_inodes_free %s",
                      self->path, (unsigned long long) inodes_free, inodes_pct,
                      need_inodes);
        return CHECK_FAIL;
    }
    kind_message (ev, "%s: %s free (%.1f%%)", self->path, free_text, free_pct);
    return CHECK_OK;
}

const check_kind_t check_kind_disk = {
    .name = "disk",
    .size = sizeof (disk_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .setup = s_setup,
    .run = s_run,
    .run_at = DISK_AT (run),
};
