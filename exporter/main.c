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

int
main (int argc, char *argv [])
{
    //  The flags every daemon shares (bus/cli.c); nothing of our own.
    heal_cli_t cli;
    int exit_now = heal_cli_start ("heal-exporter", argc, argv, NULL, &cli);
    if (exit_now >= 0)
        return exit_now;            //  an invalid config: EXPORTER_EXIT_CONFIG
    if (cli.check_only)
        return heal_cli_done (&cli, NULL);
    heal_config_t *config = cli.config;
    bool verbose = cli.verbose;
    char err [CONFIG_ERROR_MAX] = "";

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
    heal_cli_free (&cli);
    zsys_shutdown ();
    return rc;
}
