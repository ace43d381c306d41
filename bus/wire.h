//  wire — private helpers shared by the bus codecs (event.c, control.c, bus.c).
//  Not installed, not part of libheal's public interface.

#ifndef HEAL_WIRE_H_INCLUDED
#define HEAL_WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "heal/event.h"

//  Deepest container nesting wire_scan can check.
#define WIRE_SCAN_MAX_DEPTH 32

//  Chunk of the per-thread decoding zone: room for a typical event's objects.
#define WIRE_ZONE_CHUNK 8192

//  Bounds check of one msgpack-encoded object before msgpack-c unpacks it.
//  msgpack-c allocates room for every element a container header declares
//  *before* it reads them, so a 5-byte frame declaring 2^32 elements makes it
//  ask for 64 GiB. This walks only the type and length headers (values are
//  decoded by msgpack-c afterwards) and checks that [data, data + size) holds
//  exactly one object, no container declares more elements than bytes remain,
//  no string/bin/ext runs past the end, containers nest at most max_depth deep
//  and the reserved byte 0xc1 is absent. Returns 0, or -1 with err set.
int wire_scan (const void *data, size_t size, int max_depth, char *err, size_t errlen);

//  This thread's msgpack zone for decoding, reused from call to call (one
//  malloc'd chunk stays; msgpack_zone_clear it after use). Freed when the
//  thread exits. NULL when out of memory.
msgpack_zone *wire_zone (void);

//  printf into err when err is not NULL; always NUL-terminated.
void wire_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  A NUL-terminated copy of len bytes at s (s may be NULL when len is 0).
//  NULL when out of memory.
char *wire_strndup (const char *s, size_t len);

//  Valid UTF-8 without NUL: fast path for ASCII, heal_utf8_valid otherwise.
bool wire_utf8_valid (const char *data, size_t len);

//  Write the topic of event into buf (NUL-terminated). Returns its length, or
//  -1 when the event has no topic (a check or alert without a valid name) or
//  the buffer is too small.
int wire_topic (const event_t *event, char *buf, size_t size);

#endif
