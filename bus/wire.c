//  wire — bounds pre-check of msgpack frames and small helpers shared by the
//  bus codecs. See wire.h for why the pre-check exists.

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "heal/topic.h"
#include "heal/util.h"
#include "wire.h"

void
wire_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
}

void
wire_ok (char *err, size_t errlen)
{
    if (err && errlen >= 3)
        memcpy (err, "ok", 3);
    else
        wire_err (err, errlen, "ok");
}

char *
wire_strndup (const char *s, size_t len)
{
    char *copy = (char *) malloc (len + 1);
    if (copy) {
        if (len)                //  msgpack-c gives an empty string a NULL body
            memcpy (copy, s, len);
        copy [len] = 0;
    }
    return copy;
}

//  Big-endian length of n bytes at p.
int
wire_scan (const void *data, size_t size, int max_depth, char *err, size_t errlen)
{
    if (max_depth < 0 || max_depth > WIRE_SCAN_MAX_DEPTH)
        max_depth = WIRE_SCAN_MAX_DEPTH;
    const unsigned char *p = (const unsigned char *) data;
    //  left [d]: objects still expected at nesting level d
    uint64_t left [WIRE_SCAN_MAX_DEPTH + 1];
    int depth = 0;
    left [0] = 1;
    size_t pos = 0;
    if (!data && size)
        return -1;

    while (depth >= 0) {
        if (left [depth] == 0) {
            depth--;
            continue;
        }
        left [depth]--;
        if (pos >= size) {
            wire_err (err, errlen, "truncated frame");
            return -1;
        }
        unsigned char b = p [pos++];
        size_t hdr = 0;             //  length bytes after the type byte
        size_t fixed = 0;           //  payload bytes of fixed-size types
        int kind = 0;               //  0 scalar, 1 sized body, 2 array, 3 map
        uint64_t n = 0;

        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            ;
        else
        if (b >= 0x80 && b <= 0x8f) { kind = 3; n = b & 0x0f; }
        else
        if (b >= 0x90 && b <= 0x9f) { kind = 2; n = b & 0x0f; }
        else
        if (b >= 0xa0 && b <= 0xbf) { kind = 1; n = b & 0x1f; }
        else {
            switch (b) {
                case 0xc4: case 0xd9: kind = 1; hdr = 1; break;     //  bin8, str8
                case 0xc5: case 0xda: kind = 1; hdr = 2; break;     //  bin16, str16
                case 0xc6: case 0xdb: kind = 1; hdr = 4; break;     //  bin32, str32
                case 0xc7: kind = 1; hdr = 1; fixed = 1; break;     //  ext8 (+type)
                case 0xc8: kind = 1; hdr = 2; fixed = 1; break;     //  ext16
                case 0xc9: kind = 1; hdr = 4; fixed = 1; break;     //  ext32
                case 0xca: fixed = 4; break;                        //  float32
                case 0xcb: fixed = 8; break;                        //  float64
                case 0xcc: case 0xd0: fixed = 1; break;
                case 0xcd: case 0xd1: fixed = 2; break;
                case 0xce: case 0xd2: fixed = 4; break;
                case 0xcf: case 0xd3: fixed = 8; break;
                case 0xd4: fixed = 2; break;                        //  fixext1
                case 0xd5: fixed = 3; break;
                case 0xd6: fixed = 5; break;
                case 0xd7: fixed = 9; break;
                case 0xd8: fixed = 17; break;
                case 0xdc: kind = 2; hdr = 2; break;
                case 0xdd: kind = 2; hdr = 4; break;
                case 0xde: kind = 3; hdr = 2; break;
                case 0xdf: kind = 3; hdr = 4; break;
                default:
                    wire_err (err, errlen, "invalid msgpack type byte 0x%02x", b);
                    return -1;
            }
        }
        if (hdr) {
            if (size - pos < hdr) {
                wire_err (err, errlen, "truncated frame");
                return -1;
            }
            n = wire_be (p + pos, hdr);
            pos += hdr;
        }
        if (kind == 2 || kind == 3) {
            if (depth + 1 > max_depth) {
                wire_err (err, errlen, "nesting deeper than %d", max_depth);
                return -1;
            }
            //  every element takes at least one byte
            uint64_t elements = kind == 3 ? n * 2 : n;
            if (elements > size - pos) {
                wire_err (err, errlen, "truncated frame (container of %llu items)",
                          (unsigned long long) n);
                return -1;
            }
            left [++depth] = elements;
        }
        else {
            uint64_t body = fixed + (kind == 1 ? n : 0);
            if (body > size - pos) {
                wire_err (err, errlen, "truncated frame");
                return -1;
            }
            pos += (size_t) body;
        }
    }
    if (pos != size) {
        wire_err (err, errlen, "%zu trailing bytes after the payload", size - pos);
        return -1;
    }
    return 0;
}

//  The topic of event as pieces (at most four: TOPIC_CHECK, severity, ".",
//  check). Returns their count, or -1 when the event has no topic.
typedef struct {
    const char *s;
    size_t len;
} piece_t;

static inline __attribute__ ((always_inline)) int
s_topic_pieces (const event_t *event, piece_t pieces [4])
{
#define PIECE(str, n) (pieces [count].s = (str), pieces [count].len = (n), count++)
    int count = 0;
    const char *severity = NULL;
    size_t check_len = 0;
    if (event->type == EVENT_CHECK || event->type == EVENT_ALERT) {
        //  A decoded event's name was checked by the decoder (F_NAME).
        check_len = event->check ? strnlen (event->check, EVENT_MAX_NAME + 1) : 0;
        if (check_len == 0 || (!event->block_size && !heal_name_valid_n (event->check, check_len)))
            return -1;
    }
    switch (event->type) {
        case EVENT_CHECK:
            severity = severity_name (event->severity);
            if (!severity)
                return -1;
            PIECE (TOPIC_CHECK, TOPIC_LEN (TOPIC_CHECK));
            PIECE (severity, strlen (severity));
            PIECE (".", 1);
            PIECE (event->check, check_len);
            break;
        case EVENT_ALERT:
            PIECE (TOPIC_ALERT, TOPIC_LEN (TOPIC_ALERT));
            PIECE (event->check, check_len);
            break;
        case EVENT_CYCLE:
            PIECE (TOPIC_CYCLE, TOPIC_LEN (TOPIC_CYCLE));
            break;
        case EVENT_DIAGNOSIS:
            PIECE (TOPIC_DIAGNOSIS, TOPIC_LEN (TOPIC_DIAGNOSIS));
            break;
        case EVENT_AGENT:
            PIECE (TOPIC_AGENT, TOPIC_LEN (TOPIC_AGENT));
            break;
        default:
            return -1;
    }
    return count;
#undef PIECE
}

int
wire_topic (const event_t *event, char *buf, size_t size)
{
    if (!buf || size == 0)
        return -1;
    buf [0] = 0;
    piece_t pieces [4];
    int count = s_topic_pieces (event, pieces);
    if (count < 0)
        return -1;
    size_t pos = 0;
    for (int i = 0; i < count; i++) {
        if (pos + pieces [i].len >= size)
            return -1;
        memcpy (buf + pos, pieces [i].s, pieces [i].len);
        pos += pieces [i].len;
    }
    buf [pos] = 0;
    return (int) pos;
}

bool
wire_topic_is (const event_t *event, const char *topic, size_t size)
{
    piece_t pieces [4];
    int count = s_topic_pieces (event, pieces);
    size_t pos = 0;
    for (int i = 0; i < count; i++) {
        if (pieces [i].len > size - pos || memcmp (topic + pos, pieces [i].s, pieces [i].len))
            return false;
        pos += pieces [i].len;
    }
    return count > 0 && pos == size;
}
