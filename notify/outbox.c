//  outbox — heal-notify's on-disk queue, one directory per destination.
//
//  A batch file holds the messages of one burst: NNNNNNNNNNNNNNNNNNNN-CCCCCC.json
//  (a counter, so names sort oldest first, and how many messages it holds),
//  written to a temp name and renamed (outbox_commit: from here a crash of
//  heal-notify loses nothing, and the worker may start delivering), then
//  fsynced with its directory (outbox_sync: from here a crash of the machine
//  loses nothing either): one commit per burst however many alerts it held. The main thread only
//  adds batches; the destination's worker delivers them in order, writes
//  how far it got to NAME.done (rename, no fsync: a process crash keeps it;
//  an OS crash can only make it deliver a message twice, never lose one),
//  and removes both when the batch is done. No lock is needed.
//  More than NOTIFY_OUTBOX_MAX pending: the worker drops the oldest batches
//  and adds their messages to the `dropped` file, reported by the next
//  message delivered.

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

#define OUTBOX_NAME_LEN 32      //  20 digits, '-', 6 digits, ".json"

struct outbox_t {
    char *dir;
    uint64_t next;              //  counter of the next batch
    int dir_fd;                 //  for the commit's directory fsync
    json_t *batch;              //  added, not yet committed
    int sync_fd;                //  committed batch awaiting its fsync, or -1
};

//  Count of messages a batch name says it holds, or 0 when not a batch.
static size_t
s_batch_count (const char *name)
{
    if (strlen (name) != OUTBOX_NAME_LEN || name [20] != '-'
    ||  strcmp (name + 27, ".json"))
        return 0;
    for (size_t i = 0; i < 27; i++)
        if (i != 20 && (name [i] < '0' || name [i] > '9'))
            return 0;
    return (size_t) strtoul (name + 21, NULL, 10);
}

static char *
s_path (const char *dir, const char *name, const char *suffix)
{
    char *path = zsys_sprintf ("%s/%s%s", dir, name, suffix);
    char *copy = path ? strdup (path) : NULL;
    zstr_free (&path);
    return copy;
}

//  Write text to path through a temp file and rename; fsync when durable.
static int
s_write (const char *path, const char *text, size_t size, bool durable)
{
    char *tmp = zsys_sprintf ("%s.tmp", path);
    int fd = tmp ? open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    int rc = -1;
    if (fd >= 0) {
        bool ok = heal_write_all (fd, text, size) == 0 && (!durable || fsync (fd) == 0);
        if (close (fd) == 0 && ok)
            rc = rename (tmp, path);
        if (rc)
            unlink (tmp);
    }
    zstr_free (&tmp);
    return rc;
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
    self->sync_fd = -1;
    //  Continue after the newest batch; remove temp files a crash left.
    DIR *d = opendir (dir);
    struct dirent *entry;
    while (d && (entry = readdir (d))) {
        const char *name = entry->d_name;
        if (s_batch_count (name)) {
            uint64_t n = strtoull (name, NULL, 10);
            if (n >= self->next)
                self->next = n + 1;
        }
        else
        if (strlen (name) > 4 && streq (name + strlen (name) - 4, ".tmp")) {
            char *path = s_path (dir, name, "");
            if (path)
                unlink (path);
            free (path);
        }
        else
        if (strlen (name) > 5 && streq (name + strlen (name) - 5, ".done")) {
            //  a batch's progress outliving it (a crash between the two
            //  unlinks) would apply to a new batch that reuses the name
            char *path = s_path (dir, name, "");
            char *batch = path ? strndup (path, strlen (path) - 5) : NULL;
            struct stat st;
            if (batch && stat (batch, &st) && errno == ENOENT)
                unlink (path);
            free (batch);
            free (path);
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
    outbox_sync (self);
    if (self->dir_fd >= 0)
        close (self->dir_fd);
    json_decref (self->batch);
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
outbox_add (outbox_t *self, const json_t *message)
{
    if (!self->batch && !(self->batch = json_array ()))
        return -1;
    return json_array_append (self->batch, (json_t *) message);
}

int
outbox_commit (outbox_t *self)
{
    size_t count = json_array_size (self->batch);
    if (count == 0)
        return 0;
    outbox_sync (self);
    json_t *doc = json_pack ("{s:O}", "messages", self->batch);
    char *text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    json_decref (self->batch);
    self->batch = NULL;
    char name [64];
    snprintf (name, sizeof name, "%020" PRIu64 "-%06zu.json", self->next++,
              count > 999999 ? (size_t) 999999 : count);
    char *path = s_path (self->dir, name, "");
    char *tmp = path ? zsys_sprintf ("%s.tmp", path) : NULL;
    int rc = -1;
    int fd = tmp && text ? open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    if (fd >= 0) {
        if (heal_write_all (fd, text, strlen (text)) == 0)
            rc = rename (tmp, path);
        if (rc) {
            close (fd);
            unlink (tmp);
        }
        else
            self->sync_fd = fd;
    }
    if (rc)
        zsys_error ("notify: outbox %s: cannot write %zu message(s): %s", self->dir, count,
                    strerror (errno));
    zstr_free (&tmp);
    free (path);
    free (text);
    return rc;
}

void
outbox_sync (outbox_t *self)
{
    if (self->sync_fd < 0)
        return;
    if (fsync (self->sync_fd))
        zsys_error ("notify: outbox %s: fsync: %s", self->dir, strerror (errno));
    close (self->sync_fd);
    self->sync_fd = -1;
    if (self->dir_fd >= 0)
        fsync (self->dir_fd);
}

static int
s_compare (const char *a, const char *b)
{
    return strcmp (a, b);
}

//  A small decimal file (dropped counter, a batch's progress); 0 when absent.
static uint64_t
s_read_number (const char *path)
{
    size_t size = 0;
    char *text = path ? heal_read_file (path, 32, &size) : NULL;
    uint64_t n = text ? strtoull (text, NULL, 10) : 0;
    free (text);
    return n;
}

static void
s_write_number (const char *path, uint64_t n, bool durable)
{
    char text [32];
    int len = snprintf (text, sizeof text, "%" PRIu64 "\n", n);
    if (!path || s_write (path, text, (size_t) len, durable))
        zsys_error ("notify: cannot write %s: %s", path ? path : "?", strerror (errno));
}

uint64_t
outbox_dropped (const char *dir)
{
    char *path = s_path (dir, "dropped", "");
    uint64_t n = s_read_number (path);
    free (path);
    return n;
}

void
outbox_dropped_reset (const char *dir)
{
    char *path = s_path (dir, "dropped", "");
    if (path)
        unlink (path);
    free (path);
}

//  Sorted batch names in dir (owned list), and leftover .done files removed.
static zlist_t *
s_list (const char *dir)
{
    zlist_t *names = zlist_new ();
    if (!names)
        return NULL;
    zlist_autofree (names);
    zlist_comparefn (names, (zlist_compare_fn *) s_compare);
    DIR *d = opendir (dir);
    struct dirent *entry;
    while (d && (entry = readdir (d)))
        if (s_batch_count (entry->d_name))
            zlist_append (names, entry->d_name);
    if (d)
        closedir (d);
    zlist_sort (names, (zlist_compare_fn *) s_compare);
    return names;
}

static size_t
s_remaining (const char *dir, const char *name)
{
    char *done_path = s_path (dir, name, ".done");
    uint64_t done = s_read_number (done_path);
    free (done_path);
    size_t count = s_batch_count (name);
    return done < count ? count - (size_t) done : 0;
}

size_t
outbox_pending (const char *dir)
{
    zlist_t *names = s_list (dir);
    size_t total = 0;
    for (char *name = names ? (char *) zlist_first (names) : NULL; name;
         name = (char *) zlist_next (names))
        total += s_remaining (dir, name);
    zlist_destroy (&names);
    return total;
}

zlist_t *
outbox_scan (const char *dir, size_t max)
{
    zlist_t *names = s_list (dir);
    if (!names)
        return NULL;
    //  Bounded: the oldest batches go while too many messages are pending.
    size_t total = 0;
    for (char *name = (char *) zlist_first (names); name; name = (char *) zlist_next (names))
        total += s_batch_count (name);
    if (total > NOTIFY_OUTBOX_MAX) {
        total = outbox_pending (dir);
        uint64_t dropped = 0;
        while (total > NOTIFY_OUTBOX_MAX && zlist_size (names) > 1) {
            char *name = (char *) zlist_pop (names);
            size_t left = s_remaining (dir, name);
            outbox_remove (dir, name);
            free (name);
            total -= left;
            dropped += left;
        }
        if (dropped) {
            char *path = s_path (dir, "dropped", "");
            s_write_number (path, outbox_dropped (dir) + dropped, true);
            free (path);
            zsys_warning ("notify: outbox %s full: dropped the %" PRIu64 " oldest messages",
                          dir, dropped);
        }
    }
    while (zlist_size (names) > max) {
        char *name = (char *) zlist_tail (names);
        zlist_remove (names, name);
    }
    return names;
}

json_t *
outbox_load (const char *dir, const char *name, size_t *done)
{
    char *path = s_path (dir, name, "");
    char *done_path = s_path (dir, name, ".done");
    *done = (size_t) s_read_number (done_path);
    size_t size = 0;
    char *text = path ? heal_read_file (path, NOTIFY_OUTBOX_MAX_FILE, &size) : NULL;
    int saved = errno;
    json_t *messages = NULL;
    if (text) {
        json_error_t error;
        json_t *doc = json_loadb (text, size, 0, &error);
        messages = json_incref (json_object_get (doc, "messages"));
        json_decref (doc);
        if (!json_is_array (messages)) {
            json_decref (messages);
            messages = NULL;
        }
        free (text);
    }
    if (!messages && !(path && !text && saved == ENOENT)) {
        zsys_error ("notify: outbox %s: %s is unreadable: removed", dir, name);
        outbox_remove (dir, name);
    }
    free (path);
    free (done_path);
    return messages;
}

void
outbox_progress (const char *dir, const char *name, size_t done)
{
    char *path = s_path (dir, name, ".done");
    s_write_number (path, done, false);
    free (path);
}

void
outbox_remove (const char *dir, const char *name)
{
    char *path = s_path (dir, name, "");
    char *done_path = s_path (dir, name, ".done");
    if (path && unlink (path) && errno != ENOENT)
        zsys_error ("notify: outbox %s: cannot remove %s: %s", dir, name, strerror (errno));
    if (done_path)
        unlink (done_path);
    free (path);
    free (done_path);
}
