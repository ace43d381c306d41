//  init_services — the user's own services for `healctl init`, and how one
//  is restarted, the same on every OS: what differs (systemd user units,
//  LaunchAgents) is the platform file's init_os (init_platform.h).

#include "healctl.h"
#include "init_platform.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool
init_service_file (const char *file)
{
    size_t n = strlen (file), suffix = strlen (init_os.suffix);
    return n > suffix && n < INIT_MAX_NAME && streq (file + n - suffix, init_os.suffix)
        && !init_os.skip (file);
}

size_t
init_platform_user_services (init_service_t *out, size_t max)
{
    char dir [INIT_MAX_PATH];
    if (init_os.dir (dir, sizeof dir))
        return 0;
    DIR *d = opendir (dir);
    if (!d)
        return 0;
    size_t count = 0;
    struct dirent *entry;
    while (count < max && (entry = readdir (d))) {
        const char *file = entry->d_name;
        if (!init_service_file (file))
            continue;
        init_service_t *service = &out [count];
        size_t n = strlen (file) - (init_os.name_is_stem ? strlen (init_os.suffix) : 0);
        snprintf (service->name, sizeof service->name, "%.*s", (int) n, file);
        int w = snprintf (service->path, sizeof service->path, "%s/%s", dir, file);
        struct stat st;
        if (w < 0 || (size_t) w >= sizeof service->path
        ||  (init_os.regular_only && (stat (service->path, &st) != 0 || !S_ISREG (st.st_mode))))
            continue;
        count++;
    }
    closedir (d);
    return count;
}

const char *
init_platform_service_kind (void)
{
    return init_os.kind;
}

int
init_platform_restart (const char *service, char *buf, size_t len,
                       char *example, size_t example_len)
{
    snprintf (example, example_len, "%s%s%s", init_os.restart, service,
              init_os.restart_suffix);
    char dir [INIT_MAX_PATH], path [INIT_MAX_PATH + INIT_MAX_NAME];
    struct stat st;
    if (init_os.dir (dir, sizeof dir))
        return -1;
    snprintf (path, sizeof path, "%s/%s%s%s", dir, init_os.managed, service, init_os.suffix);
    if (stat (path, &st) == 0) {
        snprintf (buf, len, "%s%s%s", init_os.restart, service, init_os.restart_suffix);
        return 0;
    }
    return init_os.restart_other ? init_os.restart_other (dir, service, buf, len) : -1;
}
