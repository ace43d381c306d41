//  heal-diagnoser — asks a local Ollama model for the likely root cause of
//  the critical issues the agent reports, and publishes the answer on the bus
//  (heal.diagnosis). Fail-open: nothing it does can stop the agent.
//
//  heal-diagnoser [-c FILE] [-n] [-v] [--version] [-h]

#include "diagnoser.h"
#include "agent.h"          //  agent_validate: -n as heal-agent -n

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char *argv [])
{
    heal_cli_t cli;
    int exit_now = heal_cli_parse ("heal-diagnoser", argc, argv, &cli);
    if (exit_now >= 0)
        return exit_now;
    const char *explicit_path = cli.config_path;
    bool check_only = cli.check_only, verbose = cli.verbose;
    char err [CONFIG_ERROR_MAX] = "";
    //  -n validates as heal-agent -n does (every check's keys too), then
    //  this binary's own section below.
    if (check_only && agent_validate (explicit_path, err, sizeof err)) {
        fprintf (stderr, "%s\n", err);
        return CONFIG_EXIT_INVALID;
    }
    char *path = heal_config_locate (explicit_path);
    heal_config_t *config = heal_config_load (path, err, sizeof err);
    if (!config) {
        free (path);
        fprintf (stderr, "%s\n", err);
        return CONFIG_EXIT_INVALID;
    }
    diag_settings_t *settings = heal_preflight (config, HEAL_USE_SUBSCRIBE | HEAL_USE_PUSH,
                                                err, sizeof err)
                              ? NULL : diag_settings_new (config, err, sizeof err);
    if (!settings) {
        free (path);
        heal_config_destroy (&config);
        fprintf (stderr, "%s\n", err);
        return CONFIG_EXIT_INVALID;
    }
    if (check_only) {
        printf ("%s: ok\n", path ? path : "built-in defaults");
        free (path);
        heal_config_destroy (&config);
        diag_settings_destroy (&settings);
        return 0;
    }
    free (path);
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("heal-diagnoser");
    diagnoser_t *diagnoser = diagnoser_new (&settings, config, verbose, err, sizeof err);
    heal_config_destroy (&config);
    diag_settings_destroy (&settings);
    int rc = 1;
    if (diagnoser) {
        rc = diagnoser_run (diagnoser) == 0 ? 0 : 1;
        diagnoser_destroy (&diagnoser);
    }
    else
        zsys_error ("%s", err);
    return rc;
}
