//  state — heal's own state in state_dir/state.json (docs/agent.md): what a
//  restart must not forget. Main thread only.

#ifndef HEAL_STATE_H_INCLUDED
#define HEAL_STATE_H_INCLUDED

typedef struct agent_t agent_t;

//  Load state.json into the configured checks (a corrupt file is logged and
//  ignored, a bad entry skipped). 0 or -1.
int state_load (agent_t *self);
//  Write it atomically now. 0 or -1.
int state_save (agent_t *self);

#endif
