//  history — the diagnoser's memory of its past diagnoses (diagnoser.h): what
//  it said about which checks, when, and whether every check it covered
//  passed again since. A later prompt about any of those checks recalls the
//  newest one with its outcome ("previous diagnosis").

#include "diagnoser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char **checks;              //  the checks it covered
    size_t check_count;
    char *summary;              //  NULL when it failed
    char *error;
    int64_t at;                 //  wall ms published
    int64_t resolved;           //  wall ms every check passed again, 0 = not
} s_entry_t;

struct diag_history_t {
    s_entry_t entries [DIAG_MAX_HISTORY];
    size_t count;
};

static void
s_entry_free (s_entry_t *h)
{
    for (size_t i = 0; i < h->check_count; i++)
        free (h->checks [i]);
    free (h->checks);
    free (h->summary);
    free (h->error);
    memset (h, 0, sizeof *h);
}

diag_history_t *
diag_history_new (void)
{
    return (diag_history_t *) calloc (1, sizeof (diag_history_t));
}

void
diag_history_destroy (diag_history_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    diag_history_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_entry_free (&self->entries [i]);
    free (self);
    *self_p = NULL;
}

void
diag_history_add (diag_history_t *self, const event_t *diag)
{
    if (self->count == DIAG_MAX_HISTORY) {
        s_entry_free (&self->entries [0]);
        memmove (self->entries, self->entries + 1,
                 (DIAG_MAX_HISTORY - 1) * sizeof self->entries [0]);
        memset (&self->entries [DIAG_MAX_HISTORY - 1], 0, sizeof self->entries [0]);
        self->count--;
    }
    s_entry_t *h = &self->entries [self->count++];
    for (size_t i = 0; i < diag->check_count; i++)
        event_list_append (&h->checks, &h->check_count, diag->checks [i], EVENT_MAX_NAME);
    h->summary = diag->summary ? strdup (diag->summary) : NULL;
    h->error = diag->error ? strdup (diag->error) : NULL;
    h->at = event_now_ms ();
}

void
diag_history_resolved (diag_history_t *self, const char *summary, int64_t when)
{
    for (size_t i = self->count; summary && i-- > 0; )
        if (self->entries [i].summary && streq (self->entries [i].summary, summary)) {
            self->entries [i].resolved = when;
            return;
        }
}

static bool
s_covers (char *const *list, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (streq (list [i], name))
            return true;
    return false;
}

void
diag_add_time (heal_strbuf_t *b, int64_t ms)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    char when [32];
    if (gmtime_r (&t, &tm) && strftime (when, sizeof when, "%H:%M:%SZ", &tm))
        heal_strbuf_str (b, when);
}

void
diag_history_render (diag_history_t *self, heal_redactor_t *redactor, char *const *checks,
                     size_t count, heal_strbuf_t *b)
{
    const s_entry_t *h = NULL;
    for (size_t i = self->count; !h && i-- > 0; )
        for (size_t k = 0; k < count && !h; k++)
            if (s_covers (self->entries [i].checks, self->entries [i].check_count, checks [k]))
                h = &self->entries [i];
    if (!h)
        return;
    heal_strbuf_str (b, "## previous diagnosis of these checks\nat ");
    diag_add_time (b, h->at);
    heal_strbuf_str (b, " for");
    for (size_t i = 0; i < h->check_count; i++)
        heal_strbuf_fmt (b, "%s %s", i ? "," : "", h->checks [i]);
    if (h->summary) {
        char *summary = heal_redact (redactor, h->summary);
        heal_strbuf_fmt (b, ": %s\n", summary ? summary : "");
        free (summary);
    }
    else
        heal_strbuf_fmt (b, ": none could be had (%.200s)\n", h->error ? h->error : "?");
    if (h->resolved) {
        heal_strbuf_str (b, "outcome: resolved at ");
        diag_add_time (b, h->resolved);
        heal_strbuf_str (b, " (every check passed again), and now failing again\n");
    }
    else
        heal_strbuf_str (b, "outcome: not resolved since\n");
}
