//  incident_file — incidents.jsonl, appended, rotated and read back (see
//  incident_file.h).

#include "incident_file.h"
#include "heal/file.h"

#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_HARD_MAX (2 * INCIDENT_FILES)

static void
s_rotated (const char *path, int k, char *buf, size_t len)
{
    snprintf (buf, len, "%s.%d", path, k);
}

//  Last write time (wall ms) of path, or -1 when it does not exist.
static int64_t
s_mtime (const char *path)
{
    struct stat st;
    if (stat (path, &st))
        return -1;
    return (int64_t) st.st_mtime * 1000;
}

//  current -> .1, .1 -> .2, ...; the oldest dropped by count and age.
static void
s_rotate (const char *path, int64_t now)
{
    char name [4096];
    char next [4096];
    int count = 0;
    while (count < S_HARD_MAX) {
        s_rotated (path, count + 1, name, sizeof name);
        if (s_mtime (name) < 0)
            break;
        count++;
    }
    //  Drop from the oldest end: past the count (unless it holds this
    //  week), past the hard bound, or older than the retention.
    while (count > 0) {
        s_rotated (path, count, name, sizeof name);
        int64_t mtime = s_mtime (name);
        bool old = mtime < now - INCIDENT_KEEP_MS;
        bool spare = count >= INCIDENT_FILES && mtime < now - INCIDENT_WEEK_MS;
        if (!old && !spare && count < S_HARD_MAX)
            break;
        unlink (name);
        count--;
    }
    for (int k = count; k >= 1; k--) {
        s_rotated (path, k, name, sizeof name);
        s_rotated (path, k + 1, next, sizeof next);
        if (rename (name, next))
            zsys_error ("agent: cannot rotate %s: %s", name, strerror (errno));
    }
    s_rotated (path, 1, next, sizeof next);
    if (rename (path, next))
        zsys_error ("agent: cannot rotate %s: %s", path, strerror (errno));
}

int
incident_file_append (const char *path, const char *line, size_t len, int64_t now)
{
    if (!path || !line || len == 0 || len > INCIDENT_MAX_LINE)
        return -1;
    struct stat st;
    if (stat (path, &st) == 0 && (uint64_t) st.st_size + len + 1 > INCIDENT_FILE_MAX)
        s_rotate (path, now);
    char *copy = (char *) malloc (len + 1);
    if (!copy)
        return -1;
    memcpy (copy, line, len);
    copy [len] = '\n';
    int rc = heal_append_file (path, copy, len + 1, 0600);
    if (rc)
        zsys_error ("agent: cannot append to %s: %s", path, strerror (errno));
    free (copy);
    return rc;
}

//  Visit one file's lines from the end. false when fn asked to stop.
static bool
s_scan_file (const char *path, incident_file_fn *fn, void *arg)
{
    size_t size = 0;
    char *text = heal_read_file_private (path, 2 * INCIDENT_FILE_MAX, &size);
    if (!text)
        return true;
    bool go_on = true;
    size_t end = size;
    while (go_on && end > 0) {
        if (text [end - 1] == '\n') {
            end--;
            continue;
        }
        size_t start = end;
        while (start > 0 && text [start - 1] != '\n')
            start--;
        text [end] = 0;
        if (text [start] == '{')
            go_on = fn (text + start, end - start, arg);
        end = start;
    }
    free (text);
    return go_on;
}

void
incident_file_scan_back (const char *path, incident_file_fn *fn, void *arg)
{
    if (!path || !s_scan_file (path, fn, arg))
        return;
    char name [4096];
    for (int k = 1; k <= S_HARD_MAX; k++) {
        s_rotated (path, k, name, sizeof name);
        if (s_mtime (name) < 0 || !s_scan_file (name, fn, arg))
            return;
    }
}

int64_t
incident_file_line_id (const char *line)
{
    if (strncmp (line, "{\"id\":", 6))
        return -1;
    const char *p = line + 6;
    int64_t id = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 18) {
        id = id * 10 + (*p++ - '0');
        digits++;
    }
    return digits && (*p == ',' || *p == '}')? id: -1;
}
