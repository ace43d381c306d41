//  notify.c — heal-notify's main loop: the bus subscriber (this thread owns
//  it), the message memory (message.c), grouping within group_wait, and the
//  hand-off to each destination: the message is written to that
//  destination's outbox (fsync) before its worker hears of it, so nothing
//  accepted is lost to a crash or a destination that is down.

#include "notify.h"
#include "notify_run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

typedef struct {
    const notify_destination_t *dest;
    outbox_t *outbox;
    zactor_t *worker;
    json_t *pending;            //  items waiting for group_wait, or NULL
    int64_t flush_at;           //  monotonic
    bool touched;               //  written this burst: sync + wake
} route_t;

struct notify_t {
    heal_config_t *config;
    notify_config_t *notify;
    notify_destination_t desktop;   //  the fallback when none is configured
    bus_subscriber_t *sub;
    notify_state_t *state;
    route_t *routes;
    size_t route_count;
    char *dir;                  //  state_dir/notify
    atomic_int abort_flag;
    int lock_fd;                //  flock on dir/lock: one heal-notify per state dir
    bool verbose;
};

//  What heal-notify hears. Check events are there for the remedy heal tried
//  (shown in the alert that follows) and so that every message of the
//  agent arrives: a jump in `seq` is then a real gap.
//  SIGUSR1: send the digest now (whatever the schedule says).
static volatile sig_atomic_t s_digest_now = 0;

static void
s_on_usr1 (int signum)
{
    (void) signum;
    s_digest_now = 1;
}

static const char *s_prefixes [] = {
    "heal.alert.", "heal.diagnosis", "heal.check.", "heal.agent", "heal.cycle", NULL
};

notify_t *
notify_new (heal_config_t **config_p, notify_config_t **notify_p, bool verbose,
            char *err, size_t errlen)
{
    notify_t *self = (notify_t *) calloc (1, sizeof (notify_t));
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->config = *config_p;
    *config_p = NULL;
    self->notify = *notify_p;
    *notify_p = NULL;
    self->verbose = verbose;
    atomic_init (&self->abort_flag, 0);
    self->lock_fd = -1;
    self->dir = zsys_sprintf ("%s/notify", self->config->state_dir);
    if (!self->dir || !(self->state = notify_state_new (self->dir))) {
        snprintf (err, errlen, "notify: cannot use its state directory under %s",
                  self->config->state_dir);
        goto failed;
    }
    //  Two heal-notify on one outbox would deliver everything twice.
    char *lock = zsys_sprintf ("%s/lock", self->dir);
    self->lock_fd = lock ? open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
    zstr_free (&lock);
    if (self->lock_fd < 0 || flock (self->lock_fd, LOCK_EX | LOCK_NB)) {
        snprintf (err, errlen, "notify: another heal-notify is running on %s (%s)",
                  self->dir, strerror (errno));
        goto failed;
    }
    size_t count = self->notify->destination_count;
    const notify_destination_t *dests = self->notify->destinations;
    if (count == 0) {
        self->desktop.name = (char *) "desktop";
        self->desktop.kind = NOTIFY_KIND_DESKTOP;
        self->desktop.timeout_ms = NOTIFY_DEFAULT_TIMEOUT_MS;
        self->desktop.on = NOTIFY_ON_ALL;
        dests = &self->desktop;
        count = 1;
        zsys_info ("notify: no destination configured: notifying the desktop");
    }
    self->routes = (route_t *) calloc (count, sizeof (route_t));
    if (!self->routes)
        goto failed;
    for (size_t i = 0; i < count; i++) {
        route_t *route = &self->routes [self->route_count++];
        route->dest = &dests [i];
        char *outbox = zsys_sprintf ("%s/outbox/%s", self->dir, route->dest->name);
        route->outbox = outbox ? outbox_new (outbox) : NULL;
        zstr_free (&outbox);
        if (!route->outbox) {
            snprintf (err, errlen, "notify: cannot create the outbox of destination '%s'",
                      route->dest->name);
            goto failed;
        }
        worker_args_t args = { route->dest, outbox_dir (route->outbox), self->config->path,
                               &self->abort_flag, verbose };
        route->worker = zactor_new (worker_actor, &args);
        if (!route->worker) {
            snprintf (err, errlen, "notify: cannot start the worker of destination '%s'",
                      route->dest->name);
            goto failed;
        }
        zsys_info ("notify: destination '%s' (%s) ready", route->dest->name,
                   notify_kind_name (route->dest->kind));
    }
    self->sub = bus_subscriber_new_secure (self->config, self->config->publish, s_prefixes);
    if (!self->sub) {
        snprintf (err, errlen, "notify: cannot subscribe to the bus (see above)");
        goto failed;
    }
    return self;
failed:
    notify_destroy (&self);
    return NULL;
}

void
notify_destroy (notify_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_t *self = *self_p;
    //  a worker inside a slow transfer stops it now (the message stays queued)
    atomic_store (&self->abort_flag, 1);
    for (size_t i = 0; i < self->route_count; i++) {
        route_t *route = &self->routes [i];
        zactor_destroy (&route->worker);
        json_decref (route->pending);
        outbox_destroy (&route->outbox);
    }
    free (self->routes);
    bus_subscriber_destroy (&self->sub);
    if (self->state)
        notify_state_save (self->state);
    notify_state_destroy (&self->state);
    zstr_free (&self->dir);
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    notify_config_destroy (&self->notify);
    heal_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}

//  Write a route's pending group as one outbox message.
static void
s_flush (notify_t *self, route_t *route)
{
    (void) self;
    if (!route->pending)
        return;
    json_t *first = json_array_get (route->pending, 0);
    json_t *message = json_pack ("{s:O?, s:o}", "id", json_object_get (first, "id"),
                                 "items", route->pending);
    route->pending = NULL;
    route->flush_at = 0;
    if (message && outbox_add (route->outbox, message) == 0)
        route->touched = true;
    json_decref (message);
}

static void
s_route (notify_t *self, json_t *item, const char *what)
{
    const char *check = json_string_value (json_object_get (item, "check"));
    for (size_t i = 0; i < self->route_count; i++) {
        route_t *route = &self->routes [i];
        if (!notify_destination_wants (route->dest, what, check))
            continue;
        if (!route->pending) {
            route->pending = json_array ();
            route->flush_at = heal_monotonic_ms () + self->notify->group_wait_ms;
        }
        json_array_append (route->pending, item);
        if (self->notify->group_wait_ms == 0
        ||  json_array_size (route->pending) >= NOTIFY_GROUP_MAX)
            s_flush (self, route);
    }
}

//  After a burst: write each destination's batch, wake its worker (it can
//  deliver from the page cache at once), then make the batches durable: the
//  fsyncs never sit between an alert and its delivery.
static void
s_commit (notify_t *self)
{
    for (size_t i = 0; i < self->route_count; i++) {
        route_t *route = &self->routes [i];
        if (route->touched && outbox_commit (route->outbox) == 0)
            worker_wake (route->worker);
    }
    for (size_t i = 0; i < self->route_count; i++) {
        route_t *route = &self->routes [i];
        if (route->touched)
            outbox_sync (route->outbox);
        route->touched = false;
    }
    notify_state_save (self->state);
}

static int
s_by_ts (const void *a, const void *b)
{
    json_int_t x = json_integer_value (json_object_get (*(json_t *const *) a, "ts"));
    json_int_t y = json_integer_value (json_object_get (*(json_t *const *) b, "ts"));
    return x < y? -1: x > y;
}

//  The agent's history of every check for the last seconds (at most
//  NOTIFY_DIGEST_MAX_S, 200 entries), or NULL when it does not answer.
static json_t *
s_agent_history (notify_t *self, int64_t seconds)
{
    if (seconds > NOTIFY_DIGEST_MAX_S)
        seconds = NOTIFY_DIGEST_MAX_S;
    char span [32];
    snprintf (span, sizeof span, "%lld", (long long) seconds);
    const char *args [3] = { "*", span, "200" };
    return notify_agent_request (self->config, "history", args, 3, NOTIFY_AGENT_TIMEOUT_MS);
}

//  Alerts published while heal-notify was not hearing (missed: {host,
//  source, from_ts, to_ts}): from the agent's history (its incidents and the
//  alerts each sent), routed like any other, oldest first. Their id is
//  HOST/SOURCE/catch-up/TS: the seq they had is not known.
static void
s_catch_up (notify_t *self, json_t *missed)
{
    int64_t from = json_integer_value (json_object_get (missed, "from_ts"));
    int64_t to = json_integer_value (json_object_get (missed, "to_ts"));
    int64_t now = event_now_ms ();
    json_t *history = s_agent_history (self, from < now? (now - from + 999) / 1000 + 1: 1);
    if (!history) {
        zsys_warning ("notify: the agent's history is not available: alerts published "
                      "while heal-notify was not hearing are not delivered");
        return;
    }
    json_t *found = json_array ();
    size_t i, k;
    json_t *incident, *alert;
    json_array_foreach (json_object_get (history, "incidents"), i, incident)
        json_array_foreach (json_object_get (incident, "alerts"), k, alert) {
            json_int_t ts = json_integer_value (json_object_get (alert, "ts"));
            if (ts > from && ts < to && json_array_size (found) < NOTIFY_MAX_CHECKS)
                json_array_append_new (found, json_pack ("{s:I, s:O, s:O}", "ts", ts,
                                                         "alert", alert, "incident", incident));
        }
    size_t count = json_array_size (found);
    json_t **sorted = count? (json_t **) calloc (count, sizeof (json_t *)): NULL;
    for (i = 0; sorted && i < count; i++)
        sorted [i] = json_array_get (found, i);
    if (sorted)
        qsort (sorted, count, sizeof (json_t *), s_by_ts);
    const char *host = json_string_value (json_object_get (missed, "host"));
    const char *source = json_string_value (json_object_get (missed, "source"));
    char catch_source [EVENT_MAX_SHORT];
    snprintf (catch_source, sizeof catch_source, "%s/catch-up", source? source: "?");
    size_t routed = 0;
    for (i = 0; sorted && i < count; i++) {
        json_t *entry = sorted [i];
        incident = json_object_get (entry, "incident");
        const char *what_alert = json_string_value (json_object_get (
            json_object_get (entry, "alert"), "alert"));
        const char *check = json_string_value (json_object_get (incident, "check"));
        bool recovered = what_alert && streq (what_alert, "recovered");
        const char *message = json_string_value (json_object_get (
            incident, recovered? "last_message": "message"));
        event_t *event = event_new (EVENT_ALERT);
        if (!event || !what_alert || !check) {
            event_destroy (&event);
            continue;
        }
        event_set_string (&event->host, host? host: heal_hostname (), EVENT_MAX_SHORT);
        event_set_string (&event->source, catch_source, EVENT_MAX_SHORT);
        event_set_string (&event->check, check, EVENT_MAX_NAME);
        event_set_string (&event->alert, what_alert, EVENT_MAX_SHORT);
        event_set_string (&event->message, message? message: "", EVENT_MAX_MESSAGE);
        event->critical = json_is_true (json_object_get (incident, "critical"));
        event->severity = recovered? SEVERITY_OK: SEVERITY_CRITICAL;
        event->since = json_integer_value (json_object_get (incident, "opened"));
        event->ts = json_integer_value (json_object_get (entry, "ts"));
        event->seq = (uint64_t) event->ts;
        const char *what = NULL;
        json_t *item = notify_state_feed_missed (self->state, event, &what);
        if (item) {
            s_route (self, item, what);
            json_decref (item);
            routed++;
        }
        event_destroy (&event);
    }
    zsys_info ("notify: caught up %zu alert(s) from the agent's history", routed);
    free (sorted);
    json_decref (found);
    json_decref (history);
}

static void
s_handle (notify_t *self, event_t *event)
{
    json_t *missed = notify_state_track (self->state, event);
    if (missed)
        s_catch_up (self, missed);
    json_decref (missed);
    const char *what = NULL;
    json_t *item = notify_state_feed (self->state, event, &what);
    if (item) {
        if (self->verbose)
            zsys_info ("notify: %s: %s", what,
                       json_string_value (json_object_get (item, "title")));
        s_route (self, item, what);
        json_decref (item);
    }
    else
    if (event->type == EVENT_AGENT && event->event && self->verbose)
        zsys_info ("notify: agent on %s: %s", event->host, event->event);
}

//  The digest, when it is due or asked for (SIGUSR1).
static void
s_digest_maybe (notify_t *self)
{
    int64_t now = event_now_ms ();
    int64_t due = digest_next_due (self->notify->digest_day, self->notify->digest_minute,
                                   notify_state_digest_sent (self->state));
    if (!s_digest_now && (due < 0 || now < due))
        return;
    s_digest_now = 0;
    //  The agent's history for the period, when it answers: it counts what
    //  happened while heal-notify was not running too (issue 15).
    int64_t since = notify_state_digest_since (self->state);
    json_t *history = s_agent_history (self, since > 0 && since < now
                                             ? (now - since + 999) / 1000: 7 * 86400);
    json_t *item = notify_state_digest (self->state, heal_hostname (), now, history);
    json_decref (history);
    if (!item)
        return;
    zsys_info ("notify: digest: %s", json_string_value (json_object_get (item, "text")));
    s_route (self, item, "digest");
    json_decref (item);
}

int
notify_run (notify_t *self)
{
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_usr1;
    sigemptyset (&action.sa_mask);
    sigaction (SIGUSR1, &action, NULL);
    zsys_info ("notify: listening on %s", self->config->publish);
    zsock_t *sock = bus_subscriber_sock (self->sub);
    zpoller_t *poller = zpoller_new (sock, NULL);
    if (!poller)
        return -1;
    while (!zsys_interrupted) {
        int64_t now = heal_monotonic_ms ();
        int64_t wait = 1000;
        for (size_t i = 0; i < self->route_count; i++)
            if (self->routes [i].pending) {
                int64_t left = self->routes [i].flush_at - now;
                if (left < wait)
                    wait = left < 0 ? 0 : left;
            }
        void *which = zpoller_wait (poller, (int) wait);
        //  czmq calls an interrupted poll "terminated": only SIGTERM/SIGINT end us
        if (zsys_interrupted || (zpoller_terminated (poller) && !s_digest_now))
            break;
        if (which == sock) {
            for (int n = 0; n < NOTIFY_BURST && (zsock_events (sock) & ZMQ_POLLIN); n++) {
                char err [256] = "";
                event_t *event = bus_subscriber_recv (self->sub, 0, err, sizeof err);
                if (!event) {
                    zsys_warning ("notify: invalid bus message dropped: %s", err);
                    continue;
                }
                s_handle (self, event);
                event_destroy (&event);
            }
        }
        s_digest_maybe (self);
        now = heal_monotonic_ms ();
        for (size_t i = 0; i < self->route_count; i++)
            if (self->routes [i].pending && self->routes [i].flush_at <= now)
                s_flush (self, &self->routes [i]);
        s_commit (self);
    }
    zpoller_destroy (&poller);
    for (size_t i = 0; i < self->route_count; i++)
        s_flush (self, &self->routes [i]);
    s_commit (self);
    zsys_info ("notify: stopping");
    return 0;
}
