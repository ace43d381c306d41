//  platform — what differs between Linux and macOS: processes and exit
//  watching. platform_linux.c and platform_darwin.c implement it; callers
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
} platform_proc_t;

//  "linux" or "darwin".
const char *platform_name (void);

//  Fill out for pid. Returns 0, or -1 when there is no such process.
int platform_proc_info (int pid, platform_proc_t *out);

//  Is pid running (not a zombie) and, when start_time != 0, the same process?
bool platform_proc_alive (int pid, uint64_t start_time);

//  Command line of pid, arguments joined by spaces, NUL-terminated, truncated
//  to len. Returns 0 or -1.
int platform_proc_cmdline (int pid, char *buf, size_t len);

//  Every pid on the system. *pids is owned by the caller. Returns 0 or -1.
int platform_proc_list (int **pids, size_t *count);

//  A file descriptor that becomes readable when pid exits (Linux pidfd,
//  macOS kqueue with EVFILT_PROC/NOTE_EXIT). -1 when unsupported or when pid is
//  gone; callers then fall back to their interval.
int platform_exit_watch_open (int pid);
void platform_exit_watch_close (int fd);

//  Added by the process kind (additive): cheap figures for metrics.
typedef struct {
    int64_t uptime_ms;          //  time since the process started
    uint64_t rss_bytes;         //  resident set size, 0 when unknown
    uint64_t cpu_ms;            //  user + system CPU time used so far
} platform_proc_stats_t;

//  Fill out for pid. Returns 0, or -1 when there is no such process.
int platform_proc_stats (int pid, platform_proc_stats_t *out);

#endif
