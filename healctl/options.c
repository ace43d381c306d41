//  healctl options — the one table of healctl's options: main.c parses the
//  command line with it, `healctl -h` prints it, and the completion scripts
//  (completion.c) offer it, so the three cannot disagree.

#include "healctl.h"

#include <string.h>

const healctl_option_t healctl_options [] = {
    { HEALCTL_OPT_CONFIG, "c", "config", "FILE",
      "config file (default: $HEAL_CONFIG, else\n"
      "~/.config/heal/heal.conf, else built-in defaults)" },
    { HEALCTL_OPT_ENDPOINT, "e", "endpoint", "EP",
      "the agent's control endpoint (default: control.endpoint\n"
      "of the config), e.g. ipc:///run/user/1000/heal/control" },
    { HEALCTL_OPT_BUS, NULL, "bus", "EP",
      "the bus for watch (default: bus.publish of the config)" },
    { HEALCTL_OPT_JSON, "j", "json", NULL,
      "print the reply's data as JSON (watch: JSON lines)" },
    { HEALCTL_OPT_TIMEOUT, "t", "timeout", "MS",
      "how long to wait for the agent: milliseconds, or with a\n"
      "unit (2s, 1m); default 5000, run and heal 60000" },
    { HEALCTL_OPT_SINCE, NULL, "since", "DURATION",
      "history: how far back (default 7d; 30m, 12h, 90d)" },
    { HEALCTL_OPT_NO_COLOR, NULL, "no-color", NULL,
      "no colour (also when NO_COLOR is set or stdout is not\n"
      "a terminal)" },
    { HEALCTL_OPT_NO_COLOR, NULL, "no-colour", NULL, NULL },      //  hidden alias
    { HEALCTL_OPT_VALIDATE, "n", NULL, NULL,
      "validate the config as heal-agent -n does and exit\n"
      "(0 and FILE: ok, or 78 and the error)" },
    { HEALCTL_OPT_VERBOSE, "v", "verbose", NULL, "say what healctl does on stderr" },
    { HEALCTL_OPT_VERSION, NULL, "version", NULL, "print healctl's version" },
    { HEALCTL_OPT_HELP, "h", "help", NULL,
      "this help; `healctl COMMAND -h` explains a command" },
    { HEALCTL_OPT_NONE, NULL, NULL, NULL, NULL }
};

const healctl_option_t *
healctl_option_find (const char *arg, size_t len)
{
    for (const healctl_option_t *o = healctl_options; o->id != HEALCTL_OPT_NONE; o++) {
        if (o->short_name && len == 1 + strlen (o->short_name) && arg [0] == '-'
        &&  strncmp (arg + 1, o->short_name, len - 1) == 0)
            return o;
        if (o->long_name && len == 2 + strlen (o->long_name) && strncmp (arg, "--", 2) == 0
        &&  strncmp (arg + 2, o->long_name, len - 2) == 0)
            return o;
    }
    return NULL;
}

void
healctl_options_usage (FILE *out)
{
    for (const healctl_option_t *o = healctl_options; o->id != HEALCTL_OPT_NONE; o++) {
        if (!o->help)
            continue;
        char left [40];
        snprintf (left, sizeof left, "%s%s%s%s%s%s%s",
                  o->short_name ? "-" : "  ", o->short_name ? o->short_name : "",
                  o->short_name && o->long_name ? ", " : o->long_name ? "  " : "",
                  o->long_name ? "--" : "", o->long_name ? o->long_name : "",
                  o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf (out, "  %-20s  ", left);
        for (const char *p = o->help; *p; p++) {
            fputc (*p, out);
            if (*p == '\n')
                fprintf (out, "%24s", "");
        }
        fputc ('\n', out);
    }
}
