//  test_launchd — the launchd kind: the `launchctl print` parser on every
//  fixture in tests/fixtures/launchd, the environment rules, config checks,
//  and the kind's run/remedy driven against tests/tools/fake-launchctl (a
//  stand-in launchctl on the PATH that replays fixtures and records the
//  calls), so the exact sequences of remediation commands are asserted.
//  Run from the source root (tests/run.sh does).

#include "check.h"
#include "check_launchd.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "standin.h"



#define FIXTURES "tests/fixtures/launchd/"

static char *
s_read (const char *name, size_t *len)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, FIXTURES "%s", name);
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (stderr, "test_launchd: cannot open %s (run from the source root)\n", path);
        s_failed++;
        *len = 0;
        return NULL;
    }
    char *buf = (char *) malloc (256 * 1024);
    *len = buf? fread (buf, 1, 256 * 1024 - 1, f): 0;
    if (buf)
        buf [*len] = 0;
    fclose (f);
    return buf;
}

//  Parse a fixture; returns the parse result, job filled.
static int
s_parse_fixture (const char *name, launchd_job_t *job)
{
    size_t len;
    char *text = s_read (name, &len);
    int rc = launchd_print_parse (text, len, job);
    free (text);
    return rc;
}

static bool
s_eq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

static void
test_parser (void)
{
    launchd_job_t job;
    memset (&job, 0, sizeof job);
    char missing [512];

    //  F1: running, KeepAlive, never exited, PATH not in environment
    CHECK (s_parse_fixture ("print-running-keepalive-never-exited.txt", &job) == 0);
    CHECK (s_eq (job.state, "running"));        //  not the coalitions' "active"
    CHECK (job.pid == 1076);
    CHECK (job.runs == 1);
    CHECK (job.never_exited && !job.has_exit_code);
    CHECK (!launchd_job_last_failed (&job));
    CHECK (s_eq (job.job_state, "running"));
    CHECK (job.minimum_runtime == 10 && job.exit_timeout == 5);
    CHECK (job.successive_crashes == -1);
    CHECK (launchd_job_has_property (&job, "keepalive"));
    CHECK (launchd_job_has_property (&job, "has LWCR"));
    CHECK (!launchd_job_has_property (&job, "LWCR"));
    CHECK (!launchd_job_has_property (&job, "needs LWCR update"));
    CHECK (s_eq (launchd_job_env (&job, "DDC_DISPLAY"), "PA27JCV"));
    CHECK (s_eq (launchd_job_env (&job, "XPC_SERVICE_NAME"), "com.sglavoie.ddc-brightnessd"));
    CHECK (launchd_job_env (&job, "PATH") == NULL);
    CHECK (launchd_job_env (&job, "SSH_AUTH_SOCK") == NULL);    //  inherited, not configured
    CHECK (s_eq (launchd_job_path (&job), "/usr/bin:/bin:/usr/sbin:/sbin"));
    CHECK (launchd_env_missing (&job, "PATH=/opt/homebrew/bin", missing, sizeof missing) == 1);
    CHECK (strstr (missing, "/opt/homebrew/bin") != NULL);
    CHECK (launchd_env_missing (&job, "PATH=/usr/bin:/sbin/ DDC_DISPLAY=PA27JCV XPC_SERVICE_NAME",
                                missing, sizeof missing) == 0);
    CHECK (launchd_env_missing (&job, "DDC_DISPLAY=other HOMEBREW_PREFIX", missing, sizeof missing) == 2);
    //  What launchd adds at start or passes on is there, though not in
    //  `environment`; a value it sets at start cannot be compared.
    CHECK (launchd_job_env (&job, "SSH_AUTH_SOCK") == NULL);
    CHECK (job.inherited_count == 1);
    CHECK (launchd_env_missing (&job, "HOME USER LOGNAME SHELL TMPDIR SSH_AUTH_SOCK",
                                missing, sizeof missing) == 0);
    char unverified [256];
    CHECK (launchd_env_check (&job, "HOME=/Users/x SSH_AUTH_SOCK=/nope NOPE", missing,
                              sizeof missing, unverified, sizeof unverified) == 2);
    CHECK (s_eq (unverified, "HOME"));
    CHECK (strstr (missing, "SSH_AUTH_SOCK=/nope wanted") != NULL);
    CHECK (strstr (missing, "NOPE not set") != NULL);
    CHECK (launchd_env_added_at_start ("TMPDIR"));
    CHECK (!launchd_env_added_at_start ("PATH"));
    //  A healthy KeepAlive job is never a crash loop.
    CHECK (!launchd_job_crashed (&job));
    CHECK (!launchd_crash_loop (&job, 0, true));
    CHECK (s_eq (job.path, "/Users/sglavoie/scripts/launchagents/Library/LaunchAgents/com.sglavoie.ddc-brightnessd.plist"));

    //  F2: running, KeepAlive {SuccessfulExit: false}, PATH in environment
    CHECK (s_parse_fixture ("print-running-env-has-PATH.txt", &job) == 0);
    CHECK (s_eq (job.state, "running") && job.pid == 1082);
    CHECK (job.successful_exit == 0);
    CHECK (!launchd_job_has_property (&job, "keepalive"));
    CHECK (launchd_job_has_property (&job, "runatload"));
    CHECK (job.minimum_runtime == 30);
    CHECK (s_eq (launchd_job_path (&job), "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"));
    CHECK (launchd_env_missing (&job, "PATH=/opt/homebrew/bin", missing, sizeof missing) == 0);
    CHECK (launchd_env_missing (&job, "GIT_TERMINAL_PROMPT=0 BNOTES_VAULT=/Users/sglavoie/BrainNotesVault",
                                missing, sizeof missing) == 0);
    CHECK (launchd_env_missing (&job, "GIT_TERMINAL_PROMPT=1", missing, sizeof missing) == 1);
    CHECK (strstr (missing, "GIT_TERMINAL_PROMPT=0") != NULL);     //  says what the job has

    //  F3: loaded, never run, needs LWCR update, calendar job
    CHECK (s_parse_fixture ("print-loaded-never-run.txt", &job) == 0);
    CHECK (s_eq (job.state, "not running"));
    CHECK (job.pid == -1 && job.runs == 0);
    CHECK (s_eq (job.job_state, "uninitialized"));
    CHECK (launchd_job_has_property (&job, "needs LWCR update"));
    CHECK (!launchd_job_has_property (&job, "keepalive"));      //  "keepalive = 0" is nested
    CHECK (!launchd_job_last_failed (&job));

    //  F4: not running, last exit code = 1, no job state line
    CHECK (s_parse_fixture ("print-not-running-last-exit-1.txt", &job) == 0);
    CHECK (s_eq (job.state, "not running") && job.pid == -1);
    CHECK (job.runs == 4 && job.has_exit_code && job.last_exit_code == 1);
    CHECK (job.job_state == NULL);
    CHECK (launchd_job_last_failed (&job));
    CHECK (s_eq (job.program, "/bin/bash"));

    //  F5: interval job, exited 0
    CHECK (s_parse_fixture ("print-not-running-interval-exit-0.txt", &job) == 0);
    CHECK (job.runs == 86 && job.has_exit_code && job.last_exit_code == 0);
    CHECK (!launchd_job_last_failed (&job));
    CHECK (s_eq (job.job_state, "exited"));
    CHECK (s_eq (launchd_job_path (&job), "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin"));

    //  F6: 2014, 4-space indentation, old header, truncated
    CHECK (s_parse_fixture ("print-yosemite-2014-partial.txt", &job) == 0);
    CHECK (s_eq (job.state, "running") && job.pid == 24784);
    CHECK (job.runs == 2 && job.successive_crashes == 0);
    CHECK (job.has_exit_code && job.last_exit_code == 1);
    CHECK (job.exit_timeout == 1);
    CHECK (s_eq (launchd_job_env (&job, "XPC_SERVICE_NAME"), "dev.mysql"));
    CHECK (job.default_path == NULL);          //  "global environment" is not it

    //  Constructed from real snippets
    CHECK (s_parse_fixture ("print-crash-loop-spawn-scheduled.txt", &job) == 0);
    CHECK (s_eq (job.state, "spawn scheduled") && job.pid == -1);
    CHECK (job.runs == 105 && job.successive_crashes == 98);
    CHECK (launchd_job_crashed (&job));                 //  Bus error: 10
    CHECK (launchd_crash_loop (&job, -1, false));       //  the streak alone says so
    CHECK (s_eq (job.last_signal, "Bus error: 10"));
    CHECK (launchd_job_last_failed (&job));
    CHECK (job.minimum_runtime == 80);

    CHECK (s_parse_fixture ("print-running-codesigning-scarred.txt", &job) == 0);
    CHECK (s_eq (job.last_exit_reason, "OS_REASON_CODESIGNING"));
    CHECK (job.pid == 77880 && job.runs == 24991);

    CHECK (s_parse_fixture ("print-spawn-failed-ex-config.txt", &job) == 0);
    CHECK (job.has_exit_code && job.last_exit_code == 78);
    CHECK (s_eq (job.last_exit_code_text, "78: EX_CONFIG"));
    CHECK (s_eq (job.path, "(submitted by smd.370)"));
    CHECK (s_eq (job.job_state, "spawn failed"));

    CHECK (s_parse_fixture ("print-keepalive-dead-killed.txt", &job) == 0);
    CHECK (s_eq (job.last_signal, "Killed: 9") && !job.has_exit_code);
    CHECK (launchd_job_last_failed (&job));

    CHECK (s_parse_fixture ("print-truncated-odd-lines.txt", &job) == 0);
    CHECK (s_eq (job.state, "running") && job.pid == 12);
    CHECK (s_eq (launchd_job_env (&job, "PATH"), "/usr/bin"));
    CHECK (job.never_exited);

    //  Not print output: refused
    CHECK (s_parse_fixture ("print-not-found.stderr.txt", &job) == -1);
    CHECK (s_parse_fixture ("list-label-running.txt", &job) == -1);
    CHECK (s_parse_fixture ("list-all-head.txt", &job) == -1);
    CHECK (s_parse_fixture ("list-grep-exit78-macos15.txt", &job) == -1);
    CHECK (launchd_print_parse ("", 0, &job) == -1);
    CHECK (launchd_print_parse (NULL, 0, &job) == -1);

    //  Hostile input: garbage, NULs, huge lines, unbalanced braces
    {
        size_t n = 200 * 1024;
        char *junk = (char *) malloc (n);
        CHECK (junk);
        if (junk) {
            for (size_t i = 0; i < n; i++)
                junk [i] = (char) ((i * 7919) % 256);
            launchd_print_parse (junk, n, &job);
            memset (junk, '}', n);
            CHECK (launchd_print_parse (junk, n, &job) == -1);
            memset (junk, '{', n);
            CHECK (launchd_print_parse (junk, n, &job) == -1);
            memset (junk, 'a', n);
            memcpy (junk, "x = {\n\tpid = ", 13);
            CHECK (launchd_print_parse (junk, n, &job) == -1);      //  pid not a number
            free (junk);
        }
        const char *weird = "x = {\n\tpid = -5\n\truns = 99999999999999999999999\n"
                            "\tstate = running\n\tstate\n\t = \n\t}\n}\n}\n\tpid = 7\n";
        CHECK (launchd_print_parse (weird, strlen (weird), &job) == 0);
        CHECK (job.runs == -1);
        CHECK (job.pid == 7);           //  after a stray "}" the parser recovers
        const char *crlf = "gui/1/x = {\r\n\tstate = running\r\n\tpid = 3\r\n}\r\n";
        CHECK (launchd_print_parse (crlf, strlen (crlf), &job) == 0);
        CHECK (s_eq (job.state, "running") && job.pid == 3);
    }
    launchd_job_clear (&job);
}


//  ---------------------------------------------------------------------------
//  The crash-loop rule on its own: a crash streak, or runs climbing between
//  checks for a KeepAlive job; never signal 15, never a scheduled job.
static void
test_crash_rule (void)
{
    launchd_job_t job;
    memset (&job, 0, sizeof job);
    CHECK (s_parse_fixture ("print-keepalive-running-after-kickstart.txt", &job) == 0);
    CHECK (job.runs == 4 && job.pid == 4343);
    CHECK (launchd_job_last_failed (&job));
    CHECK (!launchd_job_crashed (&job));                //  Terminated: 15
    CHECK (!launchd_crash_loop (&job, 0, true));
    CHECK (s_parse_fixture ("print-keepalive-running-after-crash.txt", &job) == 0);
    CHECK (launchd_job_crashed (&job));
    CHECK (!launchd_crash_loop (&job, 1, true));        //  one restart: launchd's job
    CHECK (launchd_crash_loop (&job, 0, true));         //  two runs, crashing
    CHECK (!launchd_crash_loop (&job, 0, false));       //  not kept alive
    CHECK (!launchd_crash_loop (&job, -1, true));       //  first look
    CHECK (s_parse_fixture ("print-not-running-last-exit-1.txt", &job) == 0);
    CHECK (launchd_job_crashed (&job));
    CHECK (!launchd_crash_loop (&job, 0, false));       //  F4: calendar job
    CHECK (s_parse_fixture ("print-keepalive-spawn-scheduled-exit-0.txt", &job) == 0);
    CHECK (s_eq (job.state, "spawn scheduled"));
    CHECK (!launchd_job_crashed (&job));
    launchd_job_clear (&job);
}

//  The kind against fake-launchctl

typedef struct {
    standin_t standin;          //  first: an env_t * is a standin_t *
    char plist [256];
    char target [128];
    char domain [64];
} env_t;

//  Write the fake's state: one service for target.
static void
s_state (env_t *e, bool domain, bool loaded, const char *print, const char *extra_json)
{
    char cwd [PATH_MAX];
    CHECK (getcwd (cwd, sizeof cwd) != NULL);
    char fixtures [PATH_MAX + 32];
    snprintf (fixtures, sizeof fixtures, "%s/" FIXTURES, cwd);
    json_t *svc = json_pack ("{s:b, s:s, s:s}", "loaded", loaded, "print", print,
                             "plist", e->plist);
    if (extra_json) {
        json_t *extra = json_loads (extra_json, 0, NULL);
        CHECK (extra);
        json_object_update (svc, extra);
        json_decref (extra);
    }
    json_t *state = json_pack ("{s:s, s:[], s:{s:o}}", "fixtures", fixtures,
                               "domains", "services", e->target, svc);
    if (domain)
        json_array_append_new (json_object_get (state, "domains"), json_string (e->domain));
    standin_state (&e->standin, state);
}


static int
s_setup (env_t *e, const char *keys)
{
    memset (e, 0, sizeof (*e));
    if (standin_init (&e->standin, "launchctl"))
        return -1;
    snprintf (e->plist, sizeof e->plist, "%s/dev.heal.test.plist", e->standin.dir);
    FILE *f = fopen (e->plist, "w");
    CHECK (f);
    if (f) {
        fputs ("<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict/></plist>\n", f);
        fclose (f);
    }
    snprintf (e->domain, sizeof e->domain, "gui/%u", (unsigned) getuid ());
    snprintf (e->target, sizeof e->target, "%s/dev.heal.test", e->domain);
    char text [2048];
    snprintf (text, sizeof text, "    label = dev.heal.test\n    plist = \"%s\"\n%s",
              e->plist, keys? keys: "");
    return standin_configure (&e->standin, "launchd", "job", text);
}

static void
s_teardown (env_t *e)
{
    const char *extra [] = { "dev.heal.test.plist", NULL };
    standin_teardown (&e->standin, extra);
}

static check_status_t
s_run (env_t *e, char *msg, size_t len)
{
    return standin_run (&e->standin, msg, len);
}

static remedy_status_t
s_remedy (env_t *e, char *action, size_t len)
{
    return standin_remedy (&e->standin, action, len);
}

static void
s_expect_calls (env_t *e, const char *want)
{
    char *got = standin_calls (&e->standin);
    //  the fixture text uses "T" for the target, "D" for the domain, "P" the plist
    char expanded [4096] = "";
    for (const char *p = want; *p && strlen (expanded) < sizeof expanded - 256; p++) {
        if (*p == 'T' && (p [1] == ' ' || p [1] == 0))
            strcat (expanded, e->target);
        else
        if (*p == 'D' && p [1] == ' ')
            strcat (expanded, e->domain);
        else
        if (*p == 'P' && (p [1] == ' ' || p [1] == 0))
            strcat (expanded, e->plist);
        else {
            size_t n = strlen (expanded);
            expanded [n] = *p;
            expanded [n + 1] = 0;
        }
    }
    if (!got || strcmp (got, expanded)) {
        fprintf (stderr, "test_launchd: calls\n  got:  %s\n  want: %s\n",
                 got? got: "(none)", expanded);
        s_failed++;
    }
    free (got);
}

static void
test_kind (void)
{
    env_t e;
    char msg [1024], action [64];

    //  Healthy: one print, nothing else.
    if (s_setup (&e, "    env = \"PATH=/usr/bin\"\n") == 0) {
        s_state (&e, true, true, "print-running-keepalive-never-exited.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);
        CHECK (strstr (msg, "running (pid 1076)") != NULL);
        s_expect_calls (&e, "print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Loaded but dead (KeepAlive): kickstart -k, then healthy.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, true, "print-keepalive-dead-killed.txt",
                 "{\"on_kickstart\": \"print-running-keepalive-never-exited.txt\"}");
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "loaded but not running") != NULL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_DONE);
        CHECK (s_eq (action, "kickstart"));
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);
        s_expect_calls (&e, "print T | kickstart -k T | print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Not loaded: enable + bootstrap, then healthy.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, false, "print-running-keepalive-never-exited.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "not loaded") != NULL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_DONE);
        CHECK (s_eq (action, "bootstrap"));
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);
        s_expect_calls (&e, "print T | enable T | bootstrap D P | print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  "Bootstrap failed: 5" (a bootout still draining elsewhere): poll print
    //  until 113, retry once.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, false, "print-running-keepalive-never-exited.txt",
                 "{\"bootstrap_rcs\": [5]}");
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_DONE);
        s_expect_calls (&e, "print T | enable T | bootstrap D P | print T | bootstrap D P");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Error 5 twice: remedy failed, no endless retry.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, false, "print-running-keepalive-never-exited.txt",
                 "{\"bootstrap_rcs\": [5, 5]}");
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_FAILED);
        s_expect_calls (&e, "print T | enable T | bootstrap D P | print T | bootstrap D P");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Stale (needs LWCR update, must run): bootout, wait for 113, bootstrap.
    if (s_setup (&e, "    running = true\n") == 0) {
        s_state (&e, true, true, "print-loaded-never-run.txt",
                 "{\"drain\": 2, \"on_bootstrap\": \"print-running-keepalive-never-exited.txt\"}");
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_DONE);
        CHECK (s_eq (action, "rebootstrap"));
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);
        s_expect_calls (&e, "print T | bootout T | print T | print T | print T"
                            " | enable T | bootstrap D P | print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Environment lacks a PATH entry: fail, no remedy, nothing but print.
    if (s_setup (&e, "    env = \"PATH=/opt/homebrew/bin\"\n") == 0) {
        s_state (&e, true, true, "print-running-keepalive-never-exited.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "/opt/homebrew/bin") != NULL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_NONE);
        s_expect_calls (&e, "print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Crash loop: no restart.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, true, "print-crash-loop-spawn-scheduled.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "crash-looping") != NULL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_NONE);
        s_expect_calls (&e, "print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  An interval/calendar job (F4) that exits 1 on every run: its runs grow
    //  on schedule, it is not a crash loop, only a warning each time.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, true, "print-not-running-last-exit-1.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_WARN);     //  last run failed
        s_state (&e, true, true, "print-running-keepalive-never-exited.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);       //  runs 4 -> 1: not growing
        s_state (&e, true, true, "print-not-running-last-exit-1.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_WARN);     //  runs 1 -> 4, exit 1
        CHECK (strstr (msg, "crash-looping") == NULL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_NONE);
        s_expect_calls (&e, "print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  A KeepAlive job: one crash that launchd already restarted is fine; the
    //  user's own `kickstart -k` (signal 15) is no crash; runs climbing with
    //  exit 1 is a crash loop, and no restart is tried.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, true, "print-running-keepalive-never-exited.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);       //  runs 1
        s_state (&e, true, true, "print-keepalive-running-after-crash.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);       //  runs 2, SIGSEGV once
        CHECK (strstr (msg, "running (pid 4242)") != NULL);
        s_state (&e, true, true, "print-keepalive-running-after-kickstart.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);       //  runs 4, SIGTERM
        s_state (&e, true, true, "print-keepalive-crashing-exit-1.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_FAIL);     //  runs 9, exit 1
        CHECK (strstr (msg, "5 runs since the last check") != NULL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_NONE);
        s_expect_calls (&e, "print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  KeepAlive, `spawn scheduled` after exit 0: launchd is throttling the
    //  respawn; a kickstart -k would bypass it. A warning, no remedy.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, true, true, "print-keepalive-spawn-scheduled-exit-0.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_WARN);
        CHECK (strstr (msg, "waiting for launchd to respawn") != NULL);
        CHECK (s_remedy (&e, action, sizeof action) == REMEDY_NONE);
        s_expect_calls (&e, "print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Variables launchd adds at start (HOME...) or that are inherited
    //  (SSH_AUTH_SOCK) are present although `environment` lacks them; a value
    //  launchd sets at start cannot be compared and is said so.
    if (s_setup (&e, "    env = \"HOME USER SSH_AUTH_SOCK TMPDIR=/tmp/x\"\n") == 0) {
        s_state (&e, true, true, "print-running-keepalive-never-exited.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_OK);
        CHECK (strstr (msg, "environment") == NULL);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  No GUI session (112): unknown, never down, no remedy.
    if (s_setup (&e, NULL) == 0) {
        s_state (&e, false, true, "print-running-keepalive-never-exited.txt", NULL);
        CHECK (s_run (&e, msg, sizeof msg) == CHECK_UNKNOWN);
        CHECK (strstr (msg, "cannot tell") != NULL);
        s_expect_calls (&e, "print T");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Config errors name the key.
    {
        const char *bad [][2] = {
            { "    label = \"-rf\"\n", "label" },
            { "    label = dev.heal.x\n    plist = relative.plist\n", "plist" },
            { "    label = dev.heal.x\n    env = \"1BAD\"\n", "env" },
            { "    label = dev.heal.x\n    env = \"A B-C\"\n", "env" },
            { "    label = dev.heal.x\n    env = \"A =1\"\n", "env" },
            { "    label = dev.heal.x\n    env = \"  \"\n", "env" },
            { "    label = dev.heal.x\n    domain = \"gui/abc\"\n", "domain" },
            { "    label = dev.heal.x\n    running = maybe\n", "running" },
            { "    plist = \"/x.plist\"\n", "label" },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
            char text [1024], err [CONFIG_ERROR_MAX] = "";
            snprintf (text, sizeof text, "check = job\n    kind = launchd\n%s", bad [i][0]);
            heal_config_t *config = heal_config_load_text (text, "t.conf", err, sizeof err);
            void *inst = NULL;
            if (config) {
                const heal_check_config_t *check = heal_config_check (config, "job");
                inst = check? check_configure (check_kind_find ("launchd"), config, check,
                                               err, sizeof err): NULL;
            }
            CHECK (inst == NULL);
            char want [64];
            snprintf (want, sizeof want, "'%s'", bad [i][1]);
            if (!strstr (err, want)) {
                fprintf (stderr, "test_launchd: error for %s lacks %s: %s\n",
                         bad [i][0], want, err);
                s_failed++;
            }
            if (inst)
                check_destroy (check_kind_find ("launchd"), &inst);
            heal_config_destroy (&config);
        }
        //  ... and env specs that are fine: NAME or NAME=value, any spacing.
        const char *good [] = { "A", "A=1  B_2\t_x=a=b", " PATH=/usr/bin:/bin " };
        for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
            char text [1024], err [CONFIG_ERROR_MAX] = "";
            snprintf (text, sizeof text,
                      "check = job\n    kind = launchd\n    label = dev.heal.x\n"
                      "    env = \"%s\"\n", good [i]);
            heal_config_t *config = heal_config_load_text (text, "t.conf", err, sizeof err);
            const heal_check_config_t *check = config? heal_config_check (config, "job"): NULL;
            void *inst = check? check_configure (check_kind_find ("launchd"), config, check,
                                                 err, sizeof err): NULL;
            if (!inst) {
                fprintf (stderr, "test_launchd: env \"%s\" refused: %s\n", good [i], err);
                s_failed++;
            }
            check_destroy (check_kind_find ("launchd"), &inst);
            heal_config_destroy (&config);
        }
    }
}

int
main (void)
{
    test_parser ();
    test_crash_rule ();
    test_kind ();
    if (s_failed) {
        fprintf (stderr, "test_launchd: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_launchd: ok\n");
    return 0;
}
