//  check_command — run a Nagios-style plugin and read its verdict.
//
//  Keys: run (required: a command line for /bin/sh, with the config's PATH).
//  The check's `timeout` bounds it; a plugin that times out is `unknown`.
//  Remedy: `run` (a command), optional.
//
//  The plugin contract (Nagios plugin guidelines, as monitoring-plugins do):
//  exit 0 ok, 1 warning, 2 critical, 3 unknown (anything else: unknown).
//  The first line of output is the message; after a `|` on it comes perfdata.
//  Later lines are long output (our evidence) until a line holding `|`, after
//  which everything is perfdata. Perfdata items are separated by spaces:
//      label=value[UOM];[warn];[crit];[min];[max]
//  with labels quoted in single quotes when they hold spaces or `=`, and ''
//  for a quote inside them. Each item becomes a metric `label` = value (units
//  as written: "s", "%", "B", "KB", "c"...); a value of U (unknown) is skipped.

#include "check.h"
#include "heal/command.h"
#include "kind_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND_KIND_MAX_LABEL  128         //  bytes of a perfdata label

typedef struct {
    char *run;
    char *remedy_run;
} command_check_t;

static const heal_key_t s_keys [] = {
    { .name = "run", .type = HEAL_KEY_STRING, .at = HEAL_KEY_AT (command_check_t, run),
      .flags = HEAL_KEY_REQUIRED, .max_len = KIND_MAX_COMMAND,
      .help = "the plugin's command line" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "run", .type = HEAL_KEY_STRING,
      .at = HEAL_KEY_AT (command_check_t, remedy_run), .max_len = KIND_MAX_COMMAND,
      .help = "command" },
    { .name = NULL }
};

//  Parse perfdata text into metrics on ev. Malformed items are skipped (the
//  plugin's problem, not a reason to lose its verdict). Returns items parsed.
int command_parse_perfdata (event_t *ev, const char *text);

int
command_parse_perfdata (event_t *ev, const char *text)
{
    int parsed = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        char label [COMMAND_KIND_MAX_LABEL + 1];
        size_t len = 0;
        bool ok = true;
        if (*p == '\'') {
            p++;
            while (*p) {
                if (*p == '\'' && p [1] == '\'') {
                    if (len < COMMAND_KIND_MAX_LABEL)
                        label [len++] = '\'';
                    p += 2;
                }
                else
                if (*p == '\'') {
                    p++;
                    break;
                }
                else {
                    if (len < COMMAND_KIND_MAX_LABEL)
                        label [len++] = *p;
                    p++;
                }
            }
        }
        else
            while (*p && *p != '=' && *p != ' ' && *p != '\t') {
                if (len < COMMAND_KIND_MAX_LABEL)
                    label [len++] = *p;
                p++;
            }
        label [len] = 0;
        if (*p != '=' || len == 0)
            ok = false;
        else
            p++;
        //  the item runs to the next space
        const char *item = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (!ok)
            continue;
        char value [64];
        size_t vlen = (size_t) (p - item);
        const char *semi = memchr (item, ';', vlen);
        if (semi)
            vlen = (size_t) (semi - item);
        if (vlen == 0 || vlen >= sizeof value)
            continue;
        memcpy (value, item, vlen);
        value [vlen] = 0;
        if (streq (value, "U"))
            continue;
        //  the number, then an optional unit of measure
        char *end = NULL;
        errno = 0;
        double v = strtod (value, &end);
        if (end == value || errno == ERANGE || !isfinite (v))
            continue;
        bool unit_ok = true;
        for (const char *u = end; *u; u++)
            if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || *u == '%'))
                unit_ok = false;
        if (!unit_ok || strlen (end) > 4)
            continue;
        event_add_metric (ev, label, v);
        parsed++;
    }
    return parsed;
}

//  Split plugin output into message, long output (evidence) and perfdata.
static void
s_read_output (event_t *ev, char *output, size_t max_evidence_lines)
{
    char *line = output;
    bool in_perf = false;
    size_t evidence = 0;
    bool first = true;
    while (line && *line) {
        char *next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        if (in_perf)
            command_parse_perfdata (ev, line);
        else {
            char *bar = strchr (line, '|');
            if (bar) {
                *bar = 0;
                command_parse_perfdata (ev, bar + 1);
                if (!first)
                    in_perf = true;
            }
            //  trim the text part
            size_t len = strlen (line);
            while (len > 0 && (line [len - 1] == ' ' || line [len - 1] == '\t'
                               || line [len - 1] == '\r'))
                line [--len] = 0;
            if (first)
                kind_message (ev, "%s", line);
            else
            if (len > 0 && evidence < max_evidence_lines) {
                event_add_evidence (ev, line);
                evidence++;
            }
        }
        first = false;
        line = next;
    }
}

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    command_check_t *self = (command_check_t *) self_;
    event_t *ev = result->event;
    int64_t limit = kind_time_left (ctx);
    command_result_t res;
    if (command_run (self->run, ctx && ctx->config ? ctx->config->path : NULL, limit,
                     COMMAND_MAX_OUTPUT, &res)) {
        kind_message (ev, "could not run the command: %s", strerror (errno));
        return CHECK_UNKNOWN;
    }
    s_read_output (ev, res.output, EVENT_MAX_EVIDENCE - 1);
    if (res.truncated)
        event_add_evidence (ev, "(output truncated)");
    check_status_t status;
    if (res.timed_out) {
        kind_message (ev, "timed out after %lld ms (killed)", (long long) limit);
        status = CHECK_UNKNOWN;
    }
    else
    if (res.signal) {
        kind_message (ev, "killed by signal %d", res.signal);
        status = CHECK_UNKNOWN;
    }
    else {
        event_add_metric (ev, "exit_code", res.exit_code);
        switch (res.exit_code) {
            case 0:  status = CHECK_OK; break;
            case 1:  status = CHECK_WARN; break;
            case 2:  status = CHECK_FAIL; break;
            default: status = CHECK_UNKNOWN; break;
        }
        if (!ev->message || !*ev->message)
            kind_message (ev, "exit %d", res.exit_code);
        else
        if (res.exit_code > 3)
            kind_evidence (ev, "exit %d (not a plugin status: unknown)", res.exit_code);
    }
    command_result_free (&res);
    return status;
}

const check_kind_t check_kind_command = {
    .name = "command",
    .size = sizeof (command_check_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .run = s_run,
    .run_at = HEAL_KEY_AT (command_check_t, remedy_run),
    .verify_default_ms = CHECK_VERIFY_SERVICE_MS,
};
