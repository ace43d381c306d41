//  control_server — the agent's side of healctl (SPEC "Control") on the
//  control ROUTER socket. Main thread only.

#ifndef HEAL_CONTROL_SERVER_H_INCLUDED
#define HEAL_CONTROL_SERVER_H_INCLUDED

#include <jansson.h>

typedef struct agent_t agent_t;
typedef struct agent_check_t agent_check_t;

//  Answer the requests waiting on the control socket (without blocking).
void control_server_handle (agent_t *self);
//  check has a new result (NULL: the checks changed): reply to the `run`
//  and `heal` requests that were waiting for it.
void control_server_result (agent_t *self, agent_check_t *check);
//  Drop the requests still waiting (at exit).
void control_server_destroy_pendings (agent_t *self);

#endif
