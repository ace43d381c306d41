//  heal-agent — runs the checks, remediates within budget, publishes every
//  event on the bus, answers healctl, writes the report. Foreground only
//  (launchd/systemd supervise it). Flags: SPEC "Binaries"; docs/agent.md.

#include "agent.h"
#include "platform.h"
#include "selftest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#if defined (__GLIBC__)
#   include <malloc.h>
#endif

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: heal-agent [-c FILE] [-n] [-v] [--once] [--selftest] [--version] [-h]\n"
        "  -c FILE    config file (default: $HEAL_CONFIG, ~/.config/heal/heal.conf,\n"
        "             else built-in defaults)\n"
        "  -n         validate the config (every check's keys) and exit: 0 valid, 78 not\n"
        "  -v         verbose\n"
        "  --once     run one full cycle and exit with the worst severity\n"
        "             (0 ok/healed, 1 warning, 2 critical, 3 unknown); refused\n"
        "             (75) while an agent runs on the same state dir\n"
        "  --selftest exercise every platform call on this machine, one line per\n"
        "             fact (pass/FAIL/skip and raw values); exit 1 on a failure\n"
        "  --version  print the version\n"
        "  -h         this help\n"
        "Runs in the foreground until SIGTERM/SIGINT; SIGHUP reloads the config.\n"
        "Exit: 0, 64 usage, 70 runtime error, 75 another agent holds the state dir,\n"
        "78 config error.\n");
}

int
main (int argc, char *argv [])
{
    agent_options_t options = { NULL, false, false };
    bool validate = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if (streq (arg, "-c")) {
            if (i + 1 >= argc) {
                fprintf (stderr, "heal-agent: -c needs a file\n");
                s_usage (stderr);
                return HEAL_EX_USAGE;
            }
            options.config_file = argv [++i];
        }
        else
        if (streq (arg, "-n"))
            validate = true;
        else
        if (streq (arg, "-v"))
            options.verbose = true;
        else
        if (streq (arg, "--once"))
            options.once = true;
        else
        if (streq (arg, "--selftest"))
            return selftest_run (stdout);
        else
        if (streq (arg, "--version")) {
            printf ("heal-agent %s\n", HEAL_VERSION);
            return 0;
        }
        else
        if (streq (arg, "-h") || streq (arg, "--help")) {
            s_usage (stdout);
            return 0;
        }
        else {
            fprintf (stderr, "heal-agent: unknown argument '%s'\n", arg);
            s_usage (stderr);
            return HEAL_EX_USAGE;
        }
    }
    char err [CONFIG_ERROR_MAX] = "";
    if (validate) {
        int rc = agent_validate (options.config_file, err, sizeof err);
        if (rc)
            fprintf (stderr, "%s\n", err);
        else {
            //  as every binary's -n: say what was validated
            char *path = heal_config_locate (options.config_file);
            printf ("%s: ok\n", path? path: "built-in defaults");
            free (path);
        }
        return rc;
    }
#if defined (__GLIBC__)
    //  Check runs are short jobs on up to AGENT_MAX_WORKERS threads: one malloc
    //  arena per thread (glibc's default, up to 8 per core) only costs resident
    //  memory. Two arenas keep allocation contention negligible.
    mallopt (M_ARENA_MAX, 2);
#endif
    //  launchd starts agents with a soft limit of 256 descriptors: a few
    //  hundred checks (sockets, 3 per command, exit watches) would hit EMFILE.
    uint64_t fds_before = 0, fds_after = 0;
    int fd_rc = platform_fd_limit_raise (PLATFORM_WANT_FDS, &fds_before, &fds_after);
    zsys_init ();
    zsys_set_logident ("heal-agent");
    if (fd_rc)
        zsys_warning ("heal-agent: cannot read the descriptor limit: %s", strerror (errno));
    else
    if (fds_after < 1024)
        zsys_warning ("heal-agent: descriptor limit %llu (was %llu): raise the hard limit",
                      (unsigned long long) fds_after, (unsigned long long) fds_before);
    else
    if (options.verbose)
        zsys_info ("heal-agent: descriptor limit %llu (was %llu)",
                   (unsigned long long) fds_after, (unsigned long long) fds_before);
    int code = HEAL_EX_SOFTWARE;
    agent_t *agent = agent_new (&options, err, sizeof err, &code);
    if (!agent) {
        fprintf (stderr, "heal-agent: %s\n", err);
        zsys_shutdown ();
        return code;
    }
    int rc = agent_run (agent);
    agent_destroy (&agent);
    zsys_shutdown ();
    return rc;
}
