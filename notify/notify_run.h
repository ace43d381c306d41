//  notify_run — heal-notify as a whole: built from the config, run until
//  SIGTERM/SIGINT (notify.c).

#ifndef HEAL_NOTIFY_RUN_H_INCLUDED
#define HEAL_NOTIFY_RUN_H_INCLUDED

#include "notify.h"

typedef struct notify_t notify_t;

//  Takes ownership of *config_p and *notify_p. NULL with err on failure.
notify_t *notify_new (heal_config_t **config_p, notify_config_t **notify_p, bool verbose,
                      char *err, size_t errlen);
void notify_destroy (notify_t **self_p);

//  Blocks until interrupted. Returns 0 (clean stop) or -1.
int notify_run (notify_t *self);

#endif
