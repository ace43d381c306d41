//  command — run a command from the config (heal/command.h).
//
//  posix_spawn, not fork: the agent is multi-threaded, and posix_spawn is the
//  one way to start a child that is safe there and cheap on both Linux and
//  macOS. The child gets its own process group (a check: POSIX_SPAWN_SETPGROUP;
//  a remedy: its own session, POSIX_SPAWN_SETSID, so a terminal's hangup or a
//  supervisor's kill of heal's process group never reaches what it started),
//  an empty signal mask and default dispositions, stdin from /dev/null (or a
//  pipe fed with the caller's input), stdout and stderr into one pipe, and an
//  environment whose PATH is the config's (or the caller's environment).
//  Every descriptor heal opens is close-on-exec, so the child inherits only
//  0, 1 and 2.
//
//  Waiting never uses SIGCHLD: several worker threads run commands at once,
//  each waits for its own pid. waitid (WNOWAIT) tells us the leader exited
//  without reaping it, so on a timeout the whole group can be killed while
//  the leader's pid, and with it the group id, cannot be reused.
//
//  A check's leftovers: when its leader exits, the group gets SIGTERM while
//  the leader is still unreaped; then the leader is reaped and the group is
//  probed (kill 0) until it is empty or the grace ends, then SIGKILL. After
//  the reap the group id stays ours while any member lives (POSIX: a group id
//  is not reused until the group's lifetime ends); only in the instant the
//  last member exits between the probe and the KILL could the id be freed,
//  and it would have to be reused by a new group leader in that instant.

//  pipe2 (atomic close-on-exec pipes) is a GNU extension in glibc's headers.
#if defined (__linux__) && !defined (_GNU_SOURCE)
#   define _GNU_SOURCE
#endif

#include "heal/command.h"
#include "heal/util.h"
#include "heal/config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static _Thread_local command_role_t s_role = COMMAND_ROLE_CHECK;
static atomic_bool s_checks_stopped;    //  the agent is stopping: end checks

command_role_t
command_role_set (command_role_t role)
{
    command_role_t previous = s_role;
    s_role = role;
    return previous;
}

void
command_stop_checks (bool stopping)
{
    atomic_store (&s_checks_stopped, stopping);
}

static bool
s_stopped (bool check)
{
    return check && atomic_load (&s_checks_stopped);
}

#define COMMAND_READ_CHUNK   4096
#define COMMAND_MAX_ENV      1024        //  environment entries passed on
#define COMMAND_MAX_PATH     4096        //  bytes of a resolved program path

//  Move fd above 2 (so dup2 onto 0..2 in the child is never a no-op that keeps
//  FD_CLOEXEC) and make sure it is close-on-exec. Returns the fd or -1.
static int
s_fd_high_cloexec (int fd)
{
    if (fd < 0)
        return -1;
    if (fd <= 2) {
        int high = fcntl (fd, F_DUPFD_CLOEXEC, 3);
        int saved = errno;
        close (fd);
        errno = saved;
        return high;
    }
    if (fcntl (fd, F_SETFD, FD_CLOEXEC) < 0) {
        int saved = errno;
        close (fd);
        errno = saved;
        return -1;
    }
    return fd;
}

//  A close-on-exec pipe. Linux creates it atomically (pipe2); elsewhere there
//  is a short window in which another thread's child could inherit it.
static int
s_pipe_cloexec (int fds [2])
{
#if defined (__linux__)
    if (pipe2 (fds, O_CLOEXEC))
        return -1;
#else
    if (pipe (fds))
        return -1;
#endif
    fds [0] = s_fd_high_cloexec (fds [0]);
    fds [1] = s_fd_high_cloexec (fds [1]);
    if (fds [0] < 0 || fds [1] < 0) {
        if (fds [0] >= 0)
            close (fds [0]);
        if (fds [1] >= 0)
            close (fds [1]);
        return -1;
    }
    return 0;
}

//  The parent's environment with PATH replaced. Caller frees the array and
//  the one string it allocated (*path_entry).
static char **
s_environment (const char *path, char **path_entry)
{
    size_t count = 0;
    while (environ && environ [count] && count < COMMAND_MAX_ENV)
        count++;
    char **envp = (char **) calloc (count + 2, sizeof (char *));
    if (!envp)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp (environ [i], "PATH=", 5) != 0)
            envp [n++] = environ [i];
    size_t len = strlen (path) + 6;
    *path_entry = (char *) malloc (len);
    if (!*path_entry) {
        free (envp);
        return NULL;
    }
    snprintf (*path_entry, len, "PATH=%s", path);
    envp [n++] = *path_entry;
    envp [n] = NULL;
    return envp;
}

//  Find program in path (like execvp, without touching our own environment).
//  Returns 0 with the full path in out, or -1 (errno ENOENT or EACCES).
static int
s_lookup (const char *program, const char *path, char *out, size_t outlen)
{
    if (!program || !*program) {
        errno = ENOENT;
        return -1;
    }
    if (strchr (program, '/')) {
        if ((size_t) snprintf (out, outlen, "%s", program) >= outlen) {
            errno = ENAMETOOLONG;
            return -1;
        }
        return 0;
    }
    int failure = ENOENT;
    const char *p = path;
    while (*p) {
        const char *colon = strchr (p, ':');
        size_t dirlen = colon ? (size_t) (colon - p) : strlen (p);
        if (dirlen > 0 && dirlen < outlen) {
            int n = snprintf (out, outlen, "%.*s/%s", (int) dirlen, p, program);
            struct stat st;
            if (n > 0 && (size_t) n < outlen && stat (out, &st) == 0
            &&  S_ISREG (st.st_mode)) {
                if (access (out, X_OK) == 0)
                    return 0;
                failure = EACCES;
            }
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    errno = failure;
    return -1;
}

//  Has pid exited? Does not reap it (WNOWAIT). ECHILD (someone else reaped
//  it, or SIGCHLD is ignored) counts as exited.
static bool
s_exited (pid_t pid)
{
    siginfo_t info;
    memset (&info, 0, sizeof info);
    if (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno == ECHILD;
    return info.si_pid == pid;
}

//  Collected output, bounded.
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool truncated;
} output_t;

//  Read what is available on fd (non-blocking). Returns 1 at EOF, 0 otherwise.
static int
s_drain (int fd, output_t *output)
{
    char chunk [COMMAND_READ_CHUNK];
    while (true) {
        ssize_t n = read (fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
        }
        if (n == 0)
            return 1;
        size_t room = output->cap - output->len;
        size_t take = (size_t) n < room ? (size_t) n : room;
        memcpy (output->data + output->len, chunk, take);
        output->len += take;
        if (take < (size_t) n)
            output->truncated = true;      //  keep reading: the child must not block
    }
}

//  What is left to write to the child's stdin (fd -1: nothing, or closed).
typedef struct {
    int fd;
    const char *data;
    size_t left;
} input_t;

//  Write what the pipe takes now (non-blocking); close it when all is written
//  or the child cannot take more (EPIPE: it does not read its input; fine).
static void
s_feed (input_t *input)
{
    ssize_t n = write (input->fd, input->data, input->left);
    if (n > 0) {
        input->data += n;
        input->left -= (size_t) n;
    }
    if ((n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    ||  input->left == 0) {
        close (input->fd);
        input->fd = -1;
    }
}

//  Wait for at most ms for fd to be readable (fd -1: output closed) or the
//  input to take more; drain the one, feed the other. Returns 1 at EOF.
static int
s_read_for (int fd, output_t *output, input_t *input, int64_t ms)
{
    struct pollfd pfd [2] = { { .fd = fd, .events = POLLIN },
                              { .fd = input->fd, .events = POLLOUT } };
    bool none = fd < 0 && input->fd < 0;
    int rc = poll (none ? NULL : pfd, none ? 0 : 2, (int) (ms < 0 ? 0 : ms));
    if (rc > 0 && input->fd >= 0 && pfd [1].revents)
        s_feed (input);
    if (rc > 0 && fd >= 0 && pfd [0].revents)
        return s_drain (fd, output);
    return 0;
}

//  A check's leader has exited and is reaped; the rest of its group got
//  SIGTERM before the reap (see the top). Wait for the group to empty for at
//  most the grace, then KILL what is left.
static void
s_group_end (pid_t pgid)
{
    int64_t grace_end = heal_monotonic_ms () + COMMAND_KILL_GRACE_MS;
    int64_t nap = 1;
    while (kill (-pgid, 0) == 0 || errno == EPERM) {
        int64_t left = grace_end - heal_monotonic_ms ();
        if (left <= 0) {
            kill (-pgid, SIGKILL);
            return;
        }
        poll (NULL, 0, (int) (nap < left ? nap : left));
        if (nap < COMMAND_POLL_MS)
            nap *= 2;
    }
}

//  Spawn, collect, wait. argv [0] is a full path.
static int
s_run (const char *program, char *const argv [], const char *path, int64_t timeout_ms,
       size_t max_output, const command_opts_t *opts, command_result_t *out)
{
    memset (out, 0, sizeof *out);
    if (!path || !*path)
        path = CONFIG_DEFAULT_PATH;
    if (max_output == 0 || max_output > COMMAND_MAX_OUTPUT)
        max_output = COMMAND_MAX_OUTPUT;
    if (timeout_ms <= 0)
        timeout_ms = CONFIG_DEFAULT_TIMEOUT_MS;

    int64_t start = heal_monotonic_ms ();
    bool check = s_role == COMMAND_ROLE_CHECK;
    if (s_stopped (check)) {
        out->duration_ms = 0;
        errno = ECANCELED;
        return -1;
    }
    int rc = -1, saved = 0;
    int fds [2] = { -1, -1 };
    int stdin_fd = -1;
    int in [2] = { -1, -1 };
    input_t input = { -1, opts ? opts->input : NULL, opts ? opts->input_len : 0 };
    char *path_entry = NULL;
    char **envp = NULL;
    bool attr_ready = false, actions_ready = false;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    output_t output = { NULL, 0, max_output, false };

    output.data = (char *) malloc (max_output + 1);
    envp = opts && opts->envp ? (char **) opts->envp : s_environment (path, &path_entry);
    if (!output.data || !envp) {
        saved = ENOMEM;
        goto cleanup;
    }
    if (input.data && input.left) {
        if (s_pipe_cloexec (in)) {
            saved = errno;
            goto cleanup;
        }
        stdin_fd = in [0];          //  the input pipe's read end
        in [0] = -1;
    }
    else
        stdin_fd = s_fd_high_cloexec (open ("/dev/null", O_RDONLY | O_CLOEXEC));
    if (stdin_fd < 0 || s_pipe_cloexec (fds)) {
        saved = errno;
        goto cleanup;
    }
    if ((saved = posix_spawnattr_init (&attr)))
        goto cleanup;
    attr_ready = true;
    sigset_t mask, defaults;
    sigemptyset (&mask);
    sigemptyset (&defaults);
    const int signals [] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD,
                             SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU };
    for (size_t i = 0; i < sizeof signals / sizeof signals [0]; i++)
        sigaddset (&defaults, signals [i]);
    //  A new session makes the child the leader of a new group too (pgid =
    //  pid), so the timeout's kill (-pid) works for both roles.
    short group = check ? POSIX_SPAWN_SETPGROUP : POSIX_SPAWN_SETSID;
    if ((saved = posix_spawnattr_setflags (&attr, group
                                          | POSIX_SPAWN_SETSIGMASK
                                          | POSIX_SPAWN_SETSIGDEF))
    ||  (check && (saved = posix_spawnattr_setpgroup (&attr, 0)))
    ||  (saved = posix_spawnattr_setsigmask (&attr, &mask))
    ||  (saved = posix_spawnattr_setsigdefault (&attr, &defaults)))
        goto cleanup;
    if ((saved = posix_spawn_file_actions_init (&actions)))
        goto cleanup;
    actions_ready = true;
    if ((saved = posix_spawn_file_actions_adddup2 (&actions, stdin_fd, 0))
    ||  (saved = posix_spawn_file_actions_adddup2 (&actions, fds [1], 1))
    ||  (saved = posix_spawn_file_actions_adddup2 (&actions, fds [1], 2)))
        goto cleanup;

    pid_t pid;
    if ((saved = posix_spawn (&pid, program, &actions, &attr, argv, envp)))
        goto cleanup;
    close (fds [1]);
    fds [1] = -1;
    close (stdin_fd);
    stdin_fd = -1;
    int flags = fcntl (fds [0], F_GETFL);
    if (flags >= 0)
        fcntl (fds [0], F_SETFL, flags | O_NONBLOCK);
    if (in [1] >= 0) {
        flags = fcntl (in [1], F_GETFL);
        if (flags >= 0)
            fcntl (in [1], F_SETFL, flags | O_NONBLOCK);
        input.fd = in [1];
        in [1] = -1;
    }

    //  Collect output until the leader exits or the deadline passes. EOF
    //  alone is not the end: a background grandchild may hold the pipe.
    int64_t deadline = start + timeout_ms;
    bool eof = false, exited = false, cancelled = false;
    int64_t nap = 1;
    while (!exited) {
        int64_t now = heal_monotonic_ms ();
        if (now >= deadline)
            break;
        if (s_stopped (check)) {
            cancelled = true;
            break;
        }
        int64_t wait = deadline - now;
        if (!eof) {
            if (wait > COMMAND_POLL_MS)
                wait = COMMAND_POLL_MS;
            eof = s_read_for (fds [0], &output, &input, wait) == 1;
        }
        else {
            //  output closed: the leader is exiting; look often, then less
            if (wait > nap)
                wait = nap;
            s_read_for (-1, &output, &input, wait);
            if (nap < COMMAND_POLL_MS)
                nap *= 2;
        }
        exited = s_exited (pid);
    }
    bool leftovers = false;
    if (!exited) {
        //  Timeout or stop: TERM the group, give it the grace, then KILL what
        //  is left (the leader is not reaped yet, so the group id is ours).
        out->timed_out = !cancelled;
        out->cancelled = cancelled;
        kill (-pid, SIGTERM);
        int64_t grace_end = heal_monotonic_ms () + COMMAND_KILL_GRACE_MS;
        while (!(exited = s_exited (pid))) {
            int64_t left = grace_end - heal_monotonic_ms ();
            if (left <= 0)
                break;
            eof = s_read_for (eof ? -1 : fds [0], &output, &input,
                              left < 10 ? left : 10) == 1 || eof;
        }
        kill (-pid, SIGKILL);
    }
    else
    if (check) {
        //  The leader is done, unreaped: its group id is still ours. What it
        //  left running in the background gets TERM now, KILL after the reap.
        kill (-pid, SIGTERM);
        leftovers = true;
    }
    if (!eof)
        s_drain (fds [0], &output);
    int status = 0;
    pid_t reaped;
    do
        reaped = waitpid (pid, &status, 0);
    while (reaped < 0 && errno == EINTR);
    if (reaped == pid && WIFEXITED (status)) {
        out->exit_code = WEXITSTATUS (status);
        out->signal = 0;
    }
    else
    if (reaped == pid && WIFSIGNALED (status)) {
        out->exit_code = -1;
        out->signal = WTERMSIG (status);
    }
    else {
        out->exit_code = -1;            //  reaped elsewhere: status unknown
        out->signal = 0;
    }
    if (leftovers)
        s_group_end (pid);
    out->truncated = output.truncated;
    out->output = heal_safe_text (output.data, output.len, max_output);
    if (!out->output) {
        saved = ENOMEM;
        goto cleanup;
    }
    out->output_len = strlen (out->output);
    if (out->output_len < output.len)
        out->truncated = true;          //  cut while making it safe
    out->duration_ms = heal_monotonic_ms () - start;
    rc = 0;

cleanup:
    if (actions_ready)
        posix_spawn_file_actions_destroy (&actions);
    if (attr_ready)
        posix_spawnattr_destroy (&attr);
    if (fds [0] >= 0)
        close (fds [0]);
    if (fds [1] >= 0)
        close (fds [1]);
    if (stdin_fd >= 0)
        close (stdin_fd);
    if (in [1] >= 0)
        close (in [1]);
    if (input.fd >= 0)
        close (input.fd);
    free (output.data);
    if (!(opts && opts->envp))
        free (envp);
    free (path_entry);
    if (rc) {
        out->duration_ms = heal_monotonic_ms () - start;
        errno = saved ? saved : EIO;
    }
    return rc;
}

int
command_run (const char *cmdline, const char *path, int64_t timeout_ms,
             size_t max_output, command_result_t *out)
{
    if (!cmdline || !out) {
        errno = EINVAL;
        return -1;
    }
    char *const argv [] = { (char *) "/bin/sh", (char *) "-c", (char *) cmdline, NULL };
    return s_run ("/bin/sh", argv, path, timeout_ms, max_output, NULL, out);
}

int
command_run_argv (const char *const *argv, const char *path, int64_t timeout_ms,
                  size_t max_output, command_result_t *out)
{
    return command_run_with (argv, path, timeout_ms, max_output, NULL, out);
}

int
command_run_with (const char *const *argv, const char *path, int64_t timeout_ms,
                  size_t max_output, const command_opts_t *opts, command_result_t *out)
{
    if (!argv || !argv [0] || !out) {
        errno = EINVAL;
        return -1;
    }
    memset (out, 0, sizeof *out);
    char program [COMMAND_MAX_PATH];
    if (s_lookup (argv [0], path && *path ? path : CONFIG_DEFAULT_PATH,
                  program, sizeof program))
        return -1;
    return s_run (program, (char *const *) argv, path, timeout_ms, max_output, opts, out);
}

char *
command_which (const char *program, const char *path)
{
    char full [COMMAND_MAX_PATH];
    if (s_lookup (program, path && *path ? path : CONFIG_DEFAULT_PATH, full, sizeof full)
    ||  access (full, X_OK))
        return NULL;
    return strdup (full);
}

void
command_result_free (command_result_t *out)
{
    if (!out)
        return;
    free (out->output);
    out->output = NULL;
    out->output_len = 0;
}
