//  test_http — libheal's HTTP client (include/heal/http.h) against a real
//  HTTP server in its own process (tests/servers/http_cases.py): a reply, an
//  error status, slow and hanging servers (timeouts, deadline), a huge body
//  (the cap), a reply closed mid-body, bytes that are not HTTP, streamed
//  lines, redirects, POST, abort from another thread, a refused port.

#include "heal/heal.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"

static char s_dir [64];
static pid_t s_server_pid;
static int s_port;

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

static int
s_server_start (void)
{
    char port_file [128];
    snprintf (port_file, sizeof port_file, "%s/port", s_dir);
    const char *script = "tests/servers/http_cases.py";
    if (access (script, R_OK)) {
        fprintf (stderr, "test_http: %s not found (run from the repository root)\n", script);
        return -1;
    }
    s_server_pid = fork ();
    if (s_server_pid == 0) {
        execl ("/usr/bin/python3", "python3", script, "--port-file", port_file, (char *) NULL);
        _exit (127);
    }
    int64_t until = heal_monotonic_ms () + 10000;
    while (heal_monotonic_ms () < until) {
        FILE *f = fopen (port_file, "r");
        if (f) {
            int ok = fscanf (f, "%d", &s_port);
            fclose (f);
            if (ok == 1 && s_port > 0)
                return 0;
        }
        s_sleep_ms (10);
    }
    fprintf (stderr, "test_http: http_cases.py did not start\n");
    return -1;
}

static void
s_server_stop (void)
{
    if (s_server_pid > 0) {
        kill (s_server_pid, SIGTERM);
        waitpid (s_server_pid, NULL, 0);
        s_server_pid = 0;
    }
}

static const char *
s_url (const char *path)
{
    static char url [256];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", s_port, path);
    return url;
}

static heal_http_request_t
s_request (const char *path)
{
    heal_http_request_t request;
    memset (&request, 0, sizeof request);
    request.url = s_url (path);
    request.timeout_ms = 5000;
    return request;
}

//  --------------------------------------------------------------------------

static void
s_test_ok (heal_http_t *http)
{
    heal_http_reply_t reply;
    CHECK (heal_http_get (http, s_url ("/ok"), 5000, &reply) == 0);
    CHECK (reply.result == HEAL_HTTP_OK && reply.status == 200);
    CHECK (reply.body && streq (reply.body, "hello\n") && reply.body_len == 6);
    CHECK (reply.bytes == 6 && !reply.truncated);
    CHECK (reply.total_ms > 0 && reply.connect_ms >= 0 && reply.connect_ms <= reply.total_ms);
    CHECK (reply.error [0] == 0);
    heal_http_reply_free (&reply);
    CHECK (reply.body == NULL);

    //  An error status is a reply: the caller judges it.
    CHECK (heal_http_get (http, s_url ("/status/500"), 5000, &reply) == 0);
    CHECK (reply.status == 500 && reply.body && streq (reply.body, "status 500\n"));
    heal_http_reply_free (&reply);

    //  HEAD and discard: the status without a body.
    heal_http_request_t request = s_request ("/ok");
    request.head = true;
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 200 && reply.body == NULL);
    request = s_request ("/huge?n=100000");
    request.discard = true;
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 200 && reply.body == NULL && reply.bytes > 0);
    heal_http_reply_free (&reply);
}

static void
s_test_timeouts (heal_http_t *http)
{
    heal_http_reply_t reply;
    heal_http_request_t request = s_request ("/slow?ms=3000");
    request.timeout_ms = 300;
    int64_t start = heal_monotonic_ms ();
    CHECK (heal_http_request (http, &request, &reply) == -1);
    int64_t took = heal_monotonic_ms () - start;
    CHECK (reply.result == HEAL_HTTP_ERR_TIMEOUT);
    CHECKF (took >= 250 && took < 2000, "took %lld ms", (long long) took);
    CHECK (strstr (reply.error, "timed out") != NULL);

    //  The deadline cuts a longer timeout.
    request = s_request ("/hang");
    request.timeout_ms = 20000;
    request.deadline_ms = heal_monotonic_ms () + 300;
    start = heal_monotonic_ms ();
    CHECK (heal_http_request (http, &request, &reply) == -1);
    took = heal_monotonic_ms () - start;
    CHECK (reply.result == HEAL_HTTP_ERR_TIMEOUT);
    CHECKF (took >= 250 && took < 2000, "took %lld ms", (long long) took);

    //  A stall: bytes stop coming (trickle sends one per 100 ms: no stall);
    //  a hanging server sends none.
    request = s_request ("/hang");
    request.timeout_ms = 20000;
    request.stall_ms = 1000;
    start = heal_monotonic_ms ();
    CHECK (heal_http_request (http, &request, &reply) == -1);
    took = heal_monotonic_ms () - start;
    CHECK (reply.result == HEAL_HTTP_ERR_TIMEOUT);
    CHECKF (took < 5000, "took %lld ms", (long long) took);
}

static void
s_test_body_cap (heal_http_t *http)
{
    heal_http_reply_t reply;
    heal_http_request_t request = s_request ("/huge?n=2000000");
    request.max_body = 1000000;
    CHECK (heal_http_request (http, &request, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_TOO_LARGE && reply.body == NULL);
    CHECK (strstr (reply.error, "larger than 1000000 bytes") != NULL);

    request.truncate = true;
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 200 && reply.truncated);
    CHECK (reply.body_len == 1000000 && reply.bytes > 1000000 && reply.bytes <= 2000000);
    CHECK (reply.body && reply.body [0] == 'x' && reply.body [999999] == 'x'
           && reply.body [1000000] == 0);
    heal_http_reply_free (&reply);

    //  The default cap: HEAL_HTTP_MAX_BODY.
    char path [64];
    snprintf (path, sizeof path, "/huge?n=%d", HEAL_HTTP_MAX_BODY + 1);
    CHECK (heal_http_get (http, s_url (path), 5000, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_TOO_LARGE);
    snprintf (path, sizeof path, "/huge?n=%d", HEAL_HTTP_MAX_BODY);
    CHECK (heal_http_get (http, s_url (path), 5000, &reply) == 0);
    CHECK (reply.body_len == HEAL_HTTP_MAX_BODY && !reply.truncated);
    heal_http_reply_free (&reply);
}

static void
s_test_broken (heal_http_t *http)
{
    heal_http_reply_t reply;
    CHECK (heal_http_get (http, s_url ("/cut"), 5000, &reply) == -1);
    CHECKF (reply.result == HEAL_HTTP_ERR_PROTOCOL, "result %d: %s", reply.result, reply.error);
    CHECK (reply.body == NULL && reply.error [0]);

    CHECK (heal_http_get (http, s_url ("/garbage"), 5000, &reply) == -1);
    CHECKF (reply.result == HEAL_HTTP_ERR_PROTOCOL, "result %d: %s", reply.result, reply.error);

    //  Nothing listens on port 1.
    CHECK (heal_http_get (http, "http://127.0.0.1:1/", 5000, &reply) == -1);
    CHECKF (reply.result == HEAL_HTTP_ERR_CONNECT, "result %d: %s", reply.result, reply.error);
    CHECK (reply.status == 0);

    CHECK (heal_http_get (http, "ftp://127.0.0.1/x", 5000, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_URL);

    //  No proxy unless asked: a proxy in the environment is not used.
    setenv ("http_proxy", "http://127.0.0.1:1", 1);
    CHECK (heal_http_get (http, s_url ("/ok"), 5000, &reply) == 0);
    heal_http_reply_free (&reply);
    unsetenv ("http_proxy");
}

static void
s_test_redirect_and_post (heal_http_t *http)
{
    heal_http_reply_t reply;
    heal_http_request_t request = s_request ("/redirect");
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 302);
    heal_http_reply_free (&reply);
    request.follow = true;
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 200 && reply.body && streq (reply.body, "hello\n"));
    heal_http_reply_free (&reply);

    request = s_request ("/echo");
    request.body = "{\"a\":1}";
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 200 && reply.body
           && streq (reply.body, "application/json\n{\"a\":1}"));
    heal_http_reply_free (&reply);
}

//  Extra headers go out (a Content-Type among them replaces the default one,
//  never doubles it); a body of body_len bytes; Retry-After in seconds or as
//  a date, capped, absent or unreadable = -1.
static void
s_test_headers_and_retry_after (heal_http_t *http)
{
    heal_http_reply_t reply;
    heal_http_request_t request = s_request ("/echo");
    const char *headers [] = { "X-Heal-Test: yes", "Content-Type: text/plain", NULL };
    request.headers = headers;
    request.body = "abcdef";
    request.body_len = 3;
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 200 && reply.body
           && streq (reply.body, "text/plain types=1 x=yes\nabc"));
    CHECK (reply.retry_after_ms == -1);
    heal_http_reply_free (&reply);

    const char *too_many [HEAL_HTTP_MAX_HEADERS + 2];
    for (size_t i = 0; i < HEAL_HTTP_MAX_HEADERS + 1; i++)
        too_many [i] = "X-Heal-Test: many";
    too_many [HEAL_HTTP_MAX_HEADERS + 1] = NULL;
    request.headers = too_many;
    CHECK (heal_http_request (http, &request, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_OTHER && strstr (reply.error, "request headers"));

    request = s_request ("/retry-seconds");
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 429 && reply.retry_after_ms == 7000);
    heal_http_reply_free (&reply);
    request = s_request ("/retry-date");
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 503 && reply.retry_after_ms == 0);      //  in the past
    heal_http_reply_free (&reply);
    request = s_request ("/retry-huge");
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.retry_after_ms == HEAL_HTTP_MAX_RETRY_AFTER);
    heal_http_reply_free (&reply);
    request = s_request ("/retry-bad");
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 429 && reply.retry_after_ms == -1);
    heal_http_reply_free (&reply);
    CHECK (streq (heal_http_result_text (HEAL_HTTP_ERR_CONNECT), "cannot connect"));
}

typedef struct {
    char lines [4][32];
    size_t count;
    bool stop;
} lines_t;

static int
s_on_line (const char *line, size_t len, void *arg)
{
    lines_t *lines = (lines_t *) arg;
    if (lines->count < 4)
        snprintf (lines->lines [lines->count], sizeof lines->lines [0], "%.*s", (int) len, line);
    lines->count++;
    return lines->stop ? -1 : 0;
}

static void
s_test_stream (heal_http_t *http)
{
    heal_http_reply_t reply;
    lines_t lines;
    memset (&lines, 0, sizeof lines);
    heal_http_request_t request = s_request ("/lines");
    request.on_line = s_on_line;
    request.line_arg = &lines;
    CHECK (heal_http_request (http, &request, &reply) == 0);
    CHECK (reply.status == 200 && reply.body == NULL && reply.bytes == 24);
    CHECK (lines.count == 3);
    CHECK (streq (lines.lines [0], "{\"n\":1}"));
    CHECK (streq (lines.lines [1], "{\"n\":2}\r"));
    CHECK (streq (lines.lines [2], "{\"n\":3}"));

    memset (&lines, 0, sizeof lines);
    lines.stop = true;
    CHECK (heal_http_request (http, &request, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_ABORTED && lines.count == 1);

    memset (&lines, 0, sizeof lines);
    request = s_request ("/longline");
    request.on_line = s_on_line;
    request.line_arg = &lines;
    CHECK (heal_http_request (http, &request, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_TOO_LARGE && lines.count == 0);
}

static void *
s_aborter (void *arg)
{
    s_sleep_ms (300);
    heal_http_abort ((heal_http_t *) arg);
    return NULL;
}

static void
s_test_abort (void)
{
    //  From another thread, in the middle of a transfer.
    heal_http_t *http = heal_http_new (NULL);
    CHECK (http != NULL);
    heal_http_reply_t reply;
    heal_http_request_t request = s_request ("/hang");
    request.timeout_ms = 20000;
    pthread_t thread;
    int64_t start = heal_monotonic_ms ();
    CHECK (pthread_create (&thread, NULL, s_aborter, http) == 0);
    CHECK (heal_http_request (http, &request, &reply) == -1);
    int64_t took = heal_monotonic_ms () - start;
    pthread_join (thread, NULL);
    CHECK (reply.result == HEAL_HTTP_ERR_ABORTED);
    CHECKF (took < 1000, "took %lld ms", (long long) took);
    //  And every later request.
    CHECK (heal_http_get (http, s_url ("/ok"), 5000, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_ABORTED);
    heal_http_destroy (&http);
    CHECK (http == NULL);

    //  The owner's flag.
    atomic_int flag;
    atomic_init (&flag, 0);
    http = heal_http_new (&flag);
    CHECK (heal_http_get (http, s_url ("/ok"), 5000, &reply) == 0);
    heal_http_reply_free (&reply);
    atomic_store (&flag, 1);
    CHECK (heal_http_get (http, s_url ("/ok"), 5000, &reply) == -1);
    CHECK (reply.result == HEAL_HTTP_ERR_ABORTED);
    heal_http_destroy (&http);
}

static void
s_test_ollama_names (void)
{
    char *full = heal_ollama_full_name ("qwen2.5");
    CHECK (full && streq (full, "qwen2.5:latest"));
    free (full);
    full = heal_ollama_full_name ("host:5000/ns/m");
    CHECK (full && streq (full, "host:5000/ns/m:latest"));
    free (full);
    full = heal_ollama_full_name ("ns/m:7b");
    CHECK (full && streq (full, "ns/m:7b"));
    free (full);
    CHECK (heal_ollama_same_model ("llama3", "llama3:latest"));
    CHECK (heal_ollama_same_model ("host:5000/m", "host:5000/m:latest"));
    CHECK (!heal_ollama_same_model ("qwen2.5", "qwen2.5:7b"));
    CHECK (!heal_ollama_same_model ("qwen2", "qwen2.5"));
    json_error_t jerr;
    json_t *models = json_loads ("[{\"name\":\"a:latest\"},{\"model\":\"b:7b\"},{\"x\":1},3]",
                                 0, &jerr);
    CHECK (heal_ollama_listed (models, "a"));
    CHECK (heal_ollama_listed (models, "b:7b"));
    CHECK (!heal_ollama_listed (models, "b"));
    CHECK (!heal_ollama_listed (NULL, "a"));
    json_decref (models);
    CHECK (streq (HEAL_OLLAMA_DEFAULT_URL, "http://127.0.0.1:11434"));
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/heal-http-XXXXXX");
    if (!mkdtemp (s_dir) || s_server_start ()) {
        fprintf (stderr, "test_http: cannot start the test server\n");
        return 1;
    }
    heal_http_t *http = heal_http_new (NULL);
    CHECK (http != NULL);
    if (http) {
        s_test_ok (http);
        s_test_timeouts (http);
        s_test_body_cap (http);
        s_test_broken (http);
        s_test_redirect_and_post (http);
        s_test_headers_and_retry_after (http);
        s_test_stream (http);
        s_test_ok (http);           //  the client is still good after all that
    }
    heal_http_destroy (&http);
    s_test_abort ();
    s_test_ollama_names ();
    s_server_stop ();
    char path [128];
    snprintf (path, sizeof path, "%s/port", s_dir);
    unlink (path);
    rmdir (s_dir);
    printf ("test_http: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed ? 1 : 0;
}
