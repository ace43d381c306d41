//  healctl platform (macOS) — init_platform.h: disks from getmntinfo,
//  LaunchAgents from ~/Library/LaunchAgents, Homebrew services (init_os;
//  init_services.c).

#include "healctl.h"
#include "init_platform.h"

#include "heal/keys.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

size_t
init_platform_disks (char (*paths) [INIT_MAX_PATH], size_t max)
{
    size_t count = 0;
    if (max == 0)
        return 0;
    snprintf (paths [count++], INIT_MAX_PATH, "/");
    struct statfs *mounts = NULL;
    int n = getmntinfo (&mounts, MNT_NOWAIT);
    for (int i = 0; i < n && count < max; i++) {
        const char *dir = mounts [i].f_mntonname;
        //  Local volumes the user sees: /Volumes/..., not the system's own.
        if (!(mounts [i].f_flags & MNT_LOCAL) || (mounts [i].f_flags & MNT_DONTBROWSE)
        ||  strncmp (dir, "/Volumes/", 9) != 0)
            continue;
        snprintf (paths [count++], INIT_MAX_PATH, "%s", dir);
    }
    return count;
}

static int
s_agents_dir (char *buf, size_t len)
{
    char *path = heal_home_path ("~/Library/LaunchAgents");
    int n = path && path [0] == '/' ? snprintf (buf, len, "%s", path) : -1;
    free (path);
    return n > 0 && (size_t) n < len ? 0 : -1;
}

//  heal's own LaunchAgents are not offered.
static bool
s_skip (const char *file)
{
    return strncmp (file, "dev.heal.", 9) == 0;
}

//  Another LaunchAgent of the user's that names the service
//  (com.ollama.ollama.plist): kickstart -k restarts it, or starts it.
static int
s_kickstart (const char *dir, const char *service, char *buf, size_t len)
{
    DIR *d = opendir (dir);
    struct dirent *entry;
    while (d && (entry = readdir (d))) {
        if (init_service_file (entry->d_name) && strstr (entry->d_name, service)) {
            snprintf (buf, len, "launchctl kickstart -k gui/%u/%.*s", (unsigned) getuid (),
                      (int) (strlen (entry->d_name) - 6), entry->d_name);
            closedir (d);
            return 0;
        }
    }
    if (d)
        closedir (d);
    return -1;
}

//  The label is the file's name by convention (launchctl's too); Homebrew's
//  own LaunchAgent (homebrew.mxcl.NAME.plist): brew services knows it.
const init_os_t init_os = {
    .kind = "launchd",
    .suffix = ".plist",
    .name_is_stem = true,
    .regular_only = false,
    .restart = "brew services restart ",
    .restart_suffix = "",
    .managed = "homebrew.mxcl.",
    .dir = s_agents_dir,
    .skip = s_skip,
    .restart_other = s_kickstart
};
