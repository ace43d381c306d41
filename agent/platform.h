//  platform — what differs between Linux and macOS: processes, exit
//  watching, descriptor limits, disk figures. platform_linux.c and platform_darwin.c implement it; callers
//  never #ifdef.

#ifndef HEAL_PLATFORM_H_INCLUDED
#define HEAL_PLATFORM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLATFORM_MAX_CMDLINE 4096      //  bytes of a command line we read
#define PLATFORM_MAX_PROCS   65536     //  processes listed at most

typedef struct {
    int pid;
    int ppid;
    uint64_t start_time;        //  opaque, comparable for equality (pid reuse guard)
    bool zombie;                //  exited, not reaped: treated as dead
    char name [64];             //  short process name
    bool name_short;            //  name may be truncated (macOS fallback: 16
                                //  bytes; Linux comm: 15 bytes)
    bool restricted;            //  another user's process: details (stats,
                                //  command line) are refused (EPERM)
} platform_proc_t;

//  "linux" or "darwin".
const char *platform_name (void);

//  Is this process translated (macOS Rosetta 2: an x86_64 binary on Apple
//  silicon)? 1 yes, 0 no, -1 unknown.
int platform_translated (void);

//  Fill out for pid. Returns 0, or -1 when there is no such process.
int platform_proc_info (int pid, platform_proc_t *out);

//  Is pid running (not a zombie) and, when start_time != 0, the same process?
bool platform_proc_alive (int pid, uint64_t start_time);

//  The same, three ways: 1 gone (or another process), 0 alive, -1 cannot tell
//  (out of descriptors: Linux reads /proc through one).
int platform_proc_gone (int pid, uint64_t start_time);

//  Command line of pid, arguments joined by spaces, NUL-terminated, truncated
//  to len. Returns 0 or -1.
int platform_proc_cmdline (int pid, char *buf, size_t len);

//  Every pid on the system. *pids is owned by the caller. Returns 0 or -1.
int platform_proc_list (int **pids, size_t *count);

//  Descriptors the agent keeps free for its check runs (pidfiles, /proc,
//  commands' pipes, HTTP sockets): neither a new worker nor an exit watch
//  takes them, so out of descriptors checks still run and what was not
//  started is reported (fd_exhausted) instead of checks failing at random.
#define PLATFORM_FD_RESERVE 16

//  0 when want more descriptors could be opened now, else the errno (EMFILE,
//  ENFILE). It opens and closes them: call it only before taking some.
int platform_fds_free (size_t want);

//  Exit watches: one set per agent, one descriptor to poll for all of them
//  (Linux: an epoll of pidfds; macOS: one kqueue with EVFILT_PROC/NOTE_EXIT
//  per pid), so a few hundred watched processes cost the agent's poll loop one
//  fd (and macOS no fd per watch at all).
typedef struct _platform_watches_t platform_watches_t;

//  A new, empty set, or NULL (errno set: EMFILE when out of descriptors).
platform_watches_t *platform_watches_new (void);
//  Close the set and every watch in it; *self_p = NULL. Accepts NULL.
void platform_watches_destroy (platform_watches_t **self_p);
//  The descriptor that polls readable when a watched process may have exited.
int platform_watches_fd (platform_watches_t *self);
//  Watch pid (again: watches are counted, one per caller). Returns 0, or -1
//  with errno: ESRCH the process is gone (or exiting: run the check again
//  now), EMFILE/ENFILE out of descriptors, or a watch here holds one and
//  fewer than PLATFORM_FD_RESERVE would be left (report it: the watch is lost),
//  ENOSYS/EINVAL no exit watch here (fall back to the interval).
int platform_watches_add (platform_watches_t *self, int pid);
//  Drop one watch of pid; unknown pids are ignored.
void platform_watches_remove (platform_watches_t *self, int pid);
//  Non-blocking: the next watched pid seen to exit, whose watches are all
//  dropped; 0 when there is none. Readiness that is not an exit is consumed
//  and ignored.
int platform_watches_next (platform_watches_t *self);
//  Watched pids now (for tests and the self-test).
size_t platform_watches_count (platform_watches_t *self);

//  Descriptors: raise the soft RLIMIT_NOFILE toward want (never above the
//  hard limit; macOS also caps it at kern.maxfilesperproc). launchd starts
//  agents with a soft limit of 256. Fills *before and *after (either may be
//  NULL). Returns 0, or -1 with errno when the limit could not be read.
#define PLATFORM_WANT_FDS 8192
int platform_fd_limit_raise (uint64_t want, uint64_t *before, uint64_t *after);

//  Disk figures of the file system holding a path.
typedef struct {
    uint64_t total_bytes;       //  size of the file system
    uint64_t avail_bytes;       //  what an unprivileged user can still write
                                //  (macOS: purgeable space not counted)
    uint64_t used_bytes;        //  total - free (free includes root's reserve)
    uint64_t inodes;            //  0 when the file system has no counts
    uint64_t inodes_free;       //  available to unprivileged users
    bool inodes_synthetic;      //  counts are made up (APFS): do not alert on them
    char fstype [16];           //  "apfs", "ext4"/"ext2/3/4" ..., "" when unknown
} platform_disk_t;

//  Fill out for the file system holding path. Returns 0, or -1 with errno.
//  macOS uses statfs (64-bit counts; statvfs truncates to 32 bits).
int platform_disk_stats (const char *path, platform_disk_t *out);

//  Can inode limits be checked on these figures? Not without counts (btrfs,
//  ZFS datasets report 0), not when they are synthetic (APFS).
bool platform_disk_inodes_checkable (const platform_disk_t *disk);

//  The value of environment variable name in process pid's environment into
//  buf (NUL-terminated, truncated to len). Returns 0, or -1 with errno
//  (ENOENT not set, EPERM another user's process, ESRCH no such process).
//  Used to tell launchd's jobs (XPC_SERVICE_NAME) from other processes.
int platform_proc_getenv (int pid, const char *name, char *buf, size_t len);

//  Added by the process kind (additive): cheap figures for metrics.
typedef struct {
    int64_t uptime_ms;          //  time since the process started
    uint64_t rss_bytes;         //  resident set size, 0 when unknown
    uint64_t cpu_ms;            //  user + system CPU time used so far
} platform_proc_stats_t;

//  Fill out for pid. Returns 0, or -1 with errno: ESRCH no such process,
//  EPERM another user's process (macOS proc_pidinfo without root).
int platform_proc_stats (int pid, platform_proc_stats_t *out);

//  pid's arguments into buf, each NUL-terminated one after the other (at
//  most len bytes; a truncated last argument is dropped), *argc how many.
//  Returns 0, or -1 with errno. On macOS a script's process name is its
//  interpreter's (bash, Python): argv says what was started.
int platform_proc_argv (int pid, char *buf, size_t len, size_t *argc);

#endif
