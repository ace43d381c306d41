//  outbox — heal-notify's on-disk queue, one directory per destination.
//
//  Each pending message is one file, NNNNNNNNNNNNNNNNNNNN.json (a counter, so
//  names sort oldest first), written to a temp name, fsynced, renamed; the
//  directory is fsynced once per burst (outbox_sync). The main thread only
//  adds files, the destination's worker only removes them: no lock. When more
//  than NOTIFY_OUTBOX_MAX are pending, the worker drops the oldest and adds
//  them to the `dropped` file, which the next delivered message reports.

#include "notify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTBOX_NAME_LEN 25      //  20 digits + ".json"

struct outbox_t {
    char *dir;
    uint64_t next;              //  counter of the next file
    int dir_fd;                 //  for the burst fsync
};

static bool
s_is_message (const char *name)
{
    size_t len = strlen (name);
    if (len != OUTBOX_NAME_LEN || strcmp (name + 20, ".json"))
        return false;
    for (size_t i = 0; i < 20; i++)
        if (name [i] < '0' || name [i] > '9')
            return false;
    return true;
}

outbox_t *
outbox_new (const char *dir)
{
    if (heal_mkdir_p (dir, 0700)) {
        zsys_error ("notify: outbox %s: %s", dir, strerror (errno));
        return NULL;
    }
    outbox_t *self = (outbox_t *) calloc (1, sizeof (outbox_t));
    if (!self || !(self->dir = strdup (dir))) {
        free (self);
        return NULL;
    }
    self->dir_fd = open (dir, O_RDONLY);
    //  Continue after the newest file; remove temp files a crash left.
    DIR *d = opendir (dir);
    struct dirent *entry;
    while (d && (entry = readdir (d))) {
        if (s_is_message (entry->d_name)) {
            uint64_t n = strtoull (entry->d_name, NULL, 10);
            if (n >= self->next)
                self->next = n + 1;
        }
        else
        if (strncmp (entry->d_name, "tmp.", 4) == 0) {
            char *path = zsys_sprintf ("%s/%s", dir, entry->d_name);
            if (path)
                unlink (path);
            zstr_free (&path);
        }
    }
    if (d)
        closedir (d);
    return self;
}

void
outbox_destroy (outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    outbox_t *self = *self_p;
    if (self->dir_fd >= 0)
        close (self->dir_fd);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

const char *
outbox_dir (outbox_t *self)
{
    return self->dir;
}

int
outbox_put (outbox_t *self, const json_t *message)
{
    char *text = json_dumps (message, JSON_COMPACT);
    if (!text)
        return -1;
    size_t size = strlen (text);
    int rc = -1;
    char name [OUTBOX_NAME_LEN + 1];
    snprintf (name, sizeof name, "%020" PRIu64 ".json", self->next++);
    char *tmp = zsys_sprintf ("%s/tmp.%s", self->dir, name);
    char *path = zsys_sprintf ("%s/%s", self->dir, name);
    int fd = tmp ? open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    if (fd < 0)
        goto done;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write (fd, text + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t) n;
    }
    if (done == size && fsync (fd) == 0 && close (fd) == 0) {
        fd = -1;
        rc = rename (tmp, path);
    }
    if (fd >= 0)
        close (fd);
    if (rc)
        unlink (tmp);
done:
    if (rc)
        zsys_error ("notify: outbox %s: cannot write %s: %s", self->dir, name,
                    strerror (errno));
    zstr_free (&tmp);
    zstr_free (&path);
    free (text);
    return rc;
}

void
outbox_sync (outbox_t *self)
{
    if (self->dir_fd >= 0)
        fsync (self->dir_fd);
}

static int
s_compare (const char *a, const char *b)
{
    return strcmp (a, b);
}

//  The dropped counter file: a decimal number.
static char *
s_dropped_path (const char *dir)
{
    return zsys_sprintf ("%s/dropped", dir);
}

uint64_t
outbox_dropped (const char *dir)
{
    char *path = s_dropped_path (dir);
    size_t size = 0;
    char *text = path ? heal_read_file (path, 32, &size) : NULL;
    uint64_t n = text ? strtoull (text, NULL, 10) : 0;
    free (text);
    zstr_free (&path);
    return n;
}

static void
s_dropped_set (const char *dir, uint64_t n)
{
    char *path = s_dropped_path (dir);
    char text [32];
    int len = snprintf (text, sizeof text, "%" PRIu64 "\n", n);
    if (path && heal_write_atomic (path, text, (size_t) len, 0600))
        zsys_error ("notify: outbox %s: cannot record dropped messages: %s", dir,
                    strerror (errno));
    zstr_free (&path);
}

void
outbox_dropped_reset (const char *dir)
{
    char *path = s_dropped_path (dir);
    if (path)
        unlink (path);
    zstr_free (&path);
}

zlist_t *
outbox_scan (const char *dir, size_t max)
{
    zlist_t *names = zlist_new ();
    if (!names)
        return NULL;
    zlist_autofree (names);
    zlist_comparefn (names, (zlist_compare_fn *) s_compare);
    DIR *d = opendir (dir);
    struct dirent *entry;
    while (d && (entry = readdir (d)))
        if (s_is_message (entry->d_name))
            zlist_append (names, entry->d_name);
    if (d)
        closedir (d);
    zlist_sort (names, (zlist_compare_fn *) s_compare);
    //  Bounded: the oldest beyond NOTIFY_OUTBOX_MAX go, counted.
    size_t total = zlist_size (names);
    if (total > NOTIFY_OUTBOX_MAX) {
        size_t drop = total - NOTIFY_OUTBOX_MAX;
        for (size_t i = 0; i < drop; i++) {
            char *name = (char *) zlist_pop (names);
            outbox_remove (dir, name);
            free (name);
        }
        s_dropped_set (dir, outbox_dropped (dir) + drop);
        zsys_warning ("notify: outbox %s full: dropped the %zu oldest messages", dir, drop);
    }
    while (zlist_size (names) > max) {
        char *name = (char *) zlist_tail (names);
        zlist_remove (names, name);
    }
    return names;
}

json_t *
outbox_load (const char *dir, const char *name)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    if (!path)
        return NULL;
    size_t size = 0;
    char *text = heal_read_file (path, NOTIFY_OUTBOX_MAX_FILE, &size);
    json_t *message = NULL;
    if (text) {
        json_error_t error;
        message = json_loadb (text, size, 0, &error);
        if (message && (!json_is_object (message)
                        || !json_is_array (json_object_get (message, "items")))) {
            json_decref (message);
            message = NULL;
        }
        free (text);
    }
    if (!message && errno != ENOENT) {
        zsys_error ("notify: outbox %s: %s is unreadable: removed", dir, name);
        unlink (path);
    }
    zstr_free (&path);
    return message;
}

void
outbox_remove (const char *dir, const char *name)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    if (path && unlink (path) && errno != ENOENT)
        zsys_error ("notify: outbox %s: cannot remove %s: %s", dir, name, strerror (errno));
    zstr_free (&path);
}
