//  cli — the command line every heal daemon shares:
//      PROG [-c FILE] [-n] [-v] [--version] [-h]
//  One parser and one usage text, so heal-diagnoser, heal-notify and
//  heal-exporter cannot drift apart. heal-agent and healctl have more flags
//  and parse their own.

#ifndef HEAL_CLI_H_INCLUDED
#define HEAL_CLI_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *config_path;    //  -c FILE (points into argv), or NULL
    bool check_only;            //  -n
    bool verbose;               //  -v
} heal_cli_t;

//  Parse argv into *cli. Returns -1 to go on, or the exit code to return
//  at once: 0 after --version or -h (printed on stdout), HEAL_EX_USAGE after
//  an unknown argument (said on stderr with the usage).
int
    heal_cli_parse (const char *prog, int argc, char *argv [], heal_cli_t *cli);

//  The usage text of the shared flags, for PROG.
void
    heal_cli_usage (const char *prog, FILE *out);

#endif
