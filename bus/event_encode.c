//  event_encode — the bus encoder: an event as one msgpack map.
//
//  Writes msgpack bytes straight into the caller's msgpack_sbuffer (its
//  malloc'd data, size and alloc are public) instead of one msgpack-c packer
//  callback per item: the bytes are exactly what msgpack-c's packer writes
//  (shortest header for every length, uint for every integer, float64 for
//  every double), so the golden fixtures hold either way.

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "heal/util.h"
#include "heal/event.h"
#include "wire.h"

//  The buffer's write position and end live here while an event is written
//  (fewer loads than through the msgpack_sbuffer); event_encode sets
//  buf->size from pos at the end.
typedef struct {
    msgpack_sbuffer *buf;
    unsigned char *pos, *end;   //  in buf->data, or both NULL before any room
    int failed;                 //  out of memory: the rest is not written
} writer_t;

//  Room for n more bytes; 0 or -1 (out of memory, w->failed set).
static int
s_grow (writer_t *w, size_t n)
{
    msgpack_sbuffer *b = w->buf;
    size_t size = w->pos ? (size_t) (w->pos - (unsigned char *) b->data) : 0;
    size_t want = b->alloc ? b->alloc * 2 : 1024;
    while (want < size + n)
        want *= 2;
    char *data = (char *) realloc (b->data, want);
    if (!data) {
        w->failed = 1;
        return -1;
    }
    b->data = data;
    b->alloc = want;
    w->pos = (unsigned char *) data + size;
    w->end = (unsigned char *) data + want;
    return 0;
}

static inline __attribute__ ((always_inline)) unsigned char *
s_room (writer_t *w, size_t n)
{
    if ((size_t) (w->end - w->pos) < n && s_grow (w, n))
        return NULL;
    return w->pos;
}

//  Write a header at p: a fix form when n < fix_limit, else the 1-byte tag
//  for the smallest width (codes [0] 8-bit (0 = none), [1] 16-bit, [2]
//  32-bit). Returns its length (at most 5).
static inline __attribute__ ((always_inline)) size_t
s_put_header (unsigned char *p, unsigned char fix, uint64_t fix_limit,
              const unsigned char codes [3], uint64_t n)
{
    if (n < fix_limit) {
        p [0] = (unsigned char) (fix | n);
        return 1;
    }
    if (codes [0] && n < 256) {
        p [0] = codes [0];
        p [1] = (unsigned char) n;
        return 2;
    }
    if (n < 65536) {
        p [0] = codes [1];
        wire_be_put (p + 1, n, 2);
        return 3;
    }
    p [0] = codes [2];
    wire_be_put (p + 1, n, 4);
    return 5;
}

static inline __attribute__ ((always_inline)) int
s_header (writer_t *w, unsigned char fix, uint64_t fix_limit, const unsigned char codes [3],
          uint64_t n)
{
    unsigned char *p = s_room (w, 5);
    if (!p)
        return -1;
    w->pos += s_put_header (p, fix, fix_limit, codes, n);
    return 0;
}

static const unsigned char s_str_codes [3] = { 0xd9, 0xda, 0xdb };
static const unsigned char s_array_codes [3] = { 0, 0xdc, 0xdd };
static const unsigned char s_map_codes [3] = { 0, 0xde, 0xdf };

static int
s_map (writer_t *w, size_t n)
{
    return s_header (w, 0x80, 16, s_map_codes, n);
}

static int
s_array (writer_t *w, size_t n)
{
    return s_header (w, 0x90, 16, s_array_codes, n);
}

static inline __attribute__ ((always_inline)) int
s_raw_str (writer_t *w, const char *s, size_t len)
{
    if (s_header (w, 0xa0, 32, s_str_codes, len))
        return -1;
    unsigned char *p = s_room (w, len);
    if (!p)
        return -1;
    memcpy (p, s, len);
    w->pos += len;
    return 0;
}

//  A key is a short constant: fixstr header and body. Inlined so that the
//  copy of a constant length compiles to a few moves.
static inline __attribute__ ((always_inline)) int
s_key (writer_t *w, const char *key, size_t len)
{
    unsigned char *p = s_room (w, len + 1);
    if (!p)
        return -1;
    p [0] = (unsigned char) (0xa0 | len);
    memcpy (p + 1, key, len);
    w->pos += len + 1;
    return 0;
}
#define KEY(k) s_key (w, k, sizeof (k) - 1)

//  msgpack-c's uint forms: fixint, then 0xcc..0xcf.
static inline __attribute__ ((always_inline)) int
s_u64 (writer_t *w, uint64_t v)
{
    unsigned char *p = s_room (w, 9);
    if (!p)
        return -1;
    size_t len;
    if (v < 128) {
        p [0] = (unsigned char) v;
        len = 1;
    }
    else {
        size_t n = v < 256 ? 1 : v < 65536 ? 2 : v <= UINT32_MAX ? 4 : 8;
        p [0] = (unsigned char) (n == 1 ? 0xcc : n == 2 ? 0xcd : n == 4 ? 0xce : 0xcf);
        wire_be_put (p + 1, v, n);
        len = n + 1;
    }
    w->pos += len;
    return 0;
}

//  Negative numbers are not valid on the bus: written as 0.
static int
s_int (writer_t *w, int64_t v)
{
    return s_u64 (w, v < 0 ? 0 : (uint64_t) v);
}

static int
s_uint (writer_t *w, uint64_t v)
{
    return s_u64 (w, v > INT64_MAX ? (uint64_t) INT64_MAX : v);
}

static int
s_byte (writer_t *w, unsigned char b)
{
    unsigned char *p = s_room (w, 1);
    if (!p)
        return -1;
    p [0] = b;
    w->pos++;
    return 0;
}

static int
s_bool (writer_t *w, bool b)
{
    return s_byte (w, b ? 0xc3 : 0xc2);
}

static int
s_nil (writer_t *w)
{
    return s_byte (w, 0xc0);
}

static int
s_double (writer_t *w, double d)
{
    unsigned char *p = s_room (w, 9);
    if (!p)
        return -1;
    uint64_t bits;
    memcpy (&bits, &d, sizeof bits);
    p [0] = 0xcb;
    wire_be_put (p + 1, bits, 8);
    w->pos += 9;
    return 0;
}

//  Copy len bytes of s to p, checking on the way that they are ASCII (nearly
//  every string on the bus): true when they are. s holds no NUL in its first
//  len bytes (len came from strnlen).
static inline __attribute__ ((always_inline)) bool
s_copy_ascii (unsigned char *p, const char *s, size_t len)
{
    const uint64_t high = 0x8080808080808080ULL;
    uint64_t bad = 0, v;
    if (len < 8) {
        for (size_t i = 0; i < len; i++) {
            p [i] = (unsigned char) s [i];
            bad |= (unsigned char) s [i];
        }
        return !(bad & 0x80);
    }
    for (size_t i = 0; i + 8 <= len; i += 8) {
        memcpy (&v, s + i, 8);
        memcpy (p + i, &v, 8);
        bad |= v;
    }
    //  the last 0..7 bytes: one overlapping word
    memcpy (&v, s + len - 8, 8);
    memcpy (p + len - 8, &v, 8);
    return !((bad | v) & high);
}

//  s_str past its fast path: s is not ASCII. Valid UTF-8 is sent as is;
//  invalid (from a field set without event_set_string) is made safe so the
//  encoder never emits what the decoder would reject.
static int
s_str_slow (writer_t *w, const char *s, size_t len, size_t max, bool text)
{
    if (wire_utf8_valid (s, len))
        return s_raw_str (w, s, len);
    char *safe = text ? heal_safe_text (s, len, max) : heal_safe_string (s, len, max);
    if (!safe)
        return -1;
    int rc = s_raw_str (w, safe, strlen (safe));
    free (safe);
    return rc;
}

//  A string bounded to max bytes (cut on a UTF-8 boundary); NULL packs as "".
//  Inlined: this is most of an event.
static inline __attribute__ ((always_inline)) int
s_str (writer_t *w, const char *s, size_t max, bool text)
{
    if (!s)
        s = "";
    size_t len = strnlen (s, max + 1);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char) s [len] & 0xC0) == 0x80)
            len--;
    }
    unsigned char *p = s_room (w, len + 5);
    if (!p)
        return -1;
    size_t head = s_put_header (p, 0xa0, 32, s_str_codes, len);
    if (s_copy_ascii (p + head, s, len)) {
        w->pos += head + len;
        return 0;
    }
    return s_str_slow (w, s, len, max, text);
}

static int
s_list (writer_t *w, char *const *list, size_t count, size_t max_items, size_t max, bool names)
{
    if (count > max_items)
        count = max_items;
    if (!list)
        count = 0;
    if (s_array (w, count))
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (names && (!list [i] || !heal_name_valid (list [i])))
            return -1;
        if (s_str (w, list [i], max, false))
            return -1;
    }
    return 0;
}

static int
s_metrics (writer_t *w, const event_t *self)
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
    if (s_map (w, n))
        return -1;
    for (size_t i = 0; i < count; i++)
        if (keep [i]) {
            if (s_str (w, self->metrics [i].name, EVENT_MAX_SHORT, false)
            ||  s_double (w, self->metrics [i].value))
                return -1;
        }
    return 0;
}

static int
s_remedy (writer_t *w, const event_remedy_t *r)
{
    if (!r)
        return s_nil (w);
    if (!r->result || !wire_remedy_result_valid (r->result, strlen (r->result)))
        return -1;
    bool verify = r->verify_ms >= 0;
    if (s_map (w, 5 + verify)
    ||  (verify && (KEY ("verify_ms") || s_int (w, r->verify_ms)))
    ||  KEY ("action") || s_str (w, r->action, EVENT_MAX_SHORT, false)
    ||  KEY ("result") || s_str (w, r->result, EVENT_MAX_SHORT, false)
    ||  KEY ("attempt") || s_int (w, r->attempt)
    ||  KEY ("duration_ms") || s_int (w, r->duration_ms)
    ||  KEY ("output"))
        return -1;
    return r->output ? s_str (w, r->output, EVENT_MAX_TEXT, true) : s_nil (w);
}

static int
s_encode (const event_t *self, writer_t *w)
{
    if (!self || (int) self->type < 0 || self->type >= EVENT_TYPE_COUNT)
        return -1;
    //  Strings the decoder requires non-empty: missing = not encodable.
    if (!self->host || !*self->host || !self->source || !*self->source)
        return -1;
    size_t fields = 6;
    switch (self->type) {
        case EVENT_CHECK:
            fields += 13 + (self->description != NULL) + (self->blocked_by != NULL);
            break;
        case EVENT_ALERT:
            fields += 13 + (self->metric_count > 0) + (self->description != NULL)
                        + (self->blocked_by != NULL);
            break;
        case EVENT_CYCLE:
            fields += 5;
            break;
        case EVENT_DIAGNOSIS:
            fields += 9 + (self->error != NULL) + (self->related_count > 0)
                        + (self->confidence != NULL) + (self->resolved > 0);
            break;
        case EVENT_AGENT:
            fields += 3 + (self->message != NULL);
            break;
        default:
            return -1;
    }
    if (s_map (w, fields)
    ||  KEY ("v") || s_u64 (w, EVENT_VERSION)
    ||  KEY ("type") || s_str (w, event_type_name (self->type), EVENT_MAX_SHORT, false)
    ||  KEY ("seq") || s_uint (w, self->seq)
    ||  KEY ("ts") || s_int (w, self->ts)
    ||  KEY ("host") || s_str (w, self->host, EVENT_MAX_SHORT, false)
    ||  KEY ("source") || s_str (w, self->source, EVENT_MAX_SHORT, false))
        return -1;

    if (self->type == EVENT_CHECK || self->type == EVENT_ALERT) {
        const char *severity = severity_name (self->severity);
        if (!self->check || !heal_name_valid (self->check) || !severity
        ||  !self->kind || !*self->kind)
            return -1;
        if (KEY ("cycle") || s_uint (w, self->cycle)
        ||  KEY ("check") || s_str (w, self->check, EVENT_MAX_NAME, false)
        ||  KEY ("kind") || s_str (w, self->kind, EVENT_MAX_SHORT, false)
        ||  KEY ("critical") || s_bool (w, self->critical)
        ||  KEY ("severity") || s_str (w, severity, EVENT_MAX_SHORT, false)
        ||  KEY ("message") || s_str (w, self->message, EVENT_MAX_MESSAGE, false)
        ||  KEY ("duration_ms") || s_int (w, self->duration_ms)
        ||  KEY ("streak") || s_int (w, self->streak)
        ||  KEY ("since") || s_int (w, self->since)
        ||  KEY ("changed") || s_bool (w, self->changed)
        ||  KEY ("evidence")
        ||  s_list (w, self->evidence, self->evidence_count, EVENT_MAX_EVIDENCE,
                    EVENT_MAX_EVIDENCE_LEN, false)
        ||  KEY ("remedy") || s_remedy (w, self->remedy))
            return -1;
        if (self->type == EVENT_CHECK || self->metric_count > 0)
            if (KEY ("metrics") || s_metrics (w, self))
                return -1;
        if (self->description
        &&  (KEY ("description") || s_str (w, self->description, EVENT_MAX_MESSAGE, false)))
            return -1;
        if (self->blocked_by
        &&  (KEY ("blocked_by") || s_str (w, self->blocked_by, EVENT_MAX_NAME, false)))
            return -1;
        if (self->type == EVENT_ALERT) {
            if (!self->alert || !*self->alert)
                return -1;
            if (KEY ("alert") || s_str (w, self->alert, EVENT_MAX_SHORT, false))
                return -1;
        }
    }
    else
    if (self->type == EVENT_CYCLE) {
        if (KEY ("cycle") || s_uint (w, self->cycle)
        ||  KEY ("counts") || s_map (w, SEVERITY_COUNT))
            return -1;
        for (int s = 0; s < SEVERITY_COUNT; s++)
            if (s_str (w, severity_name ((severity_t) s), EVENT_MAX_SHORT, false)
            ||  s_int (w, self->counts [s]))
                return -1;
        if (KEY ("degraded") || s_bool (w, self->degraded)
        ||  KEY ("issues")
        ||  s_list (w, self->issues, self->issue_count, EVENT_MAX_LIST, EVENT_MAX_NAME, true)
        ||  KEY ("duration_ms") || s_int (w, self->duration_ms))
            return -1;
    }
    else
    if (self->type == EVENT_DIAGNOSIS) {
        if (KEY ("cycle") || s_uint (w, self->cycle)
        ||  KEY ("checks")
        ||  s_list (w, self->checks, self->check_count, EVENT_MAX_LIST, EVENT_MAX_NAME, true)
        ||  KEY ("fingerprint") || s_str (w, self->fingerprint, EVENT_MAX_SHORT, false)
        ||  KEY ("model") || s_str (w, self->model, EVENT_MAX_SHORT, false)
        ||  KEY ("summary") || s_str (w, self->summary, EVENT_MAX_MESSAGE, true)
        ||  KEY ("root_cause") || s_str (w, self->root_cause, EVENT_MAX_TEXT, true)
        ||  KEY ("operator_checks")
        ||  s_list (w, self->operator_checks, self->operator_check_count, EVENT_MAX_LIST,
                    EVENT_MAX_MESSAGE, false)
        ||  KEY ("latency_ms") || s_int (w, self->latency_ms)
        ||  KEY ("cached") || s_bool (w, self->cached))
            return -1;
        if (self->error)
            if (KEY ("error") || s_str (w, self->error, EVENT_MAX_TEXT, true))
                return -1;
        if (self->related_count > 0)
            if (KEY ("related")
            ||  s_list (w, self->related, self->related_count, EVENT_MAX_LIST,
                        EVENT_MAX_SHORT, false))
                return -1;
        if (self->confidence)
            if (KEY ("confidence") || s_str (w, self->confidence, EVENT_MAX_SHORT, false))
                return -1;
        if (self->resolved > 0)
            if (KEY ("resolved") || s_int (w, self->resolved))
                return -1;
    }
    else {
        if (!self->event || !*self->event)
            return -1;
        if (KEY ("event") || s_str (w, self->event, EVENT_MAX_SHORT, false)
        ||  KEY ("version") || s_str (w, self->version, EVENT_MAX_SHORT, false)
        ||  KEY ("pid") || s_int (w, self->pid))
            return -1;
        if (self->message)
            if (KEY ("message") || s_str (w, self->message, EVENT_MAX_MESSAGE, false))
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
    writer_t w = { buf, NULL, NULL, 0 };
    if (buf->data) {
        w.pos = (unsigned char *) buf->data;
        w.end = w.pos + buf->alloc;
    }
    int rc = s_encode (self, &w);
    buf->size = w.pos ? (size_t) (w.pos - (unsigned char *) buf->data) : 0;
    if (rc || w.failed || buf->size > EVENT_MAX_FRAME) {
        msgpack_sbuffer_clear (buf);
        return -1;
    }
    return 0;
}
