//  runs — what happens to a check run on the main thread: dispatch (or
//  queue when every worker is busy), the worker's remedy question, the
//  result (outcome.c decides, this publishes), timeouts, exit watches, and
//  cycles (heal.cycle when the last member is in).

#ifndef HEAL_RUNS_H_INCLUDED
#define HEAL_RUNS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "heal/heal.h"
#include "worker.h"

typedef struct agent_t agent_t;
typedef struct agent_check_t agent_check_t;

//  Run a check now (queued when all workers are busy). force: `heal`.
void runs_dispatch (agent_t *self, agent_check_t *check, bool force);
//  Start a cycle now (every check whose turn it is, or all when all).
void runs_cycle_start (agent_t *self, bool all);
//  End the open cycle when no member is still out.
void runs_cycle_maybe_end (agent_t *self);
//  Start the checks of the cycle that waited for their dependencies and no
//  longer need to (after a reload changed `depends`).
void runs_waiting_go (agent_t *self);
//  Checks with their own interval that are due at mono.
void runs_due (agent_t *self, int64_t mono);
//  Runs past their deadline: reported unknown now, their result discarded.
void runs_timeouts (agent_t *self, int64_t mono);
//  A watched process exited: run its check.
void runs_watch_fired (agent_t *self, agent_check_t *check);
//  The worker pool's handlers (arg: the agent).
extern const worker_handlers_t runs_handlers;

//  The worst severity of the present checks, with the count per severity,
//  whether the agent is degraded, and the critical checks' names (any may
//  be NULL).
severity_t runs_worst (agent_t *self, int64_t counts [SEVERITY_COUNT], bool *degraded,
                       json_t *issues);
//  Is a run of check out (and not abandoned), or queued?
bool runs_busy (const agent_check_t *check);

#endif
