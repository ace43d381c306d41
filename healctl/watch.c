//  healctl watch — follow the bus (SPEC "Bus") and print each event as it
//  arrives: one readable line, or one JSON line with --json.
//
//  The SUB connects (never binds), so ZeroMQ reconnects by itself when the
//  agent restarts: ipc and tcp reconnect every WATCH_RECONNECT_MS, and tcp
//  heartbeats notice a peer that vanished without closing the connection.
//  SIGINT or SIGTERM ends it with exit 0.

#include "healctl.h"

#include <string.h>
#include <time.h>

#define WATCH_RECONNECT_MS      100     //  first retry after a lost agent
#define WATCH_RECONNECT_MAX_MS  1000    //  retries back off up to this
#define WATCH_HEARTBEAT_MS      2000    //  tcp: ping the agent this often
#define WATCH_HEARTBEAT_TTL_MS  6000    //  tcp: drop the link after this silence
#define WATCH_POLL_MS           500     //  wake up to notice signals
#define WATCH_NOTICE_MS         1000    //  not connected after this: say so

//  "12:34:56" (local time) of a unix-ms timestamp.
static void
s_clock (int64_t ts_ms, char *buf, size_t len)
{
    time_t secs = (time_t) (ts_ms / 1000);
    struct tm tm;
    if (ts_ms <= 0 || !localtime_r (&secs, &tm) || !strftime (buf, len, "%H:%M:%S", &tm))
        snprintf (buf, len, "--:--:--");
}

//  "remedy restart: failed"; an action that is itself "remedy" (no action of
//  its own) once: "remedy: skipped", not "remedy remedy: skipped".
static void
s_print_remedy (const event_remedy_t *remedy)
{
    const char *action = remedy->action ? remedy->action : "?";
    printf ("remedy%s%s: %s", streq (action, "remedy") ? "" : " ",
            streq (action, "remedy") ? "" : action, remedy->result ? remedy->result : "?");
}

//  One readable line per event: time, severity (or type), check, message, remedy.
static void
s_print_line (healctl_t *ctl, const event_t *event)
{
    char clock [16];
    s_clock (event->ts, clock, sizeof clock);
    const char *reset = healctl_color_reset (ctl);
    switch (event->type) {
        case EVENT_CHECK: {
            const char *severity = severity_name (event->severity);
            printf ("%s  %s%-8s%s  %-20s %s", clock, healctl_severity_color (ctl, severity),
                    severity, reset, event->check ? event->check : "?",
                    event->message ? event->message : "");
            if (event->remedy) {
                printf ("  [");
                s_print_remedy (event->remedy);
                printf (", attempt %lld, %lld ms]", (long long) event->remedy->attempt,
                        (long long) event->remedy->duration_ms);
            }
            break;
        }
        case EVENT_ALERT: {
            const char *severity = severity_name (event->severity);
            printf ("%s  %sALERT%s     %-20s %s: %s", clock,
                    healctl_severity_color (ctl, severity), reset,
                    event->check ? event->check : "?",
                    event->alert ? event->alert : severity,
                    event->message ? event->message : "");
            if (event->remedy) {
                printf ("  [");
                s_print_remedy (event->remedy);
                printf ("]");
            }
            break;
        }
        case EVENT_CYCLE: {
            printf ("%s  cycle     #%-19llu ", clock, (unsigned long long) event->cycle);
            const char *sep = "";
            for (int s = 0; s < SEVERITY_COUNT; s++)
                if (event->counts [s]) {
                    printf ("%s%lld %s", sep, (long long) event->counts [s],
                            severity_name ((severity_t) s));
                    sep = ", ";
                }
            if (!*sep)
                printf ("no checks");
            if (event->degraded) {
                printf (" — %sDEGRADED%s", healctl_severity_color (ctl, "critical"), reset);
                for (size_t i = 0; i < event->issue_count; i++)
                    printf ("%s%s", i ? ", " : ": ", event->issues [i]);
            }
            break;
        }
        case EVENT_DIAGNOSIS: {
            printf ("%s  diagnosis %-20s ", clock,
                    event->check_count ? event->checks [0] : "-");
            if (event->error)
                printf ("no diagnosis: %s", event->error);
            else {
                printf ("%s", event->summary ? event->summary : "");
                if (event->root_cause)
                    printf (" (root cause: %s)", event->root_cause);
                if (event->cached)
                    printf (" [cached]");
            }
            break;
        }
        case EVENT_AGENT:
            printf ("%s  agent     %-20s %s", clock, event->host ? event->host : "",
                    event->event ? event->event : "?");
            if (event->version)
                printf (" (version %s, pid %lld)", event->version, (long long) event->pid);
            if (event->message)
                printf (": %s", event->message);
            break;
        default:
            printf ("%s  %s", clock, event_type_name (event->type));
            break;
    }
    printf ("\n");
}

int
healctl_watch (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    (void) cmd;
    int rc = HEALCTL_EXIT_SOFTWARE;
    char err [CONFIG_ERROR_MAX] = "";
    const char *prefix = argc > 0 ? argv [0] : "";
    if (strlen (prefix) > EVENT_MAX_TOPIC) {
        fprintf (stderr, "healctl: watch: topic prefix longer than %d bytes\n",
                 EVENT_MAX_TOPIC);
        return HEALCTL_EXIT_USAGE;
    }
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (!sub) {
        fprintf (stderr, "healctl: cannot create a socket: %s\n", zmq_strerror (zmq_errno ()));
        return HEALCTL_EXIT_SOFTWARE;
    }
    zsock_set_linger (sub, 0);
    zsock_set_reconnect_ivl (sub, WATCH_RECONNECT_MS);
    zsock_set_reconnect_ivl_max (sub, WATCH_RECONNECT_MAX_MS);
    zsock_set_heartbeat_ivl (sub, WATCH_HEARTBEAT_MS);
    zsock_set_heartbeat_timeout (sub, WATCH_HEARTBEAT_TTL_MS);
    zsock_set_maxmsgsize (sub, EVENT_MAX_FRAME + 64);
    zsock_set_subscribe (sub, prefix);
    //  The monitor tells us when the agent's bus is there or gone, so an
    //  operator watching nothing learns why (on stderr: stdout stays events).
    zactor_t *monitor = zactor_new (zmonitor, sub);
    if (monitor) {
        zstr_sendx (monitor, "LISTEN", "CONNECTED", "DISCONNECTED", NULL);
        zstr_sendx (monitor, "START", NULL);
        zsock_wait (monitor);
    }
    if (heal_secure_connect (ctl->config, sub, ctl->bus_endpoint, err, sizeof err)) {
        fprintf (stderr, "healctl: watch: %s\n", err);
        zactor_destroy (&monitor);
        rc = HEALCTL_EXIT_USAGE;
        goto cleanup;
    }
    if (ctl->verbose)
        fprintf (stderr, "healctl: watching %s%s%s\n", ctl->bus_endpoint,
                 *prefix ? " for " : "", prefix);
    zpoller_t *poller = zpoller_new (sub, monitor, NULL);
    uint64_t invalid = 0;
    bool connected = false;
    bool told = false;          //  said "no agent" and not yet "connected"
    int64_t notice_at = zclock_mono () + WATCH_NOTICE_MS;
    if (!monitor || healctl_agent_absent ("watch", ctl->bus_endpoint)) {
        fprintf (stderr, "healctl: watch: waiting for heal-agent at %s (Ctrl-C to stop)\n",
                 ctl->bus_endpoint);
        told = true;
    }
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, WATCH_POLL_MS);
        if (!connected && !told && monitor && zclock_mono () >= notice_at) {
            fprintf (stderr, "healctl: watch: no heal-agent at %s yet; waiting for it "
                     "(Ctrl-C to stop)\n", ctl->bus_endpoint);
            told = true;
        }
        if (which && which == monitor) {
            //  zmonitor: [event name, value, address]
            zmsg_t *note = zmsg_recv (monitor);
            char *name = note ? zmsg_popstr (note) : NULL;
            if (name && streq (name, "CONNECTED")) {
                if (told)
                    fprintf (stderr, "healctl: watch: connected to heal-agent at %s\n",
                             ctl->bus_endpoint);
                connected = true;
                told = false;
            }
            else
            if (name && streq (name, "DISCONNECTED") && connected) {
                fprintf (stderr, "healctl: watch: lost heal-agent at %s; waiting for it "
                         "to come back\n", ctl->bus_endpoint);
                connected = false;
                told = true;
            }
            zstr_free (&name);
            zmsg_destroy (&note);
            continue;
        }
        if (!which) {
            if (zpoller_terminated (poller))
                break;
            continue;           //  timeout: look at zsys_interrupted again
        }
        zmsg_t *msg = zmsg_recv (sub);
        if (!msg)
            break;
        zframe_t *topic = zmsg_first (msg);
        zframe_t *payload = zmsg_next (msg);
        event_t *event = NULL;
        if (zmsg_size (msg) == 2)
            event = event_decode_message ((const char *) zframe_data (topic),
                                          zframe_size (topic), zframe_data (payload),
                                          zframe_size (payload), err, sizeof err);
        else
            snprintf (err, sizeof err, "%zu frames, expected 2", zmsg_size (msg));
        zmsg_destroy (&msg);
        if (!event) {
            invalid++;
            if (ctl->verbose)
                fprintf (stderr, "healctl: watch: ignored an invalid message: %s\n", err);
            continue;
        }
        if (ctl->json) {
            json_t *json = event_to_json (event);
            healctl_print_json (json, true);
            json_decref (json);
        }
        else
            s_print_line (ctl, event);
        event_destroy (&event);
        if (fflush (stdout) != 0 || ferror (stdout))
            break;              //  reader went away
    }
    zpoller_destroy (&poller);
    zactor_destroy (&monitor);
    if (ctl->verbose && invalid)
        fprintf (stderr, "healctl: watch: %llu invalid messages ignored\n",
                 (unsigned long long) invalid);
    rc = HEALCTL_EXIT_OK;

cleanup:
    zsock_destroy (&sub);
    return rc;
}
