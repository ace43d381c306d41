//  security — who may connect: ipc endpoints live in a 0700 runtime directory,
//  and a tcp endpoint that is not loopback is refused unless CURVE is set up
//  (czmq zcert/zauth). Used by every bind and connect in heal.

#ifndef HEAL_SECURITY_H_INCLUDED
#define HEAL_SECURITY_H_INCLUDED

#include <czmq.h>
#include "heal/config.h"

typedef struct heal_security_t heal_security_t;

//  Start what binding securely needs (a zauth actor when CURVE is configured).
//  One per process, owned by the thread that binds. NULL on error (err says why).
heal_security_t *heal_security_new (const heal_config_t *config, char *err, size_t errlen);
void heal_security_destroy (heal_security_t **self_p);

//  Bind sock to endpoint. ipc: the socket file's directory must be owned by us
//  and not open to others (created 0700 when absent); the socket file is made
//  0600. tcp not on loopback: CURVE server mode with the configured cert, or
//  refused. Returns 0, or -1 with err set.
int heal_secure_bind (heal_security_t *self, zsock_t *sock, const char *endpoint,
                      char *err, size_t errlen);

//  Connect sock to endpoint; for a non-loopback tcp endpoint set CURVE client
//  mode with config's client cert and the server's public key, or refuse.
//  security may be NULL when config has no CURVE keys.
int heal_secure_connect (const heal_config_t *config, zsock_t *sock,
                         const char *endpoint, char *err, size_t errlen);

#endif
