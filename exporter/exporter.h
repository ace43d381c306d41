//  heal-exporter — internal interface between its files.
//
//  main.c reads the command line and the config and waits for a signal;
//  http.c serves GET /metrics with libmicrohttpd; scrape.c asks the agent
//  over its control socket (libheal's codec, heal_secure_connect); render.c
//  turns the agent's replies into the Prometheus text exposition format.
//  Stateless: every scrape asks the agent, so counters are the agent's
//  lifetime totals (status.checks[].totals) and survive exporter restarts.

#ifndef HEAL_EXPORTER_H_INCLUDED
#define HEAL_EXPORTER_H_INCLUDED

#include "heal/heal.h"

//  Exit codes (sysexits.h values)
#define EXPORTER_EXIT_OK          0
#define EXPORTER_EXIT_UNAVAILABLE 69    //  EX_UNAVAILABLE: cannot listen
#define EXPORTER_EXIT_CONFIG      78    //  EX_CONFIG

//  Bounds
#define EXPORTER_MAX_BODY         (16 * 1024 * 1024)  //  one /metrics reply, bytes
#define EXPORTER_MAX_CONNECTIONS  32                  //  HTTP connections at once
#define EXPORTER_CONN_TIMEOUT_S   10                  //  idle HTTP connection, seconds
#define EXPORTER_CONN_MEMORY      (32 * 1024)         //  per connection (request head)

#define EXPORTER_CONTENT_TYPE     "text/plain; version=0.0.4; charset=utf-8"

//  A growing text buffer, bounded by EXPORTER_MAX_BODY.
typedef struct {
    char *data;                 //  owned, NUL-terminated when len > 0
    size_t len;
    size_t cap;
    bool overflow;              //  a write was refused (too large or no memory)
} exporter_text_t;

//  Append formatted text; sets overflow instead of growing past the bound.
void exporter_text_printf (exporter_text_t *text, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
//  Free the buffer's data and reset it.
void exporter_text_reset (exporter_text_t *text);

//  What one scrape learnt from the agent (owned reference, NULL = none).
typedef struct {
    bool up;                    //  the agent answered `metrics`
    json_t *metrics;            //  its reply data (schemas/control-commands.md)
    int64_t elapsed_us;         //  time spent asking
} exporter_scrape_t;

//  Ask the agent at config->control for `metrics`, within
//  config->exporter_timeout_ms. Never blocks longer. Fills *out (up false
//  when the agent did not answer in time or answered badly).
void exporter_scrape (const heal_config_t *config, bool verbose, exporter_scrape_t *out);
void exporter_scrape_reset (exporter_scrape_t *scrape);

//  Render a scrape into text (exposition format 0.0.4). 0, or -1 on overflow.
int exporter_render (const exporter_scrape_t *scrape, exporter_text_t *text);

//  The HTTP server (http.c). Starts serving on config->exporter_listen in its
//  own thread; NULL (err says why) when it cannot listen.
typedef struct exporter_http_t exporter_http_t;
exporter_http_t *exporter_http_new (const heal_config_t *config, bool verbose,
                                    char *err, size_t errlen);
void exporter_http_destroy (exporter_http_t **self_p);

#endif
