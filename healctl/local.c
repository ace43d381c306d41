//  healctl local commands — the commands that run without an agent: help,
//  init, completion. Their names, arguments and help are rows like the
//  shared table's (heal/commands.h), so `healctl -h`, `healctl help COMMAND`,
//  the usage errors and the shell completion treat every command alike.

#include "healctl.h"

const control_command_t healctl_local_specs [HEALCTL_SPEC_COUNT] = {
    [HEALCTL_SPEC_HELP] = { CONTROL_CMD_COUNT, "help", "[COMMAND]", 0, 1, false,
      "this help, or one command's",
      "Prints healctl's usage, or with COMMAND that command's help (the same as\n"
      "`healctl COMMAND -h`)." },
    [HEALCTL_SPEC_INIT] = { CONTROL_CMD_COUNT, "init", "[FILE]", 0, 1, false,
      "write a starter config for this machine",
      "Detects what runs here (the Ollama server and its models, redis, postgres,\n"
      "a cloudflared tunnel, your LaunchAgents or systemd user units, the disks)\n"
      "and writes a config with a check for each, from the templates in\n"
      "share/heal/templates (docs/templates in the source tree), every line\n"
      "commented. FILE: -c, else $HEAL_CONFIG, else ~/.config/heal/heal.conf;\n"
      "- writes to stdout. Never overwrites a file (exit 73); writes it 0600 and\n"
      "validates it as heal-agent -n does (exit 78 when it does not)." },
    [HEALCTL_SPEC_COMPLETION] = { CONTROL_CMD_COUNT, "completion", "SHELL", 1, 1, false,
      "shell completion: bash, zsh or fish",
      "Prints the completion script for SHELL (bash, zsh, fish): commands and\n"
      "options from healctl's tables, check names asked of the running agent.\n"
      "`make install` installs all three. `healctl completion checks` prints the\n"
      "agent's check names, one per line (what the scripts call)." },
};

int
healctl_help (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    (void) ctl;
    (void) cmd;
    if (argc == 0) {
        healctl_usage (stdout);
        return HEALCTL_EXIT_OK;
    }
    const healctl_command_t *which = healctl_command_find (argv [0]);
    if (!which) {
        fprintf (stderr, "healctl: help: no command named '%s'; see healctl help\n",
                 argv [0]);
        return HEALCTL_EXIT_USAGE;
    }
    healctl_command_help (which, stdout);
    return HEALCTL_EXIT_OK;
}
