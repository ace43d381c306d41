//  agent — heal-agent's engine: the main thread's loop (zmq_poll over the
//  inbound PULL, the control ROUTER, the workers' mailbox and the exit
//  watches), the scheduler (cycles, per-check intervals, timeouts), the
//  worker threads, and what happens to a result (severity, streak, remedy
//  budget, alerts, incidents). See docs/agent.md.
//
//  Threads: the main thread owns every socket and all agent state. A worker
//  runs one check (run, then with permission remedy and run again) and posts
//  its job back through the mailbox (a mutex-protected list + a pipe the main
//  thread polls). The worker asks the main thread before it remediates, so the
//  attempt is counted and persisted first (a kill -9 never loses budget).

#include "agent_impl.h"
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  ---------------------------------------------------------------------
//  Mailbox: workers (and kinds' emit) -> main thread

typedef enum { MAIL_RESULT, MAIL_ASK, MAIL_EMIT } mail_type_t;

typedef struct mail_t {
    mail_type_t type;
    agent_job_t *job;
    event_t *event;
    struct mail_t *next;
} mail_t;

struct agent_mailbox_t {
    pthread_mutex_t lock;
    mail_t *head;
    mail_t *tail;
    int fds [2];                //  [0] main polls, [1] anyone writes a byte
};

static volatile sig_atomic_t s_sig_stop = 0;
static volatile sig_atomic_t s_sig_reload = 0;
static volatile int s_sig_fd = -1;

static void
s_signal_handler (int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        s_sig_reload = 1;
    else
        s_sig_stop = 1;
    if (s_sig_fd >= 0) {
        ssize_t rc = write (s_sig_fd, "s", 1);
        (void) rc;
    }
    errno = saved;
}

static agent_mailbox_t *
s_mailbox_new (void)
{
    agent_mailbox_t *self = (agent_mailbox_t *) zmalloc (sizeof (agent_mailbox_t));
    if (!self)
        return NULL;
    if (pipe (self->fds)) {
        zsys_error ("agent: pipe: %s", strerror (errno));
        free (self);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        fcntl (self->fds [i], F_SETFL, fcntl (self->fds [i], F_GETFL) | O_NONBLOCK);
        fcntl (self->fds [i], F_SETFD, FD_CLOEXEC);
    }
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

static void
s_mailbox_destroy (agent_mailbox_t **self_p)
{
    agent_mailbox_t *self = *self_p;
    if (!self)
        return;
    mail_t *mail = self->head;
    while (mail) {
        mail_t *next = mail->next;
        event_destroy (&mail->event);
        free (mail);
        mail = next;
    }
    close (self->fds [0]);
    close (self->fds [1]);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

//  Any thread. Takes ownership of event.
static void
s_mailbox_post (agent_mailbox_t *self, mail_type_t type, agent_job_t *job, event_t *event)
{
    mail_t *mail = (mail_t *) zmalloc (sizeof (mail_t));
    if (!mail) {
        event_t *e = event;
        event_destroy (&e);
        return;
    }
    mail->type = type;
    mail->job = job;
    mail->event = event;
    pthread_mutex_lock (&self->lock);
    if (self->tail)
        self->tail->next = mail;
    else
        self->head = mail;
    self->tail = mail;
    pthread_mutex_unlock (&self->lock);
    ssize_t rc = write (self->fds [1], "m", 1);
    (void) rc;                  //  full pipe: main is going to wake anyway
}

static mail_t *
s_mailbox_take (agent_mailbox_t *self)
{
    char buf [256];
    while (read (self->fds [0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock (&self->lock);
    mail_t *list = self->head;
    self->head = self->tail = NULL;
    pthread_mutex_unlock (&self->lock);
    return list;
}

//  check_ctx_t.emit: any thread may publish an extra event through the agent.
static void
s_emit (const check_ctx_t *ctx, event_t **event_p)
{
    if (!event_p || !*event_p)
        return;
    event_t *event = *event_p;
    *event_p = NULL;
    if (!ctx || !ctx->emit_arg) {
        event_destroy (&event);
        return;
    }
    s_mailbox_post ((agent_mailbox_t *) ctx->emit_arg, MAIL_EMIT, NULL, event);
}

//  ---------------------------------------------------------------------
//  Generations: a config and its check instances

static void
s_gen_unref (agent_gen_t **gen_p)
{
    agent_gen_t *gen = *gen_p;
    if (!gen)
        return;
    *gen_p = NULL;
    if (--gen->refs > 0)
        return;
    if (gen->config) {
        for (size_t i = 0; i < gen->config->check_count; i++)
            if (gen->kinds [i] && gen->instances [i] && gen->kinds [i]->destroy)
                gen->kinds [i]->destroy (&gen->instances [i]);
    }
    free (gen->kinds);
    free (gen->instances);
    heal_config_destroy (&gen->config);
    free (gen);
}

//  Load and configure everything; NULL with err on any error.
static agent_gen_t *
s_gen_load (const char *file, char *err, size_t errlen)
{
    heal_config_t *config = heal_config_load (file, err, errlen);
    if (!config)
        return NULL;
    agent_gen_t *gen = (agent_gen_t *) zmalloc (sizeof (agent_gen_t));
    size_t n = config->check_count;
    gen->config = config;
    gen->refs = 1;
    gen->kinds = (const check_kind_t **) calloc (n? n: 1, sizeof (check_kind_t *));
    gen->instances = (void **) calloc (n? n: 1, sizeof (void *));
    if (!gen->kinds || !gen->instances) {
        snprintf (err, errlen, "%s: out of memory", file? file: "(defaults)");
        s_gen_unref (&gen);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const heal_check_config_t *check = &config->checks [i];
        const check_kind_t *kind = check_kind_find (check->kind);
        if (!kind) {
            heal_config_error (err, errlen, config->file, check->name, "kind",
                               "unknown kind '%s'", check->kind? check->kind: "");
            s_gen_unref (&gen);
            return NULL;
        }
        gen->kinds [i] = kind;
        gen->instances [i] = check_configure (kind, config, check, err, errlen);
        if (!gen->instances [i]) {
            if (!*err)
                heal_config_error (err, errlen, config->file, check->name, NULL,
                                   "cannot configure this check");
            s_gen_unref (&gen);
            return NULL;
        }
    }
    return gen;
}

int
agent_validate (const char *config_file, char *err, size_t errlen)
{
    err [0] = 0;
    char *file = heal_config_locate (config_file);
    agent_gen_t *gen = s_gen_load (file, err, errlen);
    free (file);
    if (!gen)
        return CONFIG_EXIT_INVALID;
    s_gen_unref (&gen);
    return 0;
}

//  ---------------------------------------------------------------------
//  Checks' runtime table

static int64_t
s_interval (agent_t *self, const heal_check_config_t *cfg)
{
    if (cfg && cfg->interval_ms > 0)
        return cfg->interval_ms;
    return self->gen->config->interval_ms > 0? self->gen->config->interval_ms
                                             : CONFIG_DEFAULT_INTERVAL_MS;
}

static void
s_check_init (agent_check_t *check, const heal_check_config_t *cfg, size_t index)
{
    memset (check, 0, sizeof *check);
    snprintf (check->name, sizeof check->name, "%s", cfg->name);
    check->cfg = cfg;
    check->index = index;
    check->present = true;
    check->severity = SEVERITY_OK;
}

static void
s_check_free (agent_check_t *check)
{
    json_decref (check->last);
    check->last = NULL;
    free (check->last_remedy_result);
    check->last_remedy_result = NULL;
}

agent_check_t *
agent_check_find (agent_t *self, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < self->check_count; i++)
        if (streq (self->checks [i].name, name))
            return &self->checks [i];
    return NULL;
}

//  ---------------------------------------------------------------------
//  Publishing

static void
s_stamp (event_t *event)
{
    if (!event->ts)
        event->ts = event_now_ms ();
    if (!event->host)
        event_set_string (&event->host, heal_hostname (), EVENT_MAX_SHORT);
    if (!event->source)
        event_set_string (&event->source, "heal-agent", EVENT_MAX_SHORT);
}

//  Publish, borrowing event (its seq/ts/host/source are stamped).
static void
s_publish (agent_t *self, event_t *event)
{
    s_stamp (event);
    if (self->pub)
        bus_publisher_send (self->pub, event);
}

void
agent_publish (agent_t *self, event_t **event_p)
{
    if (!event_p || !*event_p)
        return;
    s_publish (self, *event_p);
    event_destroy (event_p);
}

static void
s_publish_agent (agent_t *self, const char *what, const char *message)
{
    event_t *event = event_new (EVENT_AGENT);
    if (!event)
        return;
    event_set_string (&event->event, what, EVENT_MAX_SHORT);
    event_set_string (&event->version, HEAL_VERSION, EVENT_MAX_SHORT);
    event->pid = (int64_t) getpid ();
    if (message)
        event_set_string (&event->message, message, EVENT_MAX_MESSAGE);
    event->cycle = self->cycle;
    agent_publish (self, &event);
}

static void
s_alert (agent_t *self, agent_check_t *check, const event_t *source, const char *what)
{
    event_t *event = event_new (EVENT_ALERT);
    if (!event)
        return;
    event->cycle = source->cycle;
    event_set_string (&event->check, check->name, EVENT_MAX_NAME);
    event_set_string (&event->kind, source->kind, EVENT_MAX_SHORT);
    event->critical = source->critical;
    event->severity = source->severity;
    event_set_string (&event->message, source->message, EVENT_MAX_MESSAGE);
    event_set_string (&event->alert, what, EVENT_MAX_SHORT);
    event->streak = source->streak;
    event->since = source->since;
    event->changed = source->changed;
    agent_publish (self, &event);
}

//  ---------------------------------------------------------------------
//  State flushing

void
agent_state_changed (agent_t *self, bool now)
{
    self->state_dirty = true;
    if (now)
        agent_state_save (self);
    else
    if (!self->state_flush_at)
        self->state_flush_at = heal_monotonic_ms () + AGENT_STATE_FLUSH_MS;
}

//  ---------------------------------------------------------------------
//  Worker thread

static bool
s_worker_ask (agent_job_t *job)
{
    pthread_mutex_lock (&job->lock);
    job->ask = 1;
    pthread_mutex_unlock (&job->lock);
    s_mailbox_post (job->mailbox, MAIL_ASK, job, NULL);
    //  Wait for the main thread's answer, at most until the run's deadline.
    pthread_mutex_lock (&job->lock);
    while (job->ask == 1) {
        int64_t left = job->ctx.deadline_ms - heal_monotonic_ms ();
        if (left <= 0)
            break;
        if (left > 1000)
            left = 1000;
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long) (left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait (&job->cond, &job->lock, &ts);
    }
    bool yes = job->ask == 2;
    if (job->ask == 1)
        job->ask = 3;           //  gave up waiting: too late to remediate
    pthread_mutex_unlock (&job->lock);
    return yes;
}

static void *
s_worker (void *arg)
{
    agent_job_t *job = (agent_job_t *) arg;
    const check_kind_t *kind = job->gen->kinds [job->index];
    void *instance = job->gen->instances [job->index];
    int64_t t0 = heal_monotonic_ms ();

    job->result.event = event_new (EVENT_CHECK);
    if (!job->result.event)
        job->first = job->status = CHECK_UNKNOWN;
    else
        job->first = job->status = kind->run (instance, &job->ctx, &job->result);

    if (job->first == CHECK_FAIL && job->may_remedy && kind->remedy
    &&  job->result.event) {
        job->asked = true;
        if (s_worker_ask (job)) {
            job->remedied = true;
            int64_t r0 = heal_monotonic_ms ();
            job->remedy_status = kind->remedy (instance, &job->ctx, &job->result,
                                               &job->remedy);
            job->remedy.duration_ms = heal_monotonic_ms () - r0;
            if (job->remedy_status == REMEDY_DONE) {
                //  Check again: this run decides healed or failed.
                char *before = job->result.event->message?
                               strdup (job->result.event->message): NULL;
                event_t *again = event_new (EVENT_CHECK);
                if (again) {
                    check_result_t rerun = { again, 0, 0 };
                    job->status = kind->run (instance, &job->ctx, &rerun);
                    event_destroy (&job->result.event);
                    job->result = rerun;
                    if (before) {
                        char line [EVENT_MAX_EVIDENCE_LEN];
                        snprintf (line, sizeof line, "before remedy: %s", before);
                        event_add_evidence (job->result.event, line);
                    }
                }
                free (before);
            }
        }
        else
            job->denied = true;
    }
    job->duration_ms = heal_monotonic_ms () - t0;
    s_mailbox_post (job->mailbox, MAIL_RESULT, job, NULL);
    return NULL;
}

static void
s_job_destroy (agent_t *self, agent_job_t **job_p)
{
    agent_job_t *job = *job_p;
    if (!job)
        return;
    event_destroy (&job->result.event);
    free (job->remedy.action);
    free (job->remedy.output);
    free (job->remedy.result);
    pthread_mutex_destroy (&job->lock);
    pthread_cond_destroy (&job->cond);
    s_gen_unref (&job->gen);
    (void) self;
    free (job);
    *job_p = NULL;
}

//  ---------------------------------------------------------------------
//  Results

static void s_complete (agent_t *self, agent_check_t *check, event_t *event,
                        check_status_t first, check_status_t status,
                        agent_job_t *job, bool timed_out);
static void s_cycle_maybe_end (agent_t *self);
static void s_dispatch_queued (agent_t *self);

static bool
s_busy (const agent_check_t *check)
{
    return check->queued || (check->job && !check->job->abandoned);
}

static void
s_start_job (agent_t *self, agent_check_t *check)
{
    agent_job_t *job = (agent_job_t *) zmalloc (sizeof (agent_job_t));
    if (!job)
        return;
    job->id = ++self->next_job_id;
    snprintf (job->name, sizeof job->name, "%s", check->name);
    job->gen = self->gen;
    self->gen->refs++;
    job->index = check->index;
    job->cycle = self->cycle;
    job->forced = check->force_remedy;
    check->force_remedy = false;
    int64_t now_wall = event_now_ms ();
    job->may_remedy = job->forced
        || remedy_budget_decide (&check->budget, check->cfg, now_wall) == REMEDY_ALLOW;
    job->timeout_ms = check->cfg->timeout_ms > 0? check->cfg->timeout_ms
                                                : CONFIG_DEFAULT_TIMEOUT_MS;
    job->started = heal_monotonic_ms ();
    job->started_wall = now_wall;
    job->deadline = job->started + job->timeout_ms;
    job->mailbox = self->mailbox;
    job->ctx.name = job->name;
    job->ctx.config = job->gen->config;
    job->ctx.check = &job->gen->config->checks [job->index];
    job->ctx.deadline_ms = job->deadline;
    job->ctx.verbose = self->options.verbose;
    job->ctx.emit = s_emit;
    job->ctx.emit_arg = self->mailbox;
    pthread_mutex_init (&job->lock, NULL);
    pthread_cond_init (&job->cond, NULL);

    check->job = job;
    self->running++;
    int rc = pthread_create (&job->thread, NULL, s_worker, job);
    if (rc) {
        self->running--;
        check->job = NULL;
        zsys_error ("agent: cannot start a worker for '%s': %s", check->name, strerror (rc));
        event_t *event = event_new (EVENT_CHECK);
        if (event) {
            event_set_string (&event->message, "cannot start a worker thread", EVENT_MAX_MESSAGE);
            s_complete (self, check, event, CHECK_UNKNOWN, CHECK_UNKNOWN, NULL, false);
        }
        s_job_destroy (self, &job);
    }
    else
    if (self->options.verbose)
        zsys_debug ("agent: run '%s' (cycle %" PRIu64 ")", check->name, self->cycle);
}

void
agent_dispatch (agent_t *self, agent_check_t *check, bool force)
{
    if (!check || !check->present)
        return;
    if (force)
        check->force_remedy = true;
    if (s_busy (check)) {
        if (force)
            check->again = true;
        return;
    }
    if (check->job) {           //  abandoned worker still out: run when it returns
        check->again = true;
        return;
    }
    if (self->running >= AGENT_MAX_WORKERS || self->stopping) {
        if (self->stopping)
            return;
        check->queued = true;
        zlistx_add_end (self->queue, check->name);
        return;
    }
    s_start_job (self, check);
}

static void
s_dispatch_queued (agent_t *self)
{
    while (self->running < AGENT_MAX_WORKERS && zlistx_size (self->queue)) {
        char *name = (char *) zlistx_first (self->queue);
        agent_check_t *check = agent_check_find (self, name);
        zlistx_delete (self->queue, zlistx_cursor (self->queue));
        if (check && check->queued) {
            check->queued = false;
            if (!check->job)
                s_start_job (self, check);
            else
                check->again = true;
        }
    }
}

//  The severity of a run: see docs/agent.md.
static severity_t
s_severity (const agent_check_t *check, check_status_t status, bool healed)
{
    switch (status) {
        case CHECK_OK:   return healed? SEVERITY_HEALED: SEVERITY_OK;
        case CHECK_WARN: return SEVERITY_WARNING;
        case CHECK_FAIL: return check->cfg->critical? SEVERITY_CRITICAL: SEVERITY_WARNING;
        default:         return SEVERITY_UNKNOWN;
    }
}

static event_remedy_t *
s_remedy_new (const char *action, const char *result, int64_t attempt,
              int64_t duration_ms, const char *output)
{
    event_remedy_t *remedy = (event_remedy_t *) zmalloc (sizeof (event_remedy_t));
    if (!remedy)
        return NULL;
    event_set_string (&remedy->action, action? action: "remedy", EVENT_MAX_SHORT);
    event_set_string (&remedy->result, result, EVENT_MAX_SHORT);
    remedy->attempt = attempt;
    remedy->duration_ms = duration_ms;
    if (output)
        event_set_string (&remedy->output, output, EVENT_MAX_TEXT);
    return remedy;
}

static void
s_watch_update (agent_t *self, agent_check_t *check, int64_t pid, uint64_t start)
{
    if (check->watch_pid && check->watch_pid == pid)
        return;                 //  same pid, already watched
    if (check->watch_pid)
        platform_watches_remove (self->watches, (int) check->watch_pid);
    check->watch_pid = 0;
    if (pid > 0 && pid <= INT32_MAX && check->cfg->critical && self->watches) {
        int rc = platform_watches_add (self->watches, (int) pid);
        int code = errno;
        //  Gone since the run, or its pid reused? (Out of descriptors we
        //  cannot tell: keep the watch rather than run the check in a loop.)
        if (rc == 0 && platform_proc_gone ((int) pid, start) == 1) {
            platform_watches_remove (self->watches, (int) pid);
            rc = -1;
            code = ESRCH;
        }
        if (rc == 0)
            check->watch_pid = pid;
        else
        if (code == ESRCH)
            check->again = true;        //  gone (or exiting) since the run: run again now
        else
        if (code == EMFILE || code == ENFILE) {
            //  Never silent: the check falls back to its interval.
            zsys_error ("agent: '%s': cannot watch pid %" PRId64 ": %s",
                        check->name, pid, strerror (code));
            if (!self->fds_exhausted) {
                char message [256];
                snprintf (message, sizeof message,
                          "out of file descriptors (%s): exit watch of '%s' (pid %" PRId64
                          ") lost, checks fall back to their interval", strerror (code),
                          check->name, pid);
                s_publish_agent (self, "fd_exhausted", message);
            }
            self->fds_exhausted = true;
        }
        //  Else no exit watch here: the interval decides.
        if (rc == 0)
            self->fds_exhausted = false;
    }
}

//  After a failed or throttled remediation, run the check again when its
//  backoff ends rather than a whole interval later: a dead service stays down
//  no longer than the backoff says, and the budget still bounds the attempts.
//  No backoff (0) means no early run: the next one is at the interval.
static void
s_retry_after_backoff (agent_check_t *check, int64_t now)
{
    if (check->budget.gave_up || check->budget.backoff_until <= now)
        return;
    int64_t retry = heal_monotonic_ms () + (check->budget.backoff_until - now) + 10;
    if (check->next_due > retry)
        check->next_due = retry;
}

//  A run is over (result, failure to start, or timeout). Takes ownership of
//  event (a check event with at least a message). job NULL when there was no
//  worker result (timeout, could not start).
static void
s_complete (agent_t *self, agent_check_t *check, event_t *event,
            check_status_t first, check_status_t status, agent_job_t *job,
            bool timed_out)
{
    int64_t now = event_now_ms ();
    const heal_check_config_t *cfg = check->cfg;
    bool muted = remedy_budget_muted (&check->budget, now);
    const char *alert_gave_up = NULL;

    //  What remediation did (or why it did not).
    event_remedy_t *remedy = NULL;
    bool healed = false;
    if (job && job->remedied) {
        const char *result = "failed";
        bool pending = false;
        switch (job->remedy_status) {
            case REMEDY_DONE:
                result = status == CHECK_OK? "healed": "failed";
                healed = status == CHECK_OK;
                if (!healed)
                    s_retry_after_backoff (check, now);
                break;
            case REMEDY_FAILED:
                result = "failed";
                s_retry_after_backoff (check, now);
                break;
            case REMEDY_PENDING:
                //  Started in the background (e.g. a model pull): not an
                //  outcome yet. The bus has no "pending" result: "skipped"
                //  with the output saying so; a later run shows the outcome.
                result = "skipped";
                pending = true;
                break;
            case REMEDY_NONE:
                //  Nothing configured for this failure: the attempt is given back.
                result = "skipped";
                remedy_budget_unrecord (&check->budget);
                job->attempt = 0;
                agent_state_changed (self, true);
                break;
        }
        char *output = NULL;
        if (pending)
            output = zsys_sprintf ("pending: started in the background%s%s",
                                   job->remedy.output? ": ": "",
                                   job->remedy.output? job->remedy.output: "");
        remedy = s_remedy_new (job->remedy.action, result, job->attempt,
                               job->remedy.duration_ms,
                               output? output: job->remedy.output);
        zstr_free (&output);
        if (job->remedy_status != REMEDY_NONE)
            self->remediations++;
    }
    else
    if (first == CHECK_FAIL && !timed_out) {
        const check_kind_t *kind = self->gen->kinds [check->index];
        if (kind->remedy) {
            remedy_decision_t decision = job && job->forced && !job->denied
                ? REMEDY_ALLOW
                : remedy_budget_decide (&check->budget, cfg, now);
            const char *result = "throttled";
            const char *output = NULL;
            switch (decision) {
                case REMEDY_MUTED:
                    result = "skipped";
                    output = "muted";
                    break;
                case REMEDY_SPENT:
                    check->budget.gave_up = true;
                    alert_gave_up = "gave_up";
                    result = "gave_up";
                    agent_state_changed (self, true);
                    break;
                case REMEDY_GAVE_UP:
                    result = "gave_up";
                    break;
                case REMEDY_THROTTLED:
                case REMEDY_ALLOW:
                    result = "throttled";
                    output = "in backoff";
                    break;
            }
            if (decision == REMEDY_THROTTLED)
                s_retry_after_backoff (check, now);
            remedy = s_remedy_new ("remedy", result, check->budget.count, 0, output);
        }
    }

    severity_t severity = s_severity (check, status, healed);
    bool had = check->has_severity;
    severity_t previous = check->severity;
    bool changed = !had || previous != severity;

    event->type = EVENT_CHECK;
    event->cycle = job? job->cycle: self->cycle;
    event_set_string (&event->check, check->name, EVENT_MAX_NAME);
    event_set_string (&event->kind, cfg->kind, EVENT_MAX_SHORT);
    event->critical = cfg->critical;
    event->severity = severity;
    if (!event->message)
        event_set_string (&event->message, severity_name (severity), EVENT_MAX_MESSAGE);
    event->duration_ms = job? job->duration_ms
                            : (check->job? heal_monotonic_ms () - check->job->started: 0);
    if (severity == SEVERITY_OK || severity == SEVERITY_HEALED)
        check->streak = 0;
    else
        check->streak++;
    if (changed)
        check->since = now;
    event->streak = check->streak;
    event->since = check->since;
    event->changed = changed;
    if (event->remedy) {        //  a kind should not set it; ours wins
        event_remedy_t *old = event->remedy;
        free (old->action); free (old->result); free (old->output); free (old);
    }
    event->remedy = remedy;
    event->ts = 0;
    //  Exit watch: re-armed on every result (the pid may have changed), before
    //  anyone hears of this result and could act on the process.
    if (!timed_out)
        s_watch_update (self, check, job? job->result.watch_pid: 0,
                        job? job->result.watch_start: 0);
    s_publish (self, event);

    check->has_severity = true;
    check->severity = severity;
    json_decref (check->last);
    check->last = event_to_json (event);
    free (check->last_remedy_result);
    check->last_remedy_result = remedy? strdup (remedy->result): NULL;

    //  Alerts (never when muted).
    if (!muted) {
        if (severity == SEVERITY_CRITICAL && (!had || previous != SEVERITY_CRITICAL))
            s_alert (self, check, event, "critical");
        if (alert_gave_up)
            s_alert (self, check, event, "gave_up");
        if (had && (previous == SEVERITY_CRITICAL || previous == SEVERITY_WARNING)
        &&  (severity == SEVERITY_OK || severity == SEVERITY_HEALED))
            s_alert (self, check, event, "recovered");
    }
    if (severity == SEVERITY_OK && (check->budget.gave_up || check->budget.backoff_until)) {
        remedy_budget_recover (&check->budget);
        agent_state_changed (self, true);
    }
    if (first != CHECK_OK || severity != SEVERITY_OK)
        agent_incident_append (self, check->last);


    event_destroy (&event);
    agent_state_changed (self, false);
    agent_control_result (self, check);
    if (check->cycle_member) {
        check->cycle_member = 0;
        s_cycle_maybe_end (self);
    }
}

//  Main thread: a worker's job came back.
static void
s_job_returned (agent_t *self, agent_job_t *job)
{
    pthread_join (job->thread, NULL);
    self->running--;
    agent_check_t *check = agent_check_find (self, job->name);
    if (check && check->job == job)
        check->job = NULL;
    if (job->abandoned || !check || !check->present) {
        self->results_discarded++;
        if (check && check->present && job->remedied) {
            //  The remediation happened even though nobody waited for it.
            if (job->remedy_status == REMEDY_NONE)
                remedy_budget_unrecord (&check->budget);
        }
        s_job_destroy (self, &job);
    }
    else {
        event_t *event = job->result.event;
        job->result.event = NULL;
        if (!event) {
            event = event_new (EVENT_CHECK);
            if (event)
                event_set_string (&event->message, "out of memory", EVENT_MAX_MESSAGE);
        }
        if (event)
            s_complete (self, check, event, job->first, job->status, job, false);
        s_job_destroy (self, &job);
    }
    if (check && check->present && check->again && !s_busy (check) && !check->job) {
        check->again = false;
        agent_dispatch (self, check, false);
    }
    s_dispatch_queued (self);
}

//  Main thread: a worker asks to remediate.
static void
s_job_ask (agent_t *self, agent_job_t *job)
{
    agent_check_t *check = agent_check_find (self, job->name);
    bool yes = false;
    int attempt = 0;
    if (!job->abandoned && !self->stopping && check && check->present && check->job == job) {
        int64_t now = event_now_ms ();
        remedy_decision_t decision = remedy_budget_decide (&check->budget, check->cfg, now);
        if (job->forced && decision != REMEDY_MUTED)
            decision = REMEDY_ALLOW;
        if (decision == REMEDY_ALLOW) {
            attempt = remedy_budget_record (&check->budget, check->cfg, now);
            //  Persist before the remedy may start.
            agent_state_changed (self, true);
            yes = true;
            //  The remedy and the re-run get their own time.
            int64_t mono = heal_monotonic_ms ();
            job->deadline = mono + 2 * job->timeout_ms;
        }
    }
    pthread_mutex_lock (&job->lock);
    if (job->ask == 1) {
        job->ask = yes? 2: 3;
        job->attempt = attempt;
        if (yes)
            job->ctx.deadline_ms = heal_monotonic_ms () + job->timeout_ms;
    }
    else
    if (yes && check) {
        //  The worker stopped waiting: the attempt did not happen.
        remedy_budget_unrecord (&check->budget);
        agent_state_changed (self, true);
    }
    pthread_cond_signal (&job->cond);
    pthread_mutex_unlock (&job->lock);
}

static void
s_mailbox_handle (agent_t *self)
{
    mail_t *mail = s_mailbox_take (self->mailbox);
    while (mail) {
        mail_t *next = mail->next;
        if (mail->type == MAIL_RESULT)
            s_job_returned (self, mail->job);
        else
        if (mail->type == MAIL_ASK)
            s_job_ask (self, mail->job);
        else
        if (mail->type == MAIL_EMIT && mail->event) {
            self->emitted++;
            agent_publish (self, &mail->event);
        }
        event_destroy (&mail->event);
        free (mail);
        mail = next;
    }
}

//  Runs past their deadline are reported unknown now; their worker's result
//  will be discarded.
static void
s_timeouts (agent_t *self, int64_t mono)
{
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        agent_job_t *job = check->job;
        if (!job || job->abandoned || mono < job->deadline)
            continue;
        job->abandoned = true;
        self->timeouts++;
        event_t *event = event_new (EVENT_CHECK);
        if (!event)
            continue;
        char message [128];
        snprintf (message, sizeof message, "timed out after %" PRId64 " ms",
                  job->timeout_ms);
        event_set_string (&event->message, message, EVENT_MAX_MESSAGE);
        s_complete (self, check, event, CHECK_UNKNOWN, CHECK_UNKNOWN, NULL, true);
    }
}

//  ---------------------------------------------------------------------
//  Cycles

severity_t
agent_worst (agent_t *self, int64_t counts [SEVERITY_COUNT], bool *degraded, json_t *issues)
{
    severity_t worst = SEVERITY_OK;
    if (counts)
        memset (counts, 0, sizeof (int64_t) * SEVERITY_COUNT);
    if (degraded)
        *degraded = false;
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (!check->present || !check->has_severity)
            continue;
        if (counts)
            counts [check->severity]++;
        if (severity_worse (check->severity, worst))
            worst = check->severity;
        if (check->severity == SEVERITY_CRITICAL
        || (check->severity == SEVERITY_UNKNOWN && check->cfg->critical)) {
            if (degraded)
                *degraded = true;
        }
        if (check->severity == SEVERITY_CRITICAL && issues)
            json_array_append_new (issues, json_string (check->name));
    }
    return worst;
}

static void
s_cycle_end (agent_t *self)
{
    self->cycle_open = false;
    event_t *event = event_new (EVENT_CYCLE);
    json_t *issues = json_array ();
    int64_t counts [SEVERITY_COUNT];
    bool degraded = false;
    severity_t worst = agent_worst (self, counts, &degraded, issues);
    if (event) {
        event->cycle = self->cycle;
        memcpy (event->counts, counts, sizeof counts);
        event->degraded = degraded;
        event->duration_ms = heal_monotonic_ms () - self->cycle_started;
        size_t i;
        json_t *name;
        json_array_foreach (issues, i, name)
            event_list_append (&event->issues, &event->issue_count,
                               json_string_value (name), EVENT_MAX_NAME);
    }
    json_decref (issues);
    //  Files first: whoever hears heal.cycle finds them up to date.
    agent_report_write (self);
    if (self->state_dirty)
        agent_state_save (self);
    if (event) {
        s_publish (self, event);
        json_decref (self->last_cycle);
        self->last_cycle = event_to_json (event);
        event_destroy (&event);
    }
    if (self->options.verbose)
        zsys_info ("agent: cycle %" PRIu64 " done: worst %s", self->cycle,
                   severity_name (worst));
    if (self->options.once) {
        self->once_worst = worst;
        self->once_exit = severity_exit_code (worst);
    }
}

static void
s_cycle_maybe_end (agent_t *self)
{
    if (!self->cycle_open)
        return;
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].cycle_member)
            return;
    s_cycle_end (self);
}

void
agent_cycle_start (agent_t *self, bool all)
{
    int64_t mono = heal_monotonic_ms ();
    self->cycle++;
    self->cycle_open = true;
    self->cycle_started = mono;
    self->cycle_started_wall = event_now_ms ();
    //  Members first, then dispatch: a check that completes at once must
    //  not end the cycle before the others joined it.
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        check->cycle_member = 0;
        if (!check->present)
            continue;
        if (!all && check->next_due > mono + 50)
            continue;
        check->next_due = mono + s_interval (self, check->cfg);
        if (check->job && check->job->abandoned)
            continue;           //  still out after its timeout: reported unknown
        check->cycle_member = self->cycle;
    }
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (check->cycle_member == self->cycle && !s_busy (check))
            agent_dispatch (self, check, false);
    }
    s_cycle_maybe_end (self);
}

//  Checks with their own interval that are due between cycles.
static void
s_due (agent_t *self, int64_t mono)
{
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (!check->present || check->next_due > mono)
            continue;
        check->next_due = mono + s_interval (self, check->cfg);
        if (!s_busy (check) && !check->job)
            agent_dispatch (self, check, false);
    }
}

//  ---------------------------------------------------------------------
//  Construction, reload

static int
s_paths (agent_t *self)
{
    const char *dir = self->gen->config->state_dir;
    if (!dir)
        return -1;
    if (heal_mkdir_p (dir, 0700)) {
        zsys_error ("agent: cannot create state dir %s: %s", dir, strerror (errno));
        return -1;
    }
    self->state_path = zsys_sprintf ("%s/state.json", dir);
    self->report_path = zsys_sprintf ("%s/report.json", dir);
    self->incidents_path = zsys_sprintf ("%s/incidents.jsonl", dir);
    return 0;
}

static int
s_checks_build (agent_t *self, agent_gen_t *gen)
{
    size_t n = gen->config->check_count;
    agent_check_t *checks = (agent_check_t *) calloc (n? n: 1, sizeof (agent_check_t));
    if (!checks)
        return -1;
    int64_t mono = heal_monotonic_ms ();
    for (size_t i = 0; i < n; i++) {
        const heal_check_config_t *cfg = &gen->config->checks [i];
        agent_check_t *old = agent_check_find (self, cfg->name);
        if (old && old->present) {
            checks [i] = *old;
            checks [i].cfg = cfg;
            checks [i].index = i;
            old->present = false;       //  moved
            old->last = NULL;
            old->last_remedy_result = NULL;
            old->watch_pid = 0;         //  the watch moved with checks [i]
            if (checks [i].job && !checks [i].job->abandoned) {
                //  The old generation's run is still out: keep it, its
                //  result still describes this check.
            }
        }
        else {
            s_check_init (&checks [i], cfg, i);
            checks [i].next_due = mono;
        }
    }
    //  Checks that disappeared: their jobs' results will be discarded.
    for (size_t i = 0; i < self->check_count; i++) {
        if (self->checks [i].present) {
            if (self->checks [i].job)
                self->checks [i].job->abandoned = true;
            if (self->checks [i].watch_pid)
                platform_watches_remove (self->watches, (int) self->checks [i].watch_pid);
            s_check_free (&self->checks [i]);
        }
    }
    free (self->checks);
    self->checks = checks;
    self->check_count = n;
    //  A queued name that is gone is skipped by s_dispatch_queued.
    return 0;
}

int
agent_reload (agent_t *self, char *err, size_t errlen)
{
    err [0] = 0;
    agent_gen_t *gen = s_gen_load (self->config_file, err, errlen);
    if (!gen) {
        zsys_error ("agent: reload failed, keeping the running config: %s", err);
        s_publish_agent (self, "reload_failed", err);
        return -1;
    }
    agent_gen_t *old = self->gen;
    self->gen = gen;
    if (s_checks_build (self, gen)) {
        self->gen = old;
        s_gen_unref (&gen);
        snprintf (err, errlen, "out of memory");
        s_publish_agent (self, "reload_failed", err);
        return -1;
    }
    s_gen_unref (&old);
    //  Pending `run` requests may wait for checks that are gone.
    agent_control_result (self, NULL);
    int64_t interval = s_interval (self, NULL);
    int64_t mono = heal_monotonic_ms ();
    if (self->next_cycle > mono + interval)
        self->next_cycle = mono + interval;
    zsys_info ("agent: reloaded %s (%zu checks)",
               self->config_file? self->config_file: "built-in defaults", self->check_count);
    s_publish_agent (self, "reloaded", NULL);
    s_cycle_maybe_end (self);
    agent_state_changed (self, true);
    return 0;
}

agent_t *
agent_new (const agent_options_t *options, char *err, size_t errlen, int *exit_code)
{
    err [0] = 0;
    *exit_code = 1;
    agent_t *self = (agent_t *) zmalloc (sizeof (agent_t));
    if (!self)
        return NULL;
    self->options = *options;
    self->once_exit = -1;
    self->started = event_now_ms ();
    self->config_file = heal_config_locate (options->config_file);
    self->options.config_file = self->config_file;
    self->gen = s_gen_load (self->config_file, err, errlen);
    if (!self->gen) {
        *exit_code = CONFIG_EXIT_INVALID;
        goto fail;
    }
    if (s_checks_build (self, self->gen)) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    if (s_paths (self)) {
        snprintf (err, errlen, "cannot use state dir %s",
                  self->gen->config->state_dir? self->gen->config->state_dir: "(none)");
        goto fail;
    }
    self->queue = zlistx_new ();
    zlistx_set_duplicator (self->queue, (zlistx_duplicator_fn *) strdup);
    zlistx_set_destructor (self->queue, (zlistx_destructor_fn *) zstr_free);
    self->pendings = zlistx_new ();
    self->mailbox = s_mailbox_new ();
    self->watches = platform_watches_new ();        //  NULL: intervals only
    if (!self->queue || !self->pendings || !self->mailbox) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    agent_state_load (self);

    const heal_config_t *config = self->gen->config;
    self->security = heal_security_new (config, err, errlen);
    if (!self->security) {
        if (!*err)
            snprintf (err, errlen, "cannot set up socket security");
        goto fail;
    }
    self->pub = bus_publisher_new_secure (config->publish, "heal-agent", self->security);
    if (!self->pub && !options->once) {
        snprintf (err, errlen, "cannot bind the bus on %s", config->publish);
        goto fail;
    }
    if (!options->once) {
        self->inbound = bus_inbound_new_secure (config->inbound, self->security);
        if (!self->inbound) {
            snprintf (err, errlen, "cannot bind the inbound socket on %s", config->inbound);
            goto fail;
        }
        self->control = zsock_new (ZMQ_ROUTER);
        if (!self->control) {
            snprintf (err, errlen, "cannot create the control socket");
            goto fail;
        }
        zsock_set_maxmsgsize (self->control, AGENT_CONTROL_MAX_MSG);
        zsock_set_linger (self->control, 0);
        zsock_set_sndhwm (self->control, 1000);
        char why [512] = "";
        if (heal_secure_bind (self->security, self->control, config->control,
                              why, sizeof why)) {
            snprintf (err, errlen, "cannot bind the control socket on %s: %s",
                      config->control, why);
            goto fail;
        }
    }
    return self;
fail:
    agent_destroy (&self);
    return NULL;
}

void
agent_destroy (agent_t **self_p)
{
    agent_t *self = *self_p;
    if (!self)
        return;
    //  Workers still out: wait a little for them (their kinds honour the
    //  deadline); a worker past that is left behind and the process exits.
    int64_t until = heal_monotonic_ms () + AGENT_STOP_GRACE_MS;
    self->stopping = true;
    while (self->running > 0 && heal_monotonic_ms () < until) {
        zmq_pollitem_t item = { NULL, self->mailbox->fds [0], ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 100);
        s_mailbox_handle (self);
    }
    bool leak = self->running > 0;
    if (self->pendings)
        agent_control_destroy_pendings (self);
    zlistx_destroy (&self->pendings);
    zlistx_destroy (&self->queue);
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].present)
            s_check_free (&self->checks [i]);
    free (self->checks);
    platform_watches_destroy (&self->watches);
    zsock_destroy (&self->control);
    //  Give the last events ("stopping") a moment to reach the subscribers.
    if (self->pub)
        zsock_set_linger (bus_publisher_sock (self->pub), 200);
    bus_inbound_destroy (&self->inbound);
    bus_publisher_destroy (&self->pub);
    heal_security_destroy (&self->security);
    if (!leak) {
        s_gen_unref (&self->gen);
        s_mailbox_destroy (&self->mailbox);
    }
    else
        zsys_warning ("agent: %zu worker(s) did not return; exiting anyway", self->running);
    json_decref (self->diagnosis);
    json_decref (self->last_cycle);
    free (self->config_file);
    free (self->state_path);
    free (self->report_path);
    free (self->incidents_path);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  The loop

static void
s_inbound_handle (agent_t *self)
{
    zsock_t *sock = bus_inbound_sock (self->inbound);
    for (int n = 0; n < 1000 && (zsock_events (sock) & ZMQ_POLLIN); n++) {
        event_t *decoded = NULL;
        if (bus_inbound_forward (self->inbound, self->pub, &decoded) == 0 && decoded) {
            if (decoded->type == EVENT_DIAGNOSIS) {
                json_decref (self->diagnosis);
                self->diagnosis = event_to_json (decoded);
            }
        }
        event_destroy (&decoded);
    }
}

static void
s_signals_install (agent_t *self)
{
    zsys_handler_set (NULL);
    s_sig_fd = self->mailbox->fds [1];
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_signal_handler;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
}

int
agent_run (agent_t *self)
{
    s_signals_install (self);
    //  Subscribers that connected before we bound reconnect within ZeroMQ's
    //  reconnect interval (100 ms): give them a moment before "started" and
    //  the first cycle (the loop already answers healctl meanwhile).
    int64_t mono = heal_monotonic_ms ();
    int64_t start_at = self->options.once? mono: mono + AGENT_START_GRACE_MS;
    bool started = false;
    self->next_cycle = INT64_MAX;

    zmq_pollitem_t *items = NULL;
    size_t items_max = 0;
    int rc = 0;
    while (true) {
        if (s_sig_stop)
            break;
        if (self->options.once && self->once_exit >= 0)
            break;
        if (s_sig_reload) {
            s_sig_reload = 0;
            char err [CONFIG_ERROR_MAX];
            agent_reload (self, err, sizeof err);
        }
        mono = heal_monotonic_ms ();
        if (!started && mono >= start_at) {
            started = true;
            s_publish_agent (self, "started", NULL);
            zsys_info ("agent: started: %zu checks, config %s, state %s", self->check_count,
                       self->config_file? self->config_file: "built-in defaults",
                       self->gen->config->state_dir);
            self->next_cycle = mono + s_interval (self, NULL);
            agent_cycle_start (self, true);
        }
        if (!started) {
            //  only healctl until the start
        }
        else
        if (!self->options.once) {
            if (mono >= self->next_cycle) {
                int64_t interval = s_interval (self, NULL);
                while (self->next_cycle <= mono)
                    self->next_cycle += interval;
                agent_cycle_start (self, false);
            }
            s_due (self, mono);
        }
        s_timeouts (self, mono);
        if (self->state_flush_at && mono >= self->state_flush_at) {
            self->state_flush_at = 0;
            if (self->state_dirty)
                agent_state_save (self);
        }
        if (self->report_after_run) {
            self->report_after_run = false;
            agent_report_write (self);
        }
        if (self->options.once && self->once_exit >= 0)
            break;

        //  How long may we sleep?
        int64_t wake = started? INT64_MAX: start_at;
        if (started && !self->options.once) {
            wake = self->next_cycle;
            for (size_t i = 0; i < self->check_count; i++)
                if (self->checks [i].present && !s_busy (&self->checks [i])
                &&  !self->checks [i].job && self->checks [i].next_due < wake)
                    wake = self->checks [i].next_due;
        }
        for (size_t i = 0; i < self->check_count; i++) {
            agent_job_t *job = self->checks [i].job;
            if (job && !job->abandoned && job->deadline < wake)
                wake = job->deadline;
        }
        if (self->state_flush_at && self->state_flush_at < wake)
            wake = self->state_flush_at;
        long timeout = wake == INT64_MAX? -1: (long) (wake - mono);
        if (timeout < 0 && wake != INT64_MAX)
            timeout = 0;

        //  Sockets and fds to watch.
        size_t need = 3 + self->check_count;
        if (need > items_max) {
            zmq_pollitem_t *grown = (zmq_pollitem_t *) realloc (items, need * sizeof *items);
            if (!grown) {
                rc = 1;
                break;
            }
            items = grown;
            items_max = need;
        }
        size_t n = 0;
        items [n++] = (zmq_pollitem_t) { NULL, self->mailbox->fds [0], ZMQ_POLLIN, 0 };
        size_t first_sock = n;
        if (self->control)
            items [n++] = (zmq_pollitem_t) { zsock_resolve (self->control), 0, ZMQ_POLLIN, 0 };
        if (self->inbound)
            items [n++] = (zmq_pollitem_t) { zsock_resolve (bus_inbound_sock (self->inbound)),
                                             0, ZMQ_POLLIN, 0 };
        size_t first_watch = n;
        if (self->watches && platform_watches_count (self->watches))
            items [n++] = (zmq_pollitem_t) { NULL, platform_watches_fd (self->watches),
                                             ZMQ_POLLIN, 0 };
        (void) first_sock;

        int polled = zmq_poll (items, (int) n, timeout);
        if (polled < 0) {
            if (zmq_errno () == EINTR)
                continue;
            zsys_error ("agent: poll: %s", zmq_strerror (zmq_errno ()));
            rc = 1;
            break;
        }
        if (items [0].revents & ZMQ_POLLIN)
            s_mailbox_handle (self);
        if (self->control)
            agent_control_handle (self);
        if (self->inbound)
            s_inbound_handle (self);
        if (first_watch < n && (items [first_watch].revents & (ZMQ_POLLIN | ZMQ_POLLERR))) {
            int pid;
            while ((pid = platform_watches_next (self->watches)) > 0) {
                for (size_t i = 0; i < self->check_count; i++) {
                    agent_check_t *check = &self->checks [i];
                    if (!check->present || check->watch_pid != pid)
                        continue;
                    if (self->options.verbose)
                        zsys_info ("agent: '%s': watched pid %d exited", check->name, pid);
                    check->watch_pid = 0;
                    agent_dispatch (self, check, false);
                }
            }
        }
    }
    free (items);
    if (self->options.once) {
        if (self->once_exit < 0)
            rc = 3;             //  interrupted before the cycle ended
        else
            rc = self->once_exit;
    }
    //  Stop: tell the bus, keep the state.
    s_publish_agent (self, "stopping", NULL);
    if (self->state_dirty)
        agent_state_save (self);
    zsys_info ("agent: stopping");
    s_sig_fd = -1;
    return rc;
}
