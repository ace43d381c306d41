//  dirs — heal's per-user directories (runtime dir for ipc sockets, state dir).
//  bus/dirs.c, with the per-OS parts in bus/platform_<os>.c.

#ifndef HEAL_DIRS_H_INCLUDED
#define HEAL_DIRS_H_INCLUDED

//  The per-user runtime directory for ipc sockets, created 0700 if needed:
//  $XDG_RUNTIME_DIR/heal, else /tmp/heal-<uid> (macOS: $TMPDIR/heal).
//  Refuses (NULL) a directory owned by someone else or open to others.
//  Caller frees.
char *heal_runtime_dir (void);

//  Default state dir: $XDG_STATE_HOME/heal or ~/.local/state/heal
//  (macOS: ~/Library/Application Support/heal). Caller frees.
char *heal_default_state_dir (void);

#endif
