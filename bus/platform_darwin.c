//  platform_darwin — libheal's per-OS parts for macOS (bus/platform.h).

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include "platform.h"

const char *
heal_platform_runtime_base (void)
{
    return getenv ("TMPDIR");
}

int
heal_platform_state_dir (char *dir, size_t size)
{
    char home [PATH_MAX];
    if (heal_home_dir (home, sizeof home))
        return -1;
    return (size_t) snprintf (dir, size, "%s/Library/Application Support/heal", home) >= size
           ? -1 : 0;
}
