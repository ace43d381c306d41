//  test_systemd — the systemd kind: the `systemctl --user show` parser on the
//  fixtures in tests/fixtures/systemd (by name, any order), and the kind's
//  run/remedy against tests/tools/fake-systemctl (a stand-in on the PATH that
//  records its calls), so the remediation sequences are asserted exactly.
//  Run from the source root (tests/run.sh does).

#include "check.h"
#include "check_systemd.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "standin.h"



#define FIXTURES "tests/fixtures/systemd/"

static bool
s_eq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

static int
s_parse_fixture (const char *name, systemd_unit_t *u)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, FIXTURES "%s", name);
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (stderr, "test_systemd: cannot open %s (run from the source root)\n", path);
        s_failed++;
        return -2;
    }
    char buf [8192];
    size_t n = fread (buf, 1, sizeof buf, f);
    fclose (f);
    return systemd_show_parse (buf, n, u);
}

static void
test_parser (void)
{
    systemd_unit_t u;
    memset (&u, 0, sizeof u);

    CHECK (s_parse_fixture ("show-running.txt", &u) == 0);
    CHECK (s_eq (u.load_state, "loaded") && s_eq (u.active_state, "active"));
    CHECK (s_eq (u.sub_state, "running") && s_eq (u.result, "success"));
    CHECK (u.main_pid == 4242 && u.n_restarts == 0);
    CHECK (u.exec_main_code == 0 && u.exec_main_status == 0);
    CHECK (!systemd_unit_last_failed (&u));

    CHECK (s_parse_fixture ("show-not-found.txt", &u) == 0);
    CHECK (s_eq (u.load_state, "not-found") && s_eq (u.active_state, "inactive"));

    CHECK (s_parse_fixture ("show-failed-signal.txt", &u) == 0);
    CHECK (u.exec_main_code == SYSTEMD_CLD_KILLED && u.exec_main_status == 15);
    CHECK (u.main_pid == 0);            //  ExecMainPID is not MainPID
    CHECK (systemd_unit_last_failed (&u));
    CHECK (!systemd_unit_start_limit_hit (&u));

    CHECK (s_parse_fixture ("show-start-limit-hit.txt", &u) == 0);
    CHECK (systemd_unit_start_limit_hit (&u));
    CHECK (u.n_restarts == 5);

    CHECK (s_parse_fixture ("show-auto-restart.txt", &u) == 0);
    CHECK (s_eq (u.sub_state, "auto-restart") && u.exec_main_status == 2);

    CHECK (s_parse_fixture ("show-masked.txt", &u) == 0);
    CHECK (s_eq (u.load_state, "masked") && u.exec_main_code == -1);

    //  Several units: only the first block
    CHECK (s_parse_fixture ("show-multi-unit.txt", &u) == 0);
    CHECK (s_eq (u.load_state, "loaded") && u.n_restarts == 7);

    //  Order does not matter; odd lines and unknown names are tolerated.
    const char *odd = "junk line\n=x\nResult=exit-code\nFoo=bar\nSubState=dead\r\n"
                      "LoadState=loaded\nMainPID=abc\nNRestarts=-1\nActiveState=inactive\n";
    CHECK (systemd_show_parse (odd, strlen (odd), &u) == 0);
    CHECK (s_eq (u.sub_state, "dead") && s_eq (u.active_state, "inactive"));
    CHECK (u.main_pid == -1 && u.n_restarts == -1);
    //  No LoadState: not show output
    const char *none = "Failed to connect to bus: No medium found\n";
    CHECK (systemd_show_parse (none, strlen (none), &u) == -1);
    CHECK (systemd_show_parse ("", 0, &u) == -1);
    CHECK (systemd_show_parse (NULL, 0, &u) == -1);
    {
        size_t n = 100 * 1024;
        char *junk = (char *) malloc (n);
        CHECK (junk);
        if (junk) {
            memset (junk, '=', n);
            CHECK (systemd_show_parse (junk, n, &u) == -1);
            memset (junk, 'L', n);
            memcpy (junk + n - 20, "\nLoadState=loaded\n", 18);
            systemd_show_parse (junk, n, &u);
            free (junk);
        }
    }
    systemd_unit_clear (&u);
}


//  ---------------------------------------------------------------------------
//  The kind against fake-systemctl

typedef standin_t env_t;

//  Write the fake's state: unit x.service with props from a fixture plus
//  extra JSON merged into the unit object.
static void
s_state (env_t *e, bool bus, const char *fixture, const char *extra_json)
{
    json_t *units = json_object ();
    if (fixture) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, FIXTURES "%s", fixture);
        FILE *f = fopen (path, "r");
        CHECK (f);
        json_t *props = json_object ();
        char line [512];
        while (f && fgets (line, sizeof line, f)) {
            line [strcspn (line, "\r\n")] = 0;
            char *eq = strchr (line, '=');
            if (eq) {
                *eq = 0;
                json_object_set_new (props, line, json_string (eq + 1));
            }
        }
        if (f)
            fclose (f);
        json_t *unit = json_pack ("{s:o}", "props", props);
        if (extra_json) {
            json_t *extra = json_loads (extra_json, 0, NULL);
            CHECK (extra);
            json_object_update (unit, extra);
            json_decref (extra);
        }
        json_object_set_new (units, "x.service", unit);
    }
    standin_state (e, json_pack ("{s:b, s:o}", "bus", bus, "units", units));
}


#define SHOW "--user show -p " SYSTEMD_PROPERTIES " x.service"

static void
s_expect_calls (env_t *e, const char *want)
{
    char *got = standin_calls (e);
    if (!got || strcmp (got, want)) {
        fprintf (stderr, "test_systemd: calls\n  got:  %s\n  want: %s\n",
                 got? got: "(none)", want);
        s_failed++;
    }
    free (got);
}

static int
s_setup (env_t *e, const char *unit)
{
    char keys [256];
    snprintf (keys, sizeof keys, "    unit = \"%s\"\n", unit);
    return standin_init (e, "systemctl") || standin_configure (e, "systemd", "unit", keys)
         ? -1: 0;
}

static void
s_teardown (env_t *e)
{
    standin_teardown (e, NULL);
}



static void
test_kind (void)
{
    env_t e;
    char msg [1024], action [64];

    //  Active: one show.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, true, "show-running.txt", NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_OK);
        CHECK (strstr (msg, "pid 4242") != NULL);
        s_expect_calls (&e, SHOW);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Failed (killed): restart, then active.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, true, "show-failed-signal.txt", NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "signal 15") != NULL);
        CHECK (standin_remedy (&e, action, sizeof action) == REMEDY_DONE);
        CHECK (s_eq (action, "restart"));
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_OK);
        s_expect_calls (&e, SHOW " | --user restart x.service | " SHOW);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Start limit hit: reset-failed, then restart.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, true, "show-start-limit-hit.txt", NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "start-limit-hit") != NULL);
        CHECK (standin_remedy (&e, action, sizeof action) == REMEDY_DONE);
        CHECK (s_eq (action, "reset-failed+restart"));
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_OK);
        s_expect_calls (&e, SHOW " | --user reset-failed x.service | --user restart x.service | " SHOW);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Restart refused: remedy failed.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, true, "show-inactive.txt", "{\"restart_rc\": 1}");
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (standin_remedy (&e, action, sizeof action) == REMEDY_FAILED);
        s_expect_calls (&e, SHOW " | --user restart x.service");
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Waiting for systemd's own restart (auto-restart): restart now.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, true, "show-auto-restart.txt", NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "exit 2") != NULL);
        CHECK (standin_remedy (&e, action, sizeof action) == REMEDY_DONE);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Not found (exit 0!) and masked: fail, nothing to run.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, true, NULL, NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "not found") != NULL);
        CHECK (standin_remedy (&e, action, sizeof action) == REMEDY_NONE);
        s_expect_calls (&e, SHOW);
        s_state (&e, true, "show-masked.txt", NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "masked") != NULL);
        CHECK (standin_remedy (&e, action, sizeof action) == REMEDY_NONE);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Restarting behind our back with failures: crash loop, no restart.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, true, "show-running.txt", NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_OK);
        s_state (&e, true, "show-running.txt",
                 "{\"props\": {\"LoadState\": \"loaded\", \"ActiveState\": \"active\","
                 " \"SubState\": \"running\", \"MainPID\": \"4300\", \"NRestarts\": \"4\","
                 " \"ExecMainCode\": \"1\", \"ExecMainStatus\": \"1\", \"Result\": \"exit-code\"}}");
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_FAIL);
        CHECK (strstr (msg, "crash-looping") != NULL);
        CHECK (standin_remedy (&e, action, sizeof action) == REMEDY_NONE);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  No user bus: unknown.
    if (s_setup (&e, "x.service") == 0) {
        s_state (&e, false, "show-running.txt", NULL);
        CHECK (standin_run (&e, msg, sizeof msg) == CHECK_UNKNOWN);
    }
    else
        s_failed++;
    s_teardown (&e);

    //  Config errors
    {
        const char *bad [] = { "", "    unit = \"--now\"\n", "    unit = \"a b\"\n" };
        for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
            char text [512], err [CONFIG_ERROR_MAX] = "";
            snprintf (text, sizeof text, "check = u\n    kind = systemd\n%s", bad [i]);
            heal_config_t *config = heal_config_load_text (text, "t.conf", err, sizeof err);
            void *inst = NULL;
            if (config) {
                const heal_check_config_t *check = heal_config_check (config, "u");
                inst = check? check_configure (check_kind_find ("systemd"), config, check,
                                               err, sizeof err): NULL;
            }
            CHECK (inst == NULL);
            CHECK (strstr (err, "'unit'") != NULL);
            if (inst)
                check_destroy (check_kind_find ("systemd"), &inst);
            heal_config_destroy (&config);
        }
    }
}

int
main (void)
{
    test_parser ();
    test_kind ();
    if (s_failed) {
        fprintf (stderr, "test_systemd: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_systemd: ok\n");
    return 0;
}
