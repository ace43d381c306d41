//  incident_query — the `history` and `incidents` replies (incidents.h):
//  the counters of the checks asked for, and the incidents, from memory
//  (the newest INCIDENTS_RECENT closed ones) or, further back, the files.

#include "incident_file.h"
#include "incidents_impl.h"

#include <string.h>

static json_t *
s_sum_json (const history_sum_t *sum)
{
    json_t *results = json_object ();
    static const char *names [HISTORY_REMEDY_COUNT] = {
        "healed", "failed", "skipped", "throttled", "gave_up"
    };
    for (int r = 0; r < HISTORY_REMEDY_COUNT; r++)
        json_object_set_new (results, names [r], json_integer (sum->remedies [r]));
    int64_t remedies = sum->remedies [HISTORY_REMEDY_HEALED]
                     + sum->remedies [HISTORY_REMEDY_FAILED];
    return json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
        "heals", (json_int_t) sum->heals,
        "failures", (json_int_t) sum->failures,
        "gave_up", (json_int_t) sum->gave_up,
        "remedies", (json_int_t) remedies,
        "down_ms", (json_int_t) sum->down_ms,
        "mttr_ms", (json_int_t) (sum->heals? sum->heal_ms / sum->heals: 0),
        "runs", (json_int_t) sum->runs,
        "muted_ms", (json_int_t) sum->muted_ms,
        "remedy_results", results);
}

typedef struct {
    const char *check;          //  NULL: all
    char needle [EVENT_MAX_NAME + 16];
    int64_t since;
    size_t limit;
    json_t *list;
    bool more;
} s_query_t;

static bool
s_recent_line (char *line, size_t len, void *arg)
{
    s_query_t *recent = (s_query_t *) arg;
    if (recent->check && !strstr (line, recent->needle))
        return true;
    json_t *record = json_loadb (line, len, 0, NULL);
    if (!json_is_object (record)) {
        json_decref (record);
        return true;
    }
    //  Records are in closing order: one closed before since ends the scan.
    if (json_integer_value (json_object_get (record, "closed")) < recent->since) {
        json_decref (record);
        return false;
    }
    if (recent->check
    &&  !incidents_is (json_string_value (json_object_get (record, "check")), recent->check)) {
        json_decref (record);
        return true;
    }
    if (json_array_size (recent->list) >= recent->limit) {
        recent->more = true;
        json_decref (record);
        return false;
    }
    json_array_append_new (recent->list, incidents_compact (record));
    json_decref (record);
    return true;
}

//  The closed incidents of a query from the ones kept in memory, newest
//  first. false (nothing added) when memory does not reach back far enough:
//  then the files answer.
static bool
s_from_memory (agent_t *self, s_query_t *query)
{
    incidents_t *inc = incidents_self (self);
    if (!inc)
        return false;
    bool covered = inc->complete;
    json_t *found = json_array ();
    for (size_t i = inc->count; i > 0 && found; i--) {
        const s_recent_t *r = &inc->recent [(inc->head + i - 1) % INCIDENTS_RECENT];
        if (r->closed < query->since) {
            covered = true;
            break;
        }
        if (query->check && !streq (query->check, r->check))
            continue;
        if (json_array_size (query->list) + json_array_size (found) >= query->limit) {
            query->more = true;
            covered = true;
            break;
        }
        json_t *record = json_loads (r->line, 0, NULL);
        if (record)
            json_array_append_new (found, record);
    }
    if (covered && found)
        json_array_extend (query->list, found);
    else
        query->more = false;
    json_decref (found);
    return covered;
}

json_t *
incidents_history_json (agent_t *self, const char *check, int64_t since, int64_t now,
                        size_t limit)
{
    json_t *checks = json_object ();
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *c = &self->checks [i];
        if (!c->present || (check && !streq (check, c->name)))
            continue;
        history_sum_t sum;
        if (incidents_history (self))
            history_sum (incidents_history (self), c->name, since, now, &sum);
        else
            memset (&sum, 0, sizeof sum);
        json_object_set_new (checks, c->name, s_sum_json (&sum));
    }
    //  Open incidents first (they are the newest news), newest opened first.
    json_t *list = json_array ();
    const char *name;
    json_t *incident;
    json_object_foreach (incidents_open (self), name, incident) {
        if (check && !streq (check, name))
            continue;
        json_t *copy = incidents_compact (incident);
        int64_t opened = json_integer_value (json_object_get (incident, "opened"));
        json_object_set_new (copy, "duration_ms", json_integer (now > opened? now - opened: 0));
        size_t at = 0;
        while (at < json_array_size (list)
        &&     json_integer_value (json_object_get (json_array_get (list, at), "opened")) > opened)
            at++;
        json_array_insert_new (list, at, copy);
    }
    s_query_t recent = { check, "", since, limit, list, false };
    if (check)
        snprintf (recent.needle, sizeof recent.needle, "\"check\":\"%s\"", check);
    if (json_array_size (list) >= limit)
        recent.more = true;
    else
    if (!s_from_memory (self, &recent))
        incident_file_scan_back (self->incidents_path, s_recent_line, &recent);
    return json_pack ("{s:I, s:I, s:o, s:o, s:b}",
        "since", (json_int_t) since,
        "now", (json_int_t) now,
        "checks", checks,
        "incidents", list,
        "more", recent.more);
}

typedef struct {
    int64_t after;
    size_t limit;
    zlistx_t *lines;            //  newest first (copies), the oldest limit seen
    int64_t last_id;
    bool more;                  //  newer ones were let go
} s_after_t;

static bool
s_after_line (char *line, size_t len, void *arg)
{
    (void) len;
    s_after_t *after = (s_after_t *) arg;
    int64_t id = incident_file_line_id (line);
    if (id < 0)
        return true;
    if (after->last_id < 0)
        after->last_id = id;
    if (id <= after->after)
        return false;
    zlistx_add_end (after->lines, strdup (line));
    if (zlistx_size (after->lines) > after->limit) {
        //  Scanning goes back in time: the newest kept is the one to let go.
        zlistx_first (after->lines);
        zlistx_delete (after->lines, zlistx_cursor (after->lines));
        after->more = true;
    }
    return true;
}

json_t *
incidents_after_json (agent_t *self, int64_t after, size_t limit)
{
    s_after_t scan = { after, limit, zlistx_new (), -1, false };
    if (!scan.lines)
        return NULL;
    zlistx_set_destructor (scan.lines, (zlistx_destructor_fn *) zstr_free);
    incident_file_scan_back (self->incidents_path, s_after_line, &scan);
    //  Oldest first, at most limit and half a reply's bytes: the caller asks
    //  again from the last id.
    json_t *list = json_array ();
    bool more = scan.more;
    size_t bytes = 0;
    for (char *line = (char *) zlistx_last (scan.lines); line && json_array_size (list) < limit;
         line = (char *) zlistx_prev (scan.lines)) {
        bytes += strlen (line);
        if (bytes > CONTROL_MAX_REPLY / 2 && json_array_size (list)) {
            more = true;
            break;
        }
        json_t *record = json_loads (line, 0, NULL);
        if (json_is_object (record))
            json_array_append_new (list, record);
        else
            json_decref (record);
    }
    zlistx_destroy (&scan.lines);
    json_t *open = json_array ();
    const char *name;
    json_t *incident;
    json_object_foreach (incidents_open (self), name, incident)
        json_array_append (open, incident);
    int64_t last = json_array_size (list)
        ? json_integer_value (json_object_get (json_array_get (list, json_array_size (list) - 1), "id"))
        : (scan.last_id > after? after: scan.last_id);
    return json_pack ("{s:o, s:o, s:I, s:b, s:I}",
        "incidents", list,
        "open", open,
        "last_id", (json_int_t) (last < 0? 0: last),
        "more", more,
        "next_id", (json_int_t) (incidents_self (self)? incidents_self (self)->next_id: 1));
}

