//  selftest — `heal-agent --selftest` (and `make selftest`): each platform
//  call heal depends on, run for real on the machine it runs on, one line per
//  fact with its raw values, so that the first run on a new Mac (or Linux
//  box) says what works instead of a bug report later. The facts are one
//  table; a fact that belongs to one platform names it (no #ifdef: what
//  differs is behind platform.h, or is a command such as launchctl).

#include "selftest.h"
#include "check_launchd.h"
#include "heal/command.h"
#include "kind_util.h"
#include "platform.h"
#include "heal/heal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define SELFTEST_PATH "/usr/bin:/bin:/usr/sbin:/sbin"

typedef enum { FACT_PASS, FACT_FAIL, FACT_SKIP } fact_status_t;

//  What the launchd facts share: the throwaway job.
typedef struct {
    FILE *out;
    char dir [64];              //  temp dir of the plist, "" none
    char plist [256];
    char domain [32];           //  gui/<uid>
    char target [128];          //  gui/<uid>/dev.heal.selftest.<pid>
    bool loaded;
    int64_t pid;                //  the job's pid, 0 unknown
} selftest_t;

typedef fact_status_t (s_fact_fn) (selftest_t *st, char *raw, size_t len);

typedef struct {
    const char *name;
    const char *platform;       //  NULL: every platform
    s_fact_fn *run;
} s_fact_t;

static int64_t
s_now_ms (void)
{
    return heal_monotonic_ms ();
}

//  Echo a command's output, indented, at most SELFTEST_MAX_ECHO lines: what
//  the operator sends back (print output drifts between macOS releases).
static void
s_echo (FILE *out, const command_result_t *res)
{
    if (!res->output)
        return;
    const char *p = res->output;
    for (int lines = 0; *p && lines < SELFTEST_MAX_ECHO; lines++) {
        const char *end = strchr (p, '\n');
        size_t n = end? (size_t) (end - p): strlen (p);
        fprintf (out, "     | %.*s\n", (int) n, p);
        p = end? end + 1: p + n;
    }
    if (*p)
        fprintf (out, "     | ...\n");
}

//  Run argv; returns its exit code, or -1 when it could not run (res freed
//  by the caller either way).
static int
s_run (const char *const *argv, command_result_t *res)
{
    memset (res, 0, sizeof *res);
    if (command_run_argv (argv, SELFTEST_PATH, SELFTEST_CMD_MS, COMMAND_MAX_OUTPUT, res))
        return -1;
    return res->timed_out? -1: res->exit_code;
}

//  A fact's verdict on what it measured (already in raw): FACT_FAIL with
//  " -- why" after it when bad, else FACT_PASS.
static fact_status_t
s_verdict (bool bad, char *raw, size_t len, const char *why)
{
    if (!bad)
        return FACT_PASS;
    kind_append (raw, len, " -- %s", why);
    return FACT_FAIL;
}

//  A child that waits for its stdin to close, with env; *write_fd holds the
//  other end.
static pid_t
s_spawn (int *write_fd, char *const env [])
{
    int fds [2];
    if (pipe (fds))
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        close (fds [1]);
        dup2 (fds [0], 0);
        char *const argv [] = { "cat", NULL };
        execve ("/bin/cat", argv, env);
        _exit (127);
    }
    close (fds [0]);
    *write_fd = fds [1];
    return pid;
}

//  Wait (bounded) until pid has exec'd argv0.
static bool
s_exec_seen (pid_t pid, const char *argv0)
{
    for (int64_t until = s_now_ms () + SELFTEST_WAIT_MS; s_now_ms () < until; ) {
        char args [256];
        size_t argc = 0;
        if (platform_proc_argv ((int) pid, args, sizeof args, &argc) == 0 && argc
        &&  strcmp (args, argv0) == 0)
            return true;
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep (&ts, NULL);
    }
    return false;
}


//  ---------------------------------------------------------------------------
//  Facts of every platform

static fact_status_t
s_fact_platform (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    struct utsname u;
    if (uname (&u))
        return FACT_FAIL;
    kind_append (raw, len, "%s %s %s %s, heal %s, translated %d", platform_name (), u.sysname,
           u.release, u.machine, HEAL_VERSION, platform_translated ());
    return FACT_PASS;
}

static fact_status_t
s_fact_fd_limit (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    struct rlimit limit;
    uint64_t before = 0, after = 0;
    if (getrlimit (RLIMIT_NOFILE, &limit)
    ||  platform_fd_limit_raise (PLATFORM_WANT_FDS, &before, &after)) {
        kind_append (raw, len, "cannot read RLIMIT_NOFILE: %s", strerror (errno));
        return FACT_FAIL;
    }
    kind_append (raw, len, "soft %llu -> %llu (hard %s%llu, want %d)",
           (unsigned long long) before, (unsigned long long) after,
           limit.rlim_max == RLIM_INFINITY? "unlimited ": "",
           (unsigned long long) (limit.rlim_max == RLIM_INFINITY? 0: limit.rlim_max),
           PLATFORM_WANT_FDS);
    return s_verdict (after < 1024, raw, len,
                      "below 1024: a few hundred checks will hit EMFILE");
}

//  A child's exit seen through the watch set's one fd, polled by zmq_poll as
//  the agent's loop does (libzmq must poll a kqueue fd on macOS).
static fact_status_t
s_fact_exit_watch (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    platform_watches_t *watches = platform_watches_new ();
    if (!watches) {
        kind_append (raw, len, "no watch set: %s", strerror (errno));
        return FACT_FAIL;
    }
    fact_status_t status = FACT_FAIL;
    char *const env [] = { "PATH=" SELFTEST_PATH, NULL };
    int write_fd = -1;
    pid_t child = s_spawn (&write_fd, env);
    if (child <= 0) {
        kind_append (raw, len, "cannot fork: %s", strerror (errno));
        goto done;
    }
    int rc = platform_watches_add (watches, (int) child);
    kind_append (raw, len, "watch fd %d, add pid %d -> %d", platform_watches_fd (watches),
           (int) child, rc);
    if (rc) {
        kind_append (raw, len, " (%s)", strerror (errno));
        close (write_fd);
        waitpid (child, NULL, 0);
        goto done;
    }
    zmq_pollitem_t item = { NULL, platform_watches_fd (watches), ZMQ_POLLIN, 0 };
    int early = zmq_poll (&item, 1, 0);
    int64_t began = s_now_ms ();
    close (write_fd);
    int polled = zmq_poll (&item, 1, SELFTEST_WAIT_MS);
    int64_t took = s_now_ms () - began;
    int next = platform_watches_next (watches);
    kind_append (raw, len, ", ready before exit %d, after %d in %lld ms, next = %d",
           early, polled, (long long) took, next);
    siginfo_t info;
    memset (&info, 0, sizeof info);
    waitid (P_PID, (id_t) child, &info, WEXITED | WNOWAIT);
    platform_proc_t proc;
    bool zombie = platform_proc_info ((int) child, &proc) == 0 && proc.zombie;
    waitpid (child, NULL, 0);
    //  Reaped: arming again must say gone (ESRCH), never "watching".
    errno = 0;
    int again = platform_watches_add (watches, (int) child);
    int code = errno;
    kind_append (raw, len, ", zombie seen %s, re-arm after reap -> %d (%s)",
           zombie? "yes": "no", again, again? strerror (code): "watching");
    if (early == 0 && polled == 1 && next == (int) child && zombie && again && code == ESRCH)
        status = FACT_PASS;
done:
    platform_watches_destroy (&watches);
    return status;
}

//  Stats of ourselves after burning CPU, against getrusage: CPU time under
//  Rosetta 2 was 41.7x too low.
static fact_status_t
s_fact_stats_self (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    struct timespec start, now;
    clock_gettime (CLOCK_MONOTONIC, &start);
    volatile uint64_t spin = 0;
    do {
        for (int i = 0; i < 100000; i++)
            spin += (uint64_t) i;
        clock_gettime (CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 300);
    platform_proc_stats_t stats;
    if (platform_proc_stats ((int) getpid (), &stats)) {
        kind_append (raw, len, "platform_proc_stats: %s", strerror (errno));
        return FACT_FAIL;
    }
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    int64_t rusage_ms = (int64_t) (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
                      + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
    double ratio = rusage_ms > 0? (double) stats.cpu_ms / (double) rusage_ms: 0;
    kind_append (raw, len, "pid %d cpu %llu ms (getrusage %lld ms, ratio %.2f), rss %llu, up %lld ms",
           (int) getpid (), (unsigned long long) stats.cpu_ms, (long long) rusage_ms, ratio,
           (unsigned long long) stats.rss_bytes, (long long) stats.uptime_ms);
    return s_verdict (ratio < 0.5 || ratio > 2.0 || stats.rss_bytes == 0, raw, len,
                      "cpu time disagrees with getrusage");
}

//  A child: name, argv, an environment variable (what tells launchd's jobs),
//  stats.
static fact_status_t
s_fact_stats_child (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    char *const env [] = { "PATH=" SELFTEST_PATH, "XPC_SERVICE_NAME=dev.heal.selftest", NULL };
    int write_fd = -1;
    pid_t child = s_spawn (&write_fd, env);
    if (child <= 0)
        return FACT_FAIL;
    bool exec_seen = s_exec_seen (child, "cat");
    platform_proc_t proc;
    platform_proc_stats_t stats;
    char value [64] = "";
    char args [64] = "";
    size_t argc = 0;
    int info_rc = platform_proc_info ((int) child, &proc);
    int stats_rc = platform_proc_stats ((int) child, &stats);
    int env_rc = platform_proc_getenv ((int) child, "XPC_SERVICE_NAME", value, sizeof value);
    int argv_rc = platform_proc_argv ((int) child, args, sizeof args, &argc);
    kind_append (raw, len, "pid %d exec %s, info %d (name '%s', ppid %d), argv %d (%zu: %s), "
           "env %d (%s), stats %d (rss %llu)", (int) child, exec_seen? "seen": "not seen",
           info_rc, info_rc? "": proc.name, info_rc? 0: proc.ppid, argv_rc, argc, args,
           env_rc, value, stats_rc, stats_rc? 0ULL: (unsigned long long) stats.rss_bytes);
    close (write_fd);
    waitpid (child, NULL, 0);
    bool ok = exec_seen && info_rc == 0 && streq (proc.name, "cat") && proc.ppid == (int) getpid ()
           && argv_rc == 0 && argc == 1 && env_rc == 0 && streq (value, "dev.heal.selftest")
           && stats_rc == 0;
    return ok? FACT_PASS: FACT_FAIL;
}

//  PID 1 (launchd / init): another user's process. What heal can see of it.
static fact_status_t
s_fact_other_user (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    platform_proc_t proc;
    if (platform_proc_info (1, &proc)) {
        kind_append (raw, len, "pid 1 not found: %s", strerror (errno));
        return FACT_FAIL;
    }
    platform_proc_stats_t stats;
    int stats_rc = platform_proc_stats (1, &stats);
    int code = errno;
    char args [128] = "";
    size_t argc = 0;
    int argv_rc = platform_proc_argv (1, args, sizeof args, &argc);
    int argv_code = errno;
    kind_append (raw, len, "pid 1 '%s' restricted %d name_short %d, stats %d (%s), argv %d (%s)",
           proc.name, proc.restricted, proc.name_short, stats_rc,
           stats_rc? strerror (code): "ok", argv_rc, argv_rc? strerror (argv_code): args);
    return FACT_PASS;           //  informational: what root-owned processes show
}

static fact_status_t
s_disk (const char *path, char *raw, size_t len)
{
    platform_disk_t disk;
    if (platform_disk_stats (path, &disk)) {
        kind_append (raw, len, "%s: %s", path, strerror (errno));
        return FACT_FAIL;
    }
    struct statvfs vfs;
    memset (&vfs, 0, sizeof vfs);
    statvfs (path, &vfs);
    kind_append (raw, len, "%s: %s total %llu avail %llu used %llu, inodes %llu free %llu%s "
           "(statvfs: frsize %lu blocks %llu bavail %llu files %llu favail %llu)",
           path, disk.fstype [0]? disk.fstype: "?", (unsigned long long) disk.total_bytes,
           (unsigned long long) disk.avail_bytes, (unsigned long long) disk.used_bytes,
           (unsigned long long) disk.inodes, (unsigned long long) disk.inodes_free,
           disk.inodes_synthetic? " synthetic": "", (unsigned long) vfs.f_frsize,
           (unsigned long long) vfs.f_blocks, (unsigned long long) vfs.f_bavail,
           (unsigned long long) vfs.f_files, (unsigned long long) vfs.f_favail);
    return disk.total_bytes > 0 && disk.avail_bytes <= disk.total_bytes? FACT_PASS: FACT_FAIL;
}

static fact_status_t
s_fact_disk_root (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    return s_disk ("/", raw, len);
}

static fact_status_t
s_fact_disk_home (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    const char *home = getenv ("HOME");
    if (!home || home [0] != '/') {
        kind_append (raw, len, "-- HOME not set");
        return FACT_SKIP;
    }
    return s_disk (home, raw, len);
}

//  The runtime dir: where healctl and the diagnoser look for the agent's
//  sockets. The same whatever the environment, short enough for sun_path.
static fact_status_t
s_fact_runtime_dir (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    char *dir = heal_runtime_dir ();
    if (!dir) {
        kind_append (raw, len, "heal_runtime_dir failed (TMPDIR=%s)",
               getenv ("TMPDIR")? getenv ("TMPDIR"): "(unset)");
        return FACT_FAIL;
    }
    struct sockaddr_un sun;
    size_t longest = strlen (dir) + strlen ("/bus-in");
    struct stat st_dir;
    int stat_rc = stat (dir, &st_dir);
    kind_append (raw, len, "%s (socket path %zu of %zu bytes), owner %d mode %03o, TMPDIR=%s",
           dir, longest, sizeof sun.sun_path - 1, stat_rc? -1: (int) st_dir.st_uid,
           stat_rc? 0: (unsigned) (st_dir.st_mode & 0777),
           getenv ("TMPDIR")? getenv ("TMPDIR"): "(unset)");
    bool ok = longest < sizeof sun.sun_path && stat_rc == 0 && st_dir.st_uid == geteuid ()
           && (st_dir.st_mode & 0077) == 0;
    free (dir);
    return ok? FACT_PASS: FACT_FAIL;
}


//  ---------------------------------------------------------------------------
//  launchd (macOS)

static fact_status_t
s_fact_launchd_domain (selftest_t *st, char *raw, size_t len)
{
    snprintf (st->domain, sizeof st->domain, "gui/%u", (unsigned) getuid ());
    const char *argv [] = { "launchctl", "print", st->domain, NULL };
    command_result_t res;
    int rc = s_run (argv, &res);
    kind_append (raw, len, "launchctl print %s -> %d (%zu bytes)", st->domain, rc, res.output_len);
    if (rc == LAUNCHD_EXIT_NO_DOMAIN)
        kind_append (raw, len, " -- no GUI domain: log in at the console (SSH alone has none)");
    command_result_free (&res);
    return rc == 0? FACT_PASS: FACT_FAIL;
}

//  Print the throwaway job into *job (parsed); echo when asked. Returns
//  print's exit code.
static int
s_print_job (selftest_t *st, launchd_job_t *job, bool echo)
{
    const char *argv [] = { "launchctl", "print", st->target, NULL };
    command_result_t res;
    int rc = s_run (argv, &res);
    launchd_job_clear (job);
    if (rc == 0)
        launchd_print_parse (res.output, res.output_len, job);
    if (echo)
        s_echo (st->out, &res);
    command_result_free (&res);
    return rc;
}

//  Poll print until the job runs with a pid other than not_pid.
static int64_t
s_wait_running (selftest_t *st, int64_t not_pid, launchd_job_t *job)
{
    for (int64_t until = s_now_ms () + SELFTEST_WAIT_MS; s_now_ms () < until; ) {
        if (s_print_job (st, job, false) == 0 && job->pid > 0 && job->pid != not_pid)
            return job->pid;
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep (&ts, NULL);
    }
    return 0;
}

static fact_status_t
s_fact_launchd_bootstrap (selftest_t *st, char *raw, size_t len)
{
    snprintf (st->dir, sizeof st->dir, "/tmp/heal-selftest-XXXXXX");
    if (!mkdtemp (st->dir)) {
        st->dir [0] = 0;
        return FACT_FAIL;
    }
    char label [64];
    snprintf (label, sizeof label, "dev.heal.selftest.%d", (int) getpid ());
    snprintf (st->plist, sizeof st->plist, "%s/%s.plist", st->dir, label);
    snprintf (st->target, sizeof st->target, "%s/%s", st->domain, label);
    FILE *file = fopen (st->plist, "w");
    if (!file)
        return FACT_FAIL;
    fprintf (file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
             "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
             "<plist version=\"1.0\"><dict>\n"
             "<key>Label</key><string>%s</string>\n"
             "<key>ProgramArguments</key><array><string>/bin/sleep</string>"
             "<string>600</string></array>\n"
             "<key>RunAtLoad</key><true/>\n"
             "<key>SoftResourceLimits</key><dict><key>NumberOfFiles</key>"
             "<integer>%d</integer></dict>\n"
             "</dict></plist>\n", label, PLATFORM_WANT_FDS);
    fclose (file);
    chmod (st->plist, 0644);
    const char *argv [] = { "launchctl", "bootstrap", st->domain, st->plist, NULL };
    command_result_t res;
    int rc = s_run (argv, &res);
    kind_append (raw, len, "launchctl bootstrap %s %s -> %d", st->domain, st->plist, rc);
    if (rc)
        s_echo (st->out, &res);
    command_result_free (&res);
    st->loaded = rc == 0;
    return rc == 0? FACT_PASS: FACT_FAIL;
}

static fact_status_t
s_fact_launchd_print (selftest_t *st, char *raw, size_t len)
{
    if (!st->loaded) {
        kind_append (raw, len, "-- the job did not load");
        return FACT_SKIP;
    }
    launchd_job_t job;
    memset (&job, 0, sizeof job);
    st->pid = s_wait_running (st, 0, &job);
    int rc = s_print_job (st, &job, true);      //  echoed: what this macOS prints
    kind_append (raw, len, "print %s -> %d: state %s, pid %lld, runs %lld, %zu fields, "
           "properties '%s'", st->target, rc, job.state? job.state: "(none)",
           (long long) job.pid, (long long) job.runs, job.fields,
           job.properties? job.properties: "");
    bool ok = rc == 0 && st->pid > 0 && job.state && streq (job.state, "running");
    launchd_job_clear (&job);
    return ok? FACT_PASS: FACT_FAIL;
}

//  kickstart -k: a new pid, and the old one's end is `Terminated: 15` (the
//  launchd kind does not count that as a crash).
static fact_status_t
s_fact_launchd_kickstart (selftest_t *st, char *raw, size_t len)
{
    if (!st->loaded || !st->pid) {
        kind_append (raw, len, "-- the job is not running");
        return FACT_SKIP;
    }
    const char *argv [] = { "launchctl", "kickstart", "-k", st->target, NULL };
    command_result_t res;
    int rc = s_run (argv, &res);
    command_result_free (&res);
    launchd_job_t job;
    memset (&job, 0, sizeof job);
    int64_t pid = s_wait_running (st, st->pid, &job);
    kind_append (raw, len, "kickstart -k -> %d, pid %lld -> %lld, runs %lld, last signal '%s', "
           "crashed %d", rc, (long long) st->pid, (long long) pid, (long long) job.runs,
           job.last_signal? job.last_signal: "", launchd_job_crashed (&job));
    bool ok = rc == 0 && pid > 0 && !launchd_job_crashed (&job);
    if (pid > 0)
        st->pid = pid;
    launchd_job_clear (&job);
    return ok? FACT_PASS: FACT_FAIL;
}

//  bootout: the job's process exits (seen through an exit watch), print 113.
static fact_status_t
s_fact_launchd_bootout (selftest_t *st, char *raw, size_t len)
{
    if (!st->loaded) {
        kind_append (raw, len, "-- the job did not load");
        return FACT_SKIP;
    }
    platform_watches_t *watches = platform_watches_new ();
    int watch_rc = st->pid > 0 && watches? platform_watches_add (watches, (int) st->pid): -1;
    const char *argv [] = { "launchctl", "bootout", st->target, NULL };
    command_result_t res;
    int rc = s_run (argv, &res);
    command_result_free (&res);
    int exited = 0;
    int64_t until = s_now_ms () + SELFTEST_WAIT_MS;
    while (watch_rc == 0 && !exited && s_now_ms () < until) {
        zmq_pollitem_t item = { NULL, platform_watches_fd (watches), ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long) (until - s_now_ms ())) > 0)
            exited = platform_watches_next (watches);
    }
    platform_watches_destroy (&watches);
    launchd_job_t job;
    memset (&job, 0, sizeof job);
    int prc = 0;
    for (until = s_now_ms () + SELFTEST_WAIT_MS; s_now_ms () < until; ) {
        prc = s_print_job (st, &job, false);
        if (prc == LAUNCHD_EXIT_NOT_FOUND)
            break;
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep (&ts, NULL);
    }
    launchd_job_clear (&job);
    kind_append (raw, len, "bootout -> %d, watch of pid %lld %d, exit seen %s, print -> %d",
           rc, (long long) st->pid, watch_rc, exited? "yes": "no", prc);
    st->loaded = prc != LAUNCHD_EXIT_NOT_FOUND;
    return rc == 0 && exited && prc == LAUNCHD_EXIT_NOT_FOUND? FACT_PASS: FACT_FAIL;
}


//  ---------------------------------------------------------------------------
//  systemd (Linux)

static fact_status_t
s_fact_systemd_user (selftest_t *st, char *raw, size_t len)
{
    (void) st;
    const char *argv [] = { "systemctl", "--user", "is-system-running", NULL };
    command_result_t res;
    int rc = s_run (argv, &res);
    char first [160] = "";
    if (res.output)
        snprintf (first, sizeof first, "%.*s", (int) strcspn (res.output, "\n"), res.output);
    command_result_free (&res);
    kind_append (raw, len, "systemctl --user is-system-running -> %d (%s)", rc, first);
    if (rc == 127 || rc < 0) {
        kind_append (raw, len, " -- no systemctl here");
        return FACT_SKIP;
    }
    //  A user manager answers its state (running 0; degraded, starting...
    //  1). "offline" or "Failed to connect to bus": none (containers, no
    //  login session): the systemd kind cannot work here.
    static const char *const states [] = {
        "running", "degraded", "starting", "initializing", "maintenance", "stopping", NULL
    };
    for (size_t i = 0; states [i]; i++)
        if ((rc == 0 || rc == 1) && streq (first, states [i]))
            return FACT_PASS;
    kind_append (raw, len, " -- no systemd user manager reachable");
    return FACT_SKIP;
}


static const s_fact_t s_facts [] = {
    { "platform",          NULL,     s_fact_platform },
    { "fd_limit",          NULL,     s_fact_fd_limit },
    { "exit_watch",        NULL,     s_fact_exit_watch },
    { "stats_self",        NULL,     s_fact_stats_self },
    { "stats_child",       NULL,     s_fact_stats_child },
    { "other_user",        NULL,     s_fact_other_user },
    { "disk_root",         NULL,     s_fact_disk_root },
    { "disk_home",         NULL,     s_fact_disk_home },
    { "runtime_dir",       NULL,     s_fact_runtime_dir },
    { "launchd_domain",    "darwin", s_fact_launchd_domain },
    { "launchd_bootstrap", "darwin", s_fact_launchd_bootstrap },
    { "launchd_print",     "darwin", s_fact_launchd_print },
    { "launchd_kickstart", "darwin", s_fact_launchd_kickstart },
    { "launchd_bootout",   "darwin", s_fact_launchd_bootout },
    { "systemd_user",      "linux",  s_fact_systemd_user },
    { NULL, NULL, NULL }
};

int
selftest_run (FILE *out)
{
    selftest_t st;
    memset (&st, 0, sizeof st);
    st.out = out;
    int counts [3] = { 0, 0, 0 };
    static const char *const words [] = { "pass", "FAIL", "skip" };
    fprintf (out, "heal-agent --selftest on %s\n", platform_name ());
    fflush (out);
    for (size_t i = 0; s_facts [i].name; i++) {
        const s_fact_t *fact = &s_facts [i];
        if (fact->platform && !streq (fact->platform, platform_name ()))
            continue;
        char raw [SELFTEST_MAX_RAW] = "";
        fact_status_t status = fact->run (&st, raw, sizeof raw);
        counts [status]++;
        fprintf (out, "%s %-18s %s\n", words [status], fact->name, raw);
        fflush (out);
    }
    //  Never leave the throwaway job behind.
    if (st.loaded) {
        const char *argv [] = { "launchctl", "bootout", st.target, NULL };
        command_result_t res;
        s_run (argv, &res);
        command_result_free (&res);
    }
    if (st.plist [0])
        unlink (st.plist);
    if (st.dir [0])
        rmdir (st.dir);
    fprintf (out, "selftest: %d passed, %d failed, %d skipped\n",
             counts [FACT_PASS], counts [FACT_FAIL], counts [FACT_SKIP]);
    return counts [FACT_FAIL]? 1: 0;
}
