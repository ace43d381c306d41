//  healctl history — what heal did (issue 15): a first line in words, the
//  per-check counters, then the incidents, newest first. The agent's
//  `history` reply (schemas/control-commands.md) is read leniently.

#include "healctl.h"

#include <string.h>
#include <time.h>

#define HISTORY_DEFAULT_SINCE "7d"
#define HISTORY_MAX_SINCE_MS  (90LL * 86400 * 1000)
#define HISTORY_TEXT_INCIDENTS 50   //  incidents printed as text (--json: all)

//  "7 days", "12 hours", "30 minutes", "day" (for "the last day").
static void
s_span_words (int64_t ms, char *buf, size_t len)
{
    static const struct { int64_t ms; const char *one; } units [] = {
        { 86400000, "day" }, { 3600000, "hour" }, { 60000, "minute" }, { 1000, "second" }
    };
    for (size_t i = 0; i < sizeof units / sizeof units [0]; i++) {
        if (ms % units [i].ms == 0 || i == 3) {
            int64_t n = ms / units [i].ms;
            if (n == 1)
                snprintf (buf, len, "%s", units [i].one);
            else
                snprintf (buf, len, "%lld %ss", (long long) n, units [i].one);
            return;
        }
    }
}

//  "3d 4h", "12m", "45s", "-" for 0.
static void
s_duration (int64_t ms, char *buf, size_t len)
{
    int64_t s = ms / 1000;
    if (ms <= 0)
        snprintf (buf, len, "-");
    else
    if (ms < 1000)
        snprintf (buf, len, "%lldms", (long long) ms);
    else
    if (s < 120)
        snprintf (buf, len, "%llds", (long long) s);
    else
    if (s < 2 * 3600)
        snprintf (buf, len, "%lldm", (long long) (s / 60));
    else
    if (s < 2 * 86400)
        snprintf (buf, len, "%lldh %lldm", (long long) (s / 3600), (long long) (s % 3600 / 60));
    else
        snprintf (buf, len, "%lldd %lldh", (long long) (s / 86400), (long long) (s % 86400 / 3600));
}

static void
s_times (int64_t n, char *buf, size_t len)
{
    if (n == 1)
        snprintf (buf, len, "once");
    else
    if (n == 2)
        snprintf (buf, len, "twice");
    else
        snprintf (buf, len, "%lld times", (long long) n);
}

//  " (redis 9, ollama 5)": checks with key > 0, most first.
#define HISTORY_WHO_MAX 5       //  checks named in the first line

static void
s_who (json_t *checks, const char *key, char *buf, size_t len)
{
    size_t used = 0;
    buf [0] = 0;
    json_t *done = json_object ();
    size_t named = 0, others = 0;
    const char *n_;
    json_t *e_;
    json_object_foreach (checks, n_, e_)
        others += healctl_json_int (e_, key, 0) > 0;
    while (named < HISTORY_WHO_MAX) {
        const char *best = NULL;
        int64_t most = 0;
        const char *name;
        json_t *entry;
        json_object_foreach (checks, name, entry) {
            int64_t n = healctl_json_int (entry, key, 0);
            if (n > most && !json_object_get (done, name)) {
                most = n;
                best = name;
            }
        }
        if (!best)
            break;
        json_object_set_new (done, best, json_true ());
        int n;
        if (streq (key, "gave_up") && most == 1)
            n = snprintf (buf + used, len - used, "%s%s", used? ", ": " (", best);
        else
            n = snprintf (buf + used, len - used, "%s%s %lld", used? ", ": " (", best,
                          (long long) most);
        if (n < 0 || (size_t) n >= len - used - 2) {
            snprintf (buf + used, len - used, ", ...");
            used = strlen (buf);
            break;
        }
        used += (size_t) n;
        named++;
    }
    if (used && others > named)
        snprintf (buf + used, len - used, ", %zu more)", others - named);
    else
    if (used)
        snprintf (buf + used, len - used, ")");
    json_decref (done);
}

//  The first line: "heal healed 14 problems in the last 7 days (redis 9,
//  ollama 5); it gave up once (tunnel)."
static void
s_headline (json_t *data, int64_t since_ms)
{
    json_t *checks = json_object_get (data, "checks");
    int64_t heals = 0, gave_up = 0;
    const char *name;
    json_t *entry;
    json_object_foreach (checks, name, entry) {
        heals += healctl_json_int (entry, "heals", 0);
        gave_up += healctl_json_int (entry, "gave_up", 0);
    }
    char span [48];
    s_span_words (since_ms, span, sizeof span);
    char who [512];
    if (heals == 0)
        printf ("heal healed nothing in the last %s", span);
    else {
        s_who (checks, "heals", who, sizeof who);
        printf ("heal healed %lld problem%s in the last %s%s", (long long) heals,
                heals == 1? "": "s", span, who);
    }
    if (gave_up) {
        char times [32];
        s_times (gave_up, times, sizeof times);
        s_who (checks, "gave_up", who, sizeof who);
        printf ("; it gave up %s%s", times, who);
    }
    printf (".\n");
}

static void
s_when (int64_t ts, char *buf, size_t len)
{
    time_t secs = (time_t) (ts / 1000);
    struct tm tm;
    if (ts <= 0 || !localtime_r (&secs, &tm) || !strftime (buf, len, "%Y-%m-%d %H:%M", &tm))
        snprintf (buf, len, "-");
}

//  One incident as a line (and its remedies indented under it).
void
healctl_print_incident (healctl_t *ctl, json_t *incident, bool with_check)
{
    (void) ctl;
    char opened [32], took [32];
    s_when (healctl_json_int (incident, "opened", 0), opened, sizeof opened);
    s_duration (healctl_json_int (incident, "duration_ms", 0), took, sizeof took);
    int64_t id = healctl_json_int (incident, "id", 0);
    const char *outcome = healctl_json_string (incident, "outcome");
    const char *message = healctl_json_string (incident, "message");
    char label [32];
    if (id > 0)
        snprintf (label, sizeof label, "#%lld", (long long) id);
    else
        snprintf (label, sizeof label, "open");
    printf ("  %-6s %s  %s%s%-9s %-8s %s\n", label, opened,
            with_check? healctl_json_string (incident, "check"): "",
            with_check? " ": "", outcome? outcome: "?", took,
            message? message: "");
    json_t *remedies = json_object_get (incident, "remedies");
    size_t i;
    json_t *remedy;
    json_array_foreach (remedies, i, remedy) {
        const char *action = healctl_json_string (remedy, "action");
        const char *result = healctl_json_string (remedy, "result");
        printf ("           remedy %s: %s (%lld ms)\n", action? action: "remedy",
                result? result: "?", (long long) healctl_json_int (remedy, "duration_ms", 0));
    }
}

//  SINCE: a duration ("7d", "12h", "3600" seconds) into ms.
static int
s_since_ms (const char *text, int64_t *ms)
{
    if (heal_parse_duration_ms (text, ms) || *ms < 1000 || *ms > HISTORY_MAX_SINCE_MS) {
        fprintf (stderr, "healctl: history: '%s' is not a duration from 1s to 90d "
                 "(e.g. 30m, 12h, 7d)\n", text);
        return -1;
    }
    return 0;
}

int
healctl_history (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    const char *check = NULL;
    const char *since_text = ctl->since? ctl->since: HISTORY_DEFAULT_SINCE;
    if (argc > 2) {
        fprintf (stderr, "healctl: history: expected [CHECK] [SINCE], got %d arguments\n", argc);
        return HEALCTL_EXIT_USAGE;
    }
    if (argc >= 1)
        check = argv [0];
    if (argc >= 2) {
        if (ctl->since) {
            fprintf (stderr, "healctl: history: SINCE given twice (argument and --since)\n");
            return HEALCTL_EXIT_USAGE;
        }
        since_text = argv [1];
    }
    if (check && !heal_name_valid (check)) {
        fprintf (stderr, "healctl: history: '%s' is not a check name "
                 "([A-Za-z0-9_-], 1 to 64 characters)\n", check);
        return HEALCTL_EXIT_USAGE;
    }
    int64_t since_ms = 0;
    if (s_since_ms (since_text, &since_ms))
        return HEALCTL_EXIT_USAGE;
    char seconds [32];
    snprintf (seconds, sizeof seconds, "%lld", (long long) (since_ms / 1000));
    //  As text, only what is printed is asked for.
    char limit [16];
    snprintf (limit, sizeof limit, "%d", ctl->json? 200: HISTORY_TEXT_INCIDENTS + 1);
    const char *args [3] = { check? check: "*", seconds, limit };
    json_t *data = NULL;
    int64_t timeout = ctl->timeout_ms >= 0? ctl->timeout_ms: cmd->timeout_ms;
    int rc = healctl_request (ctl, "history", args, 3, timeout, &data, &ctl->elapsed_us);
    if (rc != HEALCTL_EXIT_OK)
        return rc;
    if (!json_is_object (data)) {
        fprintf (stderr, "healctl: history: malformed reply\n");
        json_decref (data);
        return HEALCTL_EXIT_PROTOCOL;
    }
    if (ctl->json) {
        healctl_print_json (data, false);
        json_decref (data);
        return HEALCTL_EXIT_OK;
    }
    s_headline (data, since_ms);
    json_t *checks = json_object_get (data, "checks");
    if (json_object_size (checks)) {
        printf ("\n%-20s %6s %9s %8s %9s %10s %8s\n", "CHECK", "HEALS", "FAILURES",
                "GAVE_UP", "REMEDIES", "DOWN", "MTTR");
        const char *name;
        json_t *entry;
        json_object_foreach (checks, name, entry) {
            char down [32], mttr [32];
            s_duration (healctl_json_int (entry, "down_ms", 0), down, sizeof down);
            s_duration (healctl_json_int (entry, "mttr_ms", 0), mttr, sizeof mttr);
            printf ("%-20s %6lld %9lld %8lld %9lld %10s %8s\n", name,
                    (long long) healctl_json_int (entry, "heals", 0),
                    (long long) healctl_json_int (entry, "failures", 0),
                    (long long) healctl_json_int (entry, "gave_up", 0),
                    (long long) healctl_json_int (entry, "remedies", 0), down, mttr);
        }
    }
    json_t *incidents = json_object_get (data, "incidents");
    size_t count = json_array_size (incidents);
    if (count) {
        printf ("\nincidents, newest first:\n");
        for (size_t i = 0; i < count && i < HISTORY_TEXT_INCIDENTS; i++)
            healctl_print_incident (ctl, json_array_get (incidents, i), check == NULL);
        if (count > HISTORY_TEXT_INCIDENTS || json_is_true (json_object_get (data, "more")))
            printf ("  ... more: see healctl history --json, or a shorter --since\n");
    }
    else
        printf ("\nno incidents in the last %s\n", since_text);
    json_decref (data);
    return HEALCTL_EXIT_OK;
}

int
healctl_render_incidents (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    (void) ctl;
    (void) cmd;
    healctl_print_json (data, false);
    return HEALCTL_EXIT_OK;
}
