//  test_commands — the control command table shared by the agent and
//  healctl: lookup, the arity errors and usage lines it generates, and the
//  agent's command list.

#include "heal/heal.h"
#include "heal/commands.h"

#include <stdio.h>
#include <string.h>
#include "unit.h"

int main (void);

int
main (void)
{
    for (size_t i = 0; i < CONTROL_CMD_COUNT; i++) {
        const control_command_t *cmd = &control_commands [i];
        CHECKF (cmd->id == (control_command_id_t) i, "%s", cmd->name);
        CHECK (control_command_find (cmd->name) == cmd);
        CHECK (cmd->min_args <= cmd->max_args && cmd->summary && cmd->help);
    }
    CHECK (control_command_find ("frobnicate") == NULL);
    CHECK (control_command_find (NULL) == NULL);
    CHECK (!control_command_find ("watch")->agent);

    char err [128];
    const control_command_t *mute = control_command_find ("mute");
    CHECK (control_command_arity (mute, 2, err, sizeof err) == 0);
    CHECK (control_command_arity (mute, 1, err, sizeof err) == -1);
    CHECKF (streq (err, "mute: expects 2 argument(s), got 1"), "%s", err);
    const control_command_t *run = control_command_find ("run");
    CHECK (control_command_arity (run, 0, err, sizeof err) == 0);
    CHECK (control_command_arity (run, 2, err, sizeof err) == -1);
    CHECKF (streq (err, "run: expects 0 to 1 arguments, got 2"), "%s", err);

    char usage [64];
    control_command_usage (mute, usage, sizeof usage);
    CHECKF (streq (usage, "mute CHECK DURATION"), "%s", usage);
    control_command_usage (control_command_find ("ping"), usage, sizeof usage);
    CHECKF (streq (usage, "ping"), "%s", usage);

    char names [256];
    control_command_names (names, sizeof names);
    CHECKF (streq (names, "ping version status report run heal mute unmute reload "
                          "diagnosis history incidents"), "%s", names);
    control_command_names (names, 10);
    CHECKF (streq (names, "ping"), "%s", names);

    if (s_failed)
        fprintf (stderr, "test_commands: %d of %d failed\n", s_failed, s_checks);
    return s_failed? 1: 0;
}
