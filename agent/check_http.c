//  check_http — an HTTP(S) endpoint answers with the expected status (and,
//  optionally, a body that contains a string).
//
//  Keys: url (required, http:// or https://), expect (a status such as 200,
//  a class such as 2xx, or a list "200 301 4xx"; default 2xx), contains (a
//  substring the body must hold; the body is read up to HTTP_MAX_BODY),
//  follow (follow redirects, default false), method (GET or HEAD, default
//  GET). The check's `timeout` bounds the whole request.
//  Remedy: `run` (a command), optional.
//  Metrics: status, connect_ms, total_ms, body_bytes.
//
//  One libheal HTTP client (heal/http.h) per run, owned by the worker thread
//  running it. Credentials in the URL never reach an event: messages show the
//  URL without them.

#include "check.h"
#include "kind_util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_MAX_BODY     (1024 * 1024)   //  bytes of body kept for `contains`
#define HTTP_MAX_EXPECT   16              //  status patterns in `expect`

typedef struct {
    int lo, hi;                 //  status range, inclusive
} http_range_t;

typedef struct {
    char *url;
    char *shown_url;            //  without user:password, for messages
    http_range_t expect [HTTP_MAX_EXPECT];
    size_t expect_count;
    char *expect_text;
    char *contains;
    bool follow;
    int method;                 //  HTTP_GET, HTTP_HEAD
    bool head;
    char *run;
} http_check_t;

#define HTTP_AT(field) HEAL_KEY_AT (http_check_t, field)
#define HTTP_MAX_EXPECT_TEXT  256       //  bytes of `expect`
#define HTTP_MAX_CONTAINS     1024      //  bytes of `contains`

enum { HTTP_GET, HTTP_HEAD };
static const heal_key_word_t s_methods [] = {
    { "GET", HTTP_GET }, { "get", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "head", HTTP_HEAD },
    { NULL, 0 }
};

static const heal_key_t s_keys [] = {
    { .name = "url", .type = HEAL_KEY_URL, .at = HTTP_AT (url),
      .flags = HEAL_KEY_REQUIRED, .help = "http:// or https:// URL" },
    { .name = "expect", .type = HEAL_KEY_STRING, .at = HTTP_AT (expect_text),
      .max_len = HTTP_MAX_EXPECT_TEXT, .def = "2xx", .help = "statuses: 200, 2xx, or a list" },
    { .name = "contains", .type = HEAL_KEY_STRING, .at = HTTP_AT (contains),
      .max_len = HTTP_MAX_CONTAINS, .help = "text the body must contain" },
    { .name = "follow", .type = HEAL_KEY_BOOL, .at = HTTP_AT (follow), .def = "false",
      .help = "follow redirects" },
    { .name = "method", .type = HEAL_KEY_ENUM, .at = HTTP_AT (method),
      .words = s_methods, .def = "GET", .invalid = "'%s' is not GET or HEAD",
      .help = "GET or HEAD" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "run", .type = HEAL_KEY_STRING, .at = HTTP_AT (run),
      .max_len = KIND_MAX_COMMAND, .help = "command" },
    { .name = NULL }
};

static void
s_cleanup (void *self_)
{
    http_check_t *self = (http_check_t *) self_;
    free (self->shown_url);
}

//  Parse "200", "2xx", "200 301,4xx" into ranges. Returns 0 or -1.
static int
s_parse_expect (http_check_t *self, const char *text)
{
    const char *p = text;
    self->expect_count = 0;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != ',')
            p++;
        size_t len = (size_t) (p - start);
        if (len != 3 || self->expect_count >= HTTP_MAX_EXPECT)
            return -1;
        if (start [0] < '1' || start [0] > '5')
            return -1;
        http_range_t range;
        if ((start [1] == 'x' || start [1] == 'X') && (start [2] == 'x' || start [2] == 'X')) {
            range.lo = (start [0] - '0') * 100;
            range.hi = range.lo + 99;
        }
        else
        if (start [1] >= '0' && start [1] <= '9' && start [2] >= '0' && start [2] <= '9') {
            range.lo = range.hi = (start [0] - '0') * 100 + (start [1] - '0') * 10
                                + (start [2] - '0');
        }
        else
            return -1;
        self->expect [self->expect_count++] = range;
    }
    return self->expect_count ? 0 : -1;
}

//  The URL's scheme, the URL shown without credentials, the status list.
static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    http_check_t *self = (http_check_t *) self_;
    char *scheme = NULL, *host = NULL;
    CURLU *u = curl_url ();
    bool url_ok = u && curl_url_set (u, CURLUPART_URL, self->url, 0) == CURLUE_OK
               && curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
               && curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK
               && (streq (scheme, "http") || streq (scheme, "https"));
    curl_free (scheme);
    curl_free (host);
    if (!url_ok) {
        char *shown = heal_safe_string (self->url, strlen (self->url), 120);
        heal_config_error (err, errlen, config->file, check->name, "url",
                           "'%s' is not an http:// or https:// URL", shown ? shown : "");
        free (shown);
        goto failed;
    }
    char *shown = NULL;
    curl_url_set (u, CURLUPART_USER, NULL, 0);
    curl_url_set (u, CURLUPART_PASSWORD, NULL, 0);
    if (curl_url_get (u, CURLUPART_URL, &shown, 0) == CURLUE_OK && shown) {
        self->shown_url = strdup (shown);
        curl_free (shown);
    }
    else
        self->shown_url = strdup ("(url)");
    if (s_parse_expect (self, self->expect_text)) {
        heal_config_error (err, errlen, config->file, check->name, "expect",
                           "'%s' is not a status list (e.g. 200, 2xx, \"200 301\")",
                           self->expect_text);
        goto failed;
    }
    self->head = self->method == HTTP_HEAD;
    if (self->head && self->contains) {
        heal_config_error (err, errlen, config->file, check->name, "contains",
                           "needs a body: not with method = HEAD");
        goto failed;
    }
    curl_url_cleanup (u);
    return 0;

failed:
    curl_url_cleanup (u);
    return -1;
}

static bool
s_expected (const http_check_t *self, long status)
{
    for (size_t i = 0; i < self->expect_count; i++)
        if (status >= self->expect [i].lo && status <= self->expect [i].hi)
            return true;
    return false;
}

//  Is needle in [data, data+len)? (the body may hold NUL bytes)
static bool
s_contains (const char *data, size_t len, const char *needle)
{
    size_t n = strlen (needle);
    if (n == 0)
        return true;
    for (size_t i = 0; i + n <= len; i++)
        if (data [i] == needle [0] && memcmp (data + i, needle, n) == 0)
            return true;
    return false;
}

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    http_check_t *self = (http_check_t *) self_;
    event_t *ev = result->event;
    int64_t limit = kind_time_left (ctx);
    heal_http_t *http = heal_http_new (NULL);
    if (!http) {
        kind_message (ev, "could not start libcurl: %s", heal_http_error_text ());
        return CHECK_UNKNOWN;
    }
    heal_http_request_t request;
    memset (&request, 0, sizeof request);
    request.url = self->url;
    request.timeout_ms = limit;
    request.head = self->head;
    request.follow = self->follow;
    request.proxy = true;       //  as curl and browsers would reach the URL
    //  Without `contains` no body is kept: the transfer stops at its first
    //  byte, once the status is known.
    request.discard = !self->contains;
    request.max_body = HTTP_MAX_BODY;
    request.truncate = true;
    heal_http_reply_t reply;
    heal_http_request (http, &request, &reply);
    heal_http_destroy (&http);

    check_status_t verdict;
    if (reply.result != HEAL_HTTP_OK) {
        kind_message (ev, "%s: %s", self->shown_url, reply.error);
        kind_evidence (ev, "curl error %d: %s", reply.curl_code, reply.error);
        //  The service not answering is a failure (remedy it); not even being
        //  able to look the host up says nothing about the service.
        verdict = reply.result == HEAL_HTTP_ERR_RESOLVE || reply.result == HEAL_HTTP_ERR_MEMORY
                ? CHECK_UNKNOWN : CHECK_FAIL;
        if (reply.result == HEAL_HTTP_ERR_TIMEOUT)
            kind_message (ev, "%s: no answer within %lld ms", self->shown_url,
                          (long long) limit);
        goto done;
    }
    long status = reply.status;
    event_add_metric (ev, "status", (double) status);
    event_add_metric (ev, "connect_ms", reply.connect_ms);
    event_add_metric (ev, "total_ms", reply.total_ms);
    if (self->contains)
        event_add_metric (ev, "body_bytes", (double) reply.bytes);
    if (!s_expected (self, status)) {
        kind_message (ev, "%s: status %ld, expected %s", self->shown_url, status,
                      self->expect_text ? self->expect_text : "2xx");
        if (reply.body_len) {
            size_t n = strcspn (reply.body, "\n");
            char *line = heal_safe_string (reply.body, n, 200);
            if (line && *line)
                kind_evidence (ev, "body: %s", line);
            free (line);
        }
        verdict = CHECK_FAIL;
        goto done;
    }
    if (self->contains && !s_contains (reply.body, reply.body_len, self->contains)) {
        kind_message (ev, "%s: status %ld, but the body does not contain '%s'",
                      self->shown_url, status, self->contains);
        kind_evidence (ev, "read %zu bytes of the body%s", reply.body_len,
                       reply.truncated ? " (the rest was not read)" : "");
        verdict = CHECK_FAIL;
        goto done;
    }
    kind_message (ev, "%s: status %ld in %.0f ms", self->shown_url, status, reply.total_ms);
    verdict = CHECK_OK;

done:
    heal_http_reply_free (&reply);
    return verdict;
}

const check_kind_t check_kind_http = {
    .name = "http",
    .size = sizeof (http_check_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .setup = s_setup,
    .run = s_run,
    .run_at = HTTP_AT (run),
    .cleanup = s_cleanup,
    .verify_default_ms = CHECK_VERIFY_SERVICE_MS,
};
