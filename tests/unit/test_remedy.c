//  test_remedy — the remediation budget: attempts within a sliding window,
//  doubling backoff, give up once spent, mute, reset.

#include "remedy.h"

#include <stdio.h>
#include <string.h>
#include "unit.h"



int main (void);

int
main (void)
{
    heal_check_config_t cfg;
    memset (&cfg, 0, sizeof cfg);
    cfg.attempts = 3;
    cfg.within_ms = 900 * 1000;
    cfg.backoff_ms = 1000;
    remedy_budget_t b;
    memset (&b, 0, sizeof b);
    int64_t now = 1000000000;

    CHECK (remedy_budget_decide (&b, &cfg, now) == REMEDY_ALLOW);
    CHECK (remedy_budget_record (&b, &cfg, now) == 1);
    //  backoff 1 s after the first attempt
    CHECK (remedy_budget_decide (&b, &cfg, now + 500) == REMEDY_THROTTLED);
    CHECK (remedy_budget_decide (&b, &cfg, now + 1000) == REMEDY_ALLOW);
    CHECK (remedy_budget_record (&b, &cfg, now + 1000) == 2);
    //  doubled: 2 s
    CHECK (remedy_budget_decide (&b, &cfg, now + 2500) == REMEDY_THROTTLED);
    CHECK (remedy_budget_decide (&b, &cfg, now + 3000) == REMEDY_ALLOW);
    CHECK (remedy_budget_record (&b, &cfg, now + 3000) == 3);
    //  spent
    CHECK (remedy_budget_decide (&b, &cfg, now + 60000) == REMEDY_SPENT);
    b.gave_up = true;
    CHECK (remedy_budget_decide (&b, &cfg, now + 60000) == REMEDY_GAVE_UP);
    //  recovery clears the flag; the window still holds 3 attempts
    remedy_budget_recover (&b);
    CHECK (remedy_budget_decide (&b, &cfg, now + 60000) == REMEDY_SPENT);
    //  the window slides: the first attempt expires
    CHECK (remedy_budget_decide (&b, &cfg, now + 900 * 1000 + 1) == REMEDY_ALLOW);
    CHECK (b.count == 2);
    //  unrecord gives one back
    remedy_budget_record (&b, &cfg, now + 900 * 1000 + 1);
    CHECK (b.count == 3);
    remedy_budget_unrecord (&b);
    CHECK (b.count == 2);
    //  reset
    b.gave_up = true;
    remedy_budget_reset (&b);
    CHECK (b.count == 0 && !b.gave_up && b.backoff_until == 0);
    //  mute wins
    b.mute_until = now + 10;
    CHECK (remedy_budget_decide (&b, &cfg, now) == REMEDY_MUTED);
    CHECK (remedy_budget_decide (&b, &cfg, now + 10) == REMEDY_ALLOW);
    //  attempts = 0: never remediate
    cfg.attempts = 0;
    CHECK (remedy_budget_decide (&b, &cfg, now + 20) == REMEDY_SPENT);
    //  huge attempts are clamped, the array never overflows
    cfg.attempts = 100000;
    cfg.backoff_ms = 0;
    for (int i = 0; i < REMEDY_MAX_ATTEMPTS + 10; i++)
        remedy_budget_record (&b, &cfg, now + 100 + i);
    CHECK (b.count == REMEDY_MAX_ATTEMPTS);
    CHECK (remedy_budget_decide (&b, &cfg, now + 100 + REMEDY_MAX_ATTEMPTS + 20) == REMEDY_SPENT);
    //  backoff capped
    cfg.backoff_ms = 1000 * 1000;
    remedy_budget_reset (&b);
    for (int i = 0; i < 20; i++)
        remedy_budget_record (&b, &cfg, now);
    CHECK (b.backoff_until - now <= REMEDY_MAX_BACKOFF_MS);
    remedy_budget_free (&b);
    CHECK (b.count == 0 && b.cap == 0 && !b.attempts);

    //  The attempt times are allocated per check, by its configured attempts
    //  (1000 checks of 3 attempts cost 24 KB, not 8 MB).
    cfg.attempts = 3;
    cfg.backoff_ms = 0;
    for (int i = 0; i < 10; i++)
        remedy_budget_record (&b, &cfg, now + i);
    CHECK (b.count == 3 && b.cap == 3);
    CHECK (b.attempts [2] == now + 9 && b.attempts [0] == now + 7);
    remedy_budget_reset (&b);
    remedy_budget_restore (&b, &cfg, now);
    remedy_budget_restore (&b, &cfg, now + 1);
    remedy_budget_restore (&b, &cfg, now + 2);
    remedy_budget_restore (&b, &cfg, now + 3);     //  beyond the configured attempts
    CHECK (b.count == 3 && b.cap == 3);
    CHECK (remedy_budget_decide (&b, &cfg, now + 20) == REMEDY_SPENT);
    remedy_budget_free (&b);

    if (s_failed)
        fprintf (stderr, "test_remedy: %d failed\n", s_failed);
    return s_failed? 1: 0;
}
