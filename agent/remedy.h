//  remedy — the remediation budget of one check: at most `attempts`
//  remediations within a sliding window of `within` ms, a growing backoff
//  between attempts (backoff_ms, doubling), give up once spent (one alert),
//  and mutes. Pure bookkeeping on wall-clock milliseconds (it is persisted in
//  the state file and must survive restarts); owned by the agent's main thread.

#ifndef HEAL_REMEDY_H_INCLUDED
#define HEAL_REMEDY_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "heal/config.h"

#define REMEDY_MAX_ATTEMPTS  CONFIG_MAX_ATTEMPTS  //  budget attempts kept: the config bound
#define REMEDY_MAX_BACKOFF_MS (3600 * 1000) //  backoff never grows past 1 h

//  The attempt times are allocated per check, as many as its configured
//  `attempts` (not REMEDY_MAX_ATTEMPTS each: 1000 checks would cost ~8 MB).
//  A zeroed budget is valid (no attempts, nothing allocated).
typedef struct {
    int64_t *attempts;          //  owned: wall ms of each attempt in the window
    int cap;                    //  room in attempts
    int count;
    int64_t backoff_until;      //  wall ms: no attempt before this
    bool gave_up;               //  spent: no attempt until recovery or `heal`
    int64_t mute_until;         //  wall ms: muted (no remedy, no alert) until then
} remedy_budget_t;

typedef enum {
    REMEDY_ALLOW = 0,           //  an attempt may start now
    REMEDY_MUTED,               //  muted: "skipped"
    REMEDY_THROTTLED,           //  in backoff: "throttled"
    REMEDY_SPENT,               //  budget just ran out: "gave_up" + one alert
    REMEDY_GAVE_UP              //  gave up earlier: "gave_up", no new alert
} remedy_decision_t;

//  Attempts allowed in the window for this check (config, clamped to the max).
int remedy_budget_attempts (const heal_check_config_t *check);

//  Drop attempts older than the window.
void remedy_budget_prune (remedy_budget_t *self, const heal_check_config_t *check,
                          int64_t now);

//  Would a remediation be allowed now? Does not change anything.
remedy_decision_t remedy_budget_decide (remedy_budget_t *self,
                                        const heal_check_config_t *check, int64_t now);

//  Record an attempt starting now; sets the next backoff. Returns the 1-based
//  attempt number within the window.
int remedy_budget_record (remedy_budget_t *self, const heal_check_config_t *check,
                          int64_t now);

//  Add an attempt made at `at` (loading state.json): kept when the window
//  has room (configured attempts), without touching the backoff.
void remedy_budget_restore (remedy_budget_t *self, const heal_check_config_t *check,
                            int64_t at);

//  Free the attempt times; the budget is then empty.
void remedy_budget_free (remedy_budget_t *self);

//  Forget the last recorded attempt (the kind had nothing to do).
void remedy_budget_unrecord (remedy_budget_t *self);

//  The check recovered (ok): remediation may start again when needed.
void remedy_budget_recover (remedy_budget_t *self);

//  `heal` command: forget the spent budget and the backoff (mute kept).
void remedy_budget_reset (remedy_budget_t *self);

bool remedy_budget_muted (const remedy_budget_t *self, int64_t now);

const char *remedy_decision_name (remedy_decision_t decision);

#endif
