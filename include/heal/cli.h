//  cli — the command line every heal daemon shares:
//      PROG [-c FILE] [-n] [-v] [--version] [-h]
//  One parser and one usage text, so heal-diagnoser, heal-notify and
//  heal-exporter cannot drift apart. heal-agent and healctl have more flags
//  and parse their own.

#ifndef HEAL_CLI_H_INCLUDED
#define HEAL_CLI_H_INCLUDED

#include "heal/config.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *config_path;    //  -c FILE (points into argv), or NULL
    bool check_only;            //  -n
    bool verbose;               //  -v
    //  Set by heal_cli_start, owned (heal_cli_free):
    char *path;                 //  the config file read, NULL: built-in defaults
    heal_config_t *config;      //  its config, loaded and validated
} heal_cli_t;

//  A -n check that comes before the config is loaded (agent_validate: every
//  check's keys too). 0 when valid, else -1 with the reason in err.
typedef int (heal_cli_check_fn) (const char *config_path, char *err, size_t errlen);

//  Parse argv into *cli. Returns -1 to go on, or the exit code to return
//  at once: 0 after --version or -h (printed on stdout), HEAL_EX_USAGE after
//  an unknown argument (said on stderr with the usage).
int
    heal_cli_parse (const char *prog, int argc, char *argv [], heal_cli_t *cli);

//  How a daemon starts: heal_cli_parse, then with -n check (NULL: none), then
//  the config located and loaded into cli->path and cli->config. Returns -1
//  to go on, or the exit code to return at once (the error said on stderr:
//  HEAL_EX_CONFIG for an invalid config).
int
    heal_cli_start (const char *prog, int argc, char *argv [], heal_cli_check_fn *check,
                    heal_cli_t *cli);

//  The end of a -n run or of a config the daemon's own section rejects: err
//  NULL prints "PATH: ok" on stdout and returns 0, else err goes to stderr
//  and it returns HEAL_EX_CONFIG. Frees what cli holds.
int
    heal_cli_done (heal_cli_t *cli, const char *err);

//  Free what heal_cli_start set (a config taken from cli->config is NULL).
void
    heal_cli_free (heal_cli_t *cli);

//  The usage text of the shared flags, for PROG.
void
    heal_cli_usage (const char *prog, FILE *out);

#endif
