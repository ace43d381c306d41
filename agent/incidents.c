//  incidents — the incident lifecycle, the glue to the daily counters, the
//  state.json part and the closed incidents kept in memory (see incidents.h;
//  the replies are incident_query.c's).

#include "incident_file.h"
#include "incidents_impl.h"

#include <string.h>

incidents_t *
incidents_self (agent_t *self)
{
    if (!self->incidents) {
        self->incidents = (incidents_t *) zmalloc (sizeof (incidents_t));
        if (self->incidents) {
            self->incidents->history = history_new ();
            self->incidents->open = json_object ();
            self->incidents->next_id = 1;
            self->incidents->complete = true;
        }
    }
    return self->incidents;
}

history_t *
incidents_history (agent_t *self)
{
    incidents_t *inc = incidents_self (self);
    return inc? inc->history: NULL;
}

//  The open incidents (an empty object, never NULL, when out of memory).
json_t *
incidents_open (agent_t *self)
{
    static json_t *none;
    incidents_t *inc = incidents_self (self);
    if (inc && inc->open)
        return inc->open;
    if (!none)
        none = json_object ();
    return none;
}

//  Keep a closed incident (its short form, owned by the ring afterwards).
static void
s_recent_push (incidents_t *inc, json_t *compact)
{
    char *line = compact? json_dumps (compact, JSON_COMPACT): NULL;
    if (!line)
        return;
    if (inc->count == INCIDENTS_RECENT) {
        free (inc->recent [inc->head].line);
        inc->head = (inc->head + 1) % INCIDENTS_RECENT;
        inc->count--;
        inc->complete = false;
    }
    s_recent_t *slot = &inc->recent [(inc->head + inc->count) % INCIDENTS_RECENT];
    slot->closed = json_integer_value (json_object_get (compact, "closed"));
    snprintf (slot->check, sizeof slot->check, "%s",
              json_string_value (json_object_get (compact, "check"))
              ? json_string_value (json_object_get (compact, "check")): "");
    slot->line = line;
    inc->count++;
}

bool
incidents_is (const char *a, const char *b)
{
    return a && b && streq (a, b);
}

//  ---------------------------------------------------------------------
//  Building records

//  Add a remedy (from an event's remedy field) to incident, when one was tried.
static void
s_add_remedy (json_t *incident, json_t *remedy, int64_t now)
{
    if (!json_is_object (remedy) || json_integer_value (json_object_get (remedy, "attempt")) <= 0)
        return;
    json_t *list = json_object_get (incident, "remedies");
    if (json_array_size (list) >= INCIDENT_MAX_REMEDIES) {
        json_int_t dropped = json_integer_value (json_object_get (incident, "remedies_dropped"));
        json_object_set_new (incident, "remedies_dropped", json_integer (dropped + 1));
        return;
    }
    json_t *entry = json_deep_copy (remedy);
    if (!entry)
        return;
    json_t *output = json_object_get (entry, "output");
    if (json_is_string (output) && json_string_length (output) > INCIDENT_MAX_OUTPUT) {
        char cut [INCIDENT_MAX_OUTPUT + 1];
        //  Whole UTF-8 characters only.
        size_t n = INCIDENT_MAX_OUTPUT;
        const char *text = json_string_value (output);
        while (n > 0 && ((unsigned char) text [n] & 0xC0) == 0x80)
            n--;
        memcpy (cut, text, n);
        cut [n] = 0;
        json_object_set_new (entry, "output", json_string (cut));
    }
    json_object_set_new (entry, "ts", json_integer (now));
    json_array_append_new (list, entry);
}

static void
s_add_alerts (json_t *incident, const char *const *alerts, size_t count, int64_t now)
{
    json_t *list = json_object_get (incident, "alerts");
    for (size_t i = 0; i < count && list; i++)
        if (json_array_size (list) < INCIDENT_MAX_ALERTS)
            json_array_append_new (list, json_pack ("{s:s, s:I}", "alert", alerts [i],
                                                    "ts", (json_int_t) now));
}

//  The last diagnosis, when it names this check and came after opened.
static void
s_add_diagnosis (agent_t *self, json_t *incident, const char *name)
{
    json_t *diagnosis = self->diagnosis;
    json_t *checks = json_object_get (diagnosis, "checks");
    int64_t opened = json_integer_value (json_object_get (incident, "opened"));
    if (!json_is_array (checks)
    ||  json_integer_value (json_object_get (diagnosis, "ts")) < opened)
        return;
    size_t i;
    json_t *item;
    json_array_foreach (checks, i, item) {
        if (incidents_is (json_string_value (item), name)) {
            json_t *summary = json_object_get (diagnosis, "summary");
            json_t *cause = json_object_get (diagnosis, "root_cause");
            json_object_set_new (incident, "diagnosis", json_pack ("{s:I, s:O?, s:O?}",
                "ts", json_integer_value (json_object_get (diagnosis, "ts")),
                "summary", summary, "root_cause", cause));
            return;
        }
    }
}

//  A new incident from a check event. closed 0: still open.
static json_t *
s_incident_new (agent_t *self, agent_check_t *check, json_t *event, int64_t opened)
{
    json_t *message = json_object_get (event, "message");
    json_t *evidence = json_object_get (event, "evidence");
    json_t *incident = json_pack ("{s:n, s:s, s:I, s:n, s:s, s:I, s:s, s:b, s:O?, s:b, s:I,"
                                  " s:O?, s:o, s:O?, s:[], s:[], s:n}",
        "id",
        "check", check->name,
        "opened", (json_int_t) opened,
        "closed",
        "outcome", "open",
        "duration_ms", (json_int_t) 0,
        "kind", check->cfg->kind? check->cfg->kind: "",
        "critical", check->cfg->critical,
        "severity", json_object_get (event, "severity"),
        "gave_up", 0,
        "runs", (json_int_t) 0,
        "message", message,
        "evidence", json_is_array (evidence)? json_deep_copy (evidence): json_array (),
        "last_message", message,
        "remedies",
        "alerts",
        "diagnosis");
    (void) self;
    return incident;
}

//  The closed record: the fields in file order (id first: incident_file_line_id).
static json_t *
s_closed (json_t *incident, int64_t id, int64_t closed, const char *outcome)
{
    int64_t opened = json_integer_value (json_object_get (incident, "opened"));
    json_t *record = json_pack ("{s:I, s:O, s:I, s:I, s:s, s:I}",
        "id", (json_int_t) id,
        "check", json_object_get (incident, "check"),
        "opened", (json_int_t) opened,
        "closed", (json_int_t) closed,
        "outcome", outcome,
        "duration_ms", (json_int_t) (closed > opened? closed - opened: 0));
    if (record)
        json_object_update_missing (record, incident);
    return record;
}

//  An incident as the history reply shows it (new): no evidence, no
//  remedy outputs (`incidents` has the whole record).
json_t *
incidents_compact (json_t *incident)
{
    static const char *keys [] = {
        "id", "check", "opened", "closed", "outcome", "duration_ms", "severity",
        "gave_up", "runs", "message", "last_message", "alerts", "diagnosis"
    };
    json_t *out = json_object ();
    for (size_t i = 0; out && i < sizeof keys / sizeof keys [0]; i++) {
        json_t *value = json_object_get (incident, keys [i]);
        json_object_set (out, keys [i], value? value: json_null ());
    }
    json_t *remedies = json_array ();
    size_t i;
    json_t *remedy;
    json_array_foreach (json_object_get (incident, "remedies"), i, remedy)
        json_array_append_new (remedies, json_pack ("{s:O?, s:O?, s:O?}",
            "action", json_object_get (remedy, "action"),
            "result", json_object_get (remedy, "result"),
            "duration_ms", json_object_get (remedy, "duration_ms")));
    json_object_set_new (out, "remedies", remedies);
    return out;
}

//  Append a closed incident and forget the open copy. Takes incident.
static void
s_finish (agent_t *self, const char *name, json_t *incident, int64_t closed,
          const char *outcome)
{
    incidents_t *inc = incidents_self (self);
    if (!inc) {
        json_decref (incident);
        return;
    }
    int64_t id = inc->next_id > 0? inc->next_id: 1;
    s_add_diagnosis (self, incident, name);
    json_t *record = s_closed (incident, id, closed, outcome);
    json_decref (incident);
    char *line = record? json_dumps (record, JSON_COMPACT): NULL;
    if (line && self->incidents_path
    &&  incident_file_append (self->incidents_path, line, strlen (line), closed) == 0) {
        inc->next_id = id + 1;
        json_t *compact = incidents_compact (record);
        s_recent_push (inc, compact);
        json_decref (compact);
    }
    json_decref (record);
    free (line);
    json_object_del (inc->open, name);
    //  The record is in the file: the state follows within a second (a kill
    //  -9 meanwhile leaves the open copy there, which incidents_start drops).
    agent_state_changed (self, false);
}

//  ---------------------------------------------------------------------
//  Runs

void
incidents_run (agent_t *self, agent_check_t *check, int severity_i,
               const char *const *alerts, size_t alert_count, int64_t now)
{
    severity_t severity = (severity_t) severity_i;
    json_t *event = check->last;
    json_t *remedy = json_object_get (event, "remedy");
    const char *result = json_string_value (json_object_get (remedy, "result"));
    int64_t duration = json_integer_value (json_object_get (event, "duration_ms"));
    bool healed = severity == SEVERITY_HEALED;
    bool bad = severity != SEVERITY_OK && !healed;
    bool muted = remedy_budget_muted (&check->health.budget, now);
    bool gave_up = false;
    for (size_t i = 0; i < alert_count; i++)
        gave_up |= incidents_is (alerts [i], "gave_up");
    json_t *open = json_object_get (incidents_open (self), check->name);
    int64_t opened = open? json_integer_value (json_object_get (open, "opened"))
                         : now - duration;

    //  Counters.
    int64_t interval = check->cfg->interval_ms > 0? check->cfg->interval_ms
                                                  : self->gen->config->interval_ms;
    int64_t timeout = check->cfg->timeout_ms > 0? check->cfg->timeout_ms
                                                : CONFIG_DEFAULT_TIMEOUT_MS;
    history_run_t run = {
        .failed = bad || healed || (result && !incidents_is (result, "healed")),
        .healed = healed,
        .bad = bad,
        .muted = muted,
        .gave_up = gave_up,
        .remedy = history_remedy_from_name (result),
        .heal_ms = healed? (now > opened? now - opened: 0): 0,
        .max_gap_ms = 3 * interval + 2 * timeout,
    };
    history_t *history = incidents_history (self);
    if (history) {
        history_record (history, check->name, &run, now);
        //  A steady ok run does not rewrite state.json at once; its counts
        //  ride along with the next save, at the latest INCIDENTS_SAVE_MS on.
        incidents_t *inc = incidents_self (self);
        inc->unsaved = true;
        if (now - inc->saved_at >= INCIDENTS_SAVE_MS)
            agent_state_changed (self, false);
    }

    //  Incident.
    if (bad) {
        if (!open) {
            if (muted)
                return;             //  the operator has it
            open = s_incident_new (self, check, event, opened);
            if (!open || json_object_set_new (incidents_open (self), check->name, open))
                return;
        }
        json_object_set_new (open, "runs", json_integer (
            json_integer_value (json_object_get (open, "runs")) + 1));
        json_object_set (open, "last_message", json_object_get (event, "message"));
        int worst = severity_from_name (json_string_value (json_object_get (open, "severity")));
        if (worst < 0 || severity_worse (severity, (severity_t) worst))
            json_object_set_new (open, "severity", json_string (severity_name (severity)));
        s_add_remedy (open, remedy, now);
        s_add_alerts (open, alerts, alert_count, now);
        if (gave_up) {
            json_object_set_new (open, "gave_up", json_true ());
            json_object_set_new (open, "outcome", json_string ("gave_up"));
        }
        s_add_diagnosis (self, open, check->name);
        //  Saved with the check's severity and streak, within a second: an
        //  outage that fails 100 checks at once costs no 100 fsyncs.
        agent_state_changed (self, false);
        return;
    }
    if (open) {
        json_incref (open);
        s_add_remedy (open, remedy, now);
        s_add_alerts (open, alerts, alert_count, now);
        s_finish (self, check->name, open, now, healed? "healed": "recovered");
        return;
    }
    if (healed) {
        //  Healed within one run: the message before the remedy is the
        //  problem ("before remedy: ..." evidence, see worker.c).
        json_t *incident = s_incident_new (self, check, event, opened);
        if (!incident)
            return;
        json_t *evidence = json_object_get (event, "evidence");
        size_t i;
        json_t *line;
        json_array_foreach (evidence, i, line) {
            const char *text = json_string_value (line);
            if (text && strncmp (text, "before remedy: ", 15) == 0) {
                json_object_set_new (incident, "message", json_string (text + 15));
                break;
            }
        }
        json_object_set_new (incident, "runs", json_integer (1));
        json_object_set_new (incident, "severity", json_string ("healed"));
        s_add_remedy (incident, remedy, now);
        s_add_alerts (incident, alerts, alert_count, now);
        s_finish (self, check->name, incident, now, "healed");
    }
}

void
incidents_close (agent_t *self, const char *name, const char *outcome, int64_t now)
{
    json_t *open = json_object_get (incidents_open (self), name);
    if (open)
        s_finish (self, name, json_incref (open), now, outcome);
}

static bool
s_configured (const char *name, void *arg)
{
    agent_check_t *check = agent_check_find ((agent_t *) arg, name);
    return check && check->present;
}

void
incidents_reload (agent_t *self, int64_t now)
{
    if (incidents_history (self))
        history_prune (incidents_history (self), s_configured, self);
    json_t *open = incidents_open (self);
    const char *name;
    json_t *incident;
    void *tmp;
    json_object_foreach_safe (open, tmp, name, incident) {
        if (!s_configured (name, self))
            incidents_close (self, name, "removed", now);
    }
}

//  ---------------------------------------------------------------------
//  state.json

void
incidents_state_save (agent_t *self, json_t *root, int64_t now)
{
    if (!root)
        return;
    incidents_t *inc = incidents_self (self);
    if (!inc)
        return;
    if (inc->history)
        json_object_set_new (root, "history", history_to_json (inc->history, now));
    inc->unsaved = false;
    inc->saved_at = now;
    json_object_set_new (root, "incidents", json_pack ("{s:I, s:O}",
        "next_id", (json_int_t) inc->next_id, "open", incidents_open (self)));
}

void
incidents_state_load (agent_t *self, json_t *root, int64_t now)
{
    history_t *history = incidents_history (self);
    size_t skipped = 0;
    if (history && json_object_get (root, "history")) {
        if (history_from_json (history, json_object_get (root, "history"), now, &skipped))
            zsys_warning ("agent: state: history is not an object; starting afresh");
        else
        if (skipped)
            zsys_warning ("agent: state: %zu invalid history entries ignored", skipped);
        history_prune (history, s_configured, self);
    }
    json_t *incidents = json_object_get (root, "incidents");
    json_t *next = json_object_get (incidents, "next_id");
    if (json_is_integer (next) && json_integer_value (next) > 0 && incidents_self (self))
        incidents_self (self)->next_id = json_integer_value (next);
    json_t *open = json_object_get (incidents, "open");
    const char *name;
    json_t *incident;
    json_object_foreach (open, name, incident) {
        if (json_object_size (incidents_open (self)) >= INCIDENT_MAX_OPEN)
            break;
        if (!s_configured (name, self) || !json_is_object (incident)
        ||  !json_is_integer (json_object_get (incident, "opened"))
        ||  !json_is_array (json_object_get (incident, "remedies"))
        ||  !json_is_array (json_object_get (incident, "alerts"))
        ||  !incidents_is (json_string_value (json_object_get (incident, "check")), name))
            continue;
        json_object_set (incidents_open (self), name, incident);
    }
}

typedef struct {
    agent_t *self;
    int64_t last_id;            //  of the newest line, -1 none seen
    int64_t oldest;             //  the oldest open copy's opened
} s_repair_t;

//  The integer after "key": in a record line, or -1.
static int64_t
s_line_int (const char *line, const char *key)
{
    const char *p = strstr (line, key);
    if (!p)
        return -1;
    p += strlen (key);
    int64_t n = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 18) {
        n = n * 10 + (*p++ - '0');
        digits++;
    }
    return digits? n: -1;
}

static bool
s_repair_line (char *line, size_t len, void *arg)
{
    (void) len;
    s_repair_t *repair = (s_repair_t *) arg;
    int64_t id = incident_file_line_id (line);
    if (repair->last_id < 0 && id >= 0)
        repair->last_id = id;
    json_t *open = incidents_open (repair->self);
    if (!json_object_size (open))
        return false;           //  nothing to repair: the newest id was all we needed
    //  Lines are in closing order: one that closed before the oldest open
    //  copy opened cannot be any of them, nor can the lines before it.
    if (s_line_int (line, "\"closed\":") < repair->oldest)
        return false;
    //  A closed record whose open copy is still in the state: the close was
    //  cut short after the append. The record stands; the copy goes.
    const char *name;
    json_t *copy;
    void *tmp;
    json_object_foreach_safe (open, tmp, name, copy) {
        char needle [EVENT_MAX_NAME + 64];
        snprintf (needle, sizeof needle, "\"check\":\"%s\",\"opened\":%" PRId64 ",", name,
                  (int64_t) json_integer_value (json_object_get (copy, "opened")));
        if (strstr (line, needle)) {
            zsys_info ("agent: incident %" PRId64 " of '%s' was closed before a "
                       "restart; not closing it again", id, name);
            json_object_del (open, name);
        }
    }
    return true;
}

typedef struct {
    json_t **compact;           //  newest first, INCIDENTS_RECENT slots
    size_t count;
    bool complete;              //  the whole file was read
} s_fill_t;

static bool
s_fill_line (char *line, size_t len, void *arg)
{
    s_fill_t *fill = (s_fill_t *) arg;
    if (!fill->compact) {
        fill->compact = (json_t **) calloc (INCIDENTS_RECENT, sizeof (json_t *));
        if (!fill->compact)
            return false;
    }
    if (fill->count == INCIDENTS_RECENT) {
        fill->complete = false;
        return false;
    }
    json_t *record = json_loadb (line, len, 0, NULL);
    if (json_is_object (record))
        fill->compact [fill->count++] = incidents_compact (record);
    json_decref (record);
    return true;
}

void
incidents_start (agent_t *self)
{
    incidents_history (self);
    json_t *open = incidents_open (self);
    s_repair_t repair = { self, -1, INT64_MAX };
    const char *name;
    json_t *copy;
    json_object_foreach (open, name, copy) {
        int64_t opened = json_integer_value (json_object_get (copy, "opened"));
        if (opened < repair.oldest)
            repair.oldest = opened;
    }
    incident_file_scan_back (self->incidents_path, s_repair_line, &repair);
    incidents_t *inc = incidents_self (self);
    if (!inc)
        return;
    if (repair.last_id + 1 > inc->next_id)
        inc->next_id = repair.last_id + 1;
    if (inc->next_id < 1)
        inc->next_id = 1;
    //  The newest closed incidents, for `history`.
    s_fill_t fill = { NULL, 0, true };
    incident_file_scan_back (self->incidents_path, s_fill_line, &fill);
    for (size_t i = fill.count; i > 0; i--) {
        s_recent_push (inc, fill.compact [i - 1]);
        json_decref (fill.compact [i - 1]);
    }
    inc->complete = fill.complete;
    free (fill.compact);
}

void
incidents_destroy (agent_t *self)
{
    incidents_t *inc = self->incidents;
    if (!inc)
        return;
    history_destroy (&inc->history);
    json_decref (inc->open);
    for (size_t i = 0; i < inc->count; i++)
        free (inc->recent [(inc->head + i) % INCIDENTS_RECENT].line);
    free (inc);
    self->incidents = NULL;
}

int64_t
incidents_heals_7d (agent_t *self, const char *name, int64_t now)
{
    history_t *history = self->incidents? self->incidents->history: NULL;
    return history? history_heals_7d (history, name, now): 0;
}

int64_t
incidents_next_id (agent_t *self)
{
    return self->incidents? self->incidents->next_id: 1;
}

bool
incidents_unsaved (agent_t *self)
{
    return self->incidents && self->incidents->unsaved;
}
