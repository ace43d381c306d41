//  control_call — one request/reply with the agent's control socket (SPEC
//  "Control"): the client side every tool shares (healctl, heal-notify,
//  heal-exporter). A REQ socket per call, connected through
//  heal_secure_connect (CURVE where the endpoint needs it), bounded by a
//  timeout on send and receive and by CONTROL_MAX_REPLY on the reply's size
//  (a larger reply drops the connection: it ends as no answer). The caller
//  words the outcome for its own audience.

#ifndef HEAL_CONTROL_CALL_H_INCLUDED
#define HEAL_CONTROL_CALL_H_INCLUDED

#include "heal/config.h"
#include <jansson.h>
#include <stdint.h>

#define CONTROL_CALL_MAX_DETAIL  CONFIG_ERROR_MAX

typedef enum {
    CONTROL_CALL_OK = 0,        //  the agent answered ok: data
    CONTROL_CALL_REFUSED,       //  the agent answered not ok: error
    CONTROL_CALL_NO_ANSWER,     //  nothing came within the timeout
    CONTROL_CALL_INTERRUPTED,   //  a signal ended the wait
    CONTROL_CALL_SOCKET,        //  no socket could be made (descriptors): detail
    CONTROL_CALL_CONNECT,       //  the endpoint or its security was refused:
                                //  detail
    CONTROL_CALL_ENCODE,        //  the request could not be encoded (too many
                                //  or too long arguments)
    CONTROL_CALL_PROTOCOL       //  a malformed reply: detail
} control_call_status_t;

typedef struct {
    control_call_status_t status;
    json_t *data;               //  owned: the reply's data (NULL for nil)
    char *error;                //  owned: the agent's refusal, or NULL
    int64_t elapsed_us;         //  from send to reply
    char detail [CONTROL_CALL_MAX_DETAIL];
} control_call_t;

//  Ask endpoint (config's control endpoint when NULL) cmd with argc args,
//  within timeout_ms for each of send and receive. Fills *out (release it
//  with control_call_reset) and returns out->status.
control_call_status_t
    control_call (const heal_config_t *config, const char *endpoint, const char *cmd,
                  const char *const *args, size_t argc, int64_t timeout_ms,
                  control_call_t *out);

//  Free what a call owns; the struct may be reused.
void control_call_reset (control_call_t *call);

#endif
