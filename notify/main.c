//  heal-notify — delivers heal's alerts and diagnoses to people: webhooks
//  (JSON, ntfy, Slack-compatible), a command, Alertmanager, the desktop.
//  Every message goes through an on-disk outbox per destination first, so a
//  crash or a destination that is down loses nothing.
//
//  heal-notify [-c FILE] [-n] [-v] [--version] [-h]

#include "notify_run.h"
#include "http_post.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 64

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: heal-notify [-c FILE] [-n] [-v] [--version] [-h]\n"
        "  -c FILE    config file (default: $HEAL_CONFIG, ~/.config/heal/heal.conf,\n"
        "             else built-in defaults)\n"
        "  -n         validate the config and exit (0 valid, 78 invalid)\n"
        "  -v         verbose\n"
        "  --version  print the version and exit\n"
        "  -h         this help\n");
}

int
main (int argc, char *argv [])
{
    const char *explicit_path = NULL;
    bool check_only = false, verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        if (streq (a, "-c") && i + 1 < argc)
            explicit_path = argv [++i];
        else
        if (streq (a, "-n"))
            check_only = true;
        else
        if (streq (a, "-v"))
            verbose = true;
        else
        if (streq (a, "--version")) {
            printf ("heal-notify %s\n", HEAL_VERSION);
            return 0;
        }
        else
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        }
        else {
            fprintf (stderr, "heal-notify: unknown argument '%s'\n", a);
            s_usage (stderr);
            return EXIT_USAGE;
        }
    }
    char err [CONFIG_ERROR_MAX] = "";
    char *path = heal_config_locate (explicit_path);
    heal_config_t *config = heal_config_load (path, err, sizeof err);
    free (path);
    if (!config) {
        fprintf (stderr, "%s\n", err);
        return CONFIG_EXIT_INVALID;
    }
    notify_config_t *notify_config = heal_preflight (config, HEAL_USE_SUBSCRIBE,
                                                     err, sizeof err)
                                   ? NULL : notify_config_new (config, err, sizeof err);
    if (!notify_config) {
        heal_config_destroy (&config);
        fprintf (stderr, "%s\n", err);
        return CONFIG_EXIT_INVALID;
    }
    if (check_only) {
        notify_config_destroy (&notify_config);
        heal_config_destroy (&config);
        return 0;
    }
    //  A command that does not read its input must not kill us.
    signal (SIGPIPE, SIG_IGN);
    if (http_post_init ()) {
        fprintf (stderr, "heal-notify: cannot initialise libcurl\n");
        notify_config_destroy (&notify_config);
        heal_config_destroy (&config);
        return 1;
    }
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
    http_post_term ();
    return rc;
}
