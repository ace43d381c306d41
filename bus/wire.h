//  wire — private helpers shared by the bus codecs (event*.c, control.c, bus.c).
//  Not installed, not part of libheal's public interface.

#ifndef HEAL_WIRE_H_INCLUDED
#define HEAL_WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "heal/event.h"
#include "heal/util.h"

//  Deepest container nesting wire_scan can check.
#define WIRE_SCAN_MAX_DEPTH 32

//  Bounds check of one msgpack-encoded object before msgpack-c unpacks it
//  (control requests; bus events are read in one bounded pass, event_decode.c).
//  msgpack-c allocates room for every element a container header declares
//  *before* it reads them, so a 5-byte frame declaring 2^32 elements makes it
//  ask for 64 GiB. This walks only the type and length headers (values are
//  decoded by msgpack-c afterwards) and checks that [data, data + size) holds
//  exactly one object, no container declares more elements than bytes remain,
//  no string/bin/ext runs past the end, containers nest at most max_depth deep
//  and the reserved byte 0xc1 is absent. Returns 0, or -1 with err set.
int wire_scan (const void *data, size_t size, int max_depth, char *err, size_t errlen);

//  Free a decoded event's block (event_block.c keeps one per thread for the
//  next decode).
void wire_block_free (event_t *self);

//  "ok" into err when err is not NULL (cheaper than wire_err on every decode).
void wire_ok (char *err, size_t errlen);

//  Index of an event type / severity name of len bytes, or -1 (event.c).
int wire_type_index (const char *name, size_t len);
int wire_severity_index (const char *name, size_t len);

//  True when the len bytes at result are one of a remedy's results (healed,
//  failed, ...).
bool wire_remedy_result_valid (const char *result, size_t len);

//  printf into err when err is not NULL; always NUL-terminated.
void wire_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  A NUL-terminated copy of len bytes at s (s may be NULL when len is 0).
//  NULL when out of memory.
char *wire_strndup (const char *s, size_t len);

//  A big-endian number of n (1, 2, 4 or 8) bytes at p: one load and a byte
//  swap on the little-endian machines heal runs on (x86_64, arm64).
static inline uint64_t
wire_be (const unsigned char *p, size_t n)
{
#if defined (__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    switch (n) {
        case 1:
            return p [0];
        case 2: {
            uint16_t v;
            memcpy (&v, p, 2);
            return __builtin_bswap16 (v);
        }
        case 4: {
            uint32_t v;
            memcpy (&v, p, 4);
            return __builtin_bswap32 (v);
        }
        default: {
            uint64_t v;
            memcpy (&v, p, 8);
            return __builtin_bswap64 (v);
        }
    }
#else
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p [i];
    return v;
#endif
}

//  Store v as a big-endian number of n (1, 2, 4 or 8) bytes at p.
static inline void
wire_be_put (unsigned char *p, uint64_t v, size_t n)
{
#if defined (__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    switch (n) {
        case 1:
            p [0] = (unsigned char) v;
            return;
        case 2: {
            uint16_t x = __builtin_bswap16 ((uint16_t) v);
            memcpy (p, &x, 2);
            return;
        }
        case 4: {
            uint32_t x = __builtin_bswap32 ((uint32_t) v);
            memcpy (p, &x, 4);
            return;
        }
        default: {
            uint64_t x = __builtin_bswap64 (v);
            memcpy (p, &x, 8);
            return;
        }
    }
#else
    for (size_t i = n; i-- > 0; v >>= 8)
        p [i] = (unsigned char) v;
#endif
}

//  Valid UTF-8 without NUL: fast path for ASCII, heal_utf8_valid otherwise.
//  Inline: the decoder calls it for every string.
static inline bool
wire_utf8_valid (const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *) data;
    size_t i = 0;
    //  Pure ASCII without NUL is by far the common case on the bus: eight
    //  bytes at a time while no byte has its high bit set or is zero.
    const uint64_t high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
    for (; i + 16 <= len; i += 16) {
        uint64_t v, w;
        memcpy (&v, s + i, 8);
        memcpy (&w, s + i + 8, 8);
        if (((v | w) & high) || (((v - ones) & ~v) | ((w - ones) & ~w)) & high)
            break;
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy (&v, s + i, 8);
        if ((v & high) || ((v - ones) & ~v & high))
            break;
    }
    if (i + 8 > len && len >= 8) {
        //  the last 0..7 bytes: one overlapping 8-byte word
        uint64_t v;
        memcpy (&v, s + len - 8, 8);
        if (!((v & high) || ((v - ones) & ~v & high)))
            return true;
    }
    else
    for (; i < len; i++)
        if (s [i] == 0 || s [i] >= 0x80)
            break;
    if (i == len)
        return true;
    return heal_utf8_valid (data + i, len - i);
}

//  wire_utf8_valid for a string inside a frame, with readable bytes of the
//  frame from data on: a string shorter than a word (most keys and names) is
//  tested in one load, the bytes past it masked off.
static inline __attribute__ ((always_inline)) bool
wire_utf8_valid_in (const char *data, size_t len, size_t readable)
{
#if defined (__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len < 8 && readable >= 8) {
        if (len == 0)
            return true;
        const uint64_t high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
        uint64_t v, keep = ~0ULL >> (64 - 8 * len);
        memcpy (&v, data, 8);
        v = (v & keep) | (ones & ~keep);    //  bytes past the string: 0x01
        if (!((v & high) || ((v - ones) & ~v & high)))
            return true;
    }
#else
    (void) readable;
#endif
    return wire_utf8_valid (data, len);
}

//  Write the topic of event into buf (NUL-terminated). Returns its length, or
//  -1 when the event has no topic (a check or alert without a valid name) or
//  the buffer is too small.
int wire_topic (const event_t *event, char *buf, size_t size);

//  True when topic (size bytes) is the topic of event: wire_topic without the
//  copy, for the decoder's check of every message.
bool wire_topic_is (const event_t *event, const char *topic, size_t size);

#endif
