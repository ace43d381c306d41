//  test_command — selftest of bus/command.c: exit codes, output, timeouts
//  that kill the whole process group, the output cap, PATH, threads, a
//  caller's environment and stdin (heal-notify's commands), command_which.

#include "heal/command.h"
#include "heal/heal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"



#define PATH "/usr/local/bin:/usr/bin:/bin"

static void
s_test_exit_codes (void)
{
    command_result_t r;
    CHECK (command_run ("true", PATH, 5000, 0, &r) == 0);
    CHECK (r.exit_code == 0 && r.signal == 0 && !r.timed_out && r.output
           && r.output_len == 0);
    command_result_free (&r);
    CHECK (command_run ("exit 3", PATH, 5000, 0, &r) == 0 && r.exit_code == 3);
    command_result_free (&r);
    CHECK (command_run ("echo out; echo err >&2; exit 2", PATH, 5000, 0, &r) == 0);
    CHECK (r.exit_code == 2 && streq (r.output, "out\nerr\n") && r.output_len == 8);
    command_result_free (&r);
    CHECK (command_run ("kill -9 $$", PATH, 5000, 0, &r) == 0);
    CHECK (r.exit_code == -1 && r.signal == SIGKILL);
    command_result_free (&r);
    CHECK (command_run ("no-such-command-heal", PATH, 5000, 0, &r) == 0);
    CHECK (r.exit_code == 127 && strstr (r.output, "not found"));
    command_result_free (&r);
    //  stdin is /dev/null: cat ends at once
    CHECK (command_run ("cat", PATH, 5000, 0, &r) == 0 && r.exit_code == 0
           && !r.timed_out);
    command_result_free (&r);
    //  control characters and invalid UTF-8 are made safe
    CHECK (command_run ("printf 'a\\001b\\377c\\n'", PATH, 5000, 0, &r) == 0);
    CHECK (r.output && streq (r.output, "a?b\xef\xbf\xbd" "c\n"));
    command_result_free (&r);
    //  SIGPIPE is at its default in the child even when we ignore it
    signal (SIGPIPE, SIG_IGN);
    CHECK (command_run ("yes | head -1", PATH, 5000, 0, &r) == 0);
    CHECK (r.exit_code == 0 && streq (r.output, "y\n") && !r.timed_out);
    command_result_free (&r);
    signal (SIGPIPE, SIG_DFL);
}

static bool
s_pid_alive (const char *pidfile)
{
    size_t size;
    char *text = heal_read_file (pidfile, 64, &size);
    if (!text)
        return false;
    int pid = (int) strtol (text, NULL, 10);
    free (text);
    if (pid <= 0)
        return false;
    if (kill (pid, 0) != 0)
        return false;
    //  a zombie (reaped later by init) counts as dead
    char stat_path [64], buf [512];
    snprintf (stat_path, sizeof stat_path, "/proc/%d/stat", pid);
    FILE *f = fopen (stat_path, "r");
    if (!f)
        return true;
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf [n] = 0;
    char *close_paren = strrchr (buf, ')');
    return !(close_paren && close_paren [1] == ' ' && close_paren [2] == 'Z');
}

static void
s_test_timeout (void)
{
    char dir [] = "/tmp/heal-test-cmd-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char cmd [512], pidfile [256];
    snprintf (pidfile, sizeof pidfile, "%s/grandchild.pid", dir);
    //  a grandchild in the background that ignores TERM, and a leader that
    //  waits for it: the whole group must die at the timeout
    snprintf (cmd, sizeof cmd,
              "sh -c 'trap \"\" TERM; echo $$ > %s; while :; do sleep 1; done' & "
              "echo started; wait", pidfile);
    command_result_t r;
    int64_t start = heal_monotonic_ms ();
    CHECK (command_run (cmd, PATH, 300, 0, &r) == 0);
    int64_t took = heal_monotonic_ms () - start;
    CHECK (r.timed_out);
    CHECK (r.exit_code == -1 && (r.signal == SIGTERM || r.signal == SIGKILL));
    CHECK (strstr (r.output, "started") != NULL);
    CHECK (took >= 300 && took < 300 + COMMAND_KILL_GRACE_MS + 3000);
    //  the grandchild is gone (give the kernel a moment: deadline, not sleep)
    int64_t deadline = heal_monotonic_ms () + 3000;
    while (s_pid_alive (pidfile) && heal_monotonic_ms () < deadline)
        usleep (10000);
    CHECK (!s_pid_alive (pidfile));
    command_result_free (&r);

    //  a leader that exits while a background child keeps the pipe open:
    //  we return at the leader's exit, not at the child's
    snprintf (pidfile, sizeof pidfile, "%s/bg.pid", dir);
    snprintf (cmd, sizeof cmd, "sleep 30 & echo $! > %s; echo done", pidfile);
    start = heal_monotonic_ms ();
    CHECK (command_run (cmd, PATH, 10000, 0, &r) == 0);
    took = heal_monotonic_ms () - start;
    CHECK (!r.timed_out && r.exit_code == 0 && streq (r.output, "done\n"));
    CHECK (took < 5000);
    command_result_free (&r);
    //  and that child, left behind by a check, was ended with its group
    CHECK (!s_pid_alive (pidfile));
    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
}

//  The pid in pidfile, or 0.
static pid_t
s_pid_read (const char *pidfile)
{
    size_t size;
    char *text = heal_read_file (pidfile, 64, &size);
    pid_t pid = text ? (pid_t) strtol (text, NULL, 10) : 0;
    free (text);
    return pid;
}

typedef struct {
    const char *cmd;
    command_result_t result;
    int rc;
    int64_t took;
} s_stop_run_t;

static void
s_test_with (void)
{
    //  The caller's environment, exactly; its input on stdin, larger than a
    //  pipe holds, while the output is read.
    signal (SIGPIPE, SIG_IGN);
    size_t size = 256 * 1024;
    char *input = malloc (size);
    CHECK (input);
    memset (input, 'x', size);
    const char *env [] = { "PATH=" PATH, "HEAL_TEST=one two", NULL };
    const char *argv [] = { "/bin/sh", "-c", "echo \"$HEAL_TEST\" ${HOME-unset}; wc -c", NULL };
    command_opts_t opts = { env, input, size };
    command_result_t r;
    CHECK (command_run_with (argv, PATH, 5000, 0, &opts, &r) == 0);
    CHECK (r.exit_code == 0 && !r.timed_out && r.output);
    CHECK (strncmp (r.output, "one two unset\n", 14) == 0
           && strtol (r.output + 14, NULL, 10) == 262144);
    command_result_free (&r);
    //  a child that does not read its input: no hang, no SIGPIPE for us
    const char *quick [] = { "/bin/sh", "-c", "exec 0<&-; echo done", NULL };
    CHECK (command_run_with (quick, PATH, 5000, 0, &opts, &r) == 0);
    CHECK (r.exit_code == 0 && !r.timed_out && streq (r.output, "done\n"));
    command_result_free (&r);
    free (input);
    signal (SIGPIPE, SIG_DFL);
    //  which: a bare name in PATH, a path, nothing
    char *sh = command_which ("sh", PATH);
    CHECK (sh && sh [0] == '/' && strstr (sh, "/sh"));
    free (sh);
    sh = command_which ("/bin/sh", NULL);
    CHECK (sh && streq (sh, "/bin/sh"));
    free (sh);
    CHECK (command_which ("no-such-command-heal", PATH) == NULL);
    CHECK (command_which ("/etc/passwd", PATH) == NULL);
}

static void *
s_stop_runner (void *arg)
{
    s_stop_run_t *run = (s_stop_run_t *) arg;
    int64_t start = heal_monotonic_ms ();
    run->rc = command_run (run->cmd, PATH, 30000, 0, &run->result);
    run->took = heal_monotonic_ms () - start;
    return NULL;
}

//  Checks leave nothing behind; remedies leave what they start running, in
//  their own session; stopping ends checks in flight, not remedies.
static void
s_test_roles (void)
{
    char dir [] = "/tmp/heal-test-role-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char cmd [1536], pidfile [256];
    command_result_t r;

    //  a check's background child that ignores TERM: KILLed after the grace
    snprintf (pidfile, sizeof pidfile, "%s/stubborn.pid", dir);
    snprintf (cmd, sizeof cmd,
              "sh -c 'trap \"\" TERM; echo $$ > %s.tmp; mv %s.tmp %s; "
              "while :; do sleep 1; done' >/dev/null 2>&1 & "
              "while [ ! -s %s ]; do sleep 0.01; done; echo done",
              pidfile, pidfile, pidfile, pidfile);
    int64_t start = heal_monotonic_ms ();
    CHECK (command_run (cmd, PATH, 10000, 0, &r) == 0);
    int64_t took = heal_monotonic_ms () - start;
    CHECK (r.exit_code == 0 && !r.timed_out && streq (r.output, "done\n"));
    CHECKF (took >= COMMAND_KILL_GRACE_MS && took < COMMAND_KILL_GRACE_MS + 3000,
            "took %lld ms", (long long) took);
    //  SIGKILL was sent; the kernel finishes it (deadline, not sleep)
    int64_t killed_by = heal_monotonic_ms () + 3000;
    while (s_pid_alive (pidfile) && heal_monotonic_ms () < killed_by)
        usleep (5000);
    CHECK (!s_pid_alive (pidfile));
    command_result_free (&r);

    //  a remedy's daemon outlives it, in a session of its own
    snprintf (pidfile, sizeof pidfile, "%s/daemon.pid", dir);
    snprintf (cmd, sizeof cmd, "sleep 30 >/dev/null 2>&1 & echo $! > %s; echo started",
              pidfile);
    CHECK (command_role_set (COMMAND_ROLE_REMEDY) == COMMAND_ROLE_CHECK);
    CHECK (command_run (cmd, PATH, 10000, 0, &r) == 0);
    CHECK (command_role_set (COMMAND_ROLE_CHECK) == COMMAND_ROLE_REMEDY);
    CHECK (r.exit_code == 0 && streq (r.output, "started\n"));
    command_result_free (&r);
    pid_t daemon = s_pid_read (pidfile);
    CHECK (daemon > 0 && s_pid_alive (pidfile));
    if (daemon > 0) {
        pid_t sid = getsid (daemon);
        CHECKF (sid > 0 && sid != getsid (0) && getpgid (daemon) == sid,
                "sid %d, ours %d, pgid %d", (int) sid, (int) getsid (0),
                (int) getpgid (daemon));
        kill (daemon, SIGKILL);
    }
    //  ...but a remedy past its timeout is still ended, its group with it
    snprintf (pidfile, sizeof pidfile, "%s/slow-remedy.pid", dir);
    snprintf (cmd, sizeof cmd, "sleep 30 & echo $! > %s; wait", pidfile);
    command_role_set (COMMAND_ROLE_REMEDY);
    CHECK (command_run (cmd, PATH, 300, 0, &r) == 0);
    command_role_set (COMMAND_ROLE_CHECK);
    CHECK (r.timed_out && !r.cancelled);
    command_result_free (&r);
    int64_t gone_by = heal_monotonic_ms () + 3000;
    while (s_pid_alive (pidfile) && heal_monotonic_ms () < gone_by)
        usleep (5000);
    CHECK (!s_pid_alive (pidfile));

    //  the agent stops: a check in flight ends at once, new ones are refused
    snprintf (pidfile, sizeof pidfile, "%s/inflight.pid", dir);
    snprintf (cmd, sizeof cmd, "echo $$ > %s.tmp; mv %s.tmp %s; sleep 30",
              pidfile, pidfile, pidfile);
    s_stop_run_t run = { cmd, { 0 }, -1, 0 };
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, s_stop_runner, &run) == 0);
    int64_t deadline = heal_monotonic_ms () + 5000;
    while (s_pid_read (pidfile) <= 0 && heal_monotonic_ms () < deadline)
        usleep (5000);
    CHECK (s_pid_alive (pidfile));
    command_stop_checks (true);
    pthread_join (thread, NULL);
    CHECK (run.rc == 0 && run.result.cancelled && !run.result.timed_out);
    CHECKF (run.took < 5000, "took %lld ms", (long long) run.took);
    CHECK (!s_pid_alive (pidfile));
    command_result_free (&run.result);
    errno = 0;
    CHECK (command_run ("true", PATH, 5000, 0, &r) == -1 && errno == ECANCELED);
    command_role_set (COMMAND_ROLE_REMEDY);
    CHECK (command_run ("true", PATH, 5000, 0, &r) == 0 && r.exit_code == 0);
    command_result_free (&r);
    command_role_set (COMMAND_ROLE_CHECK);
    command_stop_checks (false);
    CHECK (command_run ("true", PATH, 5000, 0, &r) == 0 && r.exit_code == 0);
    command_result_free (&r);

    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
}

static void
s_test_output_cap (void)
{
    command_result_t r;
    //  1 MiB of output with a 1000-byte cap: the child is never blocked
    CHECK (command_run ("head -c 1048576 /dev/zero | tr '\\0' x; echo; exit 4",
                        PATH, 10000, 1000, &r) == 0);
    CHECK (r.exit_code == 4 && !r.timed_out && r.truncated);
    CHECK (r.output_len == 1000 && strlen (r.output) == 1000);
    command_result_free (&r);
    //  0 = COMMAND_MAX_OUTPUT
    CHECK (command_run ("head -c 200000 /dev/zero | tr '\\0' y", PATH, 10000, 0, &r) == 0);
    CHECK (r.truncated && r.output_len == COMMAND_MAX_OUTPUT);
    command_result_free (&r);
    CHECK (command_run ("printf abc", PATH, 5000, 3, &r) == 0);
    CHECK (!r.truncated && streq (r.output, "abc"));
    command_result_free (&r);
}

static void
s_test_path (void)
{
    char dir [] = "/tmp/heal-test-path-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char tool [300], path [600];
    snprintf (tool, sizeof tool, "%s/heal-test-tool", dir);
    const char *script = "#!/bin/sh\necho \"tool $1 PATH=$PATH\"\n";
    CHECK (heal_write_atomic (tool, script, strlen (script), 0755) == 0);
    snprintf (path, sizeof path, "%s:" PATH, dir);
    char *parent_path = getenv ("PATH") ? strdup (getenv ("PATH")) : NULL;

    command_result_t r;
    CHECK (command_run ("heal-test-tool x", path, 5000, 0, &r) == 0);
    char want [800];
    snprintf (want, sizeof want, "tool x PATH=%s\n", path);
    CHECK (r.exit_code == 0 && streq (r.output, want));
    command_result_free (&r);
    //  not on the default PATH
    CHECK (command_run ("heal-test-tool x", PATH, 5000, 0, &r) == 0 && r.exit_code == 127);
    command_result_free (&r);

    //  argv form: looked up in the given PATH, no shell
    const char *argv [] = { "heal-test-tool", "a b;c", NULL };
    CHECK (command_run_argv (argv, path, 5000, 0, &r) == 0);
    snprintf (want, sizeof want, "tool a b;c PATH=%s\n", path);
    CHECK (r.exit_code == 0 && streq (r.output, want));
    command_result_free (&r);
    CHECK (command_run_argv (argv, PATH, 5000, 0, &r) == -1 && errno == ENOENT);
    const char *abs_argv [] = { "/bin/echo", "hi", NULL };
    CHECK (command_run_argv (abs_argv, NULL, 5000, 0, &r) == 0 && streq (r.output, "hi\n"));
    command_result_free (&r);
    const char *missing [] = { "/nonexistent/x", NULL };
    CHECK (command_run_argv (missing, PATH, 5000, 0, &r) == -1);
    //  a non-executable file is not a match
    CHECK (chmod (tool, 0644) == 0);
    CHECK (command_run_argv (argv, path, 5000, 0, &r) == -1 && errno == EACCES);

    //  the parent's environment is untouched
    const char *now = getenv ("PATH");
    CHECK ((now == NULL) == (parent_path == NULL));
    CHECK (!now || !parent_path || streq (now, parent_path));
    free (parent_path);
    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
}

//  Several threads at once, as the agent's workers do.
static void *
s_worker (void *arg)
{
    long id = (long) arg;
    int *failures = (int *) calloc (1, sizeof (int));
    for (int i = 0; i < 10; i++) {
        char cmd [64], want [64];
        snprintf (cmd, sizeof cmd, "echo %ld-%d; exit %d", id, i, (int) (id + i) % 5);
        snprintf (want, sizeof want, "%ld-%d\n", id, i);
        command_result_t r;
        if (command_run (cmd, PATH, 5000, 0, &r) != 0
        ||  r.exit_code != (int) (id + i) % 5 || !streq (r.output, want))
            (*failures)++;
        command_result_free (&r);
    }
    return failures;
}

static void
s_test_threads (void)
{
    pthread_t threads [6];
    for (long i = 0; i < 6; i++)
        CHECK (pthread_create (&threads [i], NULL, s_worker, (void *) i) == 0);
    for (int i = 0; i < 6; i++) {
        void *result = NULL;
        pthread_join (threads [i], &result);
        CHECK (result && *(int *) result == 0);
        free (result);
    }
}

int
main (void)
{
    s_test_exit_codes ();
    s_test_timeout ();
    s_test_roles ();
    s_test_output_cap ();
    s_test_path ();
    s_test_threads ();
    s_test_with ();
    if (s_failed) {
        fprintf (stderr, "test_command: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_command: ok\n");
    return 0;
}
