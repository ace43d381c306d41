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
    heal_cli_t cli;
    int exit_now = heal_cli_parse ("heal-notify", argc, argv, &cli);
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
    notify_config_t *notify_config = heal_preflight (config, HEAL_USE_SUBSCRIBE,
                                                     err, sizeof err)
                                   ? NULL : notify_config_new (config, err, sizeof err);
    if (!notify_config) {
        free (path);
        heal_config_destroy (&config);
        fprintf (stderr, "%s\n", err);
        return CONFIG_EXIT_INVALID;
    }
    if (check_only) {
        printf ("%s: ok\n", path ? path : "built-in defaults");
        free (path);
        notify_config_destroy (&notify_config);
        heal_config_destroy (&config);
        return 0;
    }
    free (path);
    //  A command that does not read its input must not kill us.
    signal (SIGPIPE, SIG_IGN);
    zsys_init ();
    zsys_set_logstream (stderr);
    zsys_set_logident ("heal-notify");
    notify_t *notify = notify_new (&config, &notify_config, verbose, err, sizeof err);
    int rc = 1;
    if (notify) {
        rc = notify_run (notify) == 0 ? 0 : 1;
        notify_destroy (&notify);
    }
    else {
        zsys_error ("%s", err);
        heal_config_destroy (&config);
        notify_config_destroy (&notify_config);
    }
    return rc;
}
