//  dirs — heal's per-user directories: the runtime dir for ipc sockets and
//  the default state dir (include/heal/dirs.h). What differs per OS is in
//  platform_<os>.c.

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <czmq.h>
#include "heal/dirs.h"
#include "heal/file.h"
#include "platform.h"

int
heal_home_dir (char *buf, size_t len)
{
    const char *home = getenv ("HOME");
    if (home && home [0] == '/') {
        if ((size_t) snprintf (buf, len, "%s", home) >= len)
            return -1;
        return 0;
    }
    struct passwd pw, *result = NULL;
    char pwbuf [4096];
    if (getpwuid_r (geteuid (), &pw, pwbuf, sizeof pwbuf, &result) || !result
    ||  !pw.pw_dir || pw.pw_dir [0] != '/')
        return -1;
    if ((size_t) snprintf (buf, len, "%s", pw.pw_dir) >= len)
        return -1;
    return 0;
}

//  Create dir 0700 if absent and check it is ours and closed to others.
//  Returns 0, or -1 after logging why.
static int
s_private_dir (const char *dir)
{
    if (mkdir (dir, 0700) && errno != EEXIST) {
        zsys_error ("heal: runtime dir %s: %s", dir, strerror (errno));
        return -1;
    }
    struct stat st;
    if (lstat (dir, &st)) {
        zsys_error ("heal: runtime dir %s: %s", dir, strerror (errno));
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        zsys_error ("heal: runtime dir %s: not a directory", dir);
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        zsys_error ("heal: runtime dir %s: owned by uid %ld, not by us (%ld): "
                    "refusing it", dir, (long) st.st_uid, (long) geteuid ());
        return -1;
    }
    if (st.st_mode & 077) {
        zsys_error ("heal: runtime dir %s: open to group or others (mode %03o): "
                    "chmod 700 %s", dir, (unsigned) (st.st_mode & 0777), dir);
        return -1;
    }
    return 0;
}

char *
heal_runtime_dir (void)
{
    char dir [PATH_MAX];
    const char *base = heal_platform_runtime_base ();
    struct stat st;
    //  Keep ipc paths short: sockets are limited to 104 bytes on macOS
    //  (/var/folders/xx/<28 chars>/T/ is 49).
    if (base && base [0] == '/' && strlen (base) < 64
    &&  stat (base, &st) == 0 && S_ISDIR (st.st_mode)) {
        size_t blen = strlen (base);
        while (blen > 1 && base [blen - 1] == '/')
            blen--;
        snprintf (dir, sizeof dir, "%.*s/heal", (int) blen, base);
    }
    else
        snprintf (dir, sizeof dir, "/tmp/heal-%ld", (long) geteuid ());
    if (s_private_dir (dir))
        return NULL;
    return strdup (dir);
}

char *
heal_default_state_dir (void)
{
    char dir [PATH_MAX];
    if (heal_platform_state_dir (dir, sizeof dir))
        return NULL;
    return strdup (dir);
}

int
heal_state_dir_check (const char *dir, bool create, char *err, size_t errlen)
{
    struct stat st;
    if (!dir || !*dir) {
        snprintf (err, errlen, "no state directory");
        return -1;
    }
    if (stat (dir, &st)) {
        if (!create)
            return 0;           //  the agent creates it 0700 (or says why it cannot)
        if (errno != ENOENT || heal_mkdir_p (dir, 0700) || stat (dir, &st)) {
            snprintf (err, errlen, "%s: %s", dir, strerror (errno));
            return -1;
        }
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "%s: not a directory", dir);
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        snprintf (err, errlen, "%s: owned by uid %ld, not by the user running heal "
                  "(uid %ld): another user could plant its state", dir,
                  (long) st.st_uid, (long) geteuid ());
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf (err, errlen, "%s: writable by group or others (mode %03o): another "
                  "user could plant its state (chmod go-w %s)", dir,
                  (unsigned) (st.st_mode & 0777), dir);
        return -1;
    }
    return 0;
}
