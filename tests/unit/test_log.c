//  test_log — unit tests of the `log` check kind, driven through its
//  descriptor: configure, run, remedy, destroy on real files in a temp dir.

#include "check.h"
#include "check_log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "kindconf.h"

extern const check_kind_t check_kind_log;

static char s_dir [256];


//  --------------------------------------------------------------------------
//  Helpers

static char *
s_path (const char *name)
{
    static char paths [64][512];
    static int next = 0;
    char *p = paths [next++ % 64];
    snprintf (p, 512, "%s/%s", s_dir, name);
    return p;
}

static void
s_append (const char *path, const char *data, size_t len)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) {
        fprintf (stderr, "test_log: open %s: %s\n", path, strerror (errno));
        exit (1);
    }
    if (write (fd, data, len) != (ssize_t) len)
        exit (1);
    close (fd);
}

static void
s_puts (const char *path, const char *text)
{
    s_append (path, text, strlen (text));
}

typedef struct {
    heal_config_t *config;
    void *instance;
} fixture_t;

//  Configure a check `t` of kind log with the given key lines (4-space
//  indented by us) and optional remedy lines. Returns 0 or -1 with err.
static int
s_setup (fixture_t *f, const char *keys, const char *remedy, char *err, size_t errlen)
{
    char text [4096];
    kindconf_text (text, sizeof text, s_dir, "log", NULL, keys, remedy);
    memset (f, 0, sizeof *f);
    f->config = heal_config_load_text (text, "test.conf", err, errlen);
    if (!f->config)
        return -1;
    f->instance = check_configure (&check_kind_log, f->config, &f->config->checks [0],
                                   err, errlen);
    return f->instance ? 0 : -1;
}

static void
s_teardown (fixture_t *f)
{
    check_destroy (&check_kind_log, &f->instance);
    heal_config_destroy (&f->config);
}

static check_ctx_t
s_ctx (fixture_t *f)
{
    check_ctx_t ctx;
    memset (&ctx, 0, sizeof ctx);
    ctx.name = "t";
    ctx.config = f->config;
    ctx.check = &f->config->checks [0];
    ctx.deadline_ms = heal_monotonic_ms () + 10000;
    return ctx;
}

static int64_t s_deadline_ms = 10000;     //  run deadline, from now

static check_status_t
s_run (fixture_t *f, event_t **event_p)
{
    check_ctx_t ctx = s_ctx (f);
    ctx.deadline_ms = heal_monotonic_ms () + s_deadline_ms;
    check_result_t result;
    memset (&result, 0, sizeof result);
    result.event = event_new (EVENT_CHECK);
    check_status_t status = check_kind_log.run (f->instance, &ctx, &result);
    if (event_p)
        *event_p = result.event;
    else
        event_destroy (&result.event);
    return status;
}

static double
s_metric (const event_t *event, const char *name)
{
    for (size_t i = 0; i < event->metric_count; i++)
        if (streq (event->metrics [i].name, name))
            return event->metrics [i].value;
    return -1;
}

//  Run once; return the status and new_matches.
static check_status_t
s_run_count (fixture_t *f, double *new_matches, double *in_window)
{
    event_t *event = NULL;
    check_status_t status = s_run (f, &event);
    if (new_matches)
        *new_matches = s_metric (event, "new_matches");
    if (in_window)
        *in_window = s_metric (event, "matches");
    event_destroy (&event);
    return status;
}

static void
s_clean (void)
{
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'/* '%s'/.[!.]* 2>/dev/null", s_dir, s_dir);
    //  test-only cleanup of our own temp dir
    FILE *p = popen (cmd, "r");
    if (p)
        pclose (p);
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_configure_errors (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    struct { const char *keys; const char *remedy; const char *expect; } cases [] = {
        { "pattern = \"x\"", NULL, "key 'path'" },
        { "path = \"relative.log\";pattern = \"x\"", NULL, "absolute" },
        { "path = \"/tmp/x.log\";pattern = \"a(b\"", NULL, "invalid regex" },
        { "path = \"/tmp/x.log\";pattern = \"x\";max_rate = \"50/fortnight\"", NULL, "max_rate" },
        { "path = \"/tmp/x.log\";max_rate = \"5/m\";max_size = \"1M\"", NULL, "needs a 'pattern'" },
        { "path = \"/tmp/x.log\"", NULL, "'pattern' or 'max_size'" },
        { "path = \"/tmp/x.log\";max_size = \"lots\"", NULL, "max_size" },
        { "path = \"/tmp/x.log\";pattern = \"x\"", "rotate = true", "max_size" },
        { "path = \"/tmp/x.log\";max_size = \"1M\"", "rotate = true;keep = 0", "keep" },
        { "path = \"/tmp/x.log\";max_size = \"1M\"", "rotate = maybe", "rotate" },
        { "path = \"/tmp/x.log\";pattern = \"x\";max_evidence = 99", NULL, "max_evidence" },
        { "path = \"/tmp/x.log\";pattern = \"x\";patern = \"y\"", NULL, "patern" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        err [0] = 0;
        int rc = s_setup (&f, cases [i].keys, cases [i].remedy, err, sizeof err);
        if (rc == 0 || !strstr (err, cases [i].expect)) {
            fprintf (stderr, "test_log: case %zu: rc %d err '%s' (want '%s')\n", i, rc,
                     err, cases [i].expect);
            s_failed++;
        }
        s_teardown (&f);
    }
    //  A good one, with every key
    int rc = s_setup (&f, "path = \"/tmp/x.log\";pattern = \"ERROR|FATAL\";max_rate = \"50/h\";"
                      "max_size = \"100M\";from_start = false;max_evidence = 3",
                      "rotate = true;keep = 3;copytruncate = false;reopen = \"true\"",
                      err, sizeof err);
    if (rc)
        fprintf (stderr, "test_log: good config refused: %s\n", err);
    CHECK (rc == 0);
    s_teardown (&f);
}

static void
test_from_end_and_increments (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    char *log = s_path ("app.log");
    s_puts (log, "old ERROR one\nold ERROR two\n");
    char keys [600];
    snprintf (keys, sizeof keys, "path = \"%s\";pattern = \"ERROR\"", log);
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);
    double n = -2, w = -2;
    //  First sight: start at the end, old errors are not a spike.
    CHECK (s_run_count (&f, &n, &w) == CHECK_OK);
    CHECK (n == 0 && w == 0);
    s_puts (log, "fine\nnew ERROR a\nfine\nnew ERROR b\n");
    CHECK (s_run_count (&f, &n, &w) == CHECK_OK);
    CHECK (n == 2 && w == 2);
    //  A partial line is not consumed until its newline arrives.
    s_puts (log, "partial ERR");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 0);
    s_puts (log, "OR done\n");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 1);
    //  Unchanged: nothing new.
    CHECK (s_run_count (&f, &n, &w) == CHECK_OK && n == 0 && w == 3);
    s_teardown (&f);

    //  State survives a restart: no recount, window kept.
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);
    s_puts (log, "after restart ERROR\n");
    CHECK (s_run_count (&f, &n, &w) == CHECK_OK);
    CHECK (n == 1 && w == 4);
    s_teardown (&f);

    //  from_start = true on a new check name reads everything
    char keys2 [700];
    snprintf (keys2, sizeof keys2, "path = \"%s\";pattern = \"ERROR\";from_start = true", log);
    unlink (s_path ("state/log-t.json"));
    CHECK (s_setup (&f, keys2, NULL, err, sizeof err) == 0);
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 6);
    s_teardown (&f);
    s_clean ();
}

static void
test_rate_window_and_evidence (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    char *log = s_path ("rate.log");
    s_puts (log, "");
    char keys [600];
    snprintf (keys, sizeof keys,
              "path = \"%s\";pattern = \"^ERROR\";max_rate = \"2/3s\";max_evidence = 2", log);
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);
    CHECK (s_run (&f, NULL) == CHECK_OK);
    s_puts (log, "ERROR 1\nnot ERROR anchored\nERROR 2\n");
    CHECK (s_run (&f, NULL) == CHECK_OK);
    s_puts (log, "ERROR 3 \x01\xff bin\n");
    event_t *event = NULL;
    CHECK (s_run (&f, &event) == CHECK_FAIL);
    CHECK (s_metric (event, "matches") == 3);
    CHECK (s_metric (event, "matches_per_hour") == 3 * 1200);
    CHECK (event->evidence_count == 2);
    if (event->evidence_count == 2) {
        CHECK (streq (event->evidence [0], "ERROR 2"));
        //  control characters and invalid UTF-8 made safe
        CHECK (strncmp (event->evidence [1], "ERROR 3 ?", 9) == 0);
        CHECK (heal_utf8_valid (event->evidence [1], strlen (event->evidence [1])));
    }
    CHECK (event->message && strstr (event->message, "max_rate 2/3s"));
    event_destroy (&event);
    //  The window slides: within ~3 s the count drops back to 0.
    int64_t until = heal_monotonic_ms () + 8000;
    check_status_t status = CHECK_FAIL;
    while (status != CHECK_OK && heal_monotonic_ms () < until) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep (&ts, NULL);
        status = s_run (&f, NULL);
    }
    CHECK (status == CHECK_OK);
    s_teardown (&f);
    s_clean ();
}

static void
test_cross_line_matches (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    char *log = s_path ("x.log");
    s_puts (log, "");
    char keys [600];
    //  [^x]* may match a newline in a whole-buffer search: must not join lines
    snprintf (keys, sizeof keys, "path = \"%s\";pattern = \"a[^x]*b$\"", log);
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);
    CHECK (s_run (&f, NULL) == CHECK_OK);
    s_puts (log, "a1\n2b\nzz a3b\n\nab\n");
    double n = -1;
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK);
    CHECK (n == 2);
    s_teardown (&f);
    s_clean ();
}

static void
test_rotation (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    char *log = s_path ("r.log");
    char *old = s_path ("r.log.1");
    s_puts (log, "start\n");
    char keys [600];
    snprintf (keys, sizeof keys, "path = \"%s\";pattern = \"ERR\"", log);
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);
    double n = -1;
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 0);

    //  Rename: the writer adds to the old file after the rename; the new file
    //  starts with its own lines. Both are counted.
    s_puts (log, "ERR before rename\n");
    CHECK (rename (log, old) == 0);
    s_puts (old, "ERR late write to old file\n");
    s_puts (log, "ERR first in new file\nok\n");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 3);
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 0);

    //  copytruncate: copy to .1, truncate, new lines
    s_puts (log, "ERR before copy\n");
    {
        unlink (old);
        char cmd [1200];
        snprintf (cmd, sizeof cmd, "cp '%s' '%s' && : > '%s'", log, old, log);
        FILE *p = popen (cmd, "r");
        CHECK (p && pclose (p) == 0);
    }
    s_puts (log, "ERR after truncate\n");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 2);

    //  Truncated, then more written than before (size >= offset): the
    //  fingerprint before the offset changed, so it reads from 0.
    {
        int fd = open (log, O_WRONLY | O_TRUNC);
        CHECK (fd >= 0);
        close (fd);
    }
    s_puts (log, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ERR rewritten\n");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 1);

    //  Rewritten to exactly the same length: read once, not again and again.
    {
        int fd = open (log, O_WRONLY | O_TRUNC);
        CHECK (fd >= 0);
        close (fd);
    }
    s_puts (log, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy ERR rewritten\n");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 1);
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 0);

    //  Disappears: unknown; comes back: read from its start.
    unlink (log);
    unlink (old);
    event_t *event = NULL;
    CHECK (s_run (&f, &event) == CHECK_UNKNOWN);
    CHECK (event->message && strstr (event->message, "no such file"));
    event_destroy (&event);
    CHECK (s_run (&f, NULL) == CHECK_UNKNOWN);
    s_puts (log, "ERR back\nERR again\n");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 2);
    s_teardown (&f);
    s_clean ();
}

static void
test_hostile_files (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    char *log = s_path ("h.log");
    s_puts (log, "");
    char keys [600];
    snprintf (keys, sizeof keys, "path = \"%s\";pattern = \"NEEDLE\";from_start = true", log);
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);

    //  A line longer than the read buffer, with two needles: counted once,
    //  evidence truncated.
    size_t big = LOG_READ_BUFFER * 2 + 100;
    char *line = (char *) malloc (big + 1);
    memset (line, 'a', big);
    memcpy (line + 10, "NEEDLE", 6);
    memcpy (line + LOG_READ_BUFFER + 10, "NEEDLE", 6);
    line [big] = '\n';
    s_append (log, line, big + 1);
    free (line);
    //  NULs and binary junk around a match
    s_append (log, "bin\0\0NEEDLE\xc3\x28\x00z\n", 16);
    s_puts (log, "NEEDLE normal\n");
    event_t *event = NULL;
    CHECK (s_run (&f, &event) == CHECK_OK);
    if (s_metric (event, "new_matches") != 3)
        fprintf (stderr, "test_log: hostile: %s\n", event->message);
    CHECK (s_metric (event, "new_matches") == 3);
    CHECK (event->evidence_count == 3);
    if (event->evidence_count == 3) {
        CHECK (strlen (event->evidence [0]) <= EVENT_MAX_EVIDENCE_LEN);
        size_t l = strlen (event->evidence [0]);
        CHECK (l > 3 && streq (event->evidence [0] + l - 3, "..."));
        CHECK (strncmp (event->evidence [1], "bin??NEEDLE", 11) == 0);
        CHECK (heal_utf8_valid (event->evidence [1], strlen (event->evidence [1])));
    }
    event_destroy (&event);
    //  A long line still being written: its tail must not count again.
    line = (char *) malloc (LOG_READ_BUFFER + 10);
    memset (line, 'b', LOG_READ_BUFFER + 10);
    memcpy (line, "NEEDLE", 6);
    s_append (log, line, LOG_READ_BUFFER + 10);
    double n = -1;
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 1);
    memset (line, 'c', 100);
    memcpy (line + 50, "NEEDLE", 6);
    line [99] = '\n';
    s_append (log, line, 100);
    free (line);
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 0);
    s_puts (log, "NEEDLE\n");
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 1);

    //  Replaced by a directory
    unlink (log);
    CHECK (mkdir (log, 0755) == 0);
    CHECK (s_run (&f, &event) == CHECK_UNKNOWN);
    CHECK (event->message && strstr (event->message, "not a regular file (a directory)"));
    event_destroy (&event);
    rmdir (log);
    //  Replaced by a FIFO with no writer: must not block
    CHECK (mkfifo (log, 0644) == 0);
    int64_t t0 = heal_monotonic_ms ();
    CHECK (s_run (&f, &event) == CHECK_UNKNOWN);
    CHECK (heal_monotonic_ms () - t0 < 2000);
    CHECK (event->message && strstr (event->message, "a FIFO"));
    event_destroy (&event);
    unlink (log);
    s_teardown (&f);
    s_clean ();
}

//  A backlog larger than a run can read stops at the deadline and goes on
//  next run.
static void
test_deadline (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    char *log = s_path ("d.log");
    char line [100];
    memset (line, 'z', sizeof line);
    line [0] = 'E';
    line [sizeof line - 1] = '\n';
    for (int i = 0; i < 1000; i++)
        s_append (log, line, sizeof line);
    char keys [600];
    snprintf (keys, sizeof keys, "path = \"%s\";pattern = \"^E\";from_start = true", log);
    CHECK (s_setup (&f, keys, NULL, err, sizeof err) == 0);
    s_deadline_ms = 40;         //  too short to read anything
    event_t *event = NULL;
    CHECK (s_run (&f, &event) == CHECK_OK);
    CHECK (s_metric (event, "lag_bytes") == 100000);
    CHECK (event->message && strstr (event->message, "caught up partly"));
    event_destroy (&event);
    s_deadline_ms = 10000;
    double n = -1;
    CHECK (s_run_count (&f, &n, NULL) == CHECK_OK && n == 1000);
    s_teardown (&f);
    s_clean ();
}

//  Permission loss: as root, chmod 000 does not stop us, so a child drops to
//  nobody to see it.
static void
test_permission (void)
{
    char *log = s_path ("p.log");
    s_puts (log, "x\n");
    chmod (log, 0);
    chmod (s_dir, 0777);
    pid_t pid = fork ();
    if (pid == 0) {
        if (geteuid () == 0 && (setgid (65534) || setuid (65534)))
            _exit (2);
        fixture_t f;
        char err [CONFIG_ERROR_MAX];
        char keys [600];
        snprintf (keys, sizeof keys, "path = \"%s\";pattern = \"x\"", log);
        if (s_setup (&f, keys, NULL, err, sizeof err))
            _exit (3);
        event_t *event = NULL;
        check_status_t status = s_run (&f, &event);
        int rc = status == CHECK_UNKNOWN && event->message
              && strstr (event->message, "ermission denied") ? 0 : 1;
        if (rc)
            fprintf (stderr, "test_log: permission: status %d message %s\n", status,
                     event->message ? event->message : "-");
        event_destroy (&event);
        s_teardown (&f);
        _exit (rc);
    }
    int st = 0;
    waitpid (pid, &st, 0);
    CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0);
    chmod (s_dir, 0700);
    s_clean ();
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

static off_t
s_size (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 ? st.st_size : -1;
}

static remedy_status_t
s_remedy (fixture_t *f, char **output)
{
    check_ctx_t ctx = s_ctx (f);
    check_result_t failed = { 0 };
    event_remedy_t out;
    memset (&out, 0, sizeof out);
    remedy_status_t status = check_kind_log.remedy (f->instance, &ctx, &failed, &out);
    if (output)
        *output = out.output ? strdup (out.output) : NULL;
    free (out.action);
    free (out.output);
    free (out.result);
    return status;
}

static void
test_size_remedy (void)
{
    fixture_t f;
    char err [CONFIG_ERROR_MAX];
    char log [512];
    snprintf (log, sizeof log, "%s", s_path ("s.log"));
    char keys [600], remedy [600];
    snprintf (keys, sizeof keys, "path = \"%s\";pattern = \"E\";max_size = 100", log);
    snprintf (remedy, sizeof remedy,
              "rotate = true;keep = 2;reopen = \"echo reopened > %s/reopen.txt\"", s_dir);
    CHECK (s_setup (&f, keys, remedy, err, sizeof err) == 0);
    s_puts (log, "");
    CHECK (s_run (&f, NULL) == CHECK_OK);
    for (int round = 1; round <= 3; round++) {
        char fill [200];
        memset (fill, 'x', sizeof fill);
        fill [sizeof fill - 1] = '\n';
        fill [0] = '0' + (char) round;
        s_append (log, fill, sizeof fill);
        s_puts (log, "E pending line\n");
        event_t *event = NULL;
        CHECK (s_run (&f, &event) == CHECK_FAIL);
        CHECK (event->message && strstr (event->message, "max_size"));
        event_destroy (&event);
        char *output = NULL;
        CHECK (s_remedy (&f, &output) == REMEDY_DONE);
        free (output);
        CHECK (s_exists (log) && s_size (log) == 0);
        CHECK (s_size (s_path ("s.log.1")) == 215);
        CHECK (s_exists (s_path ("reopen.txt")));
        unlink (s_path ("reopen.txt"));
        //  idempotent: a second call finds nothing to do
        CHECK (s_remedy (&f, NULL) == REMEDY_NONE);
        double n = -1;
        CHECK (s_run_count (&f, &n, NULL) == CHECK_OK);
        CHECK (n == 0);     //  the pending line was counted by the remedy
    }
    //  keep = 2: .1 and .2 exist, never .3; .1 holds the newest data
    CHECK (s_exists (s_path ("s.log.2")));
    CHECK (!s_exists (s_path ("s.log.3")));
    FILE *fp = fopen (s_path ("s.log.1"), "r");
    CHECK (fp && fgetc (fp) == '3');
    if (fp)
        fclose (fp);
    fp = fopen (s_path ("s.log.2"), "r");
    CHECK (fp && fgetc (fp) == '2');
    if (fp)
        fclose (fp);
    s_teardown (&f);
    s_clean ();

    //  copytruncate keeps the inode; a failing reopen command fails the remedy
    snprintf (remedy, sizeof remedy, "copytruncate = true;reopen = \"exit 3\"");
    CHECK (s_setup (&f, keys, remedy, err, sizeof err) == 0);
    char fill [300];
    memset (fill, 'y', sizeof fill);
    fill [sizeof fill - 1] = '\n';
    s_append (log, fill, sizeof fill);
    struct stat before;
    stat (log, &before);
    event_t *event = NULL;
    CHECK (s_run (&f, &event) == CHECK_FAIL);
    if (!event->message || !strstr (event->message, "max_size"))
        fprintf (stderr, "test_log: copytruncate: %s\n", event->message);
    event_destroy (&event);
    char *output = NULL;
    CHECK (s_remedy (&f, &output) == REMEDY_FAILED);
    CHECK (output && strstr (output, "exited 3"));
    free (output);
    struct stat after;
    stat (log, &after);
    CHECK (after.st_ino == before.st_ino && after.st_size == 0);
    CHECK (s_size (s_path ("s.log.1")) == 300);
    CHECK (s_run (&f, NULL) == CHECK_OK);
    s_teardown (&f);
    s_clean ();
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/heal-test-log-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    test_configure_errors ();
    test_from_end_and_increments ();
    test_rate_window_and_evidence ();
    test_cross_line_matches ();
    test_rotation ();
    test_hostile_files ();
    test_deadline ();
    test_permission ();
    test_size_remedy ();
    s_clean ();
    rmdir (s_dir);
    if (s_failed) {
        fprintf (stderr, "test_log: %d FAILED\n", s_failed);
        return 1;
    }
    printf ("test_log: ok\n");
    return 0;
}
