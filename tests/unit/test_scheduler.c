//  test_scheduler — when checks run, on a fake clock: the first cycle after
//  the start grace, the cycle grid (no burst after a late loop), joining a
//  cycle, checks with their own interval, retries after a backoff, deadlines,
//  reload, and the loop's sleep. No threads, no sockets, no sleeping.

#include "scheduler.h"

#include <stdio.h>
#include <string.h>
#include "unit.h"

static int64_t s_clock = 0;

static int64_t
s_fake_clock (void)
{
    return s_clock;
}

int main (void);

int
main (void)
{
    scheduler_t sched;
    s_clock = 1000;
    scheduler_init (&sched, s_fake_clock, 30000, 250);
    CHECK (scheduler_now (&sched) == 1000);
    CHECK (sched.start_at == 1250);
    CHECK (sched.cycle == 0);

    //  Before the grace: nothing, and the loop sleeps until the start.
    CHECK (scheduler_tick (&sched, 1100, true) == SCHEDULER_IDLE);
    CHECK (scheduler_wake (&sched, true) == 1250);
    CHECK (scheduler_timeout (scheduler_wake (&sched, true), 1100) == 150);

    //  The first cycle, then one every interval.
    CHECK (scheduler_tick (&sched, 1250, true) == SCHEDULER_FIRST);
    CHECK (sched.started);
    CHECK (sched.next_cycle == 31250);
    CHECK (scheduler_cycle_open (&sched, 1250) == 1);
    CHECK (sched.cycle_open && sched.cycle_started == 1250);
    CHECK (scheduler_tick (&sched, 1300, true) == SCHEDULER_IDLE);
    CHECK (scheduler_tick (&sched, 31249, true) == SCHEDULER_IDLE);
    CHECK (scheduler_tick (&sched, 31250, true) == SCHEDULER_CYCLE);
    CHECK (sched.next_cycle == 61250);
    //  Late by three intervals: one cycle, then back on the grid.
    CHECK (scheduler_tick (&sched, 61250 + 3 * 30000 + 5, true) == SCHEDULER_CYCLE);
    CHECK (sched.next_cycle == 61250 + 4 * 30000);
    CHECK (scheduler_tick (&sched, 61250 + 3 * 30000 + 6, true) == SCHEDULER_IDLE);
    //  --once: no cycle after the first, and no wake for one.
    scheduler_t once;
    scheduler_init (&once, s_fake_clock, 30000, 0);
    CHECK (scheduler_tick (&once, 1000, false) == SCHEDULER_FIRST);
    CHECK (scheduler_tick (&once, 1000 + 90000, false) == SCHEDULER_IDLE);
    CHECK (scheduler_wake (&once, false) == SCHEDULER_NEVER);
    CHECK (scheduler_timeout (SCHEDULER_NEVER, 5) == -1);

    //  Joining a cycle: all joins every check; otherwise only checks due
    //  within the slack.
    scheduler_slot_t a = { .interval_ms = 30000, .next_due = 0 };
    scheduler_slot_t b = { .interval_ms = 120000, .next_due = 100000 };
    scheduler_slot_t c = { .interval_ms = 10000, .next_due = 50000 + SCHEDULER_JOIN_SLACK_MS };
    CHECK (scheduler_join (&sched, &a, false, 50000));
    CHECK (a.next_due == 80000);
    CHECK (!scheduler_join (&sched, &b, false, 50000));
    CHECK (b.next_due == 100000);
    CHECK (scheduler_join (&sched, &c, false, 50000));
    CHECK (c.next_due == 60000);
    CHECK (scheduler_join (&sched, &b, true, 50000));
    CHECK (b.next_due == 170000);

    //  Own interval between cycles.
    scheduler_slot_t d = { .interval_ms = 5000, .next_due = 10000 };
    CHECK (!scheduler_due (&d, 9999));
    CHECK (scheduler_due (&d, 10000));
    CHECK (d.next_due == 15000);
    CHECK (!scheduler_due (&d, 14000));

    //  A backoff that ends before the next run brings it forward, never back.
    scheduler_retry (&d, 11000, 2000);
    CHECK (d.next_due == 13000);
    scheduler_retry (&d, 11000, 9000);
    CHECK (d.next_due == 13000);
    scheduler_retry (&d, 11000, 0);
    CHECK (d.next_due == 13000);

    //  Deadlines: expired once, then cleared.
    scheduler_slot_t e = { .interval_ms = 30000, .next_due = 90000 };
    scheduler_run_start (&e, 20000, 10000);
    CHECK (e.deadline == 30000);
    CHECK (!scheduler_expired (&e, 29999));
    CHECK (scheduler_expired (&e, 30000));
    CHECK (e.deadline == 0);
    CHECK (!scheduler_expired (&e, 40000));

    //  The loop's sleep: the next cycle, an idle slot's next run, a run's
    //  deadline, whichever comes first; a busy slot's next_due does not count.
    s_clock = 20000;
    scheduler_t loop;
    scheduler_init (&loop, s_fake_clock, 30000, 0);
    CHECK (scheduler_tick (&loop, 20000, true) == SCHEDULER_FIRST);
    int64_t wake = scheduler_wake (&loop, true);
    CHECK (wake == 50000);
    scheduler_slot_t busy = { .interval_ms = 30000, .next_due = 21000, .deadline = 0 };
    CHECK (scheduler_wake_slot (wake, &busy, false, true) == 50000);
    CHECK (scheduler_wake_slot (wake, &busy, true, true) == 21000);
    CHECK (scheduler_wake_slot (wake, &busy, true, false) == 50000);
    busy.deadline = 25000;
    CHECK (scheduler_wake_slot (wake, &busy, false, true) == 25000);
    CHECK (scheduler_timeout (25000, 20000) == 5000);
    CHECK (scheduler_timeout (19000, 20000) == 0);

    //  Reload with a shorter interval: the next cycle within it.
    scheduler_reload (&loop, 10000, 22000);
    CHECK (loop.next_cycle == 32000);
    scheduler_reload (&loop, 60000, 23000);
    CHECK (loop.next_cycle == 32000);
    CHECK (loop.interval_ms == 60000);

    if (s_failed)
        fprintf (stderr, "test_scheduler: %d of %d failed\n", s_failed, s_checks);
    return s_failed? 1: 0;
}
