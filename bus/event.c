//  event — the bus message model: names, construction, copies, JSON.
//
//  The msgpack codec is event_encode.c and event_decode.c. The wire format is
//  documented field by field in schemas/bus.md and, as a JSON Schema, in
//  schemas/bus.schema.json; keep the codec and both in step.

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

//  A name and its length (the decoder matches names of known length).
typedef struct {
    const char *text;
    size_t len;
} name_t;
#define NAME(s) { s, sizeof (s) - 1 }

static const name_t s_type_names [EVENT_TYPE_COUNT] = {
    NAME ("check"), NAME ("alert"), NAME ("cycle"), NAME ("diagnosis"), NAME ("agent")
};

static const name_t s_severity_names [SEVERITY_COUNT] = {
    NAME ("ok"), NAME ("healed"), NAME ("warning"), NAME ("critical"), NAME ("unknown"),
    NAME ("blocked")
};

static const name_t s_remedy_results [] = {
    NAME ("healed"), NAME ("failed"), NAME ("skipped"), NAME ("throttled"), NAME ("gave_up")
};
#define REMEDY_RESULT_COUNT ((int) (sizeof s_remedy_results / sizeof s_remedy_results [0]))

const char *
event_type_name (event_type_t type)
{
    if ((int) type < 0 || type >= EVENT_TYPE_COUNT)
        return NULL;
    return s_type_names [type].text;
}

//  Index of the name of len bytes among count names, or -1.
static int
s_name_index (const name_t *names, int count, const char *name, size_t len)
{
    for (int i = 0; i < count; i++)
        if (names [i].len == len && memcmp (names [i].text, name, len) == 0)
            return i;
    return -1;
}

int
wire_type_index (const char *name, size_t len)
{
    return s_name_index (s_type_names, EVENT_TYPE_COUNT, name, len);
}

int
wire_severity_index (const char *name, size_t len)
{
    return s_name_index (s_severity_names, SEVERITY_COUNT, name, len);
}

bool
wire_remedy_result_valid (const char *result, size_t len)
{
    return result && s_name_index (s_remedy_results, REMEDY_RESULT_COUNT, result, len) >= 0;
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
    return s_severity_names [severity].text;
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
        case SEVERITY_WARNING:
        case SEVERITY_BLOCKED:  return 1;
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
        case SEVERITY_BLOCKED:  return 3;
        case SEVERITY_UNKNOWN:  return 4;
        case SEVERITY_CRITICAL: return 5;
        default:                return 4;
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
    //  A decoded event is one block: its strings, lists, metrics and remedy
    //  point into it and go with it (event_decode.c). It is read-only (see
    //  event.h); a changed copy is an event_dup.
    if (self->block_size) {
        wire_block_free (self);
        *self_p = NULL;
        return;
    }
    free (self->host);
    free (self->source);
    free (self->check);
    free (self->kind);
    free (self->message);
    s_list_free (&self->evidence, &self->evidence_count);
    for (size_t i = 0; self->metrics && i < self->metric_count; i++)
        free (self->metrics [i].name);
    free (self->metrics);
    s_remedy_free (&self->remedy);
    free (self->description);
    free (self->blocked_by);
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
    self->block_size = 0;
    self->host = self->source = self->check = self->kind = self->message = NULL;
    self->evidence = NULL; self->evidence_count = 0;
    self->metrics = NULL; self->metric_count = 0;
    self->remedy = NULL;
    self->description = self->blocked_by = NULL;
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
            self->remedy->verify_ms = src->remedy->verify_ms;
            rc |= s_dup_opt (&self->remedy->action, src->remedy->action);
            rc |= s_dup_opt (&self->remedy->result, src->remedy->result);
            rc |= s_dup_opt (&self->remedy->output, src->remedy->output);
        }
    }
    rc |= s_dup_opt (&self->description, src->description);
    rc |= s_dup_opt (&self->blocked_by, src->blocked_by);
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
    SET ("type", json_string (s_type_names [self->type].text));
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
                if (self->remedy->verify_ms >= 0)
                    json_object_set_new (r, "verify_ms", json_integer (self->remedy->verify_ms));
            }
            SET ("remedy", r);
        }
        else
            SET ("remedy", json_null ());
        if (self->description)
            SET ("description", s_json_str (self->description));
        if (self->blocked_by)
            SET ("blocked_by", s_json_str (self->blocked_by));
        if (self->type == EVENT_ALERT)
            SET ("alert", s_json_str (self->alert));
    }
    else
    if (self->type == EVENT_CYCLE) {
        json_t *counts = json_object ();
        for (int s = 0; counts && s < SEVERITY_COUNT; s++)
            json_object_set_new (counts, s_severity_names [s].text, json_integer (self->counts [s]));
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
        if (self->resolved > 0)
            SET ("resolved", json_integer (self->resolved));
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
