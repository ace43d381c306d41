//  http_post — the one door heal-notify has to HTTP. Every libcurl call lives
//  in http_post.c, behind this interface, so its body can later become
//  libheal's bounded HTTP client without touching the callers.
//
//  Blocking: call from a worker thread, never from the bus thread.

#ifndef HEAL_NOTIFY_HTTP_POST_H_INCLUDED
#define HEAL_NOTIFY_HTTP_POST_H_INCLUDED

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_POST_MAX_REPLY  (64 * 1024)    //  reply bytes read (and discarded)

typedef struct {
    long status;                //  HTTP status, 0 when none was received
    int64_t retry_after_ms;     //  Retry-After (seconds or date), -1 when absent
    char error [256];           //  transport error; never holds the URL
} http_post_result_t;

//  Process-wide setup and teardown (before any thread posts / after all).
int http_post_init (void);
void http_post_term (void);

typedef struct http_client_t http_client_t;

//  A client keeps its connection between posts (one per worker thread).
http_client_t *http_client_new (void);
void http_client_destroy (http_client_t **self_p);

//  POST body to url with the NULL-terminated "Name: value" headers, within
//  timeout_ms. abort (may be NULL): set to stop a transfer early (shutdown).
//  Returns 0 when a response arrived (see out->status), -1 otherwise.
int http_post (http_client_t *client, const char *url, const char *const *headers, const char *body,
               size_t size, int64_t timeout_ms, atomic_int *abort_flag,
               http_post_result_t *out);

#endif
