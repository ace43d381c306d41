//  platform_impl — what platform.c asks of each platform's own file
//  (platform_linux.c, platform_darwin.c). Only the platform files include it.

#ifndef HEAL_PLATFORM_IMPL_H_INCLUDED
#define HEAL_PLATFORM_IMPL_H_INCLUDED

#include "platform.h"

#define PLATFORM_MAX_WATCHES  PLATFORM_MAX_PROCS    //  pids one set watches
#define PLATFORM_WATCH_BATCH  64                    //  exits read per call

//  A new watch set descriptor (epoll / kqueue), close-on-exec, or -1.
int platform_os_watch_set (void);
//  Arm an exit watch of pid in set; *handle is what disarm needs (a pidfd, or
//  -1). Returns 0, or -1 with errno (ESRCH: gone or exiting).
int platform_os_watch_arm (int set, int pid, int *handle);
//  Descriptors one armed watch holds (Linux: its pidfd; macOS: none).
int platform_os_watch_cost (void);
//  Disarm a watch (it may have fired already).
void platform_os_watch_disarm (int set, int pid, int handle);
//  Without blocking, the pids whose exit the set reports, at most max.
//  Returns how many (0 none), ignoring readiness that is not an exit.
int platform_os_watch_read (int set, int *pids, int max);
//  The most descriptors a process may have here (macOS:
//  kern.maxfilesperproc), or UINT64_MAX when only the hard limit says.
uint64_t platform_os_fd_ceiling (void);

//  Shared by the platform files (platform.c):
//  NAME's value from an environment block (NUL-separated NAME=value strings,
//  size bytes) into buf. Returns 0, or -1 with errno ENOENT.
int platform_env_find (const char *block, size_t size, const char *name,
                       char *buf, size_t len);

#endif
