//  platform_darwin — processes from libproc and sysctl, exit watching with
//  one kqueue (EVFILT_PROC / NOTE_EXIT), disk figures from statfs.
//
//  proc_pidinfo (PROC_PIDTBSDINFO) gives the status (SZOMB = exited, not
//  reaped: dead), the parent, the short name and the start time (seconds and
//  microseconds: with the pid, it names one process). The command line comes
//  from sysctl KERN_PROCARGS2: an int argc, the executable path, NUL padding,
//  then argc NUL-terminated arguments (then the environment, which we skip).

#include "platform_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <libproc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/event.h>
#include <sys/mount.h>
#include <sys/proc.h>
#include <sys/proc_info.h>
#include <sys/resource.h>
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

int
platform_translated (void)
{
    int value = 0;
    size_t size = sizeof value;
    if (sysctlbyname ("sysctl.proc_translated", &value, &size, NULL, 0))
        return errno == ENOENT? 0: -1;      //  absent on Intel Macs
    return value? 1: 0;
}

static int
s_bsdinfo (int pid, struct proc_bsdinfo *info)
{
    if (pid <= 0)
        return -1;
    memset (info, 0, sizeof *info);
    errno = 0;
    int size = proc_pidinfo (pid, PROC_PIDTBSDINFO, 0, info, (int) sizeof *info);
    if (size != (int) sizeof *info) {
        if (errno != EPERM)
            errno = ESRCH;      //  0 bytes, errno ESRCH or unset: no such process
        return -1;
    }
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
    out->name_short = n >= MAXCOMLEN;       //  p_comm keeps 16 bytes
    return 0;
}

int
platform_proc_info (int pid, platform_proc_t *out)
{
    struct proc_bsdinfo info;
    if (s_bsdinfo (pid, &info)) {
        //  Another user's process (EPERM without root), or the moment
        //  between exit and zombie: sysctl still sees it.
        bool refused = errno == EPERM;
        if (pid <= 0 || s_info_sysctl (pid, out))
            return -1;
        out->restricted = refused;
        return 0;
    }
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

//  KERN_PROCARGS2 of pid: malloc'd into *args (caller frees), *size bytes.
//  Returns 0, or -1 with errno (EPERM: another user's process).
static int
s_procargs (int pid, char **args, size_t *size)
{
    *args = NULL;
    int argmax = 0;
    size_t len = sizeof argmax;
    int mib_argmax [2] = { CTL_KERN, KERN_ARGMAX };
    if (sysctl (mib_argmax, 2, &argmax, &len, NULL, 0) || argmax <= 0)
        return -1;
    if (argmax > PLATFORM_MAX_ARGMAX)
        argmax = PLATFORM_MAX_ARGMAX;
    char *buf = malloc ((size_t) argmax);
    if (!buf)
        return -1;
    len = (size_t) argmax;
    int mib [3] = { CTL_KERN, KERN_PROCARGS2, pid };
    if (sysctl (mib, 3, buf, &len, NULL, 0) || len < sizeof (int)) {
        //  EINVAL for other users' processes and for zombies
        int code = errno;
        free (buf);
        platform_proc_t info;
        errno = s_info_sysctl (pid, &info)? ESRCH: code == EINVAL? EPERM: code;
        return -1;
    }
    *args = buf;
    *size = len;
    return 0;
}

//  A walk through KERN_PROCARGS2: an int argc, the executable path, NUL
//  padding, then argc NUL-terminated arguments, then the environment.
typedef struct {
    char *args;                 //  the whole of it, owned
    char *cursor;               //  the next argument, then the environment
    char *end;
    int left;                   //  arguments not yet walked
    char *arg;                  //  s_walk_next: the argument,
    size_t arg_len;             //  its length without its NUL,
    bool whole;                 //  false when it has none (cut short: the last)
} s_walk_t;

//  Start a walk of pid's at its first argument. Returns 0, or -1 with errno
//  (s_procargs). s_walk_end frees it.
static int
s_walk_start (s_walk_t *self, int pid)
{
    size_t size;
    if (s_procargs (pid, &self->args, &size))
        return -1;
    self->end = self->args + size;
    memcpy (&self->left, self->args, sizeof self->left);
    self->cursor = self->args + sizeof self->left;
    while (self->cursor < self->end && *self->cursor)
        self->cursor++;
    while (self->cursor < self->end && *self->cursor == 0)
        self->cursor++;
    return 0;
}

//  Step to the next argument (self->arg, arg_len, whole). False after the
//  last one.
static bool
s_walk_next (s_walk_t *self)
{
    if (self->left <= 0 || self->cursor >= self->end)
        return false;
    self->left--;
    self->arg = self->cursor;
    char *arg_end = memchr (self->arg, 0, (size_t) (self->end - self->arg));
    self->whole = arg_end != NULL;
    self->arg_len = (size_t) ((arg_end ? arg_end : self->end) - self->arg);
    self->cursor = arg_end ? arg_end + 1 : self->end;
    return true;
}

//  Free the walk, keeping errno.
static void
s_walk_end (s_walk_t *self)
{
    int code = errno;
    free (self->args);
    errno = code;
}

int
platform_proc_argv (int pid, char *buf, size_t len, size_t *argc_out)
{
    *argc_out = 0;
    if (pid <= 0 || !buf || len < 2) {
        errno = EINVAL;
        return -1;
    }
    buf [0] = 0;
    s_walk_t walk;
    if (s_walk_start (&walk, pid))
        return -1;
    size_t out = 0;
    while (s_walk_next (&walk)) {
        size_t take = walk.arg_len + 1;
        if (!walk.whole || out + take > len)
            break;              //  whole arguments only
        memcpy (buf + out, walk.arg, take);
        out += take;
        (*argc_out)++;
    }
    s_walk_end (&walk);
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
    s_walk_t walk;
    if (s_walk_start (&walk, pid))
        return -1;
    size_t out = 0;
    while (s_walk_next (&walk)) {
        if (out > 0 && out + 1 < len)
            buf [out++] = ' ';
        size_t room = len - 1 - out;
        size_t take = walk.arg_len < room ? walk.arg_len : room;
        memcpy (buf + out, walk.arg, take);
        out += take;
        if (out + 1 >= len || !walk.whole)
            break;
    }
    buf [out] = 0;
    s_walk_end (&walk);
    return 0;
}

int
platform_proc_getenv (int pid, const char *name, char *buf, size_t len)
{
    if (!name || !*name || !buf || !len) {
        errno = EINVAL;
        return -1;
    }
    s_walk_t walk;
    if (s_walk_start (&walk, pid))
        return -1;
    //  Past the arguments, then NAME=value strings until an empty one.
    while (s_walk_next (&walk))
        ;
    char *env = walk.cursor, *env_end = env;
    while (env_end < walk.end && *env_end)
        env_end += strnlen (env_end, (size_t) (walk.end - env_end)) + 1;
    if (env_end > walk.end)
        env_end = walk.end;
    int rc = platform_env_find (env, (size_t) (env_end - env), name, buf, len);
    s_walk_end (&walk);
    return rc;
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

//  Ticks per second of Mach absolute time, the unit of pti_total_*. Not
//  mach_timebase_info: under Rosetta 2 it answers 1/1 (nanoseconds) while
//  task times stay in native ticks (24 MHz on Apple silicon), 41.7x too low.
static uint64_t
s_tick_frequency (void)
{
    static uint64_t frequency = 0;
    if (frequency == 0) {
        uint64_t value = 0;
        size_t size = sizeof value;
        if (sysctlbyname ("hw.tbfrequency", &value, &size, NULL, 0) || value == 0)
            value = 1000000000u;        //  Intel: ticks are nanoseconds
        frequency = value;
    }
    return frequency;
}

int
platform_proc_stats (int pid, platform_proc_stats_t *out)
{
    struct proc_bsdinfo info;
    if (s_bsdinfo (pid, &info))
        return -1;              //  errno EPERM: another user's process
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
        uint64_t ticks = task.pti_total_user + task.pti_total_system;
        out->cpu_ms = (uint64_t) ((double) ticks * 1000.0 / (double) s_tick_frequency ());
    }
    return 0;
}

int
platform_disk_stats (const char *path, platform_disk_t *out)
{
    //  statfs, not statvfs: Darwin's statvfs has 32-bit block and inode
    //  counts, truncated on large (network) volumes.
    struct statfs st;
    if (!path || statfs (path, &st))
        return -1;
    memset (out, 0, sizeof *out);
    uint64_t bsize = st.f_bsize;
    out->total_bytes = (uint64_t) st.f_blocks * bsize;
    //  f_bavail leaves purgeable space out (Finder's "available" counts it).
    out->avail_bytes = (uint64_t) st.f_bavail * bsize;
    out->used_bytes = ((uint64_t) st.f_blocks - (uint64_t) st.f_bfree) * bsize;
    out->inodes = (uint64_t) st.f_files;
    out->inodes_free = (uint64_t) st.f_ffree;
    snprintf (out->fstype, sizeof out->fstype, "%s", st.f_fstypename);
    //  APFS makes inode counts up from free space; they can wrap.
    out->inodes_synthetic = strcmp (st.f_fstypename, "apfs") == 0;
    return 0;
}


//  ---------------------------------------------------------------------------
//  Exit watches: one kqueue, one EVFILT_PROC/NOTE_EXIT per pid

int
platform_os_watch_set (void)
{
    int kq = kqueue ();
    if (kq >= 0)
        fcntl (kq, F_SETFD, FD_CLOEXEC);
    return kq;
}

int
platform_os_watch_arm (int set, int pid, int *handle)
{
    *handle = -1;
    struct kevent change;
    EV_SET (&change, (uintptr_t) pid, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, NULL);
    //  ESRCH when the process is gone or already exiting (between NOTE_EXIT
    //  and the zombie, when the sysctl fallback still says alive).
    if (kevent (set, &change, 1, NULL, 0, NULL) < 0)
        return -1;
    return 0;
}

int
platform_os_watch_cost (void)
{
    return 0;                   //  a kevent in the one kqueue
}

void
platform_os_watch_disarm (int set, int pid, int handle)
{
    (void) handle;
    struct kevent change;
    EV_SET (&change, (uintptr_t) pid, EVFILT_PROC, EV_DELETE, 0, 0, NULL);
    kevent (set, &change, 1, NULL, 0, NULL);        //  ENOENT once fired: fine
}

int
platform_os_watch_read (int set, int *pids, int max)
{
    struct kevent events [PLATFORM_WATCH_BATCH];
    if (max > PLATFORM_WATCH_BATCH)
        max = PLATFORM_WATCH_BATCH;
    struct timespec zero = { 0, 0 };
    int n = kevent (set, NULL, 0, events, max, &zero);
    int got = 0;
    for (int i = 0; i < n; i++) {
        if (events [i].filter != EVFILT_PROC)
            continue;
        bool exited = (events [i].fflags & NOTE_EXIT) != 0;
        //  An error on a watch of a process that is gone is an exit too.
        if ((events [i].flags & EV_ERROR) && events [i].data == ESRCH)
            exited = true;
        if (exited)
            pids [got++] = (int) events [i].ident;
    }
    return got;
}

uint64_t
platform_os_fd_ceiling (void)
{
    //  setrlimit fails (EINVAL) above kern.maxfilesperproc, and the hard
    //  limit is often RLIM_INFINITY.
    int value = 0;
    size_t size = sizeof value;
    if (sysctlbyname ("kern.maxfilesperproc", &value, &size, NULL, 0) || value <= 0)
        return 10240;           //  OPEN_MAX
    return (uint64_t) value;
}
