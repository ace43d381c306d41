//  state — heal's own state in state_dir/state.json: per check severity,
//  streak, since, last event, remediation budget (attempt timestamps, backoff,
//  gave_up), mute and the lifetime totals (totals.h). Written atomically
//  (heal_write_atomic); loaded at start, validated entry by entry: a corrupt
//  file is logged and ignored, a bad entry is skipped. Format: docs/agent.md.

#include "agent_impl.h"
#include "incidents.h"
#include "state.h"

#include <errno.h>
#include <string.h>

#define STATE_VERSION 1

static json_t *
s_check_json (const agent_check_t *check)
{
    json_t *attempts = json_array ();
    for (int i = 0; i < check->health.budget.count; i++)
        json_array_append_new (attempts, json_integer (check->health.budget.attempts [i]));
    json_t *obj = json_pack ("{s:o, s:I, s:I, s:o, s:I, s:b, s:I}",
        "severity", check->health.has_severity? json_string (severity_name (check->health.severity))
                                       : json_null (),
        "streak", (json_int_t) check->health.streak,
        "since", (json_int_t) check->health.since,
        "attempts", attempts,
        "backoff_until", (json_int_t) check->health.budget.backoff_until,
        "gave_up", check->health.budget.gave_up,
        "mute_until", (json_int_t) check->health.budget.mute_until);
    if (obj && check->last)
        json_object_set (obj, "last", check->last);
    if (obj)
        json_object_set_new (obj, "totals", totals_json (&check->totals));
    return obj;
}

int
state_save (agent_t *self)
{
    if (!self->state_path)
        return -1;
    json_t *checks = json_object ();
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].present)
            json_object_set_new (checks, self->checks [i].name,
                                 s_check_json (&self->checks [i]));
    json_t *root = json_pack ("{s:i, s:I, s:o}", "version", STATE_VERSION,
                              "saved", (json_int_t) event_now_ms (), "checks", checks);
    incidents_state_save (self, root, event_now_ms ());
    char *text = root? json_dumps (root, JSON_COMPACT): NULL;
    json_decref (root);
    int rc = -1;
    if (text) {
        rc = heal_write_atomic (self->state_path, text, strlen (text), 0600);
        if (rc)
            zsys_error ("agent: cannot write %s: %s", self->state_path, strerror (errno));
        free (text);
    }
    if (rc == 0) {
        self->state_dirty = false;
        self->state_flush_at = 0;
    }
    return rc;
}

static bool
s_int (json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = json_object_get (obj, key);
    if (!v)
        return true;            //  absent: keep the default
    if (!json_is_integer (v))
        return false;
    json_int_t n = json_integer_value (v);
    if (n < min || n > max)
        return false;
    *out = (int64_t) n;
    return true;
}

//  Restore one check; false when the entry is invalid (then nothing is kept).
static bool
s_check_restore (agent_check_t *check, json_t *obj)
{
    if (!json_is_object (obj))
        return false;
    agent_check_t copy = *check;
    json_t *sev = json_object_get (obj, "severity");
    if (json_is_string (sev)) {
        int s = severity_from_name (json_string_value (sev));
        if (s < 0)
            return false;
        copy.health.has_severity = true;
        copy.health.severity = (severity_t) s;
    }
    else
    if (sev && !json_is_null (sev))
        return false;
    int64_t huge = INT64_MAX / 4;
    int64_t n = 0;
    if (!s_int (obj, "streak", 0, huge, &copy.health.streak)
    ||  !s_int (obj, "since", 0, huge, &copy.health.since)
    ||  !s_int (obj, "backoff_until", 0, huge, &copy.health.budget.backoff_until)
    ||  !s_int (obj, "mute_until", 0, huge, &copy.health.budget.mute_until))
        return false;
    json_t *gave_up = json_object_get (obj, "gave_up");
    if (gave_up && !json_is_boolean (gave_up))
        return false;
    copy.health.budget.gave_up = json_is_true (gave_up);
    json_t *attempts = json_object_get (obj, "attempts");
    if (attempts) {
        if (!json_is_array (attempts))
            return false;
        size_t i;
        json_t *a;
        json_array_foreach (attempts, i, a)
            if (!json_is_integer (a) || json_integer_value (a) < 0)
                return false;
    }
    (void) n;
    json_t *last = json_object_get (obj, "last");
    if (last && !json_is_object (last))
        return false;
    if (totals_restore (&copy.totals, json_object_get (obj, "totals")))
        return false;
    *check = copy;
    //  Valid: the attempt times (allocated per check, as many as configured).
    check->health.budget.count = 0;
    if (attempts) {
        size_t i;
        json_t *a;
        json_array_foreach (attempts, i, a)
            remedy_budget_restore (&check->health.budget, check->cfg,
                                   (int64_t) json_integer_value (a));
    }
    if (last) {
        json_decref (check->last);
        check->last = json_incref (last);
        check->last_serial++;
    }
    return true;
}

int
state_load (agent_t *self)
{
    size_t size = 0;
    //  Never through a symlink, never a file someone else could have planted.
    char *text = heal_read_file_private (self->state_path, AGENT_STATE_MAX_FILE, &size);
    if (!text) {
        if (errno != ENOENT)
            zsys_warning ("agent: cannot read %s: %s; starting afresh",
                          self->state_path, strerror (errno));
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb (text, size, JSON_REJECT_DUPLICATES, &jerr);
    free (text);
    json_t *version = root? json_object_get (root, "version"): NULL;
    json_t *checks = root? json_object_get (root, "checks"): NULL;
    if (!root || !json_is_object (root) || !json_is_integer (version)
    ||  json_integer_value (version) != STATE_VERSION || !json_is_object (checks)) {
        zsys_warning ("agent: %s is not a valid state file (%s); ignoring it",
                      self->state_path, root? "unexpected layout": jerr.text);
        json_decref (root);
        return -1;
    }
    const char *name;
    json_t *entry;
    json_object_foreach (checks, name, entry) {
        agent_check_t *check = agent_check_find (self, name);
        if (!check)
            continue;           //  no longer configured
        if (!s_check_restore (check, entry))
            zsys_warning ("agent: %s: invalid entry for check '%s'; ignoring it",
                          self->state_path, check->name);
    }
    incidents_state_load (self, root, event_now_ms ());
    json_decref (root);
    return 0;
}
