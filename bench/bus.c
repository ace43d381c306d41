//  bench/bus — the bus end to end: event_encode -> PUB -> SUB ->
//  event_decode_message, over ipc and tcp loopback, with a realistic check
//  event (3 evidence lines, 3 metrics, a remedy: ~500 bytes). Beside each heal
//  figure, the raw ZeroMQ figure in the same run: the same topic and payload
//  bytes, prebuilt, no msgpack on either side.
//
//  Throughput: 3 back-to-back pairs of runs (heal, then raw), medians and the
//  median of the pairs' ratios. Latency: one paced stream at RATE whose even
//  events are raw and odd events heal's, so that both meet the same hiccups
//  of the machine; 3 runs, the median of each percentile. The codec alone: 7
//  rounds of encode then decode on one thread, the median and the best.
//
//  Threads: one publisher thread, one subscriber thread, and one ZeroMQ I/O
//  thread for each (two contexts, as in two processes). The PUB sets ZMQ_XPUB_NODROP and the bench sends *blocking* so the
//  throughput figure counts delivered events only (flow control instead of
//  drops); the agent's bus_publisher_send uses the same socket with
//  ZMQ_DONTWAIT. ZeroMQ batches small messages on its I/O thread by itself.
//
//  Usage: bus [-n EVENTS] [-r RATE] [-s SECONDS] [-t ipc|tcp|all|none]
//    -n  events per throughput run (default 600000; 3 runs each of heal and
//        raw per transport; the codec runs 7 rounds of n / 7)
//    -r  rate of the latency runs, events/s (default 10000)
//    -s  length of each latency run, seconds (default 3)

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "heal/event.h"
#include "../tests/bus_samples.h"

typedef struct {
    const char *endpoint;
    bool raw;                   //  prebuilt bytes, no codec
    bool mixed;                 //  even events raw, odd events heal (one stream)
    bool paced;                 //  latency run at rate events/s
    long count;                 //  events to send
    long rate;
    void *ctx;
    //  shared
    atomic_int ready;           //  subscriber connected and heard a sync message
    int64_t *sent_ns;           //  latency: send time of event i
    int64_t *lat_ns;            //  latency: one-way time of event i
    long received;
    long invalid;
    int64_t start_ns, end_ns;
    const char *topic;
    size_t topic_size;
    const char *payload;        //  raw mode bytes
    size_t payload_size;
} run_t;

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

//  Sleep until the monotonic clock reads ns (macOS has no clock_nanosleep).
static void
s_sleep_until_ns (int64_t ns)
{
    int64_t left;
    while ((left = ns - s_now_ns ()) > 0) {
        struct timespec ts = { (time_t) (left / 1000000000), (long) (left % 1000000000) };
        nanosleep (&ts, NULL);
    }
}

static void *
s_subscriber (void *arg)
{
    run_t *run = (run_t *) arg;
    void *sub = zmq_socket (run->ctx, ZMQ_SUB);
    int hwm = 100000;
    zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect (sub, run->endpoint)) {
        fprintf (stderr, "bus: connect %s: %s\n", run->endpoint, zmq_strerror (zmq_errno ()));
        exit (1);
    }
    zmq_msg_t topic, payload;
    zmq_msg_init (&topic);
    zmq_msg_init (&payload);
    char err [256];
    long n = 0;
    while (true) {
        if (zmq_msg_recv (&topic, sub, 0) < 0 || zmq_msg_recv (&payload, sub, 0) < 0)
            break;
        size_t ts = zmq_msg_size (&topic);
        const char *t = (const char *) zmq_msg_data (&topic);
        if (ts == 4 && memcmp (t, "sync", 4) == 0) {
            atomic_store (&run->ready, 1);
            continue;
        }
        if (ts == 3 && memcmp (t, "end", 3) == 0)
            break;
        long index = n;
        //  Mixed runs mark the raw events' topic with a capital H.
        if (run->raw || (run->mixed && t [0] == 'H')) {
            if (zmq_msg_size (&payload) != run->payload_size)
                run->invalid++;
            else
            if (run->paced || run->mixed)
                memcpy (&index, zmq_msg_data (&payload), sizeof index);
        }
        else {
            event_t *e = event_decode_message (t, ts, zmq_msg_data (&payload),
                                               zmq_msg_size (&payload), err, sizeof err);
            if (!e)
                run->invalid++;
            else
                index = (long) e->seq;
            event_destroy (&e);
        }
        if (run->paced && index >= 0 && index < run->count)
            run->lat_ns [index] = s_now_ns () - run->sent_ns [index];
        n++;
    }
    run->end_ns = s_now_ns ();
    run->received = n;
    zmq_msg_close (&topic);
    zmq_msg_close (&payload);
    zmq_close (sub);
    return NULL;
}

static void
s_publish (run_t *run, void *pub)
{
    //  Sync: until the subscriber hears us (slow joiner)
    while (!atomic_load (&run->ready)) {
        zmq_send (pub, "sync", 4, ZMQ_SNDMORE);
        zmq_send (pub, "", 0, 0);
        usleep (1000);
    }
    event_t *e = sample_check ();
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    char *raw = (char *) malloc (run->payload_size);
    memcpy (raw, run->payload, run->payload_size);
    char raw_topic [256];
    snprintf (raw_topic, sizeof raw_topic, "H%s", run->topic + 1);
    int64_t interval = run->paced ? 1000000000LL / run->rate : 0;
    run->start_ns = s_now_ns ();
    int64_t next = run->start_ns;
    for (long i = 0; i < run->count; i++) {
        if (run->paced) {
            next += interval;
            s_sleep_until_ns (next);
            run->sent_ns [i] = s_now_ns ();
        }
        if (run->raw || (run->mixed && i % 2 == 0)) {
            memcpy (raw, &i, sizeof i);
            zmq_send (pub, run->mixed ? raw_topic : run->topic, run->topic_size, ZMQ_SNDMORE);
            zmq_send (pub, raw, run->payload_size, 0);
        }
        else {
            e->seq = (uint64_t) i;
            if (event_encode (e, &buf)) {
                fprintf (stderr, "bus: encode failed\n");
                exit (1);
            }
            zmq_send (pub, run->topic, run->topic_size, ZMQ_SNDMORE);
            zmq_send (pub, buf.data, buf.size, 0);
        }
    }
    zmq_send (pub, "end", 3, ZMQ_SNDMORE);
    zmq_send (pub, "", 0, 0);
    free (raw);
    msgpack_sbuffer_destroy (&buf);
    event_destroy (&e);
}

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

#define ROUNDS 7                //  codec rounds
#define PAIRS 3                 //  throughput runs, heal and raw

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_median (const double *values, int n)
{
    double sorted [16];
    memcpy (sorted, values, (size_t) n * sizeof (double));
    qsort (sorted, (size_t) n, sizeof (double), s_cmp_double);
    return n % 2 ? sorted [n / 2] : (sorted [n / 2 - 1] + sorted [n / 2]) / 2;
}

static double
s_best (const double *values, int n)
{
    double best = values [0];
    for (int i = 1; i < n; i++)
        if (values [i] > best)
            best = values [i];
    return best;
}

//  p50, p99 and max (us) of the latencies lat [start], lat [start + step], ...
//  that arrived (> 0). Sorts in place the values it takes.
static void
s_percentiles (int64_t *lat, long count, long start, long step, double pct [3])
{
    long n = 0;
    for (long i = start; i < count; i += step)
        if (lat [i] > 0)
            lat [n++] = lat [i];
    qsort (lat, (size_t) n, sizeof (int64_t), s_cmp);
    pct [0] = n ? (double) lat [n / 2] / 1000.0 : 0;
    pct [1] = n ? (double) lat [(n * 99) / 100] / 1000.0 : 0;
    pct [2] = n ? (double) lat [n - 1] / 1000.0 : 0;
}

//  One run; returns events/s (throughput). A paced run fills pct (p50, p99,
//  max in us); a mixed one (even events raw, odd events heal, one stream)
//  fills pct for its heal events and raw_pct for its raw ones.
static double
s_run (void *ctx, void *sub_ctx, const char *endpoint, bool raw, bool mixed, bool paced,
       long count, long rate, const char *topic, const char *payload, size_t payload_size,
       double pct [3], double raw_pct [3], long *lost)
{
    run_t run;
    memset (&run, 0, sizeof run);
    run.endpoint = endpoint;
    run.raw = raw;
    run.mixed = mixed;
    run.paced = paced;
    run.count = count;
    run.rate = rate;
    run.ctx = sub_ctx;
    run.topic = topic;
    run.topic_size = strlen (topic);
    run.payload = payload;
    run.payload_size = payload_size;
    if (paced) {
        run.sent_ns = (int64_t *) calloc ((size_t) count, sizeof (int64_t));
        run.lat_ns = (int64_t *) calloc ((size_t) count, sizeof (int64_t));
    }
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    int hwm = 100000, one = 1, zero = 0;
    zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (pub, ZMQ_XPUB_NODROP, &one, sizeof one);
    zmq_setsockopt (pub, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind (pub, endpoint)) {
        fprintf (stderr, "bus: bind %s: %s\n", endpoint, zmq_strerror (zmq_errno ()));
        exit (1);
    }
    char resolved [256];
    size_t len = sizeof resolved;
    zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, resolved, &len);
    run.endpoint = resolved;
    pthread_t thread;
    pthread_create (&thread, NULL, s_subscriber, &run);
    s_publish (&run, pub);
    pthread_join (thread, NULL);
    zmq_close (pub);
    if (run.invalid)
        fprintf (stderr, "bus: %ld invalid messages\n", run.invalid);
    *lost = count - run.received;
    double secs = (double) (run.end_ns - run.start_ns) / 1e9;
    if (paced && mixed) {
        //  the raw half first: s_percentiles compacts the array it reads
        int64_t *copy = (int64_t *) malloc ((size_t) count * sizeof (int64_t));
        memcpy (copy, run.lat_ns, (size_t) count * sizeof (int64_t));
        s_percentiles (copy, count, 0, 2, raw_pct);
        free (copy);
        s_percentiles (run.lat_ns, count, 1, 2, pct);
    }
    else
    if (paced)
        s_percentiles (run.lat_ns, count, 0, 1, pct);
    if (paced) {
        free (run.sent_ns);
        free (run.lat_ns);
    }
    return (double) run.received / secs;
}

int
main (int argc, char *argv [])
{
    long count = 600000, rate = 10000, seconds = 3;
    const char *transport = "all";
    int opt;
    while ((opt = getopt (argc, argv, "n:r:s:t:")) != -1) {
        switch (opt) {
            case 'n': count = strtol (optarg, NULL, 10); break;
            case 'r': rate = strtol (optarg, NULL, 10); break;
            case 's': seconds = strtol (optarg, NULL, 10); break;
            case 't': transport = optarg; break;
            default:
                fprintf (stderr, "usage: bus [-n EVENTS] [-r RATE] [-s SECONDS] [-t ipc|tcp|all|none]\n");
                return 64;
        }
    }
    if (count < 1 || rate < 1 || seconds < 1)
        return 64;

    //  The event and its bytes
    event_t *e = sample_check ();
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    event_encode (e, &buf);
    char *topic = event_topic (e);
    size_t payload_size = buf.size;
    char *payload = (char *) malloc (payload_size);
    memcpy (payload, buf.data, payload_size);
    printf ("bus: check event, topic %zu bytes + payload %zu bytes; %ld events per throughput run\n",
            strlen (topic), payload_size, count);

    //  Codec alone, one thread: ROUNDS rounds of encode then decode, each of
    //  count / ROUNDS events; the median round is the figure, the best beside
    //  it (a shared machine slows single rounds down by up to half).
    double enc [ROUNDS], dec [ROUNDS];
    long codec_n = count / ROUNDS > 0 ? count / ROUNDS : 1;
    for (int round = 0; round < ROUNDS; round++) {
        int64_t t0 = s_now_ns ();
        for (long i = 0; i < codec_n; i++) {
            e->seq = (uint64_t) i;
            event_encode (e, &buf);
        }
        int64_t t1 = s_now_ns ();
        for (long i = 0; i < codec_n; i++) {
            event_t *d = event_decode_message (topic, strlen (topic), payload, payload_size,
                                               NULL, 0);
            if (!d)
                return 1;
            event_destroy (&d);
        }
        int64_t t2 = s_now_ns ();
        enc [round] = codec_n / ((double) (t1 - t0) / 1e3);
        dec [round] = codec_n / ((double) (t2 - t1) / 1e3);
    }
    printf ("codec (1 thread, median of %d rounds [best]):   encode %.2f [%.2f] M events/s   "
            "decode %.2f [%.2f] M events/s\n", ROUNDS, s_median (enc, ROUNDS),
            s_best (enc, ROUNDS), s_median (dec, ROUNDS), s_best (dec, ROUNDS));

    //  Publisher and subscriber each get their own context (and ZeroMQ I/O
    //  thread), as the agent and a subscriber in two processes would.
    void *ctx = zmq_ctx_new ();
    void *sub_ctx = zmq_ctx_new ();
    char ipc [128];
    snprintf (ipc, sizeof ipc, "ipc:///tmp/heal-bench-bus-%d", (int) getpid ());
    const char *transports [][2] = { { "ipc", ipc }, { "tcp", "tcp://127.0.0.1:*" } };
    int rc = 0;
    for (int t = 0; t < 2; t++) {
        if (strcmp (transport, "all") && strcmp (transport, transports [t][0]))
            continue;
        const char *ep = transports [t][1];
        double pct [3], raw_pct [3];
        long lost = 0, rlost = 0;
        //  PAIRS runs of heal then raw ZeroMQ, back to back: the median of
        //  each, and the median of the pairs' ratios (each pair shares the
        //  machine's mood of the moment).
        double heal [PAIRS], raw [PAIRS], ratio [PAIRS];
        for (int pair = 0; pair < PAIRS; pair++) {
            long l1, l2;
            heal [pair] = s_run (ctx, sub_ctx, ep, false, false, false, count, 0, topic,
                                 payload, payload_size, pct, raw_pct, &l1);
            raw [pair] = s_run (ctx, sub_ctx, ep, true, false, false, count, 0, topic,
                                payload, payload_size, pct, raw_pct, &l2);
            ratio [pair] = heal [pair] / raw [pair];
            lost += l1;
            rlost += l2;
        }
        printf ("%s throughput (median of %d pairs):  heal %.2f M events/s   raw zmq %.2f M msgs/s"
                "   heal/raw %.2f   (lost %ld / %ld)\n", transports [t][0], PAIRS,
                s_median (heal, PAIRS) / 1e6, s_median (raw, PAIRS) / 1e6,
                s_median (ratio, PAIRS), lost, rlost);
        //  Latency: PAIRS paced runs of one stream at rate events/s whose
        //  even events are raw ZeroMQ and odd ones heal's (encoded, decoded):
        //  both halves meet the same hiccups of the machine. The median of
        //  each percentile over the runs.
        long n = rate * seconds;
        double hp [3][PAIRS], rp [3][PAIRS];
        for (int pair = 0; pair < PAIRS; pair++) {
            long l1;
            double h [3], r [3];
            s_run (ctx, sub_ctx, ep, false, true, true, n, rate, topic, payload, payload_size,
                   h, r, &l1);
            for (int k = 0; k < 3; k++) {
                hp [k][pair] = h [k];
                rp [k][pair] = r [k];
            }
            lost += l1;
        }
        printf ("%s latency @%ld/s, heal and raw events alternating in one stream "
                "(median of %d runs):  heal p50 %.0f us  p99 %.0f us  max %.0f us   "
                "raw zmq p50 %.0f us  p99 %.0f us  max %.0f us   p99 heal/raw %.2f   "
                "(%ld events each run)\n",
                transports [t][0], rate, PAIRS, s_median (hp [0], PAIRS),
                s_median (hp [1], PAIRS), s_median (hp [2], PAIRS), s_median (rp [0], PAIRS),
                s_median (rp [1], PAIRS), s_median (rp [2], PAIRS),
                s_median (hp [1], PAIRS) / s_median (rp [1], PAIRS), n);
        if (lost || rlost)
            rc = 1;
    }
    zmq_ctx_term (ctx);
    zmq_ctx_term (sub_ctx);
    char path [160];
    snprintf (path, sizeof path, "/tmp/heal-bench-bus-%d", (int) getpid ());
    unlink (path);
    free (payload);
    free (topic);
    msgpack_sbuffer_destroy (&buf);
    event_destroy (&e);
    return rc;
}
