//  cache — the diagnoser's cache of diagnoses by fingerprint (diagnoser.h):
//  the same set of symptoms within ttl is answered from here, not asked again.
//  At most DIAG_MAX_CACHE entries: expired ones go first, then the one
//  closest to expiry.

#include "diagnoser.h"

#include <stdlib.h>

typedef struct {
    event_t *diagnosis;
    int64_t expires;            //  monotonic ms
} s_entry_t;

struct diag_cache_t {
    zhashx_t *entries;          //  fingerprint -> s_entry_t
    int64_t ttl_ms;
};

static void
s_entry_destroy (void **item_p)
{
    s_entry_t *c = (s_entry_t *) *item_p;
    if (!c)
        return;
    event_destroy (&c->diagnosis);
    free (c);
    *item_p = NULL;
}

diag_cache_t *
diag_cache_new (int64_t ttl_ms)
{
    diag_cache_t *self = (diag_cache_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->ttl_ms = ttl_ms;
    self->entries = zhashx_new ();
    if (!self->entries) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->entries, s_entry_destroy);
    return self;
}

void
diag_cache_destroy (diag_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zhashx_destroy (&(*self_p)->entries);
    free (*self_p);
    *self_p = NULL;
}

void
diag_cache_put (diag_cache_t *self, const char *fingerprint, const event_t *diag)
{
    if (self->ttl_ms <= 0)
        return;
    int64_t now = heal_monotonic_ms ();
    if (zhashx_size (self->entries) >= DIAG_MAX_CACHE) {
        //  drop expired entries, then the one closest to expiry
        const char *victim = NULL;
        int64_t soonest = INT64_MAX;
        zlistx_t *keys = zhashx_keys (self->entries);
        for (const char *key = (const char *) zlistx_first (keys); key;
             key = (const char *) zlistx_next (keys)) {
            s_entry_t *c = (s_entry_t *) zhashx_lookup (self->entries, key);
            if (c->expires <= now)
                zhashx_delete (self->entries, key);
            else
            if (c->expires < soonest) {
                soonest = c->expires;
                victim = key;
            }
        }
        if (zhashx_size (self->entries) >= DIAG_MAX_CACHE && victim)
            zhashx_delete (self->entries, victim);
        zlistx_destroy (&keys);
    }
    s_entry_t *c = (s_entry_t *) calloc (1, sizeof *c);
    if (!c)
        return;
    c->diagnosis = event_dup (diag);
    c->expires = now + self->ttl_ms;
    if (!c->diagnosis) {
        free (c);
        return;
    }
    zhashx_update (self->entries, fingerprint, c);
}

const event_t *
diag_cache_get (diag_cache_t *self, const char *fingerprint)
{
    s_entry_t *c = (s_entry_t *) zhashx_lookup (self->entries, fingerprint);
    if (!c)
        return NULL;
    if (c->expires <= heal_monotonic_ms ()) {
        zhashx_delete (self->entries, fingerprint);
        return NULL;
    }
    return c->diagnosis;
}
