//  platform_linux — processes from /proc and exit watching with pidfd.
//
//  /proc/<pid>/stat gives the state (Z and X are dead), the parent, the
//  short name and the start time (field 22, clock ticks since boot: with the
//  pid, it names one process for the life of the system, which is what the
//  pid reuse guard needs). pidfd_open(2) (Linux 5.3) gives a descriptor that
//  polls readable when the process exits, child of ours or not.

#include "platform_impl.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#   if defined (__NR_pidfd_open)
#       define SYS_pidfd_open __NR_pidfd_open
#   else
#       define SYS_pidfd_open 434       //  the same number on every architecture
#   endif
#endif

#define PLATFORM_MAX_STAT 4096          //  bytes of /proc/<pid>/stat we read
#define PLATFORM_MAX_STATUS 8192        //  bytes of /proc/<pid>/status we read
#define PLATFORM_MAX_ENVIRON (256 * 1024) //  bytes of /proc/<pid>/environ we read

const char *
platform_name (void)
{
    return "linux";
}

int
platform_translated (void)
{
    return 0;
}

//  Read at most len - 1 bytes of a small /proc file into buf, NUL-terminated.
//  Returns the byte count, or -1.
static ssize_t
s_read_small (const char *path, char *buf, size_t len)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = read (fd, buf + got, len - 1 - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close (fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t) n;
    }
    close (fd);
    buf [got] = 0;
    return (ssize_t) got;
}

//  Parsed /proc/<pid>/stat: the fields we use.
typedef struct {
    char state;
    int ppid;
    uint64_t utime;             //  field 14, ticks
    uint64_t stime;             //  field 15, ticks
    uint64_t starttime;         //  field 22, ticks since boot
    int64_t rss_pages;          //  field 24
    char comm [64];
} s_stat_t;

static int
s_read_stat (int pid, s_stat_t *st)
{
    if (pid <= 0)
        return -1;
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/stat", pid);
    char buf [PLATFORM_MAX_STAT];
    ssize_t n = s_read_small (path, buf, sizeof buf);
    if (n <= 0)
        return -1;
    //  "pid (comm) S ppid ...": comm may hold spaces and ')', so the name ends
    //  at the last ')'.
    char *open_paren = strchr (buf, '(');
    char *close_paren = strrchr (buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren)
        return -1;
    memset (st, 0, sizeof *st);
    size_t comm_len = (size_t) (close_paren - open_paren - 1);
    if (comm_len >= sizeof st->comm)
        comm_len = sizeof st->comm - 1;
    memcpy (st->comm, open_paren + 1, comm_len);
    st->comm [comm_len] = 0;

    //  Fields from 3 (state) on, space separated, none of them text.
    char *cursor = close_paren + 1;
    int field = 3;
    while (*cursor && field <= 24) {
        while (*cursor == ' ')
            cursor++;
        if (!*cursor)
            break;
        char *end = cursor;
        while (*end && *end != ' ' && *end != '\n')
            end++;
        if (field == 3)
            st->state = *cursor;
        else {
            errno = 0;
            char *stop = NULL;
            long long value = strtoll (cursor, &stop, 10);
            if (errno || stop != end)
                return -1;
            if (field == 4) {
                if (value < 0 || value > INT_MAX)
                    return -1;
                st->ppid = (int) value;
            }
            else
            if (field == 14)
                st->utime = (uint64_t) value;
            else
            if (field == 15)
                st->stime = (uint64_t) value;
            else
            if (field == 22)
                st->starttime = (uint64_t) value;
            else
            if (field == 24)
                st->rss_pages = value;
        }
        field++;
        cursor = end;
        if (*cursor == '\n')
            break;
    }
    if (field <= 22 || st->state == 0)
        return -1;              //  truncated or foreign format
    return 0;
}

//  Threads of pid that have not exited, from /proc/<pid>/status; -1 unknown.
static long
s_threads (int pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/status", pid);
    char buf [PLATFORM_MAX_STATUS];
    if (s_read_small (path, buf, sizeof buf) <= 0)
        return -1;
    const char *line = strstr (buf, "\nThreads:");
    if (!line)
        return -1;
    char *end = NULL;
    errno = 0;
    long threads = strtol (line + strlen ("\nThreads:"), &end, 10);
    if (errno || end == line + strlen ("\nThreads:"))
        return -1;
    return threads;
}

int
platform_proc_info (int pid, platform_proc_t *out)
{
    s_stat_t st;
    if (s_read_stat (pid, &st))
        return -1;
    memset (out, 0, sizeof *out);
    out->pid = pid;
    out->ppid = st.ppid;
    //  +1: a process started in the first tick after boot still has a
    //  start time != 0, which callers use as "any".
    out->start_time = st.starttime + 1;
    out->zombie = st.state == 'Z' || st.state == 'X' || st.state == 'x';
    //  Z describes the main thread only. While other threads run (the
    //  process is still exiting and holds its sockets, or its main thread
    //  called pthread_exit) the process is not dead yet.
    if (st.state == 'Z' && s_threads (pid) > 1)
        out->zombie = false;
    snprintf (out->name, sizeof out->name, "%s", st.comm);
    out->name_short = strlen (st.comm) >= 15;       //  TASK_COMM_LEN - 1
    return 0;
}

int
platform_proc_cmdline (int pid, char *buf, size_t len)
{
    if (pid <= 0 || !buf || len == 0)
        return -1;
    if (len > PLATFORM_MAX_CMDLINE)
        len = PLATFORM_MAX_CMDLINE;
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/cmdline", pid);
    ssize_t n = s_read_small (path, buf, len);
    if (n < 0) {
        buf [0] = 0;
        return -1;
    }
    //  Arguments are NUL-separated (and NUL-terminated): join with spaces.
    for (ssize_t i = 0; i < n; i++)
        if (buf [i] == 0)
            buf [i] = ' ';
    while (n > 0 && buf [n - 1] == ' ')
        buf [--n] = 0;
    return 0;
}

int
platform_proc_list (int **pids, size_t *count)
{
    *pids = NULL;
    *count = 0;
    DIR *dir = opendir ("/proc");
    if (!dir)
        return -1;
    size_t cap = 512, n = 0;
    int *list = malloc (cap * sizeof *list);
    if (!list) {
        closedir (dir);
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir (dir)) != NULL && n < PLATFORM_MAX_PROCS) {
        const char *name = entry->d_name;
        if (!isdigit ((unsigned char) name [0]))
            continue;
        char *stop = NULL;
        errno = 0;
        long pid = strtol (name, &stop, 10);
        if (errno || *stop || pid <= 0 || pid > INT_MAX)
            continue;
        if (n == cap) {
            int *bigger = realloc (list, cap * 2 * sizeof *list);
            if (!bigger) {
                free (list);
                closedir (dir);
                return -1;
            }
            list = bigger;
            cap *= 2;
        }
        list [n++] = (int) pid;
    }
    closedir (dir);
    *pids = list;
    *count = n;
    return 0;
}

int
platform_proc_stats (int pid, platform_proc_stats_t *out)
{
    s_stat_t st;
    if (s_read_stat (pid, &st)) {
        errno = ESRCH;
        return -1;
    }
    memset (out, 0, sizeof *out);
    long ticks = sysconf (_SC_CLK_TCK);
    long page = sysconf (_SC_PAGESIZE);
    if (ticks <= 0)
        ticks = 100;
    if (page <= 0)
        page = 4096;
    //  Field 22 counts from boot on the boot-time clock (suspend included).
    struct timespec now;
    if (clock_gettime (CLOCK_BOOTTIME, &now) == 0) {
        int64_t now_ms = (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
        int64_t start_ms = (int64_t) (st.starttime * 1000 / (uint64_t) ticks);
        out->uptime_ms = now_ms > start_ms ? now_ms - start_ms : 0;
    }
    out->rss_bytes = st.rss_pages > 0 ? (uint64_t) st.rss_pages * (uint64_t) page : 0;
    out->cpu_ms = (st.utime + st.stime) * 1000 / (uint64_t) ticks;
    return 0;
}

//  A process's raw NUL-separated file from /proc (cmdline, environ) into
//  buf. Returns the byte count, or -1 with errno (EPERM: another user's).
static ssize_t
s_read_proc_raw (int pid, const char *what, char *buf, size_t len)
{
    if (pid <= 0 || !buf || len < 2) {
        errno = EINVAL;
        return -1;
    }
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/%s", pid, what);
    ssize_t n = s_read_small (path, buf, len);
    if (n < 0) {
        if (errno == ENOENT)
            errno = ESRCH;
        else
        if (errno == EACCES)
            errno = EPERM;
        return -1;
    }
    return n;
}

int
platform_proc_argv (int pid, char *buf, size_t len, size_t *argc)
{
    *argc = 0;
    ssize_t n = s_read_proc_raw (pid, "cmdline", buf, len);
    if (n < 0)
        return -1;
    //  Keep whole arguments only: a last one without its NUL was cut short.
    while (n > 0 && buf [n - 1] != 0)
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (buf [i] == 0)
            (*argc)++;
    if (n == 0)
        buf [0] = 0;
    return 0;
}

int
platform_proc_getenv (int pid, const char *name, char *buf, size_t len)
{
    size_t name_len = name? strlen (name): 0;
    if (!name_len || !buf || !len) {
        errno = EINVAL;
        return -1;
    }
    char *environ_text = malloc (PLATFORM_MAX_ENVIRON);
    if (!environ_text)
        return -1;
    ssize_t n = s_read_proc_raw (pid, "environ", environ_text, PLATFORM_MAX_ENVIRON);
    if (n < 0) {
        int code = errno;
        free (environ_text);
        errno = code;
        return -1;
    }
    int rc = platform_env_find (environ_text, (size_t) n, name, buf, len);
    int code = errno;
    free (environ_text);
    errno = code;
    return rc;
}

//  Names of the file systems we may meet (statfs f_type magic numbers).
static const char *
s_fstype (long type)
{
    switch ((unsigned long) type) {
        case 0xEF53UL:      return "ext2/3/4";
        case 0x58465342UL:  return "xfs";
        case 0x9123683EUL:  return "btrfs";
        case 0x01021994UL:  return "tmpfs";
        case 0x794C7630UL:  return "overlay";
        case 0x2FC12FC1UL:  return "zfs";
        case 0x6969UL:      return "nfs";
        default:            return "";
    }
}

int
platform_disk_stats (const char *path, platform_disk_t *out)
{
    struct statvfs st;
    if (!path || statvfs (path, &st))
        return -1;
    memset (out, 0, sizeof *out);
    //  Linux's statvfs has 64-bit counts (fsblkcnt_t) on every ABI we build.
    uint64_t frsize = st.f_frsize? st.f_frsize: st.f_bsize;
    out->total_bytes = (uint64_t) st.f_blocks * frsize;
    out->avail_bytes = (uint64_t) st.f_bavail * frsize;
    out->used_bytes = ((uint64_t) st.f_blocks - (uint64_t) st.f_bfree) * frsize;
    out->inodes = (uint64_t) st.f_files;
    out->inodes_free = (uint64_t) st.f_favail;
    struct statfs fs;
    if (statfs (path, &fs) == 0)
        snprintf (out->fstype, sizeof out->fstype, "%s", s_fstype ((long) fs.f_type));
    return 0;
}


//  ---------------------------------------------------------------------------
//  Exit watches: an epoll set of pidfds (pidfd_open(2), Linux 5.3)

int
platform_os_watch_set (void)
{
    return epoll_create1 (EPOLL_CLOEXEC);
}

int
platform_os_watch_arm (int set, int pid, int *handle)
{
    //  pidfd_open (pid, 0): close-on-exec by default. ESRCH when the pid is
    //  gone, ENOSYS before 5.3. A zombie's pidfd polls readable at once.
    long fd = syscall (SYS_pidfd_open, (pid_t) pid, 0);
    if (fd < 0)
        return -1;
    struct epoll_event ev;
    memset (&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u64 = (uint64_t) (uint32_t) pid;
    if (epoll_ctl (set, EPOLL_CTL_ADD, (int) fd, &ev)) {
        int code = errno;
        close ((int) fd);
        errno = code;
        return -1;
    }
    *handle = (int) fd;
    return 0;
}

int
platform_os_watch_cost (void)
{
    return 1;                   //  the pidfd
}

void
platform_os_watch_disarm (int set, int pid, int handle)
{
    (void) set;
    (void) pid;
    if (handle >= 0)
        close (handle);         //  leaves the epoll set with its last descriptor
}

int
platform_os_watch_read (int set, int *pids, int max)
{
    struct epoll_event events [PLATFORM_WATCH_BATCH];
    if (max > PLATFORM_WATCH_BATCH)
        max = PLATFORM_WATCH_BATCH;
    int n = epoll_wait (set, events, max, 0);
    int got = 0;
    for (int i = 0; i < n; i++)
        if (events [i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
            pids [got++] = (int) (uint32_t) events [i].data.u64;
    return got;
}

uint64_t
platform_os_fd_ceiling (void)
{
    return UINT64_MAX;          //  the hard limit is already <= fs.nr_open
}
