//  commands — the one table of control commands (see commands.h).

#include "heal/heal.h"
#include "heal/commands.h"

#include <stdio.h>
#include <string.h>

const control_command_t control_commands [CONTROL_CMD_COUNT] = {
    { CONTROL_CMD_PING, "ping", "", 0, 0, true,
      "is the agent answering?",
      "Sends ping and prints the round-trip time. Exit 0 when the agent answers,\n"
      "69 when it does not within --timeout." },
    { CONTROL_CMD_VERSION, "version", "", 0, 0, true,
      "healctl's and the agent's versions",
      "Prints healctl's version and the running agent's version, host and pid." },
    { CONTROL_CMD_STATUS, "status", "[CHECK]", 0, 1, true,
      "every check's state, as a table",
      "Prints one row per check: check, kind, critical, severity, since (when the\n"
      "severity last changed), remedy (last remediation's action and result) and\n"
      "the last message, and heals in the last 7 days. Colour only when stdout is\n"
      "a terminal and NO_COLOR is not set. With CHECK: that check in detail, as\n"
      "`healctl show CHECK`. Exit code: the worst severity, as heal-agent --once:\n"
      "0 ok or healed, 1 warning, 2 critical, 3 unknown (critical is the worst).\n"
      "With --json: the reply's data (schemas/control-commands.md), same exit code." },
    { CONTROL_CMD_REPORT, "report", "", 0, 0, true,
      "the health report (report.json)",
      "Prints the agent's current report.json: agent, cycle, degraded, each check's\n"
      "last event and the last diagnosis." },
    { CONTROL_CMD_RUN, "run", "[CHECK]", 0, 1, true,
      "run one check (or all) now",
      "Runs CHECK now (or every check when none is named), with remediation as in\n"
      "a normal cycle, and prints the result. Exit code: the worst severity.\n"
      "Default --timeout: 60000 ms, or 3 x the longest check timeout + 5 s." },
    { CONTROL_CMD_HEAL, "heal", "CHECK", 1, 1, true,
      "run CHECK with its remediation now",
      "Asks the agent to run CHECK now and remediate it when it fails, with a fresh\n"
      "remediation budget, and prints the outcome. Exit code: the resulting\n"
      "severity (0 ok or healed, 1 warning, 2 critical, 3 unknown).\n"
      "Default --timeout: 60000 ms, or 3 x the longest check timeout + 5 s." },
    { CONTROL_CMD_MUTE, "mute", "CHECK DURATION", 2, 2, true,
      "silence CHECK for a while",
      "CHECK keeps running but gets no remediation and raises no alerts until\n"
      "DURATION has passed: seconds (600) or with a unit (30s, 10m, 2h, 1d).\n"
      "The mute survives agent restarts." },
    { CONTROL_CMD_UNMUTE, "unmute", "CHECK", 1, 1, true,
      "end a mute",
      "Ends CHECK's mute now." },
    { CONTROL_CMD_RELOAD, "reload", "", 0, 0, true,
      "re-read the agent's config",
      "The agent re-reads its config file. A config that does not validate is\n"
      "refused (exit 1, the agent's error printed) and the old one stays." },
    { CONTROL_CMD_DIAGNOSIS, "diagnosis", "", 0, 0, true,
      "the last diagnosis from heal-diagnoser",
      "Prints the last diagnosis the agent has seen on the bus: summary, root\n"
      "cause, checks to run by hand." },
    { CONTROL_CMD_HISTORY, "history", "[CHECK] [SINCE]", 0, 3, true,
      "what heal did: heals, failures, incidents",
      "Prints what heal did since SINCE (--since DURATION, default 7d: 30m, 12h,\n"
      "7d, up to 90d): a first line in words (\"heal healed 14 problems in the\n"
      "last 7 days (redis 9, ollama 5); it gave up once (tunnel).\"), then per\n"
      "check heals, failures, gave up, remedies, time down and mean time to heal,\n"
      "then the incidents, newest first. CHECK: that check only. With --json:\n"
      "{since, checks: {NAME: {heals, failures, gave_up, remedies, down_ms,\n"
      "mttr_ms}}, incidents: [...]}. The agent takes SINCE in seconds, \"*\" for\n"
      "every check, and a third argument: how many incidents at most (200)." },
    { CONTROL_CMD_INCIDENTS, "incidents", "[AFTER]", 0, 1, true,
      "closed incidents after an id (for tools catching up)",
      "Prints, as JSON, the closed incidents whose id is greater than AFTER\n"
      "(default 0), oldest first and at most 200 (\"more\": true when there are\n"
      "more: ask again after \"last_id\"), and the incidents still open." },
    { CONTROL_CMD_WATCH, "watch", "[PREFIX]", 0, 1, false,
      "follow the bus: one line per event",
      "Connects to the bus (bus.publish of the config, or --bus ENDPOINT) and prints\n"
      "each event as it arrives: time, severity, check, message, remedy. With --json,\n"
      "one JSON object per line. PREFIX filters by topic, e.g. heal.alert or\n"
      "heal.check.critical. Keeps going when the agent restarts (it reconnects);\n"
      "Ctrl-C ends it with exit 0. -e is not used: it names the control socket." },
    { CONTROL_CMD_SHOW, "show", "CHECK", 1, 1, false,
      "one check in detail: why, what was done, its incidents",
      "Prints CHECK in detail: kind, critical, severity and since, message, why it\n"
      "was last healed (the evidence before the remedy), evidence, the last remedy\n"
      "and its output, remediation budget left and the next attempt allowed, mute,\n"
      "next run, heals in the last 7 days, the last incidents and the diagnosis\n"
      "that covered it. Same as `healctl status CHECK`. Exit code: that check's\n"
      "severity (0 ok or healed, 1 warning, 2 critical, 3 unknown)." },
};

const control_command_t *
control_command_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < CONTROL_CMD_COUNT; i++)
        if (streq (control_commands [i].name, name))
            return &control_commands [i];
    return NULL;
}

int
control_command_arity (const control_command_t *cmd, size_t argc, char *err, size_t errlen)
{
    if (argc >= cmd->min_args && argc <= cmd->max_args)
        return 0;
    if (cmd->min_args == cmd->max_args)
        snprintf (err, errlen, "%s: expects %zu argument(s), got %zu",
                  cmd->name, cmd->min_args, argc);
    else
        snprintf (err, errlen, "%s: expects %zu to %zu arguments, got %zu",
                  cmd->name, cmd->min_args, cmd->max_args, argc);
    return -1;
}

void
control_command_usage (const control_command_t *cmd, char *buf, size_t len)
{
    snprintf (buf, len, "%s%s%s", cmd->name, *cmd->usage? " ": "", cmd->usage);
}

void
control_command_names (char *buf, size_t len)
{
    size_t used = 0;
    if (len)
        buf [0] = 0;
    for (size_t i = 0; i < CONTROL_CMD_COUNT; i++) {
        if (!control_commands [i].agent)
            continue;
        int n = snprintf (buf + used, len - used, "%s%s", used? " ": "",
                          control_commands [i].name);
        if (n < 0 || (size_t) n >= len - used) {
            buf [used] = 0;     //  whole names only
            break;
        }
        used += (size_t) n;
    }
}
