//  test_config — selftest of bus/config.c: every error message and the
//  built-in defaults.

#include "heal/heal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"



#define HEAD \
    "agent\n" \
    "    interval = 300\n" \
    "    state_dir = \"/tmp/heal-test-state\"\n" \
    "bus\n" \
    "    publish = \"ipc:///tmp/heal-test/bus\"\n" \
    "    inbound = \"ipc:///tmp/heal-test/in\"\n" \
    "control\n" \
    "    endpoint = \"ipc:///tmp/heal-test/ctl\"\n"

//  Load text, expect failure with exactly the message expected.
static void
s_expect_error (int line, const char *text, const char *expected)
{
    char err [CONFIG_ERROR_MAX] = "";
    heal_config_t *config = heal_config_load_text (text, "t.conf", err, sizeof err);
    if (config || !streq (err, expected)) {
        fprintf (stderr, "test_config:%d: FAILED: expected\n  %s\ngot\n  %s\n",
                 line, expected, config ? "(loaded)" : err);
        s_failed++;
    }
    heal_config_destroy (&config);
}
#define EXPECT_ERROR(text, expected) s_expect_error (__LINE__, text, expected)

static void
s_test_valid (void)
{
    char err [CONFIG_ERROR_MAX] = "";
    heal_config_t *config = heal_config_load_text (HEAD
        "    # a comment\n"
        "security\n"
        "    server_cert = \"/etc/heal/server.cert\"\n"
        "    client_cert = \"/etc/heal/client.cert\"\n"
        "    clients_dir = \"/etc/heal/clients\"\n"
        "diagnoser\n"
        "    url = \"http://127.0.0.1:11434\"\n"
        "    model = \"qwen2.5:7b\"\n"
        "    timeout = 120\n"
        "    temperature = 0.2\n"
        "    redact = true\n"
        "check = web\n"
        "    kind = http\n"
        "    critical = true\n"
        "    interval = 5\n"
        "    timeout = 2s\n"
        "    url = \"http://127.0.0.1:8080/\"\n"
        "    remedy\n"
        "        run = \"true\"\n"
        "        attempts = 5\n"
        "        within = 10m\n"
        "        backoff = 2\n"
        "check = disk\n"
        "    kind = disk\n", "t.conf", err, sizeof err);
    CHECK (config != NULL);
    if (!config) {
        fprintf (stderr, "  %s\n", err);
        return;
    }
    CHECK (streq (config->file, "t.conf"));
    CHECK (config->interval_ms == 300000);
    CHECK (streq (config->state_dir, "/tmp/heal-test-state"));
    CHECK (streq (config->path, CONFIG_DEFAULT_PATH));
    CHECK (streq (config->publish, "ipc:///tmp/heal-test/bus"));
    CHECK (streq (config->inbound, "ipc:///tmp/heal-test/in"));
    CHECK (streq (config->control, "ipc:///tmp/heal-test/ctl"));
    CHECK (streq (config->curve_server_cert, "/etc/heal/server.cert"));
    CHECK (streq (config->curve_client_cert, "/etc/heal/client.cert"));
    CHECK (streq (config->curve_clients_dir, "/etc/heal/clients"));
    CHECK (config->check_count == 2);
    const heal_check_config_t *web = heal_config_check (config, "web");
    CHECK (web && streq (web->kind, "http") && web->critical);
    CHECK (web && web->interval_ms == 5000 && web->timeout_ms == 2000);
    CHECK (web && web->attempts == 5 && web->within_ms == 600000 && web->backoff_ms == 2000);
    CHECK (web && web->remedy && streq (heal_config_value (web->remedy, "run"), "true"));
    CHECK (web && streq (heal_config_value (web->node, "url"), "http://127.0.0.1:8080/"));
    CHECK (web && heal_config_value (web->node, "nope") == NULL);
    const heal_check_config_t *disk = heal_config_check (config, "disk");
    CHECK (disk && !disk->critical && disk->interval_ms == 0);
    CHECK (disk && disk->timeout_ms == CONFIG_DEFAULT_TIMEOUT_MS);
    CHECK (disk && disk->attempts == CONFIG_DEFAULT_ATTEMPTS);
    CHECK (disk && disk->within_ms == CONFIG_DEFAULT_WITHIN_MS);
    CHECK (disk && disk->remedy == NULL);
    CHECK (heal_config_check (config, "nope") == NULL);
    CHECK (streq (zconfig_get (config->root, "diagnoser/model", ""), "qwen2.5:7b"));

    //  kind keys: heal_config_known_keys as the agent calls it
    const char *known [] = { "kind", "critical", "interval", "timeout", "remedy", "url", NULL };
    CHECK (heal_config_known_keys (config, web->node, "web", known, err, sizeof err) == 0);
    const char *known2 [] = { "kind", "critical", "interval", "timeout", "remedy", "urls", NULL };
    CHECK (heal_config_known_keys (config, web->node, "web", known2, err, sizeof err) == -1);
    CHECK (streq (err, "t.conf: check 'web': key 'url': unknown key (did you mean 'urls'?)"));
    const char *remedy_known [] = { "attempts", "within", "backoff", "runs", NULL };
    CHECK (heal_config_known_keys (config, web->remedy, "web", remedy_known,
                                   err, sizeof err) == -1);
    CHECK (streq (err, "t.conf: check 'web': key 'remedy/run': unknown key "
                       "(did you mean 'remedy/runs'?)"));
    heal_config_error (err, sizeof err, config->file, "web", "url", "bad %d", 42);
    CHECK (streq (err, "t.conf: check 'web': key 'url': bad 42"));
    heal_config_error (err, sizeof err, NULL, NULL, NULL, "x");
    CHECK (streq (err, "(built-in defaults): x"));
    heal_config_destroy (&config);
    CHECK (config == NULL);
    heal_config_destroy (&config);

    //  agent timeout is the default per-check timeout; ~/ expands
    setenv ("HOME", "/home/tester", 1);
    config = heal_config_load_text (HEAD
        "    timeout = 30\n"
        "    path = \"/bin\"\n"
        "check = a\n    kind = disk\n", "t.conf", err, sizeof err);
    //  ("timeout" landed under control: refused below; this one is agent's)
    CHECK (config == NULL);
    heal_config_destroy (&config);
    config = heal_config_load_text (
        "agent\n    timeout = 30\n    path = \"/bin\"\n    state_dir = \"~/st\"\n"
        "bus\n    publish = \"tcp://127.0.0.1:*\"\n    inbound = \"inproc://in\"\n"
        "control\n    endpoint = \"tcp://[::1]:7000\"\n"
        "check = a\n    kind = disk\n", "t.conf", err, sizeof err);
    CHECK (config && config->checks [0].timeout_ms == 30000);
    CHECK (config && streq (config->path, "/bin"));
    CHECK (config && streq (config->state_dir, "/home/tester/st"));
    heal_config_destroy (&config);
}

static void
s_test_errors (void)
{
    EXPECT_ERROR (HEAD "agnet\n    x = 1\n",
        "t.conf: section 'agnet': unknown section (did you mean 'agent'?)");
    EXPECT_ERROR (HEAD "zzzzzz\n",
        "t.conf: section 'zzzzzz': unknown section (sections: agent, bus, control, "
        "security, diagnoser, exporter, check)");
    //  heal-exporter's section and agent.host, checked for every binary
    EXPECT_ERROR ("exporter\n    listen = \"localhost:9877\"\n",
        "t.conf: exporter: key 'listen': 'localhost:9877': not an IPv4 address (IPv6 "
        "goes in brackets: [::1]:9877; names are not resolved)");
    EXPECT_ERROR ("exporter\n    listen = \"127.0.0.1:0\"\n",
        "t.conf: exporter: key 'listen': '127.0.0.1:0': the port must be 1 to 65535");
    EXPECT_ERROR ("exporter\n    listen = \"[::1:9877\"\n",
        "t.conf: exporter: key 'listen': '[::1:9877': not an IPv4 address (IPv6 "
        "goes in brackets: [::1]:9877; names are not resolved)");
    EXPECT_ERROR ("exporter\n    timeout = 9s\n",
        "t.conf: exporter: key 'timeout': at most 8000ms (under Prometheus' scrape timeout)");
    EXPECT_ERROR ("exporter\n    lisen = 1\n",
        "t.conf: exporter: key 'lisen': unknown key (did you mean 'listen'?)");
    EXPECT_ERROR ("agent\n    host = \"a b\"\n",
        "t.conf: agent: key 'host': 'a b': a host name is [A-Za-z0-9_.-], 1 to 64 bytes");
    EXPECT_ERROR (HEAD "    intervall = 5\n",
        "t.conf: control: key 'intervall': unknown key");
    EXPECT_ERROR ("agent\n    intervall = 5\n",
        "t.conf: agent: key 'intervall': unknown key (did you mean 'interval'?)");
    EXPECT_ERROR ("agent\n    interval = soon\n",
        "t.conf: agent: key 'interval': 'soon' is not a duration (e.g. 30 = seconds, "
        "500ms, 5m, 6h, 2d)");
    EXPECT_ERROR ("agent\n    interval = 0\n",
        "t.conf: agent: key 'interval': '0' is too short: the duration must be above 0 "
        "(e.g. 30 = seconds, 500ms, 5m)");
    EXPECT_ERROR ("agent\n    interval = 5ms\n",
        "t.conf: agent: key 'interval': must be at least 100ms");
    EXPECT_ERROR ("agent\n    state_dir = relative\n",
        "t.conf: agent: key 'state_dir': 'relative' is not an absolute path");
    EXPECT_ERROR ("agent\n    interval = 1\nagent\n    interval = 2\n",
        "t.conf: agent: section given twice: merge them into one");
    EXPECT_ERROR ("agent = x\n",
        "t.conf: agent: a section takes no value: put its keys in an indented block");
    EXPECT_ERROR ("agent\n    interval = 1\n    interval = 2\n",
        "t.conf: agent: key 'interval': duplicate key");
    EXPECT_ERROR ("bus\n    publish = \"udp://x\"\n",
        "t.conf: bus: key 'publish': 'udp://x' is not a valid endpoint: endpoint must "
        "start with ipc://, tcp:// or inproc://");
    EXPECT_ERROR ("control\n    endpoint = \"tcp://127.0.0.1:99999\"\n",
        "t.conf: control: key 'endpoint': 'tcp://127.0.0.1:99999' is not a valid "
        "endpoint: port '99999' is not 1-65535 or *");
    EXPECT_ERROR (HEAD "bus\n",
        "t.conf: bus: section given twice: merge them into one");
    EXPECT_ERROR ("bus\n    publish = \"inproc://a\"\n    inbound = \"inproc://a\"\n"
                  "control\n    endpoint = \"inproc://c\"\n",
        "t.conf: bus/publish, bus/inbound and control/endpoint must all differ");
    EXPECT_ERROR ("security\n    server_cert = \"/a\"\ncurve\n    client_cert = \"/b\"\n",
        "t.conf: curve: section given twice: merge them into one");
    EXPECT_ERROR ("diagnoser\n    modle = x\n",
        "t.conf: diagnoser: key 'modle': unknown key (did you mean 'model'?)");
    EXPECT_ERROR ("diagnoser\n    timeout = forever\n",
        "t.conf: diagnoser: key 'timeout': 'forever' is not a duration (e.g. 30 = "
        "seconds, 500ms, 5m, 6h, 2d)");
    EXPECT_ERROR ("diagnoser\n    allow_remote = maybe\n",
        "t.conf: diagnoser: key 'allow_remote': 'maybe' is not a boolean (true or false)");
    EXPECT_ERROR ("diagnoser\n    num_ctx = -5\n",
        "t.conf: diagnoser: key 'num_ctx': '-5' is not a whole number");
    EXPECT_ERROR ("diagnoser\n    temperature = hot\n",
        "t.conf: diagnoser: key 'temperature': 'hot' is not a number");
    EXPECT_ERROR ("diagnoser\n    url = \"ftp://x\"\n",
        "t.conf: diagnoser: key 'url': 'ftp://x' is not an http:// or https:// URL");
    EXPECT_ERROR ("agent\n    interval = 5\n        deeper = 1\n",
        "t.conf: agent: key 'interval': has an indented block under it: only 'remedy' "
        "takes one (check the indentation)");

    //  checks
    EXPECT_ERROR (HEAD "check\n    kind = disk\n",
        "t.conf: check: a check needs a name: check = NAME");
    EXPECT_ERROR (HEAD "check = \"a b\"\n    kind = disk\n",
        "t.conf: check 'a b': invalid name: use 1 to 64 of A-Z a-z 0-9 _ -");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\ncheck = web\n    kind = tcp\n",
        "t.conf: check 'web': duplicate check name");
    EXPECT_ERROR (HEAD "check = web\n    critical = true\n",
        "t.conf: check 'web': key 'kind': missing: every check needs a kind (disk, file, "
        "command, http, tcp, process, log, ollama, launchd, systemd)");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    critical = sometimes\n",
        "t.conf: check 'web': key 'critical': 'sometimes' is not a boolean (true or false)");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    interval = 5x\n",
        "t.conf: check 'web': key 'interval': '5x' is not a duration (e.g. 30 = seconds, "
        "500ms, 5m, 6h, 2d)");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    timeout = -1\n",
        "t.conf: check 'web': key 'timeout': '-1' is not a duration (e.g. 30 = seconds, "
        "500ms, 5m, 6h, 2d)");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    kind = tcp\n",
        "t.conf: check 'web': key 'kind': duplicate key");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    path = /\n        x = 1\n",
        "t.conf: check 'web': key 'path': has an indented block under it: only 'remedy' "
        "takes one (check the indentation)");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    remedy\n        attempts = many\n",
        "t.conf: check 'web': key 'remedy/attempts': 'many' is not a whole number from "
        "0 to 1000");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    remedy\n        attempts = 1001\n",
        "t.conf: check 'web': key 'remedy/attempts': '1001' is not a whole number from "
        "0 to 1000");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    remedy\n        within = 0\n",
        "t.conf: check 'web': key 'remedy/within': '0' is too short: the duration must "
        "be above 0 (e.g. 30 = seconds, 500ms, 5m)");
    EXPECT_ERROR (HEAD "check = web\n\tkind = disk\n",
        "t.conf: line 10: tabs are not allowed in the indentation, use 4 spaces");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    remedy\n        backoff = x\n",
        "t.conf: check 'web': key 'remedy/backoff': 'x' is not a duration (e.g. 30 = "
        "seconds, 500ms, 5m, 6h, 2d)");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    remedy\n        run = a\n"
                  "        run = b\n",
        "t.conf: check 'web': key 'remedy/run': duplicate key");
    EXPECT_ERROR (HEAD "check = web\n    kind = disk\n    remedy = now\n",
        "t.conf: check 'web': key 'remedy': takes no value: put its keys in an indented "
        "block under it");

    //  syntax
    EXPECT_ERROR ("agent\n   interval = 300\n",
        "t.conf: line 2: syntax error: indent 4 spaces at once (ZPL: 4-space indents, "
        "key = value)");
    EXPECT_ERROR ("agent\n    interval = \"300\n",
        "t.conf: line 2: syntax error: missing \" (ZPL: 4-space indents, key = value)");
    EXPECT_ERROR ("agent\n    interval = 1\n\xff\n",
        "t.conf: line 3: not valid UTF-8");

    //  too many checks
    zchunk_t *big = zchunk_new (NULL, 0);
    zchunk_extend (big, HEAD, strlen (HEAD));
    for (int i = 0; i <= CONFIG_MAX_CHECKS; i++) {
        char block [64];
        int n = snprintf (block, sizeof block, "check = c%d\n    kind = disk\n", i);
        zchunk_extend (big, block, (size_t) n);
    }
    zchunk_extend (big, "", 1);
    EXPECT_ERROR ((const char *) zchunk_data (big), "t.conf: 1025 checks: at most 1024");
    zchunk_destroy (&big);
}

static void
s_test_files (void)
{
    char dir [] = "/tmp/heal-test-config-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char path [256], expected [1024], err [CONFIG_ERROR_MAX];
    snprintf (path, sizeof path, "%s/heal.conf", dir);
    const char *text = HEAD "check = d\n    kind = disk\n";
    CHECK (heal_write_atomic (path, text, strlen (text), 0600) == 0);
    heal_config_t *config = heal_config_load (path, err, sizeof err);
    CHECK (config && streq (config->file, path) && config->check_count == 1);
    heal_config_destroy (&config);

    CHECK (chmod (path, 0664) == 0);
    config = heal_config_load (path, err, sizeof err);
    snprintf (expected, sizeof expected, "%s: writable by group or others (mode 0664): "
              "refusing it (chmod go-w %s)", path, path);
    CHECK (config == NULL && streq (err, expected));
    CHECK (chmod (path, 0602) == 0);
    CHECK (heal_config_load (path, err, sizeof err) == NULL);
    CHECK (chmod (path, 0644) == 0);
    config = heal_config_load (path, err, sizeof err);
    CHECK (config != NULL);
    heal_config_destroy (&config);

    if (geteuid () == 0) {
        CHECK (chown (path, 12345, 12345) == 0);
        config = heal_config_load (path, err, sizeof err);
        snprintf (expected, sizeof expected, "%s: owned by uid 12345, not by the user "
                  "running heal (uid 0): refusing it (chown 0 %s)", path, path);
        CHECK (config == NULL && streq (err, expected));
        CHECK (chown (path, 0, 0) == 0);
    }
    char missing [300];
    snprintf (missing, sizeof missing, "%s/nope.conf", dir);
    config = heal_config_load (missing, err, sizeof err);
    snprintf (expected, sizeof expected, "%s: No such file or directory", missing);
    CHECK (config == NULL && streq (err, expected));

    //  too large
    char *huge = (char *) malloc (CONFIG_MAX_FILE + 2);
    memset (huge, '#', CONFIG_MAX_FILE + 1);
    huge [CONFIG_MAX_FILE + 1] = 0;
    CHECK (heal_write_atomic (path, huge, CONFIG_MAX_FILE + 1, 0600) == 0);
    config = heal_config_load (path, err, sizeof err);
    snprintf (expected, sizeof expected, "%s: larger than 1048576 bytes", path);
    CHECK (config == NULL && streq (err, expected));
    free (huge);

    //  locate: -c, then $HEAL_CONFIG, then ~/.config/heal/heal.conf
    char *found = heal_config_locate ("/x.conf");
    CHECK (found && streq (found, "/x.conf"));
    free (found);
    setenv ("HEAL_CONFIG", "/env.conf", 1);
    found = heal_config_locate (NULL);
    CHECK (found && streq (found, "/env.conf"));
    free (found);
    unsetenv ("HEAL_CONFIG");
    setenv ("HOME", dir, 1);
    found = heal_config_locate (NULL);
    CHECK (found == NULL);
    char sub [300];
    snprintf (sub, sizeof sub, "%s/.config/heal", dir);
    CHECK (heal_mkdir_p (sub, 0700) == 0);
    snprintf (sub, sizeof sub, "%s/.config/heal/heal.conf", dir);
    CHECK (heal_write_atomic (sub, text, strlen (text), 0600) == 0);
    found = heal_config_locate (NULL);
    CHECK (found && streq (found, sub));
    free (found);

    //  built-in defaults
    unsetenv ("XDG_STATE_HOME");
    char rt [300];
    snprintf (rt, sizeof rt, "%s/rt", dir);
    CHECK (mkdir (rt, 0700) == 0);
    setenv ("XDG_RUNTIME_DIR", rt, 1);
    config = heal_config_load (NULL, err, sizeof err);
    CHECK (config != NULL);
    if (!config)
        fprintf (stderr, "  %s\n", err);
    if (config) {
        char want [400];
        CHECK (config->file == NULL);
        CHECK (config->interval_ms == 300000);
        snprintf (want, sizeof want, "%s/.local/state/heal", dir);
        CHECK (streq (config->state_dir, want));
        snprintf (want, sizeof want, "ipc://%s/rt/heal/bus", dir);
        CHECK (streq (config->publish, want));
        snprintf (want, sizeof want, "ipc://%s/rt/heal/bus-in", dir);
        CHECK (streq (config->inbound, want));
        snprintf (want, sizeof want, "ipc://%s/rt/heal/control", dir);
        CHECK (streq (config->control, want));
        CHECK (streq (config->path, CONFIG_DEFAULT_PATH));
        CHECK (config->check_count == 3);
        const heal_check_config_t *c = heal_config_check (config, "disk-root");
        CHECK (c && streq (c->kind, "disk") && c->critical);
        CHECK (c && streq (heal_config_value (c->node, "path"), "/"));
        CHECK (c && streq (heal_config_value (c->node, "min_free"), "10%"));
        c = heal_config_check (config, "state-dir");
        CHECK (c && streq (c->kind, "file") && !c->critical && c->remedy);
        CHECK (c && streq (heal_config_value (c->node, "path"), config->state_dir));
        CHECK (c && c->remedy && streq (heal_config_value (c->remedy, "create"), "true"));
        c = heal_config_check (config, "ollama");
        CHECK (c && streq (c->kind, "ollama") && !c->critical);
        CHECK (c && streq (heal_config_value (c->node, "url"), "http://127.0.0.1:11434"));
        heal_config_destroy (&config);
    }
    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
    rmdir (dir);
}

//  depends: names resolved, unknown names and cycles named; remedy/verify
//  and description read.
static void
s_test_depends (void)
{
    char err [CONFIG_ERROR_MAX] = "";
    heal_config_t *config = heal_config_load_text (HEAD
        "check = db\n    kind = tcp\n"
        "check = api\n    kind = http\n    depends = db\n    description = \"front\"\n"
        "    remedy\n        verify = 2500ms\n"
        "check = web\n    kind = http\n    depends = api, db\n",
        "t.conf", err, sizeof err);
    CHECK (config != NULL);
    if (config) {
        const heal_check_config_t *api = heal_config_check (config, "api");
        const heal_check_config_t *web = heal_config_check (config, "web");
        CHECK (api->depends.count == 1 && api->depends_index [0] == 0);
        CHECK (web->depends.count == 2 && web->depends_index [0] == 1
               && web->depends_index [1] == 0);
        CHECK (api->verify_given && api->verify_ms == 2500);
        CHECK (!web->verify_given);
        CHECK (api->description && streq (api->description, "front"));
    }
    heal_config_destroy (&config);
    EXPECT_ERROR (HEAD "check = a\n    kind = tcp\n    depends = b\n",
                  "t.conf: check 'a': key 'depends': 'b': no check has this name");
    EXPECT_ERROR (HEAD "check = a\n    kind = tcp\n    depends = a\n",
                  "t.conf: check 'a': key 'depends': 'a': a check cannot depend on itself");
    EXPECT_ERROR (HEAD
        "check = a\n    kind = tcp\n    depends = b\n"
        "check = b\n    kind = tcp\n    depends = c\n"
        "check = c\n    kind = tcp\n    depends = a\n",
        "t.conf: check 'a': key 'depends': dependency cycle: a -> b -> c -> a");
    EXPECT_ERROR (HEAD
        "check = x\n    kind = tcp\n"
        "check = a\n    kind = tcp\n    depends = x, b\n"
        "check = b\n    kind = tcp\n    depends = a\n",
        "t.conf: check 'a': key 'depends': dependency cycle: a -> b -> a");
}

int
main (void)
{
    s_test_depends ();
    s_test_valid ();
    s_test_errors ();
    s_test_files ();
    if (s_failed) {
        fprintf (stderr, "test_config: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_config: ok\n");
    return 0;
}
