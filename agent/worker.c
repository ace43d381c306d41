//  worker — check runs off the main thread: a pool of worker threads (see
//  worker.h for the protocol on the pipes).
//
//  A worker is a thread and a PAIR-PAIR pipe, like a zactor, but the pool
//  makes the pipe itself: czmq 4.2's zactor_new and zsock_new assert when
//  libzmq cannot create a socket (out of descriptors: each socket's mailbox is
//  an eventfd on Linux, a socketpair on macOS; or the context's socket limit,
//  zsys_set_max_sockets), which would abort the agent. zsys_socket returns
//  NULL instead (and counts the socket for zsys_shutdown like zsock_new), so
//  the pool stops growing and the caller queues the check for a busy worker.

#include "worker.h"
#include "platform.h"
#include "heal/command.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

typedef struct {
    void *pipe;                     //  main end of the pipe (libzmq PAIR)
    job_t *job;                     //  the job out, NULL when idle
} worker_t;

struct worker_pool_t {
    worker_t *workers;              //  max slots, count started
    size_t max;
    size_t count;
    size_t busy;
    int64_t grow_after;             //  monotonic: no new worker before (0 = any time)
    uint64_t serial;                //  names its inproc endpoints
    zsock_t *emits;                 //  PULL: kinds' extra events, any thread
    char *emit_endpoint;            //  what ctx->emit_arg points to
};

//  ---------------------------------------------------------------------
//  Jobs

job_t *
job_new (const char *name, const check_kind_t *kind, void *instance)
{
    job_t *self = (job_t *) zmalloc (sizeof (job_t));
    if (!self)
        return NULL;
    snprintf (self->name, sizeof self->name, "%s", name);
    self->kind = kind;
    self->instance = instance;
    self->ctx.name = self->name;
    self->remedy.verify_ms = -1;
    atomic_init (&self->stop, false);
    return self;
}

void
job_destroy (job_t **self_p)
{
    job_t *self = *self_p;
    if (!self)
        return;
    event_destroy (&self->result.event);
    free (self->remedy.action);
    free (self->remedy.output);
    free (self->remedy.result);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  The worker (its own thread)

//  Receive from pipe, retrying when a signal interrupted the wait.
static int
s_recv (void *pipe, const char *picture, char **command, job_t **job,
        int *answer, int *attempt, uint64_t *deadline)
{
    while (true) {
        int rc = answer
            ? zsock_recv (pipe, picture, command, job, answer, attempt, deadline)
            : zsock_recv (pipe, picture, command, job);
        if (rc == 0 || zmq_errno () != EINTR)
            return rc;
    }
}

//  Ask the main thread whether job may remediate; wait for its answer no
//  longer than WORKER_ASK_WAIT_MS (the probe may have used its whole time:
//  a service that does not answer is the failure to remediate).
static job_answer_t
s_ask (void *pipe, job_t *job)
{
    if (zsock_send (pipe, "sp", "ASK", job))
        return JOB_ANSWER_LATE;
    int64_t until = heal_monotonic_ms () + WORKER_ASK_WAIT_MS;
    while (true) {
        int64_t left = until - heal_monotonic_ms ();
        if (left <= 0)
            return JOB_ANSWER_LATE;
        zmq_pollitem_t item = { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long) left);
        if (rc < 0 && zmq_errno () != EINTR)
            return JOB_ANSWER_LATE;
        if (rc <= 0)
            continue;
        char *command = NULL;
        job_t *about = NULL;
        int answer = JOB_ANSWER_NO;
        int attempt = 0;
        uint64_t deadline = 0;
        if (s_recv (pipe, "spii8", &command, &about, &answer, &attempt, &deadline))
            return JOB_ANSWER_LATE;
        bool ours = command && streq (command, "ANSWER") && about == job;
        zstr_free (&command);
        if (!ours)
            continue;
        if (answer != JOB_ANSWER_YES)
            return JOB_ANSWER_NO;
        job->attempt = attempt;
        //  The remedy and the re-run get their own time.
        job->ctx.deadline_ms = (int64_t) deadline;
        return JOB_ANSWER_YES;
    }
}

//  After a remedy: check again, polling, until the check passes or the verify
//  window ends (a restarted service takes a moment to answer); the last run
//  decides healed or failed. Each run is bounded by the run's deadline.
static void
s_verify (job_t *job)
{
    char *before = job->result.event && job->result.event->message
                 ? strdup (job->result.event->message) : NULL;
    int64_t v0 = heal_monotonic_ms ();
    int64_t until = v0 + (job->verify_ms > 0 ? job->verify_ms : 0);
    int64_t now = v0;
    while (true) {
        event_t *again = event_new (EVENT_CHECK);
        if (!again)
            break;
        check_result_t rerun = { again, 0, 0 };
        job->status = job->kind->run (job->instance, &job->ctx, &rerun);
        job->verify_runs++;
        event_destroy (&job->result.event);
        job->result = rerun;
        now = heal_monotonic_ms ();
        if (job->status == CHECK_OK || now >= until || now >= job->ctx.deadline_ms
        ||  atomic_load (&job->stop))
            break;
        int64_t step = now - v0 < 2000 ? WORKER_VERIFY_FAST_MS : WORKER_VERIFY_SLOW_MS;
        if (step > until - now)
            step = until - now;
        //  In steps of at most the fast one: the agent stopping ends it soon.
        for (int64_t slept = 0; slept < step && !atomic_load (&job->stop);
             slept += WORKER_VERIFY_FAST_MS)
            zclock_sleep ((int) (step - slept < WORKER_VERIFY_FAST_MS
                                 ? step - slept : WORKER_VERIFY_FAST_MS));
        now = heal_monotonic_ms ();
    }
    int64_t took = now - v0;
    //  A kind that waited for readiness itself (process) said how long.
    job->remedy.verify_ms = (job->remedy.verify_ms > 0 ? job->remedy.verify_ms : 0) + took;
    if (!job->result.event) {
        free (before);
        return;
    }
    char line [EVENT_MAX_EVIDENCE_LEN];
    snprintf (line, sizeof line, job->status == CHECK_OK
              ? "verified: passed after %lld ms (%d re-check%s)"
              : "verify: still failing after %lld ms (%d re-check%s)",
              (long long) job->remedy.verify_ms, job->verify_runs,
              job->verify_runs == 1 ? "" : "s");
    event_add_evidence (job->result.event, line);
    if (before) {
        snprintf (line, sizeof line, "before remedy: %s", before);
        event_add_evidence (job->result.event, line);
    }
    free (before);
}

//  Remediate (within the check's timeout; a kind that waits for readiness
//  itself, the process kind, also gets the verify window), then verify.
static void
s_remedy (job_t *job)
{
    int64_t r0 = heal_monotonic_ms ();
    int64_t deadline = job->ctx.deadline_ms;
    int64_t own = job->timeout_ms + (job->kind->verify_ms ? job->verify_ms : 0);
    if (r0 + own < deadline)
        job->ctx.deadline_ms = r0 + own;
    job->remedied = true;
    //  Everything the remedy runs is a remedy: what it starts outlives it
    //  and the agent (agent/command.h).
    command_role_t role = command_role_set (COMMAND_ROLE_REMEDY);
    job->remedy_status = check_remedy (job->kind, job->instance, &job->ctx, &job->result,
                                       &job->remedy);
    command_role_set (role);
    job->remedy.duration_ms = heal_monotonic_ms () - r0;
    job->ctx.deadline_ms = deadline;
    if (job->remedy_status == REMEDY_DONE)
        s_verify (job);
}

static void
s_run (void *pipe, job_t *job)
{
    int64_t t0 = heal_monotonic_ms ();
    job->result.event = event_new (EVENT_CHECK);
    if (!job->result.event)
        job->first = job->status = CHECK_UNKNOWN;
    else
        job->first = job->status = job->kind->run (job->instance, &job->ctx, &job->result);
    if (job->first == CHECK_FAIL && job->may_remedy && check_has_remedy (job->kind)
    &&  job->result.event) {
        job->answer = s_ask (pipe, job);
        if (job->answer == JOB_ANSWER_YES)
            s_remedy (job);
    }
    job->duration_ms = heal_monotonic_ms () - t0;
}

//  The worker thread. It owns its end of the pipe and closes it on leaving.
static void *
s_worker_thread (void *args)
{
    void *pipe = args;
    while (true) {
        char *command = NULL;
        job_t *job = NULL;
        if (s_recv (pipe, "sp", &command, &job, NULL, NULL, NULL))
            break;
        bool term = command && streq (command, "$TERM");
        bool run = command && streq (command, "RUN") && job;
        zstr_free (&command);
        if (term)
            break;
        if (!run)
            continue;           //  an ANSWER that came after the deadline
        s_run (pipe, job);
        zsock_send (pipe, "sp", "DONE", job);
    }
    //  Say goodbye without blocking: the main end may be gone already.
    zsock_set_sndtimeo (pipe, 0);
    zsock_signal (pipe, 0);
    zsys_close (pipe, NULL, 0);
    return NULL;
}

//  Start a worker thread in an empty slot: 0, or -1 with errno (EMFILE or
//  ENFILE out of descriptors or libzmq sockets, EAGAIN no thread).
static int
s_worker_start (worker_pool_t *self, worker_t *worker, size_t index)
{
    char endpoint [80];
    snprintf (endpoint, sizeof endpoint, "inproc://heal-agent-worker-%" PRIu64 "-%zu",
              self->serial, index);
    void *front = zsys_socket (ZMQ_PAIR, NULL, 0);
    void *back = front? zsys_socket (ZMQ_PAIR, NULL, 0): NULL;
    int code = back? 0: zmq_errno ();
    if (!code && (zmq_bind (front, endpoint) || zmq_connect (back, endpoint)))
        code = zmq_errno ();
    pthread_t thread;
    if (!code)
        code = pthread_create (&thread, NULL, s_worker_thread, back);
    if (code) {
        if (back)
            zsys_close (back, NULL, 0);
        if (front)
            zsys_close (front, NULL, 0);
        errno = code;
        return -1;
    }
    pthread_detach (thread);
    worker->pipe = front;           //  back is the thread's now
    return 0;
}

//  Stop an idle worker and wait for it to leave (like zactor_destroy).
static void
s_worker_stop (worker_t *worker)
{
    if (!worker->pipe)
        return;
    zsock_set_sndtimeo (worker->pipe, 0);
    if (zstr_send (worker->pipe, "$TERM") == 0)
        zsock_wait (worker->pipe);
    zsys_close (worker->pipe, NULL, 0);
    worker->pipe = NULL;
}

//  ---------------------------------------------------------------------
//  The pool (main thread)

worker_pool_t *
worker_pool_new (size_t max)
{
    worker_pool_t *self = (worker_pool_t *) zmalloc (sizeof (worker_pool_t));
    if (!self)
        return NULL;
    self->max = max == 0? 1: max > WORKER_POOL_MAX? WORKER_POOL_MAX: max;
    self->workers = (worker_t *) calloc (self->max, sizeof (worker_t));
    //  Endpoints by serial, not address: a pool made where a destroyed one
    //  was would find its inproc names still bound (closing is asynchronous).
    static uint64_t s_serial = 0;   //  pools are made on the main thread
    self->serial = ++s_serial;
    self->emit_endpoint = zsys_sprintf ("inproc://heal-agent-emit-%" PRIu64, self->serial);
    self->emits = self->emit_endpoint? zsock_new (ZMQ_PULL): NULL;
    if (!self->workers || !self->emits
    ||  zsock_bind (self->emits, "%s", self->emit_endpoint) != 0) {
        zsys_error ("agent: cannot set up the worker pool");
        zsock_destroy (&self->emits);
        zstr_free (&self->emit_endpoint);
        free (self->workers);
        free (self);
        return NULL;
    }
    return self;
}

static void
s_emits_drain (worker_pool_t *self, const worker_handlers_t *handlers, void *arg)
{
    for (int n = 0; n < 1000 && (zsock_events (self->emits) & ZMQ_POLLIN); n++) {
        event_t *event = NULL;
        if (zsock_recv (self->emits, "p", &event))
            break;
        if (event && handlers && handlers->on_emit)
            handlers->on_emit (arg, &event);
        event_destroy (&event);
    }
}

void
worker_pool_drain (worker_pool_t *self, const worker_handlers_t *handlers, void *arg)
{
    for (size_t i = 0; i < self->count; i++) {
        worker_t *worker = &self->workers [i];
        while (worker->job
           && (zsock_events (worker->pipe) & ZMQ_POLLIN)) {
            char *command = NULL;
            job_t *job = NULL;
            if (zsock_recv (worker->pipe, "sp", &command, &job))
                break;
            if (command && streq (command, "ASK") && job == worker->job) {
                int attempt = 0;
                int64_t deadline = job->ctx.deadline_ms;
                job_answer_t answer = JOB_ANSWER_NO;
                if (handlers && handlers->on_ask)
                    answer = handlers->on_ask (arg, job, &attempt, &deadline);
                zsock_send (worker->pipe, "spii8", "ANSWER", job, (int) answer,
                            attempt, (uint64_t) deadline);
            }
            else
            if (command && streq (command, "DONE") && job == worker->job) {
                worker->job = NULL;
                self->busy--;
                if (handlers && handlers->on_done)
                    handlers->on_done (arg, job);
                else
                    job_destroy (&job);
            }
            zstr_free (&command);
        }
    }
    s_emits_drain (self, handlers, arg);
}

int
worker_pool_start (worker_pool_t *self, job_t *job)
{
    worker_t *worker = NULL;
    for (size_t i = 0; i < self->count && !worker; i++)
        if (!self->workers [i].job)
            worker = &self->workers [i];
    if (!worker) {
        if (worker_pool_full (self)) {
            errno = EBUSY;
            return 1;
        }
        //  The first worker is always tried; the next ones only while they
        //  leave descriptors free for the checks (commands, exit watches).
        int code = self->count > 0
                 ? platform_fds_free (WORKER_FDS_EACH + PLATFORM_FD_RESERVE): 0;
        if (!code && s_worker_start (self, &self->workers [self->count], self->count))
            code = errno;
        if (code) {
            self->grow_after = heal_monotonic_ms () + WORKER_REGROW_MS;
            zsys_error ("agent: cannot start a worker (%zu running): %s",
                        self->count, strerror (code));
            errno = code;
            return self->count > 0? 1: -1;
        }
        worker = &self->workers [self->count++];
        self->grow_after = 0;
    }
    job->ctx.emit = worker_pool_emit;
    job->ctx.emit_arg = self->emit_endpoint;
    if (zsock_send (worker->pipe, "sp", "RUN", job))
        return -1;
    worker->job = job;
    self->busy++;
    return 0;
}

size_t
worker_pool_busy (const worker_pool_t *self)
{
    return self->busy;
}

bool
worker_pool_full (const worker_pool_t *self)
{
    if (self->busy < self->count || self->count == 0)
        return false;           //  an idle worker, or none yet: always try one
    if (self->count >= self->max)
        return true;
    return self->grow_after > heal_monotonic_ms ();
}

bool
worker_pool_stalled (const worker_pool_t *self)
{
    return self->grow_after != 0;
}

size_t
worker_pool_size (const worker_pool_t *self)
{
    return self->count;
}

size_t
worker_pool_poll_max (const worker_pool_t *self)
{
    return self->max + 1;
}

size_t
worker_pool_poll_items (worker_pool_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t n = 0;
    if (n < max)
        items [n++] = (zmq_pollitem_t) { zsock_resolve (self->emits), 0, ZMQ_POLLIN, 0 };
    for (size_t i = 0; i < self->count && n < max; i++)
        if (self->workers [i].job)
            items [n++] = (zmq_pollitem_t) {
                self->workers [i].pipe, 0, ZMQ_POLLIN, 0 };
    return n;
}

size_t
worker_pool_destroy (worker_pool_t **self_p, int64_t grace_ms,
                     const worker_handlers_t *handlers, void *arg)
{
    worker_pool_t *self = *self_p;
    if (!self)
        return 0;
    *self_p = NULL;
    int64_t until = heal_monotonic_ms () + grace_ms;
    //  Jobs re-checking after a remedy stop doing so (their result still comes).
    for (size_t i = 0; i < self->count; i++)
        if (self->workers [i].job)
            atomic_store (&self->workers [i].job->stop, true);
    zmq_pollitem_t items [WORKER_POOL_MAX + 1];
    while (self->busy > 0 && heal_monotonic_ms () < until) {
        size_t n = worker_pool_poll_items (self, items, sizeof items / sizeof items [0]);
        zmq_poll (items, (int) n, 100);
        worker_pool_drain (self, handlers, arg);
    }
    for (size_t i = 0; i < self->count; i++)
        if (!self->workers [i].job)
            s_worker_stop (&self->workers [i]);
    s_emits_drain (self, handlers, arg);
    size_t stuck = self->busy;
    if (stuck)
        return stuck;           //  they still use the pool: left behind
    zsock_destroy (&self->emits);
    zstr_free (&self->emit_endpoint);
    free (self->workers);
    free (self);
    return 0;
}

//  ---------------------------------------------------------------------
//  Emit: any thread. One short-lived PUSH per event: emits are rare (pull
//  progress) and a socket must not be shared between threads.

void
worker_pool_emit (const check_ctx_t *ctx, event_t **event_p)
{
    if (!event_p || !*event_p)
        return;
    event_t *event = *event_p;
    *event_p = NULL;
    const char *endpoint = ctx? (const char *) ctx->emit_arg: NULL;
    //  zsys_socket, not zsock_new: out of descriptors this must fail, not
    //  abort (see the top of this file). Never silent: the log says so.
    void *push = endpoint? zsys_socket (ZMQ_PUSH, NULL, 0): NULL;
    if (!push || zmq_connect (push, endpoint) != 0) {
        if (endpoint)
            zsys_error ("agent: '%s': event lost, cannot emit: %s",
                        ctx->name? ctx->name: "?", zmq_strerror (zmq_errno ()));
        if (push)
            zsys_close (push, NULL, 0);
        event_destroy (&event);
        return;
    }
    zsock_set_sndtimeo (push, 1000);
    zsock_set_linger (push, 1000);
    if (zsock_send (push, "p", event))
        event_destroy (&event);
    zsys_close (push, NULL, 0);
}
