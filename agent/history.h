//  history — per-check daily counters (issue 15): runs, failures, heals,
//  remedies by result, gave_up, muted time, time not ok and time to heal, one
//  slot per UTC day (days since the epoch: no time zones, no DST), the last
//  HISTORY_DAYS days. Kept in state.json ("history"), so they survive
//  restarts and reloads; keyed by check name, so a renamed check starts fresh;
//  history_prune drops the checks no longer configured.
//
//  Pure bookkeeping: no clock of its own (every call takes `now`, wall ms),
//  no files, no sockets. Main thread only.

#ifndef HEAL_HISTORY_H_INCLUDED
#define HEAL_HISTORY_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#define HISTORY_DAYS        90                  //  days of counters kept
#define HISTORY_DAY_MS      (86400LL * 1000)
#define HISTORY_MAX_CHECKS  4096                //  entries loaded from state.json

//  Remedy results counted (the bus's remedy.result words).
typedef enum {
    HISTORY_REMEDY_HEALED = 0,
    HISTORY_REMEDY_FAILED,
    HISTORY_REMEDY_SKIPPED,
    HISTORY_REMEDY_THROTTLED,
    HISTORY_REMEDY_GAVE_UP,
    HISTORY_REMEDY_COUNT
} history_remedy_t;

//  One finished run, as the counters see it.
typedef struct {
    bool failed;                //  its first result was not ok, or it ended not ok
    bool healed;                //  a remedy fixed it (severity healed)
    bool bad;                   //  it ended not ok/healed: time not ok runs from now
    bool muted;                 //  the check is muted: muted time runs from now
    bool gave_up;               //  the budget ran out at this run (gave_up alert)
    int remedy;                 //  history_remedy_t, or -1 when no remedy field
    int64_t heal_ms;            //  healed: how long the incident lasted
    int64_t max_gap_ms;         //  longest span between runs counted as time down
} history_run_t;

//  Sums over a span of days.
typedef struct {
    int64_t runs;
    int64_t failures;
    int64_t heals;
    int64_t gave_up;
    int64_t remedies [HISTORY_REMEDY_COUNT];
    int64_t muted_ms;
    int64_t down_ms;
    int64_t heal_ms;            //  sum of the healed incidents' durations
} history_sum_t;

typedef struct history_t history_t;

history_t *history_new (void);
void history_destroy (history_t **self_p);

//  Count one run of check name at now (wall ms).
void history_record (history_t *self, const char *name, const history_run_t *run,
                     int64_t now);

//  The counters of name summed over the UTC days from since's day to now's
//  day (at most HISTORY_DAYS). false when the check has no history (*sum zeroed).
bool history_sum (history_t *self, const char *name, int64_t since, int64_t now,
                  history_sum_t *sum);

//  Heals in the last 7 UTC days (today and the six before).
int64_t history_heals_7d (history_t *self, const char *name, int64_t now);

//  The remedy result word as history_remedy_t, or -1.
int history_remedy_from_name (const char *name);

//  Drop checks for which keep (name, arg) is false.
void history_prune (history_t *self, bool (*keep) (const char *name, void *arg), void *arg);

//  The checks with history, names in a new array (caller frees with json_decref).
json_t *history_names (history_t *self);

//  To/from state.json's "history" object. to_json drops days older than
//  HISTORY_DAYS before now. from_json skips invalid entries (count returned
//  in *skipped when not NULL) and returns 0, or -1 when obj is not an object.
json_t *history_to_json (history_t *self, int64_t now);
int history_from_json (history_t *self, json_t *obj, int64_t now, size_t *skipped);

//  The UTC day number of a wall-clock ms (days since 1970-01-01).
int64_t history_day (int64_t ms);

#endif
