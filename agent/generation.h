//  generation — a loaded config and its configured check instances
//  (agent_gen_t in agent_impl.h). The agent holds the current one; each job
//  in flight holds a ref on the one it started with, so a reload never frees
//  what a worker is using. Main thread only.

#ifndef HEAL_GENERATION_H_INCLUDED
#define HEAL_GENERATION_H_INCLUDED

#include <stddef.h>

struct agent_gen_t;

//  Load file (NULL: built-in defaults) and configure every check. NULL with
//  err (`FILE: where: what`) on any error. One ref, the caller's.
struct agent_gen_t *generation_load (const char *file, char *err, size_t errlen);
struct agent_gen_t *generation_ref (struct agent_gen_t *gen);
//  Drop a ref; the last one destroys the instances and the config.
void generation_unref (struct agent_gen_t **gen_p);

#endif
