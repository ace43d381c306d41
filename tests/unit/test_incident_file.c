//  test_incident_file — incidents.jsonl: append, rotation by size, files of
//  this week never dropped for size, old files dropped, reading back newest
//  first, ids at the start of a line.

#include "incident_file.h"

#include <czmq.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "unit.h"

#define DAY_S 86400

int main (void);

static bool
s_exists (const char *path, int k)
{
    char name [512];
    snprintf (name, sizeof name, "%s.%d", path, k);
    struct stat st;
    return stat (name, &st) == 0;
}

static void
s_age (const char *path, int k, long days)
{
    char name [512];
    snprintf (name, sizeof name, "%s.%d", path, k);
    struct timeval tv [2];
    gettimeofday (&tv [0], NULL);
    tv [0].tv_sec -= days * DAY_S;
    tv [1] = tv [0];
    utimes (name, tv);
}

//  Fill path with n files' worth of 1 KiB lines, ids from *id on.
static void
s_fill (const char *path, int files, int64_t *id, int64_t now)
{
    char line [1024];
    int per_file = INCIDENT_FILE_MAX / (int) sizeof line;
    for (int i = 0; i < files * per_file; i++) {
        int n = snprintf (line, sizeof line, "{\"id\":%lld,\"check\":\"web\",\"pad\":\"",
                          (long long) (*id)++);
        memset (line + n, 'x', sizeof line - (size_t) n - 3);
        memcpy (line + sizeof line - 3, "\"}", 2);
        incident_file_append (path, line, sizeof line - 1, now);
    }
}

typedef struct {
    int64_t ids [4];
    int count;
} s_seen_t;

static bool
s_first_four (char *line, size_t len, void *arg)
{
    (void) len;
    s_seen_t *seen = (s_seen_t *) arg;
    seen->ids [seen->count++] = incident_file_line_id (line);
    return seen->count < 4;
}

int
main (void)
{
    char dir [] = "/tmp/heal-test-incident-file-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char path [256];
    snprintf (path, sizeof path, "%s/incidents.jsonl", dir);
    int64_t now = (int64_t) time (NULL) * 1000;

    CHECK (incident_file_line_id ("{\"id\":42,\"check\":\"x\"}") == 42);
    CHECK (incident_file_line_id ("{\"id\":7}") == 7);
    CHECK (incident_file_line_id ("{\"check\":\"x\",\"id\":42}") == -1);
    CHECK (incident_file_line_id ("{\"id\":x}") == -1);
    CHECK (incident_file_append (path, "", 0, now) == -1);

    //  Twelve files' worth, all written now: this week's, none dropped for
    //  size although only INCIDENT_FILES rotated files are kept otherwise.
    int64_t id = 1;
    s_fill (path, 12, &id, now);
    CHECK (s_exists (path, 11));
    CHECK (!s_exists (path, 13));
    //  Newest first across the files.
    s_seen_t seen = { { 0 }, 0 };
    incident_file_scan_back (path, s_first_four, &seen);
    CHECK (seen.count == 4 && seen.ids [0] == id - 1 && seen.ids [3] == id - 4);

    //  The older files age past the week: the next rotation drops those past
    //  INCIDENT_FILES.
    for (int k = 5; k <= 12; k++)
        s_age (path, k, 8);
    s_fill (path, 1, &id, now);
    CHECKF (s_exists (path, INCIDENT_FILES) && !s_exists (path, INCIDENT_FILES + 1),
            "files past %d kept", INCIDENT_FILES);

    //  A file past the retention is dropped even within the count.
    s_age (path, INCIDENT_FILES, 91);
    s_age (path, INCIDENT_FILES - 1, 91);
    s_fill (path, 1, &id, now);
    CHECK (s_exists (path, INCIDENT_FILES - 2) && !s_exists (path, INCIDENT_FILES));

    //  Nothing lost of what was kept: ids run without a hole, newest first.
    seen.count = 0;
    incident_file_scan_back (path, s_first_four, &seen);
    CHECK (seen.ids [0] == id - 1 && seen.ids [1] == id - 2);

    for (int k = 0; k <= 2 * INCIDENT_FILES + 1; k++) {
        char name [512];
        if (k)
            snprintf (name, sizeof name, "%s.%d", path, k);
        else
            snprintf (name, sizeof name, "%s", path);
        unlink (name);
    }
    rmdir (dir);
    printf ("test_incident_file: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed? 1: 0;
}
