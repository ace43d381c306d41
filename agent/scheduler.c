//  scheduler — when checks run (see scheduler.h).

#include "scheduler.h"

#include <string.h>

void
scheduler_init (scheduler_t *self, scheduler_clock_fn *clock, int64_t interval_ms,
                int64_t grace_ms)
{
    memset (self, 0, sizeof *self);
    self->clock = clock;
    self->interval_ms = interval_ms > 0? interval_ms: 1;
    self->start_at = clock () + (grace_ms > 0? grace_ms: 0);
    self->next_cycle = SCHEDULER_NEVER;
}

int64_t
scheduler_now (const scheduler_t *self)
{
    return self->clock ();
}

scheduler_tick_t
scheduler_tick (scheduler_t *self, int64_t mono, bool repeat)
{
    if (!self->started) {
        if (mono < self->start_at)
            return SCHEDULER_IDLE;
        self->started = true;
        self->next_cycle = mono + self->interval_ms;
        return SCHEDULER_FIRST;
    }
    if (!repeat || mono < self->next_cycle)
        return SCHEDULER_IDLE;
    //  Late (a slow loop, a suspended machine): one cycle, then back on the grid.
    while (self->next_cycle <= mono)
        self->next_cycle += self->interval_ms;
    return SCHEDULER_CYCLE;
}

uint64_t
scheduler_cycle_open (scheduler_t *self, int64_t mono)
{
    self->cycle++;
    self->cycle_open = true;
    self->cycle_started = mono;
    return self->cycle;
}

bool
scheduler_join (const scheduler_t *self, scheduler_slot_t *slot, bool all, int64_t mono)
{
    (void) self;
    slot->member = 0;
    if (!all && slot->next_due > mono + SCHEDULER_JOIN_SLACK_MS)
        return false;
    slot->next_due = mono + slot->interval_ms;
    return true;
}

bool
scheduler_due (scheduler_slot_t *slot, int64_t mono)
{
    if (slot->next_due > mono)
        return false;
    slot->next_due = mono + slot->interval_ms;
    return true;
}

void
scheduler_retry (scheduler_slot_t *slot, int64_t mono, int64_t in_ms)
{
    if (in_ms <= 0)
        return;
    int64_t retry = mono + in_ms;
    if (slot->next_due > retry)
        slot->next_due = retry;
}

void
scheduler_run_start (scheduler_slot_t *slot, int64_t mono, int64_t timeout_ms)
{
    slot->deadline = mono + timeout_ms;
}

bool
scheduler_expired (scheduler_slot_t *slot, int64_t mono)
{
    if (!slot->deadline || mono < slot->deadline)
        return false;
    slot->deadline = 0;
    return true;
}

void
scheduler_reload (scheduler_t *self, int64_t interval_ms, int64_t mono)
{
    self->interval_ms = interval_ms > 0? interval_ms: 1;
    if (self->next_cycle > mono + self->interval_ms)
        self->next_cycle = mono + self->interval_ms;
}

int64_t
scheduler_wake (const scheduler_t *self, bool repeat)
{
    if (!self->started)
        return self->start_at;
    return repeat? self->next_cycle: SCHEDULER_NEVER;
}

int64_t
scheduler_wake_slot (int64_t wake, const scheduler_slot_t *slot, bool idle, bool repeat)
{
    if (repeat && idle && slot->next_due < wake)
        wake = slot->next_due;
    if (slot->deadline && slot->deadline < wake)
        wake = slot->deadline;
    return wake;
}

long
scheduler_timeout (int64_t wake, int64_t mono)
{
    if (wake == SCHEDULER_NEVER)
        return -1;
    if (wake <= mono)
        return 0;
    int64_t ms = wake - mono;
    return ms > 24 * 3600 * 1000? 24 * 3600 * 1000: (long) ms;
}
