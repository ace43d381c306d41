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
    //  -n validates as heal-agent -n does (every check's keys too), then
    //  this binary's own section below.
    heal_cli_t cli;
    int exit_now = heal_cli_start ("heal-diagnoser", argc, argv, agent_validate, &cli);
    if (exit_now >= 0)
        return exit_now;
    char err [CONFIG_ERROR_MAX] = "";
    diag_settings_t *settings = heal_preflight (cli.config, HEAL_USE_SUBSCRIBE | HEAL_USE_PUSH,
                                                err, sizeof err)
                              ? NULL : diag_settings_new (cli.config, err, sizeof err);
    if (!settings || cli.check_only) {
        int rc = heal_cli_done (&cli, settings ? NULL : err);
        diag_settings_destroy (&settings);
        return rc;
    }
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("heal-diagnoser");
    diagnoser_t *diagnoser = diagnoser_new (&settings, cli.config, cli.verbose, err, sizeof err);
    heal_cli_free (&cli);
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
