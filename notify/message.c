//  message — turns bus events into messages a person can act on, and keeps
//  what that needs between events (notify_state_t): per check the last
//  remedy heal tried, when the failure began (the incident), the alert sent,
//  the last diagnosis; per publisher the last `seq` seen, to spot gaps.
//
//  The whole memory is one JSON object, persisted as dir/state.json:
//    {"cursor": {"HOST/SOURCE": seq}, "checks": {"HOST/CHECK": {...}}}

#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAX_FILE (4 * 1024 * 1024)

struct notify_state_t {
    char *path;                 //  dir/state.json
    json_t *root;
    json_t *cursor;             //  borrowed from root
    json_t *checks;             //  borrowed from root
    json_t *digest;             //  borrowed from root
    json_t *heard;              //  borrowed from root: publisher -> ts of its last event
    json_t *missed;             //  a gap to catch up on (owned), or NULL
    bool dirty;
};

notify_state_t *
notify_state_new (const char *dir)
{
    notify_state_t *self = (notify_state_t *) calloc (1, sizeof (notify_state_t));
    if (!self || heal_mkdir_p (dir, 0700)
    ||  !(self->path = zsys_sprintf ("%s/state.json", dir))) {
        zsys_error ("notify: state dir %s: %s", dir, strerror (errno));
        free (self);
        return NULL;
    }
    size_t size = 0;
    char *text = heal_read_file (self->path, STATE_MAX_FILE, &size);
    if (text) {
        json_error_t error;
        self->root = json_loadb (text, size, 0, &error);
        free (text);
        if (!self->root || !json_is_object (self->root)
        ||  !json_is_object (json_object_get (self->root, "cursor"))
        ||  !json_is_object (json_object_get (self->root, "checks"))) {
            zsys_warning ("notify: %s is damaged: starting without it", self->path);
            json_decref (self->root);
            self->root = NULL;
        }
    }
    if (!self->root)
        self->root = json_pack ("{s:{}, s:{}}", "cursor", "checks");
    if (!self->root) {
        notify_state_destroy (&self);
        return NULL;
    }
    self->cursor = json_object_get (self->root, "cursor");
    self->checks = json_object_get (self->root, "checks");
    if (!json_is_object (json_object_get (self->root, "digest")))
        json_object_set_new (self->root, "digest", json_object ());
    self->digest = json_object_get (self->root, "digest");
    if (!json_is_object (json_object_get (self->root, "heard")))
        json_object_set_new (self->root, "heard", json_object ());
    self->heard = json_object_get (self->root, "heard");
    return self;
}

void
notify_state_destroy (notify_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_state_t *self = *self_p;
    json_decref (self->missed);
    json_decref (self->root);
    zstr_free (&self->path);
    free (self);
    *self_p = NULL;
}

int
notify_state_save (notify_state_t *self)
{
    if (!self->dirty)
        return 0;
    char *text = json_dumps (self->root, JSON_COMPACT);
    if (!text)
        return -1;
    //  Written at every burst: renamed into place but not fsynced. A process
    //  crash keeps it; an OS crash may take the last seconds back, which
    //  costs at most a gap warning or a less precise "down for" (the alerts
    //  themselves are in the outbox, fsynced).
    char *tmp = zsys_sprintf ("%s.tmp", self->path);
    FILE *file = tmp ? fopen (tmp, "w") : NULL;
    int rc = -1;
    if (file) {
        bool ok = fputs (text, file) >= 0;
        if (fclose (file) == 0 && ok)
            rc = rename (tmp, self->path);
        if (rc)
            unlink (tmp);
    }
    zstr_free (&tmp);
    if (rc)
        zsys_error ("notify: cannot write %s: %s", self->path, strerror (errno));
    else
        self->dirty = false;
    free (text);
    return rc;
}

//  --------------------------------------------------------------------------
//  Gaps in a publisher's seq

//  A gap: remember it for notify.c, which asks the agent's history for the
//  alerts published between the last event heard and this one (issue 15)
//  and feeds them back through notify_state_feed_missed.
static void
s_catch_up (notify_state_t *self, const event_t *event, const char *publisher,
            uint64_t from, uint64_t to)
{
    if (to >= from)
        zsys_warning ("notify: missed %" PRIu64 " bus message(s) from %s (seq %" PRIu64
                      "..%" PRIu64 "): catching up from the agent's history",
                      to - from + 1, publisher, from, to);
    json_t *heard = json_object_get (self->heard, publisher);
    if (!json_is_integer (heard) || event->ts <= json_integer_value (heard))
        return;
    json_int_t since = json_integer_value (heard);
    if (self->missed)       //  two gaps in one burst: one span
        since = json_integer_value (json_object_get (self->missed, "from_ts")) < since
              ? json_integer_value (json_object_get (self->missed, "from_ts")) : since;
    json_decref (self->missed);
    self->missed = json_pack ("{s:s, s:s, s:I, s:I}", "host", event->host,
                              "source", event->source, "from_ts", since,
                              "to_ts", (json_int_t) event->ts);
}

static void s_track_seq (notify_state_t *self, const event_t *event);

json_t *
notify_state_track (notify_state_t *self, const event_t *event)
{
    if (event->host && event->source)
        s_track_seq (self, event);
    json_t *missed = self->missed;
    self->missed = NULL;
    return missed;
}

static void
s_track_seq (notify_state_t *self, const event_t *event)
{
    char key [2 * EVENT_MAX_SHORT + 2];
    snprintf (key, sizeof key, "%s/%s", event->host, event->source);
    json_t *last = json_object_get (self->cursor, key);
    if (last && json_is_integer (last)) {
        uint64_t seen = (uint64_t) json_integer_value (last);
        if (event->seq > seen + 1)
            s_catch_up (self, event, key, seen + 1, event->seq - 1);
        else
        if (event->seq <= seen) {
            zsys_info ("notify: %s restarted (seq %" PRIu64 " after %" PRIu64 ")",
                       key, event->seq, seen);
            //  It may have alerted before it restarted.
            s_catch_up (self, event, key, 1, 0);
        }
    }
    else {
        if (json_object_size (self->cursor) >= NOTIFY_MAX_CHECKS)
            return;
        zsys_info ("notify: hearing %s (seq %" PRIu64 ")", key, event->seq);
    }
    json_object_set_new (self->cursor, key, json_integer ((json_int_t) event->seq));
    json_object_set_new (self->heard, key, json_integer ((json_int_t) event->ts));
    self->dirty = true;
}

//  --------------------------------------------------------------------------
//  Per-check memory

static json_t *
s_check (notify_state_t *self, const char *host, const char *check, bool create)
{
    char key [EVENT_MAX_SHORT + EVENT_MAX_NAME + 2];
    snprintf (key, sizeof key, "%s/%s", host, check);
    json_t *entry = json_object_get (self->checks, key);
    if (!entry && create && json_object_size (self->checks) < NOTIFY_MAX_CHECKS) {
        entry = json_object ();
        json_object_set_new (self->checks, key, entry);
    }
    return entry;
}

static void
s_drop_check (notify_state_t *self, const char *host, const char *check)
{
    char key [EVENT_MAX_SHORT + EVENT_MAX_NAME + 2];
    snprintf (key, sizeof key, "%s/%s", host, check);
    json_object_del (self->checks, key);
}

static json_t *
s_remedy_json (const event_remedy_t *remedy)
{
    return json_pack ("{s:s?, s:s?, s:I, s:I, s:s?}", "action", remedy->action,
                      "result", remedy->result, "attempt", (json_int_t) remedy->attempt,
                      "duration_ms", (json_int_t) remedy->duration_ms,
                      "output", remedy->output);
}

static void
s_feed_check (notify_state_t *self, const event_t *event)
{
    bool failing = event->severity == SEVERITY_WARNING
                || event->severity == SEVERITY_CRITICAL
                || event->severity == SEVERITY_UNKNOWN;
    json_t *entry = s_check (self, event->host, event->check, failing || event->remedy);
    if (!entry)
        return;
    if (!failing && json_object_get (entry, "ok") && !event->remedy) {
        //  a second good run: nothing open any more
        s_drop_check (self, event->host, event->check);
        self->dirty = true;
        return;
    }
    if (event->remedy && event->remedy->action
    &&  !streq (event->remedy->action, "remedy"))      //  a real attempt
        json_object_set_new (entry, "tried", s_remedy_json (event->remedy));
    if (event->remedy && event->remedy->result)
        json_object_set_new (entry, "result", json_string (event->remedy->result));
    if (failing) {
        json_object_del (entry, "ok");
        if (!json_object_get (entry, "opened"))
            json_object_set_new (entry, "opened", json_integer (event->since ? event->since
                                                                             : event->ts));
        json_object_set_new (entry, "failure", json_string (event->message ? event->message
                                                                            : ""));
    }
    else
        json_object_set_new (entry, "ok", json_true ());
    self->dirty = true;
}

//  --------------------------------------------------------------------------
//  Text

static void
s_clock (int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    if (!localtime_r (&t, &tm) || !strftime (buf, size, "%a %H:%M:%S %Z", &tm))
        snprintf (buf, size, "%" PRId64, ms);
}

void
render_duration (int64_t ms, char *buf, size_t size)
{
    if (ms < 0)
        ms = 0;
    int64_t s = ms / 1000;
    if (s < 60)
        snprintf (buf, size, "%" PRId64 "s", s);
    else
    if (s < 3600)
        snprintf (buf, size, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else
    if (s < 86400)
        snprintf (buf, size, "%" PRId64 "h%02" PRId64 "m", s / 3600, (s % 3600) / 60);
    else
        snprintf (buf, size, "%" PRId64 "d%02" PRId64 "h", s / 86400, (s % 86400) / 3600);
}

//  First line of text, at most max bytes (owned).
static char *
s_first_line (const char *text, size_t max)
{
    if (!text)
        return strdup ("");
    size_t n = strcspn (text, "\r\n");
    return heal_safe_string (text, n, max);
}

static char *
s_tried (const json_t *tried)
{
    if (!tried)
        return strdup ("heal tried: nothing yet (no remediation recorded for it)");
    const char *action = json_string_value (json_object_get (tried, "action"));
    const char *result = json_string_value (json_object_get (tried, "result"));
    json_int_t attempt = json_integer_value (json_object_get (tried, "attempt"));
    char *output = s_first_line (json_string_value (json_object_get (tried, "output")), 200);
    char *text = zsys_sprintf ("heal tried: %s (attempt %" JSON_INTEGER_FORMAT "): %s%s%s",
                               action ? action : "?", attempt, result ? result : "?",
                               output && *output ? ": " : "", output ? output : "");
    free (output);
    char *copy = text ? strdup (text) : NULL;
    zstr_free (&text);
    return copy;
}

static const char *
s_next (const char *alert, const char *result, bool tried)
{
    if (streq (alert, "gave_up") || (result && streq (result, "gave_up")))
        return "Next: heal has stopped remediating (its budget is spent). It keeps "
               "checking and will say when it recovers; `healctl heal CHECK` tries again now.";
    if (!tried && !result)
        return "Next: nothing is configured to fix it: it needs a person. heal keeps "
               "checking and will say when it recovers.";
    if (result && streq (result, "skipped"))
        return "Next: heal is not remediating it now (muted or a remedy is still running); "
               "it keeps checking.";
    return "Next: heal tries again after its backoff until its budget is spent, then "
           "gives up and tells you.";
}

static char *
s_diagnosis_text (const json_t *diagnosis)
{
    if (!diagnosis)
        return NULL;
    const char *summary = json_string_value (json_object_get (diagnosis, "summary"));
    const char *cause = json_string_value (json_object_get (diagnosis, "root_cause"));
    const char *model = json_string_value (json_object_get (diagnosis, "model"));
    const char *confidence = json_string_value (json_object_get (diagnosis, "confidence"));
    zchunk_t *out = zchunk_new (NULL, 0);
    if (!out)
        return NULL;
    zchunk_extend (out, "Diagnosis", 9);
    char *head = zsys_sprintf (" (%s%s%s): %s", model ? model : "model",
                               confidence ? ", confidence " : "",
                               confidence ? confidence : "", summary ? summary : "");
    if (head)
        zchunk_extend (out, head, strlen (head));
    zstr_free (&head);
    if (cause && *cause) {
        zchunk_extend (out, "\nLikely cause: ", 15);
        zchunk_extend (out, cause, strlen (cause));
    }
    json_t *checks = json_object_get (diagnosis, "operator_checks");
    size_t i;
    json_t *item;
    json_array_foreach (checks, i, item) {
        const char *line = json_string_value (item);
        if (!line)
            continue;
        zchunk_extend (out, i ? "; " : "\nTo check: ", i ? 2 : 11);
        zchunk_extend (out, line, strlen (line));
    }
    char *text = heal_safe_text ((const char *) zchunk_data (out), zchunk_size (out),
                                 NOTIFY_MAX_TEXT);
    zchunk_destroy (&out);
    return text;
}

//  --------------------------------------------------------------------------
//  Alerts and diagnoses

static void
s_id (const event_t *event, char *buf, size_t size)
{
    snprintf (buf, size, "%s/%s/%" PRIu64, event->host, event->source, event->seq);
}

static json_t *
s_fresh_diagnosis (const json_t *entry, int64_t now)
{
    json_t *diagnosis = json_object_get (entry, "diagnosis");
    json_int_t at = json_integer_value (json_object_get (entry, "diagnosis_ts"));
    return diagnosis && now - at <= NOTIFY_DIAGNOSIS_FRESH_MS ? diagnosis : NULL;
}

static json_t *
s_feed_alert (notify_state_t *self, const event_t *event, const char **what)
{
    const char *alert = event->alert;
    if (!alert || !(streq (alert, "gave_up") || streq (alert, "critical")
                    || streq (alert, "recovered")))
        return NULL;
    *what = streq (alert, "gave_up") ? "gave_up"
          : streq (alert, "critical") ? "critical" : "recovered";
    json_t *entry = s_check (self, event->host, event->check, true);
    json_t *scratch = entry ? NULL : json_object ();    //  memory full: no history
    if (!entry)
        entry = scratch;
    char id [2 * EVENT_MAX_SHORT + 32];
    s_id (event, id, sizeof id);
    int64_t ts = event->ts;
    json_int_t opened = json_integer_value (json_object_get (entry, "opened"));
    if (!opened)
        opened = streq (alert, "recovered") ? 0 : (event->since ? event->since : ts);
    char incident [EVENT_MAX_SHORT + EVENT_MAX_NAME + 32];
    snprintf (incident, sizeof incident, "%s/%s/%" JSON_INTEGER_FORMAT, event->host,
              event->check, opened);
    const char *result = json_string_value (json_object_get (entry, "result"));
    json_t *tried = json_object_get (entry, "tried");
    char *title = NULL, *text = NULL;
    zchunk_t *body = zchunk_new (NULL, 0);
    char *tried_text = s_tried (tried);
    json_t *diagnosis = s_fresh_diagnosis (entry, event_now_ms ());
    char *diagnosis_text = s_diagnosis_text (diagnosis);
    const char *next = "";
    int64_t duration = -1;
    if (streq (alert, "recovered")) {
        title = zsys_sprintf ("%s recovered on %s", event->check, event->host);
        char lasted [32] = "an unknown time", since [64] = "";
        if (opened) {
            duration = ts - opened;
            render_duration (duration, lasted, sizeof lasted);
            s_clock (opened, since, sizeof since);
        }
        const char *failure = json_string_value (json_object_get (entry, "failure"));
        char since_part [96] = "";
        if (*since)
            snprintf (since_part, sizeof since_part, " (failing since %s)", since);
        char *line = zsys_sprintf ("%s is back after %s%s.\nNow: %s\nIt had failed with: "
                                   "%s\n%s", event->check, lasted, since_part,
                                   event->message ? event->message : "ok",
                                   failure ? failure : "(not seen by heal-notify)",
                                   tried_text);
        if (line)
            zchunk_extend (body, line, strlen (line));
        zstr_free (&line);
        next = "Next: nothing to do.";
    }
    else {
        bool gave_up = streq (alert, "gave_up");
        title = gave_up
            ? zsys_sprintf ("heal gave up on %s (%s)", event->check, event->host)
            : zsys_sprintf ("%s is %s on %s", event->check, severity_name (event->severity),
                            event->host);
        char since [64] = "";
        if (opened)
            s_clock (opened, since, sizeof since);
        char *line = zsys_sprintf ("What failed: %s (%s check, failing since %s)\n%s",
                                   event->message ? event->message : "?",
                                   event->kind ? event->kind : "?",
                                   *since ? since : "now", tried_text);
        if (line)
            zchunk_extend (body, line, strlen (line));
        zstr_free (&line);
        next = s_next (alert, result, tried != NULL);
        json_object_set_new (entry, "alerted", json_string (id));
        json_object_set_new (entry, "opened", json_integer (opened));
        if (diagnosis)
            json_object_set (entry, "diagnosis_sent",
                             json_object_get (diagnosis, "fingerprint"));
    }
    zchunk_extend (body, "\n", 1);
    zchunk_extend (body, next, strlen (next));
    if (diagnosis_text) {
        zchunk_extend (body, "\n", 1);
        zchunk_extend (body, diagnosis_text, strlen (diagnosis_text));
    }
    text = heal_safe_text ((const char *) zchunk_data (body), zchunk_size (body),
                           NOTIFY_MAX_TEXT);
    char *safe_title = title ? heal_safe_string (title, strlen (title), EVENT_MAX_MESSAGE)
                             : NULL;
    json_t *message = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:s, s:b, s:I, s:s, s:I, s:s?, s:s?,"
        " s:s, s:O?, s:s?, s:O?, s:I, s:s?}",
        "id", id, "type", "alert", "alert", alert, "host", event->host,
        "source", event->source, "seq", (json_int_t) event->seq,
        "check", event->check, "kind", event->kind,
        "severity", severity_name (event->severity), "critical", event->critical,
        "ts", (json_int_t) ts, "incident", incident, "opened", opened,
        "title", safe_title, "text", text, "next", next, "remedy", tried,
        "result", result, "diagnosis", diagnosis, "duration_ms", (json_int_t) duration,
        "message", event->message);
    free (safe_title);
    zstr_free (&title);
    free (text);
    free (tried_text);
    free (diagnosis_text);
    zchunk_destroy (&body);
    json_decref (scratch);
    if (streq (alert, "recovered"))
        s_drop_check (self, event->host, event->check);
    self->dirty = true;
    return message;
}

static json_t *
s_feed_diagnosis (notify_state_t *self, const event_t *event, const char **what)
{
    if (!event->summary || !*event->summary)
        return NULL;            //  no diagnosis could be had: nothing to tell
    json_t *operator_checks = json_array ();
    for (size_t i = 0; i < event->operator_check_count; i++)
        json_array_append_new (operator_checks, json_string (event->operator_checks [i]));
    json_t *diagnosis = json_pack ("{s:s?, s:s?, s:s?, s:s?, s:s?, s:o}",
                                   "summary", event->summary, "root_cause", event->root_cause,
                                   "model", event->model, "confidence", event->confidence,
                                   "fingerprint", event->fingerprint,
                                   "operator_checks", operator_checks);
    if (!diagnosis)
        return NULL;
    const char *fingerprint = event->fingerprint ? event->fingerprint : event->summary;
    json_t *follows = NULL;
    const char *check = NULL;
    json_t *linked = NULL;
    json_t *checks = json_array ();
    for (size_t i = 0; i < event->check_count; i++) {
        json_array_append_new (checks, json_string (event->checks [i]));
        json_t *entry = s_check (self, event->host, event->checks [i], true);
        if (!entry)
            continue;
        json_object_set (entry, "diagnosis", diagnosis);
        json_object_set_new (entry, "diagnosis_ts", json_integer (event_now_ms ()));
        const char *sent = json_string_value (json_object_get (entry, "diagnosis_sent"));
        if (json_object_get (entry, "alerted") && !(sent && streq (sent, fingerprint))) {
            json_object_set_new (entry, "diagnosis_sent", json_string (fingerprint));
            if (!linked) {
                linked = entry;
                check = event->checks [i];
                follows = json_object_get (entry, "alerted");
            }
        }
    }
    self->dirty = true;
    json_t *message = NULL;
    if (linked) {
        //  follows its alert: its own message, linked to the same incident
        *what = "diagnosis";
        char id [2 * EVENT_MAX_SHORT + 32];
        s_id (event, id, sizeof id);
        char incident [EVENT_MAX_SHORT + EVENT_MAX_NAME + 32];
        snprintf (incident, sizeof incident, "%s/%s/%" JSON_INTEGER_FORMAT, event->host,
                  check, json_integer_value (json_object_get (linked, "opened")));
        char *title = zsys_sprintf ("Diagnosis for %s on %s", check, event->host);
        char *text = s_diagnosis_text (diagnosis);
        message = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:s, s:O, s:s, s:O?, s:s, s:s?,"
                             " s:s?, s:O, s:I}",
                             "id", id, "type", "diagnosis", "host", event->host,
                             "source", event->source, "seq", (json_int_t) event->seq,
                             "check", check, "checks", checks, "incident", incident,
                             "follows", follows, "severity", "critical",
                             "title", title, "text", text, "diagnosis", diagnosis,
                             "ts", (json_int_t) event->ts);
        zstr_free (&title);
        free (text);
    }
    json_decref (checks);
    json_decref (diagnosis);
    return message;
}

json_t *
notify_state_feed (notify_state_t *self, const event_t *event, const char **what)
{
    *what = NULL;
    if (digest_feed (self->digest, event))
        self->dirty = true;
    switch (event->type) {
        case EVENT_CHECK:
            if (event->check && event->host)
                s_feed_check (self, event);
            return NULL;
        case EVENT_ALERT:
            return event->check && event->host ? s_feed_alert (self, event, what) : NULL;
        case EVENT_DIAGNOSIS:
            return event->host ? s_feed_diagnosis (self, event, what) : NULL;
        default:
            return NULL;
    }
}

json_t *
notify_state_feed_missed (notify_state_t *self, const event_t *event, const char **what)
{
    *what = NULL;
    return event->type == EVENT_ALERT && event->check && event->host
         ? s_feed_alert (self, event, what) : NULL;
}

json_t *
notify_state_digest (notify_state_t *self, const char *host, int64_t now_ms,
                     json_t *history)
{
    self->dirty = true;
    return digest_build (self->digest, host, now_ms, history);
}

int64_t
notify_state_digest_since (notify_state_t *self)
{
    return (int64_t) json_integer_value (json_object_get (self->digest, "since"));
}

int64_t
notify_state_digest_sent (notify_state_t *self)
{
    json_t *sent = json_object_get (self->digest, "sent");
    if (!json_is_integer (sent)) {
        json_object_set_new (self->digest, "sent", json_integer (event_now_ms ()));
        self->dirty = true;
        sent = json_object_get (self->digest, "sent");
    }
    return (int64_t) json_integer_value (sent);
}
