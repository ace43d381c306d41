//  http — libheal's one HTTP client (libcurl underneath), used by the http and
//  ollama check kinds and by the diagnoser's Ollama client.
//
//  Every request is bounded: a connect timeout and a total timeout, both cut
//  to an optional deadline; a cap on the body kept; a cap on one streamed
//  line; an abort that stops a transfer at once. No proxy unless the request
//  asks for one, no redirects unless it asks (then at most HEAL_HTTP_MAX_REDIRS,
//  http and https only), no signals (CURLOPT_NOSIGNAL: safe in threads).
//  libcurl's global state is set up once per process, on the first
//  heal_http_new (pthread_once), never again.
//
//  A heal_http_t holds one libcurl handle (its connection is reused by the
//  next request) and belongs to the thread that uses it; only heal_http_abort
//  may be called from another thread.

#ifndef HEAL_HTTP_H_INCLUDED
#define HEAL_HTTP_H_INCLUDED

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The caps, named once (curl's CURL_MAX_WRITE_SIZE idea).
#define HEAL_HTTP_MAX_BODY        (4 * 1024 * 1024)  //  body kept, when a request
                                                     //  does not name its own cap
#define HEAL_HTTP_MAX_LINE        (64 * 1024)    //  one streamed line (NDJSON)
#define HEAL_HTTP_MAX_URL         4096           //  bytes of a request's URL
#define HEAL_HTTP_MAX_REDIRS      5              //  redirects followed, when asked
#define HEAL_HTTP_MAX_ERROR       256            //  bytes of heal_http_reply_t.error
#define HEAL_HTTP_MAX_HEADERS     32             //  extra request headers
#define HEAL_HTTP_MAX_RETRY_AFTER (86400 * 1000)  //  Retry-After honoured, ms
#define HEAL_HTTP_POLL_MS         1000           //  the abort flag is looked at
                                                 //  at least this often

//  What became of a request. HEAL_HTTP_OK means an HTTP reply was had, any
//  status: the caller judges the status.
typedef enum {
    HEAL_HTTP_OK = 0,
    HEAL_HTTP_ERR_URL,          //  malformed URL or unsupported scheme
    HEAL_HTTP_ERR_RESOLVE,      //  the host name could not be looked up
    HEAL_HTTP_ERR_CONNECT,      //  refused, unreachable, TLS handshake
    HEAL_HTTP_ERR_TIMEOUT,      //  connect or total timeout, deadline, stall
    HEAL_HTTP_ERR_TOO_LARGE,    //  body over max_body (unless truncate) or a
                                //  line over HEAL_HTTP_MAX_LINE
    HEAL_HTTP_ERR_ABORTED,      //  heal_http_abort, the abort flag, or on_line
                                //  returned -1
    HEAL_HTTP_ERR_PROTOCOL,     //  not HTTP, closed mid-reply, bad encoding
    HEAL_HTTP_ERR_MEMORY,
    HEAL_HTTP_ERR_OTHER
} heal_http_result_t;

//  Called with each complete line of a streamed reply (no '\n', len bytes,
//  NUL-terminated), the last one even without its newline. Return 0 to go on,
//  -1 to stop the transfer (the request ends HEAL_HTTP_ERR_ABORTED).
typedef int (heal_http_line_fn) (const char *line, size_t len, void *arg);

typedef struct {
    const char *url;            //  http:// or https://, at most HEAL_HTTP_MAX_URL
    const char *body;           //  POST this (NULL: GET)
    size_t body_len;            //  bytes of body; 0: strlen (body)
    const char *content_type;   //  of body; NULL: application/json (unless
                                //  headers name a Content-Type)
    const char *const *headers; //  more "Name: value" lines, NULL-terminated;
                                //  may be NULL. At most HEAL_HTTP_MAX_HEADERS.
    bool head;                  //  HEAD instead of GET (no body read)
    int64_t connect_timeout_ms; //  <= 0: the total timeout
    int64_t timeout_ms;         //  whole request; <= 0: no limit but the deadline
    int64_t deadline_ms;        //  heal_monotonic_ms() clock; 0: none. Both
                                //  timeouts are cut to what is left of it.
    int64_t stall_ms;           //  > 0: fail when no byte came for this long
    size_t max_body;            //  bytes of body kept; 0: HEAL_HTTP_MAX_BODY
    bool truncate;              //  over max_body: stop reading, reply OK with
                                //  truncated set (false: HEAL_HTTP_ERR_TOO_LARGE)
    bool discard;               //  keep no body: stop at its first byte, once
                                //  the status is known (a status probe)
    bool follow;                //  follow redirects (at most HEAL_HTTP_MAX_REDIRS)
    bool proxy;                 //  use the environment's proxy (never for
                                //  loopback hosts); false: never a proxy
    const char *user_agent;     //  NULL: "heal/" HEAL_VERSION
    heal_http_line_fn *on_line; //  stream: lines go here, no body is kept
    void *line_arg;
} heal_http_request_t;

typedef struct {
    heal_http_result_t result;
    long status;                //  HTTP status; 0 when none was had
    char *body;                 //  owned, NUL-terminated (NULL when none kept)
    size_t body_len;            //  bytes in body
    size_t bytes;               //  body bytes received (more when truncated)
    bool truncated;             //  more came than max_body (truncate set)
    double connect_ms;          //  until connected
    double total_ms;            //  whole request
    int curl_code;              //  libcurl's CURLcode, for evidence
    int64_t retry_after_ms;     //  the reply's Retry-After (seconds or an HTTP
                                //  date, capped at HEAL_HTTP_MAX_RETRY_AFTER),
                                //  -1 when it had none
    char error [HEAL_HTTP_MAX_ERROR];   //  why, when result != HEAL_HTTP_OK
} heal_http_reply_t;

typedef struct heal_http_t heal_http_t;

//  A client; abort_flag (may be NULL, borrowed, must outlive the client) is
//  looked at during every transfer: non-zero stops it. NULL when libcurl
//  cannot be set up (heal_http_error_text says why).
heal_http_t *heal_http_new (atomic_int *abort_flag);
void heal_http_destroy (heal_http_t **self_p);

//  Perform one request; blocks up to its timeouts. Returns 0 when an HTTP
//  reply was had (reply->status says which), -1 otherwise with
//  reply->result and reply->error saying why. reply is always filled in; the
//  caller frees it with heal_http_reply_free.
int heal_http_request (heal_http_t *self, const heal_http_request_t *request,
                       heal_http_reply_t *reply);

//  GET url, keep up to HEAL_HTTP_MAX_BODY bytes of the body, no proxy.
int heal_http_get (heal_http_t *self, const char *url, int64_t timeout_ms,
                   heal_http_reply_t *reply);

//  Free what a reply owns (not the struct). Accepts NULL.
void heal_http_reply_free (heal_http_reply_t *reply);

//  A short phrase for a result ("cannot connect", "timed out"...): unlike
//  reply->error it never names the host or the URL (which may carry a
//  token). Static.
const char *heal_http_result_text (heal_http_result_t result);

//  Stop the transfer in progress (and every later one) at once. The only
//  function that may be called from another thread than the client's.
void heal_http_abort (heal_http_t *self);

//  Why heal_http_new failed (libcurl not loadable or not set up). Borrowed.
const char *heal_http_error_text (void);

#endif
