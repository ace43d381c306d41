//  agent_impl — the agent's internal structures, shared by agent.c (loop,
//  scheduler, workers), state.c (state.json), report.c (report.json,
//  incidents.jsonl) and control_server.c. Everything here belongs to the main
//  thread except the fields of agent_job_t marked "worker".

#ifndef HEAL_AGENT_IMPL_H_INCLUDED
#define HEAL_AGENT_IMPL_H_INCLUDED

#include <pthread.h>
#include <jansson.h>
#include "agent.h"
#include "check.h"
#include "remedy.h"
#include "platform.h"

typedef struct agent_job_t agent_job_t;
typedef struct agent_mailbox_t agent_mailbox_t;

//  A loaded configuration with its configured check instances. Shared by the
//  agent and the jobs in flight (refcounted on the main thread only), so a
//  reload never frees what a worker is using.
typedef struct {
    heal_config_t *config;
    const check_kind_t **kinds;     //  per check, in config order
    void **instances;
    int refs;
} agent_gen_t;

//  Runtime state of one configured check (survives reloads by name).
typedef struct {
    char name [EVENT_MAX_NAME + 1];
    const heal_check_config_t *cfg; //  borrowed from the current generation
    size_t index;                   //  position in the current generation
    bool present;                   //  false: loaded from state, not configured
    //  health
    bool has_severity;
    severity_t severity;
    int64_t streak;
    int64_t since;
    json_t *last;                   //  last event as JSON (event_to_json), owned
    char *last_remedy_result;       //  owned, NULL when none
    remedy_budget_t budget;
    //  scheduling
    int64_t next_due;               //  monotonic ms
    bool running;                   //  a worker is out (maybe abandoned)
    bool waiting;                   //  dispatched or queued, result not yet counted
    bool queued;
    bool force_remedy;              //  `heal`: remediate the next run whatever the budget
    bool again;                     //  run again as soon as the current run is over
    agent_job_t *job;               //  the job in flight, NULL when none
    uint64_t cycle_member;          //  the cycle waiting for this check (0 none)
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
    agent_check_t *checks;          //  runtime state, gen->config->check_count
    size_t check_count;
    heal_security_t *security;
    bus_publisher_t *pub;
    bus_inbound_t *inbound;
    zsock_t *control;
    agent_mailbox_t *mailbox;
    platform_watches_t *watches;    //  exit watches: one fd in the poll loop
    bool fds_exhausted;             //  an exit watch failed with EMFILE (reported once)
    //  scheduler
    uint64_t cycle;                 //  current cycle number (0 before the first)
    bool cycle_open;                //  waiting for members of `cycle`
    int64_t cycle_started;          //  monotonic
    int64_t cycle_started_wall;
    int64_t next_cycle;             //  monotonic
    size_t running;                 //  worker threads out (incl. abandoned)
    zlistx_t *queue;                //  check names waiting for a worker slot
    uint64_t next_job_id;
    zlistx_t *pendings;             //  agent_pending_t *
    bool report_after_run;
    //  state
    bool state_dirty;
    int64_t state_flush_at;         //  monotonic, 0 = not scheduled
    char *state_path;
    char *report_path;
    char *incidents_path;
    //  lifecycle
    int64_t started;                //  wall ms
    bool stopping;
    int once_exit;                  //  --once: exit code, -1 until done
    severity_t once_worst;
    //  counters
    uint64_t control_requests;
    uint64_t control_errors;
    uint64_t results_discarded;
    uint64_t timeouts;
    uint64_t remediations;
    uint64_t emitted;
    //  last diagnosis (owned JSON) and last cycle summary
    json_t *diagnosis;
    json_t *last_cycle;             //  the last heal.cycle as JSON
};

//  A check run handed to a worker thread.
struct agent_job_t {
    uint64_t id;
    char name [EVENT_MAX_NAME + 1];
    agent_gen_t *gen;               //  holds a ref (main thread)
    size_t index;
    uint64_t cycle;
    bool may_remedy;                //  budget allowed it at dispatch
    bool forced;                    //  `heal` command
    int64_t started;                //  monotonic
    int64_t started_wall;
    int64_t deadline;               //  monotonic
    int64_t timeout_ms;
    bool abandoned;                 //  timed out: result discarded on return
    agent_mailbox_t *mailbox;
    check_ctx_t ctx;
    pthread_t thread;
    //  remedy permission round trip (worker asks, main answers)
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int ask;                        //  0 none, 1 asked, 2 yes, 3 no
    int attempt;                    //  attempt number set with "yes"
    //  worker: results
    check_status_t first;           //  status of the first run
    check_status_t status;          //  final status (after the re-run)
    check_result_t result;          //  result->event owned
    bool asked;                     //  the worker asked to remediate
    bool denied;                    //  ... and was told no
    bool remedied;                  //  kind->remedy was called
    remedy_status_t remedy_status;
    event_remedy_t remedy;          //  action/output owned
    int64_t duration_ms;
};

//  agent.c: publish one event (takes ownership) and remember it when it is a
//  check event. Safe on a NULL publisher (--once without a bus).
void agent_publish (agent_t *self, event_t **event_p);
agent_check_t *agent_check_find (agent_t *self, const char *name);
//  Dispatch a check now (queued when all workers are busy). force: `heal`.
void agent_dispatch (agent_t *self, agent_check_t *check, bool force);
//  Start a cycle now (every check whose turn it is, or all when all).
void agent_cycle_start (agent_t *self, bool all);
//  Reload the config file. 0, or -1 with err (old config kept).
int agent_reload (agent_t *self, char *err, size_t errlen);
void agent_state_changed (agent_t *self, bool now);
severity_t agent_worst (agent_t *self, int64_t counts [SEVERITY_COUNT], bool *degraded,
                        json_t *issues);

//  state.c
int agent_state_load (agent_t *self);
int agent_state_save (agent_t *self);

//  report.c
json_t *agent_report_json (agent_t *self);
int agent_report_write (agent_t *self);
void agent_incident_append (agent_t *self, const json_t *event);

//  control_server.c
void agent_control_handle (agent_t *self);
void agent_control_result (agent_t *self, agent_check_t *check);
void agent_control_destroy_pendings (agent_t *self);
json_t *agent_status_json (agent_t *self);

#endif
