//  worker — one actor per destination: takes the oldest message from the
//  destination's outbox, delivers it, removes it; while the destination is
//  down it retries with a doubling backoff (honouring Retry-After), so a
//  slow or dead destination only ever delays itself. The Alertmanager kind
//  also keeps its firing alerts (dir/firing.json) and resends them.

#include "notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

typedef enum { DELIVERED, RETRY, REJECTED } outcome_t;

typedef struct {
    zsock_t *pipe;
    worker_args_t args;
    const notify_destination_t *dest;
    zlist_t *queue;             //  batch names taken from the outbox, oldest first
    json_t *batch;              //  the head batch's messages, loaded
    size_t done;                //  how many of them were delivered
    heal_http_t *http;          //  one connection kept per destination
    int64_t retry_at;           //  monotonic; 0 = now
    int64_t backoff_ms;
    int64_t retry_after_ms;     //  from the last reply, -1 none
    int64_t last_trim;
    bool terminated;
    //  alertmanager
    json_t *firing;             //  "host/check" -> item
    char *firing_path;
    int64_t resend_at;
    //  desktop
    char *notifier;             //  notify-send or osascript, NULL = log only
    bool osascript;
} worker_t;

static void
s_name (worker_t *self, char *buf, size_t size)
{
    snprintf (buf, size, "destination '%s'", self->dest->name);
}

//  --------------------------------------------------------------------------
//  HTTP

static outcome_t
s_classify (worker_t *self, int rc, const heal_http_reply_t *result)
{
    char name [96];
    s_name (self, name, sizeof name);
    self->retry_after_ms = -1;
    if (rc) {
        //  Not result->error: libcurl's text can name the URL, which may
        //  carry a token.
        zsys_warning ("notify: %s: %s: will retry", name,
                      heal_http_result_text (result->result));
        return RETRY;
    }
    if (result->status >= 200 && result->status < 300)
        return DELIVERED;
    if (result->status == 429 || result->status == 408 || result->status >= 500) {
        if (result->status == 429 || result->status == 503)
            self->retry_after_ms = result->retry_after_ms;
        zsys_warning ("notify: %s: HTTP %ld: will retry", name, result->status);
        return RETRY;
    }
    zsys_error ("notify: %s: HTTP %ld: refused, message dropped (check the "
                "destination's configuration)", name, result->status);
    return REJECTED;
}

static outcome_t
s_post (worker_t *self, const char *url, const char *const *headers, const char *body,
        size_t size)
{
    if (!self->http)
        return RETRY;           //  libcurl could not be set up: keep the message
    heal_http_request_t request = {
        .url = url, .body = body, .body_len = size, .headers = headers,
        .timeout_ms = self->dest->timeout_ms, .max_body = NOTIFY_HTTP_MAX_REPLY,
        .truncate = true,       //  the status is what counts; the body is read
                                //  (bounded) so the connection stays reusable
        .user_agent = "heal-notify/" HEAL_VERSION,
    };
    heal_http_reply_t result;
    int rc = heal_http_request (self->http, &request, &result);
    outcome_t outcome = s_classify (self, rc, &result);
    heal_http_reply_free (&result);
    return outcome;
}

static outcome_t
s_webhook (worker_t *self, const json_t *message)
{
    render_t render;
    if (render_webhook (message, self->dest->format, self->dest->token, &render))
        return REJECTED;
    outcome_t outcome = s_post (self, self->dest->url, (const char *const *) render.headers,
                                render.body, render.size);
    render_free (&render);
    return outcome;
}

//  --------------------------------------------------------------------------
//  Alertmanager

static outcome_t
s_am_post (worker_t *self, json_t *alerts)
{
    if (json_array_size (alerts) == 0)
        return DELIVERED;
    size_t len = strlen (self->dest->url);
    while (len && self->dest->url [len - 1] == '/')
        len--;
    char *url = zsys_sprintf ("%.*s/api/v2/alerts", (int) len, self->dest->url);
    char *body = json_dumps (alerts, JSON_COMPACT);
    const char *headers [3] = { "Content-Type: application/json", NULL, NULL };
    char *auth = self->dest->token ? zsys_sprintf ("Authorization: Bearer %s",
                                                   self->dest->token) : NULL;
    headers [1] = auth;
    outcome_t outcome = url && body ? s_post (self, url, headers, body, strlen (body))
                                    : REJECTED;
    zstr_free (&auth);
    zstr_free (&url);
    free (body);
    return outcome;
}

static void
s_am_save (worker_t *self)
{
    char *text = json_dumps (self->firing, JSON_COMPACT);
    if (!text || heal_write_atomic (self->firing_path, text, strlen (text), 0600))
        zsys_error ("notify: cannot write %s: %s", self->firing_path, strerror (errno));
    free (text);
}

static outcome_t
s_alertmanager (worker_t *self, const json_t *message)
{
    json_t *alerts = json_array ();
    json_t *firing = json_deep_copy (self->firing);
    int64_t now = event_now_ms ();
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (message, "items"), i, item) {
        const char *type = json_string_value (json_object_get (item, "type"));
        const char *alert = json_string_value (json_object_get (item, "alert"));
        const char *host = json_string_value (json_object_get (item, "host"));
        const char *check = json_string_value (json_object_get (item, "check"));
        if (!type || !host || !check)
            continue;
        char key [EVENT_MAX_SHORT + EVENT_MAX_NAME + 2];
        snprintf (key, sizeof key, "%s/%s", host, check);
        if (streq (type, "alert") && alert && streq (alert, "recovered")) {
            json_t *was = json_object_get (firing, key);
            json_t *resolved = json_deep_copy (item);
            if (was) {
                //  the same labels and start as the firing alert it ends
                json_object_set (resolved, "opened", json_object_get (was, "opened"));
                json_object_set (resolved, "critical", json_object_get (was, "critical"));
                json_object_set (resolved, "kind", json_object_get (was, "kind"));
            }
            json_array_append_new (alerts, render_am_alert (resolved, true, now));
            json_decref (resolved);
            json_object_del (firing, key);
        }
        else
        if (streq (type, "alert")) {
            json_t *was = json_object_get (firing, key);
            json_t *copy = json_deep_copy (item);
            if (was && !json_object_get (copy, "diagnosis"))
                json_object_set (copy, "diagnosis", json_object_get (was, "diagnosis"));
            json_array_append_new (alerts, render_am_alert (copy, false, now));
            json_object_set_new (firing, key, copy);
        }
        else
        if (streq (type, "diagnosis")) {
            size_t j;
            json_t *name;
            json_array_foreach (json_object_get (item, "checks"), j, name) {
                snprintf (key, sizeof key, "%s/%s", host, json_string_value (name));
                json_t *was = json_object_get (firing, key);
                if (!was)
                    continue;
                json_object_set (was, "diagnosis", json_object_get (item, "diagnosis"));
                json_array_append_new (alerts, render_am_alert (was, false, now));
            }
        }
    }
    outcome_t outcome = s_am_post (self, alerts);
    json_decref (alerts);
    if (outcome == DELIVERED) {
        json_decref (self->firing);
        self->firing = firing;
        s_am_save (self);
    }
    else
        json_decref (firing);
    return outcome;
}

//  While firing, Alertmanager hears again every NOTIFY_AM_RESEND_MS.
static void
s_am_resend (worker_t *self)
{
    self->resend_at = heal_monotonic_ms () + NOTIFY_AM_RESEND_MS;
    if (json_object_size (self->firing) == 0)
        return;
    json_t *alerts = json_array ();
    int64_t now = event_now_ms ();
    const char *key;
    json_t *item;
    json_object_foreach (self->firing, key, item)
        json_array_append_new (alerts, render_am_alert (item, false, now));
    s_am_post (self, alerts);
    json_decref (alerts);
}

//  --------------------------------------------------------------------------
//  Command and desktop

static char *
s_env (const char *name, const char *value)
{
    char *safe = heal_safe_string (value ? value : "", strlen (value ? value : ""),
                                   NOTIFY_MAX_ENV);
    char *pair = zsys_sprintf ("%s=%s", name, safe ? safe : "");
    free (safe);
    char *copy = pair ? strdup (pair) : NULL;
    zstr_free (&pair);
    return copy;
}

//  What a command did: its exit code (-1 when killed or timed out) and the
//  first line of its output, for the log.
typedef struct {
    int exit_code;
    bool timed_out;
    char first_line [256];
} s_ran_t;

//  Run argv (argv [0] a full path) with exactly env and input on its stdin,
//  through libheal's runner: its own process group, killed with it at
//  timeout_ms. Returns 0 when it ran (see *ran), -1 when it could not start.
static int
s_run (worker_t *self, const char *const *argv, char **env, const char *input,
       size_t input_len, s_ran_t *ran)
{
    memset (ran, 0, sizeof *ran);
    ran->exit_code = -1;
    command_opts_t opts = { (const char *const *) env, input, input_len };
    command_result_t result;
    if (command_run_with (argv, self->args.path, self->dest->timeout_ms,
                          NOTIFY_COMMAND_OUTPUT, &opts, &result))
        return -1;
    ran->timed_out = result.timed_out;
    if (!result.timed_out)
        ran->exit_code = result.exit_code;
    char *line = heal_safe_string (result.output, strcspn (result.output, "\n"),
                                   sizeof ran->first_line - 1);
    snprintf (ran->first_line, sizeof ran->first_line, "%s", line ? line : "");
    free (line);
    command_result_free (&result);
    return 0;
}

static outcome_t
s_command (worker_t *self, const json_t *message)
{
    json_t *first = json_array_get (json_object_get (message, "items"), 0);
    char *title = render_title (message);
    char *text = render_text (message);
    json_t *doc = json_deep_copy (message);
    json_object_set_new (doc, "title", json_string (title ? title : ""));
    json_object_set_new (doc, "text", json_string (text ? text : ""));
    char *input = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    char count [24], dropped [24];
    snprintf (count, sizeof count, "%zu", json_array_size (json_object_get (message, "items")));
    snprintf (dropped, sizeof dropped, "%" JSON_INTEGER_FORMAT,
              json_integer_value (json_object_get (message, "dropped")));
    char *env [16] = { NULL };
    size_t n = 0;
    env [n++] = s_env ("PATH", self->args.path);
    env [n++] = s_env ("HOME", getenv ("HOME"));
    env [n++] = s_env ("HEAL_DESTINATION", self->dest->name);
    env [n++] = s_env ("HEAL_ID", json_string_value (json_object_get (message, "id")));
    env [n++] = s_env ("HEAL_TITLE", title);
    env [n++] = s_env ("HEAL_TEXT", text);
    env [n++] = s_env ("HEAL_TYPE", json_string_value (json_object_get (first, "type")));
    env [n++] = s_env ("HEAL_ALERT", json_string_value (json_object_get (first, "alert")));
    env [n++] = s_env ("HEAL_CHECK", json_string_value (json_object_get (first, "check")));
    env [n++] = s_env ("HEAL_HOST", json_string_value (json_object_get (first, "host")));
    env [n++] = s_env ("HEAL_SEVERITY", json_string_value (json_object_get (first,
                                                                            "severity")));
    env [n++] = s_env ("HEAL_INCIDENT", json_string_value (json_object_get (first,
                                                                            "incident")));
    env [n++] = s_env ("HEAL_COUNT", count);
    env [n++] = s_env ("HEAL_DROPPED", dropped);
    const char *argv [] = { "/bin/sh", "-c", self->dest->run, NULL };
    s_ran_t result;
    char name [96];
    s_name (self, name, sizeof name);
    outcome_t outcome = RETRY;
    if (!input)
        outcome = REJECTED;
    else
    if (s_run (self, argv, env, input, strlen (input), &result))
        zsys_error ("notify: %s: cannot start its command: %s: will retry", name,
                    strerror (errno));
    else
    if (result.exit_code == 0)
        outcome = DELIVERED;
    else
        zsys_warning ("notify: %s: command %s%s%s: will retry", name,
                      result.timed_out ? "timed out" : "failed",
                      *result.first_line ? ": " : "", result.first_line);
    for (size_t i = 0; i < n; i++)
        free (env [i]);
    free (input);
    free (title);
    free (text);
    return outcome;
}

static outcome_t
s_desktop (worker_t *self, const json_t *message)
{
    char *title = render_title (message);
    char *text = render_text (message);
    outcome_t outcome = DELIVERED;
    if (!self->notifier)
        zsys_notice ("notify: %s\n%s", title ? title : "", text ? text : "");
    else {
        const char *osa [] = { self->notifier, "-e", "on run argv",
                               "-e", "display notification (item 2 of argv) with title "
                               "(item 1 of argv)", "-e", "end run",
                               title ? title : "heal", text ? text : "", NULL };
        const char *send [] = { self->notifier, "--app-name=heal", "--",
                                title ? title : "heal", text ? text : "", NULL };
        char *env [4] = { s_env ("PATH", self->args.path), NULL, NULL, NULL };
        size_t n = 1;
        //  notify-send needs the session bus and display it was started with
        const char *pass [] = { "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", NULL };
        for (size_t i = 0; pass [i]; i++)
            if (getenv (pass [i]))
                env [n++] = s_env (pass [i], getenv (pass [i]));
        s_ran_t result;
        if (s_run (self, self->osascript ? osa : send, env, NULL, 0, &result)
        ||  result.exit_code != 0) {
            //  A desktop that is not there is not worth a retry loop: log it.
            zsys_notice ("notify: desktop notifier failed%s%s; the message was:\n%s\n%s",
                         *result.first_line ? ": " : "", result.first_line,
                         title ? title : "", text ? text : "");
        }
        for (size_t i = 0; i < n; i++)
            free (env [i]);
    }
    free (title);
    free (text);
    return outcome;
}

//  --------------------------------------------------------------------------
//  The loop

static outcome_t
s_deliver (worker_t *self, const json_t *message)
{
    switch (self->dest->kind) {
        case NOTIFY_KIND_WEBHOOK:      return s_webhook (self, message);
        case NOTIFY_KIND_ALERTMANAGER: return s_alertmanager (self, message);
        case NOTIFY_KIND_COMMAND:      return s_command (self, message);
        case NOTIFY_KIND_DESKTOP:      return s_desktop (self, message);
    }
    return REJECTED;
}

static void
s_deliver_head (worker_t *self)
{
    const char *dir = self->args.dir;
    char *name = (char *) zlist_first (self->queue);
    if (!self->batch) {
        self->batch = outbox_load (dir, name, &self->done);
        if (!self->batch) {
            zlist_remove (self->queue, name);
            return;
        }
    }
    if (self->done >= json_array_size (self->batch)) {
        outbox_remove (dir, name);
        zlist_remove (self->queue, name);
        json_decref (self->batch);
        self->batch = NULL;
        return;
    }
    //  Behind (a burst, or the destination was down): the messages waiting in
    //  this batch go out as one, up to NOTIFY_GROUP_MAX alerts, so a backlog
    //  drains in a few requests rather than one per alert.
    size_t take = 0, total = json_array_size (self->batch);
    json_t *items = json_array ();
    while (self->done + take < total
       &&  (take == 0 || json_array_size (items) < NOTIFY_GROUP_MAX)) {
        json_t *next = json_array_get (self->batch, self->done + take);
        json_array_extend (items, json_object_get (next, "items"));
        take++;
    }
    json_t *message = json_pack ("{s:O?, s:o}", "id", json_object_get (
                                     json_array_get (self->batch, self->done), "id"),
                                 "items", items);
    if (!message)
        return;
    uint64_t dropped = outbox_dropped (dir);
    if (dropped)
        json_object_set_new (message, "dropped", json_integer ((json_int_t) dropped));
    outcome_t outcome = s_deliver (self, message);
    json_decref (message);
    if (outcome == RETRY) {
        self->backoff_ms = self->backoff_ms
            ? (self->backoff_ms * 2 > NOTIFY_BACKOFF_MAX_MS ? NOTIFY_BACKOFF_MAX_MS
                                                            : self->backoff_ms * 2)
            : NOTIFY_BACKOFF_MIN_MS;
        int64_t delay = self->backoff_ms;
        if (self->retry_after_ms >= 0)
            delay = self->retry_after_ms > NOTIFY_RETRY_AFTER_MAX_MS
                  ? NOTIFY_RETRY_AFTER_MAX_MS : self->retry_after_ms;
        self->retry_at = heal_monotonic_ms () + delay;
        if (self->args.verbose)
            zsys_info ("notify: destination '%s': next try in %" PRId64 "ms",
                       self->dest->name, delay);
        return;
    }
    if (dropped)
        outbox_dropped_reset (dir);
    self->done += take;
    self->backoff_ms = 0;
    self->retry_at = 0;
    if (self->done >= json_array_size (self->batch)) {
        outbox_remove (dir, name);
        zlist_remove (self->queue, name);
        json_decref (self->batch);
        self->batch = NULL;
    }
    else
        outbox_progress (dir, name, self->done);
}

//  Read the outbox again (which drops the oldest past the bound); the head
//  batch may be gone, so it is reloaded from disk with its progress.
static void
s_rescan (worker_t *self)
{
    zlist_destroy (&self->queue);
    self->queue = outbox_scan (self->args.dir, NOTIFY_SCAN_BATCH);
    json_decref (self->batch);
    self->batch = NULL;
    self->last_trim = heal_monotonic_ms ();
}

static void
s_setup_desktop (worker_t *self)
{
    struct utsname u;
    if (uname (&u) == 0 && streq (u.sysname, "Darwin")) {
        self->notifier = command_which ("/usr/bin/osascript", NULL);
        self->osascript = true;
    }
    else
        self->notifier = command_which ("notify-send", self->args.path);
    if (!self->notifier)
        zsys_notice ("notify: destination '%s': no desktop notifier (notify-send) on "
                     "this machine: alerts are only logged", self->dest->name);
}

void
worker_actor (zsock_t *pipe, void *args)
{
    worker_t self_ = { 0 }, *self = &self_;
    self->pipe = pipe;
    self->args = *(worker_args_t *) args;
    self->dest = self->args.dest;
    self->retry_after_ms = -1;
    if (self->dest->kind == NOTIFY_KIND_ALERTMANAGER) {
        self->firing_path = zsys_sprintf ("%s/firing.json", self->args.dir);
        size_t size = 0;
        char *text = self->firing_path ? heal_read_file (self->firing_path,
                                                         NOTIFY_OUTBOX_MAX_FILE, &size)
                                       : NULL;
        json_error_t error;
        self->firing = text ? json_loadb (text, size, 0, &error) : NULL;
        free (text);
        if (!json_is_object (self->firing)) {
            json_decref (self->firing);
            self->firing = json_object ();
        }
        self->resend_at = heal_monotonic_ms ();     //  at once: Alertmanager may have restarted
    }
    if (self->dest->kind == NOTIFY_KIND_DESKTOP)
        s_setup_desktop (self);
    if (self->dest->kind == NOTIFY_KIND_WEBHOOK || self->dest->kind == NOTIFY_KIND_ALERTMANAGER)
    {
        self->http = heal_http_new (self->args.abort_flag);
        if (!self->http)
            zsys_error ("notify: destination '%s': %s: messages stay in the outbox",
                        self->dest->name, heal_http_error_text ());
    }
    zpoller_t *poller = zpoller_new (pipe, NULL);
    zsock_signal (pipe, 0);
    while (!self->terminated) {
        int64_t now = heal_monotonic_ms ();
        if (!self->queue || zlist_size (self->queue) == 0) {
            zlist_destroy (&self->queue);
            self->queue = outbox_scan (self->args.dir, NOTIFY_SCAN_BATCH);
            self->last_trim = now;
        }
        int64_t wait = -1;
        if (self->queue && zlist_size (self->queue))
            wait = self->retry_at > now ? self->retry_at - now : 0;
        if (self->firing) {
            int64_t until = self->resend_at > now ? self->resend_at - now : 0;
            if (wait < 0 || until < wait)
                wait = until;
        }
        if (zpoller_wait (poller, (int) (wait > 1000 ? 1000 : wait)) == pipe) {
            //  drain: $TERM ends, anything else is a wake-up
            while (zsock_events (pipe) & ZMQ_POLLIN) {
                char *command = zstr_recv (pipe);
                if (!command || streq (command, "$TERM"))
                    self->terminated = true;
                zstr_free (&command);
                if (self->terminated)
                    break;
            }
            //  down for a while: keep the outbox bounded meanwhile
            now = heal_monotonic_ms ();
            if (self->retry_at > now && now - self->last_trim >= NOTIFY_TRIM_EVERY_MS)
                s_rescan (self);
            continue;
        }
        if (zpoller_terminated (poller))
            break;
        now = heal_monotonic_ms ();
        if (self->firing && self->resend_at <= now)
            s_am_resend (self);
        if (self->queue && zlist_size (self->queue) && self->retry_at <= now) {
            //  a retry: first apply the bound to what piled up meanwhile
            if (self->retry_at)
                s_rescan (self);
            if (self->queue && zlist_size (self->queue))
                s_deliver_head (self);
        }
    }
    zpoller_destroy (&poller);
    zlist_destroy (&self->queue);
    json_decref (self->batch);
    heal_http_destroy (&self->http);
    json_decref (self->firing);
    zstr_free (&self->firing_path);
    free (self->notifier);
}

void
worker_wake (zactor_t *worker)
{
    zmq_send (zsock_resolve (worker), "W", 1, ZMQ_DONTWAIT);
}
