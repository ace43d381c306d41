//  diagnoser — heal-diagnoser's internal interfaces: its settings, redaction,
//  symptoms and their fingerprint, the prompt, the Ollama client and the
//  diagnoser loop that ties them to the bus. Shared by diagnoser/*.c and the
//  unit tests; nothing outside heal-diagnoser includes it.

#ifndef HEAL_DIAGNOSER_H_INCLUDED
#define HEAL_DIAGNOSER_H_INCLUDED

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "heal/heal.h"

//  Bounds on everything the diagnoser takes in or holds.
#define DIAG_MAX_REPLY        (1024 * 1024)  //  HTTP reply body, bytes
#define DIAG_MAX_TEMPLATE     (64 * 1024)    //  prompt template file, bytes
#define DIAG_MAX_REDACT       HEAL_REDACT_MAX_PATTERNS  //  redact patterns
#define DIAG_MAX_SYMPTOMS     64             //  symptoms in one request
#define DIAG_MAX_TRACKED      1024           //  checks remembered (last critical, heals)
#define DIAG_MAX_FLAPS        1000           //  flap_count upper bound
#define DIAG_MAX_CACHE        64             //  cached diagnoses (by fingerprint)
#define DIAG_MAX_OPERATOR_CHECKS 16          //  operator_checks kept from a reply
#define DIAG_MAX_RELATED      16             //  related_checks kept from a reply
#define DIAG_MAX_ITEM         EVENT_MAX_MESSAGE  //  bytes per operator check
#define DIAG_CHARS_PER_TOKEN  4              //  prompt size estimate
#define DIAG_FINGERPRINT_LEN  16             //  hex characters

//  Defaults (SPEC "Config", issue 6)
#define DIAG_DEFAULT_URL          HEAL_OLLAMA_DEFAULT_URL
#define DIAG_DEFAULT_MODEL        "qwen2.5:7b"
#define DIAG_DEFAULT_TIMEOUT_MS   (120 * 1000)
#define DIAG_DEFAULT_CONNECT_MS   (5 * 1000)
#define DIAG_DEFAULT_NUM_CTX      4096
#define DIAG_DEFAULT_NUM_PREDICT  512
#define DIAG_DEFAULT_TEMPERATURE  0.1
#define DIAG_DEFAULT_KEEP_ALIVE   "30m"
#define DIAG_DEFAULT_TTL_MS       (3600 * 1000)
#define DIAG_DEFAULT_FLAP_COUNT   3
#define DIAG_DEFAULT_FLAP_WINDOW_MS (3600 * 1000)
#define DIAG_DEFAULT_MAX_EVIDENCE 8
#define DIAG_SEED                 42         //  fixed: repeatable answers
#define DIAG_PROBE_TIMEOUT_MS     (5 * 1000) //  the start-up look at /api/tags
#define DIAG_DEFAULT_BACKOFF_MS   (60 * 1000)   //  first pause after a failed request
#define DIAG_MAX_BACKOFF_MS       (30 * 60 * 1000)  //  ... doubling up to this
#define DIAG_MAX_HISTORY          16         //  past diagnoses remembered
#define DIAG_CONTEXT_WINDOW_MS    (10 * 60 * 1000)  //  context: changes within +-10 min
#define DIAG_MAX_CONTEXT          16         //  context lines at most
#define DIAG_MAX_ENVIRONMENT      (6 * 1024) //  bytes of environment + context text
#define DIAG_PROBE_TTL_MS         (60 * 1000)   //  a program lookup is cached this long
#define DIAG_SHELL_TIMEOUT_MS     (2 * 1000) //  `SHELL -l` asked for its PATH at most
#define DIAG_RECENT_FILE_MS       (24 * 3600 * 1000)  //  shell files changed within

//  --------------------------------------------------------------------------
//  settings: the `diagnoser` section, validated (diagnoser/settings.c)

typedef struct {
    char *url;                  //  Ollama base URL, no trailing slash
    char *model;
    int64_t timeout_ms;         //  whole request
    int64_t connect_timeout_ms;
    int num_ctx;
    int num_predict;
    double temperature;
    char *keep_alive;           //  Go duration ("30m") or integer seconds ("-1")
    int64_t ttl_ms;             //  cache lifetime of a diagnosis
    char *template_file;        //  NULL = built-in
    char *template_text;        //  the template in use (owned copy)
    bool allow_remote;
    char **redact;              //  redact_count PCRE2 patterns (owned)
    size_t redact_count;
    bool redact_defaults;       //  also the built-in secret patterns
    int flap_count;             //  0 = flapping not tracked
    int64_t flap_window_ms;
    int max_evidence;           //  evidence lines per symptom at most
    int64_t backoff_ms;         //  pause after a failed request (doubles)
    char *publish;              //  agent's bus (SUB connects)
    char *inbound;              //  agent's inbound (PUSH connects)
} diag_settings_t;

//  Read and validate the diagnoser section of config (defaults for what is
//  absent). Errors read `FILE: diagnoser: key 'KEY': what`. Caller owns.
diag_settings_t *diag_settings_new (const heal_config_t *config, char *err, size_t errlen);
void diag_settings_destroy (diag_settings_t **self_p);

//  redaction: libheal's redactor (heal/redact.h), shared with the agent.

//  --------------------------------------------------------------------------
//  symptoms and their fingerprint (diagnoser/symptom.c)

typedef struct {
    event_t *event;             //  owned, redacted copy of the check event
    int flaps;                  //  > 0: healed this many times in the window
    int64_t flap_window_ms;
    //  from the config file (diag_evidence_annotate), owned, NULL when none
    char *command;              //  a command check's run
    char *settings;             //  its other keys
    char *remedy_config;        //  its remedy block
    char *description;
    char *depends;              //  names, space separated
    char *probe;                //  where its missing program is (exit 127...)
} diag_symptom_t;

//  A redacted copy of a check event as a symptom. Caller owns.
diag_symptom_t *diag_symptom_new (const event_t *event, heal_redactor_t *redactor);
void diag_symptom_destroy (diag_symptom_t **self_p);

//  Message normalised for fingerprints: lower case, digits removed, runs of
//  white space folded to one space, trimmed. Caller frees.
char *diag_normalise (const char *text);

//  Fingerprint of a set of symptoms (order does not matter): check names,
//  severities, normalised messages, evidence lines and remedy output (what a
//  diagnosis rests on: a new cause with the same message is a new question),
//  flapping, plus model and template. Caller frees; DIAG_FINGERPRINT_LEN
//  lower-case hex characters.
char *diag_fingerprint (diag_symptom_t *const *symptoms, size_t count,
                        const char *model, const char *template_text);

//  --------------------------------------------------------------------------
//  evidence worked out before the model call (diagnoser/evidence.c)

typedef struct diag_evidence_t diag_evidence_t;

//  What the config says about each check (redacted), the machine (OS, login
//  shell, heal's PATH). Caller owns. NULL when out of memory.
diag_evidence_t *diag_evidence_new (const heal_config_t *config, heal_redactor_t *redactor);
void diag_evidence_destroy (diag_evidence_t **self_p);

//  Fill symptom's config facts (command, settings, remedy, description,
//  depends) and, for a program not found (exit 127, "not found", ENOENT),
//  where that program is on this machine (cached DIAG_PROBE_TTL_MS; the login
//  shell's PATH is asked once, at most DIAG_SHELL_TIMEOUT_MS, again only when
//  a shell file changed). 0, or -1 when out of memory.
int diag_evidence_annotate (diag_evidence_t *self, diag_symptom_t *symptom);

//  The environment block, timeline and dependencies between the failing
//  checks, for the prompt. Caller frees.
char *diag_evidence_environment (diag_evidence_t *self, diag_symptom_t *const *symptoms,
                                 size_t count, int64_t now_ms);

//  HOOK for `depends`: the names a check depends on, from its config block.
//  Caller frees; NULL when none.
char *diag_evidence_config_depends (const heal_check_config_t *check);

//  --------------------------------------------------------------------------
//  the prompt: template and rendering (diagnoser/prompt.c)

typedef struct diag_prompt_t diag_prompt_t;

//  Parse a template: an optional system part, a line "---", the user part.
//  Placeholders: {{host}} {{count}} {{checks}} {{symptoms}} {{schema}}
//  {{environment}} {{context}}; {{symptoms}} is required, any other {{...}}
//  is an error.
diag_prompt_t *diag_prompt_new (const char *template_text, char *err, size_t errlen);
void diag_prompt_destroy (diag_prompt_t **self_p);

//  The built-in template (diagnoser/prompt.txt, compiled in). Borrowed.
const char *diag_prompt_default_template (void);

//  Characters the prompt may use for num_ctx tokens minus num_predict, at
//  DIAG_CHARS_PER_TOKEN, less a tenth for the chat template and our estimate's error.
size_t diag_prompt_budget (int num_ctx, int num_predict);

//  Render the prompt for symptoms so that system + user fit budget chars.
//  Trims in order: evidence and remedy output (shorter, fewer lines, then
//  none), then messages, then drops the last symptoms (named in a note).
//  *system_out (may be NULL when the template has no system part) and
//  *user_out are owned by the caller; *level_out (may be NULL) gets how much
//  was trimmed (0 = nothing). Returns 0, or -1 on allocation failure.
//  environment and context (may be NULL) fill {{environment}} and
//  {{context}}; context goes first when trimming.
int diag_prompt_render (diag_prompt_t *self, diag_symptom_t *const *symptoms, size_t count,
                        const char *host, const char *environment, const char *context,
                        size_t budget, int max_evidence,
                        char **system_out, char **user_out, int *level_out);

//  --------------------------------------------------------------------------
//  Ollama (diagnoser/ollama.c)

//  The JSON schema asked for in `format` (new reference).
json_t *ollama_diagnosis_schema (void);

//  The /api/chat request body. Caller frees.
char *ollama_chat_request (const diag_settings_t *settings, const char *system,
                           const char *user);

//  Parse an /api/chat reply into diag's summary, root_cause, operator_checks,
//  related, confidence. Returns 0 when a diagnosis was had; -1 when not, with
//  the reason in err. A reply cut at num_predict (done_reason "length") whose
//  content still validates returns 0 and the note in err (err[0] != 0).
int ollama_parse_reply (long status, const char *body, size_t size, event_t *diag,
                        char *err, size_t errlen);

//  prompt_eval_count of a reply (tokens of the prompt the model read), -1
//  when absent.
int64_t ollama_prompt_tokens (const char *body, size_t size);

//  Did the model see a truncated prompt? Ollama silently cuts a prompt longer
//  than num_ctx (keeping its start): prompt_eval_count reaches num_ctx, or is
//  well under our own estimate of the prompt's tokens.
bool ollama_prompt_truncated (int64_t prompt_tokens, int64_t estimated_tokens, int num_ctx);

typedef struct ollama_client_t ollama_client_t;

//  One libheal HTTP client (its connection reused); owned by the thread that
//  created it. abort (may be NULL) is polled during transfers: non-zero stops
//  the transfer at once. A proxy from the environment (http_proxy, ALL_PROXY)
//  is used only when allow_remote: a local-only diagnoser never hands its
//  prompt to one, whatever the URL.
ollama_client_t *ollama_client_new (const char *url, int64_t connect_timeout_ms,
                                    int64_t timeout_ms, bool allow_remote,
                                    atomic_int *abort_flag);
void ollama_client_destroy (ollama_client_t **self_p);

//  POST body to base URL + path. Blocks up to the timeout. On 0, *status is
//  the HTTP status and *reply an owned NUL-terminated body (*size bytes, at
//  most DIAG_MAX_REPLY). On -1 err says why (connect, timeout, too large...).
int ollama_client_post (ollama_client_t *self, const char *path, const char *body,
                        long *status, char **reply, size_t *size,
                        char *err, size_t errlen);

//  GET base URL + path with a timeout (at most the client's). As post.
int ollama_client_get (ollama_client_t *self, const char *path, int64_t timeout_ms,
                       long *status, char **reply, size_t *size, char *err, size_t errlen);

//  Does an /api/tags reply list model ("name" and "name:latest" are the
//  same)? 1 yes, 0 no, -1 not a tags reply.
int ollama_model_listed (const char *body, size_t size, const char *model);

//  Keep only the related_checks the request named (checks); when the model
//  named others, drop them and say which in diag's error (a note).
void ollama_keep_requested (event_t *diag, char *const *checks, size_t count);

//  --------------------------------------------------------------------------
//  the Ollama actor (diagnoser/actor.c)

//  Read by the actor for its whole life (they must outlive it).
typedef struct {
    char *url;
    char *model;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    bool allow_remote;
    int num_ctx;                //  to tell a truncated prompt
    atomic_int *abort_flag;
} diag_actor_args_t;

//  zactor body: owns an ollama_client_t; [CHAT, id, body, estimated tokens]
//  in, [RESULT, id, event_t * (owned by the receiver)] out.
void diag_actor (zsock_t *pipe, void *args);

//  --------------------------------------------------------------------------
//  the cache of diagnoses (diagnoser/cache.c)

typedef struct diag_cache_t diag_cache_t;

//  ttl_ms <= 0: nothing is kept. NULL when out of memory.
diag_cache_t *diag_cache_new (int64_t ttl_ms);
void diag_cache_destroy (diag_cache_t **self_p);

//  Keep a copy of diag for fingerprint, ttl_ms from now.
void diag_cache_put (diag_cache_t *self, const char *fingerprint, const event_t *diag);

//  The fresh diagnosis for fingerprint (borrowed: valid until the next put)
//  or NULL.
const event_t *diag_cache_get (diag_cache_t *self, const char *fingerprint);

//  --------------------------------------------------------------------------
//  past diagnoses (diagnoser/history.c)

typedef struct diag_history_t diag_history_t;

diag_history_t *diag_history_new (void);
void diag_history_destroy (diag_history_t **self_p);

//  Remember a fresh diagnosis (the oldest of DIAG_MAX_HISTORY goes).
void diag_history_add (diag_history_t *self, const event_t *diag);

//  The newest diagnosis with this summary is resolved at when (unix ms).
void diag_history_resolved (diag_history_t *self, const char *summary, int64_t when);

//  Append "previous diagnosis" (the newest one covering any of checks, with
//  its outcome, redacted) to b; nothing when there is none.
void diag_history_render (diag_history_t *self, heal_redactor_t *redactor, char *const *checks,
                          size_t count, heal_strbuf_t *b);

//  "HH:MM:SSZ" of unix ms ms, appended to b.
void diag_add_time (heal_strbuf_t *b, int64_t ms);

//  --------------------------------------------------------------------------
//  the diagnoser loop (diagnoser/diagnoser.c)

typedef struct diagnoser_t diagnoser_t;

//  Takes ownership of *settings_p. Connects the SUB and the PUSH (through
//  heal_secure_connect with config's security section, which is only read
//  here; NULL = no CURVE keys) and starts the Ollama actor. NULL + err on error.
diagnoser_t *diagnoser_new (diag_settings_t **settings_p, const heal_config_t *config,
                            bool verbose, char *err, size_t errlen);
void diagnoser_destroy (diagnoser_t **self_p);

//  Serve until interrupted (SIGTERM/SIGINT). Returns 0.
int diagnoser_run (diagnoser_t *self);

#endif
