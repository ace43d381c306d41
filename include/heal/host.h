//  host — this host's name and the monotonic clock. bus/host.c.

#ifndef HEAL_HOST_H_INCLUDED
#define HEAL_HOST_H_INCLUDED

#include <stdint.h>

//  This host's short name (borrowed, cached): the config's agent.host when
//  set (heal_hostname_set), else gethostname's first label.
const char *heal_hostname (void);

//  Use name as this host's name. Only the first call takes effect, and only
//  before anything read heal_hostname (heal_config_load calls it, before a
//  program starts its threads; later calls, e.g. a reload, are ignored).
//  Returns 0, or -1 when name is not [A-Za-z0-9_.-]{1,64} (not starting
//  with . or -).
int heal_hostname_set (const char *name);

//  Monotonic clock, milliseconds.
int64_t heal_monotonic_ms (void);

#endif
