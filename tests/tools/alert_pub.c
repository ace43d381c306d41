//  alert_pub — a stand-in agent for heal-notify's tests and bench: binds its
//  own XPUB on the endpoint given (a config's bus.publish points at it) and
//  publishes what stdin asks for, encoded by libheal (no second codec).
//  It can forge what a Python PUSH into the agent's inbound never could:
//  alerts, with a seq run of its own.
//
//  alert_pub ENDPOINT         then lines on stdin:
//    wait                             until a subscriber for heal.alert. joins
//    alert CHECK WHAT [N [RATE]]      N alerts (CHECK, CHECK-1..) WHAT = gave_up|
//                                     critical|recovered, RATE per second (0 = burst),
//                                     each after a failing check event with a remedy
//    diagnosis CHECK SUMMARY...       a diagnosis of CHECK
//    healed CHECK N                   N check events: CHECK failed, a remedy healed it
//    stamp CHECK N RATE               N gave_up alerts, message = send time in us
//                                     (bench: latency at the receiver)
//  Prints "ok" after each line is done.

#include "heal/heal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static uint64_t s_seq;

static void
s_send (zsock_t *pub, event_t *event)
{
    event->seq = ++s_seq;
    if (!event->ts)
        event->ts = event_now_ms ();
    event_set_string (&event->host, heal_hostname (), EVENT_MAX_SHORT);
    event_set_string (&event->source, "heal-agent", EVENT_MAX_SHORT);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    char *topic = event_topic (event);
    if (topic && event_encode (event, &buf) == 0) {
        zframe_t *t = zframe_new (topic, strlen (topic));
        zframe_t *p = zframe_new (buf.data, buf.size);
        zframe_send (&t, pub, ZFRAME_MORE);
        zframe_send (&p, pub, 0);
    }
    zstr_free (&topic);
    msgpack_sbuffer_destroy (&buf);
}

static void
s_pace (int64_t start_us, size_t i, double rate)
{
    if (rate <= 0)
        return;
    int64_t due = start_us + (int64_t) ((double) i * 1e6 / rate);
    for (;;) {
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        int64_t now = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        if (now >= due)
            return;
        zclock_sleep ((int) ((due - now) / 1000 > 0 ? (due - now) / 1000 : 0));
        if (due - now < 1000) {
            struct timespec nap = { 0, (long) (due - now) * 1000 };
            nanosleep (&nap, NULL);
        }
    }
}

static int64_t
s_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
s_wall_us (void)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    return (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}

static void
s_alert (zsock_t *pub, const char *check, const char *what, const char *message)
{
    bool recovered = streq (what, "recovered");
    event_t *ev = event_new (EVENT_CHECK);
    event_set_string (&ev->check, check, EVENT_MAX_NAME);
    event_set_string (&ev->kind, "command", EVENT_MAX_SHORT);
    ev->critical = true;
    ev->severity = recovered ? SEVERITY_OK : SEVERITY_CRITICAL;
    event_set_string (&ev->message, recovered ? "up again" : "connection refused",
                      EVENT_MAX_MESSAGE);
    ev->since = event_now_ms () - 1000;
    if (!recovered) {
        ev->remedy = (event_remedy_t *) calloc (1, sizeof (event_remedy_t));
        event_set_string (&ev->remedy->action, "restart", EVENT_MAX_SHORT);
        event_set_string (&ev->remedy->result, "failed", EVENT_MAX_SHORT);
        ev->remedy->attempt = 3;
        event_set_text (&ev->remedy->output, "service refused to start", EVENT_MAX_TEXT);
    }
    s_send (pub, ev);
    event_destroy (&ev);
    ev = event_new (EVENT_ALERT);
    event_set_string (&ev->check, check, EVENT_MAX_NAME);
    event_set_string (&ev->kind, "command", EVENT_MAX_SHORT);
    ev->critical = true;
    ev->severity = recovered ? SEVERITY_OK : SEVERITY_CRITICAL;
    event_set_string (&ev->message, message ? message : "connection refused",
                      EVENT_MAX_MESSAGE);
    event_set_string (&ev->alert, what, EVENT_MAX_SHORT);
    ev->since = event_now_ms () - 1000;
    s_send (pub, ev);
    event_destroy (&ev);
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: alert_pub ENDPOINT\n");
        return 64;
    }
    zsys_init ();
    zsock_t *pub = zsock_new (ZMQ_XPUB);
    zsock_set_xpub_verbose (pub, 1);
    zsock_set_sndhwm (pub, 100000);
    if (!pub || zsock_bind (pub, "%s", argv [1]) < 0) {
        fprintf (stderr, "alert_pub: cannot bind %s\n", argv [1]);
        return 1;
    }
    char line [4096];
    while (fgets (line, sizeof line, stdin)) {
        line [strcspn (line, "\n")] = 0;
        char cmd [32] = "", check [65] = "", what [32] = "";
        unsigned long n = 1;
        double rate = 0;
        int fields = sscanf (line, "%31s %64s %31s %lu %lf", cmd, check, what, &n, &rate);
        if (fields < 1)
            continue;
        if (streq (cmd, "wait")) {
            for (;;) {
                zframe_t *f = zframe_recv (pub);
                if (!f)
                    return 1;
                bool joined = zframe_size (f) > 1 && zframe_data (f) [0] == 1
                           && zframe_size (f) - 1 >= 11
                           && memcmp (zframe_data (f) + 1, "heal.alert.", 11) == 0;
                zframe_destroy (&f);
                if (joined)
                    break;
            }
        }
        else
        if (streq (cmd, "alert") && fields >= 3) {
            int64_t start = s_mono_us ();
            for (unsigned long i = 0; i < n; i++) {
                s_pace (start, i, rate);
                char name [96];
                if (n == 1)
                    snprintf (name, sizeof name, "%s", check);
                else
                    snprintf (name, sizeof name, "%s-%lu", check, i + 1);
                s_alert (pub, name, what, NULL);
            }
        }
        else
        if (streq (cmd, "stamp") && fields >= 2) {
            //  stamp CHECK N RATE: fields shift by one (no WHAT)
            n = strtoul (what, NULL, 10);
            char *rest = strstr (line, what);
            rate = rest ? strtod (rest + strlen (what), NULL) : 0;
            int64_t start = s_mono_us ();
            for (unsigned long i = 0; i < n; i++) {
                s_pace (start, i, rate);
                char name [96], message [64];
                snprintf (name, sizeof name, "%s-%lu", check, i + 1);
                snprintf (message, sizeof message, "sent %" PRId64, s_wall_us ());
                s_alert (pub, name, "gave_up", message);
            }
        }
        else
        if (streq (cmd, "healed") && fields >= 3) {
            unsigned long count = strtoul (what, NULL, 10);
            for (unsigned long i = 0; i < count; i++) {
                event_t *ev = event_new (EVENT_CHECK);
                event_set_string (&ev->check, check, EVENT_MAX_NAME);
                event_set_string (&ev->kind, "process", EVENT_MAX_SHORT);
                ev->severity = SEVERITY_HEALED;
                event_set_string (&ev->message, "restarted", EVENT_MAX_MESSAGE);
                ev->remedy = (event_remedy_t *) calloc (1, sizeof (event_remedy_t));
                event_set_string (&ev->remedy->action, "restart", EVENT_MAX_SHORT);
                event_set_string (&ev->remedy->result, "healed", EVENT_MAX_SHORT);
                ev->remedy->attempt = 1;
                s_send (pub, ev);
                event_destroy (&ev);
            }
        }
        else
        if (streq (cmd, "diagnosis") && fields >= 2) {
            const char *summary = strstr (line, check) + strlen (check);
            summary += strspn (summary, " ");
            event_t *ev = event_new (EVENT_DIAGNOSIS);
            event_list_append (&ev->checks, &ev->check_count, check, EVENT_MAX_NAME);
            event_set_string (&ev->summary, summary, EVENT_MAX_MESSAGE);
            event_set_text (&ev->root_cause, "the disk is full", EVENT_MAX_TEXT);
            event_set_string (&ev->model, "test-model", EVENT_MAX_SHORT);
            event_set_string (&ev->fingerprint, summary, EVENT_MAX_SHORT);
            event_set_string (&ev->confidence, "high", EVENT_MAX_SHORT);
            event_list_append (&ev->operator_checks, &ev->operator_check_count,
                               "df -h /", EVENT_MAX_SHORT);
            s_send (pub, ev);
            event_destroy (&ev);
        }
        printf ("ok\n");
        fflush (stdout);
    }
    zsock_destroy (&pub);
    return 0;
}
