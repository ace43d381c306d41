//  event — the bus message model and its msgpack codec (SPEC "Bus").
//
//  One C struct carries every message type; each type uses the fields listed in
//  schemas/bus.md. All strings are owned by the event (NUL-terminated, valid
//  UTF-8). No msgpack_object escapes the decoder.
//
//  A decoded event is one heap block: the event, its own copy of the frame
//  its strings point into, and its lists, metrics and remedy. Read its fields
//  freely, but treat it as read-only: event_destroy frees the block alone, so
//  a string or list put into it would leak. To change one, change an
//  event_dup of it (whose every field is a separate malloc, like an event_new's).

#ifndef HEAL_EVENT_H_INCLUDED
#define HEAL_EVENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include <jansson.h>

//  Schema version: major version of the payload. A decoder accepts any payload
//  whose `v` is EVENT_VERSION (extra keys ignored) and rejects other majors.
#define EVENT_VERSION 1

//  Hard bounds on everything that crosses the bus (decoder rejects beyond them;
//  encoders truncate strings to them so the agent never emits an invalid frame).
#define EVENT_MAX_FRAME       (256 * 1024)  //  payload frame, bytes
#define EVENT_MAX_TOPIC       256           //  topic frame, bytes
#define EVENT_MAX_NAME        64            //  check name: [A-Za-z0-9_-]{1,64}
#define EVENT_MAX_SHORT       256           //  host, source, kind, action, model...
#define EVENT_MAX_MESSAGE     1024          //  message, summary
#define EVENT_MAX_TEXT        4096          //  root_cause, remedy output, error
#define EVENT_MAX_EVIDENCE    16            //  evidence lines per event
#define EVENT_MAX_EVIDENCE_LEN 512          //  bytes per evidence line
#define EVENT_MAX_METRICS     32            //  metrics per event
#define EVENT_MAX_LIST        256           //  checks/issues/operator_checks items
#define EVENT_MAX_DEPTH       4             //  nesting of maps/arrays in a payload

typedef enum {
    EVENT_CHECK = 0,        //  heal.check.<severity>.<check>
    EVENT_ALERT,            //  heal.alert.<check>
    EVENT_CYCLE,            //  heal.cycle
    EVENT_DIAGNOSIS,        //  heal.diagnosis
    EVENT_AGENT,            //  heal.agent
    EVENT_TYPE_COUNT
} event_type_t;

//  Order matters only for the counts array; "worst" is severity_worse().
typedef enum {
    SEVERITY_OK = 0,
    SEVERITY_HEALED,
    SEVERITY_WARNING,
    SEVERITY_CRITICAL,
    SEVERITY_UNKNOWN,
    SEVERITY_BLOCKED,       //  failing while a check it depends on fails
    SEVERITY_COUNT
} severity_t;

typedef struct {
    char *name;                 //  metric name, <= EVENT_MAX_SHORT
    double value;               //  finite number
} event_metric_t;

typedef struct {
    char *action;               //  e.g. "restart", "create", "rotate", "pull"
    char *result;               //  healed | failed | skipped | throttled | gave_up
    int64_t attempt;            //  1-based attempt within the budget window
    int64_t duration_ms;        //  time the remediation took
    char *output;               //  bounded captured output, may be NULL
    int64_t verify_ms;          //  time the re-checks after it took (-1: none ran)
} event_remedy_t;

typedef struct {
    //  Common to every message
    int64_t v;                  //  schema version (EVENT_VERSION)
    event_type_t type;
    uint64_t seq;               //  per publisher, +1 each message
    int64_t ts;                 //  unix milliseconds
    char *host;
    char *source;               //  "heal-agent", "heal-diagnoser", ...

    //  check, alert, cycle, diagnosis
    uint64_t cycle;

    //  check and alert
    char *check;                //  check name
    char *kind;                 //  check kind
    bool critical;
    severity_t severity;
    char *message;
    int64_t duration_ms;
    int64_t streak;             //  consecutive failing runs
    int64_t since;              //  ts of the last severity change
    bool changed;               //  severity differs from the previous run
    char **evidence;            //  evidence_count owned strings
    size_t evidence_count;
    event_metric_t *metrics;    //  metric_count entries
    size_t metric_count;
    event_remedy_t *remedy;     //  NULL = nil
    char *description;          //  the check's description, NULL = none (optional)
    char *blocked_by;           //  blocked: the failing dependency, NULL = none

    //  alert: what happened ("critical", "gave_up", "recovered")
    char *alert;

    //  cycle
    int64_t counts [SEVERITY_COUNT];  //  per severity, indexed by severity_t
    bool degraded;              //  any critical or unknown critical check
    char **issues;              //  names of the critical checks, issue_count
    size_t issue_count;

    //  diagnosis
    char **checks;              //  critical checks it covers, check_count
    size_t check_count;
    char *fingerprint;
    char *model;
    char *summary;
    char *root_cause;
    char **operator_checks;     //  operator_check_count strings
    size_t operator_check_count;
    char **related;             //  related checks named by the model
    size_t related_count;
    char *confidence;           //  "low" | "medium" | "high" or NULL
    int64_t latency_ms;
    bool cached;
    char *error;                //  set when no diagnosis could be had
    int64_t resolved;           //  unix ms when every check it covers passed
                                //  again (0: the problem is current)

    //  agent: lifecycle ("started", "stopping", "reloaded", "reload_failed")
    char *event;
    char *version;
    int64_t pid;

    //  Private to the codec: bytes of the decoded block (0: not decoded).
    size_t block_size;
} event_t;

//  Create an empty event of the given type (v = EVENT_VERSION). Caller owns.
event_t *event_new (event_type_t type);

//  Destroy an event and everything it owns; NULL-safe, nulls the pointer.
void event_destroy (event_t **self_p);

//  Deep copy. Caller owns the result.
event_t *event_dup (const event_t *self);

//  Replace *field with a bounded copy of value (NULL clears). Invalid UTF-8 and
//  control characters are replaced so the result always passes the decoder.
//  Returns 0, or -1 on allocation failure.
int event_set_string (char **field, const char *value, size_t max);

//  Same as event_set_string but keeps newlines: for multi-line text (remedy
//  output, root_cause, error). Returns 0, or -1 on allocation failure.
int event_set_text (char **field, const char *value, size_t max);

//  Append an evidence line / metric (bounded: extra items are dropped, 0 still
//  returned) and operator-visible text made safe as in event_set_string.
int event_add_evidence (event_t *self, const char *line);
int event_add_metric (event_t *self, const char *name, double value);

//  Append a string to a list field (issues, checks, operator_checks, related).
//  max bounds the bytes of the string; the list holds at most EVENT_MAX_LIST
//  items (more are dropped, 0 still returned).
int event_list_append (char ***list, size_t *count, const char *value, size_t max);

//  The topic of this event (heal.check.<severity>.<check>, ...). Caller frees.
char *event_topic (const event_t *self);

//  Encode into buf (cleared first). Returns 0 or -1 when a required field is
//  missing (e.g. a check event without a name).
int event_encode (const event_t *self, msgpack_sbuffer *buf);

//  Strictly decode one payload. On error returns NULL and writes the reason
//  (NUL-terminated, at most errlen bytes) into err. Caller owns the event; it
//  does not borrow data (see "A decoded event" above).
event_t *event_decode (const void *data, size_t size, char *err, size_t errlen);

//  Decode a two-frame message and check that the topic agrees with the payload.
event_t *event_decode_message (const char *topic, size_t topic_size,
                               const void *data, size_t size,
                               char *err, size_t errlen);

//  JSON form of the event (same field names as msgpack). New reference.
json_t *event_to_json (const event_t *self);

//  Names: "check", "ok", ... and back (-1 when unknown).
const char *event_type_name (event_type_t type);
int event_type_from_name (const char *name);
const char *severity_name (severity_t severity);
int severity_from_name (const char *name);

//  Exit code for a worst severity: ok/healed 0, warning/blocked 1, critical 2,
//  unknown 3.
int severity_exit_code (severity_t severity);

//  True when a is worse than b (critical > unknown > blocked > warning > healed > ok).
bool severity_worse (severity_t a, severity_t b);

//  Current time, unix milliseconds.
int64_t event_now_ms (void);

#endif
