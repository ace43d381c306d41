//  commands — the one table of control commands, shared by the agent's
//  control server (which serves them) and healctl (which sends them): name,
//  arguments, help. Both generate their usage lines and arity errors from it,
//  so the two cannot disagree. Reply shapes: schemas/control-commands.md.

#ifndef HEAL_COMMANDS_H_INCLUDED
#define HEAL_COMMANDS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CONTROL_CMD_PING = 0,
    CONTROL_CMD_VERSION,
    CONTROL_CMD_STATUS,
    CONTROL_CMD_REPORT,
    CONTROL_CMD_RUN,
    CONTROL_CMD_HEAL,
    CONTROL_CMD_MUTE,
    CONTROL_CMD_UNMUTE,
    CONTROL_CMD_RELOAD,
    CONTROL_CMD_DIAGNOSIS,
    CONTROL_CMD_HISTORY,
    CONTROL_CMD_INCIDENTS,
    CONTROL_CMD_WATCH,              //  healctl only: it reads the bus
    CONTROL_CMD_SHOW,               //  healctl only: status + history of one check
    CONTROL_CMD_COUNT
} control_command_id_t;

typedef struct {
    control_command_id_t id;
    const char *name;
    const char *usage;              //  argument words, e.g. "CHECK DURATION", "[CHECK]"
    size_t min_args;
    size_t max_args;
    bool agent;                     //  served by the agent's control socket
    const char *summary;            //  one line for `healctl -h`
    const char *help;               //  the rest of `healctl COMMAND -h`
} control_command_t;

//  Indexed by control_command_id_t.
extern const control_command_t control_commands [CONTROL_CMD_COUNT];

//  The command named name, or NULL.
const control_command_t *control_command_find (const char *name);

//  0 when argc arguments fit cmd; else -1 with the agent's error reply in
//  err ("mute: expects 2 argument(s), got 1").
int control_command_arity (const control_command_t *cmd, size_t argc,
                           char *err, size_t errlen);

//  "NAME USAGE" ("mute CHECK DURATION", "ping") into buf.
void control_command_usage (const control_command_t *cmd, char *buf, size_t len);

//  The agent's command names, space separated, in table order, into buf.
void control_command_names (char *buf, size_t len);

#endif
