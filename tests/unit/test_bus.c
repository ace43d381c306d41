//  test_bus — real sockets: the publisher never blocks (no subscriber, stalled
//  subscriber: drops counted), subscribers filter by prefix in ZeroMQ, inbound
//  forwards what is valid and counts what is not, ipc binds survive a stale
//  socket file and refuse a live one.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "heal/util.h"
#include "heal/bus.h"
#include "../bus_samples.h"
#include "unit.h"



static char s_dir [64];

//  Publish probes until the subscriber hears one (slow joiner), at most 5 s.
static bool
s_sync (bus_publisher_t *pub, bus_subscriber_t *sub, event_t *(*make) (void))
{
    int64_t end = heal_monotonic_ms () + 5000;
    while (heal_monotonic_ms () < end) {
        event_t *e = make ();
        bus_publisher_send (pub, e);
        event_destroy (&e);
        char err [256];
        event_t *got = bus_subscriber_recv (sub, 20, err, sizeof err);
        if (got) {
            event_destroy (&got);
            //  drain the other probes
            while ((got = bus_subscriber_recv (sub, 50, err, sizeof err)))
                event_destroy (&got);
            return true;
        }
    }
    return false;
}

static void
test_no_subscriber (void)
{
    bus_publisher_t *pub = bus_publisher_new ("inproc://test-bus-none", "test");
    CHECKF (pub != NULL, "bind");
    if (!pub)
        return;
    int n = 3 * BUS_SNDHWM;
    int sent = 0;
    for (int i = 0; i < n; i++) {
        event_t *e = sample_check ();
        sent += bus_publisher_send (pub, e) == 0;
        CHECKF (e->seq == (uint64_t) i + 1, "seq stamped");
        event_destroy (&e);
    }
    //  Reaching this line is the proof it did not block.
    CHECKF (bus_publisher_sent (pub) + bus_publisher_dropped (pub) == (uint64_t) n,
           "sent %llu dropped %llu", (unsigned long long) bus_publisher_sent (pub),
           (unsigned long long) bus_publisher_dropped (pub));
    CHECKF (sent == (int) bus_publisher_sent (pub), "return values agree");
    //  An event that cannot be encoded is dropped and counted, not sent.
    event_t *bad = event_new (EVENT_CHECK);
    CHECKF (bus_publisher_send (pub, bad) == -1, "invalid event refused");
    CHECKF (bus_publisher_dropped (pub) >= 1, "counted");
    event_destroy (&bad);
    bus_publisher_destroy (&pub);
    CHECKF (pub == NULL, "destroy nulls");
}

static void
test_stalled_subscriber (void)
{
    bus_publisher_t *pub = bus_publisher_new ("inproc://test-bus-stall", "test");
    bus_subscriber_t *sub = bus_subscriber_new ("inproc://test-bus-stall", NULL);
    CHECKF (pub && sub, "sockets");
    if (!pub || !sub)
        goto done;
    CHECKF (s_sync (pub, sub, sample_agent), "subscriber joined");
    uint64_t seq_before = 0;
    //  The subscriber stops reading: the publisher must keep going.
    uint64_t dropped0 = bus_publisher_dropped (pub);
    int n = 10 * BUS_SNDHWM;
    for (int i = 0; i < n; i++) {
        event_t *e = sample_check_ok ();
        bus_publisher_send (pub, e);
        if (i == 0)
            seq_before = e->seq;
        event_destroy (&e);
    }
    uint64_t dropped = bus_publisher_dropped (pub) - dropped0;
    CHECKF (dropped > 0, "no drop counted with a stalled subscriber");
    CHECKF (dropped < (uint64_t) n, "everything dropped");
    //  The subscriber catches up, and sees the gap in seq.
    char err [256];
    uint64_t last = 0, count = 0;
    bool gap = false;
    event_t *e;
    int64_t end = heal_monotonic_ms () + 20000;
    while (count + dropped < (uint64_t) n && heal_monotonic_ms () < end) {
        if (!(e = bus_subscriber_recv (sub, 100, err, sizeof err)))
            continue;
        if (last && e->seq != last + 1)
            gap = true;
        last = e->seq;
        count++;
        event_destroy (&e);
    }
    CHECKF (count > 0 && count + dropped == (uint64_t) n, "received %llu + dropped %llu != %d",
           (unsigned long long) count, (unsigned long long) dropped, n);
    CHECKF (gap || last < seq_before + (uint64_t) n - 1, "drops visible as a seq gap");
    CHECKF (bus_subscriber_invalid (sub) == 0, "no invalid");
done:
    bus_subscriber_destroy (&sub);
    bus_publisher_destroy (&pub);
}

static void
test_prefixes (void)
{
    const char *prefixes [] = { "heal.alert.", "heal.cycle", NULL };
    bus_publisher_t *pub = bus_publisher_new ("inproc://test-bus-prefix", "heal-agent");
    bus_subscriber_t *sub = bus_subscriber_new ("inproc://test-bus-prefix", prefixes);
    CHECKF (pub && sub, "sockets");
    if (!pub || !sub)
        goto done;
    CHECKF (s_sync (pub, sub, sample_cycle), "subscriber joined");
    for (const sample_t *s = s_samples; s->name; s++) {
        event_t *e = s->make ();
        CHECKF (bus_publisher_send (pub, e) == 0, "send %s", s->name);
        event_destroy (&e);
    }
    char err [256];
    int alerts = 0, cycles = 0, others = 0;
    event_t *e;
    int64_t end = heal_monotonic_ms () + 5000;
    while ((alerts < 1 || cycles < 1) && heal_monotonic_ms () < end) {
        if (!(e = bus_subscriber_recv (sub, 100, err, sizeof err)))
            continue;
        if (e->type == EVENT_ALERT)
            alerts++;
        else
        if (e->type == EVENT_CYCLE) {
            cycles++;
            CHECKF (strcmp (e->host, heal_hostname ()) == 0 && strcmp (e->source, "heal-agent") == 0,
                   "stamped host/source");
        }
        else
            others++;
        event_destroy (&e);
    }
    //  Anything else still queued would be a filtering failure.
    while ((e = bus_subscriber_recv (sub, 100, err, sizeof err))) {
        others++;
        event_destroy (&e);
    }
    CHECKF (alerts == 1 && cycles == 1 && others == 0, "alerts %d cycles %d others %d",
           alerts, cycles, others);
done:
    bus_subscriber_destroy (&sub);
    bus_publisher_destroy (&pub);
}

static void
test_subscriber_invalid (void)
{
    zsock_t *raw = zsock_new_pub ("inproc://test-bus-raw");
    bus_subscriber_t *sub = bus_subscriber_new ("inproc://test-bus-raw", NULL);
    CHECKF (raw && sub, "sockets");
    if (!raw || !sub)
        goto done;
    //  inproc subscriptions are immediate once connected
    zstr_sendx (raw, "heal.cycle", "not msgpack", NULL);
    zstr_send (raw, "heal.cycle");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    event_t *c = sample_cycle ();
    event_encode (c, &buf);
    event_destroy (&c);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "heal.agent");             //  topic disagrees with payload
    zmsg_addmem (msg, buf.data, buf.size);
    zmsg_send (&msg, raw);
    msg = zmsg_new ();
    zmsg_addstr (msg, "heal.cycle");
    zmsg_addmem (msg, buf.data, buf.size);
    zmsg_addstr (msg, "extra");
    zmsg_send (&msg, raw);
    msg = zmsg_new ();
    zmsg_addstr (msg, "heal.cycle");             //  finally a good one
    zmsg_addmem (msg, buf.data, buf.size);
    zmsg_send (&msg, raw);
    msgpack_sbuffer_destroy (&buf);
    char err [256];
    event_t *good = NULL;
    int64_t end = heal_monotonic_ms () + 5000;
    while (!good && heal_monotonic_ms () < end)
        good = bus_subscriber_recv (sub, 100, err, sizeof err);
    CHECKF (good && good->type == EVENT_CYCLE, "good message after bad ones");
    CHECKF (bus_subscriber_invalid (sub) == 4, "invalid %llu",
           (unsigned long long) bus_subscriber_invalid (sub));
    event_destroy (&good);
done:
    bus_subscriber_destroy (&sub);
    zsock_destroy (&raw);
}

static bool
s_wait_in (bus_inbound_t *in)
{
    zpoller_t *poller = zpoller_new (bus_inbound_sock (in), NULL);
    bool ready = zpoller_wait (poller, 5000) != NULL;
    zpoller_destroy (&poller);
    return ready;
}

static void
test_inbound (void)
{
    char in_ep [128], pub_ep [128];
    snprintf (in_ep, sizeof in_ep, "ipc://%s/in", s_dir);
    snprintf (pub_ep, sizeof pub_ep, "ipc://%s/bus", s_dir);
    bus_publisher_t *pub = bus_publisher_new (pub_ep, "heal-agent");
    bus_inbound_t *in = bus_inbound_new (in_ep);
    bus_subscriber_t *sub = bus_subscriber_new (pub_ep, NULL);
    bus_pusher_t *push = bus_pusher_new (in_ep, "heal-diagnoser");
    zsock_t *raw = zsock_new_push (in_ep);
    CHECKF (pub && in && sub && push && raw, "sockets");
    if (!pub || !in || !sub || !push || !raw)
        goto done;
    CHECKF (s_sync (pub, sub, sample_agent), "subscriber joined");

    //  Invalid pushes: dropped and counted, nothing forwarded
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    event_t *d = sample_diagnosis ();
    event_encode (d, &buf);
    event_destroy (&d);
    zstr_send (raw, "heal.diagnosis");                          //  one frame
    zstr_sendx (raw, "heal.diagnosis", "garbage", NULL);        //  bad payload
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "heal.cycle");                            //  wrong topic
    zmsg_addmem (msg, buf.data, buf.size);
    zmsg_send (&msg, raw);
    msg = zmsg_new ();
    zmsg_addstr (msg, "heal.diagnosis");                        //  three frames
    zmsg_addmem (msg, buf.data, buf.size);
    zmsg_addstr (msg, "x");
    zmsg_send (&msg, raw);
    msgpack_sbuffer_destroy (&buf);
    for (int i = 0; i < 4; i++) {
        CHECKF (s_wait_in (in), "invalid message %d arrives", i);
        event_t *dec = NULL;
        CHECKF (bus_inbound_forward (in, pub, &dec) == -1 && dec == NULL, "invalid %d forwarded", i);
    }
    CHECKF (bus_inbound_invalid (in) == 4, "invalid %llu",
           (unsigned long long) bus_inbound_invalid (in));
    CHECKF (bus_inbound_forward (in, pub, NULL) == -1, "nothing to read");
    CHECKF (bus_inbound_invalid (in) == 4, "nothing to read is not invalid");

    //  A valid diagnosis: forwarded unchanged (the pusher's seq and source)
    d = sample_diagnosis ();
    CHECKF (bus_pusher_send (push, d) == 0, "push");
    uint64_t pushed_seq = d->seq;
    event_destroy (&d);
    CHECKF (s_wait_in (in), "diagnosis arrives");
    event_t *dec = NULL;
    CHECKF (bus_inbound_forward (in, pub, &dec) == 0, "forwarded");
    CHECKF (dec && dec->type == EVENT_DIAGNOSIS && strcmp (dec->source, "heal-diagnoser") == 0,
           "decoded copy");
    event_destroy (&dec);
    CHECKF (bus_inbound_forwarded (in) == 1, "forwarded count");
    char err [256];
    event_t *got = bus_subscriber_recv (sub, 5000, err, sizeof err);
    CHECKF (got && got->type == EVENT_DIAGNOSIS && got->seq == pushed_seq
        && strcmp (got->source, "heal-diagnoser") == 0 && got->check_count == 2,
           "subscriber hears the diagnosis: %s", got ? "wrong fields" : err);
    event_destroy (&got);
    CHECKF (bus_pusher_dropped (push) == 0, "pusher drops");
done:
    zsock_destroy (&raw);
    bus_pusher_destroy (&push);
    bus_subscriber_destroy (&sub);
    bus_inbound_destroy (&in);
    bus_publisher_destroy (&pub);
}

//  Issue 14 #1: valid events of the agent's own types (check, alert, cycle,
//  agent), pushed by a tool claiming source heal-agent, are refused and
//  counted; a diagnosis pushed after them is forwarded, and is the only thing
//  the subscriber hears.
static void
test_inbound_refuses_agent_types (void)
{
    char in_ep [128], pub_ep [128];
    snprintf (in_ep, sizeof in_ep, "ipc://%s/in2", s_dir);
    snprintf (pub_ep, sizeof pub_ep, "ipc://%s/bus2", s_dir);
    bus_publisher_t *pub = bus_publisher_new (pub_ep, "heal-agent");
    bus_inbound_t *in = bus_inbound_new (in_ep);
    bus_subscriber_t *sub = bus_subscriber_new (pub_ep, NULL);
    bus_pusher_t *push = bus_pusher_new (in_ep, "heal-agent");
    CHECKF (pub && in && sub && push, "sockets");
    if (!pub || !in || !sub || !push)
        goto done;
    CHECKF (s_sync (pub, sub, sample_agent), "subscriber joined");
    CHECKF (bus_inbound_accepts (EVENT_DIAGNOSIS), "diagnosis accepted");
    event_t *(*forged []) (void) = { sample_check, sample_alert, sample_cycle,
                                     sample_agent, sample_check_ok };
    size_t n = sizeof forged / sizeof forged [0];
    for (size_t i = 0; i < n; i++) {
        event_t *e = forged [i] ();
        CHECKF (!bus_inbound_accepts (e->type), "type %s refused by the table",
                event_type_name (e->type));
        CHECKF (bus_pusher_send (push, e) == 0, "push %zu", i);
        event_destroy (&e);
        CHECKF (s_wait_in (in), "forged %zu arrives", i);
        event_t *dec = NULL;
        CHECKF (bus_inbound_forward (in, pub, &dec) == -1 && !dec, "forged %zu refused", i);
    }
    CHECKF (bus_inbound_refused (in) == n, "refused %llu",
            (unsigned long long) bus_inbound_refused (in));
    CHECKF (bus_inbound_forwarded (in) == 0, "nothing forwarded");
    event_t *d = sample_diagnosis ();
    CHECKF (bus_pusher_send (push, d) == 0, "push diagnosis");
    event_destroy (&d);
    CHECKF (s_wait_in (in), "diagnosis arrives");
    CHECKF (bus_inbound_forward (in, pub, NULL) == 0, "diagnosis forwarded");
    char err [256];
    event_t *got = bus_subscriber_recv (sub, 5000, err, sizeof err);
    CHECKF (got && got->type == EVENT_DIAGNOSIS, "first event heard is the diagnosis: %s",
            got ? event_type_name (got->type) : err);
    event_destroy (&got);
done:
    bus_pusher_destroy (&push);
    bus_subscriber_destroy (&sub);
    bus_inbound_destroy (&in);
    bus_publisher_destroy (&pub);
}

static void
test_pusher_no_peer (void)
{
    char ep [128];
    snprintf (ep, sizeof ep, "ipc://%s/nobody", s_dir);
    bus_pusher_t *push = bus_pusher_new (ep, "test");
    CHECKF (push != NULL, "connect to a missing peer");
    if (!push)
        return;
    int n = 2 * BUS_SNDHWM + 10;
    int ok = 0;
    for (int i = 0; i < n; i++) {
        event_t *e = sample_agent ();
        ok += bus_pusher_send (push, e) == 0;
        event_destroy (&e);
    }
    CHECKF (bus_pusher_dropped (push) > 0 && ok + (int) bus_pusher_dropped (push) == n,
           "ok %d dropped %llu", ok, (unsigned long long) bus_pusher_dropped (push));
    bus_pusher_destroy (&push);
}

static void
test_endpoints (void)
{
    //  tcp wildcard port: the resolved endpoint names the port (plain tcp on
    //  loopback needs the config's opt-in)
    heal_config_t config;
    memset (&config, 0, sizeof config);
    config.root = zconfig_str_load ("security\n    allow_unauthenticated_tcp = true\n");
    char why [256];
    heal_security_t *security = heal_security_new (&config, why, sizeof why);
    CHECKF (bus_publisher_new ("tcp://127.0.0.1:*", "test") == NULL,
            "plain tcp without the opt-in");
    bus_publisher_t *pub = bus_publisher_new_secure ("tcp://127.0.0.1:*", "test", security);
    CHECKF (pub && strncmp (bus_publisher_endpoint (pub), "tcp://127.0.0.1:", 16) == 0
        && strcmp (bus_publisher_endpoint (pub), "tcp://127.0.0.1:*") != 0, "resolved %s",
           pub ? bus_publisher_endpoint (pub) : "-");
    CHECKF (pub && bus_publisher_sock (pub) != NULL, "sock");
    bus_publisher_destroy (&pub);
    heal_security_destroy (&security);
    zconfig_destroy (&config.root);
    CHECKF (bus_publisher_new ("bogus://x", "test") == NULL, "bad endpoint refused");
    CHECKF (bus_inbound_new ("bogus://x") == NULL, "bad inbound refused");

    //  A stale socket file (its process died): bind replaces it
    char path [96], ep [160];
    snprintf (path, sizeof path, "%s/stale", s_dir);
    snprintf (ep, sizeof ep, "ipc://%s", path);
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    memset (&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    CHECKF (strlen (path) < sizeof addr.sun_path, "short path");
    memcpy (addr.sun_path, path, strlen (path) + 1);
    CHECKF (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0, "make stale socket");
    close (fd);
    struct stat st;
    CHECKF (stat (path, &st) == 0 && S_ISSOCK (st.st_mode), "stale socket file exists");
    pub = bus_publisher_new (ep, "test");
    CHECKF (pub != NULL, "bind over a stale socket file");

    //  A live one: refused, and the first publisher keeps its address
    bus_publisher_t *second = bus_publisher_new (ep, "test");
    CHECKF (second == NULL, "second bind on a live endpoint refused");
    bus_publisher_destroy (&second);
    bus_subscriber_t *sub = bus_subscriber_new (ep, NULL);
    CHECKF (sub && s_sync (pub, sub, sample_agent), "first publisher still reachable");
    bus_subscriber_destroy (&sub);
    bus_publisher_destroy (&pub);

    //  Not a socket: never deleted
    snprintf (path, sizeof path, "%s/file", s_dir);
    snprintf (ep, sizeof ep, "ipc://%s", path);
    FILE *f = fopen (path, "w");
    if (f)
        fclose (f);
    CHECKF (bus_publisher_new (ep, "test") == NULL, "regular file refused");
    CHECKF (stat (path, &st) == 0 && S_ISREG (st.st_mode), "regular file kept");
    unlink (path);
}

int
main (void)
{
    zsys_init ();
    snprintf (s_dir, sizeof s_dir, "/tmp/heal-test-bus-%d", (int) getpid ());
    mkdir (s_dir, 0700);

    test_no_subscriber ();
    test_stalled_subscriber ();
    test_prefixes ();
    test_subscriber_invalid ();
    test_inbound ();
    test_inbound_refuses_agent_types ();
    test_pusher_no_peer ();
    test_endpoints ();

    char cmd [128];
    const char *names [] = { "in", "bus", "in2", "bus2", "nobody", "stale", "file", NULL };
    for (int i = 0; names [i]; i++) {
        snprintf (cmd, sizeof cmd, "%s/%s", s_dir, names [i]);
        unlink (cmd);
    }
    rmdir (s_dir);
    if (s_failed) {
        fprintf (stderr, "test_bus: %d of %d checks failed\n", s_failed, s_checks);
        return 1;
    }
    printf ("test_bus: %d checks passed\n", s_checks);
    return 0;
}
