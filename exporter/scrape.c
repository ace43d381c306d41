//  scrape — the question to the agent's control socket for a /metrics
//  request: `metrics` (a compact reply made for us), within exporter.timeout
//  so a silent agent costs at most that, never a hang.
//  Same framing and security as healctl (libheal's control codec,
//  heal_secure_connect).

#include "exporter.h"

#include <errno.h>
#include <string.h>

//  One REQ/REP round trip within timeout_ms. 0 with *data (new reference,
//  may be NULL for nil) on an ok reply; -1 otherwise (logged when verbose).
static int
s_request (const heal_config_t *config, const char *cmd, int64_t timeout_ms,
           bool verbose, json_t **data)
{
    int rc = -1;
    char err [CONFIG_ERROR_MAX] = "";
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    zmq_msg_t reply;
    zmq_msg_init (&reply);
    *data = NULL;

    zsock_t *req = zsock_new (ZMQ_REQ);
    if (!req) {
        zsys_error ("exporter: cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        goto cleanup;
    }
    zsock_set_linger (req, 0);
    zsock_set_rcvtimeo (req, (int) timeout_ms);
    zsock_set_sndtimeo (req, (int) timeout_ms);
    //  A reply past the protocol's bound drops the connection (no answer).
    zsock_set_maxmsgsize (req, CONTROL_MAX_REPLY + 64);
    if (heal_secure_connect (config, req, config->control, err, sizeof err)) {
        zsys_error ("exporter: %s", err);
        goto cleanup;
    }
    if (control_request_encode (cmd, NULL, 0, &buf))
        goto cleanup;
    if (zmq_send (zsock_resolve (req), buf.data, buf.size, 0) == -1
    ||  zmq_msg_recv (&reply, zsock_resolve (req), 0) == -1) {
        if (verbose)
            zsys_info ("exporter: %s: no answer from heal-agent at %s within %lld ms",
                       cmd, config->control, (long long) timeout_ms);
        goto cleanup;
    }
    bool ok = false;
    char *error = NULL;
    if (zmq_msg_more (&reply)
    ||  control_reply_decode (zmq_msg_data (&reply), zmq_msg_size (&reply), &ok, &error,
                              data, err, sizeof err)) {
        zsys_warning ("exporter: %s: malformed reply from heal-agent: %s", cmd,
                      *err? err: "more than one frame");
        goto cleanup;
    }
    if (!ok) {
        zsys_warning ("exporter: %s: heal-agent refused: %s", cmd, error? error: "?");
        json_decref (*data);
        *data = NULL;
    }
    else
        rc = 0;
    free (error);

cleanup:
    zmq_msg_close (&reply);
    msgpack_sbuffer_destroy (&buf);
    zsock_destroy (&req);
    return rc;
}

void
exporter_scrape (const heal_config_t *config, bool verbose, exporter_scrape_t *out)
{
    memset (out, 0, sizeof *out);
    int64_t start = zclock_usecs ();
    if (s_request (config, "metrics", config->exporter_timeout_ms, verbose, &out->metrics) == 0
    &&  json_is_object (out->metrics))
        out->up = true;
    else {
        json_decref (out->metrics);
        out->metrics = NULL;
    }
    out->elapsed_us = zclock_usecs () - start;
}

void
exporter_scrape_reset (exporter_scrape_t *scrape)
{
    json_decref (scrape->metrics);
    memset (scrape, 0, sizeof *scrape);
}
