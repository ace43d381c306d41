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
static uint64_t
s_be (const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p [i];
    return v;
}

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
            n = s_be (p + pos, hdr);
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

//  Append len bytes of s at *pos in buf (size bytes). -1 when it does not fit.
static int
s_append (char *buf, size_t size, size_t *pos, const char *s, size_t len)
{
    if (*pos + len >= size)
        return -1;
    memcpy (buf + *pos, s, len);
    *pos += len;
    buf [*pos] = 0;
    return 0;
}

int
wire_topic (const event_t *event, char *buf, size_t size)
{
    size_t pos = 0;
    const char *severity = NULL;
    if (!buf || size == 0)
        return -1;
    buf [0] = 0;
    switch (event->type) {
        case EVENT_CHECK:
            severity = severity_name (event->severity);
            if (!event->check || !heal_name_valid (event->check) || !severity
            ||  s_append (buf, size, &pos, TOPIC_CHECK, TOPIC_LEN (TOPIC_CHECK))
            ||  s_append (buf, size, &pos, severity, strlen (severity))
            ||  s_append (buf, size, &pos, ".", 1)
            ||  s_append (buf, size, &pos, event->check, strlen (event->check)))
                return -1;
            break;
        case EVENT_ALERT:
            if (!event->check || !heal_name_valid (event->check)
            ||  s_append (buf, size, &pos, TOPIC_ALERT, TOPIC_LEN (TOPIC_ALERT))
            ||  s_append (buf, size, &pos, event->check, strlen (event->check)))
                return -1;
            break;
        case EVENT_CYCLE:
            if (s_append (buf, size, &pos, TOPIC_CYCLE, TOPIC_LEN (TOPIC_CYCLE)))
                return -1;
            break;
        case EVENT_DIAGNOSIS:
            if (s_append (buf, size, &pos, TOPIC_DIAGNOSIS, TOPIC_LEN (TOPIC_DIAGNOSIS)))
                return -1;
            break;
        case EVENT_AGENT:
            if (s_append (buf, size, &pos, TOPIC_AGENT, TOPIC_LEN (TOPIC_AGENT)))
                return -1;
            break;
        default:
            return -1;
    }
    return (int) pos;
}
