//  launchd_job — what `launchctl print` says about one job: the parser of its
//  output and the questions the launchd kind asks of it (loaded path,
//  properties, last exit, crash loop, environment). Pure: no launchctl call
//  here, so tests/unit/test_launchd.c holds it with recorded outputs
//  (tests/fixtures/launchd/). Interface: check_launchd.h.

#include "check_launchd.h"
#include "kind_util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  ---------------------------------------------------------------------------
//  Parser of `launchctl print` (see check_launchd.h)

void
launchd_job_clear (launchd_job_t *job)
{
    if (!job)
        return;
    free (job->state);
    free (job->job_state);
    free (job->path);
    free (job->program);
    free (job->properties);
    free (job->last_exit_code_text);
    free (job->last_signal);
    free (job->last_exit_reason);
    free (job->default_path);
    for (size_t i = 0; i < job->env_count; i++) {
        free (job->env [i].name);
        free (job->env [i].value);
    }
    for (size_t i = 0; i < job->inherited_count; i++) {
        free (job->inherited [i].name);
        free (job->inherited [i].value);
    }
    memset (job, 0, sizeof (*job));
    job->pid = -1;
    job->runs = -1;
    job->successive_crashes = -1;
    job->minimum_runtime = -1;
    job->exit_timeout = -1;
    job->last_exit_code = -1;
    job->successful_exit = -1;
}

//  Replace *field by a bounded copy of value.
static void
s_set (char **field, const char *value)
{
    free (*field);
    *field = strndup (value, LAUNCHD_MAX_FIELD);
}

//  Leading decimal integer of text ("78: EX_CONFIG", "300 seconds", "-9").
//  Returns 0 or -1 when text does not start with one.
static int
s_leading_int (const char *text, int64_t *out)
{
    const char *p = text;
    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll (text, &end, 10);
    if (errno || !end)
        return -1;
    if (*end && *end != ':' && *end != ' ' && *end != '\t')
        return -1;
    *out = (int64_t) v;
    return 0;
}

//  The job-level fields read as they are printed.
#define FIELD_TEXT(key, member) { key, offsetof (launchd_job_t, member), false, 0 }
#define FIELD_NUMBER(key, member, min) { key, offsetof (launchd_job_t, member), true, min }
static const kind_field_t s_job_fields [] = {
    FIELD_TEXT ("state", state),
    FIELD_TEXT ("job state", job_state),
    FIELD_TEXT ("path", path),
    FIELD_TEXT ("program", program),
    FIELD_TEXT ("properties", properties),
    FIELD_TEXT ("last terminating signal", last_signal),
    FIELD_TEXT ("last exit reason", last_exit_reason),
    FIELD_NUMBER ("pid", pid, 1),
    FIELD_NUMBER ("runs", runs, 0),
    FIELD_NUMBER ("successive crashes", successive_crashes, 0),
    FIELD_NUMBER ("minimum runtime", minimum_runtime, 0),
    FIELD_NUMBER ("exit timeout", exit_timeout, 0),
    { NULL, 0, false, 0 }
};

//  A job-level `key = value` line. A number that is not one is an unknown
//  line, not a field; unknown keys are fine.
static void
s_job_field (launchd_job_t *job, const char *key, const char *value)
{
    if (streq (key, "last exit code")) {
        int64_t n;
        s_set (&job->last_exit_code_text, value);
        job->never_exited = strstr (value, "never exited") != NULL;
        job->has_exit_code = s_leading_int (value, &n) == 0;
        job->last_exit_code = job->has_exit_code? n: -1;
        job->fields++;
    }
    else
    if (kind_field_set (s_job_fields, job, key, value, LAUNCHD_MAX_FIELD, s_leading_int) == 1)
        job->fields++;
}

typedef enum {
    BLOCK_OTHER, BLOCK_ENV, BLOCK_INHERITED_ENV, BLOCK_DEFAULT_ENV, BLOCK_SEMAPHORES
} block_t;

//  Set name => value in an environment array of LAUNCHD_MAX_ENV entries.
static void
s_env_put (launchd_env_t *env, size_t *count, const char *name, const char *value)
{
    for (size_t i = 0; i < *count; i++)
        if (streq (env [i].name, name)) {
            s_set (&env [i].value, value);
            return;
        }
    if (*count < LAUNCHD_MAX_ENV) {
        launchd_env_t *e = &env [*count];
        e->name = strndup (name, LAUNCHD_MAX_FIELD);
        e->value = strndup (value, LAUNCHD_MAX_FIELD);
        if (e->name && e->value)
            (*count)++;
        else {
            free (e->name);
            free (e->value);
            e->name = e->value = NULL;
        }
    }
}

//  An entry `NAME => value` inside a block we want.
static void
s_block_entry (launchd_job_t *job, block_t block, const char *name, const char *value)
{
    if (block == BLOCK_ENV)
        s_env_put (job->env, &job->env_count, name, value);
    else
    if (block == BLOCK_INHERITED_ENV)
        s_env_put (job->inherited, &job->inherited_count, name, value);
    else
    if (block == BLOCK_DEFAULT_ENV) {
        if (streq (name, "PATH"))
            s_set (&job->default_path, value);
    }
    else
    if (block == BLOCK_SEMAPHORES) {
        int64_t n;
        if (streq (name, "successful exit") && s_leading_int (value, &n) == 0)
            job->successful_exit = n? 1: 0;
    }
}

//  Trim trailing blanks (and CR) in place; return the first non-blank.
static char *
s_trim (char *line)
{
    size_t n = strlen (line);
    while (n > 0 && (line [n - 1] == ' ' || line [n - 1] == '\t'
                 ||  line [n - 1] == '\r' || line [n - 1] == '\n'))
        line [--n] = 0;
    while (*line == ' ' || *line == '\t')
        line++;
    return line;
}

int
launchd_print_parse (const char *text, size_t len, launchd_job_t *job)
{
    launchd_job_clear (job);
    if (!text)
        return -1;
    char line [LAUNCHD_MAX_FIELD + 256];
    int depth = 0;              //  0 outside, 1 = job fields, 2 = inside a block
    bool header = false;
    block_t block = BLOCK_OTHER;
    size_t pos = 0, lines = 0;

    while (pos < len && lines < LAUNCHD_MAX_LINES) {
        //  One line, bounded: the rest of an overlong line is dropped.
        kind_next_line (text, len, &pos, line, sizeof line);
        lines++;

        char *s = s_trim (line);
        size_t slen = strlen (s);
        if (slen == 0)
            continue;
        if (s [0] == '}') {
            if (depth > 0)
                depth--;
            if (depth <= 1)
                block = BLOCK_OTHER;
            continue;
        }
        bool opens = s [slen - 1] == '{';
        if (depth <= 1) {
            char *eq = strstr (s, " = ");
            if (!eq) {
                if (opens)
                    depth++;    //  a block we cannot name: skip it whole
                continue;
            }
            *eq = 0;
            const char *key = s;
            char *value = s_trim (eq + 3);
            if (opens) {
                if (depth == 0 && !header) {
                    header = true;              //  gui/501/label = {
                    depth = 1;
                }
                else {
                    if (depth == 1)
                        block = streq (key, "environment")? BLOCK_ENV
                              : streq (key, "inherited environment")? BLOCK_INHERITED_ENV
                              : streq (key, "default environment")? BLOCK_DEFAULT_ENV
                              : streq (key, "semaphores")? BLOCK_SEMAPHORES
                              : BLOCK_OTHER;
                    depth++;
                }
                continue;
            }
            s_job_field (job, key, value);
            continue;
        }
        if (depth == 2 && block != BLOCK_OTHER && !opens) {
            char *arrow = strstr (s, " => ");
            if (arrow) {
                *arrow = 0;
                s_block_entry (job, block, s_trim (s), s_trim (arrow + 4));
            }
            continue;
        }
        if (opens)
            depth++;
    }
    return job->fields > 0? 0: -1;
}

const char *
launchd_job_env (const launchd_job_t *job, const char *name)
{
    for (size_t i = 0; i < job->env_count; i++)
        if (streq (job->env [i].name, name))
            return job->env [i].value;
    return NULL;
}

const char *
launchd_job_path (const launchd_job_t *job)
{
    const char *path = launchd_job_env (job, "PATH");
    if (path)
        return path;
    if (job->default_path)
        return job->default_path;
    return LAUNCHD_DEFAULT_PATH;
}

bool
launchd_job_has_property (const launchd_job_t *job, const char *flag)
{
    if (!job->properties || !flag || !*flag)
        return false;
    size_t flen = strlen (flag);
    const char *p = job->properties;
    while (*p) {
        while (*p == ' ' || *p == '|')
            p++;
        const char *end = strchr (p, '|');
        size_t n = end? (size_t) (end - p): strlen (p);
        while (n > 0 && p [n - 1] == ' ')
            n--;
        if (n == flen && memcmp (p, flag, n) == 0)
            return true;
        if (!end)
            break;
        p = end;
    }
    return false;
}

bool
launchd_job_last_failed (const launchd_job_t *job)
{
    return (job->has_exit_code && job->last_exit_code != 0) || job->last_signal != NULL;
}

//  The signal number at the end of "Terminated: 15", or -1.
static int64_t
s_signal_number (const char *text)
{
    const char *colon = text? strrchr (text, ':'): NULL;
    int64_t n;
    if (!colon)
        return -1;
    colon++;
    while (*colon == ' ')
        colon++;
    return s_leading_int (colon, &n) == 0? n: -1;
}

bool
launchd_job_crashed (const launchd_job_t *job)
{
    if (job->has_exit_code && job->last_exit_code != 0)
        return true;
    return job->last_signal && s_signal_number (job->last_signal) != 15;
}

bool
launchd_crash_loop (const launchd_job_t *job, int64_t prev_runs, bool keepalive)
{
    if (!launchd_job_crashed (job))
        return false;
    if (job->successive_crashes >= LAUNCHD_CRASH_STREAK)
        return true;
    return keepalive && prev_runs >= 0 && job->runs - prev_runs >= LAUNCHD_CRASH_RUNS;
}

bool
launchd_env_added_at_start (const char *name)
{
    static const char *const added [] = { "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", NULL };
    for (size_t i = 0; added [i]; i++)
        if (streq (name, added [i]))
            return true;
    return false;
}

//  The value of name in the inherited environment block, or NULL.
static const char *
s_inherited (const launchd_job_t *job, const char *name)
{
    for (size_t i = 0; i < job->inherited_count; i++)
        if (streq (job->inherited [i].name, name))
            return job->inherited [i].value;
    return NULL;
}

//  Is entry one of the colon-separated entries of path?
static bool
s_path_has (const char *path, const char *entry, size_t entry_len)
{
    const char *p = path;
    while (p && *p) {
        const char *end = strchr (p, ':');
        size_t n = end? (size_t) (end - p): strlen (p);
        //  "/opt/homebrew/bin/" and "/opt/homebrew/bin" are the same entry
        size_t m = n, e = entry_len;
        while (m > 1 && p [m - 1] == '/')
            m--;
        while (e > 1 && entry [e - 1] == '/')
            e--;
        if (m == e && memcmp (p, entry, m) == 0)
            return true;
        p = end? end + 1: NULL;
    }
    return false;
}


int
launchd_env_missing (const launchd_job_t *job, const char *spec,
                     char *missing, size_t missing_len)
{
    return launchd_env_check (job, spec, missing, missing_len, NULL, 0);
}

bool
launchd_env_next (const char **p, const char **start, size_t *len)
{
    const char *q = *p;
    while (*q == ' ' || *q == '\t')
        q++;
    if (!*q) {
        *p = q;
        return false;
    }
    *start = q;
    while (*q && *q != ' ' && *q != '\t')
        q++;
    *len = (size_t) (q - *start);
    *p = q;
    return true;
}

int
launchd_env_check (const launchd_job_t *job, const char *spec,
                   char *missing, size_t missing_len,
                   char *unverified, size_t unverified_len)
{
    if (missing && missing_len)
        missing [0] = 0;
    if (unverified && unverified_len)
        unverified [0] = 0;
    int unverified_count = 0;
    if (!spec)
        return 0;
    int count = 0;
    const char *p = spec, *start;
    size_t n;
    while (launchd_env_next (&p, &start, &n)) {
        char token [LAUNCHD_MAX_FIELD];
        if (n >= sizeof (token))
            n = sizeof (token) - 1;
        memcpy (token, start, n);
        token [n] = 0;

        char *eq = strchr (token, '=');
        if (eq)
            *eq = 0;
        const char *name = token;
        const char *want = eq? eq + 1: NULL;
        const char *have = streq (name, "PATH")? launchd_job_path (job)
                                               : launchd_job_env (job, name);
        if (!have)
            have = s_inherited (job, name);
        if (!have && launchd_env_added_at_start (name)) {
            //  launchd sets it when the job starts: present, value unseen.
            if (want && unverified)
                kind_append (unverified, unverified_len, "%s%s", unverified_count++? "; ": "", name);
            continue;
        }
        if (!want) {
            if (!have) {
                count++;
                kind_append (missing, missing_len, "%s%s not set", count > 1? "; ": "", name);
            }
        }
        else
        if (streq (name, "PATH")) {
            const char *q = want;
            while (*q) {
                const char *qe = strchr (q, ':');
                size_t qn = qe? (size_t) (qe - q): strlen (q);
                if (qn && !s_path_has (have, q, qn)) {
                    count++;
                    kind_append (missing, missing_len, "%sPATH lacks %.*s (PATH=%s)",
                              count > 1? "; ": "", (int) qn, q, have);
                }
                q += qn;
                if (*q == ':')
                    q++;
            }
        }
        else
        if (!have || !streq (have, want)) {
            count++;
            kind_append (missing, missing_len, "%s%s=%s wanted, job has %s%s",
                      count > 1? "; ": "", name, want,
                      have? name: "no ", have? "": name);
            if (have)
                kind_append (missing, missing_len, "=%s", have);
        }
    }
    return count;
}
