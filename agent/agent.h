//  agent — heal-agent's engine: one main thread (sockets, scheduler, state)
//  and worker threads that run checks (docs/agent.md, docs/architecture.md).
//
//  main.c parses flags and calls agent_new / agent_run / agent_destroy.

#ifndef HEAL_AGENT_H_INCLUDED
#define HEAL_AGENT_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "heal/heal.h"

#define AGENT_MAX_WORKERS     32            //  check runs in flight at once
#define AGENT_STOP_GRACE_MS   5000          //  wait for workers at exit
#define AGENT_RUN_GRACE_MS    2000          //  past a run's deadline before the main
                                            //  thread calls it timed out (covers the
                                            //  worker's ASK: WORKER_ASK_WAIT_MS)
#define AGENT_START_GRACE_MS  250           //  bound, then "started" and cycle 1
#define AGENT_STATE_MAX_FILE  (16 * 1024 * 1024)
#define AGENT_INCIDENTS_MAX   (1024 * 1024) //  incidents.jsonl rotates past this
#define AGENT_STATE_FLUSH_MS  1000          //  streak/severity state: at most 1/s
#define AGENT_CONTROL_MAX_MSG (1024 * 1024) //  ZMQ_MAXMSGSIZE on the control socket
#define AGENT_CONTROL_SNDHWM  1000          //  replies queued per client before they are
                                            //  dropped (counted: control_replies_dropped)

typedef struct {
    const char *config_file;    //  -c, or NULL: heal_config_locate decides
    bool verbose;               //  -v
    bool once;                  //  --once: one cycle then exit with the worst severity
} agent_options_t;

typedef struct agent_t agent_t;

//  Load the config (and every check's kind keys), lock the state dir, load
//  the state, bind the sockets. NULL with err (`FILE: where: what`) when it
//  cannot; *exit_code then says which exit status to use: HEAL_EX_CONFIG,
//  HEAL_EX_TEMPFAIL (another agent holds the state dir: nothing of it was
//  touched) or HEAL_EX_SOFTWARE (any other runtime error).
agent_t *agent_new (const agent_options_t *options, char *err, size_t errlen,
                    int *exit_code);
void agent_destroy (agent_t **self_p);

//  Run until SIGTERM/SIGINT (returns 0) or, with --once, until the first cycle
//  ends (returns the exit code of its worst severity). HEAL_EX_SOFTWARE on a
//  runtime error, --once or not.
int agent_run (agent_t *self);

//  Validate a config the way the agent would load it (heal-agent -n).
//  Returns 0 or CONFIG_EXIT_INVALID with err set.
int agent_validate (const char *config_file, char *err, size_t errlen);

#endif
