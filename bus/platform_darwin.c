//  platform_darwin — libheal's per-OS parts for macOS (bus/platform.h).

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "platform.h"

//  The per-user temp dir that follows the uid, not $TMPDIR: sudo, cron and
//  nix/direnv shells change or unset TMPDIR, and healctl or the diagnoser
//  would then look for the agent's sockets in another directory.
const char *
heal_platform_runtime_base (void)
{
    static char user_tmp [PATH_MAX];
    size_t user_len = confstr (_CS_DARWIN_USER_TEMP_DIR, user_tmp, sizeof user_tmp);
    if (user_len > 1 && user_len <= sizeof user_tmp)
        return user_tmp;
    return NULL;
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
