//  test_worker — the check worker pool never aborts for lack of descriptors
//  or libzmq sockets: it runs jobs, queues when full, stops growing when a
//  worker cannot start (the caller queues), keeps using the workers it has,
//  and an emit that cannot make its socket loses the event, not the process.
//  czmq 4.2's zactor_new/zsock_new assert in both cases; the pool must not
//  use them for its workers.

#include "worker.h"
#include "platform.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"

//  A kind whose run waits at a gate the test holds.
static pthread_mutex_t s_gate = PTHREAD_MUTEX_INITIALIZER;

static check_status_t
s_gated_run (void *self, const check_ctx_t *ctx, check_result_t *result)
{
    (void) self;
    (void) ctx;
    pthread_mutex_lock (&s_gate);
    pthread_mutex_unlock (&s_gate);
    event_set_string (&result->event->message, "ran", EVENT_MAX_MESSAGE);
    return CHECK_OK;
}

static const check_kind_t s_kind = { .name = "gated", .run = s_gated_run };

static size_t s_done = 0;

static void
s_on_done (void *arg, job_t *job)
{
    (void) arg;
    if (job->status == CHECK_OK && job->result.event && job->result.event->message
    &&  streq (job->result.event->message, "ran"))
        s_done++;
    job_destroy (&job);
}

static const worker_handlers_t s_handlers = { NULL, s_on_done, NULL };

//  Drain the pool until `want` jobs came back or 10 s passed.
static void
s_wait_done (worker_pool_t *pool, size_t want)
{
    int64_t until = heal_monotonic_ms () + 10000;
    zmq_pollitem_t items [WORKER_POOL_MAX + 1];
    while (s_done < want && heal_monotonic_ms () < until) {
        size_t n = worker_pool_poll_items (pool, items, WORKER_POOL_MAX + 1);
        zmq_poll (items, (int) n, 100);
        worker_pool_drain (pool, &s_handlers, NULL);
    }
}

static job_t *
s_job (void)
{
    job_t *job = job_new ("gated", &s_kind, NULL);
    if (job)
        job->ctx.deadline_ms = heal_monotonic_ms () + 10000;
    return job;
}

//  Hold every free descriptor but `keep`; returns how many are held in held.
static int
s_exhaust (int *held, int max, int keep)
{
    int n = 0;
    while (n < max && (held [n] = dup (2)) >= 0)
        n++;
    for (int i = 0; i < keep && n > 0; i++)
        close (held [--n]);
    return n;
}

static void
s_release (int *held, int n)
{
    while (n > 0)
        close (held [--n]);
}

//  In a child (zsys_set_max_sockets must come before any socket): with room
//  for the emit socket and two workers in the context, the third cannot
//  start; the pool says "wait" (1, EMFILE) and goes on with two.
static int
s_socket_limit_child (void)
{
    zsys_set_max_sockets (6);
    worker_pool_t *pool = worker_pool_new (8);
    if (!pool)
        return 10;
    job_t *jobs [3] = { s_job (), s_job (), s_job () };
    pthread_mutex_lock (&s_gate);
    int rc0 = worker_pool_start (pool, jobs [0]);
    int rc1 = worker_pool_start (pool, jobs [1]);
    int rc2 = worker_pool_start (pool, jobs [2]);
    int code = errno;
    pthread_mutex_unlock (&s_gate);
    int status = rc0 == 0 && rc1 == 0? 0: 11;
    if (!status && !(rc2 == 1 && code == EMFILE && worker_pool_size (pool) == 2))
        status = 12;
    s_wait_done (pool, 2);
    if (!status && s_done != 2)
        status = 13;
    //  A worker is free again: the waiting job runs on it.
    if (!status && worker_pool_start (pool, jobs [2]) != 0)
        status = 14;
    s_wait_done (pool, 3);
    if (!status && s_done != 3)
        status = 15;
    if (worker_pool_destroy (&pool, 2000, &s_handlers, NULL) != 0 && !status)
        status = 16;
    return status;
}

int main (void);

int
main (void)
{
    //  The libzmq socket limit, in a child that has made no socket yet.
    fflush (stderr);
    pid_t child = fork ();
    if (child == 0)
        _exit (s_socket_limit_child ());
    int wstatus = 0;
    CHECK (child > 0 && waitpid (child, &wstatus, 0) == child);
    CHECKF (WIFEXITED (wstatus) && WEXITSTATUS (wstatus) == 0,
            "child: %s %d", WIFEXITED (wstatus)? "exit": "signal",
            WIFEXITED (wstatus)? WEXITSTATUS (wstatus): WTERMSIG (wstatus));

    //  Counting free descriptors is exact only while nothing else closes
    //  some: libzmq closes a socket's descriptor later, on its reaper thread.
    //  So no pool is destroyed (no socket closed) before the last count.

    //  platform_fds_free opens and closes: asking leaves as many free.
    struct rlimit limit;
    CHECK (getrlimit (RLIMIT_NOFILE, &limit) == 0);
    struct rlimit low = limit;
    low.rlim_cur = 256;
    CHECK (setrlimit (RLIMIT_NOFILE, &low) == 0);
    int held [256];
    int n = s_exhaust (held, 256, 5);
    CHECK (platform_fds_free (5) == 0);
    CHECK (platform_fds_free (6) == EMFILE);
    CHECK (platform_fds_free (5) == 0);
    s_release (held, n);

    //  Plenty of everything: workers start as needed, at most max.
    worker_pool_t *pool = worker_pool_new (2);
    CHECK (pool);
    job_t *a = s_job (), *b = s_job (), *c = s_job ();
    pthread_mutex_lock (&s_gate);
    CHECK (!worker_pool_full (pool));
    CHECK (worker_pool_start (pool, a) == 0);
    CHECK (worker_pool_start (pool, b) == 0);
    CHECK (worker_pool_full (pool));
    errno = 0;
    CHECK (worker_pool_start (pool, c) == 1);
    CHECK (errno == EBUSY);
    CHECK (!worker_pool_stalled (pool));
    pthread_mutex_unlock (&s_gate);
    s_wait_done (pool, 2);
    CHECK (s_done == 2);
    CHECK (worker_pool_start (pool, c) == 0);
    s_wait_done (pool, 3);
    CHECK (s_done == 3);
    CHECK (worker_pool_size (pool) == 2);
    worker_pool_t *plenty = pool;

    //  Descriptors short: the first worker starts anyway, the second would
    //  leave fewer than PLATFORM_FD_RESERVE free and does not: the caller
    //  is told to queue (1, EMFILE), the pool keeps its one worker, and a
    //  queued job runs on it when it is free.
    pool = worker_pool_new (8);
    CHECK (pool);
    worker_pool_t *none = worker_pool_new (8);     //  for the last case
    CHECK (none);
    job_t *jobs [3] = { s_job (), s_job (), s_job () };
    s_done = 0;
    n = s_exhaust (held, 256, WORKER_FDS_EACH + 2);
    pthread_mutex_lock (&s_gate);
    CHECK (worker_pool_start (pool, jobs [0]) == 0);
    errno = 0;
    CHECK (worker_pool_start (pool, jobs [1]) == 1);
    CHECK (errno == EMFILE);
    CHECK (worker_pool_stalled (pool));
    CHECK (worker_pool_size (pool) == 1);
    CHECK (worker_pool_full (pool));        //  no new try before WORKER_REGROW_MS
    pthread_mutex_unlock (&s_gate);
    s_wait_done (pool, 1);
    CHECK (s_done == 1);
    CHECK (!worker_pool_full (pool));
    CHECK (worker_pool_start (pool, jobs [1]) == 0);
    s_wait_done (pool, 2);
    CHECK (s_done == 2);

    //  No descriptor at all: an emit loses its event (logged), nothing aborts.
    s_release (held, n);
    n = s_exhaust (held, 256, 0);
    check_ctx_t ctx = { .name = "gated", .emit_arg = (void *) "inproc://nowhere" };
    event_t *event = event_new (EVENT_CHECK);
    worker_pool_emit (&ctx, &event);
    CHECK (event == NULL);
    s_release (held, n);
    job_destroy (&jobs [2]);
    worker_pool_t *short_of_fds = pool;

    //  No worker yet and none can start: -1 (the caller fails the run).
    pool = none;
    job_t *d = s_job ();
    n = s_exhaust (held, 256, 1);
    errno = 0;
    CHECK (worker_pool_start (pool, d) == -1);
    CHECK (errno == EMFILE);
    CHECK (!worker_pool_full (pool));       //  the next job tries again
    s_release (held, n);
    s_done = 0;
    CHECK (worker_pool_start (pool, d) == 0);
    s_wait_done (pool, 1);
    CHECK (s_done == 1);
    CHECK (worker_pool_destroy (&pool, 2000, &s_handlers, NULL) == 0);
    CHECK (pool == NULL);
    CHECK (worker_pool_destroy (&short_of_fds, 2000, &s_handlers, NULL) == 0);
    CHECK (worker_pool_destroy (&plenty, 2000, &s_handlers, NULL) == 0);
    CHECK (setrlimit (RLIMIT_NOFILE, &limit) == 0);

    printf ("test_worker: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed? 1: 0;
}
