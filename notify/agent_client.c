//  agent_client — one request to the agent's control socket (SPEC "Control"),
//  for what heal-notify asks the agent: its history, for the digest.

#include "notify.h"

#include <string.h>

json_t *
notify_agent_request (const heal_config_t *config, const char *cmd,
                      const char *const *args, size_t argc, int64_t timeout_ms)
{
    if (!config || !config->control)
        return NULL;
    json_t *data = NULL;
    char err [CONFIG_ERROR_MAX] = "";
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    zmq_msg_t reply;
    zmq_msg_init (&reply);
    zsock_t *req = zsock_new (ZMQ_REQ);
    if (!req)
        goto done;
    zsock_set_linger (req, 0);
    zsock_set_rcvtimeo (req, (int) timeout_ms);
    zsock_set_sndtimeo (req, (int) timeout_ms);
    zsock_set_maxmsgsize (req, CONTROL_MAX_REPLY + 64);
    if (heal_secure_connect (config, req, config->control, err, sizeof err)) {
        zsys_warning ("notify: cannot reach the agent: %s", err);
        goto done;
    }
    if (control_request_encode (cmd, args, argc, &buf)
    ||  zmq_send (zsock_resolve (req), buf.data, buf.size, 0) == -1
    ||  zmq_msg_recv (&reply, zsock_resolve (req), 0) == -1) {
        zsys_info ("notify: no answer from the agent to '%s' within %lld ms", cmd,
                   (long long) timeout_ms);
        goto done;
    }
    bool ok = false;
    char *error = NULL;
    if (zmq_msg_more (&reply)
    ||  control_reply_decode (zmq_msg_data (&reply), zmq_msg_size (&reply), &ok, &error,
                              &data, err, sizeof err)) {
        zsys_warning ("notify: malformed reply from the agent to '%s'", cmd);
        data = NULL;
    }
    else
    if (!ok) {
        zsys_info ("notify: the agent refused '%s': %s", cmd, error? error: "?");
        json_decref (data);
        data = NULL;
    }
    free (error);
done:
    zmq_msg_close (&reply);
    msgpack_sbuffer_destroy (&buf);
    zsock_destroy (&req);
    return data;
}
