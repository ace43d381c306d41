//  runner — heal-notify's commands (a command destination, the desktop
//  notifier): posix_spawn (the process has threads), its own process group,
//  the message on stdin, output read and bounded (its first line kept for
//  the log), and at the timeout the whole group gets TERM then KILL.

#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNNER_KILL_GRACE_MS 500
#define RUNNER_MAX_OUTPUT    (64 * 1024)

char *
runner_which (const char *program, const char *path)
{
    if (strchr (program, '/'))
        return access (program, X_OK) == 0 ? strdup (program) : NULL;
    char *copy = strdup (path ? path : CONFIG_DEFAULT_PATH);
    char *found = NULL;
    for (char *dir = copy, *next; dir && !found; dir = next) {
        next = strchr (dir, ':');
        if (next)
            *next++ = 0;
        if (!*dir)
            continue;
        char *full = zsys_sprintf ("%s/%s", dir, program);
        struct stat st;
        if (full && stat (full, &st) == 0 && S_ISREG (st.st_mode) && access (full, X_OK) == 0)
            found = strdup (full);
        zstr_free (&full);
    }
    free (copy);
    return found;
}

static void
s_kill_group (pid_t pid, int64_t started, int64_t timeout_ms, bool *timed_out)
{
    (void) started; (void) timeout_ms;
    *timed_out = true;
    kill (-pid, SIGTERM);
    int64_t until = heal_monotonic_ms () + RUNNER_KILL_GRACE_MS;
    while (heal_monotonic_ms () < until) {
        if (waitpid (pid, NULL, WNOHANG) == pid)
            break;
        poll (NULL, 0, 10);
    }
    kill (-pid, SIGKILL);
}

int
runner_run (const char *const *argv, const char *const *envp, const char *input,
            size_t input_len, int64_t timeout_ms, runner_result_t *out)
{
    memset (out, 0, sizeof *out);
    out->exit_code = -1;
    int in [2] = { -1, -1 }, output [2] = { -1, -1 };
    if (pipe (in) || pipe (output)) {
        int saved = errno;
        for (int i = 0; i < 2; i++) {
            if (in [i] >= 0) close (in [i]);
            if (output [i] >= 0) close (output [i]);
        }
        errno = saved;
        return -1;
    }
    fcntl (in [1], F_SETFD, FD_CLOEXEC);
    fcntl (output [0], F_SETFD, FD_CLOEXEC);
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_init (&attr);
    posix_spawn_file_actions_init (&actions);
    sigset_t mask, defaults;
    sigemptyset (&mask);
    sigemptyset (&defaults);
    sigaddset (&defaults, SIGPIPE);
    sigaddset (&defaults, SIGINT);
    sigaddset (&defaults, SIGTERM);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                     | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup (&attr, 0);
    posix_spawnattr_setsigmask (&attr, &mask);
    posix_spawnattr_setsigdefault (&attr, &defaults);
    posix_spawn_file_actions_adddup2 (&actions, in [0], 0);
    posix_spawn_file_actions_adddup2 (&actions, output [1], 1);
    posix_spawn_file_actions_adddup2 (&actions, output [1], 2);
    pid_t pid;
    int rc = posix_spawn (&pid, argv [0], &actions, &attr, (char *const *) argv,
                          (char *const *) envp);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    close (in [0]);
    close (output [1]);
    if (rc) {
        close (in [1]);
        close (output [0]);
        errno = rc;
        return -1;
    }
    fcntl (in [1], F_SETFL, O_NONBLOCK);
    int64_t started = heal_monotonic_ms ();
    int64_t deadline = started + timeout_ms;
    size_t written = 0, got = 0;
    int wfd = input_len ? in [1] : -1;
    if (wfd < 0)
        close (in [1]);
    int rfd = output [0];
    char first [sizeof out->first_line];
    size_t first_len = 0;
    bool first_done = false;
    while (rfd >= 0) {
        int64_t left = deadline - heal_monotonic_ms ();
        if (left <= 0) {
            s_kill_group (pid, started, timeout_ms, &out->timed_out);
            break;
        }
        struct pollfd fds [2];
        nfds_t n = 0;
        fds [n++] = (struct pollfd) { .fd = rfd, .events = POLLIN };
        if (wfd >= 0)
            fds [n++] = (struct pollfd) { .fd = wfd, .events = POLLOUT };
        if (poll (fds, n, (int) (left > 100 ? 100 : left)) < 0 && errno != EINTR)
            break;
        if (wfd >= 0 && n == 2 && fds [1].revents) {
            ssize_t w = write (wfd, input + written, input_len - written);
            if (w > 0)
                written += (size_t) w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) {
                close (wfd);            //  EPIPE: it does not read its input; fine
                wfd = -1;
            }
        }
        if (fds [0].revents) {
            char buf [4096];
            ssize_t r = read (rfd, buf, sizeof buf);
            if (r > 0) {
                for (ssize_t i = 0; i < r && !first_done; i++) {
                    if (buf [i] == '\n' || first_len + 1 >= sizeof first)
                        first_done = true;
                    else
                        first [first_len++] = buf [i];
                }
                got += (size_t) r;
                if (got > RUNNER_MAX_OUTPUT) {
                    close (rfd);        //  bounded: the rest goes nowhere
                    rfd = -1;
                }
            }
            else
            if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                close (rfd);
                rfd = -1;
            }
        }
    }
    if (wfd >= 0)
        close (wfd);
    if (rfd >= 0)
        close (rfd);
    //  Output closed: wait for the exit within what is left of the timeout.
    int status = 0;
    pid_t reaped = 0;
    while (!out->timed_out && (reaped = waitpid (pid, &status, WNOHANG)) == 0) {
        if (heal_monotonic_ms () >= deadline) {
            s_kill_group (pid, started, timeout_ms, &out->timed_out);
            break;
        }
        poll (NULL, 0, 5);
    }
    if (out->timed_out)
        reaped = waitpid (pid, &status, 0);
    if (reaped == pid && WIFEXITED (status) && !out->timed_out)
        out->exit_code = WEXITSTATUS (status);
    char *safe = heal_safe_string (first, first_len, sizeof out->first_line - 1);
    if (safe) {
        snprintf (out->first_line, sizeof out->first_line, "%s", safe);
        free (safe);
    }
    return 0;
}
