//  healctl client — one round trip with the agent's control socket through
//  libheal's control client (heal/control_call.h), worded for the operator
//  with healctl's exit codes, plus the small output helpers every command
//  shares.

#include "healctl.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

//  When nothing answers, say what we can about why.
static void
s_explain_silence (healctl_t *ctl, const char *cmd, const char *endpoint,
                   int64_t timeout_ms)
{
    fprintf (stderr, "healctl: %s: no answer from heal-agent at %s within %lld ms",
             cmd, endpoint, (long long) timeout_ms);
    if (strncmp (endpoint, "ipc://", 6) == 0) {
        struct stat st;
        if (stat (endpoint + 6, &st) != 0)
            fprintf (stderr, " (%s does not exist: is heal-agent running?)", endpoint + 6);
        else
            fprintf (stderr, " (is heal-agent running? a longer --timeout may help)");
    }
    else
        fprintf (stderr, " (is heal-agent running? a longer --timeout may help)");
    fprintf (stderr, "\n");
    (void) ctl;
}

bool
healctl_agent_absent (const char *cmd, const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) != 0)
        return false;
    struct stat st;
    if (stat (endpoint + 6, &st) == 0 || errno != ENOENT)
        return false;
    fprintf (stderr, "healctl: %s: heal-agent is not running: %s does not exist\n"
             "hint: start it with `heal-agent` (or `make run`, `make agents`), or name "
             "another agent with -c FILE or -e ENDPOINT\n", cmd, endpoint + 6);
    return true;
}

int
healctl_request (healctl_t *ctl, const char *cmd, const char *const *args,
                 size_t argc, int64_t timeout_ms, json_t **data, int64_t *elapsed_us)
{
    *data = NULL;
    //  An ipc socket file that is not there cannot answer: say so now
    //  instead of after the whole timeout.
    if (healctl_agent_absent (cmd, ctl->endpoint))
        return HEALCTL_EXIT_UNAVAILABLE;
    if (ctl->verbose)
        fprintf (stderr, "healctl: %s -> %s (timeout %lld ms)\n", cmd, ctl->endpoint,
                 (long long) timeout_ms);
    control_call_t call;
    int rc = HEALCTL_EXIT_SOFTWARE;
    switch (control_call (ctl->config, ctl->endpoint, cmd, args, argc, timeout_ms, &call)) {
        case CONTROL_CALL_OK:
            *data = call.data;
            call.data = NULL;
            if (elapsed_us)
                *elapsed_us = call.elapsed_us;
            rc = HEALCTL_EXIT_OK;
            break;
        case CONTROL_CALL_REFUSED: {
            //  The agent's errors already start with the command ("reload: ..."):
            //  print that prefix once.
            const char *error = call.error;
            size_t cmd_len = strlen (cmd);
            bool prefixed = error && strncmp (error, cmd, cmd_len) == 0
                         && error [cmd_len] == ':';
            fprintf (stderr, "healctl: %s%s%s\n", prefixed ? "" : cmd, prefixed ? "" : ": ",
                     error && *error ? error : "failed");
            rc = HEALCTL_EXIT_FAILED;
            break;
        }
        case CONTROL_CALL_NO_ANSWER:
            s_explain_silence (ctl, cmd, ctl->endpoint, timeout_ms);
            rc = HEALCTL_EXIT_UNAVAILABLE;
            break;
        case CONTROL_CALL_INTERRUPTED:
            rc = HEALCTL_EXIT_INTERRUPTED;
            break;
        case CONTROL_CALL_SOCKET:
            fprintf (stderr, "healctl: %s\n", call.detail);
            rc = HEALCTL_EXIT_SOFTWARE;
            break;
        case CONTROL_CALL_CONNECT:
            fprintf (stderr, "healctl: %s\n", call.detail);
            rc = HEALCTL_EXIT_USAGE;
            break;
        case CONTROL_CALL_ENCODE:
            fprintf (stderr, "healctl: %s: cannot encode the request\n", cmd);
            rc = HEALCTL_EXIT_USAGE;
            break;
        case CONTROL_CALL_PROTOCOL:
            fprintf (stderr, "healctl: %s: malformed reply from the agent: %s\n", cmd,
                     call.detail);
            rc = HEALCTL_EXIT_PROTOCOL;
            break;
    }
    control_call_reset (&call);
    return rc;
}

int
healctl_print_json (const json_t *value, bool compact)
{
    size_t flags = JSON_ENCODE_ANY | (compact ? JSON_COMPACT : JSON_INDENT (2));
    if (!value) {
        printf ("null\n");
        return 0;
    }
    char *text = json_dumps (value, flags);
    if (!text)
        return -1;
    printf ("%s\n", text);
    free (text);
    return 0;
}

void
healctl_relative_time (int64_t ts_ms, int64_t now_ms, char *buf, size_t len)
{
    if (ts_ms <= 0) {
        snprintf (buf, len, "-");
        return;
    }
    int64_t delta = (now_ms - ts_ms) / 1000;
    bool future = delta < 0;
    if (future)
        delta = -delta;
    const char *unit = "s";
    int64_t value = delta;
    if (delta >= 2 * 86400) {
        value = delta / 86400;
        unit = "d";
    }
    else
    if (delta >= 2 * 3600) {
        value = delta / 3600;
        unit = "h";
    }
    else
    if (delta >= 120) {
        value = delta / 60;
        unit = "m";
    }
    if (!future && delta < 1)
        snprintf (buf, len, "just now");
    else
    if (future)
        snprintf (buf, len, "in %lld%s", (long long) value, unit);
    else
        snprintf (buf, len, "%lld%s ago", (long long) value, unit);
}

const char *
healctl_severity_color (const healctl_t *ctl, const char *severity)
{
    if (!ctl->color || !severity)
        return "";
    if (streq (severity, "ok"))
        return "\033[32m";
    if (streq (severity, "healed"))
        return "\033[36m";
    if (streq (severity, "warning"))
        return "\033[33m";
    if (streq (severity, "critical"))
        return "\033[1;31m";
    if (streq (severity, "unknown"))
        return "\033[35m";
    return "";
}

const char *
healctl_color_reset (const healctl_t *ctl)
{
    return ctl->color ? "\033[0m" : "";
}

const char *
healctl_json_string (json_t *obj, const char *key)
{
    json_t *value = json_is_object (obj) ? json_object_get (obj, key) : NULL;
    return json_is_string (value) ? json_string_value (value) : NULL;
}

int64_t
healctl_json_int (json_t *obj, const char *key, int64_t fallback)
{
    json_t *value = json_is_object (obj) ? json_object_get (obj, key) : NULL;
    if (json_is_integer (value))
        return (int64_t) json_integer_value (value);
    if (json_is_real (value))
        return (int64_t) json_real_value (value);
    return fallback;
}
