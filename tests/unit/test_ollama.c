//  test_ollama — unit tests of the `ollama` check kind against the test server
//  tests/servers/fake_ollama.py (a real HTTP server in its own process), a
//  closed port (server down) and a socket that accepts and never answers.

#include "check.h"
#include "check_ollama.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "kindconf.h"

extern const check_kind_t check_kind_ollama;

static char s_dir [256];


//  --------------------------------------------------------------------------
//  Events published through ctx->emit (from the pull thread)

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static char *s_messages [256];
static size_t s_message_count;
static double s_last_percent = -1;

static void
s_emit (const check_ctx_t *ctx, event_t **event_p)
{
    (void) ctx;
    event_t *event = *event_p;
    *event_p = NULL;
    pthread_mutex_lock (&s_lock);
    if (s_message_count < 256 && event->message)
        s_messages [s_message_count++] = strdup (event->message);
    for (size_t i = 0; i < event->metric_count; i++)
        if (streq (event->metrics [i].name, "percent"))
            s_last_percent = event->metrics [i].value;
    if (event->type != EVENT_CHECK || event->severity != SEVERITY_WARNING
    ||  !event->check || !streq (event->check, "t") || !event->kind
    ||  !streq (event->kind, "ollama")) {
        fprintf (stderr, "test_ollama: bad progress event\n");
        s_failed++;
    }
    pthread_mutex_unlock (&s_lock);
    event_destroy (&event);
}

static void
s_messages_clear (void)
{
    pthread_mutex_lock (&s_lock);
    for (size_t i = 0; i < s_message_count; i++)
        free (s_messages [i]);
    s_message_count = 0;
    s_last_percent = -1;
    pthread_mutex_unlock (&s_lock);
}

static bool
s_message_seen (const char *part)
{
    bool seen = false;
    pthread_mutex_lock (&s_lock);
    for (size_t i = 0; i < s_message_count; i++)
        if (strstr (s_messages [i], part))
            seen = true;
    pthread_mutex_unlock (&s_lock);
    return seen;
}

//  --------------------------------------------------------------------------
//  The fake server

static pid_t s_server_pid;
static int s_port;

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

static int
s_server_start (const char *models)
{
    char port_file [300];
    snprintf (port_file, sizeof port_file, "%s/port", s_dir);
    unlink (port_file);
    const char *script = "tests/servers/fake_ollama.py";
    if (access (script, R_OK)) {
        fprintf (stderr, "test_ollama: %s not found (run from the repository root)\n", script);
        return -1;
    }
    s_server_pid = fork ();
    if (s_server_pid == 0) {
        char log [300];
        snprintf (log, sizeof log, "%s/fake-ollama.log", s_dir);
        FILE *out = fopen (log, "a");
        if (out) {
            dup2 (fileno (out), 1);
            dup2 (fileno (out), 2);
        }
        execl ("/usr/bin/python3", "python3", script, "--port-file", port_file,
               "--models", models, "--pull-steps", "20", (char *) NULL);
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
    fprintf (stderr, "test_ollama: fake_ollama did not start\n");
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

static size_t
s_discard (char *ptr, size_t size, size_t nmemb, void *arg)
{
    (void) ptr; (void) arg;
    return size * nmemb;
}

//  POST /_control with a JSON body.
static void
s_control (const char *json)
{
    char url [128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/_control", s_port);
    CURL *curl = curl_easy_init ();
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
    CHECK (curl_easy_perform (curl) == CURLE_OK);
    curl_easy_cleanup (curl);
}

//  --------------------------------------------------------------------------
//  Check fixture

typedef struct {
    heal_config_t *config;
    void *instance;
} fixture_t;

static int
s_setup (fixture_t *f, const char *keys, const char *remedy, char *err, size_t errlen)
{
    char text [4096];
    kindconf_text (text, sizeof text, s_dir, "ollama", "    timeout = 1\n", keys, remedy);
    memset (f, 0, sizeof *f);
    f->config = heal_config_load_text (text, "test.conf", err, errlen);
    if (!f->config)
        return -1;
    f->instance = check_configure (&check_kind_ollama, f->config, &f->config->checks [0],
                                   err, errlen);
    return f->instance ? 0 : -1;
}

static void
s_teardown (fixture_t *f)
{
    check_destroy (&check_kind_ollama, &f->instance);
    heal_config_destroy (&f->config);
}

static check_ctx_t
s_ctx (fixture_t *f, int64_t ms)
{
    check_ctx_t ctx;
    memset (&ctx, 0, sizeof ctx);
    ctx.name = "t";
    ctx.config = f->config;
    ctx.check = &f->config->checks [0];
    ctx.deadline_ms = heal_monotonic_ms () + ms;
    ctx.emit = s_emit;
    return ctx;
}

static check_status_t
s_run (fixture_t *f, char **message)
{
    check_ctx_t ctx = s_ctx (f, 5000);
    check_result_t result;
    memset (&result, 0, sizeof result);
    result.event = event_new (EVENT_CHECK);
    check_status_t status = check_kind_ollama.run (f->instance, &ctx, &result);
    if (message) {
        size_t len = strlen (result.event->message ? result.event->message : "");
        for (size_t i = 0; i < result.event->evidence_count; i++)
            len += strlen (result.event->evidence [i]) + 3;
        *message = (char *) calloc (1, len + 1);
        size_t off = (size_t) snprintf (*message, len + 1, "%s",
                                        result.event->message ? result.event->message : "");
        for (size_t i = 0; i < result.event->evidence_count && off < len; i++)
            off += (size_t) snprintf (*message + off, len + 1 - off, " | %s",
                                      result.event->evidence [i]);
    }
    event_destroy (&result.event);
    return status;
}

static remedy_status_t
s_remedy (fixture_t *f, int64_t ms, char **output)
{
    check_ctx_t ctx = s_ctx (f, ms);
    check_result_t failed = { 0 };
    event_remedy_t out;
    memset (&out, 0, sizeof out);
    remedy_status_t status = check_kind_ollama.remedy (f->instance, &ctx, &failed, &out);
    if (output)
        *output = out.output ? strdup (out.output) : NULL;
    free (out.action);
    free (out.output);
    free (out.result);
    return status;
}

//  Run until the status is `want` or 10 s pass.
static check_status_t
s_run_until (fixture_t *f, check_status_t want, char **message)
{
    int64_t until = heal_monotonic_ms () + 10000;
    check_status_t status;
    while (true) {
        free (*message);
        *message = NULL;
        status = s_run (f, message);
        if (status == want || heal_monotonic_ms () > until)
            return status;
        s_sleep_ms (20);
    }
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_configure (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    struct { const char *keys; const char *remedy; const char *expect; } cases [] = {
        { "url = \"ftp://x\"", NULL, "key 'url'" },
        { "url = \"http://a b\"", NULL, "key 'url'" },
        { "models = \"ok bad!name\"", NULL, "key 'models'" },
        { "models = \"a b\"", "pull = sometimes", "key 'pull'" },
        { "models = \"a\"", "pull = true;pull_timeout = never", "key 'pull_timeout'" },
        { "models = \"a\"", "restart = \"\"", "key 'restart'" },
        { "modles = \"a\"", NULL, "modles" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        err [0] = 0;
        int rc = s_setup (&f, cases [i].keys, cases [i].remedy, err, sizeof err);
        if (rc == 0 || !strstr (err, cases [i].expect)) {
            fprintf (stderr, "test_ollama: case %zu: rc %d err '%s' (want '%s')\n", i, rc,
                     err, cases [i].expect);
            s_failed++;
        }
        s_teardown (&f);
    }
    CHECK (s_setup (&f, NULL, NULL, err, sizeof err) == 0);     //  all defaults
    s_teardown (&f);
}

static void
test_server_down (void)
{
    //  A port nobody listens on
    int sock = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind (sock, (struct sockaddr *) &addr, len);
    getsockname (sock, (struct sockaddr *) &addr, &len);
    close (sock);
    fixture_t f;
    char err [CONFIG_ERROR_MAX], keys [256], remedy [512];
    snprintf (keys, sizeof keys, "url = \"http://127.0.0.1:%d/\";models = \"qwen2.5\"",
              ntohs (addr.sin_port));
    snprintf (remedy, sizeof remedy, "restart = \"echo restarting && touch %s/restarted\"",
              s_dir);
    CHECK (s_setup (&f, keys, remedy, err, sizeof err) == 0);
    char *message = NULL;
    CHECK (s_run (&f, &message) == CHECK_FAIL);
    CHECK (message && strstr (message, "not answering"));
    free (message);
    char *output = NULL;
    int64_t t0 = heal_monotonic_ms ();
    CHECK (s_remedy (&f, 1500, &output) == REMEDY_DONE);
    CHECK (heal_monotonic_ms () - t0 < 3000);
    CHECK (output && strstr (output, "restarting"));
    CHECK (output && strstr (output, "not answering yet"));
    free (output);
    char flag [300];
    snprintf (flag, sizeof flag, "%s/restarted", s_dir);
    CHECK (access (flag, F_OK) == 0);
    s_teardown (&f);
}

static void
test_never_answers (void)
{
    //  Accepts connections (kernel backlog) and never answers.
    int sock = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    CHECK (bind (sock, (struct sockaddr *) &addr, len) == 0);
    CHECK (listen (sock, 8) == 0);
    getsockname (sock, (struct sockaddr *) &addr, &len);
    fixture_t f;
    char err [CONFIG_ERROR_MAX], keys [256];
    snprintf (keys, sizeof keys, "url = \"http://127.0.0.1:%d\"", ntohs (addr.sin_port));
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);
    char *message = NULL;
    int64_t t0 = heal_monotonic_ms ();
    CHECK (s_run (&f, &message) == CHECK_FAIL);
    int64_t took = heal_monotonic_ms () - t0;
    CHECK (took >= 900 && took < 3000);
    CHECK (message && strstr (message, "not answering") && strstr (message, "timed out"));
    free (message);
    //  No remedy configured: none
    CHECK (s_remedy (&f, 1000, NULL) == REMEDY_NONE);
    s_teardown (&f);
    close (sock);
}

static void
test_fake_server (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX], keys [256];
    char *message = NULL;
    snprintf (keys, sizeof keys, "url = \"http://127.0.0.1:%d\";models = \"qwen2.5:7b llama3\"",
              s_port);
    CHECK (s_setup (&f, keys, "pull = true;pull_timeout = 20s", err, sizeof err) == 0);
    //  All present
    CHECK (s_run (&f, &message) == CHECK_OK);
    CHECK (message && strstr (message, "qwen2.5:7b llama3:latest"));
    free (message);
    message = NULL;

    //  /api/version fails: 500 with {"error": ...}
    s_control ("{\"mode\": \"error500\", \"times\": 1}");
    CHECK (s_run (&f, &message) == CHECK_FAIL);
    CHECK (message && strstr (message, "HTTP 500: llama runner"));
    free (message);
    message = NULL;
    //  not JSON
    s_control ("{\"mode\": \"malformed\", \"times\": 1}");
    CHECK (s_run (&f, &message) == CHECK_FAIL);
    CHECK (message && strstr (message, "not a JSON object"));
    free (message);
    message = NULL;
    //  server down with no restart command: no remedy
    CHECK (s_remedy (&f, 1000, NULL) == REMEDY_NONE);

    //  A model missing: pull in the background, progress on the bus, healed
    //  when /api/tags lists it.
    s_control ("{\"models\": [\"qwen2.5:7b\"]}");
    CHECK (s_run (&f, &message) == CHECK_FAIL);
    CHECK (message && strstr (message, "missing: llama3:latest"));
    free (message);
    message = NULL;
    s_messages_clear ();
    char *output = NULL;
    CHECK (s_remedy (&f, 1000, &output) == REMEDY_PENDING);
    CHECK (output && strstr (output, "llama3:latest"));
    free (output);
    CHECK (s_run_until (&f, CHECK_OK, &message) == CHECK_OK);
    free (message);
    message = NULL;
    //  The server lists the model as soon as its pull is done; the job may
    //  still be reading the last lines of the stream: wait for its last word.
    int64_t pulled_by = heal_monotonic_ms () + 10000;
    while (!s_message_seen ("pulled llama3:latest") && heal_monotonic_ms () < pulled_by)
        s_sleep_ms (10);
    CHECK (s_message_seen ("pulling llama3:latest: started"));
    CHECK (s_message_seen ("pulling llama3:latest: 100%"));
    CHECK (s_message_seen ("pulled llama3:latest"));
    CHECK (s_last_percent == 100);

    //  Pull failures: an error after "pulling manifest", an error mid-stream
    //  after progress, a 500 with an error body, a pull that never answers.
    struct { const char *models; const char *model; const char *expect; } cases [] = {
        { "missing-model", "missing-model:latest", "pull model manifest: file does not exist" },
        { "mode-pull_fail", "mode-pull_fail:latest", "max retries exceeded" },
        { "mode-error500", "mode-error500:latest", "HTTP 500: llama runner" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_teardown (&f);
        snprintf (keys, sizeof keys, "url = \"http://127.0.0.1:%d\";models = \"%s\"",
                  s_port, cases [i].models);
        CHECK (s_setup (&f, keys, "pull = true;pull_timeout = 5s", err, sizeof err) == 0);
        CHECK (s_run (&f, NULL) == CHECK_FAIL);
        s_messages_clear ();
        CHECK (s_remedy (&f, 1000, NULL) == REMEDY_PENDING);
        //  The job fails; the next runs say why (evidence)
        int64_t until = heal_monotonic_ms () + 10000;
        bool seen = false;
        while (!seen && heal_monotonic_ms () < until) {
            CHECK (s_run (&f, &message) != CHECK_OK);
            seen = message && strstr (message, cases [i].expect);
            free (message);
            message = NULL;
            if (!seen)
                s_sleep_ms (20);
        }
        if (!seen)
            fprintf (stderr, "test_ollama: pull case %zu: no '%s'\n", i, cases [i].expect);
        CHECK (seen);
        CHECK (s_message_seen (cases [i].expect));
    }

    //  A pull that hangs: destroy stops it promptly
    s_teardown (&f);
    snprintf (keys, sizeof keys, "url = \"http://127.0.0.1:%d\";models = \"mode-hang\"", s_port);
    CHECK (s_setup (&f, keys, "pull = true", err, sizeof err) == 0);
    CHECK (s_run (&f, NULL) == CHECK_FAIL);
    CHECK (s_remedy (&f, 1000, NULL) == REMEDY_PENDING);
    CHECK (s_run (&f, &message) == CHECK_WARN);     //  pulling: no new remedy
    CHECK (message && strstr (message, "pulling mode-hang:latest"));
    free (message);
    message = NULL;
    int64_t t0 = heal_monotonic_ms ();
    s_teardown (&f);
    CHECK (heal_monotonic_ms () - t0 < 1000);

    //  pull_timeout bounds a pull that never answers
    snprintf (keys, sizeof keys, "url = \"http://127.0.0.1:%d\";models = \"mode-hang\"", s_port);
    CHECK (s_setup (&f, keys, "pull = true;pull_timeout = 500ms", err, sizeof err) == 0);
    CHECK (s_run (&f, NULL) == CHECK_FAIL);
    CHECK (s_remedy (&f, 1000, NULL) == REMEDY_PENDING);
    CHECK (s_run_until (&f, CHECK_FAIL, &message) == CHECK_FAIL);
    CHECK (message && strstr (message, "timed out"));
    free (message);
    s_teardown (&f);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/heal-test-ollama-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    curl_global_init (CURL_GLOBAL_DEFAULT);
    test_configure ();
    test_server_down ();
    test_never_answers ();
    if (s_server_start ("qwen2.5:7b llama3") == 0) {
        test_fake_server ();
        s_server_stop ();
    }
    else
        s_failed++;
    s_messages_clear ();
    char path [300];
    snprintf (path, sizeof path, "%s/restarted", s_dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/port", s_dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/fake-ollama.log", s_dir);
    unlink (path);
    rmdir (s_dir);
    curl_global_cleanup ();
    if (s_failed) {
        fprintf (stderr, "test_ollama: %d FAILED\n", s_failed);
        return 1;
    }
    printf ("test_ollama: ok\n");
    return 0;
}
