//  healctl platform (macOS) — init_platform.h: disks from getmntinfo,
//  LaunchAgents from ~/Library/LaunchAgents, Homebrew services.

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

size_t
init_platform_user_services (init_service_t *out, size_t max)
{
    char dir [INIT_MAX_PATH];
    if (s_agents_dir (dir, sizeof dir))
        return 0;
    DIR *d = opendir (dir);
    if (!d)
        return 0;
    size_t count = 0;
    struct dirent *entry;
    while (count < max && (entry = readdir (d))) {
        const char *name = entry->d_name;
        size_t n = strlen (name);
        if (n < 7 || n >= INIT_MAX_NAME || !streq (name + n - 6, ".plist")
        ||  strncmp (name, "dev.heal.", 9) == 0)
            continue;
        init_service_t *service = &out [count];
        //  The label is the file's name by convention (launchctl's too).
        snprintf (service->name, sizeof service->name, "%.*s", (int) (n - 6), name);
        int w = snprintf (service->path, sizeof service->path, "%s/%s", dir, name);
        if (w < 0 || (size_t) w >= sizeof service->path)
            continue;
        count++;
    }
    closedir (d);
    return count;
}

const char *
init_platform_service_kind (void)
{
    return "launchd";
}

int
init_platform_restart (const char *service, char *buf, size_t len,
                       char *example, size_t example_len)
{
    snprintf (example, example_len, "brew services restart %s", service);
    char dir [INIT_MAX_PATH], path [INIT_MAX_PATH + INIT_MAX_NAME];
    struct stat st;
    if (s_agents_dir (dir, sizeof dir) == 0) {
        //  Homebrew's own LaunchAgent: brew services knows the service.
        snprintf (path, sizeof path, "%s/homebrew.mxcl.%s.plist", dir, service);
        if (stat (path, &st) == 0) {
            snprintf (buf, len, "brew services restart %s", service);
            return 0;
        }
        //  Another LaunchAgent of the user's that names the service
        //  (com.ollama.ollama.plist): kickstart -k restarts it, or starts it.
        DIR *d = opendir (dir);
        struct dirent *entry;
        while (d && (entry = readdir (d))) {
            size_t n = strlen (entry->d_name);
            if (n > 6 && n < INIT_MAX_NAME && streq (entry->d_name + n - 6, ".plist")
            &&  strstr (entry->d_name, service)
            &&  strncmp (entry->d_name, "dev.heal.", 9) != 0) {
                snprintf (buf, len, "launchctl kickstart -k gui/%u/%.*s",
                          (unsigned) getuid (), (int) (n - 6), entry->d_name);
                closedir (d);
                return 0;
            }
        }
        if (d)
            closedir (d);
    }
    return -1;
}
