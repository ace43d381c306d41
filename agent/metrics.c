//  metrics — the `metrics` reply (see metrics.h).

#include "agent_impl.h"
#include "metrics.h"

#include <string.h>

#define METRICS_COLUMNS 7           //  see s_columns

static const char *const s_columns [METRICS_COLUMNS] = {
    "name", "kind", "critical", "severity", "duration_ms", "metrics", "totals"
};

static int
s_pack_str (msgpack_packer *pk, const char *text)
{
    return msgpack_pack_str_with_body (pk, text, strlen (text));
}

//  A JSON value (borrowed), or nil when there is none.
static int
s_pack_json_or_nil (msgpack_packer *pk, const json_t *value)
{
    return value? control_pack_json (pk, value, 1): msgpack_pack_nil (pk);
}

//  One check's row, in s_columns' order.
static int
s_pack_check (const agent_check_t *check, msgpack_packer *pk)
{
    const json_t *last = check->last;
    const check_health_t *health = &check->health;
    return msgpack_pack_array (pk, METRICS_COLUMNS)
        || s_pack_str (pk, check->name)
        || s_pack_str (pk, check->cfg->kind? check->cfg->kind: "")
        || (check->cfg->critical? msgpack_pack_true (pk): msgpack_pack_false (pk))
        || (health->has_severity? s_pack_str (pk, severity_name (health->severity))
                                : msgpack_pack_nil (pk))
        || s_pack_json_or_nil (pk, last? json_object_get (last, "duration_ms"): NULL)
        || s_pack_json_or_nil (pk, last? json_object_get (last, "metrics"): NULL)
        || totals_pack (&check->totals, pk);
}

//  The data map: host, version, started, bus_dropped, cycle_ms,
//  diagnosis_ms, columns, totals, checks.
static int
s_pack_data (agent_t *self, msgpack_packer *pk)
{
    size_t rows = 0;
    for (size_t i = 0; i < self->check_count; i++)
        rows += self->checks [i].present;
    const json_t *cycle_ms = self->last_cycle
        ? json_object_get (self->last_cycle, "duration_ms"): NULL;
    const json_t *diagnosis_ms = self->diagnosis
        ? json_object_get (self->diagnosis, "latency_ms"): NULL;
    int rc = msgpack_pack_map (pk, 9)
        ||  s_pack_str (pk, "host") || s_pack_str (pk, heal_hostname ())
        ||  s_pack_str (pk, "version") || s_pack_str (pk, HEAL_VERSION)
        ||  s_pack_str (pk, "started") || msgpack_pack_int64 (pk, self->started)
        ||  s_pack_str (pk, "bus_dropped")
        ||  msgpack_pack_uint64 (pk, self->pub? bus_publisher_dropped (self->pub): 0)
        ||  s_pack_str (pk, "cycle_ms") || s_pack_json_or_nil (pk, cycle_ms)
        ||  s_pack_str (pk, "diagnosis_ms") || s_pack_json_or_nil (pk, diagnosis_ms)
        ||  s_pack_str (pk, "totals") || totals_pack_columns (pk)
        ||  s_pack_str (pk, "columns") || msgpack_pack_array (pk, METRICS_COLUMNS);
    for (size_t c = 0; c < METRICS_COLUMNS && !rc; c++)
        rc = s_pack_str (pk, s_columns [c]);
    rc = rc || s_pack_str (pk, "checks") || msgpack_pack_array (pk, rows);
    for (size_t i = 0; i < self->check_count && !rc; i++)
        if (self->checks [i].present)
            rc = s_pack_check (&self->checks [i], pk);
    return rc? -1: 0;
}

int
metrics_reply_encode (agent_t *self, msgpack_sbuffer *buf)
{
    msgpack_sbuffer_clear (buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    int rc = control_reply_head (&pk, true, NULL)
          || s_pack_data (self, &pk);
    if (rc || buf->size > CONTROL_MAX_REPLY) {
        msgpack_sbuffer_clear (buf);
        return -1;
    }
    return 0;
}
