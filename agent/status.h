//  status — the `status` reply (schemas/control-commands.md), encoded
//  straight into msgpack. Each check's entry is encoded once and kept until
//  something it shows changes (status_key_t), so a `status` with 100 checks
//  copies 100 cached fragments instead of building and walking 100 JSON
//  trees. Main thread only.

#ifndef HEAL_STATUS_H_INCLUDED
#define HEAL_STATUS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <msgpack.h>
#include "heal/heal.h"

typedef struct agent_t agent_t;
typedef struct agent_check_t agent_check_t;

//  Everything a check's status entry shows besides its config (cfg is in it
//  by pointer: a reload makes a new one). Equal keys, equal entries.
typedef struct {
    const void *cfg;
    uint64_t last_serial;           //  bumped whenever check->last changes
    int64_t interval_ms;
    bool has_severity;
    int severity;
    int64_t since;
    int64_t streak;
    int used;
    bool gave_up;
    int64_t backoff_until;
    int64_t muted_until;            //  0 when not muted now
    bool running;
    int64_t heals_7d;               //  heals in the last 7 UTC days
} status_key_t;

//  A check's cached entry (in agent_check_t).
typedef struct {
    status_key_t key;
    char *data;                     //  msgpack bytes, owned; NULL when none
    size_t size;
} status_cache_t;

void status_cache_free (status_cache_t *self);

//  Encode the whole reply ({ok: true, error: nil, data: status}) into buf
//  (cleared first). 0, or -1 when it cannot be encoded.
int status_reply_encode (agent_t *self, msgpack_sbuffer *buf);

#endif
