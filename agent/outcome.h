//  outcome — what a finished run means for its check: the severity, the
//  streak, the remedy field of its event, the remediation budget, which alerts
//  to raise and whether it is an incident (docs/agent.md "Severity").
//
//  Pure bookkeeping: no sockets, no threads, no clock of its own (the caller
//  passes the wall-clock time), nothing published. The agent's main thread
//  calls outcome_apply for every finished run and then does what the
//  returned outcome_t says (publish, alert, append the incident, persist).

#ifndef HEAL_OUTCOME_H_INCLUDED
#define HEAL_OUTCOME_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "check.h"
#include "remedy.h"

#define OUTCOME_MAX_ALERTS 3        //  critical, gave_up, recovered
#define OUTCOME_RETRY_SLACK_MS 10   //  run again just after the backoff ends

//  The health of one check, carried from run to run (and in state.json).
typedef struct {
    bool has_severity;              //  false until the first result
    severity_t severity;
    int64_t streak;                 //  consecutive runs not ok/healed
    int64_t since;                  //  wall ms of the last severity change
    remedy_budget_t budget;
} check_health_t;

//  How a run ended. Borrowed by outcome_apply.
typedef struct {
    check_status_t first;           //  status of the first run
    check_status_t status;          //  final status (after the re-run)
    bool timed_out;                 //  no result: the deadline passed
    bool has_remedy;                //  the kind can remediate
    bool forced;                    //  `heal`: remediate whatever the budget
    bool denied;                    //  it asked to remediate and was told no
    bool remedied;                  //  the kind's remedy ran
    remedy_status_t remedy_status;  //  ... and said this
    const event_remedy_t *remedy;   //  its action/output/duration/verify, NULL if none
    int attempt;                    //  attempt number granted (0 none)
    const char *blocked_by;         //  a dependency that is failing (borrowed), or
                                    //  NULL: a failure is then `blocked`, no remedy,
                                    //  no alert
} outcome_run_t;

//  What the caller must do about it.
typedef struct {
    severity_t severity;
    bool changed;                   //  first result or a different severity
    const char *alerts [OUTCOME_MAX_ALERTS];    //  "critical", "gave_up", "recovered"
    size_t alert_count;
    bool incident;                  //  not plainly ok: the first or the final result failed
    bool persist_now;               //  the budget changed: save state.json now
    bool remediated;                //  a remediation happened (for the counter)
    int64_t retry_in_ms;            //  > 0: run again this soon (backoff ends)
    bool passing;                   //  ok or healed (dependents may go on)
} outcome_t;

//  The severity of a run (docs/agent.md).
severity_t outcome_severity (const heal_check_config_t *cfg, check_status_t status,
                             bool healed);

//  Apply run to health and complete event: type, check, kind, critical,
//  severity, message (when the kind left none), streak, since, changed and
//  remedy (replaced). now: wall-clock ms. Fills *out. Returns 0, or -1 when
//  out of memory (event then has no remedy field; the rest is done).
int outcome_apply (check_health_t *health, const char *name,
                   const heal_check_config_t *cfg, const outcome_run_t *run,
                   int64_t now, event_t *event, outcome_t *out);

#endif
