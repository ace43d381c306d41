//  cli — the shared daemon command line (include/heal/cli.h).

#include "heal/cli.h"
#include "heal/exit.h"
#include "heal/util.h"

#include <stdlib.h>
#include <string.h>

void
heal_cli_usage (const char *prog, FILE *out)
{
    fprintf (out,
        "usage: %s [-c FILE] [-n] [-v] [--version] [-h]\n"
        "  -c FILE    config file (default: $HEAL_CONFIG, ~/.config/heal/heal.conf,\n"
        "             else built-in defaults)\n"
        "  -n         validate the config and exit (0 valid, 78 invalid)\n"
        "  -v         verbose\n"
        "  --version  print the version and exit\n"
        "  -h         this help\n", prog);
}

int
heal_cli_parse (const char *prog, int argc, char *argv [], heal_cli_t *cli)
{
    memset (cli, 0, sizeof *cli);
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        if (strcmp (a, "-c") == 0 && i + 1 < argc)
            cli->config_path = argv [++i];
        else
        if (strcmp (a, "-n") == 0)
            cli->check_only = true;
        else
        if (strcmp (a, "-v") == 0)
            cli->verbose = true;
        else
        if (strcmp (a, "--version") == 0) {
            printf ("%s %s\n", prog, HEAL_VERSION);
            return HEAL_EX_OK;
        }
        else
        if (strcmp (a, "-h") == 0 || strcmp (a, "--help") == 0) {
            heal_cli_usage (prog, stdout);
            return HEAL_EX_OK;
        }
        else {
            fprintf (stderr, "%s: unknown argument '%s'\n", prog, a);
            heal_cli_usage (prog, stderr);
            return HEAL_EX_USAGE;
        }
    }
    return -1;
}

int
heal_cli_start (const char *prog, int argc, char *argv [], heal_cli_check_fn *check,
                heal_cli_t *cli)
{
    int exit_now = heal_cli_parse (prog, argc, argv, cli);
    if (exit_now >= 0)
        return exit_now;
    char err [CONFIG_ERROR_MAX] = "";
    if (cli->check_only && check && check (cli->config_path, err, sizeof err))
        return heal_cli_done (cli, err);
    cli->path = heal_config_locate (cli->config_path);
    cli->config = heal_config_load (cli->path, err, sizeof err);
    return cli->config ? -1 : heal_cli_done (cli, err);
}

int
heal_cli_done (heal_cli_t *cli, const char *err)
{
    if (err)
        fprintf (stderr, "%s\n", err);
    else
        printf ("%s: ok\n", cli->path ? cli->path : "built-in defaults");
    heal_cli_free (cli);
    return err ? HEAL_EX_CONFIG : HEAL_EX_OK;
}

void
heal_cli_free (heal_cli_t *cli)
{
    free (cli->path);
    cli->path = NULL;
    heal_config_destroy (&cli->config);
}
