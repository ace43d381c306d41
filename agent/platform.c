//  platform — what the platform interface (platform.h) can say on top of each
//  platform's own file (platform_linux.c, platform_darwin.c): liveness, the
//  exit watch set's bookkeeping (which pids, how many callers each), the
//  descriptor limit, and the environment-block lookup both platforms use.

#include "platform_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

//  A zombie is dead: on these machines PID 1 may take seconds to reap it, and
//  launchd or systemd would already report the service gone.
bool
platform_proc_alive (int pid, uint64_t start_time)
{
    platform_proc_t info;
    if (platform_proc_info (pid, &info))
        return false;
    if (info.zombie)
        return false;
    return start_time == 0 || info.start_time == start_time;
}

int
platform_proc_gone (int pid, uint64_t start_time)
{
    platform_proc_t info;
    errno = 0;
    if (platform_proc_info (pid, &info))
        return errno == EMFILE || errno == ENFILE? -1: 1;
    if (info.zombie)
        return 1;
    return start_time == 0 || info.start_time == start_time? 0: 1;
}


int
platform_env_find (const char *block, size_t size, const char *name, char *buf, size_t len)
{
    size_t name_len = strlen (name);
    for (size_t at = 0; at < size; ) {
        const char *entry = block + at;
        size_t entry_len = strnlen (entry, size - at);
        if (entry_len > name_len && entry [name_len] == '='
        &&  memcmp (entry, name, name_len) == 0) {
            snprintf (buf, len, "%.*s", (int) (entry_len - name_len - 1), entry + name_len + 1);
            return 0;
        }
        at += entry_len + 1;
    }
    errno = ENOENT;
    return -1;
}

bool
platform_disk_inodes_checkable (const platform_disk_t *disk)
{
    return disk->inodes > 0 && !disk->inodes_synthetic;
}


//  ---------------------------------------------------------------------------
//  Exit watch set

typedef struct {
    int pid;
    int refs;                   //  callers watching it
    int handle;                 //  the platform's (pidfd on Linux)
} s_watch_t;

struct _platform_watches_t {
    int fd;
    s_watch_t *items;
    size_t count, cap;
    int exited [PLATFORM_WATCH_BATCH];  //  read, not yet returned
    int exited_count, exited_next;
};

platform_watches_t *
platform_watches_new (void)
{
    platform_watches_t *self = (platform_watches_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->fd = platform_os_watch_set ();
    if (self->fd < 0) {
        int code = errno;
        free (self);
        errno = code;
        return NULL;
    }
    return self;
}

void
platform_watches_destroy (platform_watches_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    platform_watches_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        platform_os_watch_disarm (self->fd, self->items [i].pid, self->items [i].handle);
    free (self->items);
    close (self->fd);
    free (self);
    *self_p = NULL;
}

int
platform_watches_fd (platform_watches_t *self)
{
    return self? self->fd: -1;
}

size_t
platform_watches_count (platform_watches_t *self)
{
    return self? self->count: 0;
}

static s_watch_t *
s_find (platform_watches_t *self, int pid)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->items [i].pid == pid)
            return &self->items [i];
    return NULL;
}

static void
s_drop (platform_watches_t *self, s_watch_t *item, bool disarm)
{
    if (disarm)
        platform_os_watch_disarm (self->fd, item->pid, item->handle);
    size_t i = (size_t) (item - self->items);
    self->items [i] = self->items [self->count - 1];
    self->count--;
}

int
platform_watches_add (platform_watches_t *self, int pid)
{
    if (!self || pid <= 0) {
        errno = EINVAL;
        return -1;
    }
    s_watch_t *item = s_find (self, pid);
    if (item) {
        item->refs++;
        return 0;
    }
    if (self->count == self->cap) {
        if (self->cap >= PLATFORM_MAX_WATCHES) {
            errno = ENOSPC;
            return -1;
        }
        size_t cap = self->cap? self->cap * 2: 16;
        s_watch_t *grown = (s_watch_t *) realloc (self->items, cap * sizeof *grown);
        if (!grown) {
            errno = ENOMEM;
            return -1;
        }
        self->items = grown;
        self->cap = cap;
    }
    int cost = platform_os_watch_cost ();
    int code = cost > 0? platform_fds_free ((size_t) cost + PLATFORM_FD_RESERVE): 0;
    if (code) {
        errno = code;
        return -1;
    }
    int handle = -1;
    if (platform_os_watch_arm (self->fd, pid, &handle))
        return -1;
    self->items [self->count++] = (s_watch_t) { pid, 1, handle };
    return 0;
}

void
platform_watches_remove (platform_watches_t *self, int pid)
{
    if (!self)
        return;
    s_watch_t *item = s_find (self, pid);
    if (item && --item->refs <= 0)
        s_drop (self, item, true);
}

int
platform_watches_next (platform_watches_t *self)
{
    if (!self)
        return 0;
    while (true) {
        while (self->exited_next < self->exited_count) {
            int pid = self->exited [self->exited_next++];
            s_watch_t *item = s_find (self, pid);
            if (item) {
                s_drop (self, item, true);
                return pid;
            }
        }
        self->exited_next = self->exited_count = 0;
        int n = platform_os_watch_read (self->fd, self->exited, PLATFORM_WATCH_BATCH);
        if (n <= 0)
            return 0;
        self->exited_count = n;
    }
}


//  ---------------------------------------------------------------------------
//  Descriptor limit

int
platform_fds_free (size_t want)
{
    int fds [64];
    size_t n = 0;
    int code = 0;
    for (; n < want && n < sizeof fds / sizeof fds [0]; n++) {
        fds [n] = n == 0? open ("/dev/null", O_RDONLY | O_CLOEXEC)
                        : fcntl (fds [0], F_DUPFD_CLOEXEC, 0);
        if (fds [n] < 0) {
            code = errno? errno: EMFILE;
            break;
        }
    }
    while (n > 0)
        close (fds [--n]);
    return code;
}

int
platform_fd_limit_raise (uint64_t want, uint64_t *before, uint64_t *after)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit))
        return -1;
    if (before)
        *before = (uint64_t) limit.rlim_cur;
    uint64_t target = want;
    if (limit.rlim_max != RLIM_INFINITY && (uint64_t) limit.rlim_max < target)
        target = (uint64_t) limit.rlim_max;
    uint64_t ceiling = platform_os_fd_ceiling ();
    if (ceiling < target)
        target = ceiling;
    if (limit.rlim_cur == RLIM_INFINITY || (uint64_t) limit.rlim_cur >= target) {
        if (after)
            *after = (uint64_t) limit.rlim_cur;
        return 0;               //  never lower it
    }
    limit.rlim_cur = (rlim_t) target;
    if (setrlimit (RLIMIT_NOFILE, &limit) == 0) {
        if (after)
            *after = target;
        return 0;
    }
    //  Raising failed (a ceiling we could not read): keep what we have.
    if (getrlimit (RLIMIT_NOFILE, &limit))
        return -1;
    if (after)
        *after = (uint64_t) limit.rlim_cur;
    return 0;
}
