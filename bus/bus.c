//  bus — publisher, subscriber, inbound and pusher sockets (SPEC "Bus").
//
//  Sends never block: PUB and PUSH use ZMQ_DONTWAIT with a send high-water
//  mark of BUS_SNDHWM. The PUB sets ZMQ_XPUB_NODROP so that a full subscriber
//  queue makes the send fail (EAGAIN) and the drop is *counted*; without it
//  libzmq drops silently. The price: while one subscriber of a topic has a full
//  queue (BUS_SNDHWM messages behind, plus its own receive HWM), that topic's
//  messages are dropped for every subscriber until it drains. seq still moves
//  on for a dropped message, so subscribers can see the gap.
//
//  Frames are sent and received with zmq_msg_t directly (no zmsg) to keep the
//  hot path free of allocations beyond libzmq's own.

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "heal/util.h"
#include "heal/bus.h"
#include "heal/security.h"
#include "heal/ratelog.h"
#include "wire.h"

//  How long a pusher keeps unsent messages when destroyed (a diagnoser that
//  pushes a diagnosis and exits still gets it out), in milliseconds.
#define BUS_PUSH_LINGER 500

//  Between the two probes of a socket file that refused a connection.
#define BUS_STALE_RECHECK_MS 100

//  --------------------------------------------------------------------------
//  Helpers

//  One non-blocking connect to addr. Returns 0 when it connected, else the
//  errno (EAGAIN/EINPROGRESS: a listener with a full backlog; ECONNREFUSED:
//  nobody listens, or macOS's full backlog), -1 when no socket could be made.
static int
s_ipc_probe (const struct sockaddr_un *addr)
{
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int flags = fcntl (fd, F_GETFL, 0);
    if (flags >= 0)
        fcntl (fd, F_SETFL, flags | O_NONBLOCK);
    int rc = connect (fd, (const struct sockaddr *) addr, sizeof *addr);
    int saved = rc == 0? 0: errno;
    close (fd);
    return saved;
}

//  For an ipc endpoint whose socket file already exists: remove it when
//  nobody listens (stale, left by a killed process); refuse when a live
//  process listens on it (libzmq would silently unlink it and steal the
//  address) or when it is not a socket at all. Returns 0 or -1 (logged).
static int
s_ipc_prepare (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) != 0)
        return 0;
    const char *path = endpoint + 6;
    if (*path == 0 || *path == '@' || strcmp (path, "*") == 0)
        return 0;       //  abstract namespace or wildcard: no file
    struct stat st;
    if (lstat (path, &st))
        return 0;       //  absent: nothing to do
    if (!S_ISSOCK (st.st_mode)) {
        zsys_error ("bus: cannot bind %s: the path exists and is not a socket", endpoint);
        return -1;
    }
    struct sockaddr_un addr;
    memset (&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen (path) >= sizeof addr.sun_path) {
        zsys_error ("bus: cannot bind %s: path too long", endpoint);
        return -1;
    }
    memcpy (addr.sun_path, path, strlen (path) + 1);
    //  macOS answers ECONNREFUSED, not EAGAIN, when a live listener's backlog
    //  is full: refused twice, BUS_STALE_RECHECK_MS apart, before unlinking.
    int saved = s_ipc_probe (&addr);
    if (saved == ECONNREFUSED) {
        zclock_sleep (BUS_STALE_RECHECK_MS);
        saved = s_ipc_probe (&addr);
    }
    if (saved == 0 || saved == EAGAIN || saved == EINPROGRESS) {
        zsys_error ("bus: cannot bind %s: another process is listening on it", endpoint);
        return -1;
    }
    if (saved == ECONNREFUSED) {
        if (unlink (path) && errno != ENOENT) {
            zsys_error ("bus: cannot remove stale socket %s: %s", path, strerror (errno));
            return -1;
        }
    }
    return 0;
}

static zsock_t *
s_bind (int type, const char *endpoint, heal_security_t *security, char **resolved)
{
    if (!endpoint || s_ipc_prepare (endpoint))
        return NULL;
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        zsys_error ("bus: cannot create socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (sock, 0);
    if (type == ZMQ_PUB) {
        zsock_set_sndhwm (sock, BUS_SNDHWM);
        zsock_set_xpub_nodrop (sock, 1);
    }
    //  heal_secure_bind: ipc in a 0700 directory (created when missing) with
    //  a 0600 socket file; tcp on loopback, or elsewhere with CURVE only.
    char why [512] = "";
    if (heal_secure_bind (security, sock, endpoint, why, sizeof why)) {
        zsys_error ("bus: cannot bind %s: %s", endpoint, why);
        zsock_destroy (&sock);
        return NULL;
    }
    if (resolved) {
        *resolved = zsock_last_endpoint (sock);
        if (!*resolved)
            *resolved = strdup (endpoint);
    }
    return sock;
}

//  Stamp the common fields of an event before it goes out.
static int
s_stamp (event_t *event, uint64_t seq, const char *source)
{
    event->v = EVENT_VERSION;
    event->seq = seq;
    if (event->ts == 0)
        event->ts = event_now_ms ();
    const char *host = heal_hostname ();
    if (!event->host || strcmp (event->host, host) != 0)
        if (event_set_string (&event->host, host, EVENT_MAX_SHORT))
            return -1;
    if (!event->source || strcmp (event->source, source) != 0)
        if (event_set_string (&event->source, source, EVENT_MAX_SHORT))
            return -1;
    return 0;
}

//  Stamp, then encode into buf and write the topic into topic (len bytes).
//  Returns the topic's length, or -1 when the event lacks required fields.
static int
s_encode (event_t *event, uint64_t seq, const char *source, msgpack_sbuffer *buf,
          char *topic, size_t len)
{
    int topic_size;
    if (s_stamp (event, seq, source)
    ||  (topic_size = wire_topic (event, topic, len)) < 0
    ||  event_encode (event, buf))
        return -1;
    return topic_size;
}

//  Send topic + payload without blocking. 0 sent, -1 not sent.
static int
s_send2 (void *handle, const char *topic, size_t topic_size, const void *data, size_t size)
{
    if (zmq_send (handle, topic, topic_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    //  The first part was accepted: the rest of a multipart message always is.
    while (zmq_send (handle, data, size, ZMQ_DONTWAIT) < 0)
        if (zmq_errno () != EINTR)
            return -1;
    return 0;
}

//  Receive one two-frame message. Returns 0 with both frames, 1 when nothing
//  arrived (EAGAIN, EINTR, timeout), -1 on a message with the wrong number of
//  frames (read to its end and discarded).
static int
s_recv2 (void *handle, zmq_msg_t *topic, zmq_msg_t *payload, int timeout_ms)
{
    if (zmq_msg_recv (topic, handle, ZMQ_DONTWAIT) < 0) {
        if (timeout_ms == 0 || zmq_errno () != EAGAIN)
            return 1;
        zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, timeout_ms) <= 0)
            return 1;
        if (zmq_msg_recv (topic, handle, ZMQ_DONTWAIT) < 0)
            return 1;
    }
    if (!zmq_msg_more (topic))
        return -1;
    if (zmq_msg_recv (payload, handle, 0) < 0)
        return -1;
    if (zmq_msg_more (payload)) {
        zmq_msg_t extra;
        zmq_msg_init (&extra);
        int more = 1;
        while (more) {
            if (zmq_msg_recv (&extra, handle, 0) < 0)
                break;
            more = zmq_msg_more (&extra);
        }
        zmq_msg_close (&extra);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Publisher

struct bus_publisher_t {
    zsock_t *sock;
    void *handle;               //  libzmq socket of sock
    char *endpoint;             //  resolved
    char *source;
    uint64_t seq;
    uint64_t sent;
    uint64_t dropped;
    msgpack_sbuffer buf;        //  reused for every event
};

bus_publisher_t *
bus_publisher_new (const char *endpoint, const char *source)
{
    return bus_publisher_new_secure (endpoint, source, NULL);
}

bus_publisher_t *
bus_publisher_new_secure (const char *endpoint, const char *source,
                          heal_security_t *security)
{
    bus_publisher_t *self = (bus_publisher_t *) zmalloc (sizeof (bus_publisher_t));
    if (!self)
        return NULL;
    msgpack_sbuffer_init (&self->buf);
    self->source = heal_safe_string (source ? source : "heal", strlen (source ? source : "heal"),
                                     EVENT_MAX_SHORT);
    self->sock = s_bind (ZMQ_PUB, endpoint, security, &self->endpoint);
    if (!self->sock || !self->source) {
        bus_publisher_destroy (&self);
        return NULL;
    }
    self->handle = zsock_resolve (self->sock);
    return self;
}

void
bus_publisher_destroy (bus_publisher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_publisher_t *self = *self_p;
    zsock_destroy (&self->sock);
    free (self->endpoint);
    free (self->source);
    msgpack_sbuffer_destroy (&self->buf);
    free (self);
    *self_p = NULL;
}

int
bus_publisher_send (bus_publisher_t *self, event_t *event)
{
    if (!self || !event)
        return -1;
    char topic [EVENT_MAX_TOPIC + 1];
    int topic_size = s_encode (event, ++self->seq, self->source, &self->buf, topic, sizeof topic);
    if (topic_size < 0) {
        zsys_warning ("bus: event %s not published: missing or invalid fields",
                      event_type_name (event->type) ? event_type_name (event->type) : "?");
        self->dropped++;
        return -1;
    }
    if (s_send2 (self->handle, topic, (size_t) topic_size, self->buf.data, self->buf.size)) {
        self->dropped++;
        return -1;
    }
    self->sent++;
    return 0;
}

int
bus_publisher_forward (bus_publisher_t *self, const char *topic, const void *data, size_t size)
{
    if (!self || !topic)
        return -1;
    if (s_send2 (self->handle, topic, strlen (topic), data, size)) {
        self->dropped++;
        return -1;
    }
    self->sent++;
    return 0;
}

uint64_t bus_publisher_sent (bus_publisher_t *self) { return self->sent; }
uint64_t bus_publisher_dropped (bus_publisher_t *self) { return self->dropped; }
zsock_t *bus_publisher_sock (bus_publisher_t *self) { return self->sock; }
const char *bus_publisher_endpoint (bus_publisher_t *self) { return self->endpoint; }

//  --------------------------------------------------------------------------
//  Subscriber

struct bus_subscriber_t {
    zsock_t *sock;
    void *handle;
    uint64_t invalid;
};

bus_subscriber_t *
bus_subscriber_new (const char *endpoint, const char **prefixes)
{
    return bus_subscriber_new_secure (NULL, endpoint, prefixes);
}

//  Connect through heal_secure_connect: abstract ipc refused, a non-loopback
//  tcp endpoint only with the CURVE client keys of config.
static int
s_connect (const heal_config_t *config, zsock_t *sock, const char *endpoint)
{
    char why [512] = "";
    if (heal_secure_connect (config, sock, endpoint, why, sizeof why)) {
        zsys_error ("bus: cannot connect to %s: %s", endpoint, why);
        return -1;
    }
    return 0;
}

bus_subscriber_t *
bus_subscriber_new_secure (const heal_config_t *config, const char *endpoint,
                           const char **prefixes)
{
    if (!endpoint)
        return NULL;
    bus_subscriber_t *self = (bus_subscriber_t *) zmalloc (sizeof (bus_subscriber_t));
    if (!self)
        return NULL;
    self->sock = zsock_new (ZMQ_SUB);
    if (!self->sock) {
        free (self);
        return NULL;
    }
    zsock_set_linger (self->sock, 0);
    zsock_set_rcvhwm (self->sock, BUS_SNDHWM);
    if (prefixes)
        for (const char **p = prefixes; *p; p++)
            zsock_set_subscribe (self->sock, *p);
    else
        zsock_set_subscribe (self->sock, "");
    if (s_connect (config, self->sock, endpoint)) {
        bus_subscriber_destroy (&self);
        return NULL;
    }
    self->handle = zsock_resolve (self->sock);
    return self;
}

void
bus_subscriber_destroy (bus_subscriber_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy (&(*self_p)->sock);
    free (*self_p);
    *self_p = NULL;
}

event_t *
bus_subscriber_recv (bus_subscriber_t *self, int timeout_ms, char *err, size_t errlen)
{
    wire_err (err, errlen, "timeout");
    if (!self)
        return NULL;
    zmq_msg_t topic, payload;
    zmq_msg_init (&topic);
    zmq_msg_init (&payload);
    event_t *event = NULL;
    int rc = s_recv2 (self->handle, &topic, &payload, timeout_ms);
    if (rc == 0) {
        event = event_decode_message ((const char *) zmq_msg_data (&topic), zmq_msg_size (&topic),
                                      zmq_msg_data (&payload), zmq_msg_size (&payload),
                                      err, errlen);
        if (!event)
            self->invalid++;
    }
    else
    if (rc < 0) {
        wire_err (err, errlen, "message is not two frames");
        self->invalid++;
    }
    zmq_msg_close (&topic);
    zmq_msg_close (&payload);
    return event;
}

uint64_t bus_subscriber_invalid (bus_subscriber_t *self) { return self->invalid; }
zsock_t *bus_subscriber_sock (bus_subscriber_t *self) { return self->sock; }

//  --------------------------------------------------------------------------
//  Inbound

struct bus_inbound_t {
    zsock_t *sock;
    void *handle;
    uint64_t forwarded;
    uint64_t invalid;
    uint64_t refused;           //  valid, but of a type only the agent publishes
    heal_ratelog_t log;         //  drops: one line, then a summary per minute
};

//  The types tools may publish into the bus (SPEC "Added with the second
//  round"): check, alert, cycle and agent events come from the agent alone.
//  A type added for tools gets a line here.
static const event_type_t s_tool_types [] = {
    EVENT_DIAGNOSIS,
};

bool
bus_inbound_accepts (event_type_t type)
{
    for (size_t i = 0; i < sizeof s_tool_types / sizeof s_tool_types [0]; i++)
        if (s_tool_types [i] == type)
            return true;
    return false;
}

//  A dropped message: counted by the caller, logged here at most once per
//  RATELOG_WINDOW_MS with a summary of the rest (an outsider sets the pace).
static void
s_inbound_drop_log (bus_inbound_t *self, const char *reason)
{
    char line [RATELOG_MAX_REASON + 256];
    if (heal_ratelog_hit (&self->log, zclock_mono (), reason, line, sizeof line))
        zsys_warning ("bus: %s", line);
}

void
bus_inbound_log_flush (bus_inbound_t *self)
{
    char line [RATELOG_MAX_REASON + 256];
    if (self && heal_ratelog_flush (&self->log, zclock_mono (), line, sizeof line))
        zsys_warning ("bus: %s", line);
}

bus_inbound_t *
bus_inbound_new (const char *endpoint)
{
    return bus_inbound_new_secure (endpoint, NULL);
}

bus_inbound_t *
bus_inbound_new_secure (const char *endpoint, heal_security_t *security)
{
    bus_inbound_t *self = (bus_inbound_t *) zmalloc (sizeof (bus_inbound_t));
    if (!self)
        return NULL;
    self->sock = s_bind (ZMQ_PULL, endpoint, security, NULL);
    if (!self->sock) {
        free (self);
        return NULL;
    }
    self->handle = zsock_resolve (self->sock);
    self->log.what = "invalid inbound messages";
    return self;
}

void
bus_inbound_destroy (bus_inbound_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy (&(*self_p)->sock);
    free (*self_p);
    *self_p = NULL;
}

int
bus_inbound_forward (bus_inbound_t *self, bus_publisher_t *pub, event_t **decoded)
{
    if (decoded)
        *decoded = NULL;
    if (!self)
        return -1;
    zmq_msg_t topic, payload;
    zmq_msg_init (&topic);
    zmq_msg_init (&payload);
    int result = -1;
    char err [256];
    int rc = s_recv2 (self->handle, &topic, &payload, 0);
    if (rc == 0) {
        size_t topic_size = zmq_msg_size (&topic);
        event_t *event = event_decode_message ((const char *) zmq_msg_data (&topic), topic_size,
                                               zmq_msg_data (&payload), zmq_msg_size (&payload),
                                               err, sizeof err);
        if (event && !bus_inbound_accepts (event->type)) {
            self->refused++;
            char why [96];
            snprintf (why, sizeof why, "type '%s' is published by heal-agent alone",
                      event_type_name (event->type) ? event_type_name (event->type) : "?");
            s_inbound_drop_log (self, why);
            event_destroy (&event);
        }
        else
        if (event) {
            //  The topic was validated (UTF-8, no NUL, bounded): make it a C string.
            char name [EVENT_MAX_TOPIC + 1];
            memcpy (name, zmq_msg_data (&topic), topic_size);
            name [topic_size] = 0;
            self->forwarded++;
            result = 0;
            if (pub)
                bus_publisher_forward (pub, name, zmq_msg_data (&payload),
                                       zmq_msg_size (&payload));
            if (decoded)
                *decoded = event;
            else
                event_destroy (&event);
        }
        else {
            self->invalid++;
            s_inbound_drop_log (self, err);
        }
    }
    else
    if (rc < 0) {
        self->invalid++;
        s_inbound_drop_log (self, "not two frames");
    }
    zmq_msg_close (&topic);
    zmq_msg_close (&payload);
    return result;
}

uint64_t bus_inbound_forwarded (bus_inbound_t *self) { return self->forwarded; }
uint64_t bus_inbound_invalid (bus_inbound_t *self) { return self->invalid; }
uint64_t bus_inbound_refused (bus_inbound_t *self) { return self->refused; }
zsock_t *bus_inbound_sock (bus_inbound_t *self) { return self->sock; }

//  --------------------------------------------------------------------------
//  Pusher

struct bus_pusher_t {
    zsock_t *sock;
    void *handle;
    char *source;
    uint64_t seq;
    uint64_t dropped;
    msgpack_sbuffer buf;
};

bus_pusher_t *
bus_pusher_new (const char *endpoint, const char *source)
{
    return bus_pusher_new_secure (NULL, endpoint, source);
}

bus_pusher_t *
bus_pusher_new_secure (const heal_config_t *config, const char *endpoint,
                       const char *source)
{
    if (!endpoint)
        return NULL;
    bus_pusher_t *self = (bus_pusher_t *) zmalloc (sizeof (bus_pusher_t));
    if (!self)
        return NULL;
    msgpack_sbuffer_init (&self->buf);
    self->source = heal_safe_string (source ? source : "heal", strlen (source ? source : "heal"),
                                     EVENT_MAX_SHORT);
    self->sock = zsock_new (ZMQ_PUSH);
    if (!self->sock || !self->source) {
        bus_pusher_destroy (&self);
        return NULL;
    }
    zsock_set_sndhwm (self->sock, BUS_SNDHWM);
    zsock_set_linger (self->sock, BUS_PUSH_LINGER);
    if (s_connect (config, self->sock, endpoint)) {
        bus_pusher_destroy (&self);
        return NULL;
    }
    self->handle = zsock_resolve (self->sock);
    return self;
}

void
bus_pusher_destroy (bus_pusher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bus_pusher_t *self = *self_p;
    zsock_destroy (&self->sock);
    free (self->source);
    msgpack_sbuffer_destroy (&self->buf);
    free (self);
    *self_p = NULL;
}

int
bus_pusher_send (bus_pusher_t *self, event_t *event)
{
    if (!self || !event)
        return -1;
    char topic [EVENT_MAX_TOPIC + 1];
    int topic_size = s_encode (event, ++self->seq, self->source, &self->buf, topic, sizeof topic);
    if (topic_size < 0
    ||  s_send2 (self->handle, topic, (size_t) topic_size, self->buf.data, self->buf.size)) {
        self->dropped++;
        return -1;
    }
    return 0;
}

uint64_t bus_pusher_dropped (bus_pusher_t *self) { return self->dropped; }
