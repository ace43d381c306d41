//  test_kinds — the disk, file, command, http and tcp check kinds, called
//  directly (configure, run, remedy) against real files, real sockets, a real
//  HTTP server (a thread in this test) and real commands.

#include "check.h"
#include "heal/command.h"
#include "heal/heal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"

int command_parse_perfdata (event_t *ev, const char *text);



static char s_dir [64];

//  --------------------------------------------------------------------------
//  A configured check, ready to run

typedef struct {
    heal_config_t *config;
    const check_kind_t *kind;
    void *instance;
    check_ctx_t ctx;
    event_t *event;                 //  of the last run
    event_remedy_t remedy;
    char err [CONFIG_ERROR_MAX];
} fixture_t;

#define HEAD "agent\n    state_dir = \"/tmp\"\n    path = \"/usr/bin:/bin\"\n" \
             "bus\n    publish = \"inproc://p\"\n    inbound = \"inproc://i\"\n" \
             "control\n    endpoint = \"inproc://c\"\n"

//  Load "check = t" with body (indented lines) and configure it. Returns the
//  fixture; f->instance is NULL when configure refused (f->err says why).
static fixture_t *
s_fixture (const char *body)
{
    fixture_t *f = (fixture_t *) calloc (1, sizeof (fixture_t));
    char *text = zsys_sprintf (HEAD "check = t\n%s", body);
    f->config = heal_config_load_text (text, "k.conf", f->err, sizeof f->err);
    zstr_free (&text);
    if (!f->config)
        return f;
    const heal_check_config_t *check = &f->config->checks [0];
    f->kind = check_kind_find (check->kind);
    if (f->kind)
        f->instance = check_configure (f->kind, f->config, check, f->err, sizeof f->err);
    f->ctx.name = check->name;
    f->ctx.config = f->config;
    f->ctx.check = check;
    return f;
}

static check_status_t
s_run (fixture_t *f)
{
    event_destroy (&f->event);
    f->event = event_new (EVENT_CHECK);
    f->ctx.deadline_ms = heal_monotonic_ms () + f->ctx.check->timeout_ms;
    check_result_t result = { f->event, 0, 0 };
    return f->kind->run (f->instance, &f->ctx, &result);
}

static remedy_status_t
s_remedy (fixture_t *f)
{
    free (f->remedy.action);
    free (f->remedy.output);
    memset (&f->remedy, 0, sizeof f->remedy);
    check_result_t result = { f->event, 0, 0 };
    f->ctx.deadline_ms = heal_monotonic_ms () + f->ctx.check->timeout_ms;
    //  as the worker runs it: what the remedy starts outlives it
    command_role_t role = command_role_set (COMMAND_ROLE_REMEDY);
    remedy_status_t status = check_remedy (f->kind, f->instance, &f->ctx, &result,
                                          &f->remedy);
    command_role_set (role);
    return status;
}

static void
s_fixture_destroy (fixture_t **f_p)
{
    fixture_t *f = *f_p;
    if (f->instance)
        check_destroy (f->kind, &f->instance);
    event_destroy (&f->event);
    free (f->remedy.action);
    free (f->remedy.output);
    heal_config_destroy (&f->config);
    free (f);
    *f_p = NULL;
}

//  Metric by name, or NAN.
static double
s_metric (const event_t *ev, const char *name)
{
    for (size_t i = 0; ev && i < ev->metric_count; i++)
        if (streq (ev->metrics [i].name, name))
            return ev->metrics [i].value;
    return -12345.0;
}

static bool
s_has_evidence (const event_t *ev, const char *needle)
{
    for (size_t i = 0; ev && i < ev->evidence_count; i++)
        if (strstr (ev->evidence [i], needle))
            return true;
    return false;
}

//  Configure must refuse with exactly this message.
static void
s_expect_refused (int line, const char *body, const char *expected)
{
    fixture_t *f = s_fixture (body);
    if (f->instance || !streq (f->err, expected)) {
        fprintf (stderr, "test_kinds:%d: FAILED: expected\n  %s\ngot\n  %s\n", line,
                 expected, f->instance ? "(configured)" : f->err);
        s_failed++;
    }
    s_fixture_destroy (&f);
}
#define EXPECT_REFUSED(body, expected) s_expect_refused (__LINE__, body, expected)

//  --------------------------------------------------------------------------
//  disk

static void
s_test_disk (void)
{
    fixture_t *f = s_fixture ("    kind = disk\n    path = \"/\"\n    min_free = 0%\n");
    CHECK (f->instance);
    CHECK (s_run (f) == CHECK_OK);
    CHECK (s_metric (f->event, "free_bytes") >= 0);
    CHECK (s_metric (f->event, "total_bytes") > 0);
    CHECK (s_metric (f->event, "free_pct") >= 0 && s_metric (f->event, "free_pct") <= 100);
    CHECK (s_metric (f->event, "free_inodes") >= 0);
    CHECK (f->event->message && strstr (f->event->message, "free"));
    CHECK (f->event->evidence_count == 1 && s_has_evidence (f->event, "inodes free"));
    CHECK (s_remedy (f) == REMEDY_NONE);
    s_fixture_destroy (&f);

    f = s_fixture ("    kind = disk\n    path = \"/\"\n    min_free = 100%\n"
                   "    remedy\n        run = \"echo cleaned\"\n");
    CHECK (f->instance);
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (f->event->message && strstr (f->event->message, "below min_free 100%"));
    CHECK (s_remedy (f) == REMEDY_DONE);
    CHECK (f->remedy.action && streq (f->remedy.action, "run"));
    CHECK (f->remedy.output && strstr (f->remedy.output, "exit 0")
           && strstr (f->remedy.output, "cleaned"));
    s_fixture_destroy (&f);

    f = s_fixture ("    kind = disk\n    path = \"/\"\n    min_free = 1T\n"
                   "    remedy\n        run = \"exit 3\"\n");
    //  may pass on a huge disk; the remedy result is what matters here
    s_run (f);
    CHECK (s_remedy (f) == REMEDY_FAILED);
    CHECK (f->remedy.output && strstr (f->remedy.output, "exit 3"));
    s_fixture_destroy (&f);

    f = s_fixture ("    kind = disk\n    path = \"/\"\n    min_inodes_free = 100%\n");
    CHECK (f->instance);
    check_status_t status = s_run (f);
    //  file systems without inode counts pass (nothing to compare)
    CHECK (status == CHECK_FAIL || s_metric (f->event, "total_inodes") == 0);
    s_fixture_destroy (&f);

    f = s_fixture ("    kind = disk\n    path = \"/nonexistent/x\"\n");
    CHECK (s_run (f) == CHECK_UNKNOWN);
    CHECK (strstr (f->event->message, "No such file"));
    s_fixture_destroy (&f);

    EXPECT_REFUSED ("    kind = disk\n",
        "k.conf: check 't': key 'path': missing: the disk kind needs it");
    EXPECT_REFUSED ("    kind = disk\n    path = relative\n",
        "k.conf: check 't': key 'path': 'relative' is not an absolute path");
    EXPECT_REFUSED ("    kind = disk\n    path = /\n    min_free = lots\n",
        "k.conf: check 't': key 'min_free': 'lots' is not a size or a percentage "
        "(e.g. 10% or 5G)");
    EXPECT_REFUSED ("    kind = disk\n    path = /\n    min_inodes_free = 5G\n",
        "k.conf: check 't': key 'min_inodes_free': '5G' is not a count or a percentage "
        "(e.g. 10000 or 5%)");
    EXPECT_REFUSED ("    kind = disk\n    path = /\n    min_fre = 5%\n",
        "k.conf: check 't': key 'min_fre': unknown key (did you mean 'min_free'?)");
    EXPECT_REFUSED ("    kind = disk\n    path = /\n    remedy\n        create = true\n",
        "k.conf: check 't': key 'remedy/create': unknown key");
}

//  --------------------------------------------------------------------------
//  file

static void
s_test_file (void)
{
    char path [128], body [512], want [256];
    snprintf (path, sizeof path, "%s/data.txt", s_dir);
    CHECK (heal_write_atomic (path, "hello", 5, 0644) == 0);

    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    type = file\n"
              "    mode = 0644\n    min_size = 1\n    max_size = 1K\n    max_age = 1h\n", path);
    fixture_t *f = s_fixture (body);
    CHECK (f->instance);
    CHECK (s_run (f) == CHECK_OK);
    CHECK (s_metric (f->event, "size_bytes") == 5);
    CHECK (s_metric (f->event, "age_s") >= 0 && s_metric (f->event, "age_s") < 60);
    CHECK (s_metric (f->event, "mode") == 0644);
    s_fixture_destroy (&f);

    //  stale: mtime 7 hours ago
    struct timeval times [2];
    gettimeofday (&times [0], NULL);
    times [1] = times [0];
    times [1].tv_sec -= 7 * 3600;
    CHECK (utimes (path, times) == 0);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (strstr (f->event->message, "stale: last written 7h 0m ago (max_age 1h 0m)"));
    CHECK (s_metric (f->event, "age_s") >= 7 * 3600 && s_metric (f->event, "age_s") < 7 * 3600 + 60);
    {
        char iso [40];
        time_t t = (time_t) times [1].tv_sec;
        struct tm tm;
        gmtime_r (&t, &tm);
        strftime (iso, sizeof iso, "last written %Y-%m-%dT%H:%M:%SZ", &tm);
        CHECK (s_has_evidence (f->event, iso));
    }
    CHECK (s_remedy (f) == REMEDY_NONE);
    s_fixture_destroy (&f);

    //  wrong mode, too small, too large, wrong type
    CHECK (chmod (path, 0600) == 0);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    mode = 0644\n", path);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL && strstr (f->event->message, "mode 0600, expected 0644"));
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    min_size = 10\n", path);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL && strstr (f->event->message, "below min_size 10"));
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    max_size = 4\n", path);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL && strstr (f->event->message, "above max_size 4"));
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    type = dir\n", path);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL && strstr (f->event->message, "not a directory"));
    s_fixture_destroy (&f);

    //  missing file, created by the remedy with its mode; idempotent
    snprintf (path, sizeof path, "%s/sub/dir/new.txt", s_dir);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    type = file\n"
              "    mode = 0640\n    remedy\n        create = true\n", path);
    f = s_fixture (body);
    CHECK (f->instance);
    CHECK (s_run (f) == CHECK_FAIL && strstr (f->event->message, "missing"));
    CHECK (s_remedy (f) == REMEDY_DONE);
    CHECK (f->remedy.action && streq (f->remedy.action, "create"));
    snprintf (want, sizeof want, "created file %s (mode 0640)", path);
    CHECK (f->remedy.output && streq (f->remedy.output, want));
    struct stat st;
    CHECK (stat (path, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 07777) == 0640);
    CHECK (s_run (f) == CHECK_OK);
    //  a healthy target is never touched: content stays
    CHECK (heal_write_atomic (path, "keep", 4, 0640) == 0);
    CHECK (s_run (f) == CHECK_OK);
    size_t size;
    char *content = heal_read_file (path, 100, &size);
    CHECK (content && streq (content, "keep"));
    free (content);
    s_fixture_destroy (&f);

    //  missing directory
    snprintf (path, sizeof path, "%s/state/x", s_dir);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    type = dir\n"
              "    mode = 0700\n    remedy\n        create = true\n", path);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (s_remedy (f) == REMEDY_DONE);
    CHECK (stat (path, &st) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 0700);
    CHECK (s_run (f) == CHECK_OK);
    s_fixture_destroy (&f);

    //  failure other than missing: create does not apply; run does
    snprintf (path, sizeof path, "%s/data.txt", s_dir);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    mode = 0644\n"
              "    remedy\n        create = true\n", path);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (s_remedy (f) == REMEDY_NONE);
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = file\n    path = \"%s\"\n    mode = 0644\n"
              "    remedy\n        run = \"chmod 644 %s\"\n", path, path);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (s_remedy (f) == REMEDY_DONE);
    CHECK (s_run (f) == CHECK_OK);
    s_fixture_destroy (&f);

    EXPECT_REFUSED ("    kind = file\n    path = /x\n    type = socket\n",
        "k.conf: check 't': key 'type': 'socket' is not file or dir");
    EXPECT_REFUSED ("    kind = file\n    path = /x\n    max_age = old\n",
        "k.conf: check 't': key 'max_age': 'old' is not a duration (e.g. 300, 30m, 6h, 2d)");
    EXPECT_REFUSED ("    kind = file\n    path = /x\n    min_size = big\n",
        "k.conf: check 't': key 'min_size': 'big' is not a size (e.g. 1, 10K, 5M)");
    EXPECT_REFUSED ("    kind = file\n    path = /x\n    min_size = 10\n    max_size = 5\n",
        "k.conf: check 't': key 'min_size': larger than max_size");
    EXPECT_REFUSED ("    kind = file\n    path = /x\n    mode = 0999\n",
        "k.conf: check 't': key 'mode': '0999' is not an octal mode (e.g. 0644, 0700)");
    EXPECT_REFUSED ("    kind = file\n    path = /x\n    remedy\n        create = maybe\n",
        "k.conf: check 't': key 'create': 'maybe' is not a boolean (true or false)");
    EXPECT_REFUSED ("    kind = file\n    path = /x\n    maxage = 5\n",
        "k.conf: check 't': key 'maxage': unknown key (did you mean 'max_age'?)");
}

//  --------------------------------------------------------------------------
//  command

static void
s_test_command (void)
{
    char plugin [128], script [512], cmd_body [256];
    snprintf (plugin, sizeof plugin, "%s/plugin.sh", s_dir);
    snprintf (script, sizeof script, "#!/bin/sh\n"
              "echo \"OK - all fine | a=1;2;3;0;10 'b c'=2.5s x=U\"\n"
              "echo 'line one'\n"
              "echo 'line two | d=4MB'\n"
              "echo 'e=5%%'\n");
    CHECK (heal_write_atomic (plugin, script, strlen (script), 0755) == 0);
    snprintf (cmd_body, sizeof cmd_body, "    kind = command\n    run = \"%s\"\n", plugin);
    fixture_t *f = s_fixture (cmd_body);
    CHECK (f->instance);
    if (!f->instance)
        fprintf (stderr, "  %s\n", f->err);
    else {
        CHECK (s_run (f) == CHECK_OK);
        CHECK (f->event->message && streq (f->event->message, "OK - all fine"));
        CHECK (s_metric (f->event, "a") == 1);
        CHECK (s_metric (f->event, "b c") == 2.5);
        CHECK (s_metric (f->event, "x") == -12345.0);
        CHECK (s_metric (f->event, "d") == 4);
        CHECK (s_metric (f->event, "e") == 5);
        CHECK (s_metric (f->event, "exit_code") == 0);
        CHECK (s_has_evidence (f->event, "line one"));
        CHECK (s_has_evidence (f->event, "line two"));
        CHECK (!s_has_evidence (f->event, "d=4"));
    }
    s_fixture_destroy (&f);

    const struct { const char *run; check_status_t status; const char *message; } cases [] = {
        { "echo 'WARNING - meh'; exit 1", CHECK_WARN, "WARNING - meh" },
        { "echo 'CRITICAL - down'; exit 2", CHECK_FAIL, "CRITICAL - down" },
        { "echo 'UNKNOWN - ?'; exit 3", CHECK_UNKNOWN, "UNKNOWN - ?" },
        { "exit 2", CHECK_FAIL, "exit 2" },
        { "echo weird; exit 42", CHECK_UNKNOWN, "weird" },
        { "no-such-plugin-heal", CHECK_UNKNOWN, "not found" },
        { "kill -9 $$", CHECK_UNKNOWN, "killed by signal 9" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char body [256];
        snprintf (body, sizeof body, "    kind = command\n    run = \"%s\"\n", cases [i].run);
        f = s_fixture (body);
        CHECK (f->instance);
        check_status_t status = s_run (f);
        if (status != cases [i].status || !strstr (f->event->message, cases [i].message)) {
            fprintf (stderr, "test_kinds: FAILED: command '%s': status %d message '%s'\n",
                     cases [i].run, status, f->event->message);
            s_failed++;
        }
        s_fixture_destroy (&f);
    }

    //  timeout: unknown, and fast
    f = s_fixture ("    kind = command\n    run = \"sleep 10\"\n    timeout = 200ms\n");
    int64_t start = heal_monotonic_ms ();
    CHECK (s_run (f) == CHECK_UNKNOWN);
    CHECK (heal_monotonic_ms () - start < 200 + COMMAND_KILL_GRACE_MS + 2000);
    CHECK (strstr (f->event->message, "timed out after"));
    s_fixture_destroy (&f);

    //  the config's PATH is the command's PATH
    f = s_fixture ("    kind = command\n    run = 'echo \"$PATH\"'\n");
    CHECK (s_run (f) == CHECK_OK && streq (f->event->message, "/usr/bin:/bin"));
    s_fixture_destroy (&f);

    //  remedy
    f = s_fixture ("    kind = command\n    run = \"exit 2\"\n"
                   "    remedy\n        run = \"echo fixed; exit 0\"\n");
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (s_remedy (f) == REMEDY_DONE && streq (f->remedy.action, "run"));
    CHECK (strstr (f->remedy.output, "exit 0") && strstr (f->remedy.output, "fixed"));
    s_fixture_destroy (&f);
    f = s_fixture ("    kind = command\n    run = \"exit 2\"\n");
    CHECK (s_run (f) == CHECK_FAIL && s_remedy (f) == REMEDY_NONE);
    s_fixture_destroy (&f);

    //  perfdata edge cases
    event_t *ev = event_new (EVENT_CHECK);
    CHECK (command_parse_perfdata (ev, "") == 0);
    CHECK (command_parse_perfdata (ev, "  'it''s'=3 =4 noequals x=abc y=1;;;; z=2e3") == 3);
    CHECK (s_metric (ev, "it's") == 3 && s_metric (ev, "y") == 1 && s_metric (ev, "z") == 2000);
    CHECK (command_parse_perfdata (ev, "'unterminated=1") == 0);
    event_destroy (&ev);

    EXPECT_REFUSED ("    kind = command\n",
        "k.conf: check 't': key 'run': missing: the command kind needs it");
    EXPECT_REFUSED ("    kind = command\n    run = x\n    command = y\n",
        "k.conf: check 't': key 'command': unknown key");
}

//  --------------------------------------------------------------------------
//  A tiny HTTP server: every connection gets the same canned response.

typedef struct {
    int fd;
    int port;
    const char *response;
    pthread_t thread;
} server_t;

static void *
s_server_loop (void *arg)
{
    server_t *server = (server_t *) arg;
    while (true) {
        int client = accept (server->fd, NULL, NULL);
        if (client < 0)
            break;
        //  read the request head (bounded), then answer and close
        char buf [4096];
        size_t used = 0;
        struct pollfd pfd = { .fd = client, .events = POLLIN };
        while (used < sizeof buf - 1 && poll (&pfd, 1, 2000) > 0) {
            ssize_t n = read (client, buf + used, sizeof buf - 1 - used);
            if (n <= 0)
                break;
            used += (size_t) n;
            buf [used] = 0;
            if (strstr (buf, "\r\n\r\n"))
                break;
        }
        size_t len = strlen (server->response), off = 0;
        while (off < len) {
            ssize_t n = write (client, server->response + off, len - off);
            if (n <= 0)
                break;
            off += (size_t) n;
        }
        close (client);
    }
    return NULL;
}

static int
s_listen (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) || listen (fd, 16)) {
        close (fd);
        return -1;
    }
    socklen_t alen = sizeof addr;
    getsockname (fd, (struct sockaddr *) &addr, &alen);
    *port = ntohs (addr.sin_port);
    return fd;
}

static server_t *
s_server_start (const char *response)
{
    server_t *server = (server_t *) calloc (1, sizeof (server_t));
    server->response = response;
    server->fd = s_listen (&server->port);
    pthread_create (&server->thread, NULL, s_server_loop, server);
    return server;
}

static void
s_server_stop (server_t **server_p)
{
    server_t *server = *server_p;
    shutdown (server->fd, SHUT_RDWR);
    close (server->fd);
    pthread_join (server->thread, NULL);
    free (server);
    *server_p = NULL;
}

//  A port nothing listens on: bind, read the port, close.
static int
s_closed_port (void)
{
    int port = 0;
    int fd = s_listen (&port);
    close (fd);
    return port;
}

static void
s_test_http (void)
{
    server_t *ok = s_server_start ("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n"
                                   "Connection: close\r\n\r\nhello world");
    server_t *down = s_server_start ("HTTP/1.1 503 Service Unavailable\r\n"
                                     "Content-Length: 13\r\nConnection: close\r\n\r\n"
                                     "overloaded!\r\n");
    server_t *moved = s_server_start ("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n"
                                      "Content-Length: 0\r\nConnection: close\r\n\r\n");
    char body [512];
    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n",
              ok->port);
    fixture_t *f = s_fixture (body);
    CHECK (f->instance);
    CHECK (s_run (f) == CHECK_OK);
    CHECK (s_metric (f->event, "status") == 200);
    CHECK (s_metric (f->event, "connect_ms") >= 0 && s_metric (f->event, "total_ms") >= 0);
    CHECK (strstr (f->event->message, "status 200"));
    s_fixture_destroy (&f);

    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n"
              "    contains = world\n    expect = 200\n", ok->port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_OK && s_metric (f->event, "body_bytes") == 11);
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n"
              "    contains = planet\n", ok->port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL && strstr (f->event->message, "does not contain 'planet'"));
    s_fixture_destroy (&f);

    snprintf (body, sizeof body, "    kind = http\n    url = \"http://user:secret@127.0.0.1:%d/x\"\n"
              "    remedy\n        run = \"echo restarted\"\n", down->port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (s_metric (f->event, "status") == 503);
    CHECK (strstr (f->event->message, "status 503, expected 2xx"));
    CHECK (!strstr (f->event->message, "secret"));
    CHECK (s_has_evidence (f->event, "overloaded!") == false);    //  body not kept without contains
    CHECK (s_remedy (f) == REMEDY_DONE && strstr (f->remedy.output, "restarted"));
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n"
              "    expect = \"200 5xx\"\n", down->port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_OK);
    s_fixture_destroy (&f);

    //  redirects are not followed unless asked
    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n",
              moved->port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL && s_metric (f->event, "status") == 302);
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n"
              "    expect = 3xx\n    method = HEAD\n", moved->port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_OK);
    s_fixture_destroy (&f);

    //  nothing listening: a failure (a remedy can fix it)
    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n",
              s_closed_port ());
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL);
    s_fixture_destroy (&f);

    //  a server that never answers: the timeout holds
    int silent_port = 0;
    int silent = s_listen (&silent_port);
    snprintf (body, sizeof body, "    kind = http\n    url = \"http://127.0.0.1:%d/\"\n"
              "    timeout = 300ms\n", silent_port);
    f = s_fixture (body);
    int64_t start = heal_monotonic_ms ();
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (heal_monotonic_ms () - start < 3000);
    CHECK (strstr (f->event->message, "no answer within"));
    s_fixture_destroy (&f);
    close (silent);

    s_server_stop (&ok);
    s_server_stop (&down);
    s_server_stop (&moved);

    EXPECT_REFUSED ("    kind = http\n",
        "k.conf: check 't': key 'url': missing: the http kind needs it");
    EXPECT_REFUSED ("    kind = http\n    url = \"ftp://x/\"\n",
        "k.conf: check 't': key 'url': 'ftp://x/' is not an http:// or https:// URL");
    EXPECT_REFUSED ("    kind = http\n    url = \"http://x/\"\n    expect = ok\n",
        "k.conf: check 't': key 'expect': 'ok' is not a status list (e.g. 200, 2xx, "
        "\"200 301\")");
    EXPECT_REFUSED ("    kind = http\n    url = \"http://x/\"\n    follow = sometimes\n",
        "k.conf: check 't': key 'follow': 'sometimes' is not a boolean (true or false)");
    EXPECT_REFUSED ("    kind = http\n    url = \"http://x/\"\n    method = POST\n",
        "k.conf: check 't': key 'method': 'POST' is not GET or HEAD");
    EXPECT_REFUSED ("    kind = http\n    url = \"http://x/\"\n    expects = 200\n",
        "k.conf: check 't': key 'expects': unknown key (did you mean 'expect'?)");
}

//  --------------------------------------------------------------------------
//  tcp

static void
s_test_tcp (void)
{
    int port = 0;
    int fd = s_listen (&port);
    char body [256];
    snprintf (body, sizeof body, "    kind = tcp\n    port = %d\n", port);
    fixture_t *f = s_fixture (body);
    CHECK (f->instance);
    CHECK (s_run (f) == CHECK_OK);
    CHECK (s_metric (f->event, "connect_ms") >= 0);
    CHECK (strstr (f->event->message, "accepting connections"));
    s_fixture_destroy (&f);
    snprintf (body, sizeof body, "    kind = tcp\n    host = localhost\n    port = %d\n", port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_OK);
    s_fixture_destroy (&f);
    close (fd);

    snprintf (body, sizeof body, "    kind = tcp\n    host = 127.0.0.1\n    port = %d\n"
              "    remedy\n        run = \"exit 1\"\n", port);
    f = s_fixture (body);
    CHECK (s_run (f) == CHECK_FAIL);
    CHECK (strstr (f->event->message, "Connection refused"));
    CHECK (s_remedy (f) == REMEDY_FAILED && strstr (f->remedy.output, "exit 1"));
    s_fixture_destroy (&f);

    f = s_fixture ("    kind = tcp\n    host = no-such-host.invalid\n    port = 80\n");
    CHECK (s_run (f) == CHECK_UNKNOWN);
    s_fixture_destroy (&f);

    EXPECT_REFUSED ("    kind = tcp\n",
        "k.conf: check 't': key 'port': missing: the tcp kind needs it");
    EXPECT_REFUSED ("    kind = tcp\n    port = 70000\n",
        "k.conf: check 't': key 'port': '70000' is not a port (1-65535)");
    EXPECT_REFUSED ("    kind = tcp\n    port = http\n",
        "k.conf: check 't': key 'port': 'http' is not a port (1-65535)");
    EXPECT_REFUSED ("    kind = tcp\n    port = 80\n    host = \"a b\"\n",
        "k.conf: check 't': key 'host': 'a b' is not a host name or address");
    EXPECT_REFUSED ("    kind = tcp\n    port = 80\n    hots = x\n",
        "k.conf: check 't': key 'hots': unknown key (did you mean 'host'?)");
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/heal-test-kinds-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    s_test_disk ();
    s_test_file ();
    s_test_command ();
    s_test_http ();
    s_test_tcp ();
    zdir_t *tree = zdir_new (s_dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
    rmdir (s_dir);
    if (s_failed) {
        fprintf (stderr, "test_kinds: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_kinds: ok\n");
    return 0;
}
