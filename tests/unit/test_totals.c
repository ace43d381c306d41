//  test_totals — a check's lifetime counters: what each outcome adds, the
//  JSON kept in state.json and its strict restore, the `metrics` columns and
//  row as msgpack. No processes, sockets or clocks.

#include "totals.h"

#include <stdio.h>
#include <string.h>
#include "unit.h"

//  An outcome of severity with the given alerts (NULL-terminated).
static outcome_t
s_outcome (severity_t severity, const char *alert)
{
    outcome_t out;
    memset (&out, 0, sizeof out);
    out.severity = severity;
    if (alert)
        out.alerts [out.alert_count++] = alert;
    return out;
}

static int64_t
s_get (const json_t *obj, const char *group, const char *name)
{
    const json_t *g = group? json_object_get (obj, group): obj;
    return (int64_t) json_integer_value (json_object_get (g, name));
}

int main (void);

int
main (void)
{
    totals_t t;
    memset (&t, 0, sizeof t);

    //  A steady ok adds a run and nothing a restart must hurry to keep.
    outcome_t ok = s_outcome (SEVERITY_OK, NULL);
    CHECK (!totals_count (&t, &ok, NULL));
    CHECK (t.runs == 1 && t.failures == 0 && t.heals == 0);

    //  A critical with its alert and a throttled remedy.
    outcome_t crit = s_outcome (SEVERITY_CRITICAL, "critical");
    CHECK (totals_count (&t, &crit, "throttled"));
    //  Healed, recovered.
    outcome_t healed = s_outcome (SEVERITY_HEALED, "recovered");
    CHECK (totals_count (&t, &healed, "healed"));
    //  Gave up: a warning, the gave_up alert and result.
    outcome_t gave = s_outcome (SEVERITY_WARNING, "gave_up");
    CHECK (totals_count (&t, &gave, "gave_up"));
    //  An unknown result word counts the run, not a remedy.
    outcome_t unknown = s_outcome (SEVERITY_UNKNOWN, "nonsense");
    CHECK (totals_count (&t, &unknown, "pending"));
    CHECKF (t.runs == 5 && t.failures == 3 && t.heals == 1, "%llu %llu %llu",
            (unsigned long long) t.runs, (unsigned long long) t.failures,
            (unsigned long long) t.heals);

    json_t *j = totals_json (&t);
    CHECK (j != NULL);
    CHECK (s_get (j, NULL, "runs") == 5);
    CHECK (s_get (j, "remedies", "healed") == 1);
    CHECK (s_get (j, "remedies", "throttled") == 1);
    CHECK (s_get (j, "remedies", "gave_up") == 1);
    CHECK (s_get (j, "remedies", "failed") == 0);
    CHECK (json_object_get (json_object_get (j, "remedies"), "skipped") != NULL);
    CHECK (s_get (j, "alerts", "critical") == 1);
    CHECK (s_get (j, "alerts", "recovered") == 1);
    CHECK (s_get (j, "alerts", "gave_up") == 1);
    CHECK (json_object_size (json_object_get (j, "alerts")) == TOTALS_ALERTS);

    //  Round trip.
    totals_t back;
    memset (&back, 0xff, sizeof back);
    CHECK (totals_restore (&back, j) == 0);
    CHECK (memcmp (&back, &t, sizeof t) == 0);
    json_decref (j);

    //  An older state file (no totals): all 0.
    CHECK (totals_restore (&back, NULL) == 0);
    CHECK (back.runs == 0 && back.alerts [0] == 0);
    //  Missing names are 0; invalid ones refuse the whole entry, untouched.
    json_t *partial = json_pack ("{s:I, s:{s:I}}", "heals", (json_int_t) 7,
                                 "remedies", "healed", (json_int_t) 7);
    CHECK (totals_restore (&back, partial) == 0);
    CHECK (back.heals == 7 && back.runs == 0 && back.remedies [0] == 7);
    json_decref (partial);
    const char *bad [] = {
        "[]", "{\"runs\": -1}", "{\"runs\": \"3\"}", "{\"remedies\": []}",
        "{\"alerts\": {\"critical\": 1.5}}", NULL
    };
    for (size_t i = 0; bad [i]; i++) {
        json_t *b = json_loads (bad [i], 0, NULL);
        CHECK (b != NULL);
        CHECKF (totals_restore (&back, b) == -1, "%s", bad [i]);
        CHECKF (back.heals == 7, "%s", bad [i]);
        json_decref (b);
    }

    //  The `metrics` columns and a row: same length, names in order.
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    CHECK (totals_pack_columns (&pk) == 0);
    CHECK (totals_pack (&t, &pk) == 0);
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    size_t off = 0;
    CHECK (msgpack_unpack_next (&u, buf.data, buf.size, &off) == MSGPACK_UNPACK_SUCCESS);
    msgpack_object names = u.data;
    CHECK (names.type == MSGPACK_OBJECT_ARRAY && names.via.array.size == TOTALS_COLUMNS);
    if (names.type == MSGPACK_OBJECT_ARRAY && names.via.array.size == TOTALS_COLUMNS) {
        msgpack_object_str first = names.via.array.ptr [0].via.str;
        msgpack_object_str third = names.via.array.ptr [3].via.str;
        msgpack_object_str last = names.via.array.ptr [TOTALS_COLUMNS - 1].via.str;
        CHECK (first.size == 4 && memcmp (first.ptr, "runs", 4) == 0);
        CHECK (third.size == 15 && memcmp (third.ptr, "remedies.healed", 15) == 0);
        CHECK (last.size == 16 && memcmp (last.ptr, "alerts.recovered", 16) == 0);
    }
    CHECK (msgpack_unpack_next (&u, buf.data, buf.size, &off) == MSGPACK_UNPACK_SUCCESS);
    msgpack_object row = u.data;
    CHECK (row.type == MSGPACK_OBJECT_ARRAY && row.via.array.size == TOTALS_COLUMNS);
    if (row.type == MSGPACK_OBJECT_ARRAY && row.via.array.size == TOTALS_COLUMNS) {
        CHECK (row.via.array.ptr [0].via.u64 == 5);
        CHECK (row.via.array.ptr [2].via.u64 == 1);
        CHECK (row.via.array.ptr [3].via.u64 == 1);         //  remedies.healed
        CHECK (row.via.array.ptr [8].via.u64 == 1);         //  alerts.critical
    }
    CHECK (off == buf.size);
    msgpack_unpacked_destroy (&u);
    msgpack_sbuffer_destroy (&buf);

    if (s_failed)
        fprintf (stderr, "test_totals: %d of %d failed\n", s_failed, s_checks);
    return s_failed? 1: 0;
}
