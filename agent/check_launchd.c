//  check_launchd — the `launchd` check kind: is a LaunchAgent loaded, running,
//  not crash-looping, with the environment it needs? Remedies are built in:
//  kickstart a loaded-but-dead job, bootstrap an unloaded one, bootout + wait +
//  bootstrap a stale one. Decisions come only from `launchctl print` (exit
//  status 0 / 113 / 112 and the job fields); never `launchctl list`,
//  `load` or `unload`. See docs/supervisors.md.
//
//  Config keys: label (required), plist, env, domain (default gui/<uid>),
//  running (auto | true | false: must the job always run?).

#include "check.h"
#include "command.h"
#include "check_launchd.h"
#include "kind_util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAUNCHD_CMD_TIMEOUT_MS   10000     //  one launchctl call at most
#define LAUNCHD_POLL_MS          100       //  print polling while a bootout drains
#define LAUNCHD_WAIT_MARGIN_MS   5000      //  + exit timeout: how long a bootout may drain
#define LAUNCHD_DEFAULT_EXIT_TIMEOUT 20    //  seconds, when print did not say
#define LAUNCHD_MAX_DOMAIN       64
#define LAUNCHD_DEFAULT_PATH     "/usr/bin:/bin:/usr/sbin:/sbin"

typedef enum {
    FINDING_NONE = 0,
    FINDING_NOT_LOADED,         //  print 113, plist present: bootstrap
    FINDING_STALE,              //  wrong path / code-signing: bootout, wait, bootstrap
    FINDING_DEAD,               //  loaded, should run, does not: kickstart -k
    FINDING_CRASH_LOOP,         //  restarting with failures: no restart helps
    FINDING_ENV,                //  environment lacks what the config requires
    FINDING_UNFIXABLE           //  not loaded without a plist, ...
} launchd_finding_t;

typedef struct {
    char *label;
    char *plist;                //  NULL when not configured
    char *env;                  //  required environment spec or NULL
    char *domain;               //  gui/<uid>
    char *target;               //  domain/label
    int running;                //  -1 auto, 0 no, 1 yes
    int64_t prev_runs;          //  runs at the previous check, -1 unknown
    int64_t exit_timeout;       //  last seen, -1 unknown
    launchd_finding_t finding;  //  what the last run found (for remedy)
} launchd_check_t;

#define LAUNCHD_AT(field) HEAL_KEY_AT (launchd_check_t, field)

static const heal_key_word_t s_running [] = {
    { "auto", -1 }, { "true", 1 }, { "yes", 1 }, { "on", 1 }, { "1", 1 },
    { "false", 0 }, { "no", 0 }, { "off", 0 }, { "0", 0 }, { NULL, 0 }
};

static const heal_key_t s_keys [] = {
    { .name = "label", .type = HEAL_KEY_STRING, .at = LAUNCHD_AT (label),
      .flags = HEAL_KEY_REQUIRED, .help = "the job's label" },
    { .name = "plist", .type = HEAL_KEY_PATH, .at = LAUNCHD_AT (plist),
      .help = "the job's plist (for bootstrap)" },
    { .name = "env", .type = HEAL_KEY_STRING, .at = LAUNCHD_AT (env),
      .help = "environment the job must have" },
    { .name = "domain", .type = HEAL_KEY_STRING, .at = LAUNCHD_AT (domain),
      .max_len = LAUNCHD_MAX_DOMAIN,
      .help = "gui/<uid>, user/<uid> or system" },
    { .name = "running", .type = HEAL_KEY_ENUM, .at = LAUNCHD_AT (running),
      .words = s_running, .def = "auto", .invalid = "'%s' is not auto, true or false",
      .help = "auto, true or false" },
    { .name = NULL }
};


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
        size_t start = pos;
        while (pos < len && text [pos] != '\n' && text [pos] != 0)
            pos++;
        size_t n = pos - start;
        if (n >= sizeof (line))
            n = sizeof (line) - 1;
        memcpy (line, text + start, n);
        line [n] = 0;
        pos++;                  //  past the newline (or NUL)
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
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\t')
            end++;
        char token [LAUNCHD_MAX_FIELD];
        size_t n = (size_t) (end - p);
        if (n >= sizeof (token))
            n = sizeof (token) - 1;
        memcpy (token, p, n);
        token [n] = 0;
        p = end;

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


//  ---------------------------------------------------------------------------
//  The kind

static bool
s_label_valid (const char *label)
{
    size_t n = strlen (label);
    if (n == 0 || n > LAUNCHD_MAX_LABEL || label [0] == '-' || label [0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = label [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  gui/<uid>, user/<uid>, or system.
static bool
s_domain_valid (const char *domain)
{
    if (streq (domain, "system"))
        return true;
    const char *digits = NULL;
    if (strncmp (domain, "gui/", 4) == 0 || strncmp (domain, "pid/", 4) == 0)
        digits = domain + 4;
    else
    if (strncmp (domain, "user/", 5) == 0)
        digits = domain + 5;
    if (!digits || !*digits || strlen (digits) > 10)
        return false;
    for (const char *p = digits; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

//  NAME or NAME=value tokens, NAME a shell-style identifier.
static bool
s_env_spec_valid (const char *spec, char *why, size_t whylen)
{
    int tokens = 0;
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *start = p;
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_')) {
            snprintf (why, whylen, "'%.40s' is not NAME or NAME=value", start);
            return false;
        }
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'
           ||  (*p >= '0' && *p <= '9'))
            p++;
        if (*p == '=')
            while (*p && *p != ' ' && *p != '\t')
                p++;
        if (*p && *p != ' ' && *p != '\t') {
            snprintf (why, whylen, "'%.40s' is not NAME or NAME=value", start);
            return false;
        }
        if (++tokens > LAUNCHD_MAX_ENV) {
            snprintf (why, whylen, "more than %d entries", LAUNCHD_MAX_ENV);
            return false;
        }
    }
    if (tokens == 0) {
        snprintf (why, whylen, "empty");
        return false;
    }
    return true;
}

static void
s_destroy (void **self_p)
{
    if (!self_p || !*self_p)
        return;
    launchd_check_t *self = (launchd_check_t *) *self_p;
    heal_keys_free (s_keys, self);
    free (self->target);
    free (self);
    *self_p = NULL;
}

static void *
s_configure (const heal_config_t *config, const heal_check_config_t *check,
             char *err, size_t errlen)
{
    const char *file = config->file;
    char why [128];
    launchd_check_t *self = (launchd_check_t *) calloc (1, sizeof (*self));
    if (!self) {
        heal_config_error (err, errlen, file, check->name, NULL, "out of memory");
        return NULL;
    }
    if (kind_configure (config, check, s_keys, NULL, self, err, errlen))
        goto failed;
    if (!s_label_valid (self->label)) {
        heal_config_error (err, errlen, file, check->name, "label",
                           "'%.64s' is not a launchd label ([A-Za-z0-9._-], at most %d bytes)",
                           self->label, LAUNCHD_MAX_LABEL);
        goto failed;
    }
    if (self->env && !s_env_spec_valid (self->env, why, sizeof why)) {
        heal_config_error (err, errlen, file, check->name, "env", "%s", why);
        goto failed;
    }
    if (self->domain && !s_domain_valid (self->domain)) {
        heal_config_error (err, errlen, file, check->name, "domain",
                           "'%.64s' is not gui/<uid>, user/<uid> or system", self->domain);
        goto failed;
    }
    char buf [LAUNCHD_MAX_DOMAIN + LAUNCHD_MAX_LABEL + 2];
    if (!self->domain) {
        snprintf (buf, sizeof buf, "gui/%u", (unsigned) getuid ());
        self->domain = strdup (buf);
    }
    snprintf (buf, sizeof buf, "%s/%s", self->domain? self->domain: "", self->label);
    self->target = strdup (buf);
    self->prev_runs = -1;
    self->exit_timeout = -1;
    if (!self->domain || !self->target) {
        heal_config_error (err, errlen, file, check->name, NULL, "out of memory");
        goto failed;
    }
    return self;

failed:
    s_destroy ((void **) &self);
    return NULL;
}

//  Milliseconds left before the run's deadline, capped at one command's share.
//  Run launchctl with argv (NULL-terminated, argv[0] = "launchctl"). Returns
//  the exit code, or -1 when it could not run / timed out (res still filled
//  when it ran). The caller frees res with command_result_free.
static int
s_launchctl (const check_ctx_t *ctx, const char *const *argv, command_result_t *res)
{
    return kind_exec (ctx, argv, LAUNCHD_CMD_TIMEOUT_MS, res);
}





//  Do the configured plist and the one launchd imported differ?
static bool
s_path_differs (const char *configured, const char *loaded)
{
    if (!configured || !loaded || loaded [0] != '/')
        return false;           //  "(submitted by smd.370)" and the like
    if (streq (configured, loaded))
        return false;
    char a [PATH_MAX], b [PATH_MAX];
    if (!realpath (configured, a) || !realpath (loaded, b))
        return true;
    return !streq (a, b);
}

static bool
s_reason_needs_rebootstrap (const launchd_job_t *job)
{
    if (launchd_job_has_property (job, "needs LWCR update"))
        return true;
    const char *r = job->last_exit_reason;
    return r && (strstr (r, "OS_REASON_CODESIGNING") || strstr (r, "OS_REASON_EXEC"));
}

//  Should this job be running now? The config's `running` wins; otherwise
//  KeepAlive as print shows it: `properties` has `keepalive` (KeepAlive true),
//  or a `semaphores` block (KeepAlive dictionary) whose SuccessfulExit
//  condition holds for the last exit.
static bool
s_expect_running (const launchd_check_t *self, const launchd_job_t *job)
{
    if (self->running >= 0)
        return self->running == 1;
    if (launchd_job_has_property (job, "keepalive"))
        return true;
    if (job->successful_exit == 0)
        return launchd_job_last_failed (job);
    if (job->successful_exit == 1)
        return job->has_exit_code && job->last_exit_code == 0 && !job->last_signal;
    return false;
}

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    launchd_check_t *self = (launchd_check_t *) self_;
    event_t *ev = result? result->event: NULL;
    self->finding = FINDING_NONE;

    command_result_t res;
    const char *argv [] = { "launchctl", "print", self->target, NULL };
    int rc = s_launchctl (ctx, argv, &res);
    if (rc < 0) {
        if (res.timed_out)
            kind_message (result->event, "launchctl print %s timed out", self->target);
        else
        if (!res.output)
            kind_message (result->event, "cannot run launchctl: %s", strerror (errno));
        else
            kind_message (result->event, "launchctl print %s did not finish", self->target);
        command_result_free (&res);
        return CHECK_UNKNOWN;
    }
    if (rc == LAUNCHD_EXIT_NO_DOMAIN) {
        kind_message (result->event, "cannot tell: no %s domain (nobody logged in at the console?)",
                   self->domain);
        kind_evidence_output (ev, "launchctl: ", res.output, 4);
        command_result_free (&res);
        return CHECK_UNKNOWN;
    }
    if (rc == LAUNCHD_EXIT_NOT_FOUND) {
        kind_evidence_output (ev, "launchctl: ", res.output, 4);
        command_result_free (&res);
        self->prev_runs = -1;
        struct stat st;
        if (!self->plist) {
            self->finding = FINDING_UNFIXABLE;
            kind_message (result->event, "%s is not loaded (no plist configured to bootstrap)",
                       self->target);
        }
        else
        if (stat (self->plist, &st)) {
            self->finding = FINDING_UNFIXABLE;
            kind_message (result->event, "%s is not loaded and its plist %s is missing",
                       self->target, self->plist);
        }
        else {
            self->finding = FINDING_NOT_LOADED;
            kind_message (result->event, "%s is not loaded", self->target);
            kind_evidence (ev, "plist = %s", self->plist);
        }
        return CHECK_FAIL;
    }
    if (rc != 0) {
        kind_message (result->event, "launchctl print %s failed with exit %d", self->target, rc);
        kind_evidence_output (ev, "launchctl: ", res.output, 4);
        command_result_free (&res);
        return CHECK_UNKNOWN;
    }

    launchd_job_t job;
    memset (&job, 0, sizeof job);
    if (launchd_print_parse (res.output, res.output_len, &job)) {
        kind_message (result->event, "launchctl print %s: no job fields in the output", self->target);
        kind_evidence_output (ev, "launchctl: ", res.output, 4);
        command_result_free (&res);
        launchd_job_clear (&job);
        return CHECK_UNKNOWN;
    }
    command_result_free (&res);

    //  Evidence and metrics: what print said, field by field.
    kind_evidence (ev, "state = %s", job.state? job.state: "(absent)");
    if (job.pid > 0)
        kind_evidence (ev, "pid = %lld", (long long) job.pid);
    if (job.runs >= 0)
        kind_evidence (ev, "runs = %lld", (long long) job.runs);
    if (job.last_exit_code_text)
        kind_evidence (ev, "last exit code = %s", job.last_exit_code_text);
    if (job.last_signal)
        kind_evidence (ev, "last terminating signal = %s", job.last_signal);
    if (job.last_exit_reason)
        kind_evidence (ev, "last exit reason = %s", job.last_exit_reason);
    if (job.successive_crashes > 0)
        kind_evidence (ev, "successive crashes = %lld", (long long) job.successive_crashes);
    if (job.path)
        kind_evidence (ev, "path = %s", job.path);
    if (ev) {
        if (job.pid > 0)
            event_add_metric (ev, "pid", (double) job.pid);
        if (job.runs >= 0)
            event_add_metric (ev, "runs", (double) job.runs);
        if (job.has_exit_code)
            event_add_metric (ev, "last_exit_code", (double) job.last_exit_code);
        if (job.successive_crashes >= 0)
            event_add_metric (ev, "successive_crashes", (double) job.successive_crashes);
    }
    if (job.exit_timeout >= 0)
        self->exit_timeout = job.exit_timeout;

    bool running = job.state && streq (job.state, "running") && job.pid > 0;
    bool expect = s_expect_running (self, &job);
    bool failed = launchd_job_last_failed (&job);
    //  Only a job launchd restarts on exit can loop through restarts; an
    //  interval or calendar job runs again on schedule whatever it exits with.
    bool keepalive = self->running == 1 || launchd_job_has_property (&job, "keepalive")
                  || job.successful_exit >= 0;
    bool crash_loop = launchd_crash_loop (&job, self->prev_runs, keepalive);
    //  launchd is waiting out its throttle before the next spawn: a kickstart
    //  now would bypass it and fight launchd.
    bool respawn_pending = job.state && streq (job.state, "spawn scheduled");
    char missing [EVENT_MAX_EVIDENCE_LEN], unverified [EVENT_MAX_EVIDENCE_LEN];
    int env_missing = launchd_env_check (&job, self->env, missing, sizeof missing,
                                         unverified, sizeof unverified);
    if (unverified [0])
        kind_evidence (ev, "environment not checked (launchd sets these when the job "
                       "starts; print does not show them): %s", unverified);
    const char *last = job.last_exit_code_text? job.last_exit_code_text: "unknown";
    check_status_t status = CHECK_OK;

    if (s_path_differs (self->plist, job.path)) {
        self->finding = FINDING_STALE;
        kind_message (result->event, "%s is loaded from %s, not %s", self->target, job.path, self->plist);
        status = CHECK_FAIL;
    }
    else
    if (crash_loop) {
        self->finding = self->plist && s_reason_needs_rebootstrap (&job)
                      ? FINDING_STALE: FINDING_CRASH_LOOP;
        if (job.successive_crashes < LAUNCHD_CRASH_STREAK)
            kind_message (result->event, "%s is crash-looping: %lld runs since the last check, last exit code = %s%s%s",
                       self->target, (long long) (job.runs - self->prev_runs), last,
                       job.last_signal? ", signal ": "", job.last_signal? job.last_signal: "");
        else
            kind_message (result->event, "%s is crash-looping: %lld successive crashes, last exit code = %s%s%s",
                       self->target, (long long) job.successive_crashes, last,
                       job.last_signal? ", signal ": "", job.last_signal? job.last_signal: "");
        status = CHECK_FAIL;
    }
    else
    if (!running && expect && respawn_pending) {
        kind_message (result->event, "%s is waiting for launchd to respawn it "
                      "(state = spawn scheduled, last exit code = %s%s%s)",
                      self->target, last,
                      job.last_signal? ", signal ": "", job.last_signal? job.last_signal: "");
        status = CHECK_WARN;
    }
    else
    if (!running && expect) {
        if (self->plist && s_reason_needs_rebootstrap (&job))
            self->finding = FINDING_STALE;
        else
            self->finding = FINDING_DEAD;
        kind_message (result->event, "%s is loaded but not running (state = %s, last exit code = %s%s%s)",
                   self->target, job.state? job.state: "unknown", last,
                   job.last_signal? ", signal ": "", job.last_signal? job.last_signal: "");
        status = CHECK_FAIL;
    }
    else
    if (env_missing > 0) {
        self->finding = FINDING_ENV;
        kind_message (result->event, "%s environment: %s", self->target, missing);
        status = CHECK_FAIL;
    }
    else
    if (!running && failed) {
        kind_message (result->event, "%s is not running; its last run failed (last exit code = %s%s%s)",
                   self->target, last,
                   job.last_signal? ", signal ": "", job.last_signal? job.last_signal: "");
        status = CHECK_WARN;
    }
    else
    if (running)
        kind_message (result->event, "%s is running (pid %lld)", self->target, (long long) job.pid);
    else
        kind_message (result->event, "%s is loaded, not running (state = %s, last exit code = %s)",
                   self->target, job.state? job.state: "unknown", last);

    //  The environment is reported whatever else was found.
    if (env_missing > 0 && self->finding != FINDING_ENV)
        kind_evidence (ev, "environment: %s", missing);
    if (env_missing > 0 && ev)
        event_add_metric (ev, "env_missing", (double) env_missing);

    self->prev_runs = job.runs;
    launchd_job_clear (&job);
    return status;
}

//  Append "$ argv... -> rc N" and the command's output to log.
static void
s_log_call (char *log, size_t len, const char *const *argv, int rc, const command_result_t *res)
{
    kind_append (log, len, "$");
    for (size_t i = 0; argv [i]; i++)
        kind_append (log, len, " %s", argv [i]);
    if (rc < 0)
        kind_append (log, len, " -> did not finish\n");
    else
        kind_append (log, len, " -> exit %d\n", rc);
    if (res->output && res->output_len)
        kind_append (log, len, "%.*s%s", (int) (res->output_len > 512? 512: res->output_len),
                  res->output, res->output [res->output_len - 1] == '\n'? "": "\n");
}

//  Run one launchctl command and log it. Returns its exit code or -1.
static int
s_call (const check_ctx_t *ctx, const char *const *argv, char *log, size_t len)
{
    command_result_t res;
    int rc = s_launchctl (ctx, argv, &res);
    s_log_call (log, len, argv, rc, &res);
    command_result_free (&res);
    return rc;
}

//  Poll print until it answers want (113: gone, or 0: loaded) or the deadline.
//  Returns the last print exit code seen.
static int
s_poll_print (launchd_check_t *self, const check_ctx_t *ctx, int want, int64_t wait_ms,
              char *log, size_t len)
{
    const char *argv [] = { "launchctl", "print", self->target, NULL };
    int64_t until = heal_monotonic_ms () + wait_ms;
    int polls = 0, rc = -1;
    while (true) {
        command_result_t res;
        rc = s_launchctl (ctx, argv, &res);
        command_result_free (&res);
        polls++;
        if (rc == want || (want < 0 && (rc == 0 || rc == LAUNCHD_EXIT_NOT_FOUND)))
            break;
        if (heal_monotonic_ms () + LAUNCHD_POLL_MS >= until
        ||  ctx->deadline_ms - heal_monotonic_ms () <= LAUNCHD_POLL_MS)
            break;
        zclock_sleep (LAUNCHD_POLL_MS);
    }
    kind_append (log, len, "$ launchctl print %s -> exit %d (after %d poll%s)\n",
              self->target, rc, polls, polls == 1? "": "s");
    return rc;
}

//  Why a bootstrap may fail with error 5: the plist's owner and mode.
static void
s_explain_bootstrap (launchd_check_t *self, char *log, size_t len)
{
    struct stat st;
    if (stat (self->plist, &st)) {
        kind_append (log, len, "plist %s: %s\n", self->plist, strerror (errno));
        return;
    }
    if (st.st_uid != getuid ())
        kind_append (log, len, "plist %s is owned by uid %u, not %u: launchd refuses it\n",
                  self->plist, (unsigned) st.st_uid, (unsigned) getuid ());
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        kind_append (log, len, "plist %s is group/world-writable (chmod 644): launchd refuses it\n",
                  self->plist);
    kind_append (log, len, "also check `launchctl print-disabled %s` and Login Items "
              "(System Settings) for a disabled override\n", self->domain);
}

//  enable + bootstrap, handling "Bootstrap failed: 5" (already loaded, or a
//  bootout still draining): poll print until 113 or 0, then retry once.
static remedy_status_t
s_bootstrap (launchd_check_t *self, const check_ctx_t *ctx, char *log, size_t len)
{
    const char *enable [] = { "launchctl", "enable", self->target, NULL };
    s_call (ctx, enable, log, len);     //  an override outlives the plist; failure is not fatal
    const char *boot [] = { "launchctl", "bootstrap", self->domain, self->plist, NULL };
    int rc = s_call (ctx, boot, log, len);
    if (rc == 0)
        return REMEDY_DONE;
    if (rc == LAUNCHD_EXIT_IO || rc == LAUNCHD_EXIT_IN_PROGRESS) {
        int64_t wait = (self->exit_timeout >= 0? self->exit_timeout
                                               : LAUNCHD_DEFAULT_EXIT_TIMEOUT) * 1000
                     + LAUNCHD_WAIT_MARGIN_MS;
        int prc = s_poll_print (self, ctx, -1, wait, log, len);
        if (prc == 0) {
            kind_append (log, len, "%s is loaded: bootstrap not needed\n", self->target);
            return REMEDY_DONE;
        }
        if (prc == LAUNCHD_EXIT_NOT_FOUND) {
            rc = s_call (ctx, boot, log, len);
            if (rc == 0)
                return REMEDY_DONE;
        }
    }
    s_explain_bootstrap (self, log, len);
    return REMEDY_FAILED;
}

static remedy_status_t
s_remedy (void *self_, const check_ctx_t *ctx, const check_result_t *failed,
          event_remedy_t *out)
{
    (void) failed;
    launchd_check_t *self = (launchd_check_t *) self_;
    char log [EVENT_MAX_TEXT];
    log [0] = 0;
    const char *action = NULL;
    remedy_status_t status = REMEDY_NONE;

    switch (self->finding) {
        case FINDING_DEAD: {
            action = "kickstart";
            const char *kick [] = { "launchctl", "kickstart", "-k", self->target, NULL };
            int rc = s_call (ctx, kick, log, sizeof log);
            if (rc == 0)
                status = REMEDY_DONE;
            else
            if (rc == LAUNCHD_EXIT_NOT_FOUND && self->plist) {
                action = "bootstrap";   //  unloaded between print and kickstart
                status = s_bootstrap (self, ctx, log, sizeof log);
            }
            else
                status = REMEDY_FAILED;
            break;
        }
        case FINDING_NOT_LOADED:
            action = "bootstrap";
            status = s_bootstrap (self, ctx, log, sizeof log);
            break;
        case FINDING_STALE: {
            action = "rebootstrap";
            const char *bootout [] = { "launchctl", "bootout", self->target, NULL };
            int rc = s_call (ctx, bootout, log, sizeof log);
            //  bootout returns before the job has left the domain: wait for 113
            int64_t wait = (self->exit_timeout >= 0? self->exit_timeout
                                                   : LAUNCHD_DEFAULT_EXIT_TIMEOUT) * 1000
                         + LAUNCHD_WAIT_MARGIN_MS;
            int prc = rc == 3? LAUNCHD_EXIT_NOT_FOUND
                    : s_poll_print (self, ctx, LAUNCHD_EXIT_NOT_FOUND, wait, log, sizeof log);
            if (prc != LAUNCHD_EXIT_NOT_FOUND) {
                kind_append (log, sizeof log, "bootout of %s did not finish in time\n", self->target);
                status = REMEDY_FAILED;
            }
            else
                status = s_bootstrap (self, ctx, log, sizeof log);
            break;
        }
        case FINDING_ENV:
            action = "none";
            kind_append (log, sizeof log, "a restart cannot change a job's environment: "
                      "fix EnvironmentVariables in %s, then `launchctl bootout %s` and "
                      "`launchctl bootstrap %s %s`\n",
                      self->plist? self->plist: "the plist", self->target,
                      self->domain, self->plist? self->plist: "PLIST");
            break;
        case FINDING_CRASH_LOOP:
            action = "none";
            kind_append (log, sizeof log, "launchd is already restarting %s; a restart "
                      "will not stop it crashing: see its StandardErrorPath log\n",
                      self->target);
            break;
        case FINDING_UNFIXABLE:
            action = "none";
            kind_append (log, sizeof log, "nothing to bootstrap: configure `plist` "
                      "with the job's plist file\n");
            break;
        case FINDING_NONE:
            break;
    }
    //  A remedy changes runs by itself: do not read its effect as a crash loop.
    self->prev_runs = -1;
    if (out) {
        if (action)
            out->action = strdup (action);
        if (log [0])
            out->output = strdup (log);
    }
    return status;
}

const check_kind_t check_kind_launchd = {
    .name = "launchd",
    .keys = s_keys,
    .remedy_keys = NULL,
    .configure = s_configure,
    .run = s_run,
    .remedy = s_remedy,
    .destroy = s_destroy,
};
