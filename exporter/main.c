//  heal-exporter — Prometheus metrics of a heal-agent, over HTTP.
//
//  heal-exporter [-c FILE] [-n] [-v] [--version] [-h]
//
//  Stateless: each GET /metrics asks the agent over its control socket
//  (exporter/scrape.c) and answers in the text exposition format. Listens on
//  exporter.listen (default 127.0.0.1:9877: loopback unless configured
//  otherwise). Foreground; SIGTERM/SIGINT stop it with 0. docs/fleet.md.

#include "exporter.h"

#include <signal.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: heal-exporter [-c FILE] [-n] [-v] [--version] [-h]\n"
        "  -c FILE    config file (default: $HEAL_CONFIG, ~/.config/heal/heal.conf,\n"
        "             else built-in defaults)\n"
        "  -n         validate the config and exit: 0 valid, 78 not\n"
        "  -v         verbose (log each scrape)\n"
        "  --version  print the version\n"
        "  -h         this help\n"
        "Serves GET /metrics on exporter.listen (default %s) until SIGTERM/SIGINT,\n"
        "asking heal-agent at control.endpoint on every scrape. See heal-exporter(8).\n",
        CONFIG_DEFAULT_EXPORTER_LISTEN);
}

int
main (int argc, char *argv [])
{
    const char *config_file = NULL;
    bool validate = false;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if (streq (arg, "-c")) {
            if (i + 1 >= argc) {
                fprintf (stderr, "heal-exporter: -c needs a file\n");
                s_usage (stderr);
                return EXPORTER_EXIT_USAGE;
            }
            config_file = argv [++i];
        }
        else
        if (streq (arg, "-n"))
            validate = true;
        else
        if (streq (arg, "-v"))
            verbose = true;
        else
        if (streq (arg, "--version")) {
            printf ("heal-exporter %s\n", HEAL_VERSION);
            return EXPORTER_EXIT_OK;
        }
        else
        if (streq (arg, "-h") || streq (arg, "--help")) {
            s_usage (stdout);
            return EXPORTER_EXIT_OK;
        }
        else {
            fprintf (stderr, "heal-exporter: unknown argument '%s'\n", arg);
            s_usage (stderr);
            return EXPORTER_EXIT_USAGE;
        }
    }
    char err [CONFIG_ERROR_MAX] = "";
    char *path = heal_config_locate (config_file);
    heal_config_t *config = heal_config_load (path, err, sizeof err);
    if (!config) {
        fprintf (stderr, "%s\n", err);
        free (path);
        return EXPORTER_EXIT_CONFIG;
    }
    if (validate) {
        printf ("%s: ok\n", path? path: "built-in defaults");
        free (path);
        heal_config_destroy (&config);
        return EXPORTER_EXIT_OK;
    }
    free (path);

    //  Signals: SIGTERM/SIGINT are blocked in every thread (MHD's inherits
    //  the mask) and taken here with sigwait; a peer closing early must not
    //  kill us with SIGPIPE.
    zsys_handler_set (NULL);
    zsys_init ();
    zsys_set_logident ("heal-exporter");
    signal (SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset (&stop);
    sigaddset (&stop, SIGTERM);
    sigaddset (&stop, SIGINT);
    pthread_sigmask (SIG_BLOCK, &stop, NULL);

    int rc = EXPORTER_EXIT_OK;
    exporter_http_t *http = exporter_http_new (config, verbose, err, sizeof err);
    if (!http) {
        fprintf (stderr, "heal-exporter: exporter.listen: %s\n", err);
        rc = EXPORTER_EXIT_UNAVAILABLE;
    }
    else {
        heal_listen_t listen;
        heal_listen_parse (config->exporter_listen, &listen, err, sizeof err);
        zsys_info ("heal-exporter %s: serving http://%s/metrics for heal-agent at %s",
                   HEAL_VERSION, config->exporter_listen, config->control);
        if (!listen.loopback)
            zsys_notice ("exporter: %s is not loopback: anyone who can reach it reads "
                         "the metrics (put a TLS reverse proxy in front: docs/fleet.md)",
                         config->exporter_listen);
        int sig = 0;
        sigwait (&stop, &sig);
        zsys_info ("heal-exporter: signal %d: stopping", sig);
        exporter_http_destroy (&http);
    }
    heal_config_destroy (&config);
    zsys_shutdown ();
    return rc;
}
