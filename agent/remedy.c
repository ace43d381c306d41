//  remedy — the remediation budget of one check (see remedy.h).

#include "remedy.h"

#include <string.h>

int
remedy_budget_attempts (const heal_check_config_t *check)
{
    int n = check->attempts;
    if (n < 0)
        n = 0;
    if (n > REMEDY_MAX_ATTEMPTS)
        n = REMEDY_MAX_ATTEMPTS;
    return n;
}

void
remedy_budget_prune (remedy_budget_t *self, const heal_check_config_t *check,
                     int64_t now)
{
    int keep = 0;
    for (int i = 0; i < self->count; i++)
        if (self->attempts [i] > now - check->within_ms && self->attempts [i] <= now + 60000)
            self->attempts [keep++] = self->attempts [i];
    self->count = keep;
}

bool
remedy_budget_muted (const remedy_budget_t *self, int64_t now)
{
    return self->mute_until > now;
}

remedy_decision_t
remedy_budget_decide (remedy_budget_t *self, const heal_check_config_t *check,
                      int64_t now)
{
    if (remedy_budget_muted (self, now))
        return REMEDY_MUTED;
    if (self->gave_up)
        return REMEDY_GAVE_UP;
    remedy_budget_prune (self, check, now);
    if (self->count >= remedy_budget_attempts (check))
        return REMEDY_SPENT;
    if (now < self->backoff_until)
        return REMEDY_THROTTLED;
    return REMEDY_ALLOW;
}

int
remedy_budget_record (remedy_budget_t *self, const heal_check_config_t *check,
                      int64_t now)
{
    remedy_budget_prune (self, check, now);
    if (self->count >= REMEDY_MAX_ATTEMPTS) {
        memmove (self->attempts, self->attempts + 1,
                 sizeof (int64_t) * (REMEDY_MAX_ATTEMPTS - 1));
        self->count--;
    }
    self->attempts [self->count++] = now;
    //  Backoff before the next attempt: backoff_ms, doubling per attempt in
    //  the window, capped.
    int64_t delay = check->backoff_ms > 0? check->backoff_ms: 0;
    for (int i = 1; i < self->count && delay < REMEDY_MAX_BACKOFF_MS; i++)
        delay *= 2;
    if (delay > REMEDY_MAX_BACKOFF_MS)
        delay = REMEDY_MAX_BACKOFF_MS;
    self->backoff_until = now + delay;
    return self->count;
}

void
remedy_budget_unrecord (remedy_budget_t *self)
{
    if (self->count > 0)
        self->count--;
    self->backoff_until = 0;
}

void
remedy_budget_recover (remedy_budget_t *self)
{
    self->gave_up = false;
    self->backoff_until = 0;
}

void
remedy_budget_reset (remedy_budget_t *self)
{
    self->count = 0;
    self->gave_up = false;
    self->backoff_until = 0;
}

const char *
remedy_decision_name (remedy_decision_t decision)
{
    switch (decision) {
        case REMEDY_ALLOW:     return "allow";
        case REMEDY_MUTED:     return "muted";
        case REMEDY_THROTTLED: return "throttled";
        case REMEDY_SPENT:     return "spent";
        case REMEDY_GAVE_UP:   return "gave_up";
    }
    return "?";
}
