//  scheduler — when checks run: the first cycle after a start grace, one
//  cycle every interval (a late loop never runs a burst of missed cycles),
//  checks with their own interval between cycles, earlier runs after a
//  backoff, run deadlines, and how long the main loop may sleep.
//
//  Pure arithmetic on a monotonic clock that the caller injects (tests pass a
//  fake one): no threads, no sockets. A scheduler_slot_t lives in each
//  check's runtime state; the agent's loop asks the scheduler about each slot.

#ifndef HEAL_SCHEDULER_H_INCLUDED
#define HEAL_SCHEDULER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#define SCHEDULER_JOIN_SLACK_MS 50      //  due this soon: joins the cycle now
#define SCHEDULER_NEVER         INT64_MAX

//  Monotonic milliseconds (heal_monotonic_ms in the agent).
typedef int64_t (scheduler_clock_fn) (void);

typedef struct {
    scheduler_clock_fn *clock;
    int64_t interval_ms;            //  cycle interval
    int64_t start_at;               //  first cycle not before this
    bool started;                   //  the first cycle began
    int64_t next_cycle;             //  SCHEDULER_NEVER before the start
    uint64_t cycle;                 //  current cycle number (0 before the first)
    bool cycle_open;                //  waiting for members of `cycle`
    int64_t cycle_started;          //  clock ms
} scheduler_t;

//  One check's schedule.
typedef struct {
    int64_t interval_ms;            //  its own interval (the cycle's by default)
    int64_t next_due;               //  clock ms
    int64_t deadline;               //  clock ms of the run in flight, 0 none
    uint64_t member;                //  the open cycle waiting for it, 0 none
} scheduler_slot_t;

typedef enum {
    SCHEDULER_IDLE = 0,             //  nothing to start now
    SCHEDULER_FIRST,                //  the first cycle: every check
    SCHEDULER_CYCLE                 //  a cycle: the checks that are due
} scheduler_tick_t;

//  The first cycle starts grace_ms from now.
void scheduler_init (scheduler_t *self, scheduler_clock_fn *clock,
                     int64_t interval_ms, int64_t grace_ms);

int64_t scheduler_now (const scheduler_t *self);

//  Is a cycle to start at mono? repeat false (--once): only the first one.
scheduler_tick_t scheduler_tick (scheduler_t *self, int64_t mono, bool repeat);

//  Open cycle number cycle+1 at mono; returns it.
uint64_t scheduler_cycle_open (scheduler_t *self, int64_t mono);

//  Does slot join the cycle opening at mono (all: every check)? When it does,
//  its next run is one interval later. The caller sets slot->member.
bool scheduler_join (const scheduler_t *self, scheduler_slot_t *slot, bool all,
                     int64_t mono);

//  Between cycles: is slot due at mono? When it is, its next run is one
//  interval later.
bool scheduler_due (scheduler_slot_t *slot, int64_t mono);

//  Run slot again at most in_ms after mono (a backoff that ends early).
void scheduler_retry (scheduler_slot_t *slot, int64_t mono, int64_t in_ms);

//  A run started at mono with timeout_ms.
void scheduler_run_start (scheduler_slot_t *slot, int64_t mono, int64_t timeout_ms);

//  Has slot's run passed its deadline at mono? Clears the deadline when it has.
bool scheduler_expired (scheduler_slot_t *slot, int64_t mono);

//  Config reloaded: a shorter interval takes effect within one interval.
void scheduler_reload (scheduler_t *self, int64_t interval_ms, int64_t mono);

//  The earliest time the loop must wake for: the start, the next cycle
//  (repeat), then fold each slot in with scheduler_wake_slot (idle: nothing
//  in flight, so its next_due counts).
int64_t scheduler_wake (const scheduler_t *self, bool repeat);
int64_t scheduler_wake_slot (int64_t wake, const scheduler_slot_t *slot, bool idle,
                             bool repeat);

//  A zmq_poll timeout in ms for wake (-1: forever, 0: now).
long scheduler_timeout (int64_t wake, int64_t mono);

#endif
