//  platform_darwin — processes from libproc and sysctl, exit watching with
//  kqueue (EVFILT_PROC / NOTE_EXIT).
//
//  proc_pidinfo (PROC_PIDTBSDINFO) gives the status (SZOMB = exited, not
//  reaped: dead), the parent, the short name and the start time (seconds and
//  microseconds: with the pid, it names one process). The command line comes
//  from sysctl KERN_PROCARGS2: an int argc, the executable path, NUL padding,
//  then argc NUL-terminated arguments (then the environment, which we skip).

#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <libproc.h>
#include <mach/mach_time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/proc.h>
#include <sys/proc_info.h>
#include <sys/sysctl.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#define PLATFORM_MAX_ARGMAX (4 * 1024 * 1024)   //  cap on KERN_ARGMAX we allocate

const char *
platform_name (void)
{
    return "darwin";
}

static int
s_bsdinfo (int pid, struct proc_bsdinfo *info)
{
    if (pid <= 0)
        return -1;
    memset (info, 0, sizeof *info);
    int size = proc_pidinfo (pid, PROC_PIDTBSDINFO, 0, info, (int) sizeof *info);
    if (size != (int) sizeof *info)
        return -1;
    return 0;
}

//  The same from sysctl KERN_PROC_PID, which also sees processes of other
//  users (proc_pidinfo answers EPERM for those when we are not root).
static int
s_info_sysctl (int pid, platform_proc_t *out)
{
    struct kinfo_proc kp;
    memset (&kp, 0, sizeof kp);
    size_t size = sizeof kp;
    int mib [4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, pid };
    if (sysctl (mib, 4, &kp, &size, NULL, 0) || size != sizeof kp
    ||  kp.kp_proc.p_pid != pid)
        return -1;              //  size 0: no such process
    memset (out, 0, sizeof *out);
    out->pid = pid;
    out->ppid = (int) kp.kp_eproc.e_ppid;
    out->start_time = (uint64_t) kp.kp_proc.p_starttime.tv_sec * 1000000u
                    + (uint64_t) kp.kp_proc.p_starttime.tv_usec;
    if (out->start_time == 0)
        out->start_time = 1;
    out->zombie = kp.kp_proc.p_stat == SZOMB;
    size_t n = strnlen (kp.kp_proc.p_comm, sizeof kp.kp_proc.p_comm);
    if (n >= sizeof out->name)
        n = sizeof out->name - 1;
    memcpy (out->name, kp.kp_proc.p_comm, n);
    out->name [n] = 0;
    return 0;
}

int
platform_proc_info (int pid, platform_proc_t *out)
{
    struct proc_bsdinfo info;
    if (s_bsdinfo (pid, &info))
        return pid > 0 ? s_info_sysctl (pid, out) : -1;
    memset (out, 0, sizeof *out);
    out->pid = pid;
    out->ppid = (int) info.pbi_ppid;
    out->start_time = (uint64_t) info.pbi_start_tvsec * 1000000u
                    + (uint64_t) info.pbi_start_tvusec;
    if (out->start_time == 0)
        out->start_time = 1;    //  0 means "any" to callers
    out->zombie = info.pbi_status == SZOMB;
    //  pbi_name is the longer name (2 * MAXCOMLEN); pbi_comm is truncated.
    //  Neither is guaranteed NUL-terminated when full.
    const char *src = info.pbi_name;
    size_t n = strnlen (info.pbi_name, sizeof info.pbi_name);
    if (n == 0) {
        src = info.pbi_comm;
        n = strnlen (info.pbi_comm, sizeof info.pbi_comm);
    }
    if (n >= sizeof out->name)
        n = sizeof out->name - 1;
    memcpy (out->name, src, n);
    out->name [n] = 0;
    return 0;
}

int
platform_proc_cmdline (int pid, char *buf, size_t len)
{
    if (pid <= 0 || !buf || len == 0)
        return -1;
    buf [0] = 0;
    if (len > PLATFORM_MAX_CMDLINE)
        len = PLATFORM_MAX_CMDLINE;

    int argmax = 0;
    size_t size = sizeof argmax;
    int mib_argmax [2] = { CTL_KERN, KERN_ARGMAX };
    if (sysctl (mib_argmax, 2, &argmax, &size, NULL, 0) || argmax <= 0)
        return -1;
    if (argmax > PLATFORM_MAX_ARGMAX)
        argmax = PLATFORM_MAX_ARGMAX;
    char *args = malloc ((size_t) argmax);
    if (!args)
        return -1;
    size = (size_t) argmax;
    int mib [3] = { CTL_KERN, KERN_PROCARGS2, pid };
    if (sysctl (mib, 3, args, &size, NULL, 0) || size < sizeof (int)) {
        free (args);
        return -1;
    }
    int argc;
    memcpy (&argc, args, sizeof argc);
    char *cursor = args + sizeof argc;
    char *end = args + size;
    //  Skip the executable path and the NUL padding after it.
    while (cursor < end && *cursor)
        cursor++;
    while (cursor < end && *cursor == 0)
        cursor++;
    size_t out = 0;
    for (int i = 0; i < argc && cursor < end; i++) {
        char *arg_end = memchr (cursor, 0, (size_t) (end - cursor));
        size_t arg_len = arg_end ? (size_t) (arg_end - cursor) : (size_t) (end - cursor);
        if (out > 0 && out + 1 < len)
            buf [out++] = ' ';
        size_t room = len - 1 - out;
        size_t take = arg_len < room ? arg_len : room;
        memcpy (buf + out, cursor, take);
        out += take;
        if (out + 1 >= len || !arg_end)
            break;
        cursor = arg_end + 1;
    }
    buf [out] = 0;
    free (args);
    return 0;
}

int
platform_proc_list (int **pids, size_t *count)
{
    *pids = NULL;
    *count = 0;
    //  With no buffer, the number of processes now; leave room for more.
    int estimate = proc_listallpids (NULL, 0);
    if (estimate <= 0)
        return -1;
    size_t cap = (size_t) estimate + 64;
    if (cap > PLATFORM_MAX_PROCS)
        cap = PLATFORM_MAX_PROCS;
    int *list = calloc (cap, sizeof *list);
    if (!list)
        return -1;
    int got = proc_listallpids (list, (int) (cap * sizeof *list));
    if (got <= 0) {
        free (list);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < (size_t) got && i < cap; i++)
        if (list [i] > 0)
            list [n++] = list [i];
    *pids = list;
    *count = n;
    return 0;
}

int
platform_proc_stats (int pid, platform_proc_stats_t *out)
{
    struct proc_bsdinfo info;
    if (s_bsdinfo (pid, &info))
        return -1;
    memset (out, 0, sizeof *out);
    struct timeval now;
    gettimeofday (&now, NULL);
    int64_t now_ms = (int64_t) now.tv_sec * 1000 + now.tv_usec / 1000;
    int64_t start_ms = (int64_t) info.pbi_start_tvsec * 1000
                     + (int64_t) info.pbi_start_tvusec / 1000;
    out->uptime_ms = now_ms > start_ms ? now_ms - start_ms : 0;
    struct proc_taskinfo task;
    memset (&task, 0, sizeof task);
    if (proc_pidinfo (pid, PROC_PIDTASKINFO, 0, &task, (int) sizeof task)
        == (int) sizeof task) {
        out->rss_bytes = task.pti_resident_size;
        //  pti_total_* are in Mach absolute time units: nanoseconds on
        //  Intel, timebase ticks on Apple silicon.
        mach_timebase_info_data_t timebase = { 1, 1 };
        if (mach_timebase_info (&timebase) != KERN_SUCCESS || timebase.denom == 0)
            timebase.numer = timebase.denom = 1;
        uint64_t ticks = task.pti_total_user + task.pti_total_system;
        out->cpu_ms = (uint64_t) ((double) ticks * timebase.numer / timebase.denom / 1e6);
    }
    return 0;
}

int
platform_exit_watch_open (int pid)
{
    if (pid <= 0)
        return -1;
    platform_proc_t info;
    if (platform_proc_info (pid, &info) || info.zombie)
        return -1;
    int kq = kqueue ();
    if (kq < 0)
        return -1;
    fcntl (kq, F_SETFD, FD_CLOEXEC);
    struct kevent change;
    EV_SET (&change, (uintptr_t) pid, EVFILT_PROC, EV_ADD | EV_ONESHOT,
            NOTE_EXIT, 0, NULL);
    //  ESRCH when the process is already gone.
    if (kevent (kq, &change, 1, NULL, 0, NULL) < 0) {
        close (kq);
        return -1;
    }
    return kq;
}

void
platform_exit_watch_close (int fd)
{
    if (fd >= 0)
        close (fd);
}
