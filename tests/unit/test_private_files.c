//  test_private_files — heal's own state files are never opened through a
//  symlink or when someone else could have planted them (issue 14 #2):
//  heal_read_file_private, heal_open_append_private, heal_state_dir_check.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "heal/heal.h"
#include "unit.h"

static char s_dir [64];

static void
s_write (const char *path, const char *text, int mode)
{
    FILE *f = fopen (path, "w");
    if (f) {
        fputs (text, f);
        fclose (f);
    }
    chmod (path, (mode_t) mode);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/heal-test-private-%d", (int) getpid ());
    mkdir (s_dir, 0700);
    char victim [128], link [128], plain [128], open_dir [128], err [512];
    snprintf (victim, sizeof victim, "%s/victim", s_dir);
    snprintf (link, sizeof link, "%s/incidents.jsonl", s_dir);
    snprintf (plain, sizeof plain, "%s/state.json", s_dir);
    snprintf (open_dir, sizeof open_dir, "%s/open", s_dir);

    //  The agent appends to incidents.jsonl: a planted symlink is refused and
    //  the file it points to is untouched.
    s_write (victim, "precious\n", 0600);
    CHECK (symlink (victim, link) == 0);
    errno = 0;
    int fd = heal_open_append_private (link, 0600);
    CHECKF (fd < 0, "opened through a symlink");
    if (fd >= 0)
        close (fd);
    size_t size = 0;
    char *text = heal_read_file (victim, 1024, &size);
    CHECKF (text && streq (text, "precious\n"), "victim changed: %s", text ? text : "-");
    free (text);
    //  ... and read the same way: state.json through a symlink is not read.
    unlink (link);
    CHECK (symlink (victim, plain) == 0);
    CHECKF (heal_read_file_private (plain, 1024, &size) == NULL && errno == ELOOP,
            "read through a symlink (errno %d)", errno);
    unlink (plain);
    //  A group-writable state file is not ours alone: refused.
    s_write (plain, "{}", 0620);
    chmod (plain, 0620);
    CHECKF (heal_read_file_private (plain, 1024, &size) == NULL && errno == EPERM,
            "group-writable state read");
    chmod (plain, 0600);
    text = heal_read_file_private (plain, 1024, &size);
    CHECKF (text && streq (text, "{}"), "own state refused");
    free (text);
    fd = heal_open_append_private (link, 0600);
    CHECKF (fd >= 0, "a fresh incidents file refused: %s", strerror (errno));
    if (fd >= 0)
        close (fd);

    //  The state dir: ours and closed to writers; absent is fine for -n and
    //  created 0700 at start.
    CHECKF (heal_state_dir_check (s_dir, false, err, sizeof err) == 0, "%s", err);
    mkdir (open_dir, 0700);
    chmod (open_dir, 0777);
    CHECKF (heal_state_dir_check (open_dir, true, err, sizeof err) == -1
            && strstr (err, "writable by group or others"), "0777 state dir accepted");
    chmod (open_dir, 0770);
    CHECKF (heal_state_dir_check (open_dir, true, err, sizeof err) == -1,
            "0770 state dir accepted");
    rmdir (open_dir);
    CHECKF (heal_state_dir_check (open_dir, false, err, sizeof err) == 0, "absent: %s", err);
    struct stat st;
    CHECKF (stat (open_dir, &st) != 0, "-n created the state dir");
    CHECKF (heal_state_dir_check (open_dir, true, err, sizeof err) == 0, "create: %s", err);
    CHECKF (stat (open_dir, &st) == 0 && (st.st_mode & 0777) == 0700, "created 0700");
    if (geteuid () == 0) {
        //  owned by someone else (root can make one): refused
        CHECK (chown (open_dir, 65534, 65534) == 0);
        CHECKF (heal_state_dir_check (open_dir, true, err, sizeof err) == -1
                && strstr (err, "owned by uid"), "foreign state dir accepted");
    }
    rmdir (open_dir);
    unlink (link);
    unlink (plain);
    unlink (victim);
    rmdir (s_dir);
    printf ("test_private_files: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed ? 1 : 0;
}
