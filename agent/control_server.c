//  control_server — the agent's side of healctl (SPEC "Control"): a ROUTER
//  socket owned by the main thread, so `run` and `heal` can reply when their
//  results arrive while other requests are answered at once. Requests are
//  decoded strictly (control_request_decode); only configured checks can be
//  named and nothing in a request is ever executed or used as a path. Every
//  malformed request gets an error reply saying what was wrong, and is
//  counted. Commands and reply shapes: schemas/control-commands.md.

#include "agent_impl.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define CONTROL_MAX_MUTE_S  (30 * 24 * 3600)    //  mute at most 30 days
#define CONTROL_MAX_PENDING 256                 //  `run`/`heal` requests waiting

//  Send a reply to envelope (identity [+ empty delimiter]); borrows data.
static void
s_reply (agent_t *self, zmsg_t *envelope, bool ok, const char *error, const json_t *data)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (control_reply_encode (ok, error, data, &buf)) {
        msgpack_sbuffer_clear (&buf);
        control_reply_encode (false, "reply too large or not encodable", NULL, &buf);
    }
    zmsg_t *msg = zmsg_dup (envelope);
    if (msg) {
        zmsg_addmem (msg, buf.data, buf.size);
        zmsg_send (&msg, self->control);
        zmsg_destroy (&msg);
    }
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

static json_t *
s_check_status (agent_t *self, agent_check_t *check)
{
    int64_t now = event_now_ms ();
    const heal_check_config_t *cfg = check->cfg;
    remedy_budget_prune (&check->budget, cfg, now);
    json_t *last = check->last;
    json_t *message = last? json_object_get (last, "message"): NULL;
    json_t *budget = json_pack ("{s:i, s:i, s:I, s:I, s:b, s:I}",
        "used", check->budget.count,
        "attempts", remedy_budget_attempts (cfg),
        "within_ms", (json_int_t) cfg->within_ms,
        "backoff_ms", (json_int_t) cfg->backoff_ms,
        "gave_up", check->budget.gave_up,
        "backoff_until", (json_int_t) check->budget.backoff_until);
    int64_t interval = cfg->interval_ms > 0? cfg->interval_ms: self->gen->config->interval_ms;
    return json_pack ("{s:s, s:s, s:b, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:b, s:I, s:I, s:o, s:o}",
        "name", check->name,
        "kind", cfg->kind? cfg->kind: "",
        "critical", cfg->critical,
        "severity", check->has_severity? json_string (severity_name (check->severity))
                                       : json_null (),
        "since", (json_int_t) check->since,
        "streak", (json_int_t) check->streak,
        "message", json_is_string (message)? json_incref (message): json_null (),
        "remedy", check->last_remedy_result? json_string (check->last_remedy_result)
                                           : json_null (),
        "muted_until", check->budget.mute_until > now
                       ? json_integer (check->budget.mute_until): json_null (),
        "budget", budget? budget: json_null (),
        "running", check->job != NULL && !check->job->abandoned,
        "interval_ms", (json_int_t) interval,
        "timeout_ms", (json_int_t) (cfg->timeout_ms > 0? cfg->timeout_ms
                                                        : CONFIG_DEFAULT_TIMEOUT_MS),
        "last", last? json_incref (last): json_null (),
        "totals", agent_totals_json (&check->totals));
}

json_t *
agent_status_json (agent_t *self)
{
    json_t *checks = json_array ();
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].present) {
            json_t *c = s_check_status (self, &self->checks [i]);
            if (c)
                json_array_append_new (checks, c);
        }
    int64_t counts [SEVERITY_COUNT];
    bool degraded = false;
    severity_t worst = agent_worst (self, counts, &degraded, NULL);
    json_t *counts_json = json_object ();
    for (int s = 0; s < SEVERITY_COUNT; s++)
        json_object_set_new (counts_json, severity_name ((severity_t) s),
                             json_integer (counts [s]));
    json_t *counters = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "bus_sent", (json_int_t) (self->pub? bus_publisher_sent (self->pub): 0),
        "bus_dropped", (json_int_t) (self->pub? bus_publisher_dropped (self->pub): 0),
        "inbound_forwarded", (json_int_t) (self->inbound? bus_inbound_forwarded (self->inbound): 0),
        "inbound_invalid", (json_int_t) (self->inbound? bus_inbound_invalid (self->inbound): 0),
        "control_requests", (json_int_t) self->control_requests,
        "control_errors", (json_int_t) self->control_errors,
        "timeouts", (json_int_t) self->timeouts,
        "results_discarded", (json_int_t) self->results_discarded,
        "remediations", (json_int_t) self->remediations,
        "emitted", (json_int_t) self->emitted);
    json_t *agent = json_pack ("{s:s, s:I, s:s, s:I, s:o, s:I, s:I, s:I}",
        "version", HEAL_VERSION,
        "pid", (json_int_t) getpid (),
        "host", heal_hostname (),
        "started", (json_int_t) self->started,
        "config", self->config_file? json_string (self->config_file): json_null (),
        "cycle", (json_int_t) self->cycle,
        "workers", (json_int_t) self->running,
        "queued", (json_int_t) zlistx_size (self->queue));
    return json_pack ("{s:o, s:o, s:s, s:b, s:o, s:o, s:O}",
        "agent", agent? agent: json_null (),
        "counters", counters? counters: json_null (),
        "worst", severity_name (worst),
        "degraded", degraded,
        "counts", counts_json,
        "checks", checks,
        "last_cycle", self->last_cycle? self->last_cycle: json_null ());
}

//  `metrics`: what heal-exporter renders, and only that, packed straight
//  into msgpack: one row (array) per check, no JSON built on the way, so a
//  scrape of 1,000 checks stays cheap for this thread. Shape:
//  schemas/control-commands.md.
static int
s_pack_str (msgpack_packer *pk, const char *text)
{
    return msgpack_pack_str_with_body (pk, text, strlen (text));
}

static int
s_pack_json_or_nil (msgpack_packer *pk, json_t *value)
{
    return value? control_pack_json (pk, value, 1): msgpack_pack_nil (pk);
}

static int
s_metrics_pack (agent_t *self, msgpack_packer *pk)
{
    static const char *const columns [] = {
        "name", "kind", "critical", "severity", "duration_ms", "metrics", "totals"
    };
    size_t rows = 0;
    for (size_t i = 0; i < self->check_count; i++)
        rows += self->checks [i].present;
    json_t *totals = agent_totals_columns ();
    json_t *cycle_ms = self->last_cycle? json_object_get (self->last_cycle, "duration_ms"): NULL;
    json_t *diagnosis_ms = self->diagnosis? json_object_get (self->diagnosis, "latency_ms"): NULL;
    int rc = msgpack_pack_map (pk, 9)
        ||  s_pack_str (pk, "host") || s_pack_str (pk, heal_hostname ())
        ||  s_pack_str (pk, "version") || s_pack_str (pk, HEAL_VERSION)
        ||  s_pack_str (pk, "started") || msgpack_pack_int64 (pk, self->started)
        ||  s_pack_str (pk, "bus_dropped")
        ||  msgpack_pack_uint64 (pk, self->pub? bus_publisher_dropped (self->pub): 0)
        ||  s_pack_str (pk, "cycle_ms") || s_pack_json_or_nil (pk, cycle_ms)
        ||  s_pack_str (pk, "diagnosis_ms") || s_pack_json_or_nil (pk, diagnosis_ms)
        ||  s_pack_str (pk, "totals") || s_pack_json_or_nil (pk, totals)
        ||  s_pack_str (pk, "columns") || msgpack_pack_array (pk, 7);
    for (size_t c = 0; c < 7 && rc == 0; c++)
        rc = s_pack_str (pk, columns [c]);
    rc = rc || s_pack_str (pk, "checks") || msgpack_pack_array (pk, rows);
    for (size_t i = 0; i < self->check_count && rc == 0; i++) {
        agent_check_t *check = &self->checks [i];
        if (!check->present)
            continue;
        json_t *last = check->last;
        const agent_totals_t *t = &check->totals;
        rc = msgpack_pack_array (pk, 7)
          || s_pack_str (pk, check->name)
          || s_pack_str (pk, check->cfg->kind? check->cfg->kind: "")
          || (check->cfg->critical? msgpack_pack_true (pk): msgpack_pack_false (pk))
          || (check->has_severity? s_pack_str (pk, severity_name (check->severity))
                                 : msgpack_pack_nil (pk))
          || s_pack_json_or_nil (pk, last? json_object_get (last, "duration_ms"): NULL)
          || s_pack_json_or_nil (pk, last? json_object_get (last, "metrics"): NULL)
          || msgpack_pack_array (pk, 3 + AGENT_TOTALS_REMEDIES + AGENT_TOTALS_ALERTS)
          || msgpack_pack_uint64 (pk, t->runs)
          || msgpack_pack_uint64 (pk, t->failures)
          || msgpack_pack_uint64 (pk, t->heals);
        for (size_t k = 0; k < AGENT_TOTALS_REMEDIES && rc == 0; k++)
            rc = msgpack_pack_uint64 (pk, t->remedies [k]);
        for (size_t k = 0; k < AGENT_TOTALS_ALERTS && rc == 0; k++)
            rc = msgpack_pack_uint64 (pk, t->alerts [k]);
    }
    json_decref (totals);
    return rc? -1: 0;
}

static void
s_cmd_metrics (agent_t *self, zmsg_t *envelope)
{
    msgpack_sbuffer data, reply;
    msgpack_sbuffer_init (&data);
    msgpack_sbuffer_init (&reply);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &data, msgpack_sbuffer_write);
    if (s_metrics_pack (self, &pk)
    ||  control_reply_encode_packed (data.data, data.size, &reply))
        s_reply (self, envelope, false, "reply too large or not encodable", NULL);
    else {
        zmsg_t *msg = zmsg_dup (envelope);
        if (msg) {
            zmsg_addmem (msg, reply.data, reply.size);
            zmsg_send (&msg, self->control);
            zmsg_destroy (&msg);
        }
    }
    msgpack_sbuffer_destroy (&data);
    msgpack_sbuffer_destroy (&reply);
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
                              "cycle", (json_int_t) self->cycle);
    s_reply (self, pending->envelope, true, NULL, data);
    json_decref (data);
}

void
agent_control_result (agent_t *self, agent_check_t *check)
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
agent_control_destroy_pendings (agent_t *self)
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

static bool
s_argc (agent_t *self, zmsg_t *envelope, control_request_t *req, size_t min, size_t max)
{
    if (req->argc < min || req->argc > max) {
        if (min == max)
            s_error (self, envelope, "%s: expects %zu argument(s), got %zu",
                     req->cmd, min, req->argc);
        else
            s_error (self, envelope, "%s: expects %zu to %zu arguments, got %zu",
                     req->cmd, min, max, req->argc);
        return false;
    }
    return true;
}

static void
s_cmd_run (agent_t *self, zmsg_t *envelope, control_request_t *req, bool heal)
{
    if (!s_argc (self, envelope, req, heal? 1: 0, 1))
        return;
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
            remedy_budget_reset (&check->budget);
            agent_state_changed (self, true);
        }
        agent_dispatch (self, check, heal);
        return;
    }
    //  All checks: a full cycle now.
    agent_pending_t *pending = s_pending_new (envelope, self->check_count);
    if (!pending) {
        s_error (self, envelope, "%s: out of memory", req->cmd);
        return;
    }
    agent_cycle_start (self, true);
    //  Await the members still running (one that could not even start has
    //  already completed).
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].present && self->checks [i].cycle_member)
            pending->names [pending->count++] = strdup (self->checks [i].name);
    pending->left = pending->count;
    zlistx_add_end (self->pendings, pending);
    agent_control_result (self, NULL);   //  nothing to wait for: reply now
}

static void
s_cmd_mute (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    if (!s_argc (self, envelope, req, 2, 2))
        return;
    agent_check_t *check = s_named_check (self, envelope, req, 0);
    if (!check)
        return;
    const char *text = req->args [1];
    char *end = NULL;
    errno = 0;
    long long seconds = strtoll (text, &end, 10);
    if (errno || !end || *end || end == text || seconds <= 0
    ||  seconds > CONTROL_MAX_MUTE_S) {
        s_error (self, envelope, "mute: seconds must be an integer from 1 to %d",
                 CONTROL_MAX_MUTE_S);
        return;
    }
    check->budget.mute_until = event_now_ms () + (int64_t) seconds * 1000;
    agent_state_changed (self, true);
    json_t *data = json_pack ("{s:s, s:I}", "check", check->name,
                              "muted_until", (json_int_t) check->budget.mute_until);
    s_reply (self, envelope, true, NULL, data);
    json_decref (data);
}

static void
s_cmd_unmute (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    if (!s_argc (self, envelope, req, 1, 1))
        return;
    agent_check_t *check = s_named_check (self, envelope, req, 0);
    if (!check)
        return;
    check->budget.mute_until = 0;
    agent_state_changed (self, true);
    json_t *data = json_pack ("{s:s, s:n}", "check", check->name, "muted_until");
    s_reply (self, envelope, true, NULL, data);
    json_decref (data);
}

static void
s_request (agent_t *self, zmsg_t *envelope, control_request_t *req)
{
    const char *cmd = req->cmd;
    if (streq (cmd, "ping")) {
        if (!s_argc (self, envelope, req, 0, 0))
            return;
        json_t *data = json_string ("pong");
        s_reply (self, envelope, true, NULL, data);
        json_decref (data);
    }
    else
    if (streq (cmd, "version")) {
        if (!s_argc (self, envelope, req, 0, 0))
            return;
        json_t *data = json_pack ("{s:s, s:I, s:s, s:s}", "version", HEAL_VERSION,
                                  "pid", (json_int_t) getpid (), "host", heal_hostname (),
                                  "source", "heal-agent");
        s_reply (self, envelope, true, NULL, data);
        json_decref (data);
    }
    else
    if (streq (cmd, "status")) {
        if (!s_argc (self, envelope, req, 0, 0))
            return;
        json_t *data = agent_status_json (self);
        s_reply (self, envelope, true, NULL, data);
        json_decref (data);
    }
    else
    if (streq (cmd, "metrics")) {
        if (!s_argc (self, envelope, req, 0, 0))
            return;
        s_cmd_metrics (self, envelope);
    }
    else
    if (streq (cmd, "report")) {
        if (!s_argc (self, envelope, req, 0, 0))
            return;
        json_t *data = agent_report_json (self);
        s_reply (self, envelope, true, NULL, data);
        json_decref (data);
    }
    else
    if (streq (cmd, "run"))
        s_cmd_run (self, envelope, req, false);
    else
    if (streq (cmd, "heal"))
        s_cmd_run (self, envelope, req, true);
    else
    if (streq (cmd, "mute"))
        s_cmd_mute (self, envelope, req);
    else
    if (streq (cmd, "unmute"))
        s_cmd_unmute (self, envelope, req);
    else
    if (streq (cmd, "reload")) {
        if (!s_argc (self, envelope, req, 0, 0))
            return;
        char err [CONFIG_ERROR_MAX];
        if (agent_reload (self, err, sizeof err)) {
            s_error (self, envelope, "reload: %s", err);
            self->control_errors--;     //  a refused config is not a bad request
        }
        else {
            json_t *data = json_pack ("{s:I}", "checks", (json_int_t) self->check_count);
            s_reply (self, envelope, true, NULL, data);
            json_decref (data);
        }
    }
    else
    if (streq (cmd, "diagnosis")) {
        if (!s_argc (self, envelope, req, 0, 0))
            return;
        s_reply (self, envelope, true, NULL, self->diagnosis);
    }
    else {
        char *safe = heal_safe_string (cmd, strlen (cmd), CONTROL_MAX_CMD);
        s_error (self, envelope, "unknown command '%s' (commands: ping version status "
                 "metrics report run heal mute unmute reload diagnosis)", safe? safe: "?");
        free (safe);
    }
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
agent_control_handle (agent_t *self)
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
