//  worker — check runs off the main thread: a pool of worker threads, each
//  running one job at a time and talking to the main thread over its PAIR
//  pipe (no shared state besides the job it was handed). Out of descriptors
//  the pool stops growing instead of failing: see worker_pool_start.
//
//  A job's life, all messages on the worker's pipe:
//      main    RUN job          ->  worker runs the check (kind->run)
//      worker  ASK job          ->  it failed and may remediate: may it?
//      main    ANSWER job YES   ->  (attempt counted and persisted first)
//      worker  DONE job         ->  result, remedy and re-run in the job
//  The worker waits for ANSWER at most WORKER_ASK_WAIT_MS (even when the probe
//  used its whole timeout: a probe that timed out is a failure to remediate);
//  an answer that comes later is discarded and the job says JOB_ANSWER_LATE.
//  After a remedy the worker re-checks, polling, until the check passes or the
//  verify window ends (worker_verify). Kinds'
//  ctx->emit (any thread, e.g. a background pull) pushes extra events to the
//  pool's emit socket, which the main thread reads.

#ifndef HEAL_WORKER_H_INCLUDED
#define HEAL_WORKER_H_INCLUDED

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "check.h"

//  The remedy permission round trip.
typedef enum {
    JOB_ANSWER_NONE = 0,            //  never asked
    JOB_ANSWER_WAITING,             //  asked, no answer yet
    JOB_ANSWER_YES,                 //  may remediate (attempt counted)
    JOB_ANSWER_NO,                  //  may not (budget, mute, stopping)
    JOB_ANSWER_LATE                 //  no answer before the deadline: did not
} job_answer_t;

struct agent_gen_t;

//  One check run. Fields marked "main" belong to the main thread; the worker
//  owns the rest between RUN and DONE, the main thread after DONE.
typedef struct {
    uint64_t id;                    //  main
    char name [EVENT_MAX_NAME + 1];
    struct agent_gen_t *gen;        //  main: holds a ref on the generation
    const check_kind_t *kind;       //  borrowed from gen
    void *instance;                 //  borrowed from gen
    uint64_t cycle;
    bool may_remedy;                //  budget allowed it at dispatch
    bool forced;                    //  `heal` command
    int64_t started;                //  monotonic
    int64_t timeout_ms;
    int64_t verify_ms;              //  re-check window after a remedy
    bool abandoned;                 //  main: timed out, result discarded on return
    atomic_bool stop;               //  main sets (agent stopping): end the verify
                                    //  re-checks now; the worker reads it
    bool carried;                   //  main: its cycle ended while it ran
    uint64_t carried_into;          //  main: ... the cycle open then
    char blocked_by [EVENT_MAX_NAME + 1];   //  main: remedy refused: this dependency failed
    int granted;                    //  main: attempt number it said YES with (0 none)
    check_ctx_t ctx;
    //  worker: results
    job_answer_t answer;
    int attempt;                    //  attempt number received with YES
    check_status_t first;           //  status of the first run
    check_status_t status;          //  final status (after the re-run)
    check_result_t result;          //  result.event owned
    bool remedied;                  //  kind->remedy was called
    remedy_status_t remedy_status;
    event_remedy_t remedy;          //  action/output owned; verify_ms: re-checks
    int verify_runs;                //  re-checks after the remedy
    int64_t duration_ms;
} job_t;

//  A new job for kind/instance (borrowed). NULL when out of memory.
job_t *job_new (const char *name, const check_kind_t *kind, void *instance);
//  Frees the job and what it holds (not the generation: the caller's).
void job_destroy (job_t **self_p);

typedef struct worker_pool_t worker_pool_t;

//  Main thread: called by worker_pool_drain. on_ask returns JOB_ANSWER_YES or
//  JOB_ANSWER_NO; with YES it sets the attempt number and the new run
//  deadline (monotonic ms) sent with the answer. It must not write the job:
//  the worker owns it until DONE. on_done takes ownership of the job.
typedef struct {
    job_answer_t (*on_ask) (void *arg, job_t *job, int *attempt, int64_t *deadline_ms);
    void (*on_done) (void *arg, job_t *job);
    void (*on_emit) (void *arg, event_t **event_p);
} worker_handlers_t;

#define WORKER_POOL_MAX 64          //  workers in one pool at most
#define WORKER_FDS_EACH 4           //  descriptors a worker's pipe may cost (2 sockets:
                                    //  an eventfd each on Linux, a socketpair on macOS)
#define WORKER_REGROW_MS 60000      //  after a worker could not start, no new one sooner
#define WORKER_ASK_WAIT_MS 1000     //  wait for the main thread's ANSWER
#define WORKER_VERIFY_FAST_MS 100   //  re-check step after a remedy, first 2 s
#define WORKER_VERIFY_SLOW_MS 500   //  ... then

//  At most max workers (clamped to WORKER_POOL_MAX), started as needed and kept for the next jobs.
worker_pool_t *worker_pool_new (size_t max);

//  Stop the idle workers; wait up to grace_ms for busy ones (draining them
//  with handlers). Returns the number of workers that did not come back:
//  then the pool is left behind (they still use it) and *self_p is NULL.
size_t worker_pool_destroy (worker_pool_t **self_p, int64_t grace_ms,
                            const worker_handlers_t *handlers, void *arg);

//  Hand job to a free worker, starting one if needed: 0; 1 when none is free
//  and none can start now (errno EBUSY: pool full; EMFILE/ENFILE: out of
//  descriptors or libzmq sockets, EAGAIN: no thread): queue the job for a
//  busy worker; -1 when there is no worker at all and none could start, or
//  the pipe failed (errno). The job stays the caller's unless 0; the pool
//  borrows it until on_done. Never aborts: the pipe's sockets are checked.
int worker_pool_start (worker_pool_t *self, job_t *job);

//  Jobs out (including abandoned ones still running).
size_t worker_pool_busy (const worker_pool_t *self);
//  True when a job would wait: every worker busy and no new one may start now
//  (at max, or within WORKER_REGROW_MS of a failed start).
bool worker_pool_full (const worker_pool_t *self);
//  True from a failed worker start until one starts again.
bool worker_pool_stalled (const worker_pool_t *self);
//  Workers started.
size_t worker_pool_size (const worker_pool_t *self);

//  Fill items with the sockets to poll (busy workers' pipes, the emit
//  socket); returns how many (at most max).
size_t worker_pool_poll_items (worker_pool_t *self, zmq_pollitem_t *items, size_t max);
size_t worker_pool_poll_max (const worker_pool_t *self);

//  Handle everything the workers and emitters said, without blocking.
void worker_pool_drain (worker_pool_t *self, const worker_handlers_t *handlers, void *arg);

//  The ctx->emit that worker_pool_start gives kinds (ctx->emit_arg: the
//  pool's emit endpoint).
void worker_pool_emit (const check_ctx_t *ctx, event_t **event_p);

#endif
