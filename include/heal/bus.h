//  bus — the system bus: a PUB that never blocks its caller, a SUB helper,
//  the inbound PULL that validates what other local tools push into the bus,
//  and the PUSH those tools use (SPEC "Bus").
//
//  Every socket here belongs to the thread that created it.

#ifndef HEAL_BUS_H_INCLUDED
#define HEAL_BUS_H_INCLUDED

#include <czmq.h>
#include "heal/event.h"
#include "heal/security.h"

//  Send high-water mark of the PUB and PUSH sockets: past it, messages are
//  dropped (and counted), never queued without bound and never waited for.
#define BUS_SNDHWM 10000

typedef struct bus_publisher_t bus_publisher_t;

//  Bind a PUB socket on endpoint. source names this publisher in every event.
//  Returns NULL (and logs why) when the endpoint cannot be bound.
bus_publisher_t *bus_publisher_new (const char *endpoint, const char *source);
//  The same through heal_secure_bind with security (the agent's): a tcp
//  endpoint that is not loopback binds as a CURVE server. NULL = no CURVE.
bus_publisher_t *bus_publisher_new_secure (const char *endpoint, const char *source,
                                           heal_security_t *security);
void bus_publisher_destroy (bus_publisher_t **self_p);

//  Stamp the common fields (v, seq, ts when 0, host, source) and publish.
//  Never blocks: returns 0 when queued, -1 when dropped (counted).
int bus_publisher_send (bus_publisher_t *self, event_t *event);

//  Forward an already-validated two-frame message unchanged. Never blocks.
int bus_publisher_forward (bus_publisher_t *self, const char *topic,
                           const void *data, size_t size);

uint64_t bus_publisher_sent (bus_publisher_t *self);
uint64_t bus_publisher_dropped (bus_publisher_t *self);
zsock_t *bus_publisher_sock (bus_publisher_t *self);     //  borrowed
const char *bus_publisher_endpoint (bus_publisher_t *self);  //  resolved, borrowed

typedef struct bus_subscriber_t bus_subscriber_t;

//  Connect a SUB to endpoint, subscribed to each prefix in the NULL-terminated
//  array (NULL array = everything). Filtering happens in ZeroMQ.
bus_subscriber_t *bus_subscriber_new (const char *endpoint, const char **prefixes);
//  The same through heal_secure_connect: a tcp endpoint that is not loopback
//  needs config's CURVE client keys (security section); NULL config = none.
bus_subscriber_t *bus_subscriber_new_secure (const heal_config_t *config,
                                             const char *endpoint, const char **prefixes);
void bus_subscriber_destroy (bus_subscriber_t **self_p);

//  Receive and strictly decode one message, waiting at most timeout_ms
//  (-1 = forever). Returns an owned event, or NULL on timeout/interrupt/invalid
//  message (invalid ones are counted and err says why).
event_t *bus_subscriber_recv (bus_subscriber_t *self, int timeout_ms,
                              char *err, size_t errlen);
uint64_t bus_subscriber_invalid (bus_subscriber_t *self);
zsock_t *bus_subscriber_sock (bus_subscriber_t *self);   //  borrowed

typedef struct bus_inbound_t bus_inbound_t;

//  Bind the inbound PULL socket. Returns NULL when it cannot be bound.
bus_inbound_t *bus_inbound_new (const char *endpoint);
bus_inbound_t *bus_inbound_new_secure (const char *endpoint, heal_security_t *security);
void bus_inbound_destroy (bus_inbound_t **self_p);

//  Read one message (non-blocking), validate it (two frames, topic agrees with
//  a decodable payload, a type tools may publish: bus_inbound_accepts), and
//  forward it on pub. Drops are counted (invalid, refused) and logged at most
//  once a minute plus a summary (heal/ratelog.h). When decoded is not NULL and the
//  message was valid, *decoded receives an owned copy (the agent keeps the last
//  diagnosis). Returns 0 forwarded, -1 dropped (counted) or nothing to read.
int bus_inbound_forward (bus_inbound_t *self, bus_publisher_t *pub, event_t **decoded);
uint64_t bus_inbound_forwarded (bus_inbound_t *self);
uint64_t bus_inbound_invalid (bus_inbound_t *self);
//  Valid events of a type only the agent publishes (check, alert, cycle, agent).
uint64_t bus_inbound_refused (bus_inbound_t *self);
//  Does inbound forward events of this type (those tools publish: diagnosis)?
bool bus_inbound_accepts (event_type_t type);
//  Log the summary of drops when a minute has passed since the first (call
//  from the owner's loop; cheap).
void bus_inbound_log_flush (bus_inbound_t *self);
zsock_t *bus_inbound_sock (bus_inbound_t *self);         //  borrowed

typedef struct bus_pusher_t bus_pusher_t;

//  Connect a PUSH to the agent's inbound endpoint (connect never fails for a
//  valid endpoint: the agent may start later).
bus_pusher_t *bus_pusher_new (const char *endpoint, const char *source);
bus_pusher_t *bus_pusher_new_secure (const heal_config_t *config, const char *endpoint,
                                     const char *source);
void bus_pusher_destroy (bus_pusher_t **self_p);

//  Stamp common fields and send. Never blocks: -1 when dropped (counted).
int bus_pusher_send (bus_pusher_t *self, event_t *event);
uint64_t bus_pusher_dropped (bus_pusher_t *self);

#endif
