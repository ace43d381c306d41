//  check_tcp — a TCP port accepts connections.
//
//  Keys: host (default 127.0.0.1; a name or an address), port (required,
//  1-65535). The check's `timeout` bounds the connect (every address of the
//  host is tried in turn within it).
//  Remedy: `run` (a command), optional.
//  Metrics: connect_ms.
//
//  Non-blocking connect + poll, so the deadline holds. Name resolution uses
//  getaddrinfo, which cannot be bounded: numeric hosts skip it entirely.

#include "check.h"
#include "kind_util.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    char *host;
    int64_t port_number;
    char port [8];              //  port_number as text, for getaddrinfo
    char *run;
} tcp_check_t;

#define TCP_AT(field) HEAL_KEY_AT (tcp_check_t, field)

static const heal_key_t s_keys [] = {
    { .name = "host", .type = HEAL_KEY_HOST, .at = TCP_AT (host),
      .def = "127.0.0.1", .help = "name or address" },
    { .name = "port", .type = HEAL_KEY_INT, .at = TCP_AT (port_number),
      .flags = HEAL_KEY_REQUIRED, .min = 1, .max = 65535,
      .invalid = "'%s' is not a port (1-65535)", .help = "TCP port" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "run", .type = HEAL_KEY_STRING, .at = TCP_AT (run),
      .max_len = KIND_MAX_COMMAND, .help = "command" },
    { .name = NULL }
};

//  The port as text, for getaddrinfo.
static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    (void) config, (void) check, (void) err, (void) errlen;
    tcp_check_t *self = (tcp_check_t *) self_;
    snprintf (self->port, sizeof self->port, "%d", (int) self->port_number);
    return 0;
}

static int
s_connect (const struct addrinfo *ai, int64_t ms)
{
    int fd = socket (ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return errno;
    fcntl (fd, F_SETFD, FD_CLOEXEC);
    int flags = fcntl (fd, F_GETFL);
    if (flags < 0 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        int e = errno;
        close (fd);
        return e;
    }
    int result = 0;
    if (connect (fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            result = errno;
            goto done;
        }
        int64_t deadline = heal_monotonic_ms () + ms;
        while (true) {
            int64_t left = deadline - heal_monotonic_ms ();
            if (left <= 0) {
                result = ETIMEDOUT;
                break;
            }
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            int rc = poll (&pfd, 1, (int) left);
            if (rc < 0 && errno == EINTR)
                continue;
            if (rc < 0) {
                result = errno;
                break;
            }
            if (rc == 0) {
                result = ETIMEDOUT;
                break;
            }
            int so_error = 0;
            socklen_t len = sizeof so_error;
            if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0)
                result = errno;
            else
                result = so_error;
            break;
        }
    }
done:
    close (fd);
    return result;
}

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    tcp_check_t *self = (tcp_check_t *) self_;
    event_t *ev = result->event;
    int64_t start = heal_monotonic_ms ();
    int64_t limit = kind_time_left (ctx);
    struct addrinfo hints, *list = NULL;
    memset (&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo (self->host, self->port, &hints, &list);
    if (rc) {
        kind_message (ev, "%s:%s: cannot resolve the host: %s", self->host, self->port,
                      gai_strerror (rc));
        return CHECK_UNKNOWN;
    }
    int failure = ETIMEDOUT;
    bool connected = false;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int64_t left = start + limit - heal_monotonic_ms ();
        if (left <= 0)
            break;
        failure = s_connect (ai, left);
        if (failure == 0) {
            connected = true;
            break;
        }
    }
    freeaddrinfo (list);
    int64_t took = heal_monotonic_ms () - start;
    if (!connected) {
        if (failure == ETIMEDOUT)
            kind_message (ev, "%s:%s: no answer within %lld ms", self->host, self->port,
                          (long long) limit);
        else
            kind_message (ev, "%s:%s: %s", self->host, self->port, strerror (failure));
        return CHECK_FAIL;
    }
    event_add_metric (ev, "connect_ms", (double) took);
    kind_message (ev, "%s:%s: accepting connections (%lld ms)", self->host, self->port,
                  (long long) took);
    return CHECK_OK;
}

const check_kind_t check_kind_tcp = {
    .name = "tcp",
    .size = sizeof (tcp_check_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .setup = s_setup,
    .run = s_run,
    .run_at = TCP_AT (run),
    .verify_default_ms = CHECK_VERIFY_SERVICE_MS,
};
