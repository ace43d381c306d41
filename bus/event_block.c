//  event_block — the heap blocks of decoded events (wire_read.h, wire.h).
//
//  A subscriber decodes and destroys one event after another: each thread
//  keeps the block of the last small event it destroyed and the next decode
//  on that thread takes it instead of a malloc (glibc's per-thread cache
//  stops at 1 KiB; a check event's block is about 1.6 KiB). Small blocks are
//  all BLOCK_SMALL bytes so that any cached one fits; a thread's cached block
//  is freed when the thread ends.

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include "heal/event.h"
#include "wire.h"
#include "wire_read.h"

static __thread event_t *s_spare;
static __thread bool s_spare_watched;   //  s_spare_key set for this thread
static pthread_key_t s_spare_key;
static pthread_once_t s_spare_once = PTHREAD_ONCE_INIT;

//  At thread exit: value is the ending thread's &s_spare.
static void
s_spare_free (void *value)
{
    event_t **spare = (event_t **) value;
    free (*spare);
    *spare = NULL;
}

static void
s_spare_init (void)
{
    pthread_key_create (&s_spare_key, s_spare_free);
}

event_t *
wire_block_new (size_t size)
{
    if (size == BLOCK_SMALL && s_spare) {
        event_t *self = s_spare;
        s_spare = NULL;
        return self;
    }
    return (event_t *) malloc (size);
}

//  Under AddressSanitizer every block is freed, so that a use after
//  event_destroy is still caught.
#if defined (__SANITIZE_ADDRESS__)
#   define BLOCK_SPARE 0
#elif defined (__has_feature)
#   if __has_feature (address_sanitizer)
#       define BLOCK_SPARE 0
#   endif
#endif
#ifndef BLOCK_SPARE
#   define BLOCK_SPARE 1
#endif

void
wire_block_free (event_t *self)
{
    if (BLOCK_SPARE && self->block_size == BLOCK_SMALL && !s_spare) {
        if (!s_spare_watched) {
            pthread_once (&s_spare_once, s_spare_init);
            pthread_setspecific (s_spare_key, &s_spare);
            s_spare_watched = true;
        }
        s_spare = self;
        return;
    }
    free (self);
}
