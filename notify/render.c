//  render — a stored message (one or more items from message.c) as each
//  destination receives it: the JSON document, an ntfy push, a Slack/
//  Mattermost/Discord-compatible payload, an Alertmanager alert.

#include "notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t
s_items (const json_t *message)
{
    return json_array_size (json_object_get (message, "items"));
}

static const char *
s_item_string (const json_t *message, size_t index, const char *key)
{
    json_t *item = json_array_get (json_object_get (message, "items"), index);
    return json_string_value (json_object_get (item, key));
}

static const char *
s_dropped_note (const json_t *message, char *buf, size_t size)
{
    json_int_t dropped = json_integer_value (json_object_get (message, "dropped"));
    if (dropped <= 0)
        return "";
    snprintf (buf, size, "(%" JSON_INTEGER_FORMAT " older message(s) were dropped: "
              "the outbox was full while this destination was down)\n\n", dropped);
    return buf;
}

char *
render_title (const json_t *message)
{
    size_t n = s_items (message);
    if (n == 1) {
        const char *title = s_item_string (message, 0, "title");
        return strdup (title ? title : "heal");
    }
    const char *host = s_item_string (message, 0, "host");
    char *title = zsys_sprintf ("heal: %zu alerts on %s", n, host ? host : "?");
    char *copy = title ? strdup (title) : NULL;
    zstr_free (&title);
    return copy;
}

char *
render_text (const json_t *message)
{
    zchunk_t *out = zchunk_new (NULL, 0);
    if (!out)
        return NULL;
    //  first, so a long grouped message cannot push it out
    char note [160];
    const char *dropped = s_dropped_note (message, note, sizeof note);
    zchunk_extend (out, dropped, strlen (dropped));
    size_t n = s_items (message);
    for (size_t i = 0; i < n; i++) {
        const char *title = s_item_string (message, i, "title");
        const char *text = s_item_string (message, i, "text");
        if (n > 1 && title) {
            zchunk_extend (out, i ? "\n\n" : "", i ? 2 : 0);
            zchunk_extend (out, "- ", 2);
            zchunk_extend (out, title, strlen (title));
            zchunk_extend (out, "\n", 1);
        }
        if (text)
            zchunk_extend (out, text, strlen (text));
    }
    char *text = heal_safe_text ((const char *) zchunk_data (out), zchunk_size (out),
                                 NOTIFY_MAX_TEXT * 4);
    zchunk_destroy (&out);
    return text;
}

//  A header value: printable ASCII only, bounded.
static char *
s_header (const char *name, const char *value)
{
    char clean [512];
    size_t n = 0;
    for (const char *p = value; *p && n + 1 < sizeof clean; p++)
        clean [n++] = (*p >= ' ' && *p < 0x7f) ? *p : (*p == '\n' ? ' ' : '?');
    clean [n] = 0;
    char *header = zsys_sprintf ("%s: %s", name, clean);
    char *copy = header ? strdup (header) : NULL;
    zstr_free (&header);
    return copy;
}

//  ntfy priority from the worst item: gave_up/critical urgent, else default.
static const char *
s_priority (const json_t *message)
{
    size_t n = s_items (message);
    for (size_t i = 0; i < n; i++) {
        const char *alert = s_item_string (message, i, "alert");
        if (alert && (streq (alert, "gave_up") || streq (alert, "critical")))
            return "5";
    }
    return "3";
}

int
render_webhook (const json_t *message, notify_format_t format, const char *token,
                render_t *out)
{
    memset (out, 0, sizeof *out);
    size_t h = 0;
    char *title = render_title (message);
    char *text = render_text (message);
    json_t *doc = NULL;
    if (!title || !text)
        goto failed;
    const char *id = json_string_value (json_object_get (message, "id"));
    out->headers [h++] = s_header ("X-Heal-Id", id ? id : "");
    if (token) {
        char *auth = zsys_sprintf ("Authorization: Bearer %s", token);
        out->headers [h++] = auth ? strdup (auth) : NULL;
        zstr_free (&auth);
    }
    switch (format) {
        case NOTIFY_FORMAT_NTFY:
            out->headers [h++] = s_header ("Title", title);
            out->headers [h++] = s_header ("Priority", s_priority (message));
            out->headers [h++] = s_header ("Content-Type", "text/plain; charset=utf-8");
            out->body = text;
            text = NULL;
            break;
        case NOTIFY_FORMAT_SLACK: {
            char *both = zsys_sprintf ("*%s*\n%s", title, text);
            doc = json_pack ("{s:s}", "text", both ? both : title);
            zstr_free (&both);
            out->headers [h++] = s_header ("Content-Type", "application/json");
            break;
        }
        case NOTIFY_FORMAT_JSON:
        default:
            doc = json_pack ("{s:s?, s:s, s:s, s:O, s:O?}", "id", id, "title", title,
                             "text", text, "items", json_object_get (message, "items"),
                             "dropped", json_object_get (message, "dropped"));
            out->headers [h++] = s_header ("Content-Type", "application/json");
            break;
    }
    if (doc) {
        out->body = json_dumps (doc, JSON_COMPACT);
        json_decref (doc);
    }
    if (!out->body)
        goto failed;
    out->size = strlen (out->body);
    for (size_t i = 0; i < h; i++)
        if (!out->headers [i])
            goto failed;
    free (title);
    free (text);
    return 0;
failed:
    free (title);
    free (text);
    render_free (out);
    return -1;
}

void
render_free (render_t *out)
{
    free (out->body);
    for (size_t i = 0; i < sizeof out->headers / sizeof out->headers [0]; i++)
        free (out->headers [i]);
    memset (out, 0, sizeof *out);
}

//  RFC 3339 UTC with milliseconds.
static void
s_rfc3339 (int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    char base [32];
    strftime (base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buf, size, "%s.%03dZ", base, (int) (ms % 1000));
}

json_t *
render_am_alert (const json_t *item, bool resolved, int64_t now_ms)
{
    const char *check = json_string_value (json_object_get (item, "check"));
    const char *host = json_string_value (json_object_get (item, "host"));
    const char *kind = json_string_value (json_object_get (item, "kind"));
    bool critical = json_is_true (json_object_get (item, "critical"));
    json_int_t opened = json_integer_value (json_object_get (item, "opened"));
    json_int_t ts = json_integer_value (json_object_get (item, "ts"));
    char starts [40], ends [40];
    s_rfc3339 (opened > 0 ? opened : (ts > 0 ? ts : now_ms), starts, sizeof starts);
    //  Firing: valid for four resend intervals (as Prometheus does), so a
    //  heal-notify that stops resending lets the alert resolve on its own.
    s_rfc3339 (resolved ? (ts > 0 ? ts : now_ms) : now_ms + 4 * NOTIFY_AM_RESEND_MS,
               ends, sizeof ends);
    const char *summary = json_string_value (json_object_get (item, "title"));
    const char *text = json_string_value (json_object_get (item, "text"));
    char *description = text ? strdup (text) : NULL;
    const char *diagnosis = NULL;
    json_t *d = json_object_get (item, "diagnosis");
    if (d)
        diagnosis = json_string_value (json_object_get (d, "summary"));
    json_t *alert = json_pack (
        "{s:{s:s, s:s?, s:s?, s:s, s:s?}, s:{s:s?, s:s?, s:s?, s:s?, s:s?},"
        " s:s, s:s}",
        "labels", "alertname", "HealCheckFailing", "check", check, "host", host,
        "severity", critical ? "critical" : "warning", "kind", kind,
        "annotations", "summary", summary, "description", description,
        "diagnosis", diagnosis, "heal_tried", json_string_value (json_object_get (
            json_object_get (item, "remedy"), "action")),
        "incident", json_string_value (json_object_get (item, "incident")),
        "startsAt", starts, "endsAt", ends);
    free (description);
    //  Alertmanager wants strings: leave out what is unknown.
    const char *keys [] = { "labels", "annotations" };
    for (size_t k = 0; alert && k < 2; k++) {
        json_t *map = json_object_get (alert, keys [k]);
        const char *key;
        json_t *value;
        void *tmp;
        json_object_foreach_safe (map, tmp, key, value)
            if (!json_is_string (value) || !*json_string_value (value))
                json_object_del (map, key);
    }
    return alert;
}
