//  healctl platform (Linux) — init_platform.h: disks from /proc/self/mounts,
//  systemd user units from ~/.config/systemd/user (init_os; init_services.c).

#include "healctl.h"
#include "init_platform.h"

#include "heal/keys.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_MAX_MOUNTS_LINE 4096      //  bytes of one /proc/self/mounts line

//  Mount points that are never a disk to watch.
static bool
s_pseudo (const char *dir)
{
    static const char *prefixes [] = { "/proc", "/sys", "/dev", "/run", "/snap",
                                       "/boot/efi", "/var/lib/docker", NULL };
    for (size_t i = 0; prefixes [i]; i++) {
        size_t n = strlen (prefixes [i]);
        if (strncmp (dir, prefixes [i], n) == 0 && (dir [n] == 0 || dir [n] == '/'))
            return true;
    }
    return false;
}

size_t
init_platform_disks (char (*paths) [INIT_MAX_PATH], size_t max)
{
    size_t count = 0;
    dev_t devices [INIT_MAX_FOUND];
    struct stat st;
    if (max == 0)
        return 0;
    //  "/" always: whatever it is mounted from (overlay in a container).
    snprintf (paths [count], INIT_MAX_PATH, "/");
    devices [count++] = stat ("/", &st) == 0 ? st.st_dev : 0;
    FILE *file = fopen ("/proc/self/mounts", "r");
    if (!file)
        return count;
    char line [S_MAX_MOUNTS_LINE];
    while (count < max && count < INIT_MAX_FOUND && fgets (line, sizeof line, file)) {
        char device [INIT_MAX_PATH], dir [INIT_MAX_PATH];
        //  "device dir type options 0 0"; octal escapes (\040) are rare
        //  for disks and left out.
        if (sscanf (line, "%1023s %1023s", device, dir) != 2)
            continue;
        if (strncmp (device, "/dev/", 5) != 0 || strncmp (device, "/dev/loop", 9) == 0
        ||  strchr (dir, '\\') || s_pseudo (dir) || streq (dir, "/"))
            continue;
        if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
            continue;           //  a file bind-mounted (/etc/hosts in a container)
        bool seen = false;
        for (size_t i = 0; i < count; i++)
            seen = seen || devices [i] == st.st_dev;
        if (seen)
            continue;
        snprintf (paths [count], INIT_MAX_PATH, "%s", dir);
        devices [count++] = st.st_dev;
    }
    fclose (file);
    return count;
}

//  $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user, into buf.
static int
s_user_units_dir (char *buf, size_t len)
{
    const char *xdg = getenv ("XDG_CONFIG_HOME");
    if (xdg && xdg [0] == '/') {
        int n = snprintf (buf, len, "%s/systemd/user", xdg);
        return n > 0 && (size_t) n < len ? 0 : -1;
    }
    char *path = heal_home_path ("~/.config/systemd/user");
    int n = path && path [0] == '/' ? snprintf (buf, len, "%s", path) : -1;
    free (path);
    return n > 0 && (size_t) n < len ? 0 : -1;
}

//  Templates (name@.service) and heal's own units are not offered.
static bool
s_skip (const char *file)
{
    return strchr (file, '@') || strncmp (file, "heal-", 5) == 0;
}

const init_os_t init_os = {
    .kind = "systemd",
    .suffix = ".service",
    .name_is_stem = false,
    .regular_only = true,
    .restart = "systemctl --user restart ",
    .restart_suffix = ".service",
    .managed = "",
    .dir = s_user_units_dir,
    .skip = s_skip,
    .restart_other = NULL
};
