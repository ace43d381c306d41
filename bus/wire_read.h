//  wire_read — a bounded, allocation-free msgpack reader for the bus decoder.
//  Private to libheal (bus/event_decode.c); see wire_read.c.
//
//  One header at a time: every length a header declares is checked against
//  the bytes left in the frame before anything is read or allocated (a
//  container declaring n items needs at least n bytes, a map 2n), nesting is
//  bounded by EVENT_MAX_DEPTH, and the reserved byte 0xc1 is refused.

#ifndef HEAL_WIRE_READ_H_INCLUDED
#define HEAL_WIRE_READ_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "heal/event.h"
#include "wire.h"

//  What one header said. Integers of any encoding that are >= 0 are UINT
//  (msgpack-c's POSITIVE_INTEGER), below 0 NINT.
typedef enum {
    WIRE_TOK_NIL, WIRE_TOK_BOOL, WIRE_TOK_UINT, WIRE_TOK_NINT, WIRE_TOK_FLOAT,
    WIRE_TOK_STR, WIRE_TOK_BIN, WIRE_TOK_EXT, WIRE_TOK_ARRAY, WIRE_TOK_MAP
} wire_tok_kind_t;

typedef struct {
    wire_tok_kind_t kind;
    bool b;                 //  WIRE_TOK_BOOL
    uint64_t u;             //  WIRE_TOK_UINT (any integer encoding >= 0)
    int64_t i;              //  WIRE_TOK_NINT
    double f;               //  WIRE_TOK_FLOAT (float32 widened)
    size_t n;               //  ARRAY/MAP items, STR body bytes
    const char *str;        //  WIRE_TOK_STR body in the frame
} wire_tok_t;

//  The frame being read; copy and tail belong to the event being built.
typedef struct {
    const unsigned char *p; //  the frame
    size_t pos, size;
    char *copy;             //  where the frame's copy goes in the event's block
    uint64_t *ends;         //  bit i: a string ends at copy [i] (its NUL)
    char *tail;             //  rest of the block: lists, metrics, remedy
    size_t tail_left;
    char *err;
    size_t errlen;
} wire_reader_t;

//  Sets "truncated frame" in r->err; returns -1.
int wire_truncated (wire_reader_t *r);

//  wire_read past its fast path: every type byte. b was read already.
int wire_read_slow (wire_reader_t *r, wire_tok_t *t, int depth, unsigned b);

//  Read and validate any value under a key we do not know: JSON-like values
//  only, UTF-8 strings, string keys (key, key_len name it in errors).
//  Returns 0, or -1 with r->err set.
int wire_skip (wire_reader_t *r, int depth, const char *key, int key_len);

//  Room for n bytes from the tail of the event's block, aligned for pointers
//  and doubles; NULL (r->err set) when the block's bound was miscounted.
void *wire_alloc (wire_reader_t *r, size_t n);

//  wire_read_slow into a copy, so that the caller's token never has its
//  address taken on the fast path (it can then live in registers).
static inline int
wire_read_slow_copy (wire_reader_t *r, wire_tok_t *t, int depth, unsigned b)
{
    wire_tok_t slow = { .kind = WIRE_TOK_NIL };
    int rc = wire_read_slow (r, &slow, depth, b);
    *t = slow;
    return rc;
}

//  Read the header of the next object, nested in depth containers. Strings,
//  bin and ext are consumed whole; a container's elements are left to read.
//  The fast path takes what a heal event is made of (fixint, strings up to
//  str8, nil, booleans, unsigned integers, float64, fixmap and fixarray);
//  wire_read_slow the rest and every error.
static inline __attribute__ ((always_inline)) int
wire_read (wire_reader_t *r, wire_tok_t *t, int depth)
{
    if (r->pos >= r->size)
        return wire_truncated (r);
    unsigned b = r->p [r->pos++];
    if (b <= 0x7f) {
        t->kind = WIRE_TOK_UINT;
        t->u = b;
        return 0;
    }
    size_t n;
    if (b >= 0xa0 && b <= 0xbf)
        n = b & 0x1f;
    else
    if (b == 0xd9 && r->pos < r->size)
        n = r->p [r->pos++];
    else
    if (b >= 0xc0 && b <= 0xc3 && b != 0xc1) {
        t->kind = b == 0xc0 ? WIRE_TOK_NIL : WIRE_TOK_BOOL;
        t->b = b == 0xc3;
        return 0;
    }
    else
    if (b >= 0xcb && b <= 0xcf) {
        //  float64 (0xcb), uint 8/16/32/64 (0xcc..0xcf)
        size_t bytes = b == 0xcb ? 8 : (size_t) 1 << (b - 0xcc);
        if (r->size - r->pos < bytes)
            return wire_truncated (r);
        uint64_t v = wire_be (r->p + r->pos, bytes);
        r->pos += bytes;
        if (b == 0xcb) {
            t->kind = WIRE_TOK_FLOAT;
            memcpy (&t->f, &v, sizeof t->f);
        }
        else {
            t->kind = WIRE_TOK_UINT;
            t->u = v;
        }
        return 0;
    }
    else
    if (b <= 0x9f && depth < EVENT_MAX_DEPTH) {
        //  fixmap, fixarray: every element takes at least one byte
        n = b & 0x0f;
        bool map = b <= 0x8f;
        if ((map ? 2 * n : n) > r->size - r->pos)
            return wire_read_slow_copy (r, t, depth, b);
        t->kind = map ? WIRE_TOK_MAP : WIRE_TOK_ARRAY;
        t->n = n;
        return 0;
    }
    else
        return wire_read_slow_copy (r, t, depth, b);
    if (n > r->size - r->pos)
        return wire_truncated (r);
    t->kind = WIRE_TOK_STR;
    t->n = n;
    t->str = (const char *) r->p + r->pos;
    r->pos += n;
    return 0;
}

//  Is the string t just read valid UTF-8 without NUL? (wire_utf8_valid_in,
//  with the rest of the frame as readable bytes.)
static inline __attribute__ ((always_inline)) bool
wire_tok_utf8 (const wire_reader_t *r, const wire_tok_t *t)
{
    size_t off = (size_t) ((const unsigned char *) t->str - r->p);
    return wire_utf8_valid_in (t->str, t->n, r->size - off);
}

static inline int
wire_int (wire_reader_t *r, const wire_tok_t *t, int64_t *out, const char *name)
{
    if (t->kind == WIRE_TOK_UINT) {
        if (t->u > INT64_MAX) {
            wire_err (r->err, r->errlen, "field %s: integer out of range", name);
            return -1;
        }
        *out = (int64_t) t->u;
        return 0;
    }
    if (t->kind == WIRE_TOK_NINT)
        wire_err (r->err, r->errlen, "field %s: must not be negative", name);
    else
        wire_err (r->err, r->errlen, "field %s: expected an integer", name);
    return -1;
}

//  A string of at most max bytes, borrowed from the frame's copy (which is
//  written, NUL-terminated, once the frame is read). nil is accepted when
//  allow_nil.
static inline __attribute__ ((always_inline)) int
wire_str (wire_reader_t *r, const wire_tok_t *t, size_t max, bool nonempty, bool allow_nil,
          char **out, const char *name)
{
    if (allow_nil && t->kind == WIRE_TOK_NIL) {
        *out = NULL;
        return 0;
    }
    if (t->kind != WIRE_TOK_STR) {
        wire_err (r->err, r->errlen, "field %s: expected a string", name);
        return -1;
    }
    if (t->n > max) {
        wire_err (r->err, r->errlen, "field %s: longer than %zu bytes", name, max);
        return -1;
    }
    if (nonempty && t->n == 0) {
        wire_err (r->err, r->errlen, "field %s: must not be empty", name);
        return -1;
    }
    if (!wire_tok_utf8 (r, t)) {
        wire_err (r->err, r->errlen, "field %s: string is not valid UTF-8", name);
        return -1;
    }
    size_t off = (size_t) ((const unsigned char *) t->str - r->p);
    size_t end = off + t->n;
    r->ends [end / 64] |= 1ull << (end % 64);
    *out = r->copy + off;
    return 0;
}

//  The value readers of event_decode's compound fields (event_values.c):
//  kind and n are what the value's header said (read already). Each returns
//  0, or -1 with r->err set. A list of strings (names: check names),
//  metrics, cycle counts, a remedy (nil or a map).
int wire_list (wire_reader_t *r, wire_tok_kind_t kind, size_t n, size_t max_items, size_t max,
               bool names, char ***list, size_t *count, const char *name);
int wire_metrics (wire_reader_t *r, wire_tok_kind_t kind, size_t n, event_t *self);
int wire_counts (wire_reader_t *r, wire_tok_kind_t kind, size_t n, event_t *self);
int wire_remedy (wire_reader_t *r, wire_tok_kind_t kind, size_t n, event_t *self);

//  The block of a decoded event: size bytes (BLOCK_SMALL when it fits),
//  from this thread's spare when it has one (event_block.c).
#define BLOCK_SMALL 2048
event_t *wire_block_new (size_t size);

#endif
