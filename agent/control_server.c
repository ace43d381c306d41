//  control_server — the agent's side of healctl (SPEC "Control"): a ROUTER
//  socket owned by the main thread, so `run` and `heal` can reply when their
//  results arrive while other requests are answered at once. Requests are
//  decoded strictly (control_request_decode); only configured checks can be
//  named and nothing in a request is ever executed or used as a path. Every
//  malformed request gets an error reply saying what was wrong, and is
//  counted. Commands and reply shapes: schemas/control-commands.md.

#include "agent_impl.h"
#include "heal/commands.h"
#include "control_server.h"
#include "history.h"
#include "incidents.h"
#include "metrics.h"
#include "report.h"
#include "runs.h"
#include "state.h"
#include "status.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define CONTROL_MAX_MUTE_S  (30 * 24 * 3600)    //  mute at most 30 days
#define CONTROL_MAX_PENDING 256                 //  `run`/`heal` requests waiting

//  Send an encoded reply to envelope (identity [+ empty delimiter]) without
//  ever blocking. The ROUTER is ZMQ_ROUTER_MANDATORY: a client that pipelines
//  requests without reading fills its queue (sndhwm), and then its replies are
//  dropped and counted (control_replies_dropped) instead of vanishing.
static void
s_send (agent_t *self, zmsg_t *envelope, const msgpack_sbuffer *buf)
{
    void *handle = zsock_resolve (self->control);
    bool first = true;
    for (zframe_t *frame = zmsg_first (envelope); frame; frame = zmsg_next (envelope)) {
        if (zmq_send (handle, zframe_data (frame), zframe_size (frame),
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            //  Only the first frame can fail: the rest of a message follows it.
            if (first)
                self->control_replies_dropped++;
            return;
        }
        first = false;
    }
    if (zmq_send (handle, buf->data, buf->size, ZMQ_DONTWAIT) < 0 && first)
        self->control_replies_dropped++;
}

//  Send a reply to envelope; borrows data.
static void
s_reply (agent_t *self, zmsg_t *envelope, bool ok, const char *error, const json_t *data)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (control_reply_encode (ok, error, data, &buf)) {
        msgpack_sbuffer_clear (&buf);
        control_reply_encode (false, "reply too large or not encodable", NULL, &buf);
    }
    s_send (self, envelope, &buf);
    msgpack_sbuffer_destroy (&buf);
}

static void
s_error (agent_t *self, zmsg_t *envelope, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_error (agent_t *self, zmsg_t *envelope, const char *fmt, ...)
{
    char text [512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (text, sizeof text, fmt, args);
    va_end (args);
    self->control_errors++;
    s_reply (self, envelope, false, text, NULL);
}

//  ---------------------------------------------------------------------
//  Deferred replies (`run`, `heal`)

static void
s_pending_destroy (agent_pending_t **self_p)
{
    agent_pending_t *self = *self_p;
    if (!self)
        return;
    zmsg_destroy (&self->envelope);
    for (size_t i = 0; i < self->count; i++)
        free (self->names [i]);
    free (self->names);
    json_decref (self->results);
    free (self);
    *self_p = NULL;
}

static void
s_pending_reply (agent_t *self, agent_pending_t *pending)
{
    severity_t worst = SEVERITY_OK;
    const char *name;
    json_t *event;
    json_object_foreach (pending->results, name, event) {
        int s = severity_from_name (json_string_value (json_object_get (event, "severity")));
        if (s >= 0 && severity_worse ((severity_t) s, worst))
            worst = (severity_t) s;
    }
    json_t *data = json_pack ("{s:O, s:s, s:I}", "checks", pending->results,
                              "worst", severity_name (worst),
                              "cycle", (json_int_t) self->sched.cycle);
    s_reply (self, pending->envelope, true, NULL, data);
    json_decref (data);
}

void
control_server_result (agent_t *self, agent_check_t *check)
{
    if (!self->pendings)
        return;
    agent_pending_t *pending = (agent_pending_t *) zlistx_first (self->pendings);
    while (pending) {
        for (size_t i = 0; i < pending->count; i++) {
            if (!pending->names [i])
                continue;
            agent_check_t *awaited = agent_check_find (self, pending->names [i]);
            if (check && check == awaited) {
                json_object_set (pending->results, check->name,
                                 check->last? check->last: json_null ());
                zstr_free (&pending->names [i]);
                pending->left--;
            }
            else
            if (!awaited || !awaited->present) {
                zstr_free (&pending->names [i]);       //  gone after a reload
                pending->left--;
            }
        }
        if (pending->left == 0) {
            s_pending_reply (self, pending);
            zlistx_delete (self->pendings, zlistx_cursor (self->pendings));
            s_pending_destroy (&pending);
            self->report_after_run = true;
            pending = (agent_pending_t *) zlistx_first (self->pendings);
        }
        else
            pending = (agent_pending_t *) zlistx_next (self->pendings);
    }
}

void
control_server_destroy_pendings (agent_t *self)
{
    agent_pending_t *pending = (agent_pending_t *) zlistx_first (self->pendings);
    while (pending) {
        s_pending_destroy (&pending);
        pending = (agent_pending_t *) zlistx_next (self->pendings);
    }
    zlistx_purge (self->pendings);
}

static agent_pending_t *
s_pending_new (zmsg_t *envelope, size_t count)
{
    agent_pending_t *pending = (agent_pending_t *) zmalloc (sizeof (agent_pending_t));
    if (!pending)
        return NULL;
    pending->envelope = zmsg_dup (envelope);
    pending->names = (char **) calloc (count? count: 1, sizeof (char *));
    pending->results = json_object ();
    return pending;
}

//  ---------------------------------------------------------------------
//  Commands

static agent_check_t *
s_named_check (agent_t *self, zmsg_t *envelope, control_request_t *req, size_t at)
{
    if (req->argc <= at) {
        s_error (self, envelope, "%s: missing check name", req->cmd);
        return NULL;
    }
    const char *name = req->args [at];
    agent_check_t *check = heal_name_valid (name)? agent_check_find (self, name): NULL;
    if (!check || !check->present) {
        char *safe = heal_safe_string (name, strlen (name), EVENT_MAX_NAME);
        s_error (self, envelope, "%s: no check named '%s'", req->cmd, safe? safe: "?");
        free (safe);
        return NULL;
    }
    return check;
}

static void
s_run (agent_t *self, zmsg_t *envelope, control_request_t *req, bool heal)
{
    if (zlistx_size (self->pendings) >= CONTROL_MAX_PENDING) {
        s_error (self, envelope, "%s: too many requests waiting", req->cmd);
        return;
    }
    agent_check_t *check = NULL;
    if (req->argc == 1 && !(check = s_named_check (self, envelope, req, 0)))
        return;
    if (check) {
        agent_pending_t *pending = s_pending_new (envelope, 1);
        if (!pending) {
            s_error (self, envelope, "%s: out of memory", req->cmd);
            return;
        }
        pending->names [0] = strdup (check->name);
        pending->count = pending->left = 1;
        zlistx_add_end (self->pendings, pending);
        if (heal) {
            remedy_budget_reset (&check->health.budget);
            agent_state_changed (self, true);
        }
        runs_dispatch (self, check, heal);
        return;
    }
    //  All checks: a full cycle now.
    agent_pending_t *pending = s_pending_new (envelope, self->check_count);
    if (!pending) {
        s_error (self, envelope, "%s: out of memory", req->cmd);
        return;
    }
    runs_cycle_start (self, true);
    //  Await the members still running (one that could not even start has
    //  already completed).
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].present && self->checks [i].slot.member)
            pending->names [pending->count++] = strdup (self->checks [i].name);
    pending->left = pending->count;
    zlistx_add_end (self->pendings, pending);
    control_server_result (self, NULL);   //  nothing to wait for: reply now
}

static void
s_cmd_run (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    s_run (self, envelope, req, false);
}

static void
s_cmd_heal (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    s_run (self, envelope, req, true);
}

static void
s_cmd_mute (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    agent_check_t *check = s_named_check (self, envelope, req, 0);
    if (!check)
        return;
    uint64_t seconds = 0;
    if (heal_parse_decimal (req->args [1], CONTROL_MAX_MUTE_S, &seconds) || seconds == 0) {
        s_error (self, envelope, "mute: seconds must be an integer from 1 to %d",
                 CONTROL_MAX_MUTE_S);
        return;
    }
    check->health.budget.mute_until = event_now_ms () + (int64_t) seconds * 1000;
    //  The operator has taken the incident over.
    incidents_close (self, check->name, "muted", event_now_ms ());
    agent_state_changed (self, true);
    json_t *data = json_pack ("{s:s, s:I}", "check", check->name,
                              "muted_until", (json_int_t) check->health.budget.mute_until);
    s_reply (self, envelope, true, NULL, data);
    json_decref (data);
}

static void
s_cmd_unmute (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    agent_check_t *check = s_named_check (self, envelope, req, 0);
    if (!check)
        return;
    check->health.budget.mute_until = 0;
    agent_state_changed (self, true);
    json_t *data = json_pack ("{s:s, s:n}", "check", check->name, "muted_until");
    s_reply (self, envelope, true, NULL, data);
    json_decref (data);
}

//  Borrows data.
static void
s_ok (agent_t *self, zmsg_t *envelope, json_t *data)
{
    s_reply (self, envelope, true, NULL, data);
}

static void
s_cmd_ping (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    (void) req;
    json_t *data = json_string ("pong");
    s_ok (self, envelope, data);
    json_decref (data);
}

static void
s_cmd_version (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    (void) req;
    json_t *data = json_pack ("{s:s, s:I, s:s, s:s}", "version", HEAL_VERSION,
                              "pid", (json_int_t) getpid (), "host", heal_hostname (),
                              "source", "heal-agent");
    s_ok (self, envelope, data);
    json_decref (data);
}

//  The one hot command: encoded from each check's cached entry (status.c).
static void
s_cmd_status (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    //  status CHECK: the same reply (healctl shows the one check), once the
    //  name is known to be configured.
    if (req->argc == 1 && !s_named_check (self, envelope, req, 0))
        return;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (status_reply_encode (self, &buf))
        control_reply_encode (false, "reply too large or not encodable", NULL, &buf);
    s_send (self, envelope, &buf);
    msgpack_sbuffer_destroy (&buf);
}

//  heal-exporter's, on every scrape: packed straight from the checks (metrics.c).
static void
s_cmd_metrics (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    (void) req;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (metrics_reply_encode (self, &buf))
        control_reply_encode (false, "reply too large or not encodable", NULL, &buf);
    s_send (self, envelope, &buf);
    msgpack_sbuffer_destroy (&buf);
}

static void
s_cmd_report (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    (void) req;
    json_t *data = report_json (self);
    s_ok (self, envelope, data);
    json_decref (data);
}

static void
s_cmd_reload (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    (void) req;
    char err [CONFIG_ERROR_MAX];
    if (agent_reload (self, err, sizeof err)) {
        s_error (self, envelope, "reload: %s", err);
        self->control_errors--;     //  a refused config is not a bad request
        return;
    }
    json_t *data = json_pack ("{s:I}", "checks", (json_int_t) self->check_count);
    s_ok (self, envelope, data);
    json_decref (data);
}

static void
s_cmd_diagnosis (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    (void) req;
    s_ok (self, envelope, self->diagnosis);
}

//  A non-negative integer argument, at most max; false when it is not one.
static bool
s_count_arg (const char *text, int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll (text, &end, 10);
    if (errno || !end || *end || end == text || n < 0 || n > max)
        return false;
    *out = (int64_t) n;
    return true;
}

//  history [CHECK|*] [SINCE_S] [LIMIT]
static void
s_cmd_history (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    const char *name = NULL;
    if (req->argc >= 1 && *req->args [0] && !streq (req->args [0], "*")) {
        agent_check_t *check = s_named_check (self, envelope, req, 0);
        if (!check)
            return;
        name = check->name;
    }
    int64_t since_ms = HISTORY_DEFAULT_SINCE_MS;
    int64_t limit = INCIDENTS_REPLY_MAX;
    if (req->argc == 3 && !s_count_arg (req->args [2], INCIDENTS_REPLY_MAX, &limit)) {
        s_error (self, envelope, "history: limit must be from 0 to %d", INCIDENTS_REPLY_MAX);
        return;
    }
    if (req->argc >= 2) {
        int64_t seconds = 0;
        if (!s_count_arg (req->args [1], HISTORY_DAYS * 86400LL, &seconds) || seconds < 1) {
            s_error (self, envelope, "history: since must be seconds from 1 to %lld",
                     HISTORY_DAYS * 86400LL);
            return;
        }
        since_ms = seconds * 1000;
    }
    int64_t now = event_now_ms ();
    json_t *data = incidents_history_json (self, name, now - since_ms, now, (size_t) limit);
    s_ok (self, envelope, data);
    json_decref (data);
}

//  incidents [AFTER]
static void
s_cmd_incidents (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    int64_t after = 0;
    if (req->argc == 1 && !s_count_arg (req->args [0], INT64_MAX / 2, &after)) {
        s_error (self, envelope, "incidents: after must be an incident id (0 or more)");
        return;
    }
    json_t *data = incidents_after_json (self, after, INCIDENTS_REPLY_MAX);
    s_ok (self, envelope, data);
    json_decref (data);
}

typedef void (s_command_fn) (agent_t *self, zmsg_t *envelope, control_request_t *req);

//  The agent's side of the shared table (heal/commands.h): names, arity and
//  help are there; what each command does is here.
static s_command_fn *const s_commands [CONTROL_CMD_COUNT] = {
    [CONTROL_CMD_PING]      = s_cmd_ping,
    [CONTROL_CMD_VERSION]   = s_cmd_version,
    [CONTROL_CMD_STATUS]    = s_cmd_status,
    [CONTROL_CMD_REPORT]    = s_cmd_report,
    [CONTROL_CMD_RUN]       = s_cmd_run,
    [CONTROL_CMD_HEAL]      = s_cmd_heal,
    [CONTROL_CMD_MUTE]      = s_cmd_mute,
    [CONTROL_CMD_UNMUTE]    = s_cmd_unmute,
    [CONTROL_CMD_RELOAD]    = s_cmd_reload,
    [CONTROL_CMD_DIAGNOSIS] = s_cmd_diagnosis,
    [CONTROL_CMD_HISTORY]   = s_cmd_history,
    [CONTROL_CMD_INCIDENTS] = s_cmd_incidents,
    [CONTROL_CMD_METRICS]   = s_cmd_metrics,
};

static void
s_request (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    const control_command_t *cmd = control_command_find (req->cmd);
    if (!cmd || !cmd->agent || !s_commands [cmd->id]) {
        char names [256];
        control_command_names (names, sizeof names);
        char *safe = heal_safe_string (req->cmd, strlen (req->cmd), CONTROL_MAX_CMD);
        s_error (self, envelope, "unknown command '%s' (commands: %s)", safe? safe: "?",
                 names);
        free (safe);
        return;
    }
    char err [256];
    if (control_command_arity (cmd, req->argc, err, sizeof err)) {
        s_error (self, envelope, "%s", err);
        return;
    }
    s_commands [cmd->id] (self, envelope, req);
}

//  Read one ROUTER message and answer it (or queue its reply).
static void
s_handle_one (agent_t *self, zmsg_t *msg)
{
    self->control_requests++;
    zmsg_t *envelope = zmsg_new ();
    zframe_t *identity = zmsg_pop (msg);
    zmsg_append (envelope, &identity);
    //  A REQ client puts an empty delimiter before the body.
    zframe_t *first = zmsg_first (msg);
    if (first && zframe_size (first) == 0) {
        zframe_t *delimiter = zmsg_pop (msg);
        zmsg_append (envelope, &delimiter);
    }
    size_t frames = zmsg_size (msg);
    if (frames != 1) {
        s_error (self, envelope, "a request is one frame, got %zu", frames);
        goto done;
    }
    zframe_t *body = zmsg_first (msg);
    size_t size = zframe_size (body);
    if (size == 0) {
        s_error (self, envelope, "empty request frame");
        goto done;
    }
    if (size > CONTROL_MAX_REQUEST) {
        s_error (self, envelope, "request frame of %zu bytes is larger than %d",
                 size, CONTROL_MAX_REQUEST);
        goto done;
    }
    char err [256] = "";
    control_request_t *req = control_request_decode (zframe_data (body), size,
                                                     err, sizeof err);
    if (!req) {
        s_error (self, envelope, "malformed request: %s", *err? err: "cannot decode");
        goto done;
    }
    s_request (self, envelope, req);
    control_request_destroy (&req);
done:
    zmsg_destroy (&envelope);
}

void
control_server_handle (agent_t *self)
{
    for (int n = 0; n < 100 && (zsock_events (self->control) & ZMQ_POLLIN); n++) {
        zmsg_t *msg = zmsg_recv (self->control);
        if (!msg)
            break;
        if (zmsg_size (msg) >= 1)
            s_handle_one (self, msg);
        zmsg_destroy (&msg);
    }
}
