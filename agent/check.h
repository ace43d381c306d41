//  check — the one interface behind every check kind.
//
//  A kind is one file, check_<kind>.c, exporting one descriptor
//  `const check_kind_t check_kind_<kind>`, listed once in the table in check.c.
//  run() and remedy() are called from a worker thread, never concurrently for
//  the same instance, and must finish within ctx->deadline_ms (monotonic);
//  they must not touch global mutable state. A check that cannot run returns
//  CHECK_UNKNOWN; that is a health status, not an error.

#ifndef HEAL_CHECK_H_INCLUDED
#define HEAL_CHECK_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "heal/heal.h"

typedef enum {
    CHECK_OK = 0,           //  healthy
    CHECK_WARN,             //  degraded but not failing (Nagios exit 1): no remedy
    CHECK_FAIL,             //  failing: remedy, then check again
    CHECK_UNKNOWN           //  could not tell (timeout, no permission, exit 3)
} check_status_t;

#define CHECK_VERIFY_SERVICE_MS  10000  //  remedy/verify default of the service kinds

typedef enum {
    REMEDY_NONE = 0,        //  nothing configured for this failure: remedy null
    REMEDY_DONE,            //  remediation ran; the re-check decides healed/failed
    REMEDY_FAILED,          //  remediation itself failed (command exit != 0 ...)
    REMEDY_PENDING          //  started in the background (e.g. a pull); a later
                            //  run will see the outcome
} remedy_status_t;

typedef struct check_ctx_t check_ctx_t;

struct check_ctx_t {
    const char *name;                       //  check name
    const heal_config_t *config;            //  path, state_dir (borrowed)
    const heal_check_config_t *check;       //  this check's config (borrowed)
    int64_t deadline_ms;                    //  heal_monotonic_ms () deadline of this run
    bool verbose;
    //  Publish an extra event (e.g. pull progress) from any thread; takes
    //  ownership of *event. Set by the agent; may be NULL in unit tests.
    void (*emit) (const check_ctx_t *ctx, event_t **event);
    void *emit_arg;                         //  the agent's, opaque to kinds
};

typedef struct {
    event_t *event;         //  EVENT_CHECK being built: message, evidence, metrics
                            //  (owned by the caller; the kind fills it)
    int64_t watch_pid;      //  process kinds: a pid whose exit should trigger an
                            //  immediate run (0 = none)
    uint64_t watch_start;   //  its start time (platform units), for pid reuse
} check_result_t;

typedef struct {
    const char *name;                       //  "disk", "file", ...
    size_t size;                            //  sizeof the kind's instance
    const heal_key_t *keys;                 //  the kind's own keys (heal/keys.h)
    const heal_key_t *remedy_keys;          //  its remedy keys (besides attempts,
                                            //  within, backoff); NULL = none
    //  check_configure builds every instance the same way: calloc (size),
    //  kind_configure reads both tables into it, then setup (NULL = nothing)
    //  checks what involves several keys and builds what the tables do not
    //  (compiled patterns, derived text, locks). Returns 0, or -1 with
    //  `FILE: check 'NAME': key 'KEY': what` in err (heal_config_error).
    int (*setup) (void *self, const heal_config_t *config,
                  const heal_check_config_t *check, char *err, size_t errlen);
    //  Run once and fill result->event (message at least). Bounded by the deadline.
    check_status_t (*run) (void *self, const check_ctx_t *ctx, check_result_t *result);
    //  Remediate a failure seen by run. out->action and out->output are set by
    //  the kind (owned strings); result/attempt are set by the agent. NULL:
    //  the generic remedy of run_at, or none. Called through check_remedy.
    remedy_status_t (*remedy) (void *self, const check_ctx_t *ctx,
                               const check_result_t *failed, event_remedy_t *out);
    //  The generic remedy when remedy is NULL: HEAL_KEY_AT of the instance's
    //  `char *` command (remedy/run), run by kind_remedy_run; unset (NULL)
    //  is REMEDY_NONE. 0 = no generic remedy.
    size_t run_at;
    //  Free what setup made (the key tables' values are freed by
    //  check_destroy after it). NULL = nothing. Must be safe on an instance
    //  whose setup never ran or stopped half-way (fields still zero).
    void (*cleanup) (void *self);
    //  After a remedy the agent re-checks until the check passes or this
    //  window ends (remedy/verify overrides it): 0 = one re-check.
    int64_t verify_default_ms;
    //  The instance's own window when remedy/verify is not set (the process
    //  kind's start_timeout), or NULL: verify_default_ms.
    int64_t (*verify_ms) (const void *self);
} check_kind_t;

//  The verify window of a configured check (ms).
int64_t check_verify_ms (const check_kind_t *kind, const void *instance,
                         const heal_check_config_t *check);

//  The kind descriptor for name, or NULL.
const check_kind_t *check_kind_find (const char *name);

//  NULL-terminated table of every kind (for -n, docs, tests). Borrowed.
const check_kind_t *const *check_kinds (void);

//  Validate one check's kind-specific keys (known keys, nearest suggestion)
//  and build its instance: calloc (kind->size), kind_configure, kind->setup.
//  Returns the owned instance, or NULL with err set (what was built is freed).
void *check_configure (const check_kind_t *kind, const heal_config_t *config,
                       const heal_check_config_t *check, char *err, size_t errlen);

//  Free an instance of kind: cleanup, then the values of both key tables.
//  NULL-safe; nulls the pointer.
void check_destroy (const check_kind_t *kind, void **instance_p);

//  True when the kind can remediate (its own remedy or a generic run_at).
bool check_has_remedy (const check_kind_t *kind);

//  Remediate a failure seen by run: the kind's remedy, or the generic
//  `remedy/run` command at run_at, or REMEDY_NONE.
remedy_status_t check_remedy (const check_kind_t *kind, void *instance,
                              const check_ctx_t *ctx, const check_result_t *failed,
                              event_remedy_t *out);

#endif
