//  bench/control — round-trip latency of one control request, measured N times
//  on one connection, printed as percentiles (bench/control.sh drives it).
//
//    control zmq ENDPOINT N [CMD]   heal: REQ, {cmd, args:[]} (default status)
//    control http URL N             a peer's HTTP status page (Monit), libcurl,
//                                   one kept-alive connection
//
//  Prints: `p50_ms=.. p99_ms=.. max_ms=.. n=..`; exit 1 when a request fails.

#include "heal/heal.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_MAX_N        100000
#define BENCH_TIMEOUT_MS   10000

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

static void
s_report (int64_t *us, int n)
{
    qsort (us, (size_t) n, sizeof us [0], s_compare);
    int p50 = n / 2;
    int p99 = (int) ((double) n * 0.99);
    if (p99 >= n)
        p99 = n - 1;
    printf ("p50_ms=%.3f p99_ms=%.3f max_ms=%.3f n=%d\n", (double) us [p50] / 1000.0,
            (double) us [p99] / 1000.0, (double) us [n - 1] / 1000.0, n);
}

static int
s_bench_zmq (const char *endpoint, int n, const char *cmd, int64_t *us)
{
    char err [CONFIG_ERROR_MAX];
    zsock_t *req = zsock_new (ZMQ_REQ);
    zsock_set_linger (req, 0);
    zsock_set_rcvtimeo (req, BENCH_TIMEOUT_MS);
    if (heal_secure_connect (NULL, req, endpoint, err, sizeof err)) {
        fprintf (stderr, "control: %s\n", err);
        zsock_destroy (&req);
        return -1;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    control_request_encode (cmd, NULL, 0, &buf);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int64_t start = zclock_usecs ();
        zmq_send (zsock_resolve (req), buf.data, buf.size, 0);
        zframe_t *reply = zframe_recv (req);
        us [i] = zclock_usecs () - start;
        if (!reply) {
            fprintf (stderr, "control: no reply to request %d\n", i);
            rc = -1;
            break;
        }
        bool ok = false;
        char *error = NULL;
        json_t *data = NULL;
        if (control_reply_decode (zframe_data (reply), zframe_size (reply), &ok, &error,
                                  &data, err, sizeof err) || !ok) {
            fprintf (stderr, "control: bad reply: %s\n", error ? error : err);
            rc = -1;
        }
        free (error);
        json_decref (data);
        zframe_destroy (&reply);
    }
    msgpack_sbuffer_destroy (&buf);
    zsock_destroy (&req);
    return rc;
}

static size_t
s_discard (char *data, size_t size, size_t nmemb, void *user)
{
    (void) data;
    (void) user;
    return size * nmemb;
}

static int
s_bench_http (const char *url, int n, int64_t *us)
{
    CURL *curl = curl_easy_init ();
    if (!curl)
        return -1;
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) BENCH_TIMEOUT_MS);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int64_t start = zclock_usecs ();
        CURLcode res = curl_easy_perform (curl);
        us [i] = zclock_usecs () - start;
        long status = 0;
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
        if (res != CURLE_OK || status != 200) {
            fprintf (stderr, "control: %s: %s (HTTP %ld)\n", url,
                     curl_easy_strerror (res), status);
            rc = -1;
            break;
        }
    }
    curl_easy_cleanup (curl);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc < 4 || (strcmp (argv [1], "zmq") && strcmp (argv [1], "http"))) {
        fprintf (stderr, "usage: control zmq ENDPOINT N [CMD] | control http URL N\n");
        return 64;
    }
    char *end = NULL;
    long n = strtol (argv [3], &end, 10);
    if (*end || n < 1 || n > BENCH_MAX_N) {
        fprintf (stderr, "control: N must be 1..%d\n", BENCH_MAX_N);
        return 64;
    }
    int64_t *us = (int64_t *) calloc ((size_t) n, sizeof (int64_t));
    if (!us)
        return 1;
    int rc;
    if (streq (argv [1], "zmq"))
        rc = s_bench_zmq (argv [2], (int) n, argc > 4 ? argv [4] : "status", us);
    else {
        curl_global_init (CURL_GLOBAL_DEFAULT);
        rc = s_bench_http (argv [2], (int) n, us);
        curl_global_cleanup ();
    }
    if (rc == 0)
        s_report (us, (int) n);
    free (us);
    return rc == 0 ? 0 : 1;
}
