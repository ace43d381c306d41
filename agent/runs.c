//  runs — what happens to a check run on the main thread (see runs.h).
//
//  A run: runs_dispatch makes a job and hands it to a worker (worker.c); the
//  worker may ask to remediate (s_on_ask: the attempt is counted and
//  persisted before the answer, so a kill -9 never loses budget); its job
//  comes back (s_on_done) and s_complete asks outcome.c what the result means,
//  then publishes heal.check, alerts, the incident, and answers `run`.

#include "agent_impl.h"
#include "control_server.h"
#include "generation.h"
#include "incidents.h"
#include "platform.h"
#include "report.h"
#include "runs.h"
#include "state.h"

#include <errno.h>
#include <string.h>

static void s_complete (agent_t *self, agent_check_t *check, event_t *event,
                        const job_t *job, bool timed_out);

bool
runs_busy (const agent_check_t *check)
{
    return check->queued || (check->job && !check->job->abandoned);
}

//  ---------------------------------------------------------------------
//  Dependencies (config `depends`): the checks array is in config order, so
//  a dependency's config index is its place in self->checks.

static bool
s_passing (const agent_check_t *check)
{
    return !check->health.has_severity
        || check->health.severity == SEVERITY_OK
        || check->health.severity == SEVERITY_HEALED;
}

//  The first dependency of check failing now (its last result), or NULL.
static const char *
s_blocked_by (agent_t *self, const agent_check_t *check)
{
    const heal_check_config_t *cfg = check->cfg;
    for (size_t d = 0; cfg && d < cfg->depends.count; d++) {
        size_t at = cfg->depends_index [d];
        if (at < self->check_count && self->checks [at].present
        &&  !s_passing (&self->checks [at]))
            return self->checks [at].name;
    }
    return NULL;
}

//  Is a dependency of check still to run (or running) in check's cycle?
static bool
s_deps_pending (agent_t *self, const agent_check_t *check)
{
    const heal_check_config_t *cfg = check->cfg;
    for (size_t d = 0; cfg && d < cfg->depends.count; d++) {
        size_t at = cfg->depends_index [d];
        if (at >= self->check_count || !self->checks [at].present)
            continue;
        const agent_check_t *dep = &self->checks [at];
        if (runs_busy (dep) || (dep->job && !dep->job->abandoned) || dep->wait_deps
        || (check->slot.member && dep->slot.member == check->slot.member))
            return true;
    }
    return false;
}

//  Does check depend on the check at index?
static bool
s_depends_on (const agent_check_t *check, size_t index)
{
    const heal_check_config_t *cfg = check->cfg;
    for (size_t d = 0; cfg && d < cfg->depends.count; d++)
        if (cfg->depends_index [d] == index)
            return true;
    return false;
}

//  The check at index finished a run. Dependents waiting for it in a cycle
//  start now; when it passes again, failing or blocked dependents run at
//  once rather than at their next interval.
static void
s_dependents_go (agent_t *self, size_t index, bool recovered)
{
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (!check->present || !s_depends_on (check, index))
            continue;
        if (check->wait_deps) {
            if (!s_deps_pending (self, check)) {
                check->wait_deps = false;
                runs_dispatch (self, check, false);
            }
        }
        else
        if (recovered && !s_passing (check) && !s_deps_pending (self, check)) {
            if (self->options.verbose)
                zsys_info ("agent: '%s' passes again: running '%s' now",
                           self->checks [index].name, check->name);
            runs_dispatch (self, check, false);
        }
    }
}

void
runs_waiting_go (agent_t *self)
{
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (check->present && check->wait_deps && !s_deps_pending (self, check)) {
            check->wait_deps = false;
            runs_dispatch (self, check, false);
        }
    }
}

//  ---------------------------------------------------------------------
//  Dispatch

static int64_t
s_timeout (const heal_check_config_t *cfg)
{
    return cfg->timeout_ms > 0? cfg->timeout_ms: CONFIG_DEFAULT_TIMEOUT_MS;
}

static void
s_start_job (agent_t *self, agent_check_t *check)
{
    job_t *job = job_new (check->name, self->gen->kinds [check->index],
                          self->gen->instances [check->index]);
    if (!job)
        return;
    job->id = ++self->next_job_id;
    job->gen = generation_ref (self->gen);
    job->cycle = self->sched.cycle;
    job->forced = check->force_remedy;
    check->force_remedy = false;
    int64_t now_wall = event_now_ms ();
    job->may_remedy = job->forced
        || remedy_budget_decide (&check->health.budget, check->cfg, now_wall) == REMEDY_ALLOW;
    const char *blocked_by = s_blocked_by (self, check);
    if (blocked_by) {
        job->may_remedy = false;
        snprintf (job->blocked_by, sizeof job->blocked_by, "%s", blocked_by);
    }
    job->timeout_ms = s_timeout (check->cfg);
    job->verify_ms = check_verify_ms (job->kind, job->instance, check->cfg);
    job->started = scheduler_now (&self->sched);
    job->ctx.config = job->gen->config;
    job->ctx.check = &job->gen->config->checks [check->index];
    job->ctx.deadline_ms = job->started + job->timeout_ms;
    job->ctx.verbose = self->options.verbose;

    int rc = worker_pool_start (self->workers, job);
    int code = errno;
    if (rc == 0 && self->workers_exhausted && !worker_pool_stalled (self->workers))
        self->workers_exhausted = false;
    if (rc != 0) {
        generation_unref (&job->gen);
        job_destroy (&job);
    }
    if (rc > 0) {
        //  No worker free and no new one now: first in line for a busy one.
        check->queued = true;
        zlistx_add_start (self->queue, check->name);
        if ((code == EMFILE || code == ENFILE) && !self->workers_exhausted) {
            char message [256];
            snprintf (message, sizeof message,
                      "out of file descriptors (%s): no new check worker (%zu running), "
                      "checks wait for a free one", strerror (code),
                      worker_pool_size (self->workers));
            agent_publish_agent (self, "fd_exhausted", message);
            self->workers_exhausted = true;
        }
        return;
    }
    if (rc < 0) {
        zsys_error ("agent: cannot start a worker for '%s'", check->name);
        event_t *event = event_new (EVENT_CHECK);
        if (event) {
            char message [EVENT_MAX_MESSAGE];
            snprintf (message, sizeof message, "cannot start a worker thread: %s",
                      strerror (code));
            event_set_string (&event->message, message, EVENT_MAX_MESSAGE);
            s_complete (self, check, event, NULL, false);
        }
        return;
    }
    check->job = job;
    //  The probe's own timeout ends at ctx.deadline_ms; the grace lets a probe
    //  that timed out (a hung service) still ask to remediate.
    scheduler_run_start (&check->slot, job->started, job->timeout_ms + AGENT_RUN_GRACE_MS);
    if (self->options.verbose)
        zsys_debug ("agent: run '%s' (cycle %" PRIu64 ")", check->name, self->sched.cycle);
}

void
runs_dispatch (agent_t *self, agent_check_t *check, bool force)
{
    if (!check || !check->present)
        return;
    if (force)
        check->force_remedy = true;
    if (runs_busy (check)) {
        if (force)
            check->again = true;
        return;
    }
    if (check->job) {           //  abandoned worker still out: run when it returns
        check->again = true;
        return;
    }
    if (self->stopping)
        return;
    if (worker_pool_full (self->workers)) {
        check->queued = true;
        zlistx_add_end (self->queue, check->name);
        return;
    }
    s_start_job (self, check);
}

static void
s_dispatch_queued (agent_t *self)
{
    while (!self->stopping && !worker_pool_full (self->workers) && zlistx_size (self->queue)) {
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

//  ---------------------------------------------------------------------
//  Results

static void
s_alert (agent_t *self, const event_t *source, const char *what)
{
    event_t *event = event_new (EVENT_ALERT);
    if (!event)
        return;
    event->cycle = source->cycle;
    event_set_string (&event->check, source->check, EVENT_MAX_NAME);
    event_set_string (&event->kind, source->kind, EVENT_MAX_SHORT);
    event->critical = source->critical;
    event->severity = source->severity;
    event_set_string (&event->message, source->message, EVENT_MAX_MESSAGE);
    event_set_string (&event->alert, what, EVENT_MAX_SHORT);
    if (source->description)
        event_set_string (&event->description, source->description, EVENT_MAX_MESSAGE);
    event->streak = source->streak;
    event->since = source->since;
    event->changed = source->changed;
    agent_publish (self, &event);
}

//  The check's exit watch, in the agent's one watch set (one fd for all).
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
                agent_publish_agent (self, "fd_exhausted", message);
            }
            self->fds_exhausted = true;
        }
        //  Else no exit watch here: the interval decides.
        if (rc == 0)
            self->fds_exhausted = false;
    }
}

//  The last remedy's output stays with the check until it passes: a gave_up,
//  throttled or skipped event carries it (after its own note), so the
//  evidence is not lost once the budget is spent.
static void
s_remedy_output_keep (agent_check_t *check, event_t *event, bool ran)
{
    if (event->severity == SEVERITY_OK || event->severity == SEVERITY_HEALED) {
        free (check->last_remedy_output);
        check->last_remedy_output = NULL;
        return;
    }
    event_remedy_t *remedy = event->remedy;
    if (!remedy)
        return;
    if (ran) {
        if (remedy->output && *remedy->output) {
            free (check->last_remedy_output);
            check->last_remedy_output = strdup (remedy->output);
        }
        return;
    }
    if (!check->last_remedy_output)
        return;
    char *text = zsys_sprintf ("%s%slast remedy output:\n%s",
                               remedy->output ? remedy->output : "",
                               remedy->output ? "; " : "", check->last_remedy_output);
    if (text)
        event_set_text (&remedy->output, text, EVENT_MAX_TEXT);
    zstr_free (&text);
}

//  A run is over (result, failure to start, or timeout). Takes ownership of
//  event (a check event with at least a message). job NULL when there was no
//  worker result (timeout, could not start).
static void
s_complete (agent_t *self, agent_check_t *check, event_t *event, const job_t *job,
            bool timed_out)
{
    int64_t now = event_now_ms ();
    int64_t mono = scheduler_now (&self->sched);
    outcome_run_t run = {
        .first = job? job->first: CHECK_UNKNOWN,
        .status = job? job->status: CHECK_UNKNOWN,
        .timed_out = timed_out,
        .has_remedy = check_has_remedy (self->gen->kinds [check->index]),
        .forced = job && job->forced,
        .denied = job && (job->answer == JOB_ANSWER_NO || job->answer == JOB_ANSWER_LATE),
        .remedied = job && job->remedied,
        .remedy_status = job? job->remedy_status: REMEDY_NONE,
        .remedy = job && job->remedied? &job->remedy: NULL,
        .attempt = job? job->attempt: 0,
        .blocked_by = job && job->blocked_by [0]? job->blocked_by: s_blocked_by (self, check),
    };
    bool was_passing = s_passing (check);
    outcome_t out;
    check_health_t before = check->health;
    outcome_apply (&check->health, check->name, check->cfg, &run, now, event, &out);
    //  state.json is for what a restart must not forget: a run that changed
    //  none of it (a steady ok) does not rewrite the file every cycle.
    bool health_changed = before.has_severity != check->health.has_severity
                       || before.severity != check->health.severity
                       || before.streak != check->health.streak
                       || before.since != check->health.since;
    s_remedy_output_keep (check, event, job && job->remedied);
    //  Lifetime totals (heal-exporter's counters): a steady ok only adds a
    //  run, which rides along with the history counters' next save
    //  (incidents.c: within INCIDENTS_SAVE_MS, and at stop).
    bool totals_more = totals_count (&check->totals, &out,
                                     event->remedy? event->remedy->result: NULL);
    if (out.remediated)
        self->remediations++;
    if (out.persist_now)
        agent_state_changed (self, true);
    scheduler_retry (&check->slot, mono, out.retry_in_ms);

    event->cycle = job? job->cycle: self->sched.cycle;
    if (check->cfg->description)
        event_set_string (&event->description, check->cfg->description, EVENT_MAX_MESSAGE);
    if (job && job->carried) {
        //  Its cycle was published without it: say where its result went.
        char line [EVENT_MAX_EVIDENCE_LEN];
        snprintf (line, sizeof line, "carried over: started in cycle %" PRIu64
                  ", which ended while it ran; counted in cycle %" PRIu64,
                  job->cycle, job->carried_into);
        event_add_evidence (event, line);
    }
    event->duration_ms = job? job->duration_ms
                            : (check->job? mono - check->job->started: 0);
    event->ts = 0;
    //  Exit watch: re-armed on every result (the pid may have changed), before
    //  anyone hears of this result and could act on the process.
    if (!timed_out)
        s_watch_update (self, check, job? job->result.watch_pid: 0,
                        job? job->result.watch_start: 0);
    agent_publish_borrowed (self, event);

    json_decref (check->last);
    check->last = event_to_json (event);
    check->last_serial++;
    free (check->last_remedy_result);
    check->last_remedy_result = event->remedy? strdup (event->remedy->result): NULL;
    for (size_t i = 0; i < out.alert_count; i++)
        s_alert (self, event, out.alerts [i]);
    incidents_run (self, check, out.severity, out.alerts, out.alert_count, now);

    event_destroy (&event);
    if (health_changed || totals_more)
        agent_state_changed (self, false);
    control_server_result (self, check);
    bool member = check->slot.member != 0;
    check->slot.member = 0;
    if (check->present)
        s_dependents_go (self, check->index, out.passing && !was_passing);
    if (member)
        runs_cycle_maybe_end (self);
}

//  A worker asks whether its job may remediate.
static job_answer_t
s_on_ask (void *arg, job_t *job, int *attempt, int64_t *deadline_ms)
{
    agent_t *self = (agent_t *) arg;
    agent_check_t *check = agent_check_find (self, job->name);
    if (job->abandoned || self->stopping || !check || !check->present || check->job != job)
        return JOB_ANSWER_NO;
    int64_t now = event_now_ms ();
    const char *blocked_by = job->blocked_by [0]? job->blocked_by: s_blocked_by (self, check);
    if (blocked_by) {
        //  The dependency is remediated, not this (a main-thread field).
        snprintf (job->blocked_by, sizeof job->blocked_by, "%s", blocked_by);
        return JOB_ANSWER_NO;
    }
    remedy_decision_t decision = remedy_budget_decide (&check->health.budget, check->cfg, now);
    if (job->forced && decision != REMEDY_MUTED)
        decision = REMEDY_ALLOW;
    if (decision != REMEDY_ALLOW)
        return JOB_ANSWER_NO;
    *attempt = remedy_budget_record (&check->health.budget, check->cfg, now);
    job->granted = *attempt;
    //  Persist before the remedy may start.
    agent_state_changed (self, true);
    //  The remedy and its verification get their own time: the remedy a
    //  timeout, the re-checks the verify window and one more probe's timeout.
    int64_t mono = scheduler_now (&self->sched);
    *deadline_ms = mono + 2 * job->timeout_ms + job->verify_ms;
    check->slot.deadline = *deadline_ms + AGENT_RUN_GRACE_MS;
    return JOB_ANSWER_YES;
}

//  A worker's job came back.
static void
s_on_done (void *arg, job_t *job)
{
    agent_t *self = (agent_t *) arg;
    agent_check_t *check = agent_check_find (self, job->name);
    if (check && check->job == job) {
        check->job = NULL;
        check->slot.deadline = 0;
    }
    if (check && check->present && job->granted && !job->remedied) {
        //  The worker stopped waiting for the answer: no attempt happened.
        remedy_budget_unrecord (&check->health.budget);
        agent_state_changed (self, true);
    }
    if (job->abandoned || !check || !check->present) {
        self->results_discarded++;
        //  The remediation happened even though nobody waited for it.
        if (check && check->present && job->remedied && job->remedy_status == REMEDY_NONE)
            remedy_budget_unrecord (&check->health.budget);
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
            s_complete (self, check, event, job, false);
    }
    generation_unref (&job->gen);
    job_destroy (&job);
    if (check && check->present && check->again && !runs_busy (check) && !check->job) {
        check->again = false;
        runs_dispatch (self, check, false);
    }
    s_dispatch_queued (self);
}

static void
s_on_emit (void *arg, event_t **event_p)
{
    agent_t *self = (agent_t *) arg;
    self->emitted++;
    agent_publish (self, event_p);
}

const worker_handlers_t runs_handlers = { s_on_ask, s_on_done, s_on_emit };

void
runs_timeouts (agent_t *self, int64_t mono)
{
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        job_t *job = check->job;
        if (!job || job->abandoned || !scheduler_expired (&check->slot, mono))
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
        s_complete (self, check, event, NULL, true);
    }
}

void
runs_watch_fired (agent_t *self, agent_check_t *check)
{
    if (self->options.verbose)
        zsys_info ("agent: '%s': watched pid %" PRId64 " exited",
                   check->name, check->watch_pid);
    check->watch_pid = 0;           //  platform_watches_next dropped it
    runs_dispatch (self, check, false);
}

//  ---------------------------------------------------------------------
//  Cycles

severity_t
runs_worst (agent_t *self, int64_t counts [SEVERITY_COUNT], bool *degraded, json_t *issues)
{
    severity_t worst = SEVERITY_OK;
    if (counts)
        memset (counts, 0, sizeof (int64_t) * SEVERITY_COUNT);
    if (degraded)
        *degraded = false;
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        severity_t severity = check->health.severity;
        if (!check->present || !check->health.has_severity)
            continue;
        if (counts)
            counts [severity]++;
        if (severity_worse (severity, worst))
            worst = severity;
        if (severity == SEVERITY_CRITICAL
        || (severity == SEVERITY_UNKNOWN && check->cfg->critical)) {
            if (degraded)
                *degraded = true;
        }
        if (severity == SEVERITY_CRITICAL && issues)
            json_array_append_new (issues, json_string (check->name));
    }
    return worst;
}

static void
s_cycle_end (agent_t *self)
{
    self->sched.cycle_open = false;
    event_t *event = event_new (EVENT_CYCLE);
    json_t *issues = json_array ();
    int64_t counts [SEVERITY_COUNT];
    bool degraded = false;
    severity_t worst = runs_worst (self, counts, &degraded, issues);
    if (event) {
        event->cycle = self->sched.cycle;
        memcpy (event->counts, counts, sizeof counts);
        event->degraded = degraded;
        event->duration_ms = scheduler_now (&self->sched) - self->sched.cycle_started;
        size_t i;
        json_t *name;
        json_array_foreach (issues, i, name)
            event_list_append (&event->issues, &event->issue_count,
                               json_string_value (name), EVENT_MAX_NAME);
    }
    json_decref (issues);
    //  Files first: whoever hears heal.cycle finds them up to date.
    report_write (self);
    if (self->state_dirty)
        state_save (self);
    if (event) {
        agent_publish_borrowed (self, event);
        json_decref (self->last_cycle);
        self->last_cycle = event_to_json (event);
        event_destroy (&event);
    }
    if (self->options.verbose)
        zsys_info ("agent: cycle %" PRIu64 " done: worst %s", self->sched.cycle,
                   severity_name (worst));
    if (self->options.once) {
        self->once_worst = worst;
        self->once_exit = severity_exit_code (worst);
    }
}

void
runs_cycle_maybe_end (agent_t *self)
{
    if (!self->sched.cycle_open)
        return;
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].slot.member)
            return;
    s_cycle_end (self);
}

void
runs_cycle_start (agent_t *self, bool all)
{
    int64_t mono = scheduler_now (&self->sched);
    if (self->sched.cycle_open) {
        //  A run outlasted the interval: end its cycle now (published, report
        //  written) and carry what still runs over into the next one, where
        //  its event says so. Every cycle that starts ends.
        uint64_t next = self->sched.cycle + 1;
        for (size_t i = 0; i < self->check_count; i++) {
            agent_check_t *check = &self->checks [i];
            if (check->slot.member && check->job && !check->job->abandoned) {
                check->job->carried = true;
                check->job->carried_into = next;
            }
        }
        if (self->options.verbose)
            zsys_info ("agent: cycle %" PRIu64 " ends with runs still out: carried over",
                       self->sched.cycle);
        s_cycle_end (self);
    }
    uint64_t cycle = scheduler_cycle_open (&self->sched, mono);
    self->cycle_started_wall = event_now_ms ();
    //  Members first, then dispatch: a check that completes at once must
    //  not end the cycle before the others joined it.
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        check->slot.member = 0;
        if (!check->present || !scheduler_join (&self->sched, &check->slot, all, mono))
            continue;
        if (check->job && check->job->abandoned)
            continue;           //  still out after its timeout: reported unknown
        check->slot.member = cycle;
    }
    //  A check whose dependencies run in this cycle waits for them: the
    //  dependency is remediated first (s_dependents_go starts it).
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        check->wait_deps = false;
        if (check->slot.member == cycle && !runs_busy (check) && s_deps_pending (self, check))
            check->wait_deps = true;
    }
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (check->slot.member == cycle && !runs_busy (check) && !check->wait_deps)
            runs_dispatch (self, check, false);
    }
    runs_cycle_maybe_end (self);
}

void
runs_due (agent_t *self, int64_t mono)
{
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (!check->present || !scheduler_due (&check->slot, mono))
            continue;
        if (!runs_busy (check) && !check->job)
            runs_dispatch (self, check, false);
    }
}
