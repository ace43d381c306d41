//  event_values — the decoder's compound values: lists of strings, metrics,
//  cycle counts and the remedy map (wire_read.h). Each is read in the frame
//  like every other value (event_decode.c); strings are borrowed from the
//  event's copy of it, lists and maps take room from the block's tail.

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "heal/util.h"
#include "heal/event.h"
#include "wire.h"
#include "wire_read.h"

int
wire_list (wire_reader_t *r, wire_tok_kind_t kind, size_t n, size_t max_items, size_t max,
           bool names, char ***list, size_t *count, const char *name)
{
    if (kind != WIRE_TOK_ARRAY) {
        wire_err (r->err, r->errlen, "field %s: expected an array", name);
        return -1;
    }
    if (n > max_items) {
        wire_err (r->err, r->errlen, "field %s: more than %zu items", name, max_items);
        return -1;
    }
    if (n == 0)
        return 0;
    char **items = (char **) wire_alloc (r, n * sizeof (char *));
    if (!items)
        return -1;
    for (size_t i = 0; i < n; i++) {
        wire_tok_t item = { .kind = WIRE_TOK_NIL };
        if (wire_read (r, &item, 2))
            return -1;
        if (names && (item.kind != WIRE_TOK_STR || !heal_name_valid_n (item.str, item.n))) {
            wire_err (r->err, r->errlen, "field %s: item %zu is not a valid check name",
                      name, i);
            return -1;
        }
        if (wire_str (r, &item, max, false, false, &items [i], name))
            return -1;
    }
    *list = items;
    *count = n;
    return 0;
}

int
wire_metrics (wire_reader_t *r, wire_tok_kind_t kind, size_t n, event_t *self)
{
    if (kind != WIRE_TOK_MAP) {
        wire_err (r->err, r->errlen, "field metrics: expected a map");
        return -1;
    }
    if (n > EVENT_MAX_METRICS) {
        wire_err (r->err, r->errlen, "field metrics: more than %d items", EVENT_MAX_METRICS);
        return -1;
    }
    if (n == 0)
        return 0;
    event_metric_t *metrics = (event_metric_t *) wire_alloc (r, n * sizeof (event_metric_t));
    if (!metrics)
        return -1;
    const char *names [EVENT_MAX_METRICS];  //  in the frame, for the duplicate test
    size_t lens [EVENT_MAX_METRICS];
    for (size_t i = 0; i < n; i++) {
        wire_tok_t k = { .kind = WIRE_TOK_NIL }, v = { .kind = WIRE_TOK_NIL };
        if (wire_read (r, &k, 2) || wire_read (r, &v, 2))
            return -1;
        double value;
        if (v.kind == WIRE_TOK_FLOAT)
            value = v.f;
        else
        if (v.kind == WIRE_TOK_UINT)
            value = (double) v.u;
        else
        if (v.kind == WIRE_TOK_NINT)
            value = (double) v.i;
        else {
            wire_err (r->err, r->errlen, "field metrics: value is not a number");
            return -1;
        }
        if (!isfinite (value)) {
            wire_err (r->err, r->errlen, "field metrics: value is not finite");
            return -1;
        }
        if (wire_str (r, &k, EVENT_MAX_SHORT, true, false, &metrics [i].name, "metrics (name)"))
            return -1;
        metrics [i].value = value;
        names [i] = k.str;
        lens [i] = k.n;
        for (size_t j = 0; j < i; j++)
            if (lens [j] == k.n && memcmp (names [j], k.str, k.n) == 0) {
                wire_err (r->err, r->errlen, "field metrics: duplicate name");
                return -1;
            }
    }
    self->metrics = metrics;
    self->metric_count = n;
    return 0;
}

int
wire_counts (wire_reader_t *r, wire_tok_kind_t kind, size_t n, event_t *self)
{
    if (kind != WIRE_TOK_MAP) {
        wire_err (r->err, r->errlen, "field counts: expected a map");
        return -1;
    }
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        wire_tok_t k = { .kind = WIRE_TOK_NIL }, v = { .kind = WIRE_TOK_NIL };
        if (wire_read (r, &k, 2))
            return -1;
        int s = k.kind == WIRE_TOK_STR ? wire_severity_index (k.str, k.n) : -1;
        if (s < 0) {
            wire_err (r->err, r->errlen, "field counts: key is not a severity");
            return -1;
        }
        if (seen & (1u << s)) {
            wire_err (r->err, r->errlen, "field counts: duplicate severity %s",
                      severity_name ((severity_t) s));
            return -1;
        }
        seen |= 1u << s;
        if (wire_read (r, &v, 2) || wire_int (r, &v, &self->counts [s], "counts"))
            return -1;
    }
    return 0;
}

//  Index of a remedy key in s_remedy's keys [], or -1. By length, then a
//  compare of constant size (inlined: this runs for every key of every remedy).
static int
s_remedy_key (const char *k, size_t n)
{
    switch (n) {
        case 6:
            return memcmp (k, "action", 6) == 0 ? 0
                 : memcmp (k, "result", 6) == 0 ? 1
                 : memcmp (k, "output", 6) == 0 ? 4 : -1;
        case 7:
            return memcmp (k, "attempt", 7) == 0 ? 2 : -1;
        case 9:
            return memcmp (k, "verify_ms", 9) == 0 ? 5 : -1;
        case 11:
            return memcmp (k, "duration_ms", 11) == 0 ? 3 : -1;
        default:
            return -1;
    }
}

int
wire_remedy (wire_reader_t *r, wire_tok_kind_t kind, size_t n, event_t *self)
{
    if (kind == WIRE_TOK_NIL)
        return 0;
    if (kind != WIRE_TOK_MAP) {
        wire_err (r->err, r->errlen, "field remedy: expected a map or nil");
        return -1;
    }
    event_remedy_t *rem = (event_remedy_t *) wire_alloc (r, sizeof (event_remedy_t));
    if (!rem)
        return -1;
    memset (rem, 0, sizeof *rem);
    rem->verify_ms = -1;                //  optional: none ran
    static const char *keys [] = { "action", "result", "attempt", "duration_ms", "output",
                                   "verify_ms" };
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        wire_tok_t k = { .kind = WIRE_TOK_NIL }, v = { .kind = WIRE_TOK_NIL };
        if (wire_read (r, &k, 2))
            return -1;
        //  One of ours is ASCII: only another key needs the UTF-8 check.
        int which = k.kind == WIRE_TOK_STR ? s_remedy_key (k.str, k.n) : -1;
        if (which < 0 && (k.kind != WIRE_TOK_STR || !wire_tok_utf8 (r, &k))) {
            wire_err (r->err, r->errlen, "field remedy: key is not a UTF-8 string");
            return -1;
        }
        if (which < 0) {
            if (wire_skip (r, 2, "remedy", 6))
                return -1;
            continue;
        }
        if (seen & (1u << which)) {
            wire_err (r->err, r->errlen, "field remedy: duplicate key %s", keys [which]);
            return -1;
        }
        seen |= 1u << which;
        if (wire_read (r, &v, 2))
            return -1;
        int rc = 0;
        switch (which) {
            case 0:
                rc = wire_str (r, &v, EVENT_MAX_SHORT, true, false, &rem->action, "remedy.action");
                break;
            case 1:
                rc = wire_str (r, &v, EVENT_MAX_SHORT, true, false, &rem->result, "remedy.result");
                if (rc == 0 && !wire_remedy_result_valid (v.str, v.n)) {
                    wire_err (r->err, r->errlen, "field remedy.result: not one of healed, "
                              "failed, skipped, throttled, gave_up");
                    rc = -1;
                }
                break;
            case 2:
                rc = wire_int (r, &v, &rem->attempt, "remedy.attempt");
                break;
            case 3:
                rc = wire_int (r, &v, &rem->duration_ms, "remedy.duration_ms");
                break;
            case 5:
                rc = wire_int (r, &v, &rem->verify_ms, "remedy.verify_ms");
                break;
            default:
                rc = wire_str (r, &v, EVENT_MAX_TEXT, false, true, &rem->output, "remedy.output");
                break;
        }
        if (rc)
            return -1;
    }
    for (int i = 0; i < 4; i++)
        if (!(seen & (1u << i))) {
            wire_err (r->err, r->errlen, "field remedy: missing %s", keys [i]);
            return -1;
        }
    self->remedy = rem;
    return 0;
}
