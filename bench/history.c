//  bench/history — a year of synthetic history for CHECKS checks, through the
//  agent's own incident and counter code (incidents.c, history.c,
//  incident_file.c) with an injected clock, written to STATE_DIR (state.json,
//  incidents.jsonl*) for bench/history.sh to start an agent on. Then measures
//  what recording an incident costs.
//
//    history STATE_DIR CHECKS DAYS
//
//  Each check runs every 30 minutes of the synthetic year: a third of them
//  ("redis-like") are healed within one run about twice a day, the others
//  about once every ten days; each check has a multi-run incident (three
//  failing runs, then recovered) about once a week, and every tenth gives up
//  (budget spent) about once a month. The year ends now.
//
//  Prints: incidents=N files_bytes=N state_bytes=N
//          record_p50_us=.. record_p99_us=.. record_max_us=..   (a heal, closed and appended)
//          open_p50_us=.. open_p99_us=..                        (an incident opens)
//          save_ms=..                    (state.json written: what follows within a second)

#include "agent_impl.h"
#include "history.h"
#include "incidents.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define S_MAX_CHECKS 1000
#define S_RUN_MS     (30LL * 60 * 1000)
#define S_RECORDS    2000

static uint64_t s_seed = 0x9E3779B97F4A7C15ULL;

static uint64_t
s_rand (void)
{
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 7;
    s_seed ^= s_seed << 17;
    return s_seed;
}

//  true with probability 1 / n
static bool
s_one_in (uint64_t n)
{
    return s_rand () % n == 0;
}

static int64_t
s_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y? -1: x > y;
}

static json_t *
s_event (const char *severity, const char *message, const char *result, int attempt)
{
    json_t *event = json_pack ("{s:s, s:s, s:s, s:b, s:s, s:I, s:[s]}",
        "type", "check", "kind", "process", "check", "x", "critical", 1,
        "severity", severity, "duration_ms", (json_int_t) 112,
        "evidence", "before remedy: pid 4100 is gone (was listening on 127.0.0.1:6379)");
    json_object_set_new (event, "message", json_string (message));
    if (result)
        json_object_set_new (event, "remedy", json_pack ("{s:s, s:s, s:i, s:I, s:s}",
            "action", "start", "result", result, "attempt", attempt,
            "duration_ms", (json_int_t) 109,
            "output", "started redis-server (pid 4242), answering PING after 96 ms"));
    else
        json_object_set_new (event, "remedy", json_null ());
    return event;
}

//  One run of check at now, with event as its result.
static void
s_run (agent_t *self, agent_check_t *check, json_t *event, severity_t severity,
       const char *alert, int64_t now)
{
    check->last = event;
    const char *alerts [1] = { alert };
    incidents_run (self, check, severity, alerts, alert? 1: 0, now);
}

//  A positive integer argument, at most max; fallback when it is not one.
static int
s_arg (const char *text, int fallback, int max)
{
    char *end = NULL;
    long n = strtol (text, &end, 10);
    return end && !*end && n > 0 && n <= max? (int) n: fallback;
}

int main (int argc, char *argv []);

int
main (int argc, char *argv [])
{
    if (argc != 4) {
        fprintf (stderr, "usage: history STATE_DIR CHECKS DAYS\n");
        return 2;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    const char *dir = argv [1];
    int checks = s_arg (argv [2], 100, S_MAX_CHECKS);
    int days = s_arg (argv [3], 365, 3650);
    if (heal_mkdir_p (dir, 0700)) {
        fprintf (stderr, "history: cannot create %s\n", dir);
        return 1;
    }
    heal_config_t config;
    memset (&config, 0, sizeof config);
    config.interval_ms = 300 * 1000;
    agent_gen_t gen = { .config = &config };
    heal_check_config_t *cfgs = (heal_check_config_t *) calloc ((size_t) checks, sizeof *cfgs);
    agent_check_t *table = (agent_check_t *) calloc ((size_t) checks, sizeof *table);
    agent_t *self = (agent_t *) zmalloc (sizeof (agent_t));
    if (!cfgs || !table || !self)
        return 1;
    self->gen = &gen;
    self->checks = table;
    self->check_count = (size_t) checks;
    self->incidents_path = zsys_sprintf ("%s/incidents.jsonl", dir);
    char *state_path = zsys_sprintf ("%s/state.json", dir);
    for (int i = 0; i < checks; i++) {
        char name [32];
        snprintf (name, sizeof name, "c%d", i + 1);
        cfgs [i].name = strdup (name);
        cfgs [i].kind = (char *) "process";
        cfgs [i].critical = true;
        cfgs [i].interval_ms = S_RUN_MS;
        snprintf (table [i].name, sizeof table [i].name, "%s", name);
        table [i].cfg = &cfgs [i];
        table [i].index = (size_t) i;
        table [i].present = true;
    }
    json_t *ok = s_event ("ok", "pid 4242 answers PING", NULL, 0);
    json_t *healed = s_event ("healed", "pid 4242 answers PING", "healed", 1);
    json_t *failing = s_event ("critical", "connection refused on 127.0.0.1:6379",
                               "failed", 1);
    json_t *gave_up = s_event ("critical", "connection refused on 127.0.0.1:6379",
                               "gave_up", 3);
    incidents_start (self);

    //  The year, ending now. state_path unset: no state.json per opening.
    int64_t end = event_now_ms ();
    int64_t start = end - (int64_t) days * 86400 * 1000;
    int64_t runs_per_day = 86400LL * 1000 / S_RUN_MS;
    int *failing_left = (int *) calloc ((size_t) checks, sizeof (int));
    for (int64_t t = start; t < end; t += S_RUN_MS) {
        for (int i = 0; i < checks; i++) {
            agent_check_t *check = &table [i];
            int64_t now = t + i * 1000;     //  spread over the half hour
            if (failing_left [i] > 0) {
                failing_left [i]--;
                bool give_up = failing_left [i] == 0 && i % 10 == 9 && s_one_in (4);
                if (failing_left [i] > 0 || give_up)
                    s_run (self, check, give_up? gave_up: failing, SEVERITY_CRITICAL,
                           give_up? "gave_up": NULL, now);
                else
                    s_run (self, check, ok, SEVERITY_OK, "recovered", now);
                continue;
            }
            if (s_one_in (7 * (uint64_t) runs_per_day)) {
                failing_left [i] = 3;
                s_run (self, check, failing, SEVERITY_CRITICAL, "critical", now);
            }
            else
            if (s_one_in (i % 3 == 0? (uint64_t) runs_per_day / 2: 10 * (uint64_t) runs_per_day))
                s_run (self, check, healed, SEVERITY_HEALED, NULL, now);
            else
                s_run (self, check, ok, SEVERITY_OK, NULL, now);
        }
    }
    //  Close what is still open, so the measurements start clean.
    for (int i = 0; i < checks; i++)
        if (failing_left [i] > 0)
            s_run (self, &table [i], ok, SEVERITY_OK, "recovered", end);

    //  Recording an incident: a heal within one run (counted, closed,
    //  appended to incidents.jsonl). state.json follows lazily (1 s).
    self->state_path = state_path;
    state_save (self);
    static int64_t record [S_RECORDS];
    int64_t now = end;
    for (int n = 0; n < S_RECORDS; n++) {
        int64_t t0 = s_us ();
        s_run (self, &table [n % checks], healed, SEVERITY_HEALED, NULL, ++now);
        record [n] = s_us () - t0;
    }
    qsort (record, S_RECORDS, sizeof record [0], s_compare);
    //  Opening an incident (state.json follows within a second).
    static int64_t opening [20];
    for (int n = 0; n < 20; n++) {
        int64_t t0 = s_us ();
        s_run (self, &table [0], failing, SEVERITY_CRITICAL, "critical", ++now);
        opening [n] = s_us () - t0;
        s_run (self, &table [0], ok, SEVERITY_OK, "recovered", ++now);
    }
    qsort (opening, 20, sizeof opening [0], s_compare);
    for (int i = 0; i < checks; i++)
        table [i].last = ok;
    int64_t t0 = s_us ();
    state_save (self);
    int64_t save_us = s_us () - t0;

    //  The `history` reply, built (no socket): 7 days, every check.
    static int64_t reply [50];
    for (int n = 0; n < 50; n++) {
        int64_t r0 = s_us ();
        json_t *data = incidents_history_json (self, NULL, now - 7 * 86400LL * 1000, now,
                                               INCIDENTS_REPLY_MAX);
        reply [n] = s_us () - r0;
        json_decref (data);
    }
    qsort (reply, 50, sizeof reply [0], s_compare);

    struct stat st;
    int64_t state_bytes = stat (state_path, &st) == 0? (int64_t) st.st_size: -1;
    int64_t files = 0;
    for (int k = 0; k <= 2 * 8 + 1; k++) {
        char *path = k? zsys_sprintf ("%s.%d", self->incidents_path, k)
                      : strdup (self->incidents_path);
        if (path && stat (path, &st) == 0)
            files += (int64_t) st.st_size;
        zstr_free (&path);
    }
    printf ("incidents=%" PRId64 " files_bytes=%" PRId64 " state_bytes=%" PRId64 "\n",
            incidents_next_id (self) - 1, files, state_bytes);
    printf ("record_p50_us=%" PRId64 " record_p99_us=%" PRId64 " record_max_us=%" PRId64 "\n",
            record [S_RECORDS / 2], record [S_RECORDS * 99 / 100], record [S_RECORDS - 1]);
    printf ("open_p50_us=%" PRId64 " open_p99_us=%" PRId64 "\n", opening [10], opening [19]);
    printf ("save_ms=%.1f reply_p50_us=%" PRId64 " reply_p99_us=%" PRId64 "\n",
            (double) save_us / 1000.0, reply [25], reply [49]);

    for (int i = 0; i < checks; i++) {
        table [i].last = NULL;
        free (cfgs [i].name);
    }
    incidents_destroy (self);
    json_decref (ok);
    json_decref (healed);
    json_decref (failing);
    json_decref (gave_up);
    free (failing_left);
    free (self->incidents_path);
    free (state_path);
    free (self);
    free (table);
    free (cfgs);
    return 0;
}
