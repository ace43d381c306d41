//  status — the `status` reply, from each check's cached entry (status.h).

#include "agent_impl.h"
#include "incidents.h"
#include "runs.h"
#include "status.h"

#include <string.h>
#include <unistd.h>

void
status_cache_free (status_cache_t *self)
{
    free (self->data);
    self->data = NULL;
    self->size = 0;
}

static int64_t
s_interval (agent_t *self, const heal_check_config_t *cfg)
{
    return cfg->interval_ms > 0? cfg->interval_ms: self->gen->config->interval_ms;
}

static void
s_key (agent_t *self, const agent_check_t *check, int64_t now, status_key_t *key)
{
    memset (key, 0, sizeof *key);      //  padding too: keys are compared whole
    const check_health_t *health = &check->health;
    key->cfg = check->cfg;
    key->last_serial = check->last_serial;
    key->interval_ms = s_interval (self, check->cfg);
    key->has_severity = health->has_severity;
    key->severity = (int) health->severity;
    key->since = health->since;
    key->streak = health->streak;
    key->used = health->budget.count;
    key->gave_up = health->budget.gave_up;
    key->backoff_until = health->budget.backoff_until;
    key->muted_until = health->budget.mute_until > now? health->budget.mute_until: 0;
    key->running = check->job != NULL && !check->job->abandoned;
    key->heals_7d = incidents_heals_7d (self, check->name, now);
    key->totals = check->totals;
}

//  One check's entry as JSON (schemas/control-commands.md).
static json_t *
s_check_json (const agent_check_t *check, const status_key_t *key)
{
    const heal_check_config_t *cfg = check->cfg;
    json_t *last = check->last;
    json_t *message = last? json_object_get (last, "message"): NULL;
    json_t *budget = json_pack ("{s:i, s:i, s:I, s:I, s:b, s:I}",
        "used", key->used,
        "attempts", remedy_budget_attempts (cfg),
        "within_ms", (json_int_t) cfg->within_ms,
        "backoff_ms", (json_int_t) cfg->backoff_ms,
        "gave_up", key->gave_up,
        "backoff_until", (json_int_t) key->backoff_until);
    json_t *blocked_by = last? json_object_get (last, "blocked_by"): NULL;
    //  "check" as on the bus and in the report; "name" is the same, kept for
    //  readers written before (schemas/control-commands.md).
    return json_pack ("{s:s, s:s, s:s, s:b, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:b, s:I, s:I,"
                      " s:I, s:o, s:o, s:o, s:o}",
        "check", check->name,
        "name", check->name,
        "kind", cfg->kind? cfg->kind: "",
        "critical", cfg->critical,
        "severity", key->has_severity? json_string (severity_name ((severity_t) key->severity))
                                     : json_null (),
        "since", (json_int_t) key->since,
        "streak", (json_int_t) key->streak,
        "message", json_is_string (message)? json_incref (message): json_null (),
        "remedy", check->last_remedy_result? json_string (check->last_remedy_result)
                                           : json_null (),
        "muted_until", key->muted_until? json_integer (key->muted_until): json_null (),
        "budget", budget? budget: json_null (),
        "running", key->running,
        "interval_ms", (json_int_t) key->interval_ms,
        "timeout_ms", (json_int_t) (cfg->timeout_ms > 0? cfg->timeout_ms
                                                        : CONFIG_DEFAULT_TIMEOUT_MS),
        "heals_7d", (json_int_t) key->heals_7d,
        "last", last? json_incref (last): json_null (),
        "description", cfg->description? json_string (cfg->description): json_null (),
        "blocked_by", json_is_string (blocked_by)? json_incref (blocked_by): json_null (),
        "totals", totals_json (&key->totals));
}

//  The check's entry, encoded: from the cache when nothing it shows changed.
static int
s_check_pack (agent_t *self, agent_check_t *check, int64_t now, msgpack_sbuffer *buf)
{
    remedy_budget_prune (&check->health.budget, check->cfg, now);
    status_key_t key;
    s_key (self, check, now, &key);
    status_cache_t *cache = &check->status;
    if (!cache->data || memcmp (&cache->key, &key, sizeof key)) {
        status_cache_free (cache);
        json_t *entry = s_check_json (check, &key);
        msgpack_sbuffer fragment;
        msgpack_sbuffer_init (&fragment);
        msgpack_packer pk;
        msgpack_packer_init (&pk, &fragment, msgpack_sbuffer_write);
        int rc = entry? control_pack_json (&pk, entry, 2): -1;
        json_decref (entry);
        if (rc) {
            msgpack_sbuffer_destroy (&fragment);
            return -1;
        }
        cache->size = fragment.size;
        cache->data = msgpack_sbuffer_release (&fragment);
        cache->key = key;
    }
    return msgpack_sbuffer_write (buf, cache->data, cache->size);
}

//  The small part of the reply: agent, counters, worst, degraded, counts,
//  last_cycle.
static json_t *
s_head_json (agent_t *self)
{
    int64_t counts [SEVERITY_COUNT];
    bool degraded = false;
    severity_t worst = runs_worst (self, counts, &degraded, NULL);
    json_t *counts_json = json_object ();
    for (int s = 0; s < SEVERITY_COUNT; s++)
        json_object_set_new (counts_json, severity_name ((severity_t) s),
                             json_integer (counts [s]));
    json_t *counters = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
        "bus_sent", (json_int_t) (self->pub? bus_publisher_sent (self->pub): 0),
        "bus_dropped", (json_int_t) (self->pub? bus_publisher_dropped (self->pub): 0),
        "inbound_forwarded", (json_int_t) (self->inbound? bus_inbound_forwarded (self->inbound): 0),
        "inbound_invalid", (json_int_t) (self->inbound? bus_inbound_invalid (self->inbound): 0),
        "inbound_refused", (json_int_t) (self->inbound? bus_inbound_refused (self->inbound): 0),
        "control_requests", (json_int_t) self->control_requests,
        "control_errors", (json_int_t) self->control_errors,
        "control_replies_dropped", (json_int_t) self->control_replies_dropped,
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
        "cycle", (json_int_t) self->sched.cycle,
        "workers", (json_int_t) worker_pool_busy (self->workers),
        "queued", (json_int_t) zlistx_size (self->queue));
    return json_pack ("{s:o, s:o, s:s, s:b, s:o, s:O}",
        "agent", agent? agent: json_null (),
        "counters", counters? counters: json_null (),
        "worst", severity_name (worst),
        "degraded", degraded,
        "counts", counts_json,
        "last_cycle", self->last_cycle? self->last_cycle: json_null ());
}

int
status_reply_encode (agent_t *self, msgpack_sbuffer *buf)
{
    msgpack_sbuffer_clear (buf);
    json_t *head = s_head_json (self);
    if (!head)
        return -1;
    size_t present = 0;
    for (size_t i = 0; i < self->check_count; i++)
        present += self->checks [i].present;
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    int rc = control_reply_head (&pk, true, NULL)
          || msgpack_pack_map (&pk, json_object_size (head) + 1);
    const char *key;
    json_t *value;
    json_object_foreach (head, key, value) {
        if (rc)
            break;
        rc = msgpack_pack_str_with_body (&pk, key, strlen (key))
          || control_pack_json (&pk, value, 1);
    }
    json_decref (head);
    rc = rc || msgpack_pack_str_with_body (&pk, "checks", 6)
            || msgpack_pack_array (&pk, present);
    int64_t now = event_now_ms ();
    for (size_t i = 0; i < self->check_count && !rc; i++)
        if (self->checks [i].present)
            rc = s_check_pack (self, &self->checks [i], now, buf);
    if (rc || buf->size > CONTROL_MAX_REPLY) {
        msgpack_sbuffer_clear (buf);
        return -1;
    }
    return 0;
}
