//  config — heal's configuration (SPEC "Config"), ZPL read with czmq's zconfig.
//
//  heal_config_load checks everything that does not depend on a check kind:
//  sections and their keys, durations, endpoints, check names (valid, unique),
//  `kind` present, `critical` a boolean, `interval`, `timeout`, remedy budget,
//  file permissions. The agent then checks each kind's own keys (agent/check.c).
//  Errors read `FILE: where: what`, e.g.
//  `/x/heal.conf: check 'web': key 'intervall': unknown key (did you mean 'interval'?)`.

#ifndef HEAL_CONFIG_H_INCLUDED
#define HEAL_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <czmq.h>
#include "heal/exit.h"
#include "heal/keys.h"

#define CONFIG_MAX_FILE      (1024 * 1024)   //  config file size, bytes
#define CONFIG_MAX_CHECKS    1024            //  checks per config
#define CONFIG_MAX_VALUE     4096            //  bytes per value
#define CONFIG_ERROR_MAX     1024            //  error message, bytes
#define CONFIG_EXIT_INVALID  HEAL_EX_CONFIG  //  -n on a bad config (heal/exit.h)
#define CONFIG_MAX_ATTEMPTS  1000            //  remedy/attempts at most (the budget keeps
                                             //  one time per configured attempt)
#define CONFIG_MAX_VERIFY_MS (3600 * 1000)   //  remedy/verify at most
#define CONFIG_MAX_DEPENDS   16              //  depends: names per check
#define CONFIG_MIN_INTERVAL_MS 100           //  interval at least

//  Defaults (the key tables write them as text; test_keys checks they agree)
#define CONFIG_DEFAULT_INTERVAL_MS   (300 * 1000)
#define CONFIG_DEFAULT_TIMEOUT_MS    (10 * 1000)     //  per check run
#define CONFIG_DEFAULT_ATTEMPTS      3
#define CONFIG_DEFAULT_WITHIN_MS     (900 * 1000)
#define CONFIG_DEFAULT_BACKOFF_MS    1000            //  first delay between attempts
//  heal-exporter (exporter section): where it listens, how long a scrape waits
//  for the agent (well under Prometheus' default 10 s scrape timeout).
#define CONFIG_DEFAULT_EXPORTER_LISTEN     "127.0.0.1:9877"
#define CONFIG_DEFAULT_EXPORTER_TIMEOUT_MS 2000
#define CONFIG_MAX_EXPORTER_TIMEOUT_MS     8000
#define CONFIG_DEFAULT_PATH          "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

typedef struct {
    char *name;                 //  unique, [A-Za-z0-9_-]{1,64}
    char *kind;                 //  as written; the agent resolves it
    bool critical;              //  default false
    int64_t interval_ms;        //  0 = the agent's interval
    int64_t timeout_ms;         //  per run, default CONFIG_DEFAULT_TIMEOUT_MS
    int64_t attempts;           //  remediation budget: attempts ...
    int64_t within_ms;          //  ... within this window
    int64_t backoff_ms;         //  first delay between attempts (doubles)
    int64_t verify_ms;          //  remedy/verify: re-check window after a remedy
    bool verify_given;          //  ... set in the config (else the kind's default)
    char *description;          //  for people and the diagnoser, or NULL
    heal_list_t depends;        //  names of the checks this one depends on
    size_t *depends_index;      //  their positions in checks, depends.count
    zconfig_t *node;            //  the check block (borrowed from root)
    zconfig_t *remedy;          //  its remedy block or NULL (borrowed)
} heal_check_config_t;

typedef struct {
    char *file;                 //  file loaded, NULL = built-in defaults
    zconfig_t *root;            //  owned parse tree
    //  agent
    int64_t interval_ms;
    int64_t timeout_ms;         //  default per-check timeout
    char *state_dir;
    char *path;                 //  PATH for every command heal runs
    char *host;                 //  agent.host: this host's name on the bus, or NULL
    bool report_readable_by_others;     //  report.json 0644 instead of 0600
    bool redact;                //  redact credentials in events on the bus
    //  bus and control endpoints (defaults under heal_runtime_dir ())
    char *publish;
    char *inbound;
    char *control;
    //  CURVE keys for non-loopback tcp endpoints (NULL when not configured)
    char *curve_server_cert;    //  control/bus server certificate file
    char *curve_client_cert;    //  client certificate file (healctl, diagnoser)
    char *curve_clients_dir;    //  directory of authorised client public certs
    //  exporter
    char *exporter_listen;      //  IP:PORT (heal/listen.h), default loopback
    int64_t exporter_timeout_ms;
    //  checks in file order
    heal_check_config_t *checks;
    size_t check_count;
} heal_config_t;

//  The key tables of the sections (heal/keys.h), for docs and tests: agent,
//  bus, control, security, diagnoser, then "check" (the keys every check has)
//  and "remedy" (the keys every remedy block has). NULL name ends. Borrowed.
typedef struct {
    const char *name;
    const heal_key_t *keys;
} heal_config_section_t;

const heal_config_section_t *heal_config_sections (void);

//  The keys every check block has, and every remedy block (the kinds add
//  their own: agent/check.c).
extern const heal_key_t heal_config_check_keys [];
extern const heal_key_t heal_config_remedy_keys [];

//  Which file to load: explicit (-c) wins, then $HEAL_CONFIG, then
//  ~/.config/heal/heal.conf when it exists, else NULL (built-in defaults).
//  Caller frees.
char *heal_config_locate (const char *explicit_path);

//  Load and validate. path NULL = built-in defaults. On error returns NULL and
//  writes `FILE: where: what` into err (CONFIG_ERROR_MAX bytes recommended).
heal_config_t *heal_config_load (const char *path, char *err, size_t errlen);

//  Same, from text (tests, built-in defaults). name is used in messages.
heal_config_t *heal_config_load_text (const char *text, const char *name,
                                      char *err, size_t errlen);
void heal_config_destroy (heal_config_t **self_p);

//  Check every check's `depends` (called by load): names of other configured
//  checks, each once, and no dependency cycle (`FILE: check 'a': key
//  'depends': dependency cycle: a -> b -> a`). Fills depends_index. 0, or -1
//  with err set.
int heal_config_depends_check (heal_config_t *self, char *err, size_t errlen);

//  Find a check by name (borrowed) or NULL.
const heal_check_config_t *heal_config_check (const heal_config_t *self,
                                              const char *name);

//  Value of key under node, or NULL when absent (borrowed).
const char *heal_config_value (zconfig_t *node, const char *key);

//  Format `FILE: check 'NAME': key 'KEY': what` into err. check/key may be NULL.
void heal_config_error (char *err, size_t errlen, const char *file,
                        const char *check, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 6, 7)));

//  Check that every child of node is one of the NULL-terminated known keys;
//  otherwise write an error naming the nearest known key. Returns 0 or -1.
//  where: e.g. the check name (NULL for a section).
int heal_config_known_keys (const heal_config_t *self, zconfig_t *node,
                            const char *check, const char *const *known,
                            char *err, size_t errlen);

//  Security check used by load: regular file, owned by the effective user,
//  not writable by group or others. Returns 0, or -1 with a message saying how
//  to fix it (e.g. `chmod 600 FILE`).
int heal_config_check_permissions (const char *path, char *err, size_t errlen);

#endif
