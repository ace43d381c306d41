//  platform — what the platform interface (platform.h) can say on top of each
//  platform's own file (platform_linux.c, platform_darwin.c).

#include "platform.h"

//  A zombie is dead: on these machines PID 1 may take seconds to reap it, and
//  launchd or systemd would already report the service gone.
bool
platform_proc_alive (int pid, uint64_t start_time)
{
    platform_proc_t info;
    if (platform_proc_info (pid, &info))
        return false;
    if (info.zombie)
        return false;
    return start_time == 0 || info.start_time == start_time;
}
