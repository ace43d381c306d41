//  event — the bus message model and its strict msgpack codec.
//
//  The wire format is documented field by field in schemas/bus.md and, as a
//  JSON Schema, in schemas/bus.schema.json; keep the three in step. The
//  decoder is table driven: s_fields lists every known key, its type, its
//  bounds, and which message types require or allow it. Keys a type does not
//  know are ignored, but still validated (string keys, UTF-8 strings, no
//  bin/ext, depth and size bounded) so that nothing unbounded gets through.

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "heal/util.h"
#include "heal/event.h"
#include "wire.h"

//  --------------------------------------------------------------------------
//  Names

static const char *s_type_names [EVENT_TYPE_COUNT] = {
    "check", "alert", "cycle", "diagnosis", "agent"
};

static const char *s_severity_names [SEVERITY_COUNT] = {
    "ok", "healed", "warning", "critical", "unknown"
};

static const char *s_remedy_results [] = {
    "healed", "failed", "skipped", "throttled", "gave_up", NULL
};

const char *
event_type_name (event_type_t type)
{
    if ((int) type < 0 || type >= EVENT_TYPE_COUNT)
        return NULL;
    return s_type_names [type];
}

static int
s_name_index (const char **names, int count, const char *name, size_t len)
{
    if (len == 0)
        return -1;
    for (int i = 0; i < count; i++)
        if (names [i][0] == name [0] && strlen (names [i]) == len
        &&  memcmp (names [i], name, len) == 0)
            return i;
    return -1;
}

int
event_type_from_name (const char *name)
{
    return name ? s_name_index (s_type_names, EVENT_TYPE_COUNT, name, strlen (name)) : -1;
}

const char *
severity_name (severity_t severity)
{
    if ((int) severity < 0 || severity >= SEVERITY_COUNT)
        return NULL;
    return s_severity_names [severity];
}

int
severity_from_name (const char *name)
{
    return name ? s_name_index (s_severity_names, SEVERITY_COUNT, name, strlen (name)) : -1;
}

int
severity_exit_code (severity_t severity)
{
    switch (severity) {
        case SEVERITY_OK:
        case SEVERITY_HEALED:   return 0;
        case SEVERITY_WARNING:  return 1;
        case SEVERITY_CRITICAL: return 2;
        default:                return 3;
    }
}

static int
s_severity_rank (severity_t s)
{
    switch (s) {
        case SEVERITY_OK:       return 0;
        case SEVERITY_HEALED:   return 1;
        case SEVERITY_WARNING:  return 2;
        case SEVERITY_UNKNOWN:  return 3;
        case SEVERITY_CRITICAL: return 4;
        default:                return 3;
    }
}

bool
severity_worse (severity_t a, severity_t b)
{
    return s_severity_rank (a) > s_severity_rank (b);
}

int64_t
event_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  --------------------------------------------------------------------------
//  Model

event_t *
event_new (event_type_t type)
{
    if ((int) type < 0 || type >= EVENT_TYPE_COUNT)
        return NULL;
    event_t *self = (event_t *) calloc (1, sizeof (event_t));
    if (!self)
        return NULL;
    self->v = EVENT_VERSION;
    self->type = type;
    self->severity = SEVERITY_OK;
    return self;
}

static void
s_list_free (char ***list, size_t *count)
{
    if (*list) {
        for (size_t i = 0; i < *count; i++)
            free ((*list) [i]);
        free (*list);
    }
    *list = NULL;
    *count = 0;
}

static void
s_remedy_free (event_remedy_t **remedy_p)
{
    event_remedy_t *r = *remedy_p;
    if (r) {
        free (r->action);
        free (r->result);
        free (r->output);
        free (r);
        *remedy_p = NULL;
    }
}

void
event_destroy (event_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    event_t *self = *self_p;
    free (self->host);
    free (self->source);
    free (self->check);
    free (self->kind);
    free (self->message);
    s_list_free (&self->evidence, &self->evidence_count);
    for (size_t i = 0; i < self->metric_count; i++)
        free (self->metrics [i].name);
    free (self->metrics);
    s_remedy_free (&self->remedy);
    free (self->alert);
    s_list_free (&self->issues, &self->issue_count);
    s_list_free (&self->checks, &self->check_count);
    free (self->fingerprint);
    free (self->model);
    free (self->summary);
    free (self->root_cause);
    s_list_free (&self->operator_checks, &self->operator_check_count);
    s_list_free (&self->related, &self->related_count);
    free (self->confidence);
    free (self->error);
    free (self->event);
    free (self->version);
    free (self);
    *self_p = NULL;
}


//  Duplicate an optional string: 0 ok (NULL stays NULL), -1 out of memory.
static int
s_dup_opt (char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = wire_strndup (src, strlen (src));
    return *dst ? 0 : -1;
}

static int
s_dup_list (char ***dst, size_t *dst_count, char *const *src, size_t count)
{
    *dst = NULL;
    *dst_count = 0;
    if (!src || count == 0)
        return 0;
    *dst = (char **) calloc (count, sizeof (char *));
    if (!*dst)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (s_dup_opt (&(*dst) [i], src [i]))
            return -1;
        *dst_count = i + 1;
    }
    return 0;
}

event_t *
event_dup (const event_t *src)
{
    if (!src)
        return NULL;
    event_t *self = (event_t *) calloc (1, sizeof (event_t));
    if (!self)
        return NULL;
    //  Scalars first, then replace every pointer with an owned copy.
    *self = *src;
    self->host = self->source = self->check = self->kind = self->message = NULL;
    self->evidence = NULL; self->evidence_count = 0;
    self->metrics = NULL; self->metric_count = 0;
    self->remedy = NULL;
    self->alert = NULL;
    self->issues = NULL; self->issue_count = 0;
    self->checks = NULL; self->check_count = 0;
    self->fingerprint = self->model = self->summary = self->root_cause = NULL;
    self->operator_checks = NULL; self->operator_check_count = 0;
    self->related = NULL; self->related_count = 0;
    self->confidence = self->error = self->event = self->version = NULL;

    int rc = 0;
    rc |= s_dup_opt (&self->host, src->host);
    rc |= s_dup_opt (&self->source, src->source);
    rc |= s_dup_opt (&self->check, src->check);
    rc |= s_dup_opt (&self->kind, src->kind);
    rc |= s_dup_opt (&self->message, src->message);
    rc |= s_dup_list (&self->evidence, &self->evidence_count, src->evidence, src->evidence_count);
    if (src->metric_count && src->metrics) {
        self->metrics = (event_metric_t *) calloc (src->metric_count, sizeof (event_metric_t));
        if (!self->metrics)
            rc = -1;
        else
            for (size_t i = 0; i < src->metric_count; i++) {
                rc |= s_dup_opt (&self->metrics [i].name, src->metrics [i].name);
                self->metrics [i].value = src->metrics [i].value;
                self->metric_count = i + 1;
            }
    }
    if (src->remedy) {
        self->remedy = (event_remedy_t *) calloc (1, sizeof (event_remedy_t));
        if (!self->remedy)
            rc = -1;
        else {
            self->remedy->attempt = src->remedy->attempt;
            self->remedy->duration_ms = src->remedy->duration_ms;
            rc |= s_dup_opt (&self->remedy->action, src->remedy->action);
            rc |= s_dup_opt (&self->remedy->result, src->remedy->result);
            rc |= s_dup_opt (&self->remedy->output, src->remedy->output);
        }
    }
    rc |= s_dup_opt (&self->alert, src->alert);
    rc |= s_dup_list (&self->issues, &self->issue_count, src->issues, src->issue_count);
    rc |= s_dup_list (&self->checks, &self->check_count, src->checks, src->check_count);
    rc |= s_dup_opt (&self->fingerprint, src->fingerprint);
    rc |= s_dup_opt (&self->model, src->model);
    rc |= s_dup_opt (&self->summary, src->summary);
    rc |= s_dup_opt (&self->root_cause, src->root_cause);
    rc |= s_dup_list (&self->operator_checks, &self->operator_check_count,
                      src->operator_checks, src->operator_check_count);
    rc |= s_dup_list (&self->related, &self->related_count, src->related, src->related_count);
    rc |= s_dup_opt (&self->confidence, src->confidence);
    rc |= s_dup_opt (&self->error, src->error);
    rc |= s_dup_opt (&self->event, src->event);
    rc |= s_dup_opt (&self->version, src->version);
    if (rc)
        event_destroy (&self);
    return self;
}

int
event_set_string (char **field, const char *value, size_t max)
{
    char *copy = NULL;
    if (value) {
        copy = heal_safe_string (value, strlen (value), max);
        if (!copy)
            return -1;
    }
    free (*field);
    *field = copy;
    return 0;
}

int
event_set_text (char **field, const char *value, size_t max)
{
    char *copy = NULL;
    if (value) {
        copy = heal_safe_text (value, strlen (value), max);
        if (!copy)
            return -1;
    }
    free (*field);
    *field = copy;
    return 0;
}

int
event_list_append (char ***list, size_t *count, const char *value, size_t max)
{
    if (!value || *count >= EVENT_MAX_LIST)
        return 0;
    char *copy = heal_safe_string (value, strlen (value), max);
    if (!copy)
        return -1;
    char **grown = (char **) realloc (*list, (*count + 1) * sizeof (char *));
    if (!grown) {
        free (copy);
        return -1;
    }
    grown [*count] = copy;
    *list = grown;
    (*count)++;
    return 0;
}

int
event_add_evidence (event_t *self, const char *line)
{
    if (!line || self->evidence_count >= EVENT_MAX_EVIDENCE)
        return 0;
    return event_list_append (&self->evidence, &self->evidence_count, line,
                              EVENT_MAX_EVIDENCE_LEN);
}

int
event_add_metric (event_t *self, const char *name, double value)
{
    if (!name || !*name || !isfinite (value))
        return 0;
    char *copy = heal_safe_string (name, strlen (name), EVENT_MAX_SHORT);
    if (!copy)
        return -1;
    //  Metrics is a map on the wire: the same name again replaces the value.
    for (size_t i = 0; i < self->metric_count; i++)
        if (strcmp (self->metrics [i].name, copy) == 0) {
            self->metrics [i].value = value;
            free (copy);
            return 0;
        }
    if (self->metric_count >= EVENT_MAX_METRICS) {
        free (copy);
        return 0;
    }
    event_metric_t *grown = (event_metric_t *) realloc (
        self->metrics, (self->metric_count + 1) * sizeof (event_metric_t));
    if (!grown) {
        free (copy);
        return -1;
    }
    grown [self->metric_count].name = copy;
    grown [self->metric_count].value = value;
    self->metrics = grown;
    self->metric_count++;
    return 0;
}

char *
event_topic (const event_t *self)
{
    char buf [EVENT_MAX_TOPIC + 1];
    if (!self || wire_topic (self, buf, sizeof buf) < 0)
        return NULL;
    return wire_strndup (buf, strlen (buf));
}

//  --------------------------------------------------------------------------
//  Encoder

//  A key is a short constant: write header and body in one call.
static int
s_key (msgpack_packer *pk, const char *key, size_t len)
{
    char b [32];
    b [0] = (char) (0xa0 | len);
    memcpy (b + 1, key, len);
    return pk->callback (pk->data, b, len + 1);
}
#define KEY(k) s_key (pk, k, sizeof (k) - 1)

//  A string bounded to max bytes (cut on a UTF-8 boundary); NULL packs as "".
//  Invalid UTF-8 (from a field set without event_set_string) is made safe on a
//  slow path so the encoder never emits what the decoder would reject.
static int
s_str (msgpack_packer *pk, const char *s, size_t max, bool text)
{
    if (!s)
        s = "";
    size_t len = strnlen (s, max + 1);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char) s [len] & 0xC0) == 0x80)
            len--;
    }
    if (wire_utf8_valid (s, len))
        return msgpack_pack_str_with_body (pk, s, len);
    char *safe = text ? heal_safe_text (s, len, max) : heal_safe_string (s, len, max);
    if (!safe)
        return -1;
    int rc = msgpack_pack_str_with_body (pk, safe, strlen (safe));
    free (safe);
    return rc;
}

static int
s_int (msgpack_packer *pk, int64_t v)
{
    return v < 0 ? msgpack_pack_int64 (pk, 0) : msgpack_pack_uint64 (pk, (uint64_t) v);
}

static int
s_uint (msgpack_packer *pk, uint64_t v)
{
    return msgpack_pack_uint64 (pk, v > INT64_MAX ? (uint64_t) INT64_MAX : v);
}

static int
s_bool (msgpack_packer *pk, bool b)
{
    return b ? msgpack_pack_true (pk) : msgpack_pack_false (pk);
}

static int
s_list (msgpack_packer *pk, char *const *list, size_t count, size_t max_items,
        size_t max, bool names)
{
    if (count > max_items)
        count = max_items;
    if (!list)
        count = 0;
    if (msgpack_pack_array (pk, count))
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (names && (!list [i] || !heal_name_valid (list [i])))
            return -1;
        if (s_str (pk, list [i], max, false))
            return -1;
    }
    return 0;
}

static int
s_metrics (msgpack_packer *pk, const event_t *self)
{
    size_t n = 0;
    bool keep [EVENT_MAX_METRICS];
    size_t count = self->metrics ? self->metric_count : 0;
    if (count > EVENT_MAX_METRICS)
        count = EVENT_MAX_METRICS;
    for (size_t i = 0; i < count; i++) {
        const event_metric_t *m = &self->metrics [i];
        keep [i] = m->name && *m->name && isfinite (m->value);
        for (size_t j = 0; keep [i] && j < i; j++)
            if (keep [j] && strcmp (self->metrics [j].name, m->name) == 0)
                keep [i] = false;
        n += keep [i];
    }
    if (msgpack_pack_map (pk, n))
        return -1;
    for (size_t i = 0; i < count; i++)
        if (keep [i]) {
            if (s_str (pk, self->metrics [i].name, EVENT_MAX_SHORT, false)
            ||  msgpack_pack_double (pk, self->metrics [i].value))
                return -1;
        }
    return 0;
}

static bool
s_remedy_result_valid (const char *result)
{
    for (int i = 0; result && s_remedy_results [i]; i++)
        if (strcmp (s_remedy_results [i], result) == 0)
            return true;
    return false;
}

static int
s_remedy (msgpack_packer *pk, const event_remedy_t *r)
{
    if (!r)
        return msgpack_pack_nil (pk);
    if (!s_remedy_result_valid (r->result))
        return -1;
    if (msgpack_pack_map (pk, 5)
    ||  KEY ("action") || s_str (pk, r->action, EVENT_MAX_SHORT, false)
    ||  KEY ("result") || s_str (pk, r->result, EVENT_MAX_SHORT, false)
    ||  KEY ("attempt") || s_int (pk, r->attempt)
    ||  KEY ("duration_ms") || s_int (pk, r->duration_ms)
    ||  KEY ("output"))
        return -1;
    return r->output ? s_str (pk, r->output, EVENT_MAX_TEXT, true) : msgpack_pack_nil (pk);
}

static int
s_encode (const event_t *self, msgpack_packer *pk)
{
    if (!self || (int) self->type < 0 || self->type >= EVENT_TYPE_COUNT)
        return -1;
    //  Strings the decoder requires non-empty: missing = not encodable.
    if (!self->host || !*self->host || !self->source || !*self->source)
        return -1;
    size_t fields = 6;
    switch (self->type) {
        case EVENT_CHECK:
            fields += 13;
            break;
        case EVENT_ALERT:
            fields += 13 + (self->metric_count > 0);
            break;
        case EVENT_CYCLE:
            fields += 5;
            break;
        case EVENT_DIAGNOSIS:
            fields += 9 + (self->error != NULL) + (self->related_count > 0)
                        + (self->confidence != NULL);
            break;
        case EVENT_AGENT:
            fields += 3 + (self->message != NULL);
            break;
        default:
            return -1;
    }
    if (msgpack_pack_map (pk, fields)
    ||  KEY ("v") || msgpack_pack_int64 (pk, EVENT_VERSION)
    ||  KEY ("type") || s_str (pk, s_type_names [self->type], EVENT_MAX_SHORT, false)
    ||  KEY ("seq") || s_uint (pk, self->seq)
    ||  KEY ("ts") || s_int (pk, self->ts)
    ||  KEY ("host") || s_str (pk, self->host, EVENT_MAX_SHORT, false)
    ||  KEY ("source") || s_str (pk, self->source, EVENT_MAX_SHORT, false))
        return -1;

    if (self->type == EVENT_CHECK || self->type == EVENT_ALERT) {
        if (!self->check || !heal_name_valid (self->check) || !severity_name (self->severity)
        ||  !self->kind || !*self->kind)
            return -1;
        if (KEY ("cycle") || s_uint (pk, self->cycle)
        ||  KEY ("check") || s_str (pk, self->check, EVENT_MAX_NAME, false)
        ||  KEY ("kind") || s_str (pk, self->kind, EVENT_MAX_SHORT, false)
        ||  KEY ("critical") || s_bool (pk, self->critical)
        ||  KEY ("severity") || s_str (pk, s_severity_names [self->severity], EVENT_MAX_SHORT, false)
        ||  KEY ("message") || s_str (pk, self->message, EVENT_MAX_MESSAGE, false)
        ||  KEY ("duration_ms") || s_int (pk, self->duration_ms)
        ||  KEY ("streak") || s_int (pk, self->streak)
        ||  KEY ("since") || s_int (pk, self->since)
        ||  KEY ("changed") || s_bool (pk, self->changed)
        ||  KEY ("evidence")
        ||  s_list (pk, self->evidence, self->evidence_count, EVENT_MAX_EVIDENCE,
                    EVENT_MAX_EVIDENCE_LEN, false)
        ||  KEY ("remedy") || s_remedy (pk, self->remedy))
            return -1;
        if (self->type == EVENT_CHECK || self->metric_count > 0)
            if (KEY ("metrics") || s_metrics (pk, self))
                return -1;
        if (self->type == EVENT_ALERT) {
            if (!self->alert || !*self->alert)
                return -1;
            if (KEY ("alert") || s_str (pk, self->alert, EVENT_MAX_SHORT, false))
                return -1;
        }
    }
    else
    if (self->type == EVENT_CYCLE) {
        if (KEY ("cycle") || s_uint (pk, self->cycle)
        ||  KEY ("counts") || msgpack_pack_map (pk, SEVERITY_COUNT))
            return -1;
        for (int s = 0; s < SEVERITY_COUNT; s++)
            if (s_str (pk, s_severity_names [s], EVENT_MAX_SHORT, false)
            ||  s_int (pk, self->counts [s]))
                return -1;
        if (KEY ("degraded") || s_bool (pk, self->degraded)
        ||  KEY ("issues")
        ||  s_list (pk, self->issues, self->issue_count, EVENT_MAX_LIST, EVENT_MAX_NAME, true)
        ||  KEY ("duration_ms") || s_int (pk, self->duration_ms))
            return -1;
    }
    else
    if (self->type == EVENT_DIAGNOSIS) {
        if (KEY ("cycle") || s_uint (pk, self->cycle)
        ||  KEY ("checks")
        ||  s_list (pk, self->checks, self->check_count, EVENT_MAX_LIST, EVENT_MAX_NAME, true)
        ||  KEY ("fingerprint") || s_str (pk, self->fingerprint, EVENT_MAX_SHORT, false)
        ||  KEY ("model") || s_str (pk, self->model, EVENT_MAX_SHORT, false)
        ||  KEY ("summary") || s_str (pk, self->summary, EVENT_MAX_MESSAGE, true)
        ||  KEY ("root_cause") || s_str (pk, self->root_cause, EVENT_MAX_TEXT, true)
        ||  KEY ("operator_checks")
        ||  s_list (pk, self->operator_checks, self->operator_check_count, EVENT_MAX_LIST,
                    EVENT_MAX_MESSAGE, false)
        ||  KEY ("latency_ms") || s_int (pk, self->latency_ms)
        ||  KEY ("cached") || s_bool (pk, self->cached))
            return -1;
        if (self->error)
            if (KEY ("error") || s_str (pk, self->error, EVENT_MAX_TEXT, true))
                return -1;
        if (self->related_count > 0)
            if (KEY ("related")
            ||  s_list (pk, self->related, self->related_count, EVENT_MAX_LIST,
                        EVENT_MAX_SHORT, false))
                return -1;
        if (self->confidence)
            if (KEY ("confidence") || s_str (pk, self->confidence, EVENT_MAX_SHORT, false))
                return -1;
    }
    else {
        if (!self->event || !*self->event)
            return -1;
        if (KEY ("event") || s_str (pk, self->event, EVENT_MAX_SHORT, false)
        ||  KEY ("version") || s_str (pk, self->version, EVENT_MAX_SHORT, false)
        ||  KEY ("pid") || s_int (pk, self->pid))
            return -1;
        if (self->message)
            if (KEY ("message") || s_str (pk, self->message, EVENT_MAX_MESSAGE, false))
                return -1;
    }
    return 0;
}

int
event_encode (const event_t *self, msgpack_sbuffer *buf)
{
    if (!buf)
        return -1;
    msgpack_sbuffer_clear (buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    if (s_encode (self, &pk) || buf->size > EVENT_MAX_FRAME) {
        msgpack_sbuffer_clear (buf);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Decoder

#define T_CHECK (1u << EVENT_CHECK)
#define T_ALERT (1u << EVENT_ALERT)
#define T_CYCLE (1u << EVENT_CYCLE)
#define T_DIAG  (1u << EVENT_DIAGNOSIS)
#define T_AGENT (1u << EVENT_AGENT)
#define T_ALL   (T_CHECK | T_ALERT | T_CYCLE | T_DIAG | T_AGENT)

typedef enum {
    F_VERSION,      //  v
    F_TYPE,         //  type
    F_INT,          //  int64_t, 0..INT64_MAX
    F_UINT,         //  uint64_t, 0..INT64_MAX
    F_BOOL,
    F_STR,          //  string of at most max bytes
    F_OPTSTR,       //  string or nil
    F_NAME,         //  check name
    F_SEVERITY,
    F_LIST,         //  array of strings
    F_NAMES,        //  array of check names
    F_EVIDENCE,
    F_METRICS,
    F_REMEDY,
    F_COUNTS
} field_kind_t;

typedef struct {
    const char *name;
    size_t len;             //  strlen (name)
    field_kind_t kind;
    size_t offset;          //  of the field in event_t
    size_t count_offset;    //  of the item count, for lists
    size_t max;             //  bytes per string
    unsigned required;      //  types that must carry it
    unsigned allowed;       //  types that may carry it (others ignore it)
    bool nonempty;          //  strings: "" is rejected
} field_t;

#define OFF(f) offsetof (event_t, f)
#define FN(s) s, sizeof (s) - 1
#define NO 0

//  Sorted by name (kept so for readers; test_event checks the order).
static const field_t s_fields [] = {
    { FN ("alert"), F_STR, OFF (alert), NO, EVENT_MAX_SHORT, T_ALERT, T_ALERT, true },
    { FN ("cached"), F_BOOL, OFF (cached), NO, 0, T_DIAG, T_DIAG, false },
    { FN ("changed"), F_BOOL, OFF (changed), NO, 0, T_CHECK, T_CHECK | T_ALERT, false },
    { FN ("check"), F_NAME, OFF (check), NO, EVENT_MAX_NAME, T_CHECK | T_ALERT, T_CHECK | T_ALERT, true },
    { FN ("checks"), F_NAMES, OFF (checks), OFF (check_count), EVENT_MAX_NAME, T_DIAG, T_DIAG, true },
    { FN ("confidence"), F_OPTSTR, OFF (confidence), NO, EVENT_MAX_SHORT, 0, T_DIAG, false },
    { FN ("counts"), F_COUNTS, OFF (counts), NO, 0, T_CYCLE, T_CYCLE, false },
    { FN ("critical"), F_BOOL, OFF (critical), NO, 0, T_CHECK | T_ALERT, T_CHECK | T_ALERT, false },
    { FN ("cycle"), F_UINT, OFF (cycle), NO, 0, T_CHECK | T_ALERT | T_CYCLE | T_DIAG,
      T_CHECK | T_ALERT | T_CYCLE | T_DIAG, false },
    { FN ("degraded"), F_BOOL, OFF (degraded), NO, 0, T_CYCLE, T_CYCLE, false },
    { FN ("duration_ms"), F_INT, OFF (duration_ms), NO, 0, T_CHECK | T_CYCLE,
      T_CHECK | T_ALERT | T_CYCLE, false },
    { FN ("error"), F_OPTSTR, OFF (error), NO, EVENT_MAX_TEXT, 0, T_DIAG, false },
    { FN ("event"), F_STR, OFF (event), NO, EVENT_MAX_SHORT, T_AGENT, T_AGENT, true },
    { FN ("evidence"), F_EVIDENCE, OFF (evidence), OFF (evidence_count), EVENT_MAX_EVIDENCE_LEN,
      T_CHECK, T_CHECK | T_ALERT, false },
    { FN ("fingerprint"), F_STR, OFF (fingerprint), NO, EVENT_MAX_SHORT, T_DIAG, T_DIAG, false },
    { FN ("host"), F_STR, OFF (host), NO, EVENT_MAX_SHORT, T_ALL, T_ALL, true },
    { FN ("issues"), F_NAMES, OFF (issues), OFF (issue_count), EVENT_MAX_NAME, T_CYCLE, T_CYCLE, true },
    { FN ("kind"), F_STR, OFF (kind), NO, EVENT_MAX_SHORT, T_CHECK | T_ALERT, T_CHECK | T_ALERT, true },
    { FN ("latency_ms"), F_INT, OFF (latency_ms), NO, 0, T_DIAG, T_DIAG, false },
    { FN ("message"), F_STR, OFF (message), NO, EVENT_MAX_MESSAGE, T_CHECK | T_ALERT,
      T_CHECK | T_ALERT | T_AGENT, false },
    { FN ("metrics"), F_METRICS, OFF (metrics), OFF (metric_count), EVENT_MAX_SHORT,
      T_CHECK, T_CHECK | T_ALERT, false },
    { FN ("model"), F_STR, OFF (model), NO, EVENT_MAX_SHORT, T_DIAG, T_DIAG, false },
    { FN ("operator_checks"), F_LIST, OFF (operator_checks), OFF (operator_check_count),
      EVENT_MAX_MESSAGE, T_DIAG, T_DIAG, false },
    { FN ("pid"), F_INT, OFF (pid), NO, 0, T_AGENT, T_AGENT, false },
    { FN ("related"), F_LIST, OFF (related), OFF (related_count), EVENT_MAX_SHORT, 0, T_DIAG, false },
    { FN ("remedy"), F_REMEDY, OFF (remedy), NO, 0, T_CHECK, T_CHECK | T_ALERT, false },
    { FN ("root_cause"), F_STR, OFF (root_cause), NO, EVENT_MAX_TEXT, T_DIAG, T_DIAG, false },
    { FN ("seq"), F_UINT, OFF (seq), NO, 0, T_ALL, T_ALL, false },
    { FN ("severity"), F_SEVERITY, OFF (severity), NO, 0, T_CHECK | T_ALERT, T_CHECK | T_ALERT, false },
    { FN ("since"), F_INT, OFF (since), NO, 0, T_CHECK | T_ALERT, T_CHECK | T_ALERT, false },
    { FN ("source"), F_STR, OFF (source), NO, EVENT_MAX_SHORT, T_ALL, T_ALL, true },
    { FN ("streak"), F_INT, OFF (streak), NO, 0, T_CHECK | T_ALERT, T_CHECK | T_ALERT, false },
    { FN ("summary"), F_STR, OFF (summary), NO, EVENT_MAX_MESSAGE, T_DIAG, T_DIAG, false },
    { FN ("ts"), F_INT, OFF (ts), NO, 0, T_ALL, T_ALL, false },
    { FN ("type"), F_TYPE, 0, NO, 0, T_ALL, T_ALL, false },
    { FN ("v"), F_VERSION, 0, NO, 0, T_ALL, T_ALL, false },
    { FN ("version"), F_STR, OFF (version), NO, EVENT_MAX_SHORT, T_AGENT, T_AGENT, false },
};
#define FIELD_COUNT (sizeof s_fields / sizeof s_fields [0])

//  For test_event: is the table sorted (binary search depends on it)?
bool event_fields_sorted (void);
bool
event_fields_sorted (void)
{
    for (size_t i = 1; i < FIELD_COUNT; i++)
        if (strcmp (s_fields [i - 1].name, s_fields [i].name) >= 0
        ||  strlen (s_fields [i].name) != s_fields [i].len)
            return false;
    return FIELD_COUNT <= 64;
}

//  Field lookup: open-addressing hash of the key's length and its first and
//  last bytes, built once. A miss costs one or two probes.
#define FIELD_HASH_SIZE 128
static int8_t s_field_hash [FIELD_HASH_SIZE];
static pthread_once_t s_field_hash_once = PTHREAD_ONCE_INIT;

static unsigned
s_hash (const char *key, size_t len)
{
    return ((unsigned) len * 31u + (unsigned char) key [0] * 7u
            + (unsigned char) key [len - 1]) & (FIELD_HASH_SIZE - 1);
}

static void
s_field_hash_init (void)
{
    memset (s_field_hash, -1, sizeof s_field_hash);
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        unsigned h = s_hash (s_fields [i].name, s_fields [i].len);
        while (s_field_hash [h] >= 0)
            h = (h + 1) & (FIELD_HASH_SIZE - 1);
        s_field_hash [h] = (int8_t) i;
    }
}

static int
s_field_find (const char *key, size_t len)
{
    if (len == 0 || len > 32)
        return -1;
    pthread_once (&s_field_hash_once, s_field_hash_init);
    unsigned h = s_hash (key, len);
    for (int i; (i = s_field_hash [h]) >= 0; h = (h + 1) & (FIELD_HASH_SIZE - 1))
        if (s_fields [i].len == len && memcmp (s_fields [i].name, key, len) == 0)
            return i;
    return -1;
}

//  Printable excerpt of a key for error messages (keys are validated UTF-8).
#define KEYFMT "%.*s"
#define KEYARG(o) (int) ((o)->via.str.size > 64 ? 64 : (o)->via.str.size), (o)->via.str.ptr

static bool
s_name_valid (const char *s, size_t len)
{
    if (len == 0 || len > EVENT_MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  Anything under a key we do not know: JSON-like values only, UTF-8 strings,
//  string keys. Depth and sizes were bounded by wire_scan.
static int
s_check_any (const msgpack_object *o, const char *key, char *err, size_t errlen)
{
    switch (o->type) {
        case MSGPACK_OBJECT_NIL:
        case MSGPACK_OBJECT_BOOLEAN:
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            return 0;
        case MSGPACK_OBJECT_STR:
            if (!wire_utf8_valid (o->via.str.ptr, o->via.str.size)) {
                wire_err (err, errlen, "field %s: string is not valid UTF-8", key);
                return -1;
            }
            return 0;
        case MSGPACK_OBJECT_ARRAY:
            for (uint32_t i = 0; i < o->via.array.size; i++)
                if (s_check_any (&o->via.array.ptr [i], key, err, errlen))
                    return -1;
            return 0;
        case MSGPACK_OBJECT_MAP:
            for (uint32_t i = 0; i < o->via.map.size; i++) {
                const msgpack_object *k = &o->via.map.ptr [i].key;
                if (k->type != MSGPACK_OBJECT_STR) {
                    wire_err (err, errlen, "field %s: map key is not a string", key);
                    return -1;
                }
                if (s_check_any (k, key, err, errlen)
                ||  s_check_any (&o->via.map.ptr [i].val, key, err, errlen))
                    return -1;
            }
            return 0;
        default:
            wire_err (err, errlen, "field %s: bin and ext values are not allowed", key);
            return -1;
    }
}

static int
s_get_int (const msgpack_object *o, int64_t *out, const char *name, char *err, size_t errlen)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > INT64_MAX) {
            wire_err (err, errlen, "field %s: integer out of range", name);
            return -1;
        }
        *out = (int64_t) o->via.u64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        wire_err (err, errlen, "field %s: must not be negative", name);
    else
        wire_err (err, errlen, "field %s: expected an integer", name);
    return -1;
}

//  Copy a string of at most max bytes out of o. nil is accepted when allow_nil.
static int
s_get_str (const msgpack_object *o, size_t max, bool nonempty, bool allow_nil,
           char **out, const char *name, char *err, size_t errlen)
{
    if (allow_nil && o->type == MSGPACK_OBJECT_NIL) {
        *out = NULL;
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_STR) {
        wire_err (err, errlen, "field %s: expected a string", name);
        return -1;
    }
    size_t len = o->via.str.size;
    if (len > max) {
        wire_err (err, errlen, "field %s: longer than %zu bytes", name, max);
        return -1;
    }
    if (nonempty && len == 0) {
        wire_err (err, errlen, "field %s: must not be empty", name);
        return -1;
    }
    if (!wire_utf8_valid (o->via.str.ptr, len)) {
        wire_err (err, errlen, "field %s: string is not valid UTF-8", name);
        return -1;
    }
    *out = wire_strndup (o->via.str.ptr, len);
    if (!*out) {
        wire_err (err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int
s_get_list (const msgpack_object *o, size_t max_items, size_t max, bool names,
            char ***list, size_t *count, const char *name, char *err, size_t errlen)
{
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        wire_err (err, errlen, "field %s: expected an array", name);
        return -1;
    }
    uint32_t n = o->via.array.size;
    if (n > max_items) {
        wire_err (err, errlen, "field %s: more than %zu items", name, max_items);
        return -1;
    }
    if (n == 0)
        return 0;
    *list = (char **) calloc (n, sizeof (char *));
    if (!*list) {
        wire_err (err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *item = &o->via.array.ptr [i];
        if (names && (item->type != MSGPACK_OBJECT_STR
                      || !s_name_valid (item->via.str.ptr, item->via.str.size))) {
            wire_err (err, errlen, "field %s: item %u is not a valid check name", name, i);
            return -1;
        }
        if (s_get_str (item, max, false, false, &(*list) [i], name, err, errlen))
            return -1;
        *count = i + 1;
    }
    return 0;
}

static int
s_get_metrics (const msgpack_object *o, event_t *self, char *err, size_t errlen)
{
    if (o->type != MSGPACK_OBJECT_MAP) {
        wire_err (err, errlen, "field metrics: expected a map");
        return -1;
    }
    uint32_t n = o->via.map.size;
    if (n > EVENT_MAX_METRICS) {
        wire_err (err, errlen, "field metrics: more than %d items", EVENT_MAX_METRICS);
        return -1;
    }
    if (n == 0)
        return 0;
    self->metrics = (event_metric_t *) calloc (n, sizeof (event_metric_t));
    if (!self->metrics) {
        wire_err (err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &o->via.map.ptr [i].key;
        const msgpack_object *v = &o->via.map.ptr [i].val;
        double value;
        if (v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64)
            value = v->via.f64;
        else
        if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            value = (double) v->via.u64;
        else
        if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            value = (double) v->via.i64;
        else {
            wire_err (err, errlen, "field metrics: value is not a number");
            return -1;
        }
        if (!isfinite (value)) {
            wire_err (err, errlen, "field metrics: value is not finite");
            return -1;
        }
        if (s_get_str (k, EVENT_MAX_SHORT, true, false, &self->metrics [i].name,
                       "metrics (name)", err, errlen))
            return -1;
        self->metrics [i].value = value;
        self->metric_count = i + 1;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp (self->metrics [j].name, self->metrics [i].name) == 0) {
                wire_err (err, errlen, "field metrics: duplicate name");
                return -1;
            }
    }
    return 0;
}

static int
s_get_counts (const msgpack_object *o, event_t *self, char *err, size_t errlen)
{
    if (o->type != MSGPACK_OBJECT_MAP) {
        wire_err (err, errlen, "field counts: expected a map");
        return -1;
    }
    unsigned seen = 0;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr [i].key;
        int s = k->type == MSGPACK_OBJECT_STR
              ? s_name_index (s_severity_names, SEVERITY_COUNT, k->via.str.ptr, k->via.str.size)
              : -1;
        if (s < 0) {
            wire_err (err, errlen, "field counts: key is not a severity");
            return -1;
        }
        if (seen & (1u << s)) {
            wire_err (err, errlen, "field counts: duplicate severity %s", s_severity_names [s]);
            return -1;
        }
        seen |= 1u << s;
        if (s_get_int (&o->via.map.ptr [i].val, &self->counts [s], "counts", err, errlen))
            return -1;
    }
    return 0;
}

static int
s_get_remedy (const msgpack_object *o, event_t *self, char *err, size_t errlen)
{
    if (o->type == MSGPACK_OBJECT_NIL)
        return 0;
    if (o->type != MSGPACK_OBJECT_MAP) {
        wire_err (err, errlen, "field remedy: expected a map or nil");
        return -1;
    }
    event_remedy_t *r = (event_remedy_t *) calloc (1, sizeof (event_remedy_t));
    if (!r) {
        wire_err (err, errlen, "out of memory");
        return -1;
    }
    self->remedy = r;
    static const char *keys [] = { "action", "result", "attempt", "duration_ms", "output" };
    unsigned seen = 0;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr [i].key;
        const msgpack_object *v = &o->via.map.ptr [i].val;
        if (k->type != MSGPACK_OBJECT_STR || !wire_utf8_valid (k->via.str.ptr, k->via.str.size)) {
            wire_err (err, errlen, "field remedy: key is not a UTF-8 string");
            return -1;
        }
        int which = s_name_index (keys, 5, k->via.str.ptr, k->via.str.size);
        if (which < 0) {
            if (s_check_any (v, "remedy", err, errlen))
                return -1;
            continue;
        }
        if (seen & (1u << which)) {
            wire_err (err, errlen, "field remedy: duplicate key %s", keys [which]);
            return -1;
        }
        seen |= 1u << which;
        int rc = 0;
        switch (which) {
            case 0:
                rc = s_get_str (v, EVENT_MAX_SHORT, true, false, &r->action,
                                "remedy.action", err, errlen);
                break;
            case 1:
                rc = s_get_str (v, EVENT_MAX_SHORT, true, false, &r->result,
                                "remedy.result", err, errlen);
                if (rc == 0 && !s_remedy_result_valid (r->result)) {
                    wire_err (err, errlen, "field remedy.result: not one of healed, failed, "
                              "skipped, throttled, gave_up");
                    rc = -1;
                }
                break;
            case 2:
                rc = s_get_int (v, &r->attempt, "remedy.attempt", err, errlen);
                break;
            case 3:
                rc = s_get_int (v, &r->duration_ms, "remedy.duration_ms", err, errlen);
                break;
            default:
                rc = s_get_str (v, EVENT_MAX_TEXT, false, true, &r->output,
                                "remedy.output", err, errlen);
                break;
        }
        if (rc)
            return -1;
    }
    for (int i = 0; i < 4; i++)
        if (!(seen & (1u << i))) {
            wire_err (err, errlen, "field remedy: missing %s", keys [i]);
            return -1;
        }
    return 0;
}

static int
s_get_field (const field_t *f, const msgpack_object *v, event_t *self, char *err, size_t errlen)
{
    char *base = (char *) self;
    switch (f->kind) {
        case F_VERSION:
        case F_TYPE:
            return 0;           //  read before the loop
        case F_INT:
            return s_get_int (v, (int64_t *) (void *) (base + f->offset), f->name, err, errlen);
        case F_UINT: {
            int64_t value;
            if (s_get_int (v, &value, f->name, err, errlen))
                return -1;
            *(uint64_t *) (void *) (base + f->offset) = (uint64_t) value;
            return 0;
        }
        case F_BOOL:
            if (v->type != MSGPACK_OBJECT_BOOLEAN) {
                wire_err (err, errlen, "field %s: expected a boolean", f->name);
                return -1;
            }
            *(bool *) (void *) (base + f->offset) = v->via.boolean;
            return 0;
        case F_STR:
        case F_OPTSTR:
            return s_get_str (v, f->max, f->nonempty, f->kind == F_OPTSTR,
                              (char **) (void *) (base + f->offset), f->name, err, errlen);
        case F_NAME:
            if (v->type != MSGPACK_OBJECT_STR || !s_name_valid (v->via.str.ptr, v->via.str.size)) {
                wire_err (err, errlen, "field %s: not a valid check name", f->name);
                return -1;
            }
            return s_get_str (v, f->max, true, false, (char **) (void *) (base + f->offset),
                              f->name, err, errlen);
        case F_SEVERITY: {
            int s = v->type == MSGPACK_OBJECT_STR
                  ? s_name_index (s_severity_names, SEVERITY_COUNT, v->via.str.ptr, v->via.str.size)
                  : -1;
            if (s < 0) {
                wire_err (err, errlen, "field severity: not one of ok, healed, warning, "
                          "critical, unknown");
                return -1;
            }
            self->severity = (severity_t) s;
            return 0;
        }
        case F_LIST:
        case F_NAMES:
        case F_EVIDENCE:
            return s_get_list (v, f->kind == F_EVIDENCE ? EVENT_MAX_EVIDENCE : EVENT_MAX_LIST,
                               f->max, f->kind == F_NAMES,
                               (char ***) (void *) (base + f->offset),
                               (size_t *) (void *) (base + f->count_offset),
                               f->name, err, errlen);
        case F_METRICS:
            return s_get_metrics (v, self, err, errlen);
        case F_REMEDY:
            return s_get_remedy (v, self, err, errlen);
        case F_COUNTS:
            return s_get_counts (v, self, err, errlen);
    }
    return -1;
}

//  Validate a complete map payload into a new event.
static event_t *
s_decode_object (const msgpack_object *root, char *err, size_t errlen)
{
    if (root->type != MSGPACK_OBJECT_MAP) {
        wire_err (err, errlen, "payload is not a map");
        return NULL;
    }
    const msgpack_object_kv *kv = root->via.map.ptr;
    uint32_t n = root->via.map.size;

    //  First pass: every key a UTF-8 string; find v and type.
    const msgpack_object *v = NULL, *type = NULL;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &kv [i].key;
        if (k->type != MSGPACK_OBJECT_STR) {
            wire_err (err, errlen, "map key is not a string");
            return NULL;
        }
        if (k->via.str.size > EVENT_MAX_SHORT
        ||  !wire_utf8_valid (k->via.str.ptr, k->via.str.size)) {
            wire_err (err, errlen, "map key is too long or not valid UTF-8");
            return NULL;
        }
        if (k->via.str.size == 1 && k->via.str.ptr [0] == 'v')
            v = &kv [i].val;
        else
        if (k->via.str.size == 4 && memcmp (k->via.str.ptr, "type", 4) == 0)
            type = &kv [i].val;
    }
    if (!v) {
        wire_err (err, errlen, "missing field v");
        return NULL;
    }
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (v->via.u64 != EVENT_VERSION) {
            wire_err (err, errlen, "unsupported schema version %llu",
                      (unsigned long long) v->via.u64);
            return NULL;
        }
    }
    else
    if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        wire_err (err, errlen, "unsupported schema version %lld", (long long) v->via.i64);
        return NULL;
    }
    else {
        wire_err (err, errlen, "field v: expected an integer");
        return NULL;
    }
    if (!type) {
        wire_err (err, errlen, "missing field type");
        return NULL;
    }
    int t = type->type == MSGPACK_OBJECT_STR
          ? s_name_index (s_type_names, EVENT_TYPE_COUNT, type->via.str.ptr, type->via.str.size)
          : -1;
    if (t < 0) {
        wire_err (err, errlen, "field type: not one of check, alert, cycle, diagnosis, agent");
        return NULL;
    }
    unsigned tbit = 1u << t;
    event_t *self = event_new ((event_type_t) t);
    if (!self) {
        wire_err (err, errlen, "out of memory");
        return NULL;
    }
    uint64_t seen = 0;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &kv [i].key;
        int fi = s_field_find (k->via.str.ptr, k->via.str.size);
        if (fi < 0 || !(s_fields [fi].allowed & tbit)) {
            //  Not ours (a newer minor revision, or another type's field):
            //  ignored, but still validated.
            char name [80];
            snprintf (name, sizeof name, KEYFMT, KEYARG (k));
            if (s_check_any (&kv [i].val, name, err, errlen))
                goto fail;
            continue;
        }
        if (seen & (1ull << fi)) {
            wire_err (err, errlen, "duplicate key %s", s_fields [fi].name);
            goto fail;
        }
        seen |= 1ull << fi;
        if (s_get_field (&s_fields [fi], &kv [i].val, self, err, errlen))
            goto fail;
    }
    for (size_t fi = 0; fi < FIELD_COUNT; fi++)
        if ((s_fields [fi].required & tbit) && !(seen & (1ull << fi))) {
            wire_err (err, errlen, "missing field %s", s_fields [fi].name);
            goto fail;
        }
    return self;
fail:
    event_destroy (&self);
    return NULL;
}

event_t *
event_decode (const void *data, size_t size, char *err, size_t errlen)
{
    wire_err (err, errlen, "ok");
    if (!data || size == 0) {
        wire_err (err, errlen, "empty frame");
        return NULL;
    }
    if (size > EVENT_MAX_FRAME) {
        wire_err (err, errlen, "frame of %zu bytes is larger than %d", size, EVENT_MAX_FRAME);
        return NULL;
    }
    const unsigned char first = *(const unsigned char *) data;
    if (!((first >= 0x80 && first <= 0x8f) || first == 0xde || first == 0xdf)) {
        wire_err (err, errlen, "payload is not a map");
        return NULL;
    }
    if (wire_scan (data, size, EVENT_MAX_DEPTH, err, errlen))
        return NULL;

    msgpack_zone *zone = wire_zone ();
    if (!zone) {
        wire_err (err, errlen, "out of memory");
        return NULL;
    }
    msgpack_object root;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack ((const char *) data, size, &off, zone, &root);
    event_t *self = NULL;
    if (rc == MSGPACK_UNPACK_SUCCESS && off == size)
        self = s_decode_object (&root, err, errlen);
    else
    if (rc == MSGPACK_UNPACK_NOMEM_ERROR)
        wire_err (err, errlen, "out of memory");
    else
    if (rc == MSGPACK_UNPACK_SUCCESS || rc == MSGPACK_UNPACK_EXTRA_BYTES)
        wire_err (err, errlen, "trailing bytes after the payload");
    else
        wire_err (err, errlen, "malformed msgpack");
    msgpack_zone_clear (zone);
    return self;
}

event_t *
event_decode_message (const char *topic, size_t topic_size,
                      const void *data, size_t size, char *err, size_t errlen)
{
    if (!topic || topic_size == 0 || topic_size > EVENT_MAX_TOPIC) {
        wire_err (err, errlen, "topic is empty or longer than %d bytes", EVENT_MAX_TOPIC);
        return NULL;
    }
    if (!wire_utf8_valid (topic, topic_size)) {
        wire_err (err, errlen, "topic is not valid UTF-8");
        return NULL;
    }
    if (topic_size < 5 || memcmp (topic, "heal.", 5) != 0) {
        wire_err (err, errlen, "topic does not start with heal.");
        return NULL;
    }
    event_t *self = event_decode (data, size, err, errlen);
    if (!self)
        return NULL;
    char expected [EVENT_MAX_TOPIC + 1];
    int len = wire_topic (self, expected, sizeof expected);
    if (len < 0 || (size_t) len != topic_size || memcmp (expected, topic, topic_size) != 0) {
        wire_err (err, errlen, "topic %.*s does not match the payload (%s)",
                  (int) (topic_size > 80 ? 80 : topic_size), topic,
                  len < 0 ? "no topic" : expected);
        event_destroy (&self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  JSON

static json_t *
s_json_str (const char *s)
{
    return s ? json_string (s) : json_null ();
}

static json_t *
s_json_list (char *const *list, size_t count)
{
    json_t *array = json_array ();
    for (size_t i = 0; array && list && i < count; i++)
        json_array_append_new (array, json_string (list [i] ? list [i] : ""));
    return array;
}

#define SET(k, v) json_object_set_new (o, k, v)

json_t *
event_to_json (const event_t *self)
{
    if (!self || (int) self->type < 0 || self->type >= EVENT_TYPE_COUNT)
        return NULL;
    json_t *o = json_object ();
    if (!o)
        return NULL;
    SET ("v", json_integer (self->v));
    SET ("type", json_string (s_type_names [self->type]));
    SET ("seq", json_integer ((json_int_t) self->seq));
    SET ("ts", json_integer (self->ts));
    SET ("host", s_json_str (self->host ? self->host : ""));
    SET ("source", s_json_str (self->source ? self->source : ""));
    if (self->type != EVENT_AGENT)
        SET ("cycle", json_integer ((json_int_t) self->cycle));
    if (self->type == EVENT_CHECK || self->type == EVENT_ALERT) {
        SET ("check", s_json_str (self->check));
        SET ("kind", s_json_str (self->kind ? self->kind : ""));
        SET ("critical", json_boolean (self->critical));
        SET ("severity", json_string (severity_name (self->severity) ? severity_name (self->severity) : "unknown"));
        SET ("message", s_json_str (self->message ? self->message : ""));
        SET ("duration_ms", json_integer (self->duration_ms));
        SET ("streak", json_integer (self->streak));
        SET ("since", json_integer (self->since));
        SET ("changed", json_boolean (self->changed));
        SET ("evidence", s_json_list (self->evidence, self->evidence_count));
        json_t *metrics = json_object ();
        for (size_t i = 0; metrics && self->metrics && i < self->metric_count; i++)
            if (self->metrics [i].name && isfinite (self->metrics [i].value))
                json_object_set_new (metrics, self->metrics [i].name,
                                     json_real (self->metrics [i].value));
        SET ("metrics", metrics);
        if (self->remedy) {
            json_t *r = json_object ();
            if (r) {
                json_object_set_new (r, "action", s_json_str (self->remedy->action));
                json_object_set_new (r, "result", s_json_str (self->remedy->result));
                json_object_set_new (r, "attempt", json_integer (self->remedy->attempt));
                json_object_set_new (r, "duration_ms", json_integer (self->remedy->duration_ms));
                json_object_set_new (r, "output", s_json_str (self->remedy->output));
            }
            SET ("remedy", r);
        }
        else
            SET ("remedy", json_null ());
        if (self->type == EVENT_ALERT)
            SET ("alert", s_json_str (self->alert));
    }
    else
    if (self->type == EVENT_CYCLE) {
        json_t *counts = json_object ();
        for (int s = 0; counts && s < SEVERITY_COUNT; s++)
            json_object_set_new (counts, s_severity_names [s], json_integer (self->counts [s]));
        SET ("counts", counts);
        SET ("degraded", json_boolean (self->degraded));
        SET ("issues", s_json_list (self->issues, self->issue_count));
        SET ("duration_ms", json_integer (self->duration_ms));
    }
    else
    if (self->type == EVENT_DIAGNOSIS) {
        SET ("checks", s_json_list (self->checks, self->check_count));
        SET ("fingerprint", s_json_str (self->fingerprint ? self->fingerprint : ""));
        SET ("model", s_json_str (self->model ? self->model : ""));
        SET ("summary", s_json_str (self->summary ? self->summary : ""));
        SET ("root_cause", s_json_str (self->root_cause ? self->root_cause : ""));
        SET ("operator_checks", s_json_list (self->operator_checks, self->operator_check_count));
        SET ("latency_ms", json_integer (self->latency_ms));
        SET ("cached", json_boolean (self->cached));
        if (self->error)
            SET ("error", json_string (self->error));
        if (self->related_count)
            SET ("related", s_json_list (self->related, self->related_count));
        if (self->confidence)
            SET ("confidence", json_string (self->confidence));
    }
    else {
        SET ("event", s_json_str (self->event));
        SET ("version", s_json_str (self->version ? self->version : ""));
        SET ("pid", json_integer (self->pid));
        if (self->message)
            SET ("message", json_string (self->message));
    }
    return o;
}
