//  healctl commands — the one table of commands, and how each prints its reply.
//
//  Every command but `watch` is one request to the agent's control socket
//  (SPEC "Control"). Arguments are checked here from the usage words in the
//  table: CHECK must be a valid check name, DURATION is turned into seconds.
//  The agent decides whether the check exists (unknown check: ok=false, exit 1).

#include "healctl.h"

#include <string.h>
#include <time.h>

//  The index-th word of a usage string ("CHECK DURATION") into buf ("" past the end).
static void
s_usage_word (const char *usage, int index, char *buf, size_t len)
{
    const char *p = usage ? usage : "";
    for (int i = 0; ; i++) {
        while (*p == ' ')
            p++;
        size_t n = strcspn (p, " ");
        if (i == index || n == 0) {
            snprintf (buf, len, "%.*s", (int) n, p);
            return;
        }
        p += n;
    }
}

//  Turn the command line arguments into request arguments, checked against
//  the usage words ("CHECK", "[CHECK]", "DURATION", "[PREFIX]").
static int
s_prepare_args (const healctl_command_t *cmd, int argc, char **argv,
                const char **args, char (*scratch) [32])
{
    for (int i = 0; i < argc; i++) {
        char what [32];
        s_usage_word (cmd->spec->usage, i, what, sizeof what);
        if (strstr (what, "CHECK") && !heal_name_valid (argv [i])) {
            fprintf (stderr, "healctl: %s: '%s' is not a check name "
                     "([A-Za-z0-9_-], 1 to 64 characters)\n", cmd->spec->name, argv [i]);
            return -1;
        }
        args [i] = argv [i];
        if (strstr (what, "DURATION")) {
            int64_t ms = 0;
            if (heal_parse_duration_ms (argv [i], &ms) || ms < 1000) {
                fprintf (stderr, "healctl: %s: '%s' is not a duration of at least 1s "
                         "(e.g. 90, 30s, 10m, 2h, 1d)\n", cmd->spec->name, argv [i]);
                return -1;
            }
            snprintf (scratch [i], sizeof scratch [i], "%lld", (long long) (ms / 1000));
            args [i] = scratch [i];
        }
        if (strlen (args [i]) > CONTROL_MAX_ARG) {
            fprintf (stderr, "healctl: %s: argument longer than %d bytes\n",
                     cmd->spec->name, CONTROL_MAX_ARG);
            return -1;
        }
    }
    return 0;
}

//  The generic runner: one request, then render (or JSON) the reply.
int
healctl_request_run (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    const char *args [CONTROL_MAX_ARGS];
    char scratch [CONTROL_MAX_ARGS][32];
    if (argc > CONTROL_MAX_ARGS || s_prepare_args (cmd, argc, argv, args, scratch))
        return HEALCTL_EXIT_USAGE;
    int64_t timeout = ctl->timeout_ms >= 0 ? ctl->timeout_ms : cmd->timeout_ms;
    if (ctl->timeout_ms < 0 && cmd->timeout_ms == HEALCTL_RUN_TIMEOUT_MS && ctl->config) {
        //  run/heal wait for the check: run, remedy, re-checks for the verify
        //  window. Leave room for the slowest configured check to do all.
        //  (An unset verify is the kind's default: at most 10 s.)
        for (size_t i = 0; i < ctl->config->check_count; i++) {
            const heal_check_config_t *check = &ctl->config->checks [i];
            int64_t verify = check->verify_given ? check->verify_ms : 10000;
            int64_t need = 3 * check->timeout_ms + verify + 5000;
            if (need > timeout && need <= HEALCTL_MAX_TIMEOUT_MS)
                timeout = need;
        }
    }
    json_t *data = NULL;
    int rc = healctl_request (ctl, cmd->spec->name, args, (size_t) argc, timeout, &data,
                              &ctl->elapsed_us);
    if (rc == HEALCTL_EXIT_OK) {
        if (ctl->json) {
            healctl_print_json (data, false);
            rc = cmd->exit_code ? cmd->exit_code (data) : HEALCTL_EXIT_OK;
        }
        else
        if (cmd->render)
            rc = cmd->render (ctl, cmd, data);
    }
    json_decref (data);
    return rc;
}

//  Fallback: a string as is, nothing as "ok", anything else as JSON.
static int
s_render_generic (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    (void) ctl;
    (void) cmd;
    if (!data || json_is_null (data))
        printf ("ok\n");
    else
    if (json_is_string (data))
        printf ("%s\n", json_string_value (data));
    else
        healctl_print_json (data, false);
    return HEALCTL_EXIT_OK;
}

static int
s_render_ping (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    (void) cmd;
    const char *word = json_is_string (data) ? json_string_value (data) : "pong";
    printf ("%s from heal-agent at %s in %.2f ms\n", word, ctl->endpoint,
            (double) ctl->elapsed_us / 1000.0);
    return HEALCTL_EXIT_OK;
}

//  ", KEY 3m ago" and then tail when data's key is a time (ms), else nothing.
static void
s_print_since (json_t *data, const char *key, const char *tail)
{
    int64_t ts = healctl_json_int (data, key, 0);
    if (ts <= 0)
        return;
    char ago [32];
    healctl_relative_time (ts, event_now_ms (), ago, sizeof ago);
    printf (", %s %s%s", key, ago, tail);
}

static int
s_render_version (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    (void) ctl;
    (void) cmd;
    printf ("healctl %s\n", HEAL_VERSION);
    const char *version = json_is_string (data) ? json_string_value (data)
                                                : healctl_json_string (data, "version");
    printf ("heal-agent %s", version ? version : "(unknown version)");
    int64_t pid = healctl_json_int (data, "pid", 0);
    const char *host = healctl_json_string (data, "host");
    if (host)
        printf (" on %s", host);
    if (pid > 0)
        printf (", pid %lld", (long long) pid);
    s_print_since (data, "started", "");
    printf ("\n");
    return HEALCTL_EXIT_OK;
}

static int
s_render_report (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    (void) ctl;
    (void) cmd;
    //  The report is JSON on disk; print it as such (indented).
    json_t *report = json_is_object (data) && json_object_get (data, "report")
                   ? json_object_get (data, "report") : data;
    if (json_is_string (report)) {
        //  Sent as the file's text: print it unchanged.
        const char *text = json_string_value (report);
        size_t len = strlen (text);
        printf ("%s%s", text, len && text [len - 1] == '\n' ? "" : "\n");
    }
    else
        healctl_print_json (report, false);
    return HEALCTL_EXIT_OK;
}

//  run and heal: the check(s) that ran, as a status table when the shape fits.
static int
s_render_run (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    if (json_is_object (data) && json_object_get (data, "checks"))
        return healctl_render_status (ctl, cmd, data);
    if (json_is_object (data) && json_object_get (data, "severity")) {
        json_t *wrap = json_pack ("{s:[O]}", "checks", data);
        int rc = healctl_render_status (ctl, cmd, wrap);
        json_decref (wrap);
        return rc;
    }
    if (json_is_array (data))
        return healctl_render_status (ctl, cmd, data);
    return s_render_generic (ctl, cmd, data);
}

static int
s_run_exit_code (json_t *data)
{
    if (json_is_object (data) && !json_object_get (data, "checks")
    &&  json_object_get (data, "severity")) {
        json_t *wrap = json_pack ("{s:[O]}", "checks", data);
        int rc = healctl_status_exit_code (wrap);
        json_decref (wrap);
        return rc;
    }
    return healctl_status_exit_code (data);
}

static int
s_render_mute (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    (void) ctl;
    (void) cmd;
    const char *check = healctl_json_string (data, "check");
    int64_t until = healctl_json_int (data, "until", 0);
    if (!until)
        until = healctl_json_int (data, "muted_until", 0);
    if (check && until > 0) {
        time_t secs = (time_t) (until / 1000);
        struct tm tm;
        char when [64] = "?";
        if (localtime_r (&secs, &tm))
            strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        printf ("muted %s until %s: it still runs, but no remedy and no alerts\n",
                check, when);
        return HEALCTL_EXIT_OK;
    }
    return s_render_generic (ctl, cmd, data);
}

static int
s_render_unmute (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    const char *check = healctl_json_string (data, "check");
    if (check) {
        printf ("unmuted %s\n", check);
        return HEALCTL_EXIT_OK;
    }
    return s_render_generic (ctl, cmd, data);
}

static int
s_render_reload (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    if (json_is_object (data)) {
        printf ("config reloaded");
        const char *file = healctl_json_string (data, "file");
        if (file)
            printf (" from %s", file);
        int64_t checks = healctl_json_int (data, "checks", -1);
        if (checks >= 0)
            printf (": %lld checks", (long long) checks);
        printf ("\n");
        return HEALCTL_EXIT_OK;
    }
    return s_render_generic (ctl, cmd, data);
}

static void
s_print_list (const char *title, json_t *list)
{
    if (!json_is_array (list) || json_array_size (list) == 0)
        return;
    printf ("%s:\n", title);
    size_t index;
    json_t *item;
    json_array_foreach (list, index, item)
        if (json_is_string (item))
            printf ("  - %s\n", json_string_value (item));
}

static int
s_render_diagnosis (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    if (!data || json_is_null (data)) {
        printf ("no diagnosis yet (heal-diagnoser publishes one when a critical "
                "check fails)\n");
        return HEALCTL_EXIT_OK;
    }
    json_t *diagnosis = json_object_get (data, "diagnosis");
    if (json_is_object (diagnosis))
        data = diagnosis;
    else
    if (diagnosis && json_is_null (diagnosis)) {
        printf ("no diagnosis yet (heal-diagnoser publishes one when a critical "
                "check fails)\n");
        return HEALCTL_EXIT_OK;
    }
    if (!json_is_object (data))
        return s_render_generic (ctl, cmd, data);
    char ago [32];
    healctl_relative_time (healctl_json_int (data, "ts", 0), event_now_ms (),
                           ago, sizeof ago);
    json_t *checks = json_object_get (data, "checks");
    printf ("diagnosis (%s", ago);
    const char *model = healctl_json_string (data, "model");
    if (model)
        printf (", %s", model);
    if (json_is_true (json_object_get (data, "cached")))
        printf (", cached");
    s_print_since (data, "resolved", ": every check it covered passes again");
    printf (")");
    if (json_is_array (checks)) {
        size_t index;
        json_t *item;
        json_array_foreach (checks, index, item)
            if (json_is_string (item))
                printf ("%s%s", index ? ", " : " of ", json_string_value (item));
    }
    printf ("\n");
    const char *error = healctl_json_string (data, "error");
    const char *summary = healctl_json_string (data, "summary");
    //  with a summary, error is a note on it (truncated, checks dropped)
    if (error && *error)
        printf (summary && *summary ? "note: %s\n" : "no diagnosis could be had: %s\n", error);
    const char *cause = healctl_json_string (data, "root_cause");
    const char *confidence = healctl_json_string (data, "confidence");
    //  A diagnosis that failed (Ollama down, a bad reply) carries an error and
    //  empty fields: print only what is there.
    if (summary && *summary)
        printf ("summary: %s\n", summary);
    if (cause && *cause)
        printf ("root cause: %s\n", cause);
    if (confidence && *confidence)
        printf ("confidence: %s\n", confidence);
    s_print_list ("operator checks", json_object_get (data, "operator_checks"));
    s_print_list ("related", json_object_get (data, "related"));
    return HEALCTL_EXIT_OK;
}

#define S_T HEALCTL_DEFAULT_TIMEOUT_MS

#define S_C(id) (&control_commands [CONTROL_CMD_ ## id])

const healctl_command_t healctl_commands [] = {
    { S_C (PING),      S_T, healctl_request_run, s_render_ping, NULL },
    { S_C (VERSION),   S_T, healctl_request_run, s_render_version, NULL },
    { S_C (STATUS),    S_T, healctl_status_run, healctl_render_status, healctl_status_exit_code },
    { S_C (REPORT),    S_T, healctl_request_run, s_render_report, NULL },
    { S_C (RUN),       HEALCTL_RUN_TIMEOUT_MS, healctl_request_run, s_render_run, s_run_exit_code },
    { S_C (HEAL),      HEALCTL_RUN_TIMEOUT_MS, healctl_request_run, s_render_run, s_run_exit_code },
    { S_C (MUTE),      S_T, healctl_request_run, s_render_mute, NULL },
    { S_C (UNMUTE),    S_T, healctl_request_run, s_render_unmute, NULL },
    { S_C (RELOAD),    S_T, healctl_request_run, s_render_reload, NULL },
    { S_C (DIAGNOSIS), S_T, healctl_request_run, s_render_diagnosis, NULL },
    { S_C (HISTORY),   S_T, healctl_history, NULL, NULL },
    { S_C (INCIDENTS), S_T, healctl_request_run, healctl_render_incidents, NULL },
    { S_C (SHOW),      S_T, healctl_show, NULL, NULL },
    { S_C (WATCH),     0, healctl_watch, NULL, NULL },
    { &healctl_local_specs [HEALCTL_SPEC_HELP], HEALCTL_LOCAL, healctl_help, NULL, NULL },
    { &healctl_local_specs [HEALCTL_SPEC_INIT], HEALCTL_LOCAL, healctl_init, NULL, NULL },
    { &healctl_local_specs [HEALCTL_SPEC_COMPLETION], HEALCTL_LOCAL, healctl_completion,
      NULL, NULL },
    { NULL, 0, NULL, NULL, NULL }
};

const healctl_command_t *
healctl_command_find (const char *name)
{
    for (const healctl_command_t *cmd = healctl_commands; cmd->spec; cmd++)
        if (streq (cmd->spec->name, name))
            return cmd;
    return NULL;
}

void
healctl_command_help (const healctl_command_t *cmd, FILE *out)
{
    char usage [128];
    control_command_usage (cmd->spec, usage, sizeof usage);
    fprintf (out, "usage: healctl [OPTIONS] %s\n\nhealctl %s: %s.\n\n%s\n",
             usage, cmd->spec->name, cmd->spec->summary, cmd->spec->help);
    fprintf (out, "\nOptions: -c FILE, -e ENDPOINT, --bus ENDPOINT, --json, "
             "--timeout MS, -v (see healctl -h).\n");
}
