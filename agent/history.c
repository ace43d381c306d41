//  history — per-check daily counters (see history.h).
//
//  Each check has a ring of HISTORY_DAYS day slots indexed by day % DAYS: a
//  slot whose day is not the one asked for is stale (older than the ring) and
//  reads as zero, so pruning by age needs no pass of its own. Time spans
//  (time not ok, muted) are counted when the next run arrives, split at UTC
//  midnights so each day gets its own part.

#include "history.h"

#include <czmq.h>
#include <string.h>

//  Counters in a day slot, in state.json's order after the day number.
enum {
    S_RUNS = 0, S_FAILURES, S_HEALS, S_GAVE_UP,
    S_REMEDY,                               //  HISTORY_REMEDY_COUNT of them
    S_MUTED_MS = S_REMEDY + HISTORY_REMEDY_COUNT,
    S_DOWN_MS, S_HEAL_MS,
    S_COUNT
};

typedef struct {
    int64_t day;                //  -1: empty
    int64_t n [S_COUNT];
} s_day_t;

typedef struct {
    s_day_t days [HISTORY_DAYS];
    int64_t last;               //  wall ms of the last run, 0 none
    bool bad;                   //  the last run ended not ok
    bool muted;                 //  the check was muted at the last run
} s_check_t;

struct history_t {
    zhashx_t *checks;           //  name -> s_check_t (owned)
};

static const char *s_remedy_names [HISTORY_REMEDY_COUNT] = {
    "healed", "failed", "skipped", "throttled", "gave_up"
};

int64_t
history_day (int64_t ms)
{
    //  Floor division: a negative time is not expected, but stays ordered.
    return ms >= 0? ms / HISTORY_DAY_MS: -((-ms + HISTORY_DAY_MS - 1) / HISTORY_DAY_MS);
}

int
history_remedy_from_name (const char *name)
{
    for (int i = 0; name && i < HISTORY_REMEDY_COUNT; i++)
        if (streq (name, s_remedy_names [i]))
            return i;
    return -1;
}

static void
s_check_free (void **item)
{
    free (*item);
    *item = NULL;
}

history_t *
history_new (void)
{
    history_t *self = (history_t *) zmalloc (sizeof (history_t));
    if (!self)
        return NULL;
    self->checks = zhashx_new ();
    if (!self->checks) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->checks, s_check_free);
    return self;
}

void
history_destroy (history_t **self_p)
{
    history_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->checks);
    free (self);
    *self_p = NULL;
}

static s_check_t *
s_check (history_t *self, const char *name, bool create)
{
    s_check_t *check = (s_check_t *) zhashx_lookup (self->checks, name);
    if (check || !create)
        return check;
    check = (s_check_t *) zmalloc (sizeof (s_check_t));
    if (!check)
        return NULL;
    for (int i = 0; i < HISTORY_DAYS; i++)
        check->days [i].day = -1;
    if (zhashx_insert (self->checks, name, check)) {
        free (check);
        return NULL;
    }
    return check;
}

//  Where day's counters sit in the ring (whatever day it holds now).
static size_t
s_index (int64_t day)
{
    int64_t index = day % HISTORY_DAYS;
    return (size_t) (index < 0 ? index + HISTORY_DAYS : index);
}

//  The counters of day when the ring holds them, else NULL.
static const s_day_t *
s_held (const s_check_t *check, int64_t day)
{
    const s_day_t *slot = &check->days [s_index (day)];
    return slot->day == day ? slot : NULL;
}

//  The slot of day, reset when it held an older day.
static s_day_t *
s_slot (s_check_t *check, int64_t day)
{
    s_day_t *slot = &check->days [s_index (day)];
    if (slot->day != day) {
        memset (slot, 0, sizeof *slot);
        slot->day = day;
    }
    return slot;
}

//  Add the span [from, to) to counter which, split at UTC midnights. Days that
//  fell out of the ring are not counted.
static void
s_add_span (s_check_t *check, int which, int64_t from, int64_t to, int64_t today)
{
    while (from < to) {
        int64_t day = history_day (from);
        int64_t end = (day + 1) * HISTORY_DAY_MS;
        if (end > to)
            end = to;
        if (day > today - HISTORY_DAYS)
            s_slot (check, day)->n [which] += end - from;
        from = end;
    }
}

void
history_record (history_t *self, const char *name, const history_run_t *run, int64_t now)
{
    s_check_t *check = s_check (self, name, true);
    if (!check)
        return;
    int64_t today = history_day (now);
    if (check->last > 0 && check->last < now) {
        int64_t from = check->last;
        if (run->max_gap_ms > 0 && now - from > run->max_gap_ms)
            from = now - run->max_gap_ms;
        if (check->bad)
            s_add_span (check, S_DOWN_MS, from, now, today);
        if (check->muted)
            s_add_span (check, S_MUTED_MS, from, now, today);
    }
    s_day_t *slot = s_slot (check, today);
    slot->n [S_RUNS]++;
    slot->n [S_FAILURES] += run->failed;
    slot->n [S_HEALS] += run->healed;
    slot->n [S_GAVE_UP] += run->gave_up;
    if (run->remedy >= 0 && run->remedy < HISTORY_REMEDY_COUNT)
        slot->n [S_REMEDY + run->remedy]++;
    if (run->healed && run->heal_ms > 0)
        slot->n [S_HEAL_MS] += run->heal_ms;
    if (now >= check->last) {
        check->last = now;
        check->bad = run->bad;
        check->muted = run->muted;
    }
}

bool
history_sum (history_t *self, const char *name, int64_t since, int64_t now,
             history_sum_t *sum)
{
    memset (sum, 0, sizeof *sum);
    s_check_t *check = s_check (self, name, false);
    if (!check)
        return false;
    int64_t today = history_day (now);
    int64_t first = history_day (since);
    if (first <= today - HISTORY_DAYS)
        first = today - HISTORY_DAYS + 1;
    //  Only the days asked for: `status` asks for 7 of each check's 90.
    for (int64_t day = first; day <= today; day++) {
        const s_day_t *slot = s_held (check, day);
        if (!slot)
            continue;
        sum->runs += slot->n [S_RUNS];
        sum->failures += slot->n [S_FAILURES];
        sum->heals += slot->n [S_HEALS];
        sum->gave_up += slot->n [S_GAVE_UP];
        for (int r = 0; r < HISTORY_REMEDY_COUNT; r++)
            sum->remedies [r] += slot->n [S_REMEDY + r];
        sum->muted_ms += slot->n [S_MUTED_MS];
        sum->down_ms += slot->n [S_DOWN_MS];
        sum->heal_ms += slot->n [S_HEAL_MS];
    }
    return true;
}

int64_t
history_heals_7d (history_t *self, const char *name, int64_t now)
{
    //  `status` asks this of every check: the one counter, not history_sum's
    //  every field.
    s_check_t *check = s_check (self, name, false);
    int64_t heals = 0, today = history_day (now);
    for (int64_t day = today - 6; check && day <= today; day++) {
        const s_day_t *slot = s_held (check, day);
        if (slot)
            heals += slot->n [S_HEALS];
    }
    return heals;
}

void
history_prune (history_t *self, bool (*keep) (const char *name, void *arg), void *arg)
{
    zlistx_t *gone = zlistx_new ();
    if (!gone)
        return;
    for (void *item = zhashx_first (self->checks); item; item = zhashx_next (self->checks)) {
        const char *name = (const char *) zhashx_cursor (self->checks);
        if (!keep (name, arg))
            zlistx_add_end (gone, (void *) name);
    }
    //  Copy the names first: deleting frees the hash's key.
    char *name = (char *) zlistx_first (gone);
    while (name) {
        char *copy = strdup (name);
        name = (char *) zlistx_next (gone);
        if (copy) {
            zhashx_delete (self->checks, copy);
            free (copy);
        }
    }
    zlistx_destroy (&gone);
}

json_t *
history_names (history_t *self)
{
    json_t *names = json_array ();
    for (void *item = zhashx_first (self->checks); item; item = zhashx_next (self->checks))
        json_array_append_new (names, json_string ((const char *) zhashx_cursor (self->checks)));
    return names;
}

json_t *
history_to_json (history_t *self, int64_t now)
{
    json_t *root = json_object ();
    int64_t today = history_day (now);
    for (s_check_t *check = (s_check_t *) zhashx_first (self->checks); check;
         check = (s_check_t *) zhashx_next (self->checks)) {
        json_t *days = json_array ();
        //  Oldest first: the ring starts after today's slot.
        for (int64_t day = today - HISTORY_DAYS + 1; day <= today; day++) {
            const s_day_t *slot = s_held (check, day);
            if (!slot)
                continue;
            json_t *row = json_array ();
            json_array_append_new (row, json_integer (day));
            for (int i = 0; i < S_COUNT; i++)
                json_array_append_new (row, json_integer (slot->n [i]));
            json_array_append_new (days, row);
        }
        json_t *entry = json_pack ("{s:I, s:b, s:b, s:o}", "last", (json_int_t) check->last,
                                   "bad", check->bad, "muted", check->muted, "days", days);
        if (entry)
            json_object_set_new (root, (const char *) zhashx_cursor (self->checks), entry);
    }
    return root;
}

//  One check's entry from state.json; false when it is not valid.
static bool
s_entry_load (s_check_t *check, json_t *entry, int64_t today)
{
    json_t *last = json_object_get (entry, "last");
    json_t *bad = json_object_get (entry, "bad");
    json_t *muted = json_object_get (entry, "muted");
    json_t *days = json_object_get (entry, "days");
    if (!json_is_object (entry) || !json_is_integer (last) || json_integer_value (last) < 0
    ||  !json_is_boolean (bad) || !json_is_boolean (muted) || !json_is_array (days))
        return false;
    check->last = json_integer_value (last);
    check->bad = json_is_true (bad);
    check->muted = json_is_true (muted);
    size_t i;
    json_t *row;
    json_array_foreach (days, i, row) {
        if (!json_is_array (row) || json_array_size (row) != 1 + S_COUNT)
            return false;
        json_t *day = json_array_get (row, 0);
        if (!json_is_integer (day))
            return false;
        int64_t d = json_integer_value (day);
        if (d > today || d <= today - HISTORY_DAYS)
            continue;           //  out of the window: pruned
        s_day_t *slot = s_slot (check, d);
        for (int k = 0; k < S_COUNT; k++) {
            json_t *n = json_array_get (row, (size_t) k + 1);
            if (!json_is_integer (n) || json_integer_value (n) < 0)
                return false;
            slot->n [k] = json_integer_value (n);
        }
    }
    return true;
}

int
history_from_json (history_t *self, json_t *obj, int64_t now, size_t *skipped)
{
    if (skipped)
        *skipped = 0;
    if (!json_is_object (obj))
        return -1;
    int64_t today = history_day (now);
    const char *name;
    json_t *entry;
    json_object_foreach (obj, name, entry) {
        if (zhashx_size (self->checks) >= HISTORY_MAX_CHECKS)
            break;
        s_check_t *check = (s_check_t *) zmalloc (sizeof (s_check_t));
        if (!check)
            break;
        for (int i = 0; i < HISTORY_DAYS; i++)
            check->days [i].day = -1;
        if (!s_entry_load (check, entry, today)) {
            free (check);
            if (skipped)
                (*skipped)++;
            continue;
        }
        zhashx_delete (self->checks, name);
        if (zhashx_insert (self->checks, name, check))
            free (check);
    }
    return 0;
}
