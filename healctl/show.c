//  healctl show CHECK (and status CHECK) — one check in detail (issue 15):
//  its status entry, its last incidents (`history CHECK`) and the diagnosis
//  that covered it. Exit code: that check's severity.

#include "healctl.h"

#include <string.h>

#define SHOW_INCIDENTS 5        //  last incidents printed

static json_t *
s_entry (json_t *status, const char *name)
{
    json_t *checks = json_object_get (status, "checks");
    size_t i;
    json_t *entry;
    json_array_foreach (checks, i, entry) {
        const char *n = healctl_json_string (entry, "name");
        if (n && streq (n, name))
            return entry;
    }
    return NULL;
}

static void
s_evidence (json_t *list, const char *skip_prefix)
{
    size_t i;
    json_t *line;
    json_array_foreach (list, i, line) {
        const char *text = json_string_value (line);
        if (text && !(skip_prefix && strncmp (text, skip_prefix, strlen (skip_prefix)) == 0))
            printf ("             %s\n", text);
    }
}

static int
s_severity_code (const char *severity)
{
    if (!severity)
        return HEALCTL_EXIT_OK;         //  not run yet
    int s = severity_from_name (severity);
    return severity_exit_code (s < 0? SEVERITY_UNKNOWN: (severity_t) s);
}

int
healctl_show (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    if (argc != 1 || !heal_name_valid (argv [0])) {
        fprintf (stderr, "healctl: show: '%s' is not a check name "
                 "([A-Za-z0-9_-], 1 to 64 characters)\n", argc? argv [0]: "");
        return HEALCTL_EXIT_USAGE;
    }
    const char *name = argv [0];
    int64_t timeout = ctl->timeout_ms >= 0? ctl->timeout_ms: cmd->timeout_ms;
    json_t *status = NULL, *history = NULL, *diagnosis = NULL;
    const char *status_args [1] = { name };
    int rc = healctl_request (ctl, "status", status_args, 1, timeout, &status,
                              &ctl->elapsed_us);
    if (rc != HEALCTL_EXIT_OK)
        return rc;
    json_t *entry = s_entry (status, name);
    if (!entry) {
        fprintf (stderr, "healctl: show: the agent's status has no check '%s'\n", name);
        json_decref (status);
        return HEALCTL_EXIT_PROTOCOL;
    }
    const char *history_args [3] = { name, "604800", ctl->json? "200": "5" };
    if (healctl_request (ctl, "history", history_args, 3, timeout, &history,
                         &ctl->elapsed_us) != HEALCTL_EXIT_OK)
        history = NULL;         //  an older agent: show the rest
    if (healctl_request (ctl, "diagnosis", NULL, 0, timeout, &diagnosis,
                         &ctl->elapsed_us) != HEALCTL_EXIT_OK)
        diagnosis = NULL;
    const char *severity = healctl_json_string (entry, "severity");
    rc = s_severity_code (severity);
    if (ctl->json) {
        json_t *out = json_pack ("{s:O, s:O?, s:O?}", "check", entry,
                                 "history", history, "diagnosis", diagnosis);
        healctl_print_json (out, false);
        json_decref (out);
        goto done;
    }
    int64_t now = event_now_ms ();
    json_t *last = json_object_get (entry, "last");
    char ago [32];
    const char *kind = healctl_json_string (entry, "kind");
    bool critical = json_is_true (json_object_get (entry, "critical"));
    printf ("%s (%s%s)\n", name, kind? kind: "?", critical? ", critical": "");
    const char *description = healctl_json_string (entry, "description");
    if (description)
        printf ("  %s\n", description);
    healctl_relative_time (healctl_json_int (entry, "since", 0), now, ago, sizeof ago);
    printf ("  severity   %s%s%s since %s", healctl_severity_color (ctl, severity? severity: "unknown"),
            severity? severity: "pending", healctl_color_reset (ctl), ago);
    int64_t streak = healctl_json_int (entry, "streak", 0);
    if (streak > 1)
        printf (", %lld runs in a row", (long long) streak);
    printf ("\n");
    const char *blocked_by = healctl_json_string (entry, "blocked_by");
    if (blocked_by)
        printf ("  blocked    by %s (a check it depends on is failing: no remedy, "
                "no alert)\n", blocked_by);
    const char *message = healctl_json_string (entry, "message");
    printf ("  message    %s\n", message? message: "-");
    //  Why it was last healed: the failure the remedy fixed.
    json_t *evidence = json_object_get (last, "evidence");
    size_t i;
    json_t *line;
    json_array_foreach (evidence, i, line) {
        const char *text = json_string_value (line);
        if (text && strncmp (text, "before remedy: ", 15) == 0)
            printf ("  healed     because: %s\n", text + 15);
    }
    size_t shown = 0;
    json_array_foreach (evidence, i, line)
        shown += json_string_value (line)
              && strncmp (json_string_value (line), "before remedy: ", 15) != 0;
    if (shown) {
        printf ("  evidence\n");
        s_evidence (evidence, "before remedy: ");
    }
    json_t *remedy = json_object_get (last, "remedy");
    const char *remedy_output = healctl_json_string (remedy, "output");
    const char *remedy_result = healctl_json_string (remedy, "result");
    //  remedy null on a failing run (or, from an older agent, "skipped",
    //  attempt 0, no output): nothing is configured for it.
    bool failing = severity && !streq (severity, "ok") && !streq (severity, "healed")
                && !streq (severity, "blocked");
    if ((json_is_object (remedy) && healctl_json_int (remedy, "attempt", 0) == 0
    &&   !remedy_output && remedy_result && streq (remedy_result, "skipped"))
    ||  (last && json_is_null (remedy) && failing))
        printf ("  remedy     none configured for this failure\n");
    else
    if (json_is_object (remedy)) {
        const char *action = healctl_json_string (remedy, "action");
        const char *result = healctl_json_string (remedy, "result");
        printf ("  remedy     %s %s (attempt %lld, %lld ms)\n", action? action: "remedy",
                result? result: "?", (long long) healctl_json_int (remedy, "attempt", 0),
                (long long) healctl_json_int (remedy, "duration_ms", 0));
        if (remedy_output && *remedy_output)
            printf ("             %s\n", remedy_output);
    }
    json_t *budget = json_object_get (entry, "budget");
    if (json_is_object (budget)) {
        int64_t used = healctl_json_int (budget, "used", 0);
        int64_t attempts = healctl_json_int (budget, "attempts", 0);
        int64_t within = healctl_json_int (budget, "within_ms", 0);
        int64_t backoff = healctl_json_int (budget, "backoff_until", 0);
        printf ("  budget     %lld of %lld attempts left within %llds",
                (long long) (attempts > used? attempts - used: 0), (long long) attempts,
                (long long) (within / 1000));
        if (json_is_true (json_object_get (budget, "gave_up")))
            printf ("; gave up until it recovers (healctl heal %s retries now)", name);
        else
        if (backoff > now + 1000) {
            healctl_relative_time (backoff, now, ago, sizeof ago);
            printf ("; next attempt allowed %s", ago);
        }
        else
            printf ("; next attempt allowed now");
        printf ("\n");
    }
    json_t *depends = json_object_get (entry, "depends");
    if (json_is_array (depends) && json_array_size (depends)) {
        printf ("  depends on");
        json_array_foreach (depends, i, line)
            printf ("%s%s", i? ", ": " ", json_string_value (line)? json_string_value (line): "?");
        printf ("\n");
    }
    int64_t muted = healctl_json_int (entry, "muted_until", 0);
    if (muted > now) {
        healctl_relative_time (muted, now, ago, sizeof ago);
        printf ("  muted      until %s\n", ago);
    }
    int64_t interval = healctl_json_int (entry, "interval_ms", 0);
    int64_t ts = healctl_json_int (last, "ts", 0);
    if (json_is_true (json_object_get (entry, "running")))
        printf ("  next run   running now\n");
    else
    if (interval > 0 && ts > 0) {
        healctl_relative_time (ts + interval > now? ts + interval: now + 1, now, ago, sizeof ago);
        printf ("  next run   %s (every %llds)\n", ago, (long long) (interval / 1000));
    }
    printf ("  heals      %lld in the last 7 days\n",
            (long long) healctl_json_int (entry, "heals_7d", 0));
    json_t *incidents = json_object_get (history, "incidents");
    if (json_array_size (incidents)) {
        printf ("  incidents (last 7 days, newest first)\n");
        for (i = 0; i < json_array_size (incidents) && i < SHOW_INCIDENTS; i++)
            healctl_print_incident (ctl, json_array_get (incidents, i), false);
    }
    //  The diagnosis that covered it: one naming this check.
    json_t *checks = json_object_get (diagnosis, "checks");
    json_array_foreach (checks, i, line) {
        if (json_string_value (line) && streq (json_string_value (line), name)) {
            const char *summary = healctl_json_string (diagnosis, "summary");
            const char *cause = healctl_json_string (diagnosis, "root_cause");
            healctl_relative_time (healctl_json_int (diagnosis, "ts", 0), now, ago, sizeof ago);
            printf ("  diagnosis  (%s) %s\n", ago, summary? summary: "-");
            if (cause)
                printf ("             root cause: %s\n", cause);
            break;
        }
    }
done:
    json_decref (status);
    json_decref (history);
    json_decref (diagnosis);
    return rc;
}

int
healctl_status_run (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    if (argc == 1)
        return healctl_show (ctl, cmd, argc, argv);
    return healctl_request_run (ctl, cmd, argc, argv);
}
