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
    control_call_t call;
    control_call (config, NULL, cmd, args, argc, timeout_ms, &call);
    json_t *data = NULL;
    switch (call.status) {
        case CONTROL_CALL_OK:
            data = call.data;
            call.data = NULL;
            break;
        case CONTROL_CALL_SOCKET:
        case CONTROL_CALL_CONNECT:
            zsys_warning ("notify: cannot reach the agent: %s", call.detail);
            break;
        case CONTROL_CALL_PROTOCOL:
            zsys_warning ("notify: malformed reply from the agent to '%s'", cmd);
            break;
        case CONTROL_CALL_REFUSED:
            zsys_info ("notify: the agent refused '%s': %s", cmd,
                       call.error? call.error: "?");
            break;
        case CONTROL_CALL_ENCODE:
        case CONTROL_CALL_NO_ANSWER:
        case CONTROL_CALL_INTERRUPTED:
            zsys_info ("notify: no answer from the agent to '%s' within %lld ms", cmd,
                       (long long) timeout_ms);
            break;
    }
    control_call_reset (&call);
    return data;
}
