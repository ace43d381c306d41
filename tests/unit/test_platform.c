//  test_platform — the platform layer on real processes: ourselves, a child
//  that we keep as a zombie, a child we watch exit.

#include "platform.h"

#include <stdbool.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"



//  A child blocked reading a pipe: it exits when we close the write end.
static pid_t
s_spawn_waiter (int *write_fd)
{
    int fds [2];
    if (pipe (fds))
        return -1;
    pid_t pid = fork ();
    if (pid == 0) {
        close (fds [1]);
        char byte;
        while (read (fds [0], &byte, 1) < 0 && errno == EINTR)
            ;
        _exit (0);
    }
    close (fds [0]);
    *write_fd = fds [1];
    return pid;
}

static void
s_test_self (int argc, char **argv)
{
    platform_proc_t info;
    CHECK (platform_proc_info ((int) getpid (), &info) == 0);
    CHECK (info.pid == (int) getpid ());
    CHECK (info.ppid == (int) getppid ());
    CHECK (!info.zombie);
    CHECK (info.start_time != 0);
    CHECK (info.name [0] != 0);
    const char *base = strrchr (argv [0], '/');
    base = base ? base + 1 : argv [0];
    CHECK (strncmp (info.name, base, strlen (info.name)) == 0);

    CHECK (platform_proc_alive ((int) getpid (), 0));
    CHECK (platform_proc_alive ((int) getpid (), info.start_time));
    CHECK (!platform_proc_alive ((int) getpid (), info.start_time + 1));
    CHECK (!platform_proc_alive (0, 0));
    CHECK (!platform_proc_alive (-5, 0));
    CHECK (platform_proc_info (0, &info) == -1);

    //  Our command line: argv joined by spaces.
    char expect [PLATFORM_MAX_CMDLINE] = "";
    size_t used = 0;
    for (int i = 0; i < argc && used + 1 < sizeof expect; i++) {
        int n = snprintf (expect + used, sizeof expect - used, "%s%s",
                          i ? " " : "", argv [i]);
        if (n < 0)
            break;
        used += (size_t) n;
    }
    char cmdline [PLATFORM_MAX_CMDLINE];
    CHECK (platform_proc_cmdline ((int) getpid (), cmdline, sizeof cmdline) == 0);
    CHECK (strcmp (cmdline, expect) == 0);
    //  Truncation keeps a NUL.
    char small [5];
    CHECK (platform_proc_cmdline ((int) getpid (), small, sizeof small) == 0);
    CHECK (strlen (small) <= 4);
    CHECK (strncmp (small, expect, strlen (small)) == 0);

    platform_proc_stats_t stats;
    CHECK (platform_proc_stats ((int) getpid (), &stats) == 0);
    CHECK (stats.uptime_ms >= 0);
    CHECK (stats.uptime_ms < 24LL * 3600 * 1000 * 365);
    CHECK (stats.rss_bytes > 0);
}

static void
s_test_list_and_zombie (void)
{
    int write_fd = -1;
    pid_t child = s_spawn_waiter (&write_fd);
    CHECK (child > 0);
    if (child <= 0)
        return;
    platform_proc_t info;
    CHECK (platform_proc_info ((int) child, &info) == 0);
    CHECK (info.ppid == (int) getpid ());
    CHECK (!info.zombie);
    uint64_t start = info.start_time;
    CHECK (platform_proc_alive ((int) child, start));

    int *pids = NULL;
    size_t count = 0;
    CHECK (platform_proc_list (&pids, &count) == 0);
    bool have_self = false, have_child = false;
    for (size_t i = 0; i < count; i++) {
        if (pids [i] == (int) getpid ())
            have_self = true;
        if (pids [i] == (int) child)
            have_child = true;
    }
    free (pids);
    CHECK (have_self);
    CHECK (have_child);
    CHECK (count > 2);

    //  The exit watch set: not readable while the child lives, readable when
    //  it exits (it then stays a zombie: WNOWAIT does not reap). Two callers
    //  watch the same pid: one entry, counted.
    platform_watches_t *watches = platform_watches_new ();
    CHECK (watches != NULL);
    int fd = platform_watches_fd (watches);
    CHECK (fd >= 0);
    CHECK (platform_watches_add (watches, (int) child) == 0);
    CHECK (platform_watches_add (watches, (int) child) == 0);
    CHECK (platform_watches_add (watches, (int) getpid ()) == 0);
    CHECK (platform_watches_count (watches) == 2);
    platform_watches_remove (watches, (int) child);
    CHECK (platform_watches_count (watches) == 2);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    CHECK (poll (&pfd, 1, 0) == 0);
    CHECK (platform_watches_next (watches) == 0);
    close (write_fd);
    CHECK (poll (&pfd, 1, 10000) == 1);
    CHECK (platform_watches_next (watches) == (int) child);
    CHECK (platform_watches_next (watches) == 0);
    CHECK (platform_watches_count (watches) == 1);       //  ourselves still
    platform_watches_remove (watches, (int) child);     //  already dropped: ignored
    CHECK (platform_watches_count (watches) == 1);
    //  A zombie (not reaped yet) is watched, and polls readable at once, or is
    //  refused as gone: both lead the agent to run the check again now.
    int rc = platform_watches_add (watches, (int) child);
    CHECK (rc == 0 || errno == ESRCH);
    if (rc == 0) {
        CHECK (poll (&pfd, 1, 10000) == 1);
        CHECK (platform_watches_next (watches) == (int) child);
    }
    platform_watches_destroy (&watches);
    CHECK (watches == NULL);
    platform_watches_destroy (&watches);
    siginfo_t si;
    memset (&si, 0, sizeof si);
    CHECK (waitid (P_PID, (id_t) child, &si, WEXITED | WNOWAIT) == 0);
    //  A zombie exists but is dead.
    CHECK (platform_proc_info ((int) child, &info) == 0);
    CHECK (info.zombie);
    CHECK (info.start_time == start);
    CHECK (!platform_proc_alive ((int) child, 0));
    CHECK (!platform_proc_alive ((int) child, start));

    //  Reaped: gone.
    int status;
    CHECK (waitpid (child, &status, 0) == child);
    CHECK (platform_proc_info ((int) child, &info) == -1);
    CHECK (!platform_proc_alive ((int) child, 0));
    watches = platform_watches_new ();
    CHECK (platform_watches_add (watches, (int) child) == -1);
    CHECK (errno == ESRCH);
    CHECK (platform_watches_count (watches) == 0);
    platform_watches_destroy (&watches);
    char cmdline [64];
    CHECK (platform_proc_cmdline ((int) child, cmdline, sizeof cmdline) == -1);
}

//  A child whose main thread has exited (pthread_exit) while another thread
//  runs: its main thread is a zombie, the process is alive.
static pthread_t s_main_thread;
static int s_ready_fd = -1, s_hold_fd = -1;

static void *
s_survivor (void *arg)
{
    (void) arg;
    pthread_join (s_main_thread, NULL);     //  the main thread is gone
    char byte = 1;
    if (write (s_ready_fd, &byte, 1) != 1)
        _exit (2);
    while (read (s_hold_fd, &byte, 1) < 0 && errno == EINTR)
        ;
    _exit (0);
}

static void
s_test_main_thread_exited (void)
{
    int ready [2], hold [2];
    if (pipe (ready) || pipe (hold)) {
        CHECK (!"pipe");
        return;
    }
    pid_t child = fork ();
    if (child == 0) {
        close (ready [0]);
        close (hold [1]);
        s_ready_fd = ready [1];
        s_hold_fd = hold [0];
        s_main_thread = pthread_self ();
        pthread_t thread;
        if (pthread_create (&thread, NULL, s_survivor, NULL))
            _exit (3);
        pthread_exit (NULL);
    }
    close (ready [1]);
    close (hold [0]);
    char byte = 0;
    struct pollfd pfd = { .fd = ready [0], .events = POLLIN };
    CHECK (poll (&pfd, 1, 10000) == 1);
    CHECK (read (ready [0], &byte, 1) == 1);
    platform_proc_t info;
    CHECK (platform_proc_info ((int) child, &info) == 0);
    CHECK (!info.zombie);
    CHECK (platform_proc_alive ((int) child, 0));
    //  Let it go: now it is dead.
    close (hold [1]);
    siginfo_t si;
    memset (&si, 0, sizeof si);
    CHECK (waitid (P_PID, (id_t) child, &si, WEXITED | WNOWAIT) == 0);
    CHECK (!platform_proc_alive ((int) child, 0));
    waitpid (child, NULL, 0);
    close (ready [0]);
}

//  argv, another process's environment, the descriptor limit, disk figures.
static void
s_test_argv_env_limits (int argc, char **argv)
{
    char args [PLATFORM_MAX_CMDLINE];
    size_t count = 0;
    CHECK (platform_proc_argv ((int) getpid (), args, sizeof args, &count) == 0);
    CHECK (count == (size_t) argc);
    CHECK (strcmp (args, argv [0]) == 0);
    //  Too small for the first argument: no argument, still a string.
    CHECK (platform_proc_argv ((int) getpid (), args, 3, &count) == 0);
    CHECK (count == 0 || strlen (args) < 3);

    //  A child with a launchd-style environment.
    int fds [2];
    CHECK (pipe (fds) == 0);
    pid_t child = fork ();
    if (child == 0) {
        close (fds [1]);
        char *const child_argv [] = { "sleep", "30", NULL };
        char *const child_env [] = { "A=1", "XPC_SERVICE_NAME=homebrew.mxcl.redis", NULL };
        dup2 (fds [0], 0);
        execve ("/bin/sleep", child_argv, child_env);
        _exit (127);
    }
    close (fds [0]);
    //  Wait (with a deadline) until the exec has happened: argv[0] is sleep.
    bool exec_seen = false;
    for (int i = 0; i < 1000 && !exec_seen; i++) {
        if (platform_proc_argv ((int) child, args, sizeof args, &count) == 0
        &&  count == 2 && strcmp (args, "sleep") == 0)
            exec_seen = true;
        else
            usleep (10000);
    }
    CHECK (exec_seen);
    CHECK (strcmp (args + strlen (args) + 1, "30") == 0);
    char value [64];
    CHECK (platform_proc_getenv ((int) child, "XPC_SERVICE_NAME", value, sizeof value) == 0);
    CHECK (strcmp (value, "homebrew.mxcl.redis") == 0);
    CHECK (platform_proc_getenv ((int) child, "A", value, sizeof value) == 0);
    CHECK (strcmp (value, "1") == 0);
    CHECK (platform_proc_getenv ((int) child, "XPC_SERVICE", value, sizeof value) == -1);
    CHECK (errno == ENOENT);
    char small [5];
    CHECK (platform_proc_getenv ((int) child, "XPC_SERVICE_NAME", small, sizeof small) == 0);
    CHECK (strcmp (small, "home") == 0);
    kill (child, SIGKILL);
    waitpid (child, NULL, 0);
    close (fds [1]);
    CHECK (platform_proc_getenv ((int) child, "A", value, sizeof value) == -1);
    CHECK (errno == ESRCH);
    platform_proc_stats_t stats;
    CHECK (platform_proc_stats ((int) child, &stats) == -1);
    CHECK (errno == ESRCH);

    //  The soft descriptor limit: lowered here, raised back, never lowered.
    struct rlimit limit;
    CHECK (getrlimit (RLIMIT_NOFILE, &limit) == 0);
    struct rlimit low = limit;
    low.rlim_cur = 256;
    CHECK (setrlimit (RLIMIT_NOFILE, &low) == 0);
    uint64_t before = 0, after = 0;
    CHECK (platform_fd_limit_raise (1024, &before, &after) == 0);
    CHECK (before == 256);
    CHECK (after == (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < 1024
                     ? (uint64_t) limit.rlim_max: 1024));
    CHECK (platform_fd_limit_raise (512, &before, &after) == 0);
    CHECK (before == after);
    CHECK (setrlimit (RLIMIT_NOFILE, &limit) == 0);

    //  Gone, alive, or cannot tell: out of descriptors, Linux cannot read
    //  /proc; the agent must not read that as "gone" (it would rerun the
    //  check in a loop).
    platform_proc_t self_info;
    CHECK (platform_proc_info ((int) getpid (), &self_info) == 0);
    CHECK (platform_proc_gone ((int) getpid (), 0) == 0);
    CHECK (platform_proc_gone ((int) getpid (), self_info.start_time) == 0);
    CHECK (platform_proc_gone ((int) getpid (), self_info.start_time + 1) == 1);
    CHECK (platform_proc_gone ((int) child, 0) == 1);
    int spare [64];
    int held = 0;
    struct rlimit tight = limit;
    tight.rlim_cur = 16;
    CHECK (setrlimit (RLIMIT_NOFILE, &tight) == 0);
    while (held < 64 && (spare [held] = dup (0)) >= 0)
        held++;
    int gone = platform_proc_gone ((int) getpid (), 0);
    bool proc_needs_fd = strcmp (platform_name (), "linux") == 0;
    while (held > 0)
        close (spare [--held]);
    CHECK (setrlimit (RLIMIT_NOFILE, &limit) == 0);
    CHECK (gone == (proc_needs_fd? -1: 0));

    platform_disk_t disk;
    CHECK (platform_disk_stats ("/", &disk) == 0);
    CHECK (disk.total_bytes > 0);
    CHECK (disk.avail_bytes <= disk.total_bytes);
    CHECK (disk.used_bytes <= disk.total_bytes);
    CHECK (disk.inodes_free <= disk.inodes);
    CHECK (platform_disk_inodes_checkable (&disk) == (disk.inodes > 0));
    //  APFS: counts made up from free space are never checked; no counts
    //  (btrfs) neither.
    platform_disk_t apfs = { .total_bytes = 1, .inodes = 4000000000u,
                             .inodes_free = 10, .inodes_synthetic = true, .fstype = "apfs" };
    CHECK (!platform_disk_inodes_checkable (&apfs));
    apfs.inodes_synthetic = false;
    CHECK (platform_disk_inodes_checkable (&apfs));
    apfs.inodes = 0;
    CHECK (!platform_disk_inodes_checkable (&apfs));
    CHECK (platform_disk_stats ("/no/such/dir", &disk) == -1);
    CHECK (errno == ENOENT);
}

int
main (int argc, char **argv)
{
    const char *name = platform_name ();
    CHECK (strcmp (name, "linux") == 0 || strcmp (name, "darwin") == 0);
    s_test_self (argc, argv);
    s_test_list_and_zombie ();
    s_test_main_thread_exited ();
    s_test_argv_env_limits (argc, argv);
    if (s_failed) {
        fprintf (stderr, "test_platform: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_platform: ok\n");
    return 0;
}
