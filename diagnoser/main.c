//  heal-diagnoser — asks a local Ollama model for the likely root cause of
//  the critical issues the agent reports, and publishes the answer on the bus
//  (heal.diagnosis). Fail-open: nothing it does can stop the agent.
//
//  heal-diagnoser [-c FILE] [-n] [-v] [--version] [-h]

#include "diagnoser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: heal-diagnoser [-c FILE] [-n] [-v] [--version] [-h]\n"
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
            printf ("heal-diagnoser %s\n", HEAL_VERSION);
            return 0;
        }
        else
        if (streq (a, "-h") || streq (a, "--help")) {
            s_usage (stdout);
            return 0;
        }
        else {
            fprintf (stderr, "heal-diagnoser: unknown argument '%s'\n", a);
            s_usage (stderr);
            return HEAL_EX_USAGE;
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
    diag_settings_t *settings = heal_preflight (config, HEAL_USE_SUBSCRIBE | HEAL_USE_PUSH,
                                                err, sizeof err)
                              ? NULL : diag_settings_new (config, err, sizeof err);
    if (!settings) {
        heal_config_destroy (&config);
        fprintf (stderr, "%s\n", err);
        return CONFIG_EXIT_INVALID;
    }
    if (check_only) {
        heal_config_destroy (&config);
        diag_settings_destroy (&settings);
        return 0;
    }
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
