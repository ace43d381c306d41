//  bench/diagnoser — drives a diagnoser (heal-diagnoser, or a peer) the way the
//  agent does: binds the bus PUB and the inbound PULL, publishes a critical
//  check event and then heal.cycle, and waits for heal.diagnosis.
//
//  bench/diagnoser PUBLISH INBOUND ITERATIONS
//  Prints one line per measured iteration: "i tag t_cycle_ns t_diagnosis_ns"
//  (CLOCK_REALTIME, comparable with the fake Ollama's request log), where tag
//  is the word that makes iteration i's symptoms unique (no cache hits).
//  The check's evidence says a program was not found, so heal-diagnoser's
//  enrichment (environment block, program lookup, timeline) is measured too.

#include "heal/heal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_WAIT_MS   5000
#define BENCH_WARMUP_MS 20000

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

//  A word from n with letters only (the fingerprint ignores digits).
static void
s_tag (unsigned n, char *out, size_t len)
{
    size_t i = 0;
    do {
        if (i + 1 < len)
            out [i++] = (char) ('a' + n % 26);
        n /= 26;
    } while (n && i + 1 < len);
    out [i] = 0;
}

static int
s_publish (bus_publisher_t *pub, uint64_t cycle, const char *tag)
{
    char message [128];
    snprintf (message, sizeof message, "bench problem %s: service down", tag);
    event_t *check = event_new (EVENT_CHECK);
    event_t *cyc = event_new (EVENT_CYCLE);
    if (!check || !cyc)
        return -1;
    check->cycle = cycle;
    event_set_string (&check->check, "bench", EVENT_MAX_NAME);
    event_set_string (&check->kind, "command", EVENT_MAX_SHORT);
    event_set_string (&check->message, message, EVENT_MAX_MESSAGE);
    check->critical = true;
    check->severity = SEVERITY_CRITICAL;
    check->streak = 1;
    check->changed = true;
    event_add_evidence (check, "connect: connection refused");
    event_add_evidence (check, "last log line: listening on :8080");
    //  a program not found: the diagnoser's enrichment looks it up (issue 18)
    event_add_evidence (check, "/bin/sh: 1: heal-bench-tool: not found");
    event_add_metric (check, "exit_code", 127);
    cyc->cycle = cycle;
    cyc->counts [SEVERITY_CRITICAL] = 1;
    cyc->degraded = true;
    event_list_append (&cyc->issues, &cyc->issue_count, "bench", EVENT_MAX_NAME);
    int rc = bus_publisher_send (pub, check);
    rc |= bus_publisher_send (pub, cyc);
    event_destroy (&check);
    event_destroy (&cyc);
    return rc;
}

//  Wait for a heal.diagnosis on pull; returns 0 and its arrival time.
static int
s_wait_diagnosis (zsock_t *pull, int timeout_ms, int64_t *t_ns, bool *valid)
{
    zpoller_t *poller = zpoller_new (pull, NULL);
    int64_t end = heal_monotonic_ms () + timeout_ms;
    int rc = -1;
    while (heal_monotonic_ms () < end) {
        if (!zpoller_wait (poller, (int) (end - heal_monotonic_ms ())))
            break;
        zmsg_t *msg = zmsg_recv (pull);
        int64_t t = s_now_ns ();
        if (!msg)
            break;
        zframe_t *topic = zmsg_first (msg);
        zframe_t *payload = zmsg_next (msg);
        if (zmsg_size (msg) == 2 && zframe_streq (topic, TOPIC_DIAGNOSIS)) {
            char err [256];
            event_t *e = event_decode_message ((const char *) zframe_data (topic), zframe_size (topic),
                                               zframe_data (payload), zframe_size (payload),
                                               err, sizeof err);
            *valid = e != NULL;
            event_destroy (&e);
            *t_ns = t;
            rc = 0;
        }
        zmsg_destroy (&msg);
        if (rc == 0)
            break;
    }
    zpoller_destroy (&poller);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc != 4) {
        fprintf (stderr, "usage: diagnoser PUBLISH INBOUND ITERATIONS\n");
        return 64;
    }
    int iterations = (int) strtol (argv [3], NULL, 10);
    bus_publisher_t *pub = bus_publisher_new (argv [1], "heal-agent");
    zsock_t *pull = zsock_new_pull (NULL);
    if (!pub || !pull || zsock_bind (pull, "%s", argv [2]) != 0) {
        fprintf (stderr, "bench: cannot bind %s / %s\n", argv [1], argv [2]);
        return 1;
    }
    //  Warm up: until the diagnoser is subscribed and its connection to the
    //  model server is open, cycle every 200 ms.
    int64_t t;
    bool valid = false;
    uint64_t cycle = 0;
    int64_t end = heal_monotonic_ms () + BENCH_WARMUP_MS;
    char tag [16];
    while (true) {
        s_tag ((unsigned) ++cycle + 100000, tag, sizeof tag);
        s_publish (pub, cycle, tag);
        if (s_wait_diagnosis (pull, 200, &t, &valid) == 0)
            break;
        if (heal_monotonic_ms () > end) {
            fprintf (stderr, "bench: no diagnosis during warm-up\n");
            zsock_destroy (&pull);
            bus_publisher_destroy (&pub);
            return 1;
        }
    }
    //  drain late warm-up answers
    while (s_wait_diagnosis (pull, 300, &t, &valid) == 0)
        ;
    int invalid = 0, lost = 0;
    for (int i = 0; i < iterations; i++) {
        s_tag ((unsigned) i, tag, sizeof tag);
        int64_t t0 = s_now_ns ();
        s_publish (pub, ++cycle, tag);
        if (s_wait_diagnosis (pull, BENCH_WAIT_MS, &t, &valid)) {
            lost++;
            continue;
        }
        if (!valid)
            invalid++;
        printf ("%d %s %lld %lld\n", i, tag, (long long) t0, (long long) t);
        fflush (stdout);
    }
    if (invalid || lost)
        fprintf (stderr, "bench: %d diagnoses failed to decode, %d never came\n", invalid, lost);
    zsock_destroy (&pull);
    bus_publisher_destroy (&pub);
    return lost ? 1 : 0;
}
