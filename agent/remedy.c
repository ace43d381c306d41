//  remedy — the remediation budget of one check (see remedy.h).

#include "remedy.h"

#include <stdlib.h>
#include <string.h>

//  Room for n attempt times (n <= the configured attempts, at least 1).
//  0, or -1 when out of memory (the budget is unchanged).
static int
s_room (remedy_budget_t *self, int n)
{
    if (n <= self->cap)
        return 0;
    int64_t *grown = (int64_t *) realloc (self->attempts, sizeof (int64_t) * (size_t) n);
    if (!grown)
        return -1;
    self->attempts = grown;
    self->cap = n;
    return 0;
}

//  Attempts kept for check: its configured attempts, at least 1 (a forced
//  `heal` with attempts = 0 still records one).
static int
s_limit (const heal_check_config_t *check)
{
    int n = remedy_budget_attempts (check);
    return n > 0 ? n : 1;
}

void
remedy_budget_free (remedy_budget_t *self)
{
    free (self->attempts);
    self->attempts = NULL;
    self->cap = 0;
    self->count = 0;
}

void
remedy_budget_restore (remedy_budget_t *self, const heal_check_config_t *check, int64_t at)
{
    int limit = s_limit (check);
    if (self->count >= limit || s_room (self, self->count + 1))
        return;
    self->attempts [self->count++] = at;
}

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
    int limit = s_limit (check);
    while (self->count > 0
       && (self->count >= limit || s_room (self, self->count + 1))) {
        //  Full (or no memory to grow): the oldest attempt makes room.
        memmove (self->attempts, self->attempts + 1,
                 sizeof (int64_t) * (size_t) (self->count - 1));
        self->count--;
    }
    if (self->count == 0 && s_room (self, 1) == 0)
        self->attempts [self->count++] = now;
    else
    if (self->count < self->cap)
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
