//  event_decode — the strict bus decoder: one bounded pass over the frame.
//
//  The decoder is table driven: s_fields lists every known key, its type, its
//  bounds, and which message types require or allow it. Keys a type does not
//  know are ignored, but still validated (string keys, UTF-8 strings, no
//  bin/ext, depth and size bounded) so that nothing unbounded gets through.
//
//  Why not msgpack-c's unpacker: it allocates a msgpack_object for every
//  element a container header declares before it reads them (so it needed a
//  bounds pre-scan), and then every string was copied into its own malloc.
//  wire_read.c walks the bytes once, checking each header against the bytes
//  left as it goes, and this allocates one block per event: the event, a copy of the frame
//  its strings are borrowed from (NUL-terminated in place: the byte after a
//  string body is the next object's header, which the copy no longer needs),
//  and room for its lists, metrics and remedy. event_destroy knows the block.

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heal/util.h"
#include "heal/event.h"
#include "heal/topic.h"
#include "wire.h"
#include "wire_read.h"

//  --------------------------------------------------------------------------
//  Field table

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
    { FN ("blocked_by"), F_OPTSTR, OFF (blocked_by), NO, EVENT_MAX_NAME, 0, T_CHECK | T_ALERT, false },
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
    { FN ("description"), F_OPTSTR, OFF (description), NO, EVENT_MAX_MESSAGE, 0, T_CHECK | T_ALERT, false },
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
    { FN ("resolved"), F_INT, OFF (resolved), NO, 0, 0, T_DIAG, false },
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

//  Items of every list field a type may carry, summed (bounds the block).
static const size_t s_list_items [EVENT_TYPE_COUNT] = {
    [EVENT_CHECK] = EVENT_MAX_EVIDENCE,
    [EVENT_ALERT] = EVENT_MAX_EVIDENCE,
    [EVENT_CYCLE] = EVENT_MAX_LIST,
    [EVENT_DIAGNOSIS] = 3 * EVENT_MAX_LIST,
    [EVENT_AGENT] = 0,
};

//  Field lookup. Fast path: a key written as fixstr with 16 bytes of frame
//  left is recognised by its wire bytes (header and name, masked to its
//  length, two words) through a perfect hash of the first word, whose
//  multiplier is searched once at start. Otherwise (a key sent as str8, the
//  last bytes of a frame): an open-addressing hash of the length and first and
//  last bytes, then a compare.
static uint64_t s_wire_keys [FIELD_COUNT][2];
static uint64_t s_len_mask [16][2];     //  the 1 + len bytes of a fixstr key
static uint64_t s_wire_mask [FIELD_COUNT][2];   //  s_len_mask of each field
#define FIELD_PERFECT_SIZE 256
static int8_t s_field_perfect [FIELD_PERFECT_SIZE];
static uint64_t s_perfect_mul;          //  0: none found, slow path only

static unsigned
s_perfect (uint64_t word)
{
    return (unsigned) ((word * s_perfect_mul) >> 56);
}

//  Find a multiplier that sends every field's first word to its own slot.
static void
s_perfect_init (void)
{
    uint64_t mul = 0x9e3779b97f4a7c15ULL;
    for (int tries = 0; tries < 100000; tries++) {
        mul = (mul * 6364136223846793005ULL + 1442695040888963407ULL) | 1;
        s_perfect_mul = mul;
        memset (s_field_perfect, -1, sizeof s_field_perfect);
        size_t i = 0;
        for (; i < FIELD_COUNT; i++) {
            unsigned h = s_perfect (s_wire_keys [i][0]);
            if (s_field_perfect [h] >= 0)
                break;
            s_field_perfect [h] = (int8_t) i;
        }
        if (i == FIELD_COUNT)
            return;
    }
    s_perfect_mul = 0;
}

#define FIELD_HASH_SIZE 128
static int8_t s_field_hash [FIELD_HASH_SIZE];
static pthread_once_t s_field_hash_once = PTHREAD_ONCE_INIT;

static unsigned
s_hash (const char *key, size_t len)
{
    return ((unsigned) len * 31u + (unsigned char) key [0] * 7u
            + (unsigned char) key [len - 1]) & (FIELD_HASH_SIZE - 1);
}

//  s_predict [i]: 1 + the field that followed field i (FIELD_COUNT: the
//  start, or a key we do not know) in the last frame this thread decoded;
//  0 for none yet. s_fi_type: the index of "type".
static __thread int8_t s_predict [FIELD_COUNT + 1];

//  Where the strings of a frame under 4 KiB end (event_decode).
#define ENDS_WORDS 64
static __thread uint64_t s_ends [ENDS_WORDS];
static int s_fi_type;

//  Bit i set: the type requires s_fields [i].
static uint64_t s_required [EVENT_TYPE_COUNT];

static void
s_field_hash_init (void)
{
    memset (s_field_hash, -1, sizeof s_field_hash);
    for (size_t len = 0; len < 16; len++) {
        unsigned char mask [16] = { 0 };
        memset (mask, 0xff, len + 1);
        memcpy (s_len_mask [len], mask, 16);
    }
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        for (int t = 0; t < EVENT_TYPE_COUNT; t++)
            if (s_fields [i].required & (1u << t))
                s_required [t] |= 1ull << i;
        unsigned char bytes [16] = { 0 };
        bytes [0] = (unsigned char) (0xa0 | s_fields [i].len);
        memcpy (bytes + 1, s_fields [i].name, s_fields [i].len);
        memcpy (s_wire_keys [i], bytes, 16);
        memcpy (s_wire_mask [i], s_len_mask [s_fields [i].len], 16);
        if (s_fields [i].kind == F_TYPE)
            s_fi_type = (int) i;
        unsigned h = s_hash (s_fields [i].name, s_fields [i].len);
        while (s_field_hash [h] >= 0)
            h = (h + 1) & (FIELD_HASH_SIZE - 1);
        s_field_hash [h] = (int8_t) i;
    }
    s_perfect_init ();
}

//  Index in s_fields of the key of len bytes at key, or -1 (slow path).
static int
s_field_find (const char *key, size_t len)
{
    if (len == 0 || len > 32)
        return -1;
    unsigned h = s_hash (key, len);
    for (int i; (i = s_field_hash [h]) >= 0; h = (h + 1) & (FIELD_HASH_SIZE - 1))
        if (s_fields [i].len == len && memcmp (s_fields [i].name, key, len) == 0)
            return i;
    return -1;
}

//  For test_event: is the table sorted, does every name fit s_wire_keys,
//  does the seen bitmask fit, and did the perfect hash's search succeed?
bool event_fields_sorted (void);
bool
event_fields_sorted (void)
{
    for (size_t i = 0; i < FIELD_COUNT; i++)
        if ((i > 0 && strcmp (s_fields [i - 1].name, s_fields [i].name) >= 0)
        ||  strlen (s_fields [i].name) != s_fields [i].len
        ||  s_fields [i].len >= 16)         //  s_wire_keys holds 16 bytes
            return false;
    pthread_once (&s_field_hash_once, s_field_hash_init);
    return FIELD_COUNT <= 64 && s_perfect_mul != 0;
}

//  --------------------------------------------------------------------------
//  Fields (the values of lists, metrics, counts and remedy: event_values.c)

static int
s_field (wire_reader_t *r, const field_t *f, event_t *self)
{
    wire_tok_t t = { .kind = WIRE_TOK_NIL };
    if (wire_read (r, &t, 1))
        return -1;
    char *base = (char *) self;
    switch (f->kind) {
        case F_VERSION:
        case F_TYPE:
            return 0;           //  checked by s_header (the value is a scalar or string)
        case F_INT:
            return wire_int (r, &t, (int64_t *) (void *) (base + f->offset), f->name);
        case F_UINT: {
            int64_t value;
            if (wire_int (r, &t, &value, f->name))
                return -1;
            *(uint64_t *) (void *) (base + f->offset) = (uint64_t) value;
            return 0;
        }
        case F_BOOL:
            if (t.kind != WIRE_TOK_BOOL) {
                wire_err (r->err, r->errlen, "field %s: expected a boolean", f->name);
                return -1;
            }
            *(bool *) (void *) (base + f->offset) = t.b;
            return 0;
        case F_STR:
        case F_OPTSTR:
            return wire_str (r, &t, f->max, f->nonempty, f->kind == F_OPTSTR,
                          (char **) (void *) (base + f->offset), f->name);
        case F_NAME:
            if (t.kind != WIRE_TOK_STR || !heal_name_valid_n (t.str, t.n)) {
                wire_err (r->err, r->errlen, "field %s: not a valid check name", f->name);
                return -1;
            }
            return wire_str (r, &t, f->max, true, false, (char **) (void *) (base + f->offset),
                          f->name);
        case F_SEVERITY: {
            int s = t.kind == WIRE_TOK_STR ? wire_severity_index (t.str, t.n) : -1;
            if (s < 0) {
                wire_err (r->err, r->errlen, "field severity: not one of ok, healed, warning, "
                          "critical, unknown, blocked");
                return -1;
            }
            self->severity = (severity_t) s;
            return 0;
        }
        case F_LIST:
        case F_NAMES:
        case F_EVIDENCE:
            return wire_list (r, t.kind, t.n, f->kind == F_EVIDENCE ? EVENT_MAX_EVIDENCE : EVENT_MAX_LIST,
                           f->max, f->kind == F_NAMES,
                           (char ***) (void *) (base + f->offset),
                           (size_t *) (void *) (base + f->count_offset), f->name);
        case F_METRICS:
            return wire_metrics (r, t.kind, t.n, self);
        case F_REMEDY:
            return wire_remedy (r, t.kind, t.n, self);
        case F_COUNTS:
            return wire_counts (r, t.kind, t.n, self);
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  Payload

//  Read one top-level key (a UTF-8 string of at most EVENT_MAX_SHORT bytes).
//  Returns its index in s_fields, -1 for a valid key we do not know, or -2
//  with the reason in r->err.
//
//  guess is the field expected here (or -1): the one that followed the
//  previous key in the last frame this thread decoded (s_predict). Frames
//  from one encoder keep one order, so most keys are one masked compare.
static inline __attribute__ ((always_inline)) int
s_key (wire_reader_t *r, wire_tok_t *k, int guess)
{
    size_t at = r->pos;
    if (guess >= 0 && r->size - at >= 16) {
        uint64_t w [2];
        memcpy (w, r->p + at, 16);
        if ((w [0] & s_wire_mask [guess][0]) == s_wire_keys [guess][0]
        &&  (w [1] & s_wire_mask [guess][1]) == s_wire_keys [guess][1]) {
            k->kind = WIRE_TOK_STR;
            k->n = s_fields [guess].len;
            k->str = (const char *) r->p + at + 1;
            r->pos = at + 1 + k->n;
            return guess;
        }
    }
    unsigned b = at < r->size ? r->p [at] : 0;
    if (b >= 0xa0 && b <= 0xaf && r->size - at >= 16 && s_perfect_mul) {
        size_t len = b & 0x0f;
        uint64_t w [2];
        memcpy (w, r->p + at, 16);
        w [0] &= s_len_mask [len][0];
        w [1] &= s_len_mask [len][1];
        k->kind = WIRE_TOK_STR;
        k->n = len;
        k->str = (const char *) r->p + at + 1;
        r->pos = at + 1 + len;
        int fi = s_field_perfect [s_perfect (w [0])];
        if (fi >= 0 && w [0] == s_wire_keys [fi][0] && w [1] == s_wire_keys [fi][1])
            return fi;          //  one of our names
    }
    else {
        if (wire_read (r, k, 1))
            return -2;
        if (k->kind != WIRE_TOK_STR) {
            wire_err (r->err, r->errlen, "map key is not a string");
            return -2;
        }
        int fi = s_field_find (k->str, k->n);
        if (fi >= 0)
            return fi;          //  one of our names: ASCII, short
    }
    if (k->n > EVENT_MAX_SHORT || !wire_tok_utf8 (r, k)) {
        wire_err (r->err, r->errlen, "map key is too long or not valid UTF-8");
        return -2;
    }
    return -1;
}

//  Find and check v and type among the n entries of the top-level map (the
//  encoder writes them first, so this usually reads two entries). Returns the
//  event type, or -1 with the reason in r->err. When v and type were the
//  first two entries, *done is 2, *resume the offset after them and *seen
//  their bits: the payload's loop starts there.
static int
s_header (wire_reader_t *r, size_t n, size_t *done, size_t *resume, uint64_t *seen)
{
    size_t v_at = 0, type_at = 0, i = 0;
    uint64_t bits = 0;
    for (; i < n && !(v_at && type_at); i++) {
        wire_tok_t k = { .kind = WIRE_TOK_NIL };
        int fi = s_key (r, &k, -1);
        if (fi == -2)
            return -1;
        size_t at = r->pos;
        if (wire_skip (r, 1, k.str, (int) (k.n > 64 ? 64 : k.n)))
            return -1;
        if (k.n == 1 && k.str [0] == 'v')
            v_at = at;
        else
        if (k.n == 4 && memcmp (k.str, "type", 4) == 0)
            type_at = at;
        if (fi >= 0)
            bits |= 1ull << fi;
    }
    *done = 0;
    if (i == 2 && v_at && type_at) {
        *done = 2;
        *resume = r->pos;
        *seen = bits;
    }
    if (!v_at) {
        wire_err (r->err, r->errlen, "missing field v");
        return -1;
    }
    wire_tok_t t = { .kind = WIRE_TOK_NIL };
    r->pos = v_at;
    if (wire_read (r, &t, 1))
        return -1;
    if (t.kind == WIRE_TOK_UINT) {
        if (t.u != EVENT_VERSION) {
            wire_err (r->err, r->errlen, "unsupported schema version %llu",
                      (unsigned long long) t.u);
            return -1;
        }
    }
    else
    if (t.kind == WIRE_TOK_NINT) {
        wire_err (r->err, r->errlen, "unsupported schema version %lld", (long long) t.i);
        return -1;
    }
    else {
        wire_err (r->err, r->errlen, "field v: expected an integer");
        return -1;
    }
    if (!type_at) {
        wire_err (r->err, r->errlen, "missing field type");
        return -1;
    }
    r->pos = type_at;
    if (wire_read (r, &t, 1))
        return -1;
    int type = t.kind == WIRE_TOK_STR ? wire_type_index (t.str, t.n) : -1;
    if (type < 0)
        wire_err (r->err, r->errlen,
                  "field type: not one of check, alert, cycle, diagnosis, agent");
    return type;
}

//  Bytes of the block's tail a frame of size bytes may need for type: every
//  list item takes at least one byte of the frame, every metric two.
static size_t
s_tail_bound (event_type_t type, size_t size)
{
    size_t items = s_list_items [type] < size ? s_list_items [type] : size;
    size_t bound = items * sizeof (char *) + 3 * 8;
    if (type == EVENT_CHECK || type == EVENT_ALERT) {
        size_t metrics = EVENT_MAX_METRICS < size / 2 ? EVENT_MAX_METRICS : size / 2;
        bound += metrics * sizeof (event_metric_t) + 8 + sizeof (event_remedy_t) + 8;
    }
    return bound;
}

event_t *
event_decode (const void *data, size_t size, char *err, size_t errlen)
{
    wire_ok (err, errlen);
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
    pthread_once (&s_field_hash_once, s_field_hash_init);
    wire_reader_t r = { (const unsigned char *) data, 0, size, NULL, NULL, NULL, 0, err, errlen };
    wire_tok_t root = { .kind = WIRE_TOK_NIL };
    if (wire_read (&r, &root, 0))
        return NULL;
    size_t body = r.pos, done = 0;
    uint64_t seen = 0;
    int type = s_header (&r, root.n, &done, &body, &seen);
    if (type < 0)
        return NULL;

    //  One block: the event, the frame's copy (+1 for a NUL after the last
    //  string), then the tail.
    size_t copy_size = (size + 1 + 7) & ~(size_t) 7;
    size_t tail = s_tail_bound ((event_type_t) type, size);
    size_t block = sizeof (event_t) + copy_size + tail;
    if (block < BLOCK_SMALL) {
        tail += BLOCK_SMALL - block;
        block = BLOCK_SMALL;
    }
    event_t *self = wire_block_new (block);
    if (!self) {
        wire_err (err, errlen, "out of memory");
        return NULL;
    }
    static const event_t zero;          //  (a copy beats memset's rep stos here)
    memcpy (self, &zero, sizeof *self);
    self->v = EVENT_VERSION;
    self->type = (event_type_t) type;
    self->severity = SEVERITY_OK;
    self->block_size = block;
    //  Strings are read in the frame and their ends marked; the copy is
    //  written after the last read. Writing it first made every read of the
    //  frame wait on those stores whenever the two sat at nearby offsets
    //  modulo 4 KiB (the CPU matches loads to pending stores by the low
    //  12 address bits): decode ran at half speed for some frame addresses.
    //  The marks of a frame under 4 KiB go in this thread's s_ends, which
    //  is left all zero after every use; a larger frame's in a calloc.
    uint64_t *ends = s_ends;
    size_t words = size / 64 + 1;
    if (words > ENDS_WORDS) {
        ends = (uint64_t *) calloc (words, sizeof (uint64_t));
        if (!ends) {
            wire_err (err, errlen, "out of memory");
            wire_block_free (self);
            return NULL;
        }
    }
    r.copy = (char *) (self + 1);
    r.ends = ends;
    r.tail = r.copy + copy_size;
    r.tail_left = tail;
    r.pos = body;

    unsigned tbit = 1u << type;
    int prev = done ? s_fi_type : (int) FIELD_COUNT;
    for (size_t i = done; i < root.n; i++) {
        wire_tok_t k = { .kind = WIRE_TOK_NIL };
        int guess = s_predict [prev] - 1;
        int fi = s_key (&r, &k, guess);
        if (fi == -2)
            goto fail;
        if (fi != guess)
            s_predict [prev] = (int8_t) (fi + 1);
        prev = fi >= 0 ? fi : (int) FIELD_COUNT;
        if (fi < 0 || !(s_fields [fi].allowed & tbit)) {
            //  Not ours (a newer minor revision, or another type's field):
            //  ignored, but still validated.
            if (wire_skip (&r, 1, k.str, (int) (k.n > 64 ? 64 : k.n)))
                goto fail;
            continue;
        }
        if (seen & (1ull << fi)) {
            wire_err (err, errlen, "duplicate key %s", s_fields [fi].name);
            goto fail;
        }
        seen |= 1ull << fi;
        if (s_field (&r, &s_fields [fi], self))
            goto fail;
    }
    if (r.pos != size) {
        wire_err (err, errlen, "%zu trailing bytes after the payload", size - r.pos);
        goto fail;
    }
    if ((seen & s_required [type]) != s_required [type])
        for (size_t fi = 0; fi < FIELD_COUNT; fi++)
            if ((s_fields [fi].required & tbit) && !(seen & (1ull << fi))) {
                wire_err (err, errlen, "missing field %s", s_fields [fi].name);
                goto fail;
            }
    memcpy (r.copy, data, size);
    r.copy [size] = 0;
    for (size_t w = 0; w < words; w++) {
        for (uint64_t bits = ends [w]; bits; bits &= bits - 1)
            r.copy [w * 64 + (size_t) __builtin_ctzll (bits)] = 0;
        ends [w] = 0;
    }
    if (ends != s_ends)
        free (ends);
    return self;
fail:
    if (ends != s_ends)
        free (ends);
    else
        memset (ends, 0, words * sizeof (uint64_t));
    wire_block_free (self);
    return NULL;
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
    if (topic_size < TOPIC_LEN (TOPIC_PREFIX)
    ||  memcmp (topic, TOPIC_PREFIX, TOPIC_LEN (TOPIC_PREFIX)) != 0) {
        wire_err (err, errlen, "topic does not start with heal.");
        return NULL;
    }
    event_t *self = event_decode (data, size, err, errlen);
    if (!self)
        return NULL;
    if (!wire_topic_is (self, topic, topic_size)) {
        char expected [EVENT_MAX_TOPIC + 1];
        int len = wire_topic (self, expected, sizeof expected);
        wire_err (err, errlen, "topic %.*s does not match the payload (%s)",
                  (int) (topic_size > 80 ? 80 : topic_size), topic,
                  len < 0 ? "no topic" : expected);
        event_destroy (&self);
    }
    return self;
}
