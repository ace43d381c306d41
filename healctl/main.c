//  healctl — talk to a running heal-agent (SPEC "healctl").
//
//  healctl [-c FILE] [-e ENDPOINT] [--json] [--timeout MS] COMMAND [ARGS]
//
//  Options may come before or after the command; `--` ends them. The control
//  endpoint is -e, else control.endpoint of the config (-c, $HEAL_CONFIG,
//  ~/.config/heal/heal.conf, built-in defaults). Exit codes: healctl.h.

#include "healctl.h"
#include "agent.h"          //  agent_validate: -n validates as heal-agent -n

#include <string.h>
#include <unistd.h>

void
healctl_usage (FILE *out)
{
    fprintf (out,
        "usage: healctl [OPTIONS] COMMAND [ARGS]\n"
        "\n"
        "Talk to a running heal-agent over its control socket.\n"
        "\n"
        "Commands:\n");
    for (const healctl_command_t *cmd = healctl_commands; cmd->spec; cmd++) {
        char left [48];
        control_command_usage (cmd->spec, left, sizeof left);
        fprintf (out, "  %-26s %s\n", left, cmd->spec->summary);
    }
    fprintf (out,
        "\n"
        "Options:\n");
    healctl_options_usage (out);
    fprintf (out,
        "\n"
        "Exit codes: 0 ok; 1 the agent refused the request (its error is printed);\n"
        "status and run: the worst severity (0 ok/healed, 1 warning, 2 critical,\n"
        "3 unknown); 64 usage error; 69 no answer from the agent within --timeout\n"
        "(at once when its socket file is missing); 73 init: the file exists;\n"
        "76 malformed reply; 78 invalid config; 130 interrupted.\n"
        "\n"
        "Environment: HEAL_CONFIG (config file), NO_COLOR (no colour).\n"
        "See healctl(1).\n");
}

//  Milliseconds from "1500" (ms) or "2s", "1m"... (heal_parse_duration_ms).
static int
s_parse_timeout (const char *text, int64_t *ms)
{
    if (!text || !*text)
        return -1;
    size_t digits = strspn (text, "0123456789");
    if (digits == strlen (text)) {
        if (digits > 12)
            return -1;
        int64_t value = 0;
        for (size_t i = 0; i < digits; i++)
            value = value * 10 + (text [i] - '0');
        *ms = value;
    }
    else
    if (heal_parse_duration_ms (text, ms))
        return -1;
    return *ms >= 1 && *ms <= HEALCTL_MAX_TIMEOUT_MS ? 0 : -1;
}

//  The nearest command name, for "did you mean".
static const char *
s_nearest (const char *name)
{
    const char *best = NULL;
    size_t best_distance = 3;
    for (const healctl_command_t *cmd = healctl_commands; cmd->spec; cmd++) {
        size_t distance = heal_edit_distance (name, cmd->spec->name);
        if (distance < best_distance) {
            best_distance = distance;
            best = cmd->spec->name;
        }
    }
    return best;
}

//  Value of an option: "--opt=value", or the next argument.
static const char *
s_option_value (int argc, char **argv, int *i, const char *eq)
{
    if (eq)
        return eq + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv [++*i];
}

//  -n: the same full validation as heal-agent -n (every check's kind keys),
//  and the same output: "FILE: ok" on stdout, or the error on stderr.
static int
s_validate (healctl_t *ctl)
{
    char err [CONFIG_ERROR_MAX] = "";
    if (agent_validate (ctl->config_path, err, sizeof err)) {
        fprintf (stderr, "%s\n", err);
        return HEALCTL_EXIT_CONFIG;
    }
    char *path = heal_config_locate (ctl->config_path);
    //  What healctl itself uses: its connects and its client keys.
    heal_config_t *config = heal_config_load (path, err, sizeof err);
    int rc = !config || heal_preflight (config, HEAL_USE_CONTROL | HEAL_USE_SUBSCRIBE,
                                        err, sizeof err);
    heal_config_destroy (&config);
    if (rc) {
        fprintf (stderr, "%s\n", err);
        free (path);
        return HEALCTL_EXIT_CONFIG;
    }
    printf ("%s: ok\n", path ? path : "built-in defaults");
    free (path);
    return HEALCTL_EXIT_OK;
}

int
healctl_load_config (healctl_t *ctl, bool bus)
{
    //  The config: where the agent listens, and the CURVE keys if any.
    char err [CONFIG_ERROR_MAX] = "";
    char *path = heal_config_locate (ctl->config_path);
    ctl->config = heal_config_load (path, err, sizeof err);
    free (path);
    if (!ctl->config) {
        fprintf (stderr, "%s\n", err);
        if (!ctl->endpoint || ctl->config_path)
            return HEALCTL_EXIT_CONFIG;
        //  -e names the agent: a broken default config need not stop us.
        fprintf (stderr, "healctl: using built-in defaults for everything but -e\n");
        ctl->config = heal_config_load (NULL, err, sizeof err);
        if (!ctl->config) {
            fprintf (stderr, "%s\n", err);
            return HEALCTL_EXIT_CONFIG;
        }
    }
    if (!ctl->endpoint)
        ctl->endpoint = ctl->config->control;
    if (!ctl->bus_endpoint)
        ctl->bus_endpoint = ctl->config->publish;
    if (!ctl->endpoint || !ctl->bus_endpoint) {
        fprintf (stderr, "healctl: no control endpoint (use -e or control.endpoint)\n");
        heal_config_destroy (&ctl->config);
        return HEALCTL_EXIT_CONFIG;
    }
    if (!heal_endpoint_valid (bus ? ctl->bus_endpoint : ctl->endpoint, err, sizeof err)) {
        fprintf (stderr, "healctl: %s\n", err);
        heal_config_destroy (&ctl->config);
        return HEALCTL_EXIT_USAGE;
    }
    return HEALCTL_EXIT_OK;
}

int
main (int argc, char *argv [])
{
    healctl_t ctl = { .timeout_ms = -1 };
    bool validate = false;
    bool help = false;
    bool no_color = false;
    const char *timeout_text = NULL;
    char *positional [CONTROL_MAX_ARGS + 2];
    int count = 0;
    bool options = true;

    for (int i = 1; i < argc; i++) {
        char *arg = argv [i];
        if (!options || arg [0] != '-' || arg [1] == 0) {
            if (count == CONTROL_MAX_ARGS + 2) {
                fprintf (stderr, "healctl: too many arguments (see healctl -h)\n");
                return HEALCTL_EXIT_USAGE;
            }
            positional [count++] = arg;
            continue;
        }
        if (streq (arg, "--")) {
            options = false;
            continue;
        }
        //  Long options may be written --name=value.
        const char *eq = strncmp (arg, "--", 2) == 0 ? strchr (arg, '=') : NULL;
        size_t len = eq ? (size_t) (eq - arg) : strlen (arg);
        const healctl_option_t *opt = healctl_option_find (arg, len);
        if (!opt) {
            fprintf (stderr, "healctl: unknown option '%s' (see healctl -h)\n", arg);
            return HEALCTL_EXIT_USAGE;
        }
        const char *value = NULL;
        if (opt->arg) {
            value = s_option_value (argc, argv, &i, eq);
            if (!value || !*value) {
                fprintf (stderr, "healctl: option %.*s needs a value (see healctl -h)\n",
                         (int) len, arg);
                return HEALCTL_EXIT_USAGE;
            }
        }
        switch (opt->id) {
            case HEALCTL_OPT_HELP:     help = true; break;
            case HEALCTL_OPT_VERSION:
                printf ("healctl %s\n", HEAL_VERSION);
                return HEALCTL_EXIT_OK;
            case HEALCTL_OPT_VERBOSE:  ctl.verbose = true; break;
            case HEALCTL_OPT_VALIDATE: validate = true; break;
            case HEALCTL_OPT_JSON:     ctl.json = true; break;
            case HEALCTL_OPT_NO_COLOR: no_color = true; break;
            case HEALCTL_OPT_CONFIG:   ctl.config_path = value; break;
            case HEALCTL_OPT_ENDPOINT: ctl.endpoint = value; break;
            case HEALCTL_OPT_BUS:      ctl.bus_endpoint = value; break;
            case HEALCTL_OPT_TIMEOUT:  timeout_text = value; break;
            case HEALCTL_OPT_SINCE:    ctl.since = value; break;
            case HEALCTL_OPT_NONE:     break;
        }
    }

    const healctl_command_t *cmd = NULL;
    if (count > 0) {
        cmd = healctl_command_find (positional [0]);
        if (!cmd) {
            const char *near = s_nearest (positional [0]);
            fprintf (stderr, "healctl: unknown command '%s'", positional [0]);
            if (near)
                fprintf (stderr, " (did you mean '%s'?)", near);
            fprintf (stderr, "; see healctl -h\n");
            return HEALCTL_EXIT_USAGE;
        }
    }
    if (help) {
        if (cmd)
            healctl_command_help (cmd, stdout);
        else
            healctl_usage (stdout);
        return HEALCTL_EXIT_OK;
    }
    if (timeout_text && s_parse_timeout (timeout_text, &ctl.timeout_ms)) {
        fprintf (stderr, "healctl: --timeout '%s': expected milliseconds (1 to %lld) "
                 "or a duration like 2s\n", timeout_text,
                 (long long) HEALCTL_MAX_TIMEOUT_MS);
        return HEALCTL_EXIT_USAGE;
    }
    if (!cmd && !validate) {
        healctl_usage (stderr);
        return HEALCTL_EXIT_USAGE;
    }
    if (cmd) {
        int args = count - 1;
        const control_command_t *spec = cmd->spec;
        if (args < (int) spec->min_args || args > (int) spec->max_args) {
            char usage [128];
            control_command_usage (spec, usage, sizeof usage);
            fprintf (stderr, "healctl: %s: expected %s%s%s, got %d argument%s\n"
                     "usage: healctl [OPTIONS] %s\n", spec->name,
                     spec->max_args == 0 ? "no arguments" : "",
                     spec->max_args > 0 ? "arguments: " : "", spec->usage, args,
                     args == 1 ? "" : "s", usage);
            return HEALCTL_EXIT_USAGE;
        }
    }

    if (validate)
        return s_validate (&ctl);
    if (cmd->timeout_ms == HEALCTL_LOCAL)
        return cmd->run (&ctl, cmd, count - 1, positional + 1);
    int rc = healctl_load_config (&ctl, cmd->run == healctl_watch);
    if (rc != HEALCTL_EXIT_OK)
        return rc;
    ctl.color = !no_color && !getenv ("NO_COLOR") && isatty (STDOUT_FILENO);

    //  czmq catches SIGINT/SIGTERM and sets zsys_interrupted: a request ends
    //  with 130, watch with 0.
    rc = cmd->run (&ctl, cmd, count - 1, positional + 1);
    heal_config_destroy (&ctl.config);
    if (fflush (stdout) != 0 && rc == HEALCTL_EXIT_OK)
        rc = HEALCTL_EXIT_SOFTWARE;
    return rc;
}
