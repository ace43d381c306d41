//  platform_linux — libheal's per-OS parts for Linux (bus/platform.h).

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include "platform.h"

const char *
heal_platform_runtime_base (void)
{
    return getenv ("XDG_RUNTIME_DIR");
}

int
heal_platform_state_dir (char *dir, size_t size)
{
    const char *xdg = getenv ("XDG_STATE_HOME");
    if (xdg && xdg [0] == '/')
        return (size_t) snprintf (dir, size, "%s/heal", xdg) >= size ? -1 : 0;
    char home [PATH_MAX];
    if (heal_home_dir (home, sizeof home))
        return -1;
    return (size_t) snprintf (dir, size, "%s/.local/state/heal", home) >= size ? -1 : 0;
}
