//  digest — the daily or weekly summary: "heal healed 14 problems since Mon
//  09:00 (redis 9, ollama 5); it gave up once (tunnel, Tue 03:12, diagnosis:
//  ...)". From the agent's history (`history` on its control socket, issue
//  15) when it answers, so what happened while heal-notify was down counts
//  too; otherwise from the tallies heal-notify heard itself: heal.check.healed
//  events, gave_up alerts and the diagnoses that followed them. They live in
//  state.json under "digest":
//    {"since": MS, "sent": MS, "heals": {CHECK: N}, "gave_up": [{check, ts, diagnosis}]}

#include "notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIGEST_MAX_GAVE_UP   50          //  gave_up entries kept per period
#define DIGEST_MAX_NAMES     20          //  checks named in the heal counts

static json_t *
s_get (json_t *digest, const char *key, json_t *(*make) (void))
{
    json_t *value = json_object_get (digest, key);
    if (!value) {
        value = make ();
        json_object_set_new (digest, key, value);
    }
    return value;
}

bool
digest_feed (json_t *digest, const event_t *event)
{
    if (!json_object_get (digest, "since"))
        json_object_set_new (digest, "since", json_integer (event_now_ms ()));
    if (event->type == EVENT_CHECK && event->severity == SEVERITY_HEALED && event->check) {
        json_t *heals = s_get (digest, "heals", json_object);
        if (json_object_size (heals) >= NOTIFY_MAX_CHECKS && !json_object_get (heals,
                                                                               event->check))
            return false;
        json_int_t n = json_integer_value (json_object_get (heals, event->check));
        json_object_set_new (heals, event->check, json_integer (n + 1));
        return true;
    }
    if (event->type == EVENT_ALERT && event->alert && streq (event->alert, "gave_up")
    &&  event->check) {
        json_t *list = s_get (digest, "gave_up", json_array);
        if (json_array_size (list) >= DIGEST_MAX_GAVE_UP)
            json_array_remove (list, 0);
        json_array_append_new (list, json_pack ("{s:s, s:I}", "check", event->check,
                                                "ts", (json_int_t) event->ts));
        return true;
    }
    if (event->type == EVENT_DIAGNOSIS && event->summary) {
        //  the diagnosis of a check that gave up joins its entry
        json_t *list = json_object_get (digest, "gave_up");
        bool changed = false;
        for (size_t i = 0; i < event->check_count; i++)
            for (size_t j = json_array_size (list); j > 0; j--) {
                json_t *entry = json_array_get (list, j - 1);
                const char *check = json_string_value (json_object_get (entry, "check"));
                if (check && streq (check, event->checks [i])
                &&  !json_object_get (entry, "diagnosis")) {
                    json_object_set_new (entry, "diagnosis", json_string (event->summary));
                    changed = true;
                    break;
                }
            }
        return changed;
    }
    return false;
}

int64_t
digest_next_due (int day, int minute, int64_t after_ms)
{
    if (day == NOTIFY_DIGEST_OFF)
        return -1;
    time_t t = (time_t) (after_ms / 1000);
    struct tm tm;
    if (!localtime_r (&t, &tm))
        return -1;
    //  walk forward a day at a time (DST-proof) to the first match after
    for (int step = 0; step <= 8; step++) {
        struct tm candidate = tm;
        candidate.tm_mday += step;
        candidate.tm_hour = minute / 60;
        candidate.tm_min = minute % 60;
        candidate.tm_sec = 0;
        candidate.tm_isdst = -1;
        time_t when = mktime (&candidate);
        if (when == (time_t) -1)
            continue;
        if ((int64_t) when * 1000 <= after_ms)
            continue;
        if (day == NOTIFY_DIGEST_DAILY || candidate.tm_wday == day)
            return (int64_t) when * 1000;
    }
    return -1;
}

//  "Mon 30 Nov 09:00" (with_date) or "Tue 03:12".
static void
s_clock (int64_t ms, bool with_date, char *buf, size_t size)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    size_t n = 0;
    if (localtime_r (&t, &tm))
        n = with_date ? strftime (buf, size, "%a %d %b %H:%M", &tm)
                      : strftime (buf, size, "%a %H:%M", &tm);
    if (n == 0)
        snprintf (buf, size, "?");
}

static int
s_by_count (const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *) a, *y = *(const json_t *const *) b;
    json_int_t nx = json_integer_value (json_array_get (x, 1));
    json_int_t ny = json_integer_value (json_array_get (y, 1));
    return nx < ny ? 1 : nx > ny ? -1 : 0;
}

//  The agent's history in place of our tallies: heals per check from its
//  counters, gave_up entries from its incidents (with their diagnosis).
static void
s_from_history (json_t *digest, json_t *history)
{
    json_t *checks = json_object_get (history, "checks");
    if (!json_is_object (checks))
        return;
    json_t *heals = json_object ();
    const char *name;
    json_t *entry;
    json_object_foreach (checks, name, entry) {
        json_int_t n = json_integer_value (json_object_get (entry, "heals"));
        if (n > 0 && json_object_size (heals) < NOTIFY_MAX_CHECKS)
            json_object_set_new (heals, name, json_integer (n));
    }
    json_t *gave_up = json_array ();
    json_t *incidents = json_object_get (history, "incidents");
    //  newest first in the reply; the digest lists them oldest first
    for (size_t i = json_array_size (incidents); i > 0; i--) {
        json_t *incident = json_array_get (incidents, i - 1);
        const char *check = json_string_value (json_object_get (incident, "check"));
        if (!check || !json_is_true (json_object_get (incident, "gave_up"))
        ||  json_array_size (gave_up) >= DIGEST_MAX_GAVE_UP)
            continue;
        json_t *item = json_pack ("{s:s, s:I}", "check", check, "ts",
                                  json_integer_value (json_object_get (incident, "opened")));
        const char *summary = json_string_value (json_object_get (
            json_object_get (incident, "diagnosis"), "summary"));
        if (item && summary)
            json_object_set_new (item, "diagnosis", json_string (summary));
        json_array_append_new (gave_up, item);
    }
    json_object_set_new (digest, "heals", heals);
    json_object_set_new (digest, "gave_up", gave_up);
}

json_t *
digest_build (json_t *digest, const char *host, int64_t now, json_t *history)
{
    if (history)
        s_from_history (digest, history);
    json_int_t since = json_integer_value (json_object_get (digest, "since"));
    if (!since)
        since = now;
    char from [64];
    s_clock (since, true, from, sizeof from);
    //  heals, most first
    json_t *heals = json_object_get (digest, "heals");
    size_t kinds = json_object_size (heals), n = 0;
    json_int_t total = 0;
    json_t **pairs = kinds ? (json_t **) calloc (kinds, sizeof (json_t *)) : NULL;
    const char *key;
    json_t *value;
    json_object_foreach (heals, key, value) {
        if (pairs && n < kinds)
            pairs [n++] = json_pack ("[s, I]", key, json_integer_value (value));
        total += json_integer_value (value);
    }
    if (pairs)
        qsort (pairs, n, sizeof (json_t *), s_by_count);
    zchunk_t *text = zchunk_new (NULL, 0);
    char line [512];
    if (total) {
        snprintf (line, sizeof line, "heal healed %" JSON_INTEGER_FORMAT " problem%s since %s (",
                  total, total == 1 ? "" : "s", from);
        zchunk_extend (text, line, strlen (line));
        for (size_t i = 0; i < n && i < DIGEST_MAX_NAMES; i++) {
            snprintf (line, sizeof line, "%s%s %" JSON_INTEGER_FORMAT, i ? ", " : "",
                      json_string_value (json_array_get (pairs [i], 0)),
                      json_integer_value (json_array_get (pairs [i], 1)));
            zchunk_extend (text, line, strlen (line));
        }
        zchunk_extend (text, n > DIGEST_MAX_NAMES ? ", ...)" : ")", n > DIGEST_MAX_NAMES ? 6 : 1);
    }
    else {
        snprintf (line, sizeof line, "heal had nothing to heal since %s", from);
        zchunk_extend (text, line, strlen (line));
    }
    for (size_t i = 0; i < n; i++)
        json_decref (pairs [i]);
    free (pairs);
    json_t *gave_up = json_object_get (digest, "gave_up");
    size_t count = json_array_size (gave_up);
    if (count) {
        if (count == 1)
            snprintf (line, sizeof line, "; it gave up once");
        else
            snprintf (line, sizeof line, "; it gave up %zu times", count);
        zchunk_extend (text, line, strlen (line));
        for (size_t i = 0; i < count; i++) {
            json_t *entry = json_array_get (gave_up, i);
            char when [32];
            s_clock (json_integer_value (json_object_get (entry, "ts")), false, when,
                     sizeof when);
            const char *diagnosis = json_string_value (json_object_get (entry, "diagnosis"));
            snprintf (line, sizeof line, "%s%s, %s%s%s", i ? "; " : " (",
                      json_string_value (json_object_get (entry, "check")), when,
                      diagnosis ? ", diagnosis: " : "", diagnosis ? diagnosis : "");
            zchunk_extend (text, line, strlen (line));
        }
        zchunk_extend (text, ")", 1);
    }
    zchunk_extend (text, ".", 1);
    char *body = heal_safe_text ((const char *) zchunk_data (text), zchunk_size (text),
                                 NOTIFY_MAX_TEXT);
    zchunk_destroy (&text);
    char id [EVENT_MAX_SHORT + 48], title [EVENT_MAX_SHORT + 32];
    snprintf (id, sizeof id, "%s/digest/%" PRId64, host, now);
    snprintf (title, sizeof title, "heal digest for %s", host);
    json_t *item = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
                              "id", id, "type", "digest", "host", host, "title", title,
                              "text", body ? body : "", "ts", (json_int_t) now,
                              "since", since, "healed", total);
    free (body);
    //  a new period starts
    json_object_clear (digest);
    json_object_set_new (digest, "since", json_integer (now));
    json_object_set_new (digest, "sent", json_integer (now));
    return item;
}
