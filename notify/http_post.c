//  http_post — every libcurl call of heal-notify (see http_post.h).
//
//  One easy handle per client (a worker: one destination), reset before each
//  request but keeping its connection, so a burst does not pay a TCP/TLS
//  handshake per message. The
//  error text comes from curl_easy_strerror only: curl's error buffer can
//  name the host or the URL, which may carry a token.

#include "http_post.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct {
    size_t received;
    int64_t retry_after_ms;
    atomic_int *abort_flag;
} s_transfer_t;

int
http_post_init (void)
{
    return curl_global_init (CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
http_post_term (void)
{
    curl_global_cleanup ();
}

static size_t
s_on_body (char *data, size_t size, size_t nmemb, void *arg)
{
    (void) data;
    s_transfer_t *t = (s_transfer_t *) arg;
    size_t n = size * nmemb;
    if (t->received + n > HTTP_POST_MAX_REPLY)
        return 0;               //  bounded: a reply past the cap ends the transfer
    t->received += n;
    return n;
}

//  Retry-After: delta-seconds or an HTTP date.
static size_t
s_on_header (char *data, size_t size, size_t nmemb, void *arg)
{
    s_transfer_t *t = (s_transfer_t *) arg;
    size_t n = size * nmemb;
    const char *name = "retry-after:";
    size_t len = strlen (name);
    if (n > len && n < 256 && strncasecmp (data, name, len) == 0) {
        char value [256];
        memcpy (value, data + len, n - len);
        value [n - len] = 0;
        char *p = value + strspn (value, " \t");
        p [strcspn (p, "\r\n")] = 0;
        char *end = NULL;
        long long seconds = strtoll (p, &end, 10);
        if (end != p && *end == 0 && seconds >= 0)
            t->retry_after_ms = seconds > 86400 ? 86400000LL : seconds * 1000;
        else {
            time_t when = curl_getdate (p, NULL);
            time_t now = time (NULL);
            if (when != (time_t) -1)
                t->retry_after_ms = when > now ? (int64_t) (when - now) * 1000 : 0;
        }
    }
    return n;
}

static int
s_on_progress (void *arg, curl_off_t dltotal, curl_off_t dlnow,
               curl_off_t ultotal, curl_off_t ulnow)
{
    (void) dltotal; (void) dlnow; (void) ultotal; (void) ulnow;
    s_transfer_t *t = (s_transfer_t *) arg;
    return t->abort_flag && atomic_load (t->abort_flag) ? 1 : 0;
}

struct http_client_t {
    CURL *curl;
};

http_client_t *
http_client_new (void)
{
    http_client_t *self = (http_client_t *) calloc (1, sizeof (http_client_t));
    if (self && !(self->curl = curl_easy_init ())) {
        free (self);
        self = NULL;
    }
    return self;
}

void
http_client_destroy (http_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    curl_easy_cleanup ((*self_p)->curl);
    free (*self_p);
    *self_p = NULL;
}

int
http_post (http_client_t *client, const char *url, const char *const *headers,
           const char *body, size_t size, int64_t timeout_ms, atomic_int *abort_flag,
           http_post_result_t *out)
{
    memset (out, 0, sizeof *out);
    out->retry_after_ms = -1;
    if (!client) {
        snprintf (out->error, sizeof out->error, "no HTTP client");
        return -1;
    }
    CURL *curl = client->curl;
    curl_easy_reset (curl);
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers [i]; i++) {
        struct curl_slist *next = curl_slist_append (list, headers [i]);
        if (!next) {
            curl_slist_free_all (list);
            snprintf (out->error, sizeof out->error, "out of memory");
            return -1;
        }
        list = next;
    }
    //  No "Expect: 100-continue" round trip on larger bodies.
    list = curl_slist_append (list, "Expect:");
    s_transfer_t t = { 0, -1, abort_flag };
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (curl, CURLOPT_POST, 1L);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (curl, CURLOPT_USERAGENT, "heal-notify");
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, s_on_progress);
    curl_easy_setopt (curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = curl_easy_perform (curl);
    long status = 0;
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    out->status = status;
    out->retry_after_ms = t.retry_after_ms;
    //  A reply too large to read still answered: its status counts.
    int result = 0;
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status > 0)) {
        snprintf (out->error, sizeof out->error, "%s", curl_easy_strerror (rc));
        result = -1;
    }
    curl_slist_free_all (list);
    return result;
}
