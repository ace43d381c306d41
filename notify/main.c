//  heal-notify — delivers heal's alerts and diagnoses to people: webhooks
//  (JSON, ntfy, Slack-compatible), a command, Alertmanager, the desktop.
//  Every message goes through an on-disk outbox per destination first, so a
//  crash or a destination that is down loses nothing.
//
//  heal-notify [-c FILE] [-n] [-v] [--version] [-h]

#include "notify_run.h"
#include "agent.h"          //  agent_validate: -n as heal-agent -n

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char *argv [])
{
    //  -n validates as heal-agent -n does (every check's keys too), then
    //  this binary's own section below.
    heal_cli_t cli;
    int exit_now = heal_cli_start ("heal-notify", argc, argv, agent_validate, &cli);
    if (exit_now >= 0)
        return exit_now;
    char err [CONFIG_ERROR_MAX] = "";
    notify_config_t *notify_config = heal_preflight (cli.config, HEAL_USE_SUBSCRIBE,
                                                     err, sizeof err)
                                   ? NULL : notify_config_new (cli.config, err, sizeof err);
    if (!notify_config || cli.check_only) {
        int rc = heal_cli_done (&cli, notify_config ? NULL : err);
        notify_config_destroy (&notify_config);
        return rc;
    }
    //  A command that does not read its input must not kill us.
    signal (SIGPIPE, SIG_IGN);
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("heal-notify");
    notify_t *notify = notify_new (&cli.config, &notify_config, cli.verbose, err, sizeof err);
    int rc = 1;
    if (notify) {
        rc = notify_run (notify) == 0 ? 0 : 1;
        notify_destroy (&notify);
    }
    else {
        zsys_error ("%s", err);
        notify_config_destroy (&notify_config);
    }
    heal_cli_free (&cli);
    return rc;
}
