//  test_util — selftest of bus/util.c: parsing, endpoints, UTF-8, files.

#include "heal/heal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"



static void
s_test_durations (void)
{
    int64_t ms = -1;
    CHECK (heal_parse_duration_ms ("300", &ms) == 0 && ms == 300000);
    CHECK (heal_parse_duration_ms ("250ms", &ms) == 0 && ms == 250);
    CHECK (heal_parse_duration_ms ("5s", &ms) == 0 && ms == 5000);
    CHECK (heal_parse_duration_ms ("15m", &ms) == 0 && ms == 900000);
    CHECK (heal_parse_duration_ms ("6h", &ms) == 0 && ms == 21600000);
    CHECK (heal_parse_duration_ms ("2d", &ms) == 0 && ms == 172800000);
    CHECK (heal_parse_duration_ms ("0", &ms) == 0 && ms == 0);
    CHECK (heal_parse_duration_ms ("", &ms) == -1);
    CHECK (heal_parse_duration_ms ("-5", &ms) == -1);
    CHECK (heal_parse_duration_ms ("5x", &ms) == -1);
    CHECK (heal_parse_duration_ms ("5 s", &ms) == -1);
    CHECK (heal_parse_duration_ms ("s", &ms) == -1);
    CHECK (heal_parse_duration_ms ("99999999999999999999", &ms) == -1);
    CHECK (heal_parse_duration_ms ("9223372036854775807d", &ms) == -1);
    CHECK (heal_parse_duration_ms (NULL, &ms) == -1);
}

static void
s_test_sizes (void)
{
    uint64_t b = 0;
    double pct = 0;
    bool is_pct = true;
    CHECK (heal_parse_size ("4096", &b) == 0 && b == 4096);
    CHECK (heal_parse_size ("10K", &b) == 0 && b == 10240);
    CHECK (heal_parse_size ("100M", &b) == 0 && b == 100ULL << 20);
    CHECK (heal_parse_size ("5G", &b) == 0 && b == 5ULL << 30);
    CHECK (heal_parse_size ("1T", &b) == 0 && b == 1ULL << 40);
    CHECK (heal_parse_size ("5GB", &b) == 0 && b == 5ULL << 30);
    CHECK (heal_parse_size ("5g", &b) == 0 && b == 5ULL << 30);
    CHECK (heal_parse_size ("12B", &b) == 0 && b == 12);
    CHECK (heal_parse_size ("5X", &b) == -1);
    CHECK (heal_parse_size ("-5", &b) == -1);
    CHECK (heal_parse_size ("", &b) == -1);
    CHECK (heal_parse_size ("99999999999T", &b) == -1);
    CHECK (heal_parse_size_or_percent ("10%", &b, &pct, &is_pct) == 0 && is_pct && pct == 10);
    CHECK (heal_parse_size_or_percent ("2.5%", &b, &pct, &is_pct) == 0 && is_pct && pct == 2.5);
    CHECK (heal_parse_size_or_percent ("5G", &b, &pct, &is_pct) == 0 && !is_pct
           && b == 5ULL << 30);
    CHECK (heal_parse_size_or_percent ("101%", &b, &pct, &is_pct) == -1);
    CHECK (heal_parse_size_or_percent ("%", &b, &pct, &is_pct) == -1);
    CHECK (heal_parse_size_or_percent ("10%%", &b, &pct, &is_pct) == -1);
}

static void
s_test_rates_bools_names (void)
{
    uint64_t n = 0;
    int64_t w = 0;
    CHECK (heal_parse_rate ("50/h", &n, &w) == 0 && n == 50 && w == 3600000);
    CHECK (heal_parse_rate ("10/m", &n, &w) == 0 && n == 10 && w == 60000);
    CHECK (heal_parse_rate ("3/s", &n, &w) == 0 && n == 3 && w == 1000);
    CHECK (heal_parse_rate ("100/d", &n, &w) == 0 && n == 100 && w == 86400000);
    CHECK (heal_parse_rate ("5/10m", &n, &w) == 0 && n == 5 && w == 600000);
    CHECK (heal_parse_rate ("50", &n, &w) == -1);
    CHECK (heal_parse_rate ("50/", &n, &w) == -1);
    CHECK (heal_parse_rate ("50/x", &n, &w) == -1);
    CHECK (heal_parse_rate ("50/10", &n, &w) == -1);
    CHECK (heal_parse_rate ("/h", &n, &w) == -1);

    bool v = false;
    CHECK (heal_parse_bool ("true", &v) == 0 && v);
    CHECK (heal_parse_bool ("Yes", &v) == 0 && v);
    CHECK (heal_parse_bool ("1", &v) == 0 && v);
    CHECK (heal_parse_bool ("on", &v) == 0 && v);
    CHECK (heal_parse_bool ("false", &v) == 0 && !v);
    CHECK (heal_parse_bool ("no", &v) == 0 && !v);
    CHECK (heal_parse_bool ("0", &v) == 0 && !v);
    CHECK (heal_parse_bool ("off", &v) == 0 && !v);
    CHECK (heal_parse_bool ("maybe", &v) == -1);
    CHECK (heal_parse_bool ("", &v) == -1);

    CHECK (heal_name_valid ("web-1_x"));
    CHECK (heal_name_valid ("a"));
    CHECK (!heal_name_valid (""));
    CHECK (!heal_name_valid ("a b"));
    CHECK (!heal_name_valid ("a.b"));
    CHECK (!heal_name_valid ("caf\xc3\xa9"));
    CHECK (!heal_name_valid (NULL));
    char long_name [70];
    memset (long_name, 'a', 64);
    long_name [64] = 0;
    CHECK (heal_name_valid (long_name));
    long_name [64] = 'a';
    long_name [65] = 0;
    CHECK (!heal_name_valid (long_name));
    CHECK (!heal_name_valid_n (long_name, 65) && heal_name_valid_n (long_name, 64));
    CHECK (!heal_name_valid_n ("a", 0) && !heal_name_valid_n (NULL, 1));
    //  Every byte against the rule as written: [A-Za-z0-9_-].
    int wrong = 0;
    for (int c = 0; c < 256; c++) {
        char one [3] = { 'x', (char) c, 'y' };
        bool want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                 || c == '_' || c == '-';
        wrong += heal_name_valid_n (one, 3) != want || heal_name_valid_n (one + 1, 1) != want;
    }
    CHECKF (wrong == 0, "%d bytes judged against [A-Za-z0-9_-]", wrong);
}

static void
s_test_endpoints (void)
{
    char err [256] = "";
    CHECK (heal_endpoint_valid ("ipc:///tmp/heal/bus", err, sizeof err));
    CHECK (heal_endpoint_valid ("tcp://127.0.0.1:5555", err, sizeof err));
    CHECK (heal_endpoint_valid ("tcp://127.0.0.1:*", err, sizeof err));
    CHECK (heal_endpoint_valid ("tcp://*:5555", err, sizeof err));
    CHECK (heal_endpoint_valid ("tcp://[::1]:5555", err, sizeof err));
    CHECK (heal_endpoint_valid ("tcp://localhost:5555", err, sizeof err));
    CHECK (heal_endpoint_valid ("inproc://x", err, sizeof err));
    CHECK (!heal_endpoint_valid ("", err, sizeof err));
    CHECK (!heal_endpoint_valid ("udp://1.2.3.4:5", err, sizeof err));
    CHECK (strstr (err, "ipc://") != NULL);
    CHECK (!heal_endpoint_valid ("tcp://127.0.0.1", err, sizeof err));
    CHECK (!heal_endpoint_valid ("tcp://127.0.0.1:0", err, sizeof err));
    CHECK (!heal_endpoint_valid ("tcp://127.0.0.1:70000", err, sizeof err));
    CHECK (strstr (err, "70000") != NULL);
    CHECK (!heal_endpoint_valid ("tcp://:5555", err, sizeof err));
    CHECK (!heal_endpoint_valid ("tcp://[zz]:5555", err, sizeof err));
    CHECK (!heal_endpoint_valid ("tcp://a b:5555", err, sizeof err));
    CHECK (!heal_endpoint_valid ("ipc://", err, sizeof err));
    CHECK (!heal_endpoint_valid ("ipc://relative", err, sizeof err));
    CHECK (!heal_endpoint_valid ("inproc://", err, sizeof err));
    char longp [300] = "ipc:///";
    memset (longp + 7, 'x', 200);
    longp [207] = 0;
    CHECK (!heal_endpoint_valid (longp, err, sizeof err));
    CHECK (!heal_endpoint_valid (NULL, NULL, 0));

    CHECK (heal_endpoint_is_local ("ipc:///tmp/x"));
    CHECK (heal_endpoint_is_local ("inproc://x"));
    CHECK (heal_endpoint_is_local ("tcp://127.0.0.1:1"));
    CHECK (heal_endpoint_is_local ("tcp://127.3.4.5:1"));
    CHECK (heal_endpoint_is_local ("tcp://[::1]:1"));
    CHECK (heal_endpoint_is_local ("tcp://localhost:1"));
    CHECK (!heal_endpoint_is_local ("tcp://*:1"));
    CHECK (!heal_endpoint_is_local ("tcp://0.0.0.0:1"));
    CHECK (!heal_endpoint_is_local ("tcp://10.0.0.1:1"));
    CHECK (!heal_endpoint_is_local ("tcp://example.com:1"));
    CHECK (!heal_endpoint_is_local ("bogus"));

    CHECK (heal_url_is_loopback ("http://127.0.0.1:11434"));
    CHECK (heal_url_is_loopback ("http://localhost:11434/api/tags"));
    CHECK (heal_url_is_loopback ("http://[::1]:11434"));
    CHECK (heal_url_is_loopback ("https://127.1.2.3/"));
    CHECK (!heal_url_is_loopback ("http://10.1.2.3:11434"));
    CHECK (!heal_url_is_loopback ("http://example.com"));
    CHECK (!heal_url_is_loopback ("http://127.0.0.1.evil.com/"));
    CHECK (!heal_url_is_loopback ("http://localhost@evil.com/"));
    CHECK (!heal_url_is_loopback ("not a url"));
    CHECK (!heal_url_is_loopback (NULL));
}

static void
s_test_utf8 (void)
{
    CHECK (heal_utf8_valid ("hello", 5));
    CHECK (heal_utf8_valid ("caf\xc3\xa9", 5));
    CHECK (heal_utf8_valid ("\xf0\x9f\x98\x80", 4));
    CHECK (!heal_utf8_valid ("\xc3", 1));
    CHECK (!heal_utf8_valid ("\xc0\xaf", 2));          //  overlong
    CHECK (!heal_utf8_valid ("\xed\xa0\x80", 3));      //  surrogate
    CHECK (!heal_utf8_valid ("\xf4\x90\x80\x80", 4));  //  > U+10FFFF
    CHECK (!heal_utf8_valid ("a\0b", 3));
    CHECK (heal_utf8_valid ("", 0));

    char *s = heal_safe_string ("ok\tline\nnext\x01", 13, 100);
    CHECK (s && streq (s, "ok\tline?next?"));
    free (s);
    s = heal_safe_text ("ok\tline\nnext\x01", 13, 100);
    CHECK (s && streq (s, "ok\tline\nnext?"));
    free (s);
    s = heal_safe_string ("a\xff" "b", 3, 100);
    CHECK (s && streq (s, "a\xef\xbf\xbd" "b"));
    CHECK (s && heal_utf8_valid (s, strlen (s)));
    free (s);
    //  never cuts inside a sequence
    s = heal_safe_string ("ab\xc3\xa9", 4, 3);
    CHECK (s && streq (s, "ab"));
    free (s);
    s = heal_safe_string ("abcdef", 6, 4);
    CHECK (s && streq (s, "abcd"));
    free (s);
    s = heal_safe_string ("a\0b", 3, 10);
    CHECK (s && streq (s, "a?b"));
    free (s);
    CHECK (heal_safe_string (NULL, 0, 10) == NULL);
    s = heal_safe_string ("", 0, 10);
    CHECK (s && streq (s, ""));
    free (s);
}

static void
s_test_files (void)
{
    char dir [] = "/tmp/heal-test-util-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char path [256], sub [256];
    snprintf (path, sizeof path, "%s/file.json", dir);
    CHECK (heal_write_atomic (path, "hello", 5, 0640) == 0);
    struct stat st;
    CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_size == 5);
    CHECK (heal_write_atomic (path, "world!", 6, 0600) == 0);
    size_t size = 0;
    char *data = heal_read_file (path, 100, &size);
    CHECK (data && size == 6 && streq (data, "world!"));
    free (data);
    errno = 0;
    data = heal_read_file (path, 5, &size);
    CHECK (data == NULL && errno == EFBIG);
    data = heal_read_file (dir, 100, &size);
    CHECK (data == NULL);
    snprintf (sub, sizeof sub, "%s/nope", dir);
    CHECK (heal_read_file (sub, 100, &size) == NULL && errno == ENOENT);
    snprintf (sub, sizeof sub, "%s/nodir/x", dir);
    CHECK (heal_write_atomic (sub, "x", 1, 0600) == -1);

    //  no temp files left behind
    char cmd [512];
    snprintf (cmd, sizeof cmd, "%s/file.json.tmp", dir);
    zdir_t *zd = zdir_new (dir, NULL);
    CHECK (zd && zdir_count (zd) == 1);
    zdir_destroy (&zd);

    snprintf (sub, sizeof sub, "%s/a/b/c/", dir);
    CHECK (heal_mkdir_p (sub, 0700) == 0);
    CHECK (heal_mkdir_p (sub, 0700) == 0);
    snprintf (sub, sizeof sub, "%s/a/b/c", dir);
    CHECK (stat (sub, &st) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 0777) == 0700);
    snprintf (sub, sizeof sub, "%s/file.json/x", dir);
    CHECK (heal_mkdir_p (sub, 0700) == -1);

    //  runtime dir: refuses a dir open to others, then accepts a private one
    char *old = getenv ("XDG_RUNTIME_DIR") ? strdup (getenv ("XDG_RUNTIME_DIR")) : NULL;
    setenv ("XDG_RUNTIME_DIR", dir, 1);
    snprintf (sub, sizeof sub, "%s/heal", dir);
    CHECK (mkdir (sub, 0755) == 0);
    CHECK (chmod (sub, 0755) == 0);
    char *rt = heal_runtime_dir ();
    CHECK (rt == NULL);
    free (rt);
    CHECK (chmod (sub, 0700) == 0);
    rt = heal_runtime_dir ();
    CHECK (rt && streq (rt, sub));
    free (rt);
    rmdir (sub);
    rt = heal_runtime_dir ();       //  creates it
    CHECK (rt && stat (rt, &st) == 0 && (st.st_mode & 0777) == 0700);
    free (rt);
    if (old) {
        setenv ("XDG_RUNTIME_DIR", old, 1);
        free (old);
    }
    else
        unsetenv ("XDG_RUNTIME_DIR");

    char *state = heal_default_state_dir ();
    CHECK (state && state [0] == '/' && strstr (state, "heal"));
    free (state);

    //  clean up with czmq: remove the tree
    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
}

static void
s_test_misc (void)
{
    const char *h = heal_hostname ();
    CHECK (h && *h && !strchr (h, '.'));
    CHECK (heal_hostname () == h);
    //  agent.host: refused when malformed; once the name was read it never
    //  changes (a reload cannot move it under other threads).
    char before [256];
    snprintf (before, sizeof before, "%s", h);
    CHECK (heal_hostname_set ("a b") == -1);
    CHECK (heal_hostname_set ("-x") == -1);
    CHECK (heal_hostname_set ("") == -1);
    CHECK (heal_hostname_set ("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz") == -1);
    CHECK (heal_hostname_set ("pi-1.home") == 0);
    CHECK (streq (heal_hostname (), before));
    int64_t a = heal_monotonic_ms ();
    int64_t b = heal_monotonic_ms ();
    CHECK (a > 0 && b >= a);
    CHECK (heal_edit_distance ("interval", "intervall") == 1);
    CHECK (heal_edit_distance ("kitten", "sitting") == 3);
    CHECK (heal_edit_distance ("", "abc") == 3);
    CHECK (heal_edit_distance ("same", "same") == 0);
}

int
main (void)
{
    s_test_durations ();
    s_test_sizes ();
    s_test_rates_bools_names ();
    s_test_endpoints ();
    s_test_utf8 ();
    s_test_files ();
    s_test_misc ();
    if (s_failed) {
        fprintf (stderr, "test_util: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_util: ok\n");
    return 0;
}
