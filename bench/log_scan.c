//  log_scan — benchmark program for the `log` check kind (bench/log_scan.sh).
//
//    log_scan gen FILE MB PERCENT   write a synthetic log of MB MiB where
//                                   PERCENT % of the lines contain ERROR
//    log_scan scan FILE PATTERN STATE_DIR
//                                   configure a log check (from_start = true),
//                                   time one full scan of FILE (the kind's run),
//                                   then time REPEAT rescans of the unchanged
//                                   file; prints "matches N seconds S" and
//                                   "rescan_us min M median D".
//  The check is driven through its descriptor, exactly as the agent does.

#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const check_kind_t check_kind_log;

#define RESCANS 200

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
s_gen (const char *file, long mb, long percent)
{
    FILE *out = fopen (file, "w");
    if (!out) {
        fprintf (stderr, "log_scan: %s: %s\n", file, strerror (errno));
        return 1;
    }
    static const char *paths [] = { "/api/v1/users", "/api/v1/orders/123", "/health",
                                    "/static/app.js", "/api/v2/search?q=abc" };
    static const char *errors [] = { "ERROR upstream timed out", "ERROR db: connection refused",
                                     "ERROR disk full writing cache" };
    unsigned long long want = (unsigned long long) mb * 1024 * 1024, written = 0;
    unsigned long seed = 12345;
    char line [512];
    while (written < want) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned) (seed >> 33);
        int n;
        if ((long) (r % 1000) < percent * 10)
            n = snprintf (line, sizeof line,
                          "2026-11-28T05:%02u:%02u.%03uZ web-1 app[%u]: %s id=%08x\n",
                          r % 60, (r >> 6) % 60, r % 1000, 1000 + r % 9000,
                          errors [r % 3], r);
        else
            n = snprintf (line, sizeof line,
                          "2026-11-28T05:%02u:%02u.%03uZ web-1 app[%u]: INFO request "
                          "id=%08x method=GET path=%s status=200 took=%ums bytes=%u\n",
                          r % 60, (r >> 6) % 60, r % 1000, 1000 + r % 9000, r,
                          paths [r % 5], r % 500, r % 100000);
        if (fwrite (line, 1, (size_t) n, out) != (size_t) n) {
            fclose (out);
            return 1;
        }
        written += (unsigned long long) n;
    }
    return fclose (out) ? 1 : 0;
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static int
s_scan (const char *file, const char *pattern, const char *state_dir)
{
    char text [8192];
    snprintf (text, sizeof text,
              "agent\n    state_dir = \"%s\"\n"
              "check = bench\n    kind = log\n    path = \"%s\"\n    pattern = \"%s\"\n"
              "    from_start = true\n",
              state_dir, file, pattern);
    char err [CONFIG_ERROR_MAX];
    heal_config_t *config = heal_config_load_text (text, "bench.conf", err, sizeof err);
    if (!config) {
        fprintf (stderr, "log_scan: %s\n", err);
        return 1;
    }
    void *check = check_configure (&check_kind_log, config, &config->checks [0],
                                   err, sizeof err);
    if (!check) {
        fprintf (stderr, "log_scan: %s\n", err);
        heal_config_destroy (&config);
        return 1;
    }
    check_ctx_t ctx;
    memset (&ctx, 0, sizeof ctx);
    ctx.name = "bench";
    ctx.config = config;
    ctx.check = &config->checks [0];
    double matches = -1;
    double seconds = 0;
    double rescans [RESCANS];
    for (int i = 0; i <= RESCANS; i++) {
        check_result_t result;
        memset (&result, 0, sizeof result);
        result.event = event_new (EVENT_CHECK);
        ctx.deadline_ms = heal_monotonic_ms () + 600 * 1000;
        double t0 = s_now ();
        check_kind_log.run (check, &ctx, &result);
        double t = s_now () - t0;
        if (i == 0) {
            seconds = t;
            for (size_t m = 0; m < result.event->metric_count; m++)
                if (streq (result.event->metrics [m].name, "new_matches"))
                    matches = result.event->metrics [m].value;
        }
        else
            rescans [i - 1] = t;
        event_destroy (&result.event);
    }
    qsort (rescans, RESCANS, sizeof (double), s_cmp);
    printf ("matches %.0f seconds %.3f\n", matches, seconds);
    printf ("rescan_us min %.1f median %.1f max %.1f\n", rescans [0] * 1e6,
            rescans [RESCANS / 2] * 1e6, rescans [RESCANS - 1] * 1e6);
    check_destroy (&check_kind_log, &check);
    heal_config_destroy (&config);
    return 0;
}

int
main (int argc, char *argv [])
{
    if (argc == 5 && streq (argv [1], "gen"))
        return s_gen (argv [2], strtol (argv [3], NULL, 10), strtol (argv [4], NULL, 10));
    if (argc == 5 && streq (argv [1], "scan"))
        return s_scan (argv [2], argv [3], argv [4]);
    fprintf (stderr, "usage: log_scan gen FILE MB PERCENT | scan FILE PATTERN STATE_DIR\n");
    return 64;
}
