//  agent_impl — the agent's runtime data: the structures that the agent's
//  files share (the main thread owns all of it). Functions live in one small
//  header per concern:
//
//      generation.h      a loaded config and its configured check instances
//      runs.h            dispatch, worker answers, results, timeouts, cycles
//      state.h           state.json
//      report.h          report.json
//      incidents.h       incidents (incidents.jsonl) and per-check history
//      control_server.h  healctl's requests
//      status.h          the `status` reply, cached per check
//      metrics.h         the `metrics` reply (heal-exporter's)
//      agent_impl.h      (this) + the few agent.c functions the others call
//
//  No agent header includes another of these; each .c includes what it uses.

#ifndef HEAL_AGENT_IMPL_H_INCLUDED
#define HEAL_AGENT_IMPL_H_INCLUDED

#include <jansson.h>
#include "agent.h"
#include "check.h"
#include "outcome.h"
#include "remedy.h"
#include "platform.h"
#include "scheduler.h"
#include "statelock.h"
#include "status.h"
#include "totals.h"
#include "worker.h"

//  A loaded configuration with its configured check instances. Shared by the
//  agent and the jobs in flight (refcounted on the main thread only), so a
//  reload never frees what a worker is using.
typedef struct agent_gen_t {
    heal_config_t *config;
    const check_kind_t **kinds;     //  per check, in config order
    void **instances;
    int refs;
} agent_gen_t;

//  Runtime state of one configured check (survives reloads by name).
typedef struct agent_check_t {
    char name [EVENT_MAX_NAME + 1];
    const heal_check_config_t *cfg; //  borrowed from the current generation
    size_t index;                   //  position in the current generation
    bool present;                   //  false: loaded from state, not configured
    check_health_t health;          //  severity, streak, since, budget
    json_t *last;                   //  last event as JSON (event_to_json), owned
    uint64_t last_serial;           //  +1 whenever last changes
    status_cache_t status;          //  its `status` entry, encoded
    char *last_remedy_result;       //  owned, NULL when none
    char *last_remedy_output;       //  output of the last remedy that ran, owned;
                                    //  kept until the check passes (runs.c)
    totals_t totals;                //  lifetime counters (runs.c counts them)
    //  scheduling
    scheduler_slot_t slot;
    bool queued;                    //  waiting for a free worker
    bool force_remedy;              //  `heal`: remediate the next run whatever the budget
    bool again;                     //  run again as soon as the current run is over
    bool wait_deps;                 //  in the cycle, waiting for its dependencies' runs
    job_t *job;                     //  the job in flight, NULL when none
    //  exit watch (in agent_t.watches)
    int64_t watch_pid;              //  0 none
} agent_check_t;

//  A `run` request waiting for results before its reply.
typedef struct {
    zmsg_t *envelope;               //  ROUTER identity (+ delimiter) of the client
    char **names;                   //  checks still awaited
    size_t count;
    size_t left;
    json_t *results;                //  name -> event JSON
} agent_pending_t;

struct agent_t {
    agent_options_t options;
    char *config_file;              //  resolved (NULL = built-in defaults)
    agent_gen_t *gen;               //  current generation
    heal_redactor_t *redactor;      //  agent/redact = true: made on first use
    agent_check_t *checks;          //  runtime state, gen->config->check_count
    size_t check_count;
    heal_security_t *security;
    bus_publisher_t *pub;
    bus_inbound_t *inbound;
    zsock_t *control;
    worker_pool_t *workers;
    platform_watches_t *watches;    //  exit watches: one fd in the poll loop
    bool fds_exhausted;             //  an exit watch failed with EMFILE (reported once)
    bool workers_exhausted;         //  the pool could not grow for EMFILE (reported once)
    scheduler_t sched;
    int64_t cycle_started_wall;
    zlistx_t *queue;                //  check names waiting for a worker
    uint64_t next_job_id;
    zlistx_t *pendings;             //  agent_pending_t *
    bool report_after_run;
    //  state
    bool state_dirty;
    int64_t state_flush_at;         //  monotonic, 0 = not scheduled
    char *state_path;
    char *report_path;
    char *incidents_path;
    statelock_t *lock;              //  the state dir is ours while we run
    //  lifecycle
    int64_t started;                //  wall ms
    bool stopping;
    int once_exit;                  //  --once: exit code, -1 until done
    severity_t once_worst;
    //  counters
    uint64_t control_requests;
    uint64_t control_errors;
    uint64_t control_replies_dropped;   //  client's queue full (ROUTER_MANDATORY)
    uint64_t results_discarded;
    uint64_t timeouts;
    uint64_t remediations;
    uint64_t emitted;
    //  last diagnosis (owned JSON) and last cycle summary
    json_t *diagnosis;
    json_t *last_cycle;             //  the last heal.cycle as JSON
    struct incidents_t *incidents;  //  incidents and history (incidents.c), owned
};

//  agent.c: publish one event (takes ownership). Safe on a NULL publisher
//  (--once without a bus).
void agent_publish (agent_t *self, event_t **event_p);
//  Publish, borrowing event (its seq/ts/host/source are stamped).
void agent_publish_borrowed (agent_t *self, event_t *event);
//  Publish a heal.agent event (what: started, reloaded, fd_exhausted, ...).
void agent_publish_agent (agent_t *self, const char *what, const char *message);
agent_check_t *agent_check_find (agent_t *self, const char *name);
//  Reload the config file. 0, or -1 with err (old config kept).
int agent_reload (agent_t *self, char *err, size_t errlen);
//  Something persisted changed: save state.json now, or within
//  AGENT_STATE_FLUSH_MS.
void agent_state_changed (agent_t *self, bool now);

#endif
