//  http — libheal's bounded HTTP client (include/heal/http.h): the one place
//  that drives libcurl transfers. One easy handle per client, run through a
//  multi handle so that heal_http_abort can wake a transfer at once
//  (curl_multi_wakeup) and the abort flag is looked at while it waits.

#include "heal/http.h"
#include "heal/util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct heal_http_t {
    CURL *easy;
    CURLM *multi;
    atomic_int aborted;         //  heal_http_abort was called
    atomic_int *abort_flag;     //  the owner's, borrowed (may be NULL)
};

//  One transfer's state, seen by the write callback.
typedef struct {
    const heal_http_request_t *request;
    heal_http_reply_t *reply;
    size_t cap;                 //  body bytes kept at most
    size_t alloc;               //  bytes allocated for reply->body
    char *line;                 //  on_line: the line being read (owned)
    size_t line_len;
    bool too_large;             //  body over cap, or a line over the line cap
    bool line_stop;             //  on_line asked to stop
    bool stopped;               //  we stopped on purpose (discard, truncate)
    bool no_memory;
    bool too_many_headers;
} s_transfer_t;

//  --------------------------------------------------------------------------
//  libcurl's global state: once per process

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static CURLcode s_init_rc = CURLE_FAILED_INIT;
static char s_init_error [HEAL_HTTP_MAX_ERROR] = "libcurl is not set up";

static void
s_global_init (void)
{
    s_init_rc = curl_global_init (CURL_GLOBAL_DEFAULT);
    if (s_init_rc == CURLE_OK)
        s_init_error [0] = 0;
    else
        snprintf (s_init_error, sizeof s_init_error, "%s", curl_easy_strerror (s_init_rc));
}

const char *
heal_http_error_text (void)
{
    return s_init_error;
}

//  --------------------------------------------------------------------------

heal_http_t *
heal_http_new (atomic_int *abort_flag)
{
    pthread_once (&s_once, s_global_init);
    if (s_init_rc != CURLE_OK)
        return NULL;
    heal_http_t *self = (heal_http_t *) calloc (1, sizeof (heal_http_t));
    if (!self)
        return NULL;
    self->easy = curl_easy_init ();
    self->multi = curl_multi_init ();
    if (!self->easy || !self->multi) {
        snprintf (s_init_error, sizeof s_init_error, "%s",
                  curl_easy_strerror (CURLE_FAILED_INIT));
        heal_http_destroy (&self);
        return NULL;
    }
    atomic_init (&self->aborted, 0);
    self->abort_flag = abort_flag;
    return self;
}

void
heal_http_destroy (heal_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    heal_http_t *self = *self_p;
    if (self->easy)
        curl_easy_cleanup (self->easy);
    if (self->multi)
        curl_multi_cleanup (self->multi);
    free (self);
    *self_p = NULL;
}

void
heal_http_abort (heal_http_t *self)
{
    if (!self)
        return;
    atomic_store (&self->aborted, 1);
    curl_multi_wakeup (self->multi);
}

void
heal_http_reply_free (heal_http_reply_t *reply)
{
    if (!reply)
        return;
    free (reply->body);
    reply->body = NULL;
    reply->body_len = 0;
}

static bool
s_aborted (heal_http_t *self)
{
    return atomic_load (&self->aborted)
        || (self->abort_flag && atomic_load (self->abort_flag));
}

//  --------------------------------------------------------------------------
//  Receiving

//  Keep n more bytes of body. false when over the cap or out of memory.
static bool
s_keep (s_transfer_t *t, const char *data, size_t n)
{
    heal_http_reply_t *reply = t->reply;
    size_t room = t->cap - reply->body_len;
    size_t take = n < room ? n : room;
    if (reply->body_len + take + 1 > t->alloc) {
        size_t alloc = t->alloc ? t->alloc : 4096;
        while (alloc < reply->body_len + take + 1)
            alloc *= 2;
        if (alloc > t->cap + 1)
            alloc = t->cap + 1;
        char *grown = (char *) realloc (reply->body, alloc);
        if (!grown) {
            t->no_memory = true;
            return false;
        }
        reply->body = grown;
        t->alloc = alloc;
    }
    memcpy (reply->body + reply->body_len, data, take);
    reply->body_len += take;
    reply->body [reply->body_len] = 0;
    if (take < n) {
        if (t->request->truncate) {
            reply->truncated = true;
            t->stopped = true;
        }
        else
            t->too_large = true;
        return false;
    }
    return true;
}

//  Split data into lines for on_line. false to stop the transfer.
static bool
s_lines (s_transfer_t *t, const char *data, size_t n)
{
    const heal_http_request_t *request = t->request;
    if (!t->line) {
        t->line = (char *) malloc (HEAL_HTTP_MAX_LINE + 1);
        if (!t->line) {
            t->no_memory = true;
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (data [i] == '\n') {
            t->line [t->line_len] = 0;
            size_t len = t->line_len;
            t->line_len = 0;
            if (request->on_line (t->line, len, request->line_arg)) {
                t->line_stop = true;
                return false;
            }
        }
        else
        if (t->line_len < HEAL_HTTP_MAX_LINE)
            t->line [t->line_len++] = data [i];
        else {
            t->too_large = true;
            return false;
        }
    }
    return true;
}

static size_t
s_write (char *data, size_t size, size_t nmemb, void *arg)
{
    s_transfer_t *t = (s_transfer_t *) arg;
    size_t n = size * nmemb;
    t->reply->bytes += n;
    if (t->request->discard) {
        t->stopped = true;
        return 0;               //  CURLE_WRITE_ERROR, on purpose
    }
    bool go_on = t->request->on_line ? s_lines (t, data, n) : s_keep (t, data, n);
    return go_on ? n : 0;
}

//  Retry-After: delta-seconds or an HTTP date (curl_getdate parses it). The
//  header callback sees every header of every response, redirects included:
//  the last response's value wins (each response resets it).
static size_t
s_header (char *data, size_t size, size_t nmemb, void *arg)
{
    s_transfer_t *t = (s_transfer_t *) arg;
    size_t n = size * nmemb;
    static const char name [] = "retry-after:";
    size_t len = sizeof name - 1;
    if (n >= 5 && strncmp (data, "HTTP/", 5) == 0)
        t->reply->retry_after_ms = -1;          //  a new response begins
    else
    if (n > len && n < 256 && strncasecmp (data, name, len) == 0) {
        char value [256];
        memcpy (value, data + len, n - len);
        value [n - len] = 0;
        char *p = value + strspn (value, " \t");
        p [strcspn (p, "\r\n")] = 0;
        int64_t ms = -1;
        if (*p >= '0' && *p <= '9') {
            char *end = NULL;
            long long seconds = strtoll (p, &end, 10);
            if (*end == 0 && seconds >= 0)
                ms = seconds > HEAL_HTTP_MAX_RETRY_AFTER / 1000
                   ? HEAL_HTTP_MAX_RETRY_AFTER : (int64_t) seconds * 1000;
        }
        else
        if (*p) {
            time_t when = curl_getdate (p, NULL);
            time_t now = time (NULL);
            if (when != (time_t) -1)
                ms = when <= now ? 0
                   : (int64_t) (when - now) > HEAL_HTTP_MAX_RETRY_AFTER / 1000
                   ? HEAL_HTTP_MAX_RETRY_AFTER : (int64_t) (when - now) * 1000;
        }
        t->reply->retry_after_ms = ms;
    }
    return n;
}

//  --------------------------------------------------------------------------
//  One request

static void
s_fail (heal_http_reply_t *reply, heal_http_result_t result, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_fail (heal_http_reply_t *reply, heal_http_result_t result, const char *format, ...)
{
    reply->result = result;
    va_list args;
    va_start (args, format);
    vsnprintf (reply->error, sizeof reply->error, format, args);
    va_end (args);
}

static heal_http_result_t
s_classify (CURLcode rc)
{
    switch (rc) {
        case CURLE_OK:
            return HEAL_HTTP_OK;
        case CURLE_URL_MALFORMAT:
            return HEAL_HTTP_ERR_URL;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return HEAL_HTTP_ERR_RESOLVE;
        case CURLE_COULDNT_CONNECT:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
            return HEAL_HTTP_ERR_CONNECT;
        case CURLE_OPERATION_TIMEDOUT:
            return HEAL_HTTP_ERR_TIMEOUT;
        case CURLE_ABORTED_BY_CALLBACK:
            return HEAL_HTTP_ERR_ABORTED;
        case CURLE_OUT_OF_MEMORY:
            return HEAL_HTTP_ERR_MEMORY;
        case CURLE_UNSUPPORTED_PROTOCOL:   //  the scheme was checked: HTTP/0.9
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_HTTP2:
            return HEAL_HTTP_ERR_PROTOCOL;
        default:
            return HEAL_HTTP_ERR_OTHER;
    }
}

//  The options of one request on the (reset) easy handle.
static void
s_setopt (CURL *c, const heal_http_request_t *request, s_transfer_t *t,
          struct curl_slist *headers, char *errbuf)
{
    int64_t total = request->timeout_ms > 0 ? request->timeout_ms : 0;
    if (request->deadline_ms > 0) {
        int64_t left = request->deadline_ms - heal_monotonic_ms ();
        if (left < 1)
            left = 1;
        if (total == 0 || left < total)
            total = left;
    }
    int64_t connect = request->connect_timeout_ms > 0 ? request->connect_timeout_ms : total;
    if (total > 0 && connect > total)
        connect = total;
    curl_easy_setopt (c, CURLOPT_URL, request->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt (c, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    //  No proxy: CURLOPT_PROXY "" turns off http_proxy/ALL_PROXY from the
    //  environment (libcurl's documented way), NOPROXY "*" as well for good measure.
    if (!request->proxy)
        curl_easy_setopt (c, CURLOPT_PROXY, "");
    curl_easy_setopt (c, CURLOPT_NOPROXY, request->proxy ? "localhost,127.0.0.1,::1" : "*");
    curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, request->follow ? 1L : 0L);
    curl_easy_setopt (c, CURLOPT_MAXREDIRS, (long) HEAL_HTTP_MAX_REDIRS);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, (long) connect);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, (long) total);
    if (request->stall_ms > 0) {
        curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, (long) ((request->stall_ms + 999) / 1000));
    }
    if (request->body) {
        curl_easy_setopt (c, CURLOPT_POST, 1L);
        curl_easy_setopt (c, CURLOPT_POSTFIELDS, request->body);
        size_t size = request->body_len ? request->body_len : strlen (request->body);
        curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    }
    if (headers)
        curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
    else
    if (request->head)
        curl_easy_setopt (c, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt (c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt (c, CURLOPT_USERAGENT,
                      request->user_agent ? request->user_agent : "heal/" HEAL_VERSION);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt (c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
}

//  Run the transfer on the multi handle until done or aborted. The CURLcode.
static CURLcode
s_perform (heal_http_t *self, bool *aborted)
{
    *aborted = false;
    if (curl_multi_add_handle (self->multi, self->easy) != CURLM_OK)
        return CURLE_FAILED_INIT;
    CURLcode rc = CURLE_OK;
    bool done = false;
    int running = 1;
    while (!done) {
        if (s_aborted (self)) {
            *aborted = true;
            break;
        }
        if (curl_multi_perform (self->multi, &running) != CURLM_OK) {
            rc = CURLE_FAILED_INIT;
            break;
        }
        int left = 0;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read (self->multi, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == self->easy) {
                rc = msg->data.result;
                done = true;
            }
        if (done || !running)
            break;
        if (curl_multi_poll (self->multi, NULL, 0, HEAL_HTTP_POLL_MS, NULL) != CURLM_OK) {
            rc = CURLE_FAILED_INIT;
            break;
        }
    }
    curl_multi_remove_handle (self->multi, self->easy);
    return rc;
}

//  The request's header list: its own headers, then (with a body) the
//  Content-Type unless one was given, and no "Expect: 100-continue" round
//  trip. 0, or -1 with *list NULL (out of memory) or not (too many).
static int
s_headers (const heal_http_request_t *request, struct curl_slist **list)
{
    *list = NULL;
    bool has_type = false;
    size_t i = 0;
    for (; request->headers && request->headers [i]; i++) {
        if (i == HEAL_HTTP_MAX_HEADERS)
            return -1;
        if (strncasecmp (request->headers [i], "content-type:", 13) == 0)
            has_type = true;
        struct curl_slist *more = curl_slist_append (*list, request->headers [i]);
        if (!more) {
            curl_slist_free_all (*list);
            *list = NULL;
            return -1;
        }
        *list = more;
    }
    if (!request->body)
        return 0;
    char content_type [128];
    snprintf (content_type, sizeof content_type, "Content-Type: %s",
              request->content_type ? request->content_type : "application/json");
    const char *extra [2] = { has_type ? NULL : content_type, "Expect:" };
    for (size_t k = 0; k < 2; k++) {
        if (!extra [k])
            continue;
        struct curl_slist *more = curl_slist_append (*list, extra [k]);
        if (!more) {
            curl_slist_free_all (*list);
            *list = NULL;
            return -1;
        }
        *list = more;
    }
    return 0;
}

const char *
heal_http_result_text (heal_http_result_t result)
{
    switch (result) {
        case HEAL_HTTP_OK:              return "ok";
        case HEAL_HTTP_ERR_URL:         return "invalid URL";
        case HEAL_HTTP_ERR_RESOLVE:     return "cannot resolve the host";
        case HEAL_HTTP_ERR_CONNECT:     return "cannot connect";
        case HEAL_HTTP_ERR_TIMEOUT:     return "timed out";
        case HEAL_HTTP_ERR_TOO_LARGE:   return "reply too large";
        case HEAL_HTTP_ERR_ABORTED:     return "cancelled";
        case HEAL_HTTP_ERR_PROTOCOL:    return "not a valid HTTP reply";
        case HEAL_HTTP_ERR_MEMORY:      return "out of memory";
        case HEAL_HTTP_ERR_OTHER:       break;
    }
    return "request failed";
}

int
heal_http_request (heal_http_t *self, const heal_http_request_t *request,
                   heal_http_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    reply->retry_after_ms = -1;
    if (!self || !request || !request->url) {
        s_fail (reply, HEAL_HTTP_ERR_OTHER, "no client or no URL");
        return -1;
    }
    if (strlen (request->url) > HEAL_HTTP_MAX_URL) {
        s_fail (reply, HEAL_HTTP_ERR_URL, "URL longer than %d bytes", HEAL_HTTP_MAX_URL);
        return -1;
    }
    if (strncasecmp (request->url, "http://", 7) && strncasecmp (request->url, "https://", 8)) {
        s_fail (reply, HEAL_HTTP_ERR_URL, "not an http:// or https:// URL");
        return -1;
    }
    s_transfer_t t;
    memset (&t, 0, sizeof t);
    t.request = request;
    t.reply = reply;
    t.cap = request->max_body ? request->max_body : HEAL_HTTP_MAX_BODY;

    struct curl_slist *headers = NULL;
    if (s_headers (request, &headers)) {
        if (headers)
            s_fail (reply, HEAL_HTTP_ERR_OTHER, "more than %d request headers",
                    HEAL_HTTP_MAX_HEADERS);
        else
            s_fail (reply, HEAL_HTTP_ERR_MEMORY, "out of memory");
        curl_slist_free_all (headers);
        return -1;
    }
    char errbuf [CURL_ERROR_SIZE] = "";
    CURL *c = self->easy;
    curl_easy_reset (c);        //  keeps the connection for the next request
    s_setopt (c, request, &t, headers, errbuf);
    bool aborted;
    CURLcode rc = s_perform (self, &aborted);
    //  A last streamed line without its newline.
    if (rc == CURLE_OK && !aborted && request->on_line && t.line_len) {
        t.line [t.line_len] = 0;
        if (request->on_line (t.line, t.line_len, request->line_arg))
            t.line_stop = true;
    }
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &reply->status);
    curl_off_t connect_us = 0, total_us = 0;
    curl_easy_getinfo (c, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo (c, CURLINFO_TOTAL_TIME_T, &total_us);
    reply->connect_ms = (double) connect_us / 1000.0;
    reply->total_ms = (double) total_us / 1000.0;
    reply->curl_code = (int) rc;
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all (headers);
    free (t.line);

    if (aborted || (rc == CURLE_OK && t.line_stop) || (rc == CURLE_WRITE_ERROR && t.line_stop))
        s_fail (reply, HEAL_HTTP_ERR_ABORTED, "request cancelled");
    else
    if (rc == CURLE_WRITE_ERROR && t.too_large && request->on_line)
        s_fail (reply, HEAL_HTTP_ERR_TOO_LARGE, "a streamed line is longer than %d bytes",
                HEAL_HTTP_MAX_LINE);
    else
    if (rc == CURLE_WRITE_ERROR && t.too_large)
        s_fail (reply, HEAL_HTTP_ERR_TOO_LARGE, "reply larger than %zu bytes", t.cap);
    else
    if (rc == CURLE_WRITE_ERROR && t.no_memory)
        s_fail (reply, HEAL_HTTP_ERR_MEMORY, "out of memory");
    else
    if (rc == CURLE_WRITE_ERROR && t.stopped)
        reply->result = HEAL_HTTP_OK;       //  we had what we wanted
    else
    if (rc != CURLE_OK)
        s_fail (reply, s_classify (rc), "%s", errbuf [0] ? errbuf : curl_easy_strerror (rc));
    if (reply->result != HEAL_HTTP_OK) {
        heal_http_reply_free (reply);
        return -1;
    }
    return 0;
}

int
heal_http_get (heal_http_t *self, const char *url, int64_t timeout_ms, heal_http_reply_t *reply)
{
    heal_http_request_t request;
    memset (&request, 0, sizeof request);
    request.url = url;
    request.timeout_ms = timeout_ms;
    return heal_http_request (self, &request, reply);
}
