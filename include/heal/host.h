//  host — this host's name and the monotonic clock. bus/host.c.

#ifndef HEAL_HOST_H_INCLUDED
#define HEAL_HOST_H_INCLUDED

#include <stdint.h>

//  This host's short name (borrowed, cached).
const char *heal_hostname (void);

//  Monotonic clock, milliseconds.
int64_t heal_monotonic_ms (void);

#endif
