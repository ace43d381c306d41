//  totals — one check's lifetime counters: runs, failures, heals, remedies
//  by result and alerts by kind. Never reset: kept in state.json (state.c),
//  shown by `status` (status.c) and `metrics` (metrics.c), rendered by
//  heal-exporter as Prometheus counters (docs/fleet.md). Counted from what
//  outcome.c decided for each finished run (runs.c).
//
//  Pure bookkeeping: no sockets, no clock, nothing published.

#ifndef HEAL_TOTALS_H_INCLUDED
#define HEAL_TOTALS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <msgpack.h>
#include "outcome.h"

#define TOTALS_REMEDIES 5           //  healed failed skipped throttled gave_up
#define TOTALS_ALERTS   OUTCOME_MAX_ALERTS  //  critical gave_up recovered
#define TOTALS_COLUMNS  (3 + TOTALS_REMEDIES + TOTALS_ALERTS)

typedef struct {
    uint64_t runs;                  //  results counted
    uint64_t failures;              //  ... whose severity was not ok or healed
    uint64_t heals;                 //  ... whose severity was healed
    uint64_t remedies [TOTALS_REMEDIES];
    uint64_t alerts [TOTALS_ALERTS];
} totals_t;

//  Count one finished run: its outcome (severity, alerts raised) and its
//  event's remedy result (NULL when none). Returns true when more than
//  `runs` changed (something a restart should not have to wait long for).
bool totals_count (totals_t *self, const outcome_t *out, const char *remedy_result);

//  {runs, failures, heals, remedies: {result: n}, alerts: {what: n}}, every
//  name present (0 included). New reference.
json_t *totals_json (const totals_t *self);

//  Restore from totals_json's shape (NULL: an older state file, all 0).
//  0, or -1 when invalid (self untouched).
int totals_restore (totals_t *self, const json_t *obj);

//  The flat column names ["runs", "failures", "heals", "remedies.healed", ...,
//  "alerts.recovered"] / one check's values in that order, as a msgpack array.
int totals_pack_columns (msgpack_packer *pk);
int totals_pack (const totals_t *self, msgpack_packer *pk);

#endif
