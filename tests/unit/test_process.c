//  test_process — the process kind, called directly (configure, run, remedy)
//  on real processes, pidfiles, ports and start commands.

#include "check.h"
#include "heal/command.h"
#include "platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"

extern const check_kind_t check_kind_process;

static char s_dir [128];              //  temp dir
static char s_sleeper [256];          //  a copy of sleep with a unique name
static char s_sleeper_name [32];


//  One configured instance and what a run produced.
typedef struct {
    heal_config_t *config;
    const heal_check_config_t *check;
    void *self;
    check_status_t status;
    event_t *event;
    check_result_t result;
    char err [CONFIG_ERROR_MAX];
} fixture_t;

static void
s_fixture_free (fixture_t *f)
{
    if (f->self)
        check_destroy (&check_kind_process, &f->self);
    event_destroy (&f->event);
    heal_config_destroy (&f->config);
}

//  Load a config holding one process check named p with the given key lines
//  (and remedy lines, when not NULL). Returns 0 when configure accepted it.
static int
s_configure (fixture_t *f, const char *keys, const char *remedy)
{
    memset (f, 0, sizeof *f);
    char text [8192];
    snprintf (text, sizeof text,
              "agent\n"
              "    path = \"/usr/local/bin:/usr/bin:/bin\"\n"
              "    state_dir = \"%s/state\"\n"
              "check = p\n"
              "    kind = process\n"
              "%s%s%s",
              s_dir, keys, remedy ? "    remedy\n" : "", remedy ? remedy : "");
    f->config = heal_config_load_text (text, "test.conf", f->err, sizeof f->err);
    if (!f->config) {
        fprintf (stderr, "test_process: config: %s\n", f->err);
        return -1;
    }
    f->check = heal_config_check (f->config, "p");
    if (!f->check)
        return -1;
    f->self = check_configure (&check_kind_process, f->config, f->check, f->err,
                               sizeof f->err);
    return f->self ? 0 : -1;
}

static void
s_ctx (fixture_t *f, check_ctx_t *ctx, int64_t timeout_ms)
{
    memset (ctx, 0, sizeof *ctx);
    ctx->name = "p";
    ctx->config = f->config;
    ctx->check = f->check;
    ctx->deadline_ms = heal_monotonic_ms () + timeout_ms;
}

static check_status_t
s_run (fixture_t *f)
{
    event_destroy (&f->event);
    f->event = event_new (EVENT_CHECK);
    memset (&f->result, 0, sizeof f->result);
    f->result.event = f->event;
    check_ctx_t ctx;
    s_ctx (f, &ctx, 10000);
    f->status = check_kind_process.run (f->self, &ctx, &f->result);
    return f->status;
}

static remedy_status_t
s_remedy (fixture_t *f, event_remedy_t *out)
{
    memset (out, 0, sizeof *out);
    check_ctx_t ctx;
    s_ctx (f, &ctx, 10000);
    //  as the worker runs it: what the remedy starts outlives it
    command_role_t role = command_role_set (COMMAND_ROLE_REMEDY);
    remedy_status_t status = check_kind_process.remedy (f->self, &ctx, &f->result, out);
    command_role_set (role);
    return status;
}

static void
s_remedy_free (event_remedy_t *out)
{
    free (out->action);
    free (out->result);
    free (out->output);
    memset (out, 0, sizeof *out);
}

static bool
s_contains (const char *text, const char *part)
{
    return text && strstr (text, part) != NULL;
}

static double
s_metric (const event_t *event, const char *name)
{
    for (size_t i = 0; i < event->metric_count; i++)
        if (streq (event->metrics [i].name, name))
            return event->metrics [i].value;
    return -1;
}

//  A child running our uniquely named sleep.
static pid_t
s_spawn_sleeper (void)
{
    pid_t pid = fork ();
    if (pid == 0) {
        execl (s_sleeper, s_sleeper_name, "100000", (char *) NULL);
        _exit (127);
    }
    //  Wait (bounded) until the exec is done: the name tells.
    for (int i = 0; i < 2000; i++) {
        platform_proc_t info;
        if (platform_proc_info ((int) pid, &info) == 0 && streq (info.name, s_sleeper_name))
            break;
        usleep (1000);
    }
    return pid;
}

static void
s_kill (pid_t pid)
{
    if (pid > 0) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
}

static void
s_write_file (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    if (file) {
        fputs (text, file);
        fclose (file);
    }
}

static void
s_write_pid (const char *path, int pid)
{
    char text [32];
    snprintf (text, sizeof text, "%d\n", pid);
    s_write_file (path, text);
}

//  Kill every process whose pid is in path (left by start commands).
static void
s_kill_pidfile (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    int pid = 0;
    if (fscanf (file, "%d", &pid) == 1 && pid > 0)
        kill (pid, SIGKILL);
    fclose (file);
}

static void
s_test_configure (void)
{
    fixture_t f;
    CHECK (s_configure (&f, "", NULL) == -1);
    CHECK (s_contains (f.err, "pidfile, match or port"));
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    pidfile = \"relative.pid\"\n", NULL) == -1);
    CHECK (s_contains (f.err, "absolute"));
    CHECK (s_contains (f.err, "'p'"));
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    match = \"x\"\n    port = 70000\n", NULL) == -1);
    CHECK (s_contains (f.err, "port"));
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    match = \"x\"\n    port = 12ab\n", NULL) == -1);
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    match = \"/a(b/\"\n", NULL) == -1);
    CHECK (s_contains (f.err, "regex"));
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    match = \"x\"\n    start_timeout = soon\n", NULL) == -1);
    CHECK (s_contains (f.err, "start_timeout"));
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    match = \"x\"\n    host = \"127.0.0.1\"\n", NULL) == -1);
    CHECK (s_contains (f.err, "host"));
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    match = \"x\"\n", "        start = \"\"\n") == -1);
    CHECK (s_contains (f.err, "start"));
    s_fixture_free (&f);

    CHECK (s_configure (&f, "    match = \"/redis-server .*:6379/\"\n    port = 6379\n"
                            "    start_timeout = 500ms\n",
                        "        start = \"true\"\n        stop = \"true\"\n"
                        "        restart = \"true\"\n") == 0);
    s_fixture_free (&f);

    CHECK (check_kind_process.keys && check_kind_process.remedy_keys);
}

static void
s_test_pidfile (void)
{
    char pidfile [PATH_MAX + 16];
    snprintf (pidfile, sizeof pidfile, "%s/p.pid", s_dir);
    char keys [PATH_MAX + 64];
    snprintf (keys, sizeof keys, "    pidfile = \"%s\"\n", pidfile);
    fixture_t f;
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (!f.self) {
        s_fixture_free (&f);
        return;
    }
    //  No pidfile: failing, "not running".
    CHECK (s_run (&f) == CHECK_FAIL);
    CHECK (s_contains (f.event->message, "no pidfile"));
    CHECK (f.result.watch_pid == 0);
    //  No remedy configured: nothing to do.
    event_remedy_t out;
    CHECK (s_remedy (&f, &out) == REMEDY_NONE);
    s_remedy_free (&out);

    //  Junk in the pidfile.
    s_write_file (pidfile, "hello\n");
    CHECK (s_run (&f) == CHECK_FAIL);
    CHECK (s_contains (f.event->message, "holds no pid"));
    s_write_file (pidfile, "12 13\n");
    CHECK (s_run (&f) == CHECK_FAIL);
    s_write_file (pidfile, "");
    CHECK (s_run (&f) == CHECK_FAIL);
    s_write_file (pidfile, "-4\n");
    CHECK (s_run (&f) == CHECK_FAIL);

    //  A live process: ok, watched, with metrics.
    pid_t child = s_spawn_sleeper ();
    s_write_pid (pidfile, (int) child);
    CHECK (s_run (&f) == CHECK_OK);
    CHECK (f.result.watch_pid == child);
    CHECK (f.result.watch_start != 0);
    CHECK (platform_proc_alive ((int) child, f.result.watch_start));
    CHECK (s_metric (f.event, "pid") == (double) child);
    CHECK (s_metric (f.event, "uptime_s") >= 0);
    CHECK (s_contains (f.event->message, "running"));
    //  Without a newline too.
    char text [32];
    snprintf (text, sizeof text, "%d", (int) child);
    s_write_file (pidfile, text);
    CHECK (s_run (&f) == CHECK_OK);

    //  Exited but not reaped (a zombie) is dead.
    kill (child, SIGKILL);
    siginfo_t si;
    CHECK (waitid (P_PID, (id_t) child, &si, WEXITED | WNOWAIT) == 0);
    CHECK (s_run (&f) == CHECK_FAIL);
    CHECK (s_contains (f.event->message, "exited"));
    //  Reaped: a stale pidfile.
    waitpid (child, NULL, 0);
    CHECK (s_run (&f) == CHECK_FAIL);
    CHECK (s_contains (f.event->message, "stale pidfile"));
    s_fixture_free (&f);
    unlink (pidfile);
}

static void
s_test_pidfile_and_match (void)
{
    //  A pidfile naming a process that does not fit `match`: the pid was
    //  reused by another program, the pidfile is stale.
    char pidfile [PATH_MAX + 16];
    snprintf (pidfile, sizeof pidfile, "%s/pm.pid", s_dir);
    char keys [2 * PATH_MAX];
    snprintf (keys, sizeof keys, "    pidfile = \"%s\"\n    match = \"%s\"\n",
              pidfile, s_sleeper_name);
    fixture_t f;
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (!f.self) {
        s_fixture_free (&f);
        return;
    }
    s_write_pid (pidfile, (int) getpid ());
    CHECK (s_run (&f) == CHECK_FAIL);
    CHECK (s_contains (f.event->message, "another process"));
    CHECK (f.result.watch_pid == 0);

    pid_t child = s_spawn_sleeper ();
    s_write_pid (pidfile, (int) child);
    CHECK (s_run (&f) == CHECK_OK);
    CHECK (f.result.watch_pid == child);
    s_kill (child);
    s_fixture_free (&f);
    unlink (pidfile);
}

static void
s_test_match (void)
{
    fixture_t f;
    char keys [256];
    //  By name.
    snprintf (keys, sizeof keys, "    match = \"%s\"\n", s_sleeper_name);
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_contains (f.event->message, "no process matches"));
        pid_t first = s_spawn_sleeper ();
        pid_t second = s_spawn_sleeper ();
        CHECK (s_run (&f) == CHECK_OK);
        //  The oldest one.
        CHECK (f.result.watch_pid == first);
        s_kill (first);
        //  Found again after the first died (re-resolved).
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (f.result.watch_pid == second);
        s_kill (second);
        CHECK (s_run (&f) == CHECK_FAIL);
    }
    s_fixture_free (&f);

    //  By regex on the command line; a name is not a substring match.
    snprintf (keys, sizeof keys, "    match = \"/^%s 1000+$/\"\n", s_sleeper_name);
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        pid_t child = s_spawn_sleeper ();
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (f.result.watch_pid == child);
        s_kill (child);
        CHECK (s_run (&f) == CHECK_FAIL);
    }
    s_fixture_free (&f);

    char prefix [32];
    snprintf (prefix, sizeof prefix, "%.*s", (int) strlen (s_sleeper_name) - 1,
              s_sleeper_name);
    snprintf (keys, sizeof keys, "    match = \"%s\"\n", prefix);
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (f.self) {
        pid_t child = s_spawn_sleeper ();
        CHECK (s_run (&f) == CHECK_FAIL);
        s_kill (child);
    }
    s_fixture_free (&f);
}

static void
s_test_remedy_start (void)
{
    char pidfile [PATH_MAX + 16];
    snprintf (pidfile, sizeof pidfile, "%s/r.pid", s_dir);
    char keys [PATH_MAX + 64];
    char remedy [3 * PATH_MAX];
    fixture_t f;
    event_remedy_t out;

    //  A start command that works: started, found, ready, then ok.
    snprintf (keys, sizeof keys, "    pidfile = \"%s\"\n    start_timeout = 5\n", pidfile);
    snprintf (remedy, sizeof remedy,
              "        start = \"%s 100000 >/dev/null 2>&1 & echo $! > %s\"\n",
              s_sleeper, pidfile);
    CHECK (s_configure (&f, keys, remedy) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_remedy (&f, &out) == REMEDY_DONE);
        CHECK (out.action && streq (out.action, "start"));
        CHECK (s_contains (out.output, "ready in"));
        if (!s_contains (out.output, "ready in"))
            fprintf (stderr, "test_process: output: %s\n", out.output ? out.output : "(none)");
        s_remedy_free (&out);
        CHECK (s_run (&f) == CHECK_OK);
        int started = (int) f.result.watch_pid;
        CHECK (started > 0);
        //  Killed: failing again, started again with a new pid.
        s_kill_pidfile (pidfile);
        for (int i = 0; i < 2000 && platform_proc_alive (started, 0); i++)
            usleep (1000);
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_remedy (&f, &out) == REMEDY_DONE);
        s_remedy_free (&out);
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (f.result.watch_pid != started);
        s_kill_pidfile (pidfile);
    }
    s_fixture_free (&f);
    unlink (pidfile);

    //  Back on its own between the run and the remedy: nothing is started.
    char marker [PATH_MAX + 16];
    snprintf (marker, sizeof marker, "%s/started", s_dir);
    snprintf (remedy, sizeof remedy, "        start = \"touch %s\"\n", marker);
    CHECK (s_configure (&f, keys, remedy) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        pid_t child = s_spawn_sleeper ();
        s_write_pid (pidfile, (int) child);
        CHECK (s_remedy (&f, &out) == REMEDY_DONE);
        CHECK (s_contains (out.output, "already running"));
        CHECK (access (marker, F_OK) == -1);
        s_remedy_free (&out);
        s_kill (child);
    }
    s_fixture_free (&f);
    unlink (pidfile);

    //  A start command that fails: remedy failed, with its exit and output.
    snprintf (remedy, sizeof remedy, "        start = \"echo bad config; exit 3\"\n");
    CHECK (s_configure (&f, keys, remedy) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_remedy (&f, &out) == REMEDY_FAILED);
        CHECK (s_contains (out.output, "exit 3"));
        CHECK (s_contains (out.output, "bad config"));
        s_remedy_free (&out);
    }
    s_fixture_free (&f);

    //  A start command that hangs: killed at start_timeout, failed.
    snprintf (keys, sizeof keys, "    pidfile = \"%s\"\n    start_timeout = 300ms\n", pidfile);
    snprintf (remedy, sizeof remedy, "        start = \"sleep 30\"\n");
    CHECK (s_configure (&f, keys, remedy) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        int64_t began = heal_monotonic_ms ();
        CHECK (s_remedy (&f, &out) == REMEDY_FAILED);
        CHECK (heal_monotonic_ms () - began < 5000);
        CHECK (s_contains (out.output, "timed out"));
        s_remedy_free (&out);
    }
    s_fixture_free (&f);

    //  A start command that succeeds but nothing comes up: not ready.
    snprintf (remedy, sizeof remedy, "        start = \"true\"\n");
    CHECK (s_configure (&f, keys, remedy) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_remedy (&f, &out) == REMEDY_FAILED);
        CHECK (s_contains (out.output, "not ready"));
        s_remedy_free (&out);
    }
    s_fixture_free (&f);
    unlink (pidfile);
}

//  A listening socket on a free loopback port.
static int
s_listen (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr)
    ||  listen (fd, 16)
    ||  getsockname (fd, (struct sockaddr *) &addr, &len)) {
        close (fd);
        return -1;
    }
    *port = ntohs (addr.sin_port);
    return fd;
}

static void
s_test_port (void)
{
    int port = 0;
    int listener = s_listen (&port);
    CHECK (listener >= 0);
    if (listener < 0)
        return;
    fixture_t f;
    char keys [PATH_MAX * 2];
    //  Port only.
    snprintf (keys, sizeof keys, "    port = %d\n", port);
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (s_contains (f.event->message, "accepting"));
        CHECK (f.result.watch_pid == 0);
    }
    s_fixture_free (&f);

    //  Our own process with its port: ok; port closed: unhealthy (alive,
    //  still watched), and with only `start` there is nothing safe to do.
    char pidfile [PATH_MAX + 16];
    snprintf (pidfile, sizeof pidfile, "%s/port.pid", s_dir);
    s_write_pid (pidfile, (int) getpid ());
    snprintf (keys, sizeof keys, "    pidfile = \"%s\"\n    port = %d\n"
                                 "    start_timeout = 1ms\n", pidfile, port);
    CHECK (s_configure (&f, keys, "        start = \"true\"\n") == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (f.result.watch_pid == getpid ());
        close (listener);
        listener = -1;
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_contains (f.event->message, "does not accept"));
        CHECK (f.result.watch_pid == getpid ());
        event_remedy_t out;
        CHECK (s_remedy (&f, &out) == REMEDY_NONE);
        s_remedy_free (&out);
    }
    s_fixture_free (&f);

    //  With restart: the restart command runs and opens the port again
    //  (here: a marker file tells the test it ran; the port stays closed, so
    //  the remedy reports not ready).
    char marker [PATH_MAX + 16];
    snprintf (marker, sizeof marker, "%s/restarted", s_dir);
    char remedy [PATH_MAX * 2];
    snprintf (remedy, sizeof remedy, "        restart = \"touch %s\"\n", marker);
    snprintf (keys, sizeof keys, "    pidfile = \"%s\"\n    port = %d\n"
                                 "    start_timeout = 200ms\n", pidfile, port);
    CHECK (s_configure (&f, keys, remedy) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        event_remedy_t out;
        CHECK (s_remedy (&f, &out) == REMEDY_FAILED);
        CHECK (out.action && streq (out.action, "restart"));
        CHECK (s_contains (out.output, "not ready"));
        CHECK (access (marker, F_OK) == 0);
        s_remedy_free (&out);
    }
    s_fixture_free (&f);
    unlink (marker);

    //  stop + start when there is no restart: the stop command kills our
    //  sleeper (left a zombie: dead), then start runs.
    pid_t child = s_spawn_sleeper ();
    s_write_pid (pidfile, (int) child);
    snprintf (remedy, sizeof remedy, "        stop = \"kill -9 %d\"\n"
                                     "        start = \"touch %s\"\n", (int) child, marker);
    CHECK (s_configure (&f, keys, remedy) == 0);
    if (f.self) {
        CHECK (s_run (&f) == CHECK_FAIL);
        event_remedy_t out;
        CHECK (s_remedy (&f, &out) == REMEDY_FAILED);      //  the port stays closed
        CHECK (out.action && streq (out.action, "stop+start"));
        CHECK (s_contains (out.output, "stop: exit 0"));
        CHECK (s_contains (out.output, "start: exit 0"));
        CHECK (access (marker, F_OK) == 0);
        CHECK (!platform_proc_alive ((int) child, 0));
        s_remedy_free (&out);
    }
    s_fixture_free (&f);
    s_kill (child);
    unlink (marker);
    unlink (pidfile);
}

static int
s_copy_file (const char *from, const char *to)
{
    int in = open (from, O_RDONLY);
    if (in < 0)
        return -1;
    int out = open (to, O_WRONLY | O_CREAT | O_EXCL, 0755);
    if (out < 0) {
        close (in);
        return -1;
    }
    char buf [65536];
    ssize_t n;
    int rc = 0;
    while ((n = read (in, buf, sizeof buf)) > 0)
        if (write (out, buf, (size_t) n) != n) {
            rc = -1;
            break;
        }
    if (n < 0)
        rc = -1;
    close (in);
    if (close (out))
        rc = -1;
    return rc;
}

//  A child running argv (exec'd from path) with env; waits (bounded) until
//  the exec is done (its argv[0] is argv [0]).
static pid_t
s_spawn_argv (const char *path, char *const argv [], char *const env [])
{
    pid_t pid = fork ();
    if (pid == 0) {
        setpgid (0, 0);         //  its own group: s_kill_group ends what it started
        execve (path, argv, env);
        _exit (127);
    }
    setpgid (pid, pid);
    for (int i = 0; i < 2000; i++) {
        char args [256];
        size_t argc = 0;
        if (platform_proc_argv ((int) pid, args, sizeof args, &argc) == 0 && argc > 0
        &&  streq (args, argv [0]))
            break;
        usleep (1000);
    }
    return pid;
}

static void
s_kill_group (pid_t pid)
{
    if (pid > 0) {
        kill (-pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
}

static bool
s_evidence_has (const event_t *event, const char *part)
{
    for (size_t i = 0; i < event->evidence_count; i++)
        if (strstr (event->evidence [i], part))
            return true;
    return false;
}

//  macOS names a process after its executable (after symlinks and #!):
//  `match` also compares argv[0]'s basename, and an interpreter's script.
static void
s_test_match_argv (void)
{
    fixture_t f;
    char keys [256];
    char argv0 [64], script_name [64], script [PATH_MAX];
    snprintf (argv0, sizeof argv0, "a0-%s", s_sleeper_name);
    snprintf (script_name, sizeof script_name, "sc-%s", s_sleeper_name);
    snprintf (script, sizeof script, "%s/%s", s_dir, script_name);
    char body [PATH_MAX + 64];
    snprintf (body, sizeof body, "#!/bin/sh\nsleep 100000\n");
    s_write_file (script, body);
    char *const env [] = { "PATH=/usr/bin:/bin", NULL };

    //  argv[0] differs from the executable's name.
    snprintf (keys, sizeof keys, "    match = \"%s\"\n", argv0);
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (f.self) {
        char *const argv [] = { argv0, "100000", NULL };
        pid_t child = s_spawn_argv (s_sleeper, argv, env);
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (f.result.watch_pid == child);
        s_kill_group (child);
    }
    s_fixture_free (&f);

    //  A script run by its interpreter (process name "sh").
    snprintf (keys, sizeof keys, "    match = \"%s\"\n", script_name);
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (f.self) {
        char *const argv [] = { "/bin/sh", "-e", script, NULL };
        pid_t child = s_spawn_argv ("/bin/sh", argv, env);
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (f.result.watch_pid == child);
        s_kill_group (child);
    }
    s_fixture_free (&f);

    //  A program that is no interpreter: its arguments are not its name.
    CHECK (s_configure (&f, "    match = \"100000\"\n", NULL) == 0);
    if (f.self) {
        pid_t child = s_spawn_sleeper ();
        CHECK (s_run (&f) == CHECK_FAIL);
        s_kill (child);
    }
    s_fixture_free (&f);
    unlink (script);
}

//  A process launchd runs (brew services): heal never starts a second copy
//  beside launchd's own restart, and says to use kind = launchd.
static void
s_test_launchd_job (void)
{
    fixture_t f;
    char keys [256];
    event_remedy_t out;
    snprintf (keys, sizeof keys, "    match = \"%s\"\n", s_sleeper_name);
    CHECK (s_configure (&f, keys, "        start = \"true\"\n") == 0);
    if (f.self) {
        char *const argv [] = { s_sleeper_name, "100000", NULL };
        char *const env [] = { "XPC_SERVICE_NAME=homebrew.mxcl.hs", NULL };
        pid_t child = s_spawn_argv (s_sleeper, argv, env);
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (s_evidence_has (f.event, "launchd job homebrew.mxcl.hs"));
        s_kill_group (child);
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_remedy (&f, &out) == REMEDY_NONE);
        CHECK (out.action && streq (out.action, "none"));
        CHECK (s_contains (out.output, "kind = launchd, label = homebrew.mxcl.hs"));
        s_remedy_free (&out);
    }
    s_fixture_free (&f);

    //  "0" (a login shell's) is no job: the start runs.
    snprintf (keys, sizeof keys, "    match = \"%s\"\n    start_timeout = 1\n", s_sleeper_name);
    CHECK (s_configure (&f, keys, "        start = \"true\"\n") == 0);
    if (f.self) {
        char *const argv [] = { s_sleeper_name, "100000", NULL };
        char *const env [] = { "XPC_SERVICE_NAME=0", NULL };
        pid_t child = s_spawn_argv (s_sleeper, argv, env);
        CHECK (s_run (&f) == CHECK_OK);
        CHECK (!s_evidence_has (f.event, "launchd job"));
        s_kill_group (child);
        CHECK (s_run (&f) == CHECK_FAIL);
        CHECK (s_remedy (&f, &out) == REMEDY_FAILED);       //  true starts nothing
        CHECK (out.action && streq (out.action, "start"));
        s_remedy_free (&out);
    }
    s_fixture_free (&f);

    //  The label is read once per process (pid and start time), and again
    //  for a new one.
    snprintf (keys, sizeof keys, "    match = \"%s\"\n", s_sleeper_name);
    CHECK (s_configure (&f, keys, NULL) == 0);
    if (f.self) {
        char *const argv [] = { s_sleeper_name, "100000", NULL };
        char *const env_a [] = { "XPC_SERVICE_NAME=dev.heal.a", NULL };
        char *const env_b [] = { "XPC_SERVICE_NAME=dev.heal.b", NULL };
        pid_t child = s_spawn_argv (s_sleeper, argv, env_a);
        CHECK (s_run (&f) == CHECK_OK && s_evidence_has (f.event, "launchd job dev.heal.a"));
        CHECK (s_run (&f) == CHECK_OK && s_evidence_has (f.event, "launchd job dev.heal.a"));
        s_kill_group (child);
        child = s_spawn_argv (s_sleeper, argv, env_b);
        CHECK (s_run (&f) == CHECK_OK && s_evidence_has (f.event, "launchd job dev.heal.b"));
        CHECK (!s_evidence_has (f.event, "dev.heal.a"));
        s_kill_group (child);
    }
    s_fixture_free (&f);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/heal-test-process-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("test_process: mkdtemp");
        return 1;
    }
    snprintf (s_sleeper_name, sizeof s_sleeper_name, "hs%d", (int) getpid () % 1000000);
    snprintf (s_sleeper, sizeof s_sleeper, "%s/%s", s_dir, s_sleeper_name);
    const char *sleep_bin = access ("/bin/sleep", X_OK) == 0 ? "/bin/sleep" : "/usr/bin/sleep";
    //  A copy, not a symlink: the process name comes from the file run.
    if (s_copy_file (sleep_bin, s_sleeper)) {
        perror ("test_process: copy sleep");
        return 1;
    }
    s_test_configure ();
    s_test_pidfile ();
    s_test_pidfile_and_match ();
    s_test_match ();
    s_test_match_argv ();
    s_test_launchd_job ();
    s_test_remedy_start ();
    s_test_port ();

    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "%s/state", s_dir);
    rmdir (command);
    unlink (s_sleeper);
    rmdir (s_dir);
    if (s_failed) {
        fprintf (stderr, "test_process: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_process: ok\n");
    return 0;
}
