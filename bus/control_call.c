//  control_call — the tools' one control client (include/heal/control_call.h).

#include "heal/control_call.h"
#include "heal/control.h"
#include "heal/security.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void
control_call_reset (control_call_t *call)
{
    if (!call)
        return;
    json_decref (call->data);
    free (call->error);
    memset (call, 0, sizeof *call);
}

static bool
s_interrupted (void)
{
    return zsys_interrupted || zmq_errno () == EINTR;
}

control_call_status_t
control_call (const heal_config_t *config, const char *endpoint, const char *cmd,
              const char *const *args, size_t argc, int64_t timeout_ms,
              control_call_t *out)
{
    memset (out, 0, sizeof *out);
    if (!endpoint)
        endpoint = config ? config->control : NULL;
    if (!endpoint) {
        snprintf (out->detail, sizeof out->detail, "no control endpoint");
        return out->status = CONTROL_CALL_CONNECT;
    }
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    zmq_msg_t reply;
    zmq_msg_init (&reply);
    //  zsys_socket, not zsock_new: czmq's zsock_new asserts when libzmq cannot
    //  make a socket (out of descriptors), and heal-exporter and heal-notify
    //  call per request; this must fail with CONTROL_CALL_SOCKET instead.
    void *req = zsys_socket (ZMQ_REQ, NULL, 0);
    if (!req) {
        snprintf (out->detail, sizeof out->detail, "cannot create a socket: %s",
                  zmq_strerror (zmq_errno ()));
        out->status = CONTROL_CALL_SOCKET;
        goto done;
    }
    zsock_set_linger (req, 0);
    zsock_set_rcvtimeo (req, (int) timeout_ms);
    zsock_set_sndtimeo (req, (int) timeout_ms);
    //  A reply larger than the protocol allows closes the connection (no
    //  answer) instead of filling our memory.
    zsock_set_maxmsgsize (req, CONTROL_MAX_REPLY + 64);
    if (heal_secure_connect (config, req, endpoint, out->detail, sizeof out->detail)) {
        out->status = CONTROL_CALL_CONNECT;
        goto done;
    }
    if (control_request_encode (cmd, args, argc, &buf)) {
        out->status = CONTROL_CALL_ENCODE;
        goto done;
    }
    int64_t start = zclock_usecs ();
    if (zmq_send (req, buf.data, buf.size, 0) == -1
    ||  zmq_msg_recv (&reply, req, 0) == -1) {
        out->status = s_interrupted () ? CONTROL_CALL_INTERRUPTED : CONTROL_CALL_NO_ANSWER;
        goto done;
    }
    out->elapsed_us = zclock_usecs () - start;
    if (zmq_msg_more (&reply)) {
        snprintf (out->detail, sizeof out->detail, "more than one frame");
        out->status = CONTROL_CALL_PROTOCOL;
        goto done;
    }
    bool ok = false;
    if (control_reply_decode (zmq_msg_data (&reply), zmq_msg_size (&reply), &ok,
                              &out->error, &out->data, out->detail, sizeof out->detail)) {
        out->status = CONTROL_CALL_PROTOCOL;
        goto done;
    }
    if (!ok) {
        json_decref (out->data);
        out->data = NULL;
        out->status = CONTROL_CALL_REFUSED;
    }
    else
        out->status = CONTROL_CALL_OK;
done:
    zmq_msg_close (&reply);
    msgpack_sbuffer_destroy (&buf);
    if (req)
        zsys_close (req, NULL, 0);
    return out->status;
}
