//  test_history — per-check daily counters with an injected clock: UTC day
//  boundaries, spans split at midnight, 90-day pruning, state.json round
//  trip, pruning of removed checks.

#include "history.h"

#include <czmq.h>
#include <string.h>
#include "unit.h"

#define DAY HISTORY_DAY_MS
#define HOUR (3600LL * 1000)

int main (void);

static bool
s_keep_redis (const char *name, void *arg)
{
    (void) arg;
    return streq (name, "redis");
}

int
main (void)
{
    history_t *h = history_new ();
    CHECK (h);
    //  2026-03-29 is a DST change in Europe: UTC days do not care.
    int64_t t0 = 20541LL * DAY;            //  a UTC midnight
    CHECK (history_day (t0) == 20541);
    CHECK (history_day (t0 - 1) == 20540);
    CHECK (history_day (t0 + DAY - 1) == 20541);

    history_run_t ok = { .remedy = -1, .max_gap_ms = 2 * HOUR };
    history_run_t fail = { .failed = true, .bad = true,
                           .remedy = HISTORY_REMEDY_FAILED, .max_gap_ms = 2 * HOUR };
    history_run_t healed = { .failed = true, .healed = true,
                             .remedy = HISTORY_REMEDY_HEALED, .heal_ms = 30000,
                             .max_gap_ms = 2 * HOUR };

    //  Day 1: ok at 23:00, fails at 23:30, still failing at 00:30 next day,
    //  healed at 01:00.
    history_record (h, "redis", &ok, t0 + 23 * HOUR);
    history_record (h, "redis", &fail, t0 + 23 * HOUR + HOUR / 2);
    history_record (h, "redis", &fail, t0 + DAY + HOUR / 2);
    history_record (h, "redis", &healed, t0 + DAY + HOUR);
    history_sum_t s;
    CHECK (history_sum (h, "redis", t0, t0 + 23 * HOUR + 59 * 60000, &s));
    CHECKF (s.runs == 2 && s.failures == 1 && s.heals == 0, "runs %lld", (long long) s.runs);
    //  Day 1 got 30 minutes down (23:30 to midnight), day 2 one hour.
    history_sum (h, "redis", t0, t0 + DAY + 2 * HOUR, &s);
    CHECKF (s.down_ms == HOUR + HOUR / 2, "down %lld", (long long) s.down_ms);
    CHECK (s.runs == 4 && s.failures == 3 && s.heals == 1);
    CHECK (s.remedies [HISTORY_REMEDY_FAILED] == 2 && s.remedies [HISTORY_REMEDY_HEALED] == 1);
    CHECK (s.heal_ms == 30000);
    history_sum (h, "redis", t0 + DAY, t0 + DAY + 2 * HOUR, &s);
    CHECKF (s.down_ms == HOUR && s.runs == 2, "day 2: down %lld runs %lld",
            (long long) s.down_ms, (long long) s.runs);
    //  The last second of a day and the first of the next are different days.
    history_record (h, "edge", &healed, t0 + 2 * DAY - 1);
    history_record (h, "edge", &healed, t0 + 2 * DAY);
    history_sum (h, "edge", t0 + 2 * DAY, t0 + 2 * DAY, &s);
    CHECK (s.heals == 1);
    CHECK (history_heals_7d (h, "edge", t0 + 2 * DAY) == 2);
    CHECK (history_heals_7d (h, "edge", t0 + 8 * DAY) == 1);
    CHECK (history_heals_7d (h, "edge", t0 + 9 * DAY) == 0);
    //  A gap longer than max_gap_ms counts only max_gap_ms down.
    history_record (h, "gap", &fail, t0);
    history_record (h, "gap", &fail, t0 + 10 * HOUR);
    history_sum (h, "gap", t0, t0 + 10 * HOUR, &s);
    CHECK (s.down_ms == 2 * HOUR);
    //  Muted time.
    history_run_t muted = { .muted = true, .remedy = -1 };
    history_record (h, "mute", &muted, t0);
    history_record (h, "mute", &ok, t0 + HOUR);
    history_sum (h, "mute", t0, t0 + HOUR, &s);
    CHECK (s.muted_ms == HOUR && s.down_ms == 0);

    //  Round trip through state.json's form.
    json_t *j = history_to_json (h, t0 + DAY + 2 * HOUR);
    history_t *h2 = history_new ();
    size_t skipped = 9;
    CHECK (history_from_json (h2, j, t0 + DAY + 2 * HOUR, &skipped) == 0 && skipped == 0);
    history_sum (h2, "redis", t0, t0 + DAY + 2 * HOUR, &s);
    CHECK (s.runs == 4 && s.heals == 1 && s.down_ms == HOUR + HOUR / 2);
    //  Continues where it was: the failing state survived, so time down runs on.
    history_record (h2, "redis", &ok, t0 + DAY + 2 * HOUR);
    history_sum (h2, "redis", t0 + DAY, t0 + DAY + 2 * HOUR, &s);
    CHECK (s.down_ms == HOUR && s.runs == 3);       //  healed at 01:00: not bad since
    json_decref (j);
    //  A bad entry is skipped, the others kept.
    j = json_pack ("{s:{s:I, s:b, s:b, s:[[I, s]]}, s:{s:I, s:b, s:b, s:[]}}",
                   "broken", "last", (json_int_t) t0, "bad", 0, "muted", 0, "days",
                   (json_int_t) 20541, "x",
                   "fine", "last", (json_int_t) t0, "bad", 1, "muted", 0, "days");
    history_t *h3 = history_new ();
    CHECK (history_from_json (h3, j, t0, &skipped) == 0 && skipped == 1);
    CHECK (!history_sum (h3, "broken", t0, t0, &s));
    CHECK (history_sum (h3, "fine", t0, t0, &s));
    json_decref (j);
    history_destroy (&h3);

    //  90-day pruning: day 0 falls out after 90 days; days in the window stay.
    history_t *p = history_new ();
    for (int d = 0; d < 120; d++)
        history_record (p, "redis", &healed, t0 + d * DAY + HOUR);
    int64_t now = t0 + 119 * DAY + 2 * HOUR;
    history_sum (p, "redis", t0, now, &s);
    CHECKF (s.heals == HISTORY_DAYS, "heals %lld", (long long) s.heals);
    j = history_to_json (p, now);
    json_t *days = json_object_get (json_object_get (j, "redis"), "days");
    CHECK (json_array_size (days) == HISTORY_DAYS);
    CHECK (json_integer_value (json_array_get (json_array_get (days, 0), 0)) == 20541 + 30);
    json_decref (j);
    //  Saved long ago and loaded much later: everything is out of the window.
    j = history_to_json (p, now);
    history_t *late = history_new ();
    history_from_json (late, j, now + 200 * DAY, NULL);
    history_sum (late, "redis", 0, now + 200 * DAY, &s);
    CHECK (s.heals == 0);
    json_decref (j);
    history_destroy (&late);
    history_destroy (&p);

    //  Removed checks are pruned; a renamed one starts fresh.
    history_prune (h2, s_keep_redis, NULL);
    CHECK (history_sum (h2, "redis", t0, t0 + DAY, &s));
    CHECK (!history_sum (h2, "edge", t0, t0 + 2 * DAY, &s));
    json_t *names = history_names (h2);
    CHECK (json_array_size (names) == 1);
    json_decref (names);
    CHECK (history_heals_7d (h2, "redis-renamed", t0 + DAY) == 0);
    CHECK (history_remedy_from_name ("gave_up") == HISTORY_REMEDY_GAVE_UP);
    CHECK (history_remedy_from_name ("nope") == -1);

    history_destroy (&h2);
    history_destroy (&h);
    printf ("test_history: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed? 1: 0;
}
