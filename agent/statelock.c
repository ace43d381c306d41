//  statelock — one heal-agent per state dir (agent/statelock.h).

#include "statelock.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct statelock_t {
    int fd;
};

//  The pid written in fd, or 0.
static int
s_holder (int fd)
{
    char text [STATELOCK_MAX_PID_TEXT];
    ssize_t n = pread (fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return 0;
    text [n] = 0;
    char *end = NULL;
    errno = 0;
    long pid = strtol (text, &end, 10);
    if (errno || end == text || pid <= 0 || pid > 0x7fffffffL)
        return 0;
    return (int) pid;
}

statelock_t *
statelock_new (const char *dir, int *holder)
{
    *holder = 0;
    char *path = zsys_sprintf ("%s/%s", dir, STATELOCK_FILE);
    if (!path) {
        errno = ENOMEM;
        return NULL;
    }
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    zstr_free (&path);
    if (fd < 0)
        return NULL;
    int rc;
    do
        rc = flock (fd, LOCK_EX | LOCK_NB);
    while (rc && errno == EINTR);
    if (rc) {
        int saved = errno == EAGAIN ? EWOULDBLOCK : errno;
        if (saved == EWOULDBLOCK)
            *holder = s_holder (fd);
        close (fd);
        errno = saved;
        return NULL;
    }
    statelock_t *self = (statelock_t *) zmalloc (sizeof (statelock_t));
    if (!self) {
        close (fd);
        errno = ENOMEM;
        return NULL;
    }
    self->fd = fd;
    //  Ours now: say who we are (best effort; only messages read it).
    char text [STATELOCK_MAX_PID_TEXT];
    int len = snprintf (text, sizeof text, "%d\n", (int) getpid ());
    if (ftruncate (fd, 0) == 0 && len > 0)
        if (pwrite (fd, text, (size_t) len, 0) != len)
            zsys_warning ("agent: cannot write its pid into %s/%s", dir, STATELOCK_FILE);
    return self;
}

void
statelock_destroy (statelock_t **self_p)
{
    statelock_t *self = *self_p;
    if (!self)
        return;
    close (self->fd);           //  releases the flock
    free (self);
    *self_p = NULL;
}
