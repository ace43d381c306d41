//  check_launchd — the `launchd` check kind: is a LaunchAgent loaded, running,
//  not crash-looping, with the environment it needs? Remedies are built in:
//  kickstart a loaded-but-dead job, bootstrap an unloaded one, bootout + wait +
//  bootstrap a stale one. Decisions come only from `launchctl print` (exit
//  status 0 / 113 / 112 and the job fields); never `launchctl list`,
//  `load` or `unload`. See docs/supervisors.md.
//
//  Config keys: label (required), plist, env, domain (default gui/<uid>),
//  running (auto | true | false: must the job always run?).
//  The parser of `launchctl print` and the questions asked of a job are in
//  launchd_job.c.

#include "check.h"
#include "heal/command.h"
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
    const char *p = spec, *start;
    size_t len;
    while (launchd_env_next (&p, &start, &len)) {
        size_t i = 0;
        if ((start [0] >= 'A' && start [0] <= 'Z') || (start [0] >= 'a' && start [0] <= 'z')
        ||  start [0] == '_')
            while (i < len && ((start [i] >= 'A' && start [i] <= 'Z')
                           ||  (start [i] >= 'a' && start [i] <= 'z')
                           ||  (start [i] >= '0' && start [i] <= '9') || start [i] == '_'))
                i++;
        if (i == 0 || (i < len && start [i] != '=')) {
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
s_cleanup (void *self_)
{
    launchd_check_t *self = (launchd_check_t *) self_;
    free (self->target);
}

//  The label, env and domain checked; the domain defaulted; the target.
static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    launchd_check_t *self = (launchd_check_t *) self_;
    const char *file = config->file;
    char why [128];
    if (!s_label_valid (self->label)) {
        heal_config_error (err, errlen, file, check->name, "label",
                           "'%.64s' is not a launchd label ([A-Za-z0-9._-], at most %d bytes)",
                           self->label, LAUNCHD_MAX_LABEL);
        return -1;
    }
    if (self->env && !s_env_spec_valid (self->env, why, sizeof why)) {
        heal_config_error (err, errlen, file, check->name, "env", "%s", why);
        return -1;
    }
    if (self->domain && !s_domain_valid (self->domain)) {
        heal_config_error (err, errlen, file, check->name, "domain",
                           "'%.64s' is not gui/<uid>, user/<uid> or system", self->domain);
        return -1;
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
        return -1;
    }
    return 0;
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
    kind_remedy_done (out, action, log);
    return status;
}

const check_kind_t check_kind_launchd = {
    .name = "launchd",
    .size = sizeof (launchd_check_t),
    .keys = s_keys,
    .remedy_keys = NULL,
    .setup = s_setup,
    .run = s_run,
    .remedy = s_remedy,
    .cleanup = s_cleanup,
    .verify_default_ms = CHECK_VERIFY_SERVICE_MS,
};
