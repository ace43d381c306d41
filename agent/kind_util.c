//  kind_util — helpers shared by the check kinds (see kind_util.h).

#include "kind_util.h"
#include "heal/command.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
kind_configure (const heal_config_t *config, const heal_check_config_t *check,
                const heal_key_t *keys, const heal_key_t *remedy_keys,
                void *settings, char *err, size_t errlen)
{
    char where [EVENT_MAX_NAME + 16];
    char needed_by [EVENT_MAX_NAME + 16];
    snprintf (where, sizeof where, "check '%s'", check->name);
    snprintf (needed_by, sizeof needed_by, "the %s kind", check->kind);
    heal_keys_ctx_t ctx = {
        .file = config->file, .where = where, .needed_by = needed_by
    };
    if (heal_keys_read (&ctx, check->node, keys, settings, err, errlen)
    ||  heal_keys_read (&ctx, check->remedy, remedy_keys, settings, err, errlen))
        return -1;
    return 0;
}

int64_t
kind_time_left (const check_ctx_t *ctx)
{
    int64_t left = ctx && ctx->check && ctx->check->timeout_ms > 0
                 ? ctx->check->timeout_ms : CONFIG_DEFAULT_TIMEOUT_MS;
    if (ctx && ctx->deadline_ms > 0) {
        int64_t until = ctx->deadline_ms - heal_monotonic_ms ();
        if (until < left)
            left = until;
    }
    return left < 1 ? 1 : left;
}

void
kind_message (event_t *event, const char *fmt, ...)
{
    if (!event)
        return;
    char text [EVENT_MAX_MESSAGE + 1];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    event_set_string (&event->message, text, EVENT_MAX_MESSAGE);
}

void
kind_evidence (event_t *event, const char *fmt, ...)
{
    if (!event)
        return;
    char text [EVENT_MAX_EVIDENCE_LEN + 1];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    event_add_evidence (event, text);
}

size_t
kind_next_line (const char *text, size_t len, size_t *pos, char *line, size_t size)
{
    size_t start = *pos, end = start;
    while (end < len && text [end] != '\n' && text [end] != 0)
        end++;
    size_t n = end - start;
    if (n >= size)
        n = size - 1;
    memcpy (line, text + start, n);
    line [n] = 0;
    *pos = end + 1;             //  past the newline (or NUL)
    return n;
}

void
kind_append (char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strnlen (buf, len);
    if (used + 1 >= len)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (buf + used, len - used, fmt, args);
    va_end (args);
}

void
kind_evidence_output (event_t *event, const char *prefix, const char *output,
                      int max_lines)
{
    if (!event || !output)
        return;
    const char *p = output;
    int lines = 0;
    while (*p && lines < max_lines) {
        const char *end = strchr (p, '\n');
        size_t n = end? (size_t) (end - p): strlen (p);
        if (n > 0) {
            kind_evidence (event, "%s%.*s", prefix, (int) n, p);
            lines++;
        }
        if (!end)
            break;
        p = end + 1;
    }
}

int
kind_exec (const check_ctx_t *ctx, const char *const *argv, int64_t max_ms,
           command_result_t *res)
{
    memset (res, 0, sizeof (*res));
    int64_t left = ctx->deadline_ms - heal_monotonic_ms ();
    if (left > max_ms)
        left = max_ms;
    if (left <= 0)
        return -1;
    const char *path = ctx->config? ctx->config->path: NULL;
    if (command_run_argv (argv, path, left, COMMAND_MAX_OUTPUT, res))
        return -1;
    if (res->timed_out || res->signal)
        return -1;
    return res->exit_code;
}

int
kind_field_set (const kind_field_t *table, void *record, const char *key,
                const char *value, size_t max, int (*parse) (const char *, int64_t *))
{
    for (const kind_field_t *f = table; f->key; f++) {
        if (!streq (f->key, key))
            continue;
        char *at = (char *) record + f->offset;
        if (f->number) {
            int64_t n;
            if (parse (value, &n) || n < f->min)
                return -1;
            memcpy (at, &n, sizeof n);
        }
        else {
            char *text;
            memcpy (&text, at, sizeof text);
            free (text);
            text = strndup (value, max);
            memcpy (at, &text, sizeof text);
        }
        return 1;
    }
    return 0;
}

void
kind_iso8601 (int64_t unix_seconds, char *buf, size_t len)
{
    time_t t = (time_t) unix_seconds;
    struct tm tm;
    if (!gmtime_r (&t, &tm) || strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf (buf, len, "@%lld", (long long) unix_seconds);
}

void
kind_human_duration (int64_t seconds, char *buf, size_t len)
{
    if (seconds < 0)
        seconds = 0;
    int64_t d = seconds / 86400, h = (seconds % 86400) / 3600;
    int64_t m = (seconds % 3600) / 60, s = seconds % 60;
    if (d)
        snprintf (buf, len, "%lldd %lldh", (long long) d, (long long) h);
    else
    if (h)
        snprintf (buf, len, "%lldh %lldm", (long long) h, (long long) m);
    else
    if (m)
        snprintf (buf, len, "%lldm %llds", (long long) m, (long long) s);
    else
        snprintf (buf, len, "%llds", (long long) s);
}

remedy_status_t
kind_remedy_run (const check_ctx_t *ctx, const char *command, event_remedy_t *out)
{
    if (!command)
        return REMEDY_NONE;
    event_set_string (&out->action, "run", EVENT_MAX_SHORT);
    //  The worker gives the remedy its own deadline (the check's timeout); the
    //  re-checks after it have their own time (remedy/verify).
    int64_t limit = kind_time_left (ctx);
    command_result_t res;
    char head [160];
    if (command_run (command, ctx && ctx->config ? ctx->config->path : NULL, limit,
                     EVENT_MAX_TEXT, &res)) {
        snprintf (head, sizeof head, "could not run: %s", strerror (errno));
        event_set_string (&out->output, head, EVENT_MAX_TEXT);
        return REMEDY_FAILED;
    }
    remedy_status_t status = REMEDY_DONE;
    if (res.timed_out) {
        snprintf (head, sizeof head, "timed out after %lld ms (killed)", (long long) limit);
        status = REMEDY_FAILED;
    }
    else
    if (res.signal) {
        snprintf (head, sizeof head, "killed by signal %d", res.signal);
        status = REMEDY_FAILED;
    }
    else {
        snprintf (head, sizeof head, "exit %d in %lld ms", res.exit_code,
                  (long long) res.duration_ms);
        if (res.exit_code != 0)
            status = REMEDY_FAILED;
    }
    char *text = zsys_sprintf ("%s%s%s", head, res.output_len ? "\n" : "",
                               res.output ? res.output : "");
    //  trailing newlines say nothing
    if (text) {
        size_t len = strlen (text);
        while (len > 0 && text [len - 1] == '\n')
            text [--len] = 0;
    }
    event_set_text (&out->output, text ? text : head, EVENT_MAX_TEXT);   //  keeps its lines
    zstr_free (&text);
    command_result_free (&res);
    return status;
}

void
kind_remedy_done (event_remedy_t *out, const char *action, const char *log)
{
    if (!out)
        return;
    if (action)
        out->action = strdup (action);
    if (log && *log)
        out->output = strdup (log);
}
