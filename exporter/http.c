//  http — heal-exporter's HTTP side, served by libmicrohttpd (no HTTP
//  parsing of ours): GET /metrics scrapes the agent and answers in the
//  Prometheus text format, GET / is a page linking to it, anything else is
//  404 (or 405 for other methods). One internal thread serves every
//  connection, so scrapes never overlap; connections, their memory and idle
//  time are bounded (exporter.h).

#include "exporter.h"

#include <microhttpd.h>
#include <string.h>

struct exporter_http_t {
    const heal_config_t *config;    //  borrowed (main owns it)
    bool verbose;
    struct MHD_Daemon *daemon;
};

static const char s_index [] =
    "<!DOCTYPE html>\n<html><head><title>heal-exporter</title></head><body>\n"
    "<h1>heal-exporter</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

//  Queue a response whose body we own (handed to MHD, freed with free()).
static enum MHD_Result
s_respond (struct MHD_Connection *conn, unsigned int code, const char *type,
           char *body, size_t len, const char *allow)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (len, body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response (conn, code, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_text (struct MHD_Connection *conn, unsigned int code, const char *message,
        const char *allow)
{
    char *body = strdup (message);
    if (!body)
        return MHD_NO;
    return s_respond (conn, code, "text/plain; charset=utf-8", body, strlen (body), allow);
}

static enum MHD_Result
s_metrics (exporter_http_t *self, struct MHD_Connection *conn)
{
    exporter_scrape_t scrape;
    exporter_scrape (self->config, self->verbose, &scrape);
    exporter_text_t text = { 0 };
    int rc = exporter_render (&scrape, &text);
    if (self->verbose)
        zsys_info ("exporter: scrape: agent %s in %.1f ms, %zu bytes",
                   scrape.up? "up": "down", (double) scrape.elapsed_us / 1000.0, text.len);
    exporter_scrape_reset (&scrape);
    if (rc || !text.data) {
        zsys_error ("exporter: the metrics exceed %d bytes (or memory ran out)",
                    EXPORTER_MAX_BODY);
        exporter_text_reset (&text);
        return s_text (conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                       "metrics too large or out of memory\n", NULL);
    }
    return s_respond (conn, MHD_HTTP_OK, EXPORTER_CONTENT_TYPE, text.data, text.len, NULL);
}

//  MHD's access handler: called once with the headers (we note the request
//  and wait), again per chunk of body (discarded: GET has none) and once at
//  the end, when we answer.
static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size,
          void **con_cls)
{
    exporter_http_t *self = (exporter_http_t *) cls;
    static int s_seen;
    (void) version;
    (void) upload_data;
    if (*con_cls == NULL) {
        *con_cls = &s_seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;  //  a body: dropped, bounded by MHD's memory limit
        return MHD_YES;
    }
    bool get = streq (method, MHD_HTTP_METHOD_GET) || streq (method, MHD_HTTP_METHOD_HEAD);
    bool known = streq (url, "/metrics") || streq (url, "/");
    if (!known)
        return s_text (conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
    if (!get)
        return s_text (conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "GET, HEAD");
    if (streq (url, "/")) {
        char *body = strdup (s_index);
        if (!body)
            return MHD_NO;
        return s_respond (conn, MHD_HTTP_OK, "text/html; charset=utf-8", body,
                          strlen (body), NULL);
    }
    return s_metrics (self, conn);
}

exporter_http_t *
exporter_http_new (const heal_config_t *config, bool verbose, char *err, size_t errlen)
{
    heal_listen_t listen;
    if (heal_listen_parse (config->exporter_listen, &listen, err, errlen))
        return NULL;
    exporter_http_t *self = (exporter_http_t *) calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->config = config;
    self->verbose = verbose;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (listen.family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->daemon = MHD_start_daemon (flags, (uint16_t) listen.port, NULL, NULL,
        s_handle, self,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) &listen.addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) EXPORTER_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) EXPORTER_CONN_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) EXPORTER_CONN_MEMORY,
        MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, errlen, "cannot listen on %s (in use, or not an address of "
                  "this host?)", config->exporter_listen);
        free (self);
        return NULL;
    }
    return self;
}

void
exporter_http_destroy (exporter_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    exporter_http_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    free (self);
    *self_p = NULL;
}
