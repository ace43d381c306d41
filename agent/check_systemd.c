//  check_systemd — the `systemd` check kind: is a systemd user unit loaded and
//  active, and not restarting over and over? Remedy built in: `systemctl --user
//  restart UNIT`, preceded by `reset-failed UNIT` when the unit hit its start
//  limit (a plain restart is refused then). Decisions come from
//  `systemctl --user show -p ...` parsed by name. See docs/supervisors.md.
//
//  Config keys: unit (required; a user unit, e.g. "redis.service").

#include "check.h"
#include "heal/command.h"
#include "check_systemd.h"
#include "kind_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYSTEMD_CMD_TIMEOUT_MS 10000    //  one systemctl call at most

typedef enum {
    FINDING_NONE = 0,
    FINDING_DEAD,               //  inactive/failed/auto-restart: restart
    FINDING_START_LIMIT,        //  start limit hit: reset-failed, then restart
    FINDING_CRASH_LOOP,         //  restarting with failures: report
    FINDING_UNFIXABLE           //  not-found, masked, bad unit file
} systemd_finding_t;

typedef struct {
    char *unit;
    int64_t prev_restarts;      //  NRestarts at the previous check, -1 unknown
    systemd_finding_t finding;
} systemd_check_t;

static const heal_key_t s_keys [] = {
    { .name = "unit", .type = HEAL_KEY_STRING, .at = HEAL_KEY_AT (systemd_check_t, unit),
      .flags = HEAL_KEY_REQUIRED, .max_len = SYSTEMD_MAX_UNIT,
      .help = "the unit, e.g. app.service" },
    { .name = NULL }
};


//  ---------------------------------------------------------------------------
//  Parser

void
systemd_unit_clear (systemd_unit_t *unit)
{
    if (!unit)
        return;
    free (unit->load_state);
    free (unit->active_state);
    free (unit->sub_state);
    free (unit->result);
    memset (unit, 0, sizeof (*unit));
    unit->main_pid = -1;
    unit->exec_main_code = -1;
    unit->exec_main_status = -1;
    unit->n_restarts = -1;
}

//  A whole non-negative decimal number (systemd prints unsigned values).
static int
s_number (const char *text, int64_t *out)
{
    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll (text, &end, 10);
    if (errno || !end || *end)
        return -1;
    *out = (int64_t) v;
    return 0;
}

#define FIELD_TEXT(key, member) { key, offsetof (systemd_unit_t, member), false, 0 }
#define FIELD_NUMBER(key, member) { key, offsetof (systemd_unit_t, member), true, 0 }
static const kind_field_t s_unit_fields [] = {
    FIELD_TEXT ("LoadState", load_state),
    FIELD_TEXT ("ActiveState", active_state),
    FIELD_TEXT ("SubState", sub_state),
    FIELD_TEXT ("Result", result),
    FIELD_NUMBER ("MainPID", main_pid),
    FIELD_NUMBER ("ExecMainCode", exec_main_code),
    FIELD_NUMBER ("ExecMainStatus", exec_main_status),
    FIELD_NUMBER ("NRestarts", n_restarts),
    { NULL, 0, false, 0 }
};

//  One `Name=value` property; a known name counts even when its number is
//  unreadable (the field keeps "absent").
static void
s_property (systemd_unit_t *unit, const char *name, const char *value)
{
    if (kind_field_set (s_unit_fields, unit, name, value, SYSTEMD_MAX_VALUE, s_number) != 0)
        unit->fields++;
}

int
systemd_show_parse (const char *text, size_t len, systemd_unit_t *unit)
{
    systemd_unit_clear (unit);
    if (!text)
        return -1;
    char line [SYSTEMD_MAX_VALUE + 128];
    size_t pos = 0, lines = 0;
    while (pos < len && lines < SYSTEMD_MAX_LINES) {
        size_t n = kind_next_line (text, len, &pos, line, sizeof line);
        lines++;
        while (n > 0 && (line [n - 1] == '\r' || line [n - 1] == ' '))
            line [--n] = 0;
        if (n == 0) {
            if (unit->fields > 0)
                break;          //  end of the first unit's block
            continue;
        }
        char *eq = strchr (line, '=');
        if (!eq || eq == line)
            continue;           //  odd line: tolerated
        *eq = 0;
        s_property (unit, line, eq + 1);
    }
    return unit->load_state? 0: -1;
}

bool
systemd_unit_last_failed (const systemd_unit_t *unit)
{
    if (unit->exec_main_code == SYSTEMD_CLD_KILLED || unit->exec_main_code == SYSTEMD_CLD_DUMPED)
        return true;
    if (unit->exec_main_code == SYSTEMD_CLD_EXITED && unit->exec_main_status > 0)
        return true;
    return unit->result && !streq (unit->result, "success");
}

bool
systemd_unit_start_limit_hit (const systemd_unit_t *unit)
{
    return unit->result && streq (unit->result, "start-limit-hit");
}


//  ---------------------------------------------------------------------------
//  The kind

//  Unit names: [A-Za-z0-9:_.@\-], not starting with '-' (never an option).
static bool
s_unit_valid (const char *unit)
{
    size_t n = strlen (unit);
    if (n == 0 || n > SYSTEMD_MAX_UNIT || unit [0] == '-' || unit [0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = unit [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == ':' || c == '_' || c == '.' || c == '@' || c == '-' || c == '\\'))
            return false;
    }
    return true;
}

//  The unit's name checked.
static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    systemd_check_t *self = (systemd_check_t *) self_;
    if (!s_unit_valid (self->unit)) {
        heal_config_error (err, errlen, config->file, check->name, "unit",
                           "'%.64s' is not a systemd unit name", self->unit);
        return -1;
    }
    self->prev_restarts = -1;
    return 0;
}




//  Run systemctl --user with the rest of argv. Returns the exit code, or -1
//  when it could not run or did not finish. Caller frees res.
static int
s_systemctl (const check_ctx_t *ctx, const char *const *argv, command_result_t *res)
{
    return kind_exec (ctx, argv, SYSTEMD_CMD_TIMEOUT_MS, res);
}

//  "exit 1", "signal 9 (core dumped)" for the evidence.
static void
s_describe_exit (const systemd_unit_t *u, char *buf, size_t len)
{
    if (u->exec_main_code == SYSTEMD_CLD_EXITED)
        snprintf (buf, len, "exit %lld", (long long) u->exec_main_status);
    else
    if (u->exec_main_code == SYSTEMD_CLD_KILLED)
        snprintf (buf, len, "signal %lld", (long long) u->exec_main_status);
    else
    if (u->exec_main_code == SYSTEMD_CLD_DUMPED)
        snprintf (buf, len, "signal %lld (core dumped)", (long long) u->exec_main_status);
    else
        snprintf (buf, len, "not exited");
}

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    systemd_check_t *self = (systemd_check_t *) self_;
    event_t *ev = result? result->event: NULL;
    self->finding = FINDING_NONE;

    const char *argv [] = { "systemctl", "--user", "show", "-p", SYSTEMD_PROPERTIES,
                            self->unit, NULL };
    command_result_t res;
    int rc = s_systemctl (ctx, argv, &res);
    if (rc != 0) {
        if (rc < 0 && !res.output)
            kind_message (result->event, "cannot run systemctl: %s", strerror (errno));
        else
        if (rc < 0)
            kind_message (result->event, "systemctl --user show %s did not finish", self->unit);
        else
            kind_message (result->event, "systemctl --user show %s failed with exit %d", self->unit, rc);
        kind_evidence_output (ev, "systemctl: ", res.output, 4);
        command_result_free (&res);
        return CHECK_UNKNOWN;
    }
    systemd_unit_t u;
    memset (&u, 0, sizeof u);
    if (systemd_show_parse (res.output, res.output_len, &u)) {
        kind_message (result->event, "systemctl --user show %s: no LoadState in the output", self->unit);
        kind_evidence_output (ev, "systemctl: ", res.output, 4);
        command_result_free (&res);
        systemd_unit_clear (&u);
        return CHECK_UNKNOWN;
    }
    command_result_free (&res);

    const char *active = u.active_state? u.active_state: "unknown";
    const char *sub = u.sub_state? u.sub_state: "unknown";
    char how [64];
    s_describe_exit (&u, how, sizeof how);
    kind_evidence (ev, "LoadState=%s", u.load_state);
    kind_evidence (ev, "ActiveState=%s", active);
    kind_evidence (ev, "SubState=%s", sub);
    if (u.result)
        kind_evidence (ev, "Result=%s", u.result);
    if (u.main_pid > 0)
        kind_evidence (ev, "MainPID=%lld", (long long) u.main_pid);
    if (u.exec_main_code > 0)
        kind_evidence (ev, "last main process: %s", how);
    if (u.n_restarts >= 0)
        kind_evidence (ev, "NRestarts=%lld", (long long) u.n_restarts);
    if (ev) {
        if (u.main_pid > 0)
            event_add_metric (ev, "main_pid", (double) u.main_pid);
        if (u.n_restarts >= 0)
            event_add_metric (ev, "n_restarts", (double) u.n_restarts);
        if (u.exec_main_code > 0)
            event_add_metric (ev, "exec_main_status", (double) u.exec_main_status);
    }

    check_status_t status = CHECK_OK;
    bool restarted = self->prev_restarts >= 0 && u.n_restarts > self->prev_restarts;
    if (!streq (u.load_state, "loaded")) {
        self->finding = FINDING_UNFIXABLE;
        if (streq (u.load_state, "not-found"))
            kind_message (result->event, "unit %s not found (LoadState=not-found)", self->unit);
        else
        if (streq (u.load_state, "masked"))
            kind_message (result->event, "unit %s is masked", self->unit);
        else
            kind_message (result->event, "unit %s could not be loaded (LoadState=%s): check the unit file",
                       self->unit, u.load_state);
        status = CHECK_FAIL;
    }
    else
    if (streq (active, "active") || streq (active, "reloading")) {
        if (restarted && systemd_unit_last_failed (&u)) {
            self->finding = FINDING_CRASH_LOOP;
            kind_message (result->event, "unit %s is crash-looping: %lld restarts since the last check, last %s",
                       self->unit, (long long) (u.n_restarts - self->prev_restarts), how);
            status = CHECK_FAIL;
        }
        else
        if (u.main_pid > 0)
            kind_message (result->event, "unit %s is %s (%s, pid %lld)", self->unit, active, sub,
                       (long long) u.main_pid);
        else
            kind_message (result->event, "unit %s is %s (%s)", self->unit, active, sub);
    }
    else
    if (streq (active, "activating") && !streq (sub, "auto-restart")) {
        kind_message (result->event, "unit %s is starting (%s)", self->unit, sub);
        status = CHECK_WARN;
    }
    else {
        //  inactive, failed, deactivating, activating/auto-restart, unknown
        self->finding = systemd_unit_start_limit_hit (&u)? FINDING_START_LIMIT: FINDING_DEAD;
        kind_message (result->event, "unit %s is %s (%s%s%s), last %s", self->unit, active, sub,
                   u.result? ", result ": "", u.result? u.result: "", how);
        status = CHECK_FAIL;
    }
    self->prev_restarts = u.n_restarts;
    systemd_unit_clear (&u);
    return status;
}


//  systemctl --user VERB UNIT, logged. Returns its exit code or -1.
static int
s_call (systemd_check_t *self, const check_ctx_t *ctx, const char *verb, char *log, size_t len)
{
    const char *argv [] = { "systemctl", "--user", verb, self->unit, NULL };
    command_result_t res;
    int rc = s_systemctl (ctx, argv, &res);
    if (rc < 0)
        kind_append (log, len, "$ systemctl --user %s %s -> did not finish\n", verb, self->unit);
    else
        kind_append (log, len, "$ systemctl --user %s %s -> exit %d\n", verb, self->unit, rc);
    if (res.output && res.output_len)
        kind_append (log, len, "%.*s%s", (int) (res.output_len > 512? 512: res.output_len),
                  res.output, res.output [res.output_len - 1] == '\n'? "": "\n");
    command_result_free (&res);
    return rc;
}

static remedy_status_t
s_remedy (void *self_, const check_ctx_t *ctx, const check_result_t *failed,
          event_remedy_t *out)
{
    (void) failed;
    systemd_check_t *self = (systemd_check_t *) self_;
    char log [EVENT_MAX_TEXT];
    log [0] = 0;
    const char *action = NULL;
    remedy_status_t status = REMEDY_NONE;

    switch (self->finding) {
        case FINDING_START_LIMIT:
            action = "reset-failed+restart";
            //  a unit that hit its start limit refuses restart until reset
            s_call (self, ctx, "reset-failed", log, sizeof log);
            status = s_call (self, ctx, "restart", log, sizeof log) == 0
                   ? REMEDY_DONE: REMEDY_FAILED;
            break;
        case FINDING_DEAD:
            action = "restart";
            status = s_call (self, ctx, "restart", log, sizeof log) == 0
                   ? REMEDY_DONE: REMEDY_FAILED;
            break;
        case FINDING_CRASH_LOOP:
            action = "none";
            kind_append (log, sizeof log, "systemd is already restarting %s; a restart will "
                      "not stop it crashing: see `journalctl --user -u %s`\n",
                      self->unit, self->unit);
            break;
        case FINDING_UNFIXABLE:
            action = "none";
            kind_append (log, sizeof log, "nothing a restart can fix: install, unmask or "
                      "correct the unit file, then `systemctl --user daemon-reload`\n");
            break;
        case FINDING_NONE:
            break;
    }
    self->prev_restarts = -1;   //  our restart is not a crash
    kind_remedy_done (out, action, log);
    return status;
}

const check_kind_t check_kind_systemd = {
    .name = "systemd",
    .size = sizeof (systemd_check_t),
    .keys = s_keys,
    .remedy_keys = NULL,
    .setup = s_setup,
    .run = s_run,
    .remedy = s_remedy,
    .verify_default_ms = CHECK_VERIFY_SERVICE_MS,
};
