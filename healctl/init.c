#include "healctl.h"
int
healctl_init (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    (void) ctl; (void) cmd; (void) argc; (void) argv;
    return 1;
}
