//  wire_read — the bounded msgpack reader behind the bus decoder (wire_read.h).

#include <stdio.h>
#include <string.h>
#include "wire.h"
#include "wire_read.h"

int
wire_truncated (wire_reader_t *r)
{
    wire_err (r->err, r->errlen, "truncated frame");
    return -1;
}

//  n bytes after the type byte, as a big-endian number.
static int
s_take (wire_reader_t *r, size_t n, uint64_t *v)
{
    if (r->size - r->pos < n)
        return wire_truncated (r);
    *v = wire_be (r->p + r->pos, n);
    r->pos += n;
    return 0;
}

//  Skip a body of n bytes (bin, ext).
static int
s_body (wire_reader_t *r, uint64_t n)
{
    if (n > r->size - r->pos)
        return wire_truncated (r);
    r->pos += (size_t) n;
    return 0;
}

//  wire_read past its fast path: every type byte. b was read already.
int
wire_read_slow (wire_reader_t *r, wire_tok_t *t, int depth, unsigned b)
{
    uint64_t v = 0;
    size_t len_bytes = 0;

    if (b >= 0xe0) {
        t->kind = WIRE_TOK_NINT;
        t->i = (int64_t) b - 256;
        return 0;
    }
    if (b <= 0x8f) {
        t->kind = WIRE_TOK_MAP;
        v = b & 0x0f;
        goto container;
    }
    if (b <= 0x9f) {
        t->kind = WIRE_TOK_ARRAY;
        v = b & 0x0f;
        goto container;
    }
    switch (b) {
        case 0xc0:
            t->kind = WIRE_TOK_NIL;
            return 0;
        case 0xc2:
        case 0xc3:
            t->kind = WIRE_TOK_BOOL;
            t->b = b == 0xc3;
            return 0;
        case 0xc4: case 0xc5: case 0xc6:                    //  bin 8/16/32
            t->kind = WIRE_TOK_BIN;
            len_bytes = (size_t) 1 << (b - 0xc4);
            return s_take (r, len_bytes, &v) ? -1 : s_body (r, v);
        case 0xc7: case 0xc8: case 0xc9:                    //  ext 8/16/32 (+type)
            t->kind = WIRE_TOK_EXT;
            len_bytes = (size_t) 1 << (b - 0xc7);
            return s_take (r, len_bytes, &v) ? -1 : s_body (r, v + 1);
        case 0xca: {
            if (s_take (r, 4, &v))
                return -1;
            uint32_t bits = (uint32_t) v;
            float f;
            memcpy (&f, &bits, sizeof f);
            t->kind = WIRE_TOK_FLOAT;
            t->f = f;
            return 0;
        }
        case 0xcb: {
            if (s_take (r, 8, &v))
                return -1;
            memcpy (&t->f, &v, sizeof t->f);
            t->kind = WIRE_TOK_FLOAT;
            return 0;
        }
        case 0xcc: case 0xcd: case 0xce: case 0xcf:         //  uint 8/16/32/64
            t->kind = WIRE_TOK_UINT;
            return s_take (r, (size_t) 1 << (b - 0xcc), &t->u);
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: {       //  int 8/16/32/64
            size_t n = (size_t) 1 << (b - 0xd0);
            if (s_take (r, n, &v))
                return -1;
            //  sign-extend from n bytes
            int64_t x = n == 8 ? (int64_t) v
                      : (int64_t) (v ^ ((uint64_t) 1 << (8 * n - 1)))
                        - ((int64_t) 1 << (8 * n - 1));
            if (x >= 0) {
                t->kind = WIRE_TOK_UINT;
                t->u = (uint64_t) x;
            }
            else {
                t->kind = WIRE_TOK_NINT;
                t->i = x;
            }
            return 0;
        }
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:  //  fixext 1..16 (+type)
            t->kind = WIRE_TOK_EXT;
            return s_body (r, ((uint64_t) 1 << (b - 0xd4)) + 1);
        case 0xd9: case 0xda: case 0xdb:                    //  str 8/16/32
            if (s_take (r, (size_t) 1 << (b - 0xd9), &v))
                return -1;
            goto string;
        case 0xdc: case 0xdd:                               //  array 16/32
            t->kind = WIRE_TOK_ARRAY;
            if (s_take (r, b == 0xdc ? 2 : 4, &v))
                return -1;
            goto container;
        case 0xde: case 0xdf:                               //  map 16/32
            t->kind = WIRE_TOK_MAP;
            if (s_take (r, b == 0xde ? 2 : 4, &v))
                return -1;
            goto container;
        default:
            wire_err (r->err, r->errlen, "invalid msgpack type byte 0x%02x", b);
            return -1;
    }
string:
    if (v > r->size - r->pos)
        return wire_truncated (r);
    t->kind = WIRE_TOK_STR;
    t->n = (size_t) v;
    t->str = (const char *) r->p + r->pos;
    r->pos += (size_t) v;
    return 0;
container:
    if (depth + 1 > EVENT_MAX_DEPTH) {
        wire_err (r->err, r->errlen, "nesting deeper than %d", EVENT_MAX_DEPTH);
        return -1;
    }
    //  every element takes at least one byte
    if ((t->kind == WIRE_TOK_MAP ? v * 2 : v) > r->size - r->pos) {
        wire_err (r->err, r->errlen, "truncated frame (container of %llu items)",
                  (unsigned long long) v);
        return -1;
    }
    t->n = (size_t) v;
    return 0;
}

int
wire_skip (wire_reader_t *r, int depth, const char *key, int key_len)
{
    wire_tok_t t = { .kind = WIRE_TOK_NIL };
    if (wire_read (r, &t, depth))
        return -1;
    switch (t.kind) {
        case WIRE_TOK_STR:
            if (!wire_tok_utf8 (r, &t)) {
                wire_err (r->err, r->errlen, "field %.*s: string is not valid UTF-8",
                          key_len, key);
                return -1;
            }
            return 0;
        case WIRE_TOK_BIN:
        case WIRE_TOK_EXT:
            wire_err (r->err, r->errlen, "field %.*s: bin and ext values are not allowed",
                      key_len, key);
            return -1;
        case WIRE_TOK_ARRAY:
            for (size_t i = 0; i < t.n; i++)
                if (wire_skip (r, depth + 1, key, key_len))
                    return -1;
            return 0;
        case WIRE_TOK_MAP:
            for (size_t i = 0; i < t.n; i++) {
                wire_tok_t k = { .kind = WIRE_TOK_NIL };
                if (wire_read (r, &k, depth + 1))
                    return -1;
                if (k.kind != WIRE_TOK_STR) {
                    wire_err (r->err, r->errlen, "field %.*s: map key is not a string",
                              key_len, key);
                    return -1;
                }
                if (!wire_tok_utf8 (r, &k)) {
                    wire_err (r->err, r->errlen, "field %.*s: string is not valid UTF-8",
                              key_len, key);
                    return -1;
                }
                if (wire_skip (r, depth + 1, key, key_len))
                    return -1;
            }
            return 0;
        default:
            return 0;
    }
}

void *
wire_alloc (wire_reader_t *r, size_t n)
{
    n = (n + 7) & ~(size_t) 7;
    if (n > r->tail_left) {
        wire_err (r->err, r->errlen, "out of memory");     //  bound miscounted
        return NULL;
    }
    void *p = r->tail;
    r->tail += n;
    r->tail_left -= n;
    return p;
}
