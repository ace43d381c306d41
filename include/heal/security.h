//  security — who may connect: ipc endpoints live in a 0700 runtime directory,
//  and a tcp endpoint (loopback included) needs CURVE (czmq zcert/zauth), or
//  on loopback the explicit security/allow_unauthenticated_tcp = true. Used by every bind and connect in heal.

#ifndef HEAL_SECURITY_H_INCLUDED
#define HEAL_SECURITY_H_INCLUDED

#include <czmq.h>
#include "heal/config.h"

typedef struct heal_security_t heal_security_t;

//  Start what binding securely needs (a zauth actor when CURVE is configured).
//  One per process, owned by the thread that binds. NULL on error (err says why).
heal_security_t *heal_security_new (const heal_config_t *config, char *err, size_t errlen);
void heal_security_destroy (heal_security_t **self_p);

//  The endpoint rules of heal_secure_bind (bind) or heal_secure_connect,
//  checked against config without touching the network (what -n runs): a
//  valid endpoint; no abstract ipc; an existing ipc directory ours and
//  closed to others; tcp binds name an address; tcp needs CURVE keys, or on
//  loopback security/allow_unauthenticated_tcp = true. 0, or -1 with err set.
int heal_secure_check (const heal_config_t *config, const char *endpoint, bool bind,
                       char *err, size_t errlen);

//  What a program uses, for heal_preflight: the agent binds its three
//  endpoints and owns the state dir; the others connect.
#define HEAL_USE_AGENT      1   //  bind publish, inbound, control; state dir; server keys
#define HEAL_USE_CONTROL    2   //  connect control (healctl)
#define HEAL_USE_SUBSCRIBE  4   //  connect publish (diagnoser, notify, exporter, watch)
#define HEAL_USE_PUSH       8   //  connect inbound (diagnoser)

//  Everything a program refuses at start about its endpoints, keys and dirs,
//  without binding or connecting: the agent runs it before its sockets and
//  `-n` runs the same. uses: HEAL_USE_* or'ed. 0, or -1 with err set as
//  `FILE: section: key 'K': why`.
int heal_preflight (const heal_config_t *config, int uses, char *err, size_t errlen);

//  Bind sock to endpoint. ipc: the socket file's directory must be owned by us
//  and not open to others (created 0700 when absent); the socket file is made
//  0600. tcp not on loopback: CURVE server mode with the configured cert, or
//  refused. Returns 0, or -1 with err set.
int heal_secure_bind (heal_security_t *self, zsock_t *sock, const char *endpoint,
                      char *err, size_t errlen);

//  Connect sock (a zsock_t or a libzmq socket) to endpoint; for a
//  non-loopback tcp endpoint set CURVE client mode with config's client cert
//  and the server's public key, or refuse. security may be NULL when config
//  has no CURVE keys.
int heal_secure_connect (const heal_config_t *config, void *sock,
                         const char *endpoint, char *err, size_t errlen);

#endif
