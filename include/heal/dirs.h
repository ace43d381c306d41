//  dirs — heal's per-user directories (runtime dir for ipc sockets, state dir).
//  bus/dirs.c, with the per-OS parts in bus/platform_<os>.c.

#ifndef HEAL_DIRS_H_INCLUDED
#define HEAL_DIRS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  The per-user runtime directory for ipc sockets, created 0700 if needed:
//  $XDG_RUNTIME_DIR/heal, else /tmp/heal-<uid> (macOS: $TMPDIR/heal).
//  Refuses (NULL) a directory owned by someone else or open to others.
//  Caller frees.
char *heal_runtime_dir (void);

//  Default state dir: $XDG_STATE_HOME/heal or ~/.local/state/heal
//  (macOS: ~/Library/Application Support/heal). Caller frees.
char *heal_default_state_dir (void);

//  The state dir rule (report.json, state.json, incidents.jsonl): a directory
//  owned by the effective user and not writable by group or others, so nobody
//  else can plant a state file or a symlink in it. Absent: created 0700 when
//  create, else fine (-n). Returns 0, or -1 with err set (what and why).
int heal_state_dir_check (const char *dir, bool create, char *err, size_t errlen);

#endif
