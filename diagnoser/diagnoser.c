//  diagnoser — heal-diagnoser's loop. The main thread owns the bus sockets
//  (SUB on the agent's bus, PUSH into its inbound) and all state: the last
//  critical event of each check, recent heals (flapping), the diagnosis cache
//  and the one request in flight. An actor thread owns the CURL handle and
//  does the blocking HTTP; they talk over the actor's pipe.
//
//  Per cycle (heal.cycle) with issues: one request covering all of them. The
//  same set of symptoms (fingerprint) within ttl republishes the cached
//  diagnosis (cache.c). Every failure becomes a heal.diagnosis with `error`:
//  fail open, then a backoff. The actor is actor.c, the evidence worked out
//  before the request evidence.c, past diagnoses history.c.

#include "diagnoser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_POLL_MS 1000           //  wake up to notice interrupts
#define DIAG_STOP_WAIT_MS 5000      //  for the aborted transfer at shutdown

//  What the diagnoser remembers about one check.
typedef struct {
    event_t *critical;          //  last critical event (NULL: none)
    event_t *healed;            //  last healed event (NULL: none)
    int64_t *heals;             //  ring of monotonic ms of the last heals
    size_t heal_size;           //  ring capacity (flap_count)
    size_t heal_next;
    size_t heal_count;
    bool healed_this_cycle;
    int64_t seen;               //  monotonic ms of the last event (eviction)
    bool known;                 //  a check event was heard
    severity_t severity;        //  of the last check event
    bool critical_check;        //  the check is critical
    int64_t since;              //  wall ms of its last severity change
    char *message;              //  of the last event (owned)
} tracked_t;

//  One request: made at the end of a cycle, sent when the actor is free.
typedef struct {
    uint64_t id;
    uint64_t cycle;
    char *fingerprint;
    char **checks;
    size_t check_count;
    char *body;                 //  the /api/chat request
    int64_t estimated_tokens;   //  of the prompt (chars / DIAG_CHARS_PER_TOKEN)
} job_t;

struct diagnoser_t {
    diag_settings_t *settings;
    bool verbose;
    diag_prompt_t *prompt;
    heal_redactor_t *redactor;
    diag_evidence_t *evidence;
    bus_subscriber_t *sub;
    bus_pusher_t *pusher;
    zactor_t *actor;
    diag_actor_args_t actor_args;   //  read by the actor for its whole life
    atomic_int abort_flag;      //  set at shutdown: the actor's transfer stops
    zhashx_t *tracked;          //  check name -> tracked_t
    diag_cache_t *cache;        //  fingerprint -> diagnosis, for ttl
    job_t *inflight;
    job_t *pending;             //  newest cycle waiting for the actor (older dropped)
    uint64_t next_id;
    uint64_t published;
    uint64_t dropped_jobs;
    uint64_t cycles_seen;       //  heal.cycle messages received so far
    uint64_t last_cycle;        //  the newest cycle number heard
    int64_t backoff_until;      //  monotonic ms: no request before (0: none)
    int64_t backoff_ms;         //  the current pause after an error (doubles)
    uint64_t skipped_backoff;   //  cycles not asked about during a backoff
    event_t *current;           //  the diagnosis in force (not resolved), owned
    diag_history_t *history;    //  past diagnoses, for later prompts
};

//  --------------------------------------------------------------------------
//  Small destructors for the hash tables

static void
s_tracked_destroy (void **item_p)
{
    tracked_t *t = (tracked_t *) *item_p;
    if (!t)
        return;
    event_destroy (&t->critical);
    event_destroy (&t->healed);
    free (t->heals);
    free (t->message);
    free (t);
    *item_p = NULL;
}

static void
s_job_destroy (job_t **job_p)
{
    if (!job_p || !*job_p)
        return;
    job_t *job = *job_p;
    free (job->fingerprint);
    for (size_t i = 0; i < job->check_count; i++)
        free (job->checks [i]);
    free (job->checks);
    free (job->body);
    free (job);
    *job_p = NULL;
}

//  --------------------------------------------------------------------------
//  Publishing

static void
s_publish (diagnoser_t *self, event_t *diag)
{
    //  the diagnosis in force, until every check it covers passes again
    if (diag->summary && !diag->resolved) {
        event_destroy (&self->current);
        self->current = event_dup (diag);
    }
    if (bus_pusher_send (self->pusher, diag))
        zsys_warning ("diagnoser: heal.diagnosis dropped (agent inbound full or gone)");
    else
        self->published++;
    if (diag->error && !diag->summary)
        zsys_warning ("diagnoser: cycle %llu: %s: no diagnosis: %s",
                      (unsigned long long) diag->cycle,
                      diag->fingerprint ? diag->fingerprint : "-", diag->error);
    else
        zsys_info ("diagnoser: cycle %llu: %s%s: %s%s%s (%lld ms)",
                   (unsigned long long) diag->cycle,
                   diag->fingerprint ? diag->fingerprint : "-",
                   diag->cached ? " (cached)" : "",
                   diag->summary ? diag->summary : "",
                   diag->error ? "; note: " : "", diag->error ? diag->error : "",
                   (long long) diag->latency_ms);
}

//  Republish a cached diagnosis for a new cycle.
static void
s_publish_cached (diagnoser_t *self, const event_t *cached, uint64_t cycle)
{
    event_t *diag = event_dup (cached);
    if (!diag)
        return;
    diag->cycle = cycle;
    diag->cached = true;
    diag->latency_ms = 0;
    diag->ts = 0;
    s_publish (self, diag);
    event_destroy (&diag);
}

//  --------------------------------------------------------------------------
//  Requests

static void
s_dispatch (diagnoser_t *self, job_t *job)
{
    char id [32];
    snprintf (id, sizeof id, "%llu", (unsigned long long) job->id);
    char estimate [32];
    snprintf (estimate, sizeof estimate, "%lld", (long long) job->estimated_tokens);
    if (zsock_send (self->actor, "ssss", "CHAT", id, job->body, estimate)) {
        zsys_error ("diagnoser: cannot reach the Ollama actor");
        s_job_destroy (&job);
        return;
    }
    if (self->verbose)
        zsys_debug ("diagnoser: cycle %llu: asking %s about %zu check(s) (%zu bytes)",
                    (unsigned long long) job->cycle, self->settings->model,
                    job->check_count, strlen (job->body));
    self->inflight = job;
}

//  A job whose fingerprint is cached is answered from the cache instead.
static void
s_submit (diagnoser_t *self, job_t *job)
{
    const event_t *cached = diag_cache_get (self->cache, job->fingerprint);
    if (cached) {
        s_publish_cached (self, cached, job->cycle);
        s_job_destroy (&job);
        return;
    }
    if (self->backoff_until && heal_monotonic_ms () < self->backoff_until) {
        //  The last request failed: no new one until the pause ends (a slow
        //  or broken model is not kept busy with answers thrown away).
        self->skipped_backoff++;
        if (self->verbose)
            zsys_debug ("diagnoser: cycle %llu: not asking, backing off after an error "
                        "for %lld ms more", (unsigned long long) job->cycle,
                        (long long) (self->backoff_until - heal_monotonic_ms ()));
        s_job_destroy (&job);
        return;
    }
    if (self->inflight && streq (self->inflight->fingerprint, job->fingerprint)) {
        //  the same question is being asked right now: its answer will do
        s_job_destroy (&job);
        return;
    }
    if (self->inflight) {
        if (self->pending) {
            self->dropped_jobs++;
            s_job_destroy (&self->pending);
        }
        self->pending = job;
        return;
    }
    s_dispatch (self, job);
}

static void
s_on_result (diagnoser_t *self)
{
    char *cmd = NULL, *id = NULL;
    void *ptr = NULL;
    if (zsock_recv (self->actor, "ssp", &cmd, &id, &ptr)) {
        zstr_free (&cmd);
        zstr_free (&id);
        return;
    }
    event_t *diag = (event_t *) ptr;
    job_t *job = self->inflight;
    self->inflight = NULL;
    if (!diag)
        diag = event_new (EVENT_DIAGNOSIS);
    if (job && diag && streq (cmd, "RESULT")) {
        diag->cycle = job->cycle;
        for (size_t i = 0; i < job->check_count; i++)
            event_list_append (&diag->checks, &diag->check_count, job->checks [i],
                               EVENT_MAX_NAME);
        event_set_string (&diag->fingerprint, job->fingerprint, EVENT_MAX_SHORT);
        event_set_string (&diag->model, self->settings->model, EVENT_MAX_SHORT);
        diag->cached = false;
        if (!diag->summary && !diag->error)
            event_set_string (&diag->error, "no diagnosis (out of memory)", EVENT_MAX_TEXT);
        bool cacheable = !diag->error;
        ollama_keep_requested (diag, job->checks, job->check_count);
        if (!diag->summary) {
            //  failed: pause before the next request, doubling each time
            self->backoff_ms = self->backoff_ms > 0
                ? (self->backoff_ms * 2 < DIAG_MAX_BACKOFF_MS ? self->backoff_ms * 2
                                                              : DIAG_MAX_BACKOFF_MS)
                : self->settings->backoff_ms;
            if (self->backoff_ms > 0)
                self->backoff_until = heal_monotonic_ms () + self->backoff_ms;
        }
        else {
            self->backoff_ms = 0;
            self->backoff_until = 0;
        }
        s_publish (self, diag);
        diag_history_add (self->history, diag);
        if (cacheable)
            diag_cache_put (self->cache, job->fingerprint, diag);
    }
    event_destroy (&diag);
    s_job_destroy (&job);
    zstr_free (&cmd);
    zstr_free (&id);
    if (self->pending) {
        job_t *next = self->pending;
        self->pending = NULL;
        s_submit (self, next);
    }
}

//  --------------------------------------------------------------------------
//  Events from the bus

static tracked_t *
s_tracked (diagnoser_t *self, const char *name)
{
    tracked_t *t = (tracked_t *) zhashx_lookup (self->tracked, name);
    if (t)
        return t;
    if (zhashx_size (self->tracked) >= DIAG_MAX_TRACKED) {
        //  forget the check not heard from for the longest time
        const char *oldest = NULL;
        int64_t when = INT64_MAX;
        for (tracked_t *it = (tracked_t *) zhashx_first (self->tracked); it;
             it = (tracked_t *) zhashx_next (self->tracked))
            if (it->seen < when) {
                when = it->seen;
                oldest = (const char *) zhashx_cursor (self->tracked);
            }
        if (oldest) {
            char *key = strdup (oldest);
            if (key)
                zhashx_delete (self->tracked, key);
            free (key);
        }
    }
    t = (tracked_t *) calloc (1, sizeof *t);
    if (!t)
        return NULL;
    size_t ring = self->settings->flap_count > 0 ? (size_t) self->settings->flap_count : 1;
    t->heals = (int64_t *) calloc (ring, sizeof *t->heals);
    t->heal_size = ring;
    if (!t->heals) {
        free (t);
        return NULL;
    }
    zhashx_insert (self->tracked, name, t);
    return t;
}

//  A critical check that cannot run (a program missing from PATH: exit 127
//  -> unknown) makes the machine degraded too: it is a critical symptom.
static bool
s_is_symptom (const event_t *e)
{
    return e->severity == SEVERITY_CRITICAL
        || (e->severity == SEVERITY_UNKNOWN && e->critical);
}

//  Once every check the diagnosis in force covers passes again, republish it
//  with `resolved` so that nobody reads it as current any more.
static void
s_check_resolved (diagnoser_t *self)
{
    event_t *current = self->current;
    if (!current || current->check_count == 0)
        return;
    for (size_t i = 0; i < current->check_count; i++) {
        tracked_t *t = (tracked_t *) zhashx_lookup (self->tracked, current->checks [i]);
        if (!t || !t->known || t->severity != SEVERITY_OK)
            return;
    }
    self->current = NULL;
    current->resolved = event_now_ms ();
    current->cycle = self->last_cycle;
    current->ts = 0;
    current->seq = 0;
    current->cached = true;     //  no new model call
    current->latency_ms = 0;
    zsys_info ("diagnoser: %s: resolved: every check it covered passes again",
               current->fingerprint ? current->fingerprint : "-");
    s_publish (self, current);
    diag_history_resolved (self->history, current->summary, current->resolved);
    event_destroy (&current);
}

static void
s_on_check (diagnoser_t *self, event_t **event_p)
{
    event_t *e = *event_p;
    if (!e->check || !heal_name_valid (e->check))
        return;
    tracked_t *t = s_tracked (self, e->check);
    if (!t)
        return;
    t->seen = heal_monotonic_ms ();
    t->known = true;
    t->severity = e->severity;
    t->critical_check = e->critical;
    t->since = e->since;
    free (t->message);
    t->message = e->message ? strdup (e->message) : NULL;
    if (e->cycle > self->last_cycle)
        self->last_cycle = e->cycle;
    if (e->severity == SEVERITY_OK)
        s_check_resolved (self);
    if (s_is_symptom (e)) {
        event_destroy (&t->critical);
        t->critical = e;
        *event_p = NULL;
    }
    else
    if (e->severity == SEVERITY_HEALED && self->settings->flap_count > 0) {
        t->heals [t->heal_next] = t->seen;
        t->heal_next = (t->heal_next + 1) % t->heal_size;
        if (t->heal_count < t->heal_size)
            t->heal_count++;
        t->healed_this_cycle = true;
        event_destroy (&t->healed);
        t->healed = e;
        *event_p = NULL;
    }
}

//  Heals of t within the flap window.
static int
s_recent_heals (diagnoser_t *self, tracked_t *t)
{
    int64_t since = heal_monotonic_ms () - self->settings->flap_window_ms;
    int n = 0;
    for (size_t i = 0; i < t->heal_count; i++)
        if (t->heals [i] >= since)
            n++;
    return n;
}

static bool
s_listed (diag_symptom_t *const *symptoms, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (symptoms [i]->event->check && streq (symptoms [i]->event->check, name))
            return true;
    return false;
}

//  The context section: other checks (warnings, unknowns) that changed state
//  within DIAG_CONTEXT_WINDOW_MS, labelled as context; and the previous
//  diagnosis of these checks with its outcome. Caller frees; NULL when empty.
static char *
s_context (diagnoser_t *self, diag_symptom_t *const *symptoms, size_t count,
           char *const *checks, int64_t now)
{
    heal_strbuf_t b = HEAL_STRBUF_INIT (0);
    size_t lines = 0;
    for (tracked_t *t = (tracked_t *) zhashx_first (self->tracked);
         t && lines < DIAG_MAX_CONTEXT; t = (tracked_t *) zhashx_next (self->tracked)) {
        const char *name = (const char *) zhashx_cursor (self->tracked);
        if (!t->known || s_listed (symptoms, count, name)
        ||  (t->severity != SEVERITY_WARNING && t->severity != SEVERITY_UNKNOWN)
        ||  t->since <= 0 || t->since < now - DIAG_CONTEXT_WINDOW_MS
        ||  t->since > now + DIAG_CONTEXT_WINDOW_MS)
            continue;
        if (!lines++)
            heal_strbuf_str (&b, "## context (NOT problems: other checks that changed state "
                                 "within 10 minutes; use them only as clues)\n");
        char *message = heal_redact (self->redactor, t->message ? t->message : "");
        heal_strbuf_fmt (&b, "- %s: %s since ", name, severity_name (t->severity));
        diag_add_time (&b, t->since);
        heal_strbuf_fmt (&b, ": %.200s\n", message ? message : "");
        free (message);
    }
    diag_history_render (self->history, self->redactor, checks, count, &b);
    if (!b.len) {
        heal_strbuf_reset (&b);
        return NULL;
    }
    return heal_strbuf_take (&b);
}

static diag_symptom_t *
s_symptom (diagnoser_t *self, const event_t *source)
{
    diag_symptom_t *s = diag_symptom_new (source, self->redactor);
    if (s && self->evidence && diag_evidence_annotate (self->evidence, s))
        diag_symptom_destroy (&s);
    return s;
}

static void
s_on_cycle (diagnoser_t *self, const event_t *cycle)
{
    diag_symptom_t *symptoms [DIAG_MAX_SYMPTOMS];
    size_t count = 0;
    const bool first_cycle = self->cycles_seen++ == 0;
    if (cycle->cycle > self->last_cycle)
        self->last_cycle = cycle->cycle;
    //  The critical checks: the cycle's issues, or (an agent that does not list
    //  them) the critical events seen for this cycle.
    if (cycle->issue_count > 0) {
        for (size_t i = 0; i < cycle->issue_count && count < DIAG_MAX_SYMPTOMS; i++) {
            const char *name = cycle->issues [i];
            if (!heal_name_valid (name) || s_listed (symptoms, count, name))
                continue;
            tracked_t *t = (tracked_t *) zhashx_lookup (self->tracked, name);
            event_t *synth = NULL;
            const event_t *source = t ? t->critical : NULL;
            if (!source && first_cycle) {
                //  We joined mid-cycle and missed its check events. They come
                //  again with the next cycle; a prompt with names alone would
                //  waste the model's time and cache a poor answer.
                if (self->verbose)
                    zsys_debug ("diagnoser: cycle %llu: %s: details not received yet, "
                                "waiting for the next cycle", (unsigned long long) cycle->cycle,
                                name);
                continue;
            }
            if (!source) {
                //  its event was missed (a dropped message): the name alone
                synth = event_new (EVENT_CHECK);
                if (!synth)
                    continue;
                event_set_string (&synth->check, name, EVENT_MAX_NAME);
                event_set_string (&synth->message, "critical (details not received)",
                                  EVENT_MAX_MESSAGE);
                synth->critical = true;
                synth->severity = SEVERITY_CRITICAL;
                source = synth;
            }
            diag_symptom_t *s = s_symptom (self, source);
            event_destroy (&synth);
            if (s)
                symptoms [count++] = s;
        }
    }
    //  Critical checks whose last event is critical or unknown: those the
    //  issues do not list (an agent without issues; a critical check that
    //  could not run, exit 127 -> unknown, which the issues leave out).
    for (tracked_t *t = (tracked_t *) zhashx_first (self->tracked);
         t && count < DIAG_MAX_SYMPTOMS; t = (tracked_t *) zhashx_next (self->tracked)) {
        const char *name = (const char *) zhashx_cursor (self->tracked);
        if (!t->critical || !t->known || !s_is_symptom (t->critical)
        ||  t->severity != t->critical->severity || s_listed (symptoms, count, name))
            continue;
        //  still unknown: a symptom in every cycle until it runs again;
        //  critical: only the fallback for a cycle without issues
        bool unknown = t->critical->severity == SEVERITY_UNKNOWN;
        if (!unknown && (cycle->issue_count > 0 || t->critical->cycle != cycle->cycle))
            continue;
        diag_symptom_t *s = s_symptom (self, t->critical);
        if (s)
            symptoms [count++] = s;
    }
    //  Flapping checks: healed flap_count times within flap_window, once more
    //  in this cycle. Their cause is still there.
    for (tracked_t *t = (tracked_t *) zhashx_first (self->tracked); t;
         t = (tracked_t *) zhashx_next (self->tracked)) {
        if (!t->healed_this_cycle)
            continue;
        t->healed_this_cycle = false;
        int heals = s_recent_heals (self, t);
        if (self->settings->flap_count <= 0 || heals < self->settings->flap_count
        ||  count >= DIAG_MAX_SYMPTOMS || !t->healed)
            continue;
        diag_symptom_t *s = s_symptom (self, t->healed);
        if (s) {
            s->flaps = heals;
            s->flap_window_ms = self->settings->flap_window_ms;
            symptoms [count++] = s;
        }
    }
    if (count == 0)
        return;

    job_t *job = (job_t *) calloc (1, sizeof *job);
    char *system = NULL, *user = NULL, *environment = NULL, *context = NULL;
    if (!job)
        goto cleanup;
    job->id = ++self->next_id;
    job->cycle = cycle->cycle;
    job->fingerprint = diag_fingerprint (symptoms, count, self->settings->model,
                                         self->settings->template_text);
    job->checks = (char **) calloc (count, sizeof *job->checks);
    if (!job->fingerprint || !job->checks)
        goto cleanup;
    for (size_t i = 0; i < count; i++) {
        job->checks [i] = strdup (symptoms [i]->event->check);
        if (!job->checks [i])
            goto cleanup;
        job->check_count++;
    }
    if (diag_cache_get (self->cache, job->fingerprint) || (self->backoff_until
                                                 && heal_monotonic_ms () < self->backoff_until)) {
        //  answered from the cache, or not asked now: no prompt to build
        s_submit (self, job);
        job = NULL;
        goto cleanup;
    }
    int64_t now = event_now_ms ();
    environment = self->evidence
                ? diag_evidence_environment (self->evidence, symptoms, count, now) : NULL;
    context = s_context (self, symptoms, count, job->checks, now);
    if (environment && strlen (environment) > DIAG_MAX_ENVIRONMENT)
        environment [DIAG_MAX_ENVIRONMENT] = 0;
    if (context && strlen (context) > DIAG_MAX_ENVIRONMENT / 2)
        context [DIAG_MAX_ENVIRONMENT / 2] = 0;
    int level = 0;
    size_t budget = diag_prompt_budget (self->settings->num_ctx, self->settings->num_predict);
    if (diag_prompt_render (self->prompt, symptoms, count, heal_hostname (), environment,
                            context, budget, self->settings->max_evidence, &system, &user,
                            &level))
        goto cleanup;
    if (level > 0 && self->verbose)
        zsys_debug ("diagnoser: cycle %llu: prompt trimmed (level %d) to fit num_ctx %d",
                    (unsigned long long) cycle->cycle, level, self->settings->num_ctx);
    job->estimated_tokens = (int64_t) ((strlen (user) + (system ? strlen (system) : 0))
                                       / DIAG_CHARS_PER_TOKEN);
    job->body = ollama_chat_request (self->settings, system, user);
    if (!job->body)
        goto cleanup;
    s_submit (self, job);
    job = NULL;
cleanup:
    if (job)
        zsys_error ("diagnoser: cycle %llu: out of memory building the request",
                    (unsigned long long) cycle->cycle);
    s_job_destroy (&job);
    free (system);
    free (user);
    free (environment);
    free (context);
    for (size_t i = 0; i < count; i++)
        diag_symptom_destroy (&symptoms [i]);
}

static void
s_on_bus (diagnoser_t *self)
{
    char err [256] = "";
    event_t *event = bus_subscriber_recv (self->sub, 0, err, sizeof err);
    if (!event) {
        if (err [0])
            zsys_warning ("diagnoser: invalid bus message dropped: %s", err);
        return;
    }
    if (event->type == EVENT_CHECK)
        s_on_check (self, &event);
    else
    if (event->type == EVENT_CYCLE)
        s_on_cycle (self, event);
    event_destroy (&event);
}

//  --------------------------------------------------------------------------

diagnoser_t *
diagnoser_new (diag_settings_t **settings_p, const heal_config_t *config, bool verbose,
               char *err, size_t errlen)
{
    diagnoser_t *self = (diagnoser_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->settings = *settings_p;
    *settings_p = NULL;
    self->verbose = verbose;
    atomic_init (&self->abort_flag, 0);
    diag_settings_t *s = self->settings;
    char perr [512] = "";
    self->prompt = diag_prompt_new (s->template_text, perr, sizeof perr);
    if (!self->prompt) {
        snprintf (err, errlen, "diagnoser: %s", perr);
        goto fail;
    }
    self->redactor = heal_redactor_new (s->redact, s->redact_count, s->redact_defaults,
                                        perr, sizeof perr);
    if (!self->redactor) {
        snprintf (err, errlen, "diagnoser: redact: %s", perr);
        goto fail;
    }
    self->evidence = diag_evidence_new (config, self->redactor);
    self->history = diag_history_new ();
    if (!self->evidence || !self->history)
        goto fail;
    self->tracked = zhashx_new ();
    self->cache = diag_cache_new (s->ttl_ms);
    if (!self->tracked || !self->cache)
        goto fail;
    zhashx_set_destructor (self->tracked, s_tracked_destroy);
    //  every check event: critical and unknown ones are symptoms, ok ones
    //  resolve a diagnosis, warnings and unknowns are context
    const char *prefixes [] = { TOPIC_CHECK, TOPIC_CYCLE, NULL };
    self->sub = bus_subscriber_new_secure (config, s->publish, prefixes);
    if (!self->sub) {
        snprintf (err, errlen, "diagnoser: cannot connect to the bus at %s", s->publish);
        goto fail;
    }
    self->pusher = bus_pusher_new_secure (config, s->inbound, "heal-diagnoser");
    if (!self->pusher) {
        snprintf (err, errlen, "diagnoser: cannot connect to the agent inbound at %s", s->inbound);
        goto fail;
    }
    //  The actor reads these for its whole life; they outlive it (destroy order).
    self->actor_args.url = s->url;
    self->actor_args.model = s->model;
    self->actor_args.connect_timeout_ms = s->connect_timeout_ms;
    self->actor_args.timeout_ms = s->timeout_ms;
    self->actor_args.allow_remote = s->allow_remote;
    self->actor_args.num_ctx = s->num_ctx;
    self->actor_args.abort_flag = &self->abort_flag;
    self->actor = zactor_new (diag_actor, &self->actor_args);
    if (!self->actor) {
        snprintf (err, errlen, "diagnoser: cannot start the HTTP client (libcurl)");
        goto fail;
    }
    return self;
fail:
    diagnoser_destroy (&self);
    return NULL;
}

void
diagnoser_destroy (diagnoser_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    diagnoser_t *self = *self_p;
    atomic_store (&self->abort_flag, 1);
    if (self->actor && self->inflight) {
        //  The transfer stops at once (abort flag): take its result so the
        //  event it points to is freed, not lost in the pipe.
        //  (not a zpoller: it returns at once once interrupted)
        zsock_t *pipe = zactor_sock (self->actor);
        zsock_set_rcvtimeo (pipe, DIAG_STOP_WAIT_MS);
        char *cmd = NULL, *id = NULL;
        void *ptr = NULL;
        if (zsock_recv (pipe, "ssp", &cmd, &id, &ptr) == 0) {
            event_t *late = (event_t *) ptr;
            event_destroy (&late);
        }
        zstr_free (&cmd);
        zstr_free (&id);
        zsock_set_rcvtimeo (pipe, -1);
    }
    zactor_destroy (&self->actor);
    s_job_destroy (&self->inflight);
    s_job_destroy (&self->pending);
    bus_subscriber_destroy (&self->sub);
    bus_pusher_destroy (&self->pusher);
    zhashx_destroy (&self->tracked);
    diag_cache_destroy (&self->cache);
    event_destroy (&self->current);
    diag_history_destroy (&self->history);
    diag_evidence_destroy (&self->evidence);
    heal_redactor_destroy (&self->redactor);
    diag_prompt_destroy (&self->prompt);
    diag_settings_destroy (&self->settings);
    free (self);
    *self_p = NULL;
}

int
diagnoser_run (diagnoser_t *self)
{
    zsock_t *sub = bus_subscriber_sock (self->sub);
    zpoller_t *poller = zpoller_new (sub, self->actor, NULL);
    if (!poller)
        return -1;
    zsys_info ("diagnoser: model %s at %s, bus %s", self->settings->model,
               self->settings->url, self->settings->publish);
    while (!zsys_interrupted) {
        void *which = zpoller_wait (poller, DIAG_POLL_MS);
        if (which == sub) {
            //  drain what is there, then look at the actor again
            for (int i = 0; i < 100 && (zsock_events (sub) & ZMQ_POLLIN); i++)
                s_on_bus (self);
        }
        else
        if (which == self->actor)
            s_on_result (self);
        else
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    zsys_info ("diagnoser: stopping (%llu diagnoses published)",
               (unsigned long long) self->published);
    return 0;
}
