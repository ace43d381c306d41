//  totals — one check's lifetime counters (see totals.h).

#include "totals.h"

#include <string.h>

//  Names of the remedy results and alerts (bus vocabulary), in the order of
//  totals_t's arrays.
static const char *const s_remedy_names [TOTALS_REMEDIES] = {
    "healed", "failed", "skipped", "throttled", "gave_up"
};
static const char *const s_alert_names [TOTALS_ALERTS] = {
    "critical", "gave_up", "recovered"
};
static const char *const s_count_names [3] = { "runs", "failures", "heals" };

static int
s_index (const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; name && i < count; i++)
        if (streq (names [i], name))
            return (int) i;
    return -1;
}

bool
totals_count (totals_t *self, const outcome_t *out, const char *remedy_result)
{
    bool more = false;
    self->runs++;
    if (out->severity == SEVERITY_HEALED) {
        self->heals++;
        more = true;
    }
    else
    if (out->severity != SEVERITY_OK) {
        self->failures++;
        more = true;
    }
    int i = s_index (s_remedy_names, TOTALS_REMEDIES, remedy_result);
    if (i >= 0) {
        self->remedies [i]++;
        more = true;
    }
    for (size_t a = 0; a < out->alert_count && a < OUTCOME_MAX_ALERTS; a++) {
        i = s_index (s_alert_names, TOTALS_ALERTS, out->alerts [a]);
        if (i >= 0) {
            self->alerts [i]++;
            more = true;
        }
    }
    return more;
}

json_t *
totals_json (const totals_t *self)
{
    json_t *remedies = json_object ();
    for (size_t i = 0; i < TOTALS_REMEDIES; i++)
        json_object_set_new (remedies, s_remedy_names [i],
                             json_integer ((json_int_t) self->remedies [i]));
    json_t *alerts = json_object ();
    for (size_t i = 0; i < TOTALS_ALERTS; i++)
        json_object_set_new (alerts, s_alert_names [i],
                             json_integer ((json_int_t) self->alerts [i]));
    return json_pack ("{s:I, s:I, s:I, s:o, s:o}",
        "runs", (json_int_t) self->runs,
        "failures", (json_int_t) self->failures,
        "heals", (json_int_t) self->heals,
        "remedies", remedies,
        "alerts", alerts);
}

//  One count: absent is 0; else a non-negative integer.
static int
s_restore_one (const json_t *obj, const char *name, uint64_t *out)
{
    json_t *v = json_object_get (obj, name);
    if (!v) {
        *out = 0;
        return 0;
    }
    if (!json_is_integer (v) || json_integer_value (v) < 0)
        return -1;
    *out = (uint64_t) json_integer_value (v);
    return 0;
}

//  A group of counts by name ({result: n}); absent is all 0.
static int
s_restore_group (const json_t *obj, const char *group, const char *const *names,
                 size_t count, uint64_t *out)
{
    json_t *g = json_object_get (obj, group);
    memset (out, 0, count * sizeof (uint64_t));
    if (!g)
        return 0;
    if (!json_is_object (g))
        return -1;
    for (size_t i = 0; i < count; i++)
        if (s_restore_one (g, names [i], &out [i]))
            return -1;
    return 0;
}

int
totals_restore (totals_t *self, const json_t *obj)
{
    if (!obj) {
        memset (self, 0, sizeof *self);     //  written before totals existed
        return 0;
    }
    if (!json_is_object (obj))
        return -1;
    totals_t copy;
    uint64_t *counts [3] = { &copy.runs, &copy.failures, &copy.heals };
    for (size_t i = 0; i < 3; i++)
        if (s_restore_one (obj, s_count_names [i], counts [i]))
            return -1;
    if (s_restore_group (obj, "remedies", s_remedy_names, TOTALS_REMEDIES, copy.remedies)
    ||  s_restore_group (obj, "alerts", s_alert_names, TOTALS_ALERTS, copy.alerts))
        return -1;
    *self = copy;
    return 0;
}

static int
s_pack_name (msgpack_packer *pk, const char *prefix, const char *name)
{
    size_t plen = strlen (prefix), nlen = strlen (name);
    return msgpack_pack_str (pk, plen + nlen)
        || msgpack_pack_str_body (pk, prefix, plen)
        || msgpack_pack_str_body (pk, name, nlen);
}

int
totals_pack_columns (msgpack_packer *pk)
{
    int rc = msgpack_pack_array (pk, TOTALS_COLUMNS);
    for (size_t i = 0; i < 3 && !rc; i++)
        rc = s_pack_name (pk, "", s_count_names [i]);
    for (size_t i = 0; i < TOTALS_REMEDIES && !rc; i++)
        rc = s_pack_name (pk, "remedies.", s_remedy_names [i]);
    for (size_t i = 0; i < TOTALS_ALERTS && !rc; i++)
        rc = s_pack_name (pk, "alerts.", s_alert_names [i]);
    return rc? -1: 0;
}

int
totals_pack (const totals_t *self, msgpack_packer *pk)
{
    int rc = msgpack_pack_array (pk, TOTALS_COLUMNS)
          || msgpack_pack_uint64 (pk, self->runs)
          || msgpack_pack_uint64 (pk, self->failures)
          || msgpack_pack_uint64 (pk, self->heals);
    for (size_t i = 0; i < TOTALS_REMEDIES && !rc; i++)
        rc = msgpack_pack_uint64 (pk, self->remedies [i]);
    for (size_t i = 0; i < TOTALS_ALERTS && !rc; i++)
        rc = msgpack_pack_uint64 (pk, self->alerts [i]);
    return rc? -1: 0;
}
