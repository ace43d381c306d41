//  test_keys — the typed key tables' parser (heal/keys.h): every type, bounds,
//  defaults, required keys, unknown-key suggestions, too-long values.

#include "heal/heal.h"
#include "heal/keys.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;
    char *path;
    char *url;
    char *endpoint;
    char *host;
    bool flag;
    bool flag_seen;
    int64_t count;
    double number;
    int64_t duration_ms;
    int64_t backoff_ms;
    uint64_t size;
    heal_size_pct_t free;
    heal_size_pct_t inodes;
    heal_rate_t rate;
    int64_t mode;
    int color;
    heal_list_t list;
    char *must;
} settings_t;

#define AT(field) HEAL_KEY_AT (settings_t, field)

static const heal_key_word_t s_colors [] = {
    { "red", 1 }, { "green", 2 }, { "verde", 2 }, { NULL, 0 }
};

static const heal_key_t s_table [] = {
    { .name = "text", .type = HEAL_KEY_STRING, .at = AT (text), .max_len = 8,
      .def = "dflt" },
    { .name = "path", .type = HEAL_KEY_PATH, .at = AT (path) },
    { .name = "url", .type = HEAL_KEY_URL, .at = AT (url) },
    { .name = "endpoint", .type = HEAL_KEY_ENDPOINT, .at = AT (endpoint) },
    { .name = "host", .type = HEAL_KEY_HOST, .at = AT (host) },
    { .name = "flag", .type = HEAL_KEY_BOOL, .at = AT (flag), .seen = AT (flag_seen),
      .def = "true" },
    { .name = "count", .type = HEAL_KEY_INT, .at = AT (count), .min = 1, .max = 10,
      .def = "5" },
    { .name = "number", .type = HEAL_KEY_NUMBER, .at = AT (number) },
    { .name = "duration", .type = HEAL_KEY_DURATION, .at = AT (duration_ms),
      .min = 100, .max = 60000 },
    { .name = "backoff", .type = HEAL_KEY_DURATION, .at = AT (backoff_ms),
      .flags = HEAL_KEY_ZERO },
    { .name = "size", .type = HEAL_KEY_SIZE, .at = AT (size) },
    { .name = "free", .type = HEAL_KEY_SIZE_PCT, .at = AT (free) },
    { .name = "inodes", .type = HEAL_KEY_COUNT_PCT, .at = AT (inodes) },
    { .name = "rate", .type = HEAL_KEY_RATE, .at = AT (rate) },
    { .name = "mode", .type = HEAL_KEY_MODE, .at = AT (mode) },
    { .name = "color", .type = HEAL_KEY_ENUM, .at = AT (color), .words = s_colors },
    { .name = "list", .type = HEAL_KEY_LIST, .at = AT (list), .max = 3, .max_len = 4,
      .invalid = "'%s' is not a short word" },
    { .name = "remedy", .type = HEAL_KEY_BLOCK },
    { .name = NULL }
};

static const heal_key_t s_required [] = {
    { .name = "must", .type = HEAL_KEY_STRING, .at = AT (must), .flags = HEAL_KEY_REQUIRED },
    { .name = NULL }
};

static const heal_key_t s_required_own [] = {
    { .name = "must", .type = HEAL_KEY_STRING, .at = AT (must), .flags = HEAL_KEY_REQUIRED,
      .missing = "missing: say what it must" },
    { .name = NULL }
};

static const heal_key_t s_empty_ok [] = {
    { .name = "must", .type = HEAL_KEY_STRING, .at = AT (must), .def = "fallback",
      .flags = HEAL_KEY_EMPTY },
    { .name = NULL }
};

static const heal_keys_ctx_t s_ctx = {
    .file = "k.conf", .where = "check 't'", .needed_by = "the test kind"
};

//  Parse "key = value" lines (ZPL) under a root block `t`; read them into *s.
//  Returns the rc and leaves the error in err.
static int
s_read (const char *lines, const heal_key_t *table, settings_t *s, char *err, size_t len)
{
    char *text = zsys_sprintf ("t\n%s", lines);
    zconfig_t *root = text ? zconfig_str_load (text) : NULL;
    zstr_free (&text);
    if (!root) {
        snprintf (err, len, "zconfig refused it");
        return -2;
    }
    zconfig_t *node = zconfig_locate (root, "t");
    err [0] = 0;
    const heal_key_t *tables [] = { table, NULL };
    int rc = heal_keys_names (&s_ctx, node, tables, err, len);
    if (rc == 0)
        rc = heal_keys_read (&s_ctx, node, table, s, err, len);
    zconfig_destroy (&root);
    return rc;
}

//  Reading lines must fail with exactly want.
static void
s_refuse (const char *lines, const heal_key_t *table, const char *want)
{
    settings_t s;
    memset (&s, 0, sizeof s);
    char err [CONFIG_ERROR_MAX];
    int rc = s_read (lines, table, &s, err, sizeof err);
    CHECKF (rc == -1 && streq (err, want), "%s -> rc %d '%s', want '%s'", lines, rc, err,
            want);
    heal_keys_free (table, &s);
}

int
main (void)
{
    setenv ("HOME", "/home/tester", 1);
    char err [CONFIG_ERROR_MAX];

    //  defaults: every absent key takes its default, or keeps the field
    settings_t s;
    memset (&s, 0, sizeof s);
    s.duration_ms = 777;
    CHECK (s_read ("    path = /x\n", s_table, &s, err, sizeof err) == 0);
    CHECK (s.text && streq (s.text, "dflt"));
    CHECK (s.flag == true && s.flag_seen == false);
    CHECK (s.count == 5);
    CHECK (s.duration_ms == 777);
    CHECK (s.url == NULL && s.list.count == 0);
    heal_keys_free (s_table, &s);
    CHECK (s.text == NULL && s.path == NULL);

    //  every type, read
    memset (&s, 0, sizeof s);
    int rc = s_read ("    text = abc\n"
                     "    path = ~/logs\n"
                     "    url = \"https://example.com/x\"\n"
                     "    endpoint = \"tcp://127.0.0.1:5555\"\n"
                     "    host = \"db-1.example\"\n"
                     "    flag = no\n"
                     "    count = 10\n"
                     "    number = 0.25\n"
                     "    duration = 500ms\n"
                     "    backoff = 0\n"
                     "    size = 10K\n"
                     "    free = \"2.5%\"\n"
                     "    inodes = 10000\n"
                     "    rate = 50/h\n"
                     "    mode = 0750\n"
                     "    color = verde\n"
                     "    list = \"a, bb ccc\"\n",
                     s_table, &s, err, sizeof err);
    CHECKF (rc == 0, "%s", err);
    CHECK (s.text && streq (s.text, "abc"));
    CHECK (s.path && streq (s.path, "/home/tester/logs"));
    CHECK (s.url && streq (s.url, "https://example.com/x"));
    CHECK (s.endpoint && streq (s.endpoint, "tcp://127.0.0.1:5555"));
    CHECK (s.host && streq (s.host, "db-1.example"));
    CHECK (s.flag == false && s.flag_seen);
    CHECK (s.count == 10);
    CHECK (s.number == 0.25);
    CHECK (s.duration_ms == 500);
    CHECK (s.backoff_ms == 0);
    CHECK (s.size == 10240);
    CHECK (s.free.is_percent && s.free.percent == 2.5);
    CHECK (!s.inodes.is_percent && s.inodes.bytes == 10000);
    CHECK (s.rate.count == 50 && s.rate.window_ms == 3600 * 1000
           && streq (s.rate.text, "50/h"));
    CHECK (s.mode == 0750);
    CHECK (s.color == 2);
    CHECK (s.list.count == 3 && streq (s.list.items [0], "a")
           && streq (s.list.items [2], "ccc"));
    heal_keys_free (s_table, &s);
    CHECK (s.list.items == NULL && s.list.count == 0);

    //  refused values, in the house format
    s_refuse ("    text = \"\"\n", s_table, "k.conf: check 't': key 'text': must not be empty");
    s_refuse ("    text = toolongvalue\n", s_table,
              "k.conf: check 't': key 'text': longer than 8 bytes");
    s_refuse ("    path = relative\n", s_table,
              "k.conf: check 't': key 'path': 'relative' is not an absolute path");
    s_refuse ("    url = \"ftp://x\"\n", s_table,
              "k.conf: check 't': key 'url': 'ftp://x' is not an http:// or https:// URL");
    s_refuse ("    url = \"http://a b\"\n", s_table,
              "k.conf: check 't': key 'url': 'http://a b' is not an http:// or https:// URL");
    s_refuse ("    url = \"http://\"\n", s_table,
              "k.conf: check 't': key 'url': 'http://' is not an http:// or https:// URL");
    s_refuse ("    host = \"a b\"\n", s_table,
              "k.conf: check 't': key 'host': 'a b' is not a host name or address");
    s_refuse ("    flag = maybe\n", s_table,
              "k.conf: check 't': key 'flag': 'maybe' is not a boolean (true or false)");
    s_refuse ("    count = 11\n", s_table,
              "k.conf: check 't': key 'count': '11' is not a whole number from 1 to 10");
    s_refuse ("    count = 0\n", s_table,
              "k.conf: check 't': key 'count': '0' is not a whole number from 1 to 10");
    s_refuse ("    count = 5x\n", s_table,
              "k.conf: check 't': key 'count': '5x' is not a whole number from 1 to 10");
    s_refuse ("    number = -1\n", s_table,
              "k.conf: check 't': key 'number': '-1' is not a number");
    s_refuse ("    duration = soon\n", s_table,
              "k.conf: check 't': key 'duration': 'soon' is not a duration (e.g. 30 = "
              "seconds, 500ms, 5m, 6h, 2d)");
    s_refuse ("    duration = 0\n", s_table,
              "k.conf: check 't': key 'duration': '0' is too short: the duration must "
              "be above 0 (e.g. 30 = seconds, 500ms, 5m)");
    s_refuse ("    duration = 50ms\n", s_table,
              "k.conf: check 't': key 'duration': must be at least 100ms");
    s_refuse ("    duration = 2m\n", s_table,
              "k.conf: check 't': key 'duration': must be at most 60000ms");
    s_refuse ("    size = big\n", s_table,
              "k.conf: check 't': key 'size': 'big' is not a size (e.g. 4096, 10K, 100M, 5G)");
    s_refuse ("    free = lots\n", s_table,
              "k.conf: check 't': key 'free': 'lots' is not a size or a percentage "
              "(e.g. 10% or 5G)");
    s_refuse ("    free = \"101%\"\n", s_table,
              "k.conf: check 't': key 'free': '101%' is not a size or a percentage "
              "(e.g. 10% or 5G)");
    s_refuse ("    inodes = 5G\n", s_table,
              "k.conf: check 't': key 'inodes': '5G' is not a count or a percentage "
              "(e.g. 10000 or 5%)");
    s_refuse ("    rate = 50\n", s_table,
              "k.conf: check 't': key 'rate': '50' is not a rate (e.g. 50/h, 10/m, 3/s)");
    s_refuse ("    mode = 0999\n", s_table,
              "k.conf: check 't': key 'mode': '0999' is not an octal mode (e.g. 0644, 0700)");
    s_refuse ("    color = blue\n", s_table,
              "k.conf: check 't': key 'color': 'blue' is not one of red, green, verde");
    s_refuse ("    list = \"a toolong\"\n", s_table,
              "k.conf: check 't': key 'list': 'toolong' is not a short word");
    s_refuse ("    list = \"a b c d\"\n", s_table,
              "k.conf: check 't': key 'list': more than 3 values");
    memset (&s, 0, sizeof s);
    CHECK (s_read ("    list = \"\"\n", s_table, &s, err, sizeof err) == 0);
    CHECK (s.list.count == 0);
    heal_keys_free (s_table, &s);

    //  names: unknown (with and without a suggestion), duplicate, nesting
    s_refuse ("    clor = red\n", s_table,
              "k.conf: check 't': key 'clor': unknown key (did you mean 'color'?)");
    s_refuse ("    zzzzzzzz = 1\n", s_table, "k.conf: check 't': key 'zzzzzzzz': unknown key");
    s_refuse ("    text = a\n    text = b\n", s_table,
              "k.conf: check 't': key 'text': duplicate key");
    s_refuse ("    text = a\n        x = 1\n", s_table,
              "k.conf: check 't': key 'text': has an indented block under it: only "
              "'remedy' takes one (check the indentation)");
    memset (&s, 0, sizeof s);
    CHECK (s_read ("    remedy\n        x = 1\n", s_table, &s, err, sizeof err) == 0);
    heal_keys_free (s_table, &s);
    //  a value longer than any key may hold
    char *long_lines = (char *) malloc (CONFIG_MAX_VALUE + 64);
    snprintf (long_lines, CONFIG_MAX_VALUE + 64, "    text = %0*d\n", CONFIG_MAX_VALUE + 1, 0);
    snprintf (err, sizeof err, "k.conf: check 't': key 'text': value longer than %d bytes",
              CONFIG_MAX_VALUE);
    s_refuse (long_lines, s_table, err);
    free (long_lines);

    //  required
    s_refuse ("", s_required, "k.conf: check 't': key 'must': missing: the test kind needs it");
    s_refuse ("", s_required_own, "k.conf: check 't': key 'must': missing: say what it must");
    memset (&s, 0, sizeof s);
    CHECK (s_read ("    must = yes\n", s_required, &s, err, sizeof err) == 0);
    CHECK (s.must && streq (s.must, "yes"));
    heal_keys_free (s_required, &s);

    //  HEAL_KEY_EMPTY: an empty value is the default
    memset (&s, 0, sizeof s);
    CHECK (s_read ("    must = \"\"\n", s_empty_ok, &s, err, sizeof err) == 0);
    CHECK (s.must && streq (s.must, "fallback"));
    heal_keys_free (s_empty_ok, &s);

    //  an open block: names outside the tables are left for a later check,
    //  but duplicates and values are still checked
    {
        zconfig_t *root = zconfig_str_load ("t\n    other = 1\n    count = 3\n");
        zconfig_t *node = zconfig_locate (root, "t");
        heal_keys_ctx_t open_ctx = s_ctx;
        open_ctx.open = true;
        const heal_key_t *tables [] = { s_table, NULL };
        CHECK (heal_keys_names (&open_ctx, node, tables, err, sizeof err) == 0);
        CHECK (heal_keys_names (&s_ctx, node, tables, err, sizeof err) == -1);
        memset (&s, 0, sizeof s);
        CHECK (heal_keys_read (&open_ctx, node, s_table, &s, err, sizeof err) == 0);
        CHECK (s.count == 3);
        heal_keys_free (s_table, &s);
        zconfig_destroy (&root);
    }
    //  a prefix names the key as the operator wrote it
    {
        zconfig_t *root = zconfig_str_load ("t\n    count = 99\n");
        heal_keys_ctx_t remedy_ctx = s_ctx;
        remedy_ctx.prefix = "remedy/";
        memset (&s, 0, sizeof s);
        CHECK (heal_keys_read (&remedy_ctx, zconfig_locate (root, "t"), s_table, &s,
                               err, sizeof err) == -1);
        CHECK (streq (err, "k.conf: check 't': key 'remedy/count': '99' is not a whole "
                           "number from 1 to 10"));
        heal_keys_free (s_table, &s);
        zconfig_destroy (&root);
    }

    //  an absent block: defaults still apply, required keys are still missing
    memset (&s, 0, sizeof s);
    CHECK (heal_keys_read (&s_ctx, NULL, s_table, &s, err, sizeof err) == 0);
    CHECK (s.count == 5 && s.flag);
    heal_keys_free (s_table, &s);
    CHECK (heal_keys_read (&s_ctx, NULL, s_required, &s, err, sizeof err) == -1);

    //  helpers
    CHECK (heal_url_valid ("http://127.0.0.1:11434"));
    CHECK (!heal_url_valid ("http:///x"));
    CHECK (!heal_url_valid ("https://x\x01"));
    char *home = heal_home_path ("~/a");
    CHECK (home && streq (home, "/home/tester/a"));
    free (home);
    CHECK (heal_keys_find (s_table, "rate") == &s_table [13]);
    const char *names [] = { "interval", "timeout", NULL };
    CHECK (heal_keys_nearest ("intervall", names) == names [0]);
    CHECK (heal_keys_nearest ("zz", names) == NULL);

    //  The config's own tables: defaults written as text agree with the
    //  numeric defaults the code uses.
    const heal_key_t *attempts = heal_keys_find (heal_config_remedy_keys, "attempts");
    CHECK (attempts && attempts->max == CONFIG_MAX_ATTEMPTS);
    heal_check_config_t check;
    memset (&check, 0, sizeof check);
    heal_keys_ctx_t ctx = { .file = "t" };
    CHECK (heal_keys_read (&ctx, NULL, heal_config_remedy_keys, &check, err, sizeof err) == 0);
    CHECK (check.attempts == CONFIG_DEFAULT_ATTEMPTS);
    CHECK (check.within_ms == CONFIG_DEFAULT_WITHIN_MS);
    CHECK (check.backoff_ms == CONFIG_DEFAULT_BACKOFF_MS);
    heal_config_t *config = heal_config_load_text ("check = x\n    kind = disk\n", "t",
                                                   err, sizeof err);
    CHECKF (config, "%s", err);
    if (config) {
        CHECK (config->interval_ms == CONFIG_DEFAULT_INTERVAL_MS);
        CHECK (config->timeout_ms == CONFIG_DEFAULT_TIMEOUT_MS);
        CHECK (streq (config->path, CONFIG_DEFAULT_PATH));
        heal_config_destroy (&config);
    }

    //  Every table of every section: one "%s" at most in invalid messages
    const heal_config_section_t *sections = heal_config_sections ();
    for (size_t i = 0; sections [i].name; i++)
        for (const heal_key_t *key = sections [i].keys; key->name; key++) {
            const char *at = key->invalid ? strstr (key->invalid, "%s") : NULL;
            CHECK (!at || !strstr (at + 2, "%"));
        }

    printf ("test_keys: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed ? 1 : 0;
}
