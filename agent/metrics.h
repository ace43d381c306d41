//  metrics — the `metrics` reply (schemas/control-commands.md): what
//  heal-exporter renders, and only that, packed straight into msgpack with
//  one array row per check, so a scrape of 1,000 checks stays cheap for the
//  main thread (no JSON tree built on the way). Main thread only.

#ifndef HEAL_METRICS_H_INCLUDED
#define HEAL_METRICS_H_INCLUDED

#include <msgpack.h>

typedef struct agent_t agent_t;

//  Encode the whole reply ({ok: true, error: nil, data: metrics}) into buf
//  (cleared first). 0, or -1 when it cannot be encoded (or is too large).
int metrics_reply_encode (agent_t *self, msgpack_sbuffer *buf);

#endif
