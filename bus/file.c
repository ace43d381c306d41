//  file — whole-file reads, atomic writes, mkdir -p (include/heal/file.h).

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "heal/file.h"

static _Atomic unsigned s_tmp_counter;

int
heal_write_all (int fd, const void *data, size_t size)
{
    const char *p = (const char *) data;
    size_t left = size;
    while (left > 0) {
        ssize_t n = write (fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        left -= (size_t) n;
    }
    return 0;
}

int
heal_write_atomic (const char *path, const void *data, size_t size, int mode)
{
    if (!path || (!data && size))
        return -1;
    size_t plen = strlen (path);
    if (plen == 0 || plen > PATH_MAX - 40) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char tmp [PATH_MAX];
    snprintf (tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long) getpid (),
              s_tmp_counter++);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t) mode);
    if (fd < 0)
        return -1;
    int saved;
    if (fchmod (fd, (mode_t) mode)
    ||  heal_write_all (fd, data, size)
    ||  fsync (fd))
        goto failed;
    if (close (fd)) {
        fd = -1;
        goto failed;
    }
    fd = -1;
    if (rename (tmp, path))
        goto failed;

    //  fsync the directory so the rename itself is durable
    char dir [PATH_MAX];
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else
    if (slash == path)
        snprintf (dir, sizeof dir, "/");
    else
        snprintf (dir, sizeof dir, "%.*s", (int) (slash - path), path);
    int dfd = open (dir, O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        //  Some file systems refuse fsync on a directory (EINVAL): the data
        //  is written and renamed, which is the part that matters.
        if (fsync (dfd) && errno != EINVAL && errno != EBADF) {
            saved = errno;
            close (dfd);
            errno = saved;
            return -1;
        }
        close (dfd);
    }
    return 0;

failed:
    saved = errno;
    if (fd >= 0)
        close (fd);
    unlink (tmp);
    errno = saved;
    return -1;
}

//  Ours: owned by the effective user and not writable by group or others.
static bool
s_private (const struct stat *st)
{
    return st->st_uid == geteuid () && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static char *
s_read_file (const char *path, size_t max, size_t *size, bool private_file)
{
    if (!path || max >= SIZE_MAX - 1) {
        errno = EINVAL;
        return NULL;
    }
    //  O_NONBLOCK: opening a FIFO must not hang; we refuse non-regular files.
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK
                         | (private_file ? O_NOFOLLOW : 0));
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat (fd, &st)) {
        int saved = errno;
        close (fd);
        errno = saved;
        return NULL;
    }
    if (!S_ISREG (st.st_mode)) {
        close (fd);
        errno = S_ISDIR (st.st_mode) ? EISDIR : EINVAL;
        return NULL;
    }
    if (private_file && !s_private (&st)) {
        close (fd);
        errno = EPERM;
        return NULL;
    }
    if ((uint64_t) st.st_size > (uint64_t) max) {
        close (fd);
        errno = EFBIG;
        return NULL;
    }
    //  Size can change under us (and /proc files say 0): read up to max + 1.
    size_t cap = (size_t) st.st_size + 1;
    if (cap > max + 1)
        cap = max + 1;
    if (cap < 4096 && max + 1 > 4096)
        cap = 4096;
    char *buf = (char *) malloc (cap + 1);
    size_t used = 0;
    while (buf) {
        if (used == cap) {
            if (cap >= max + 1)
                break;
            size_t next = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *bigger = (char *) realloc (buf, next + 1);
            if (!bigger) {
                free (buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap = next;
        }
        ssize_t n = read (fd, buf + used, cap - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            free (buf);
            close (fd);
            errno = saved;
            return NULL;
        }
        if (n == 0)
            break;
        used += (size_t) n;
    }
    close (fd);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    if (used > max) {
        free (buf);
        errno = EFBIG;
        return NULL;
    }
    buf [used] = 0;
    if (size)
        *size = used;
    return buf;
}

char *
heal_read_file (const char *path, size_t max, size_t *size)
{
    return s_read_file (path, max, size, false);
}

char *
heal_read_file_private (const char *path, size_t max, size_t *size)
{
    return s_read_file (path, max, size, true);
}

int
heal_open_append_private (const char *path, int mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW
                         | O_NONBLOCK, (mode_t) mode);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat (fd, &st) || !S_ISREG (st.st_mode) || !s_private (&st)) {
        close (fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

int
heal_mkdir_p (const char *path, int mode)
{
    if (!path || !*path)
        return -1;
    size_t len = strlen (path);
    if (len >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char buf [PATH_MAX];
    memcpy (buf, path, len + 1);
    //  strip trailing slashes (keep "/")
    while (len > 1 && buf [len - 1] == '/')
        buf [--len] = 0;
    for (size_t i = 1; i <= len; i++) {
        if (buf [i] != '/' && buf [i] != 0)
            continue;
        char saved = buf [i];
        buf [i] = 0;
        if (mkdir (buf, (mode_t) mode) && errno != EEXIST)
            return -1;
        struct stat st;
        if (stat (buf, &st))
            return -1;
        if (!S_ISDIR (st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        buf [i] = saved;
    }
    return 0;
}

int
heal_append_file (const char *path, const void *data, size_t size, int mode)
{
    if (!path || (!data && size))
        return -1;
    int fd = heal_open_append_private (path, mode);
    if (fd < 0)
        return -1;
    //  One write: O_APPEND puts it whole at the end (a regular file).
    if (heal_write_all (fd, data, size)) {
        int saved = errno;
        close (fd);
        errno = saved;
        return -1;
    }
    return close (fd);
}
