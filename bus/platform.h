//  platform — what libheal does differently per OS, behind one interface.
//
//  Private to libheal (bus/). One file per OS implements it:
//  platform_linux.c, platform_darwin.c; the Makefile builds the one for the
//  OS at hand (as agent/platform_<os>.c for the agent), so no shared file
//  carries an #if on the OS.

#ifndef HEAL_BUS_PLATFORM_H_INCLUDED
#define HEAL_BUS_PLATFORM_H_INCLUDED

#include <stddef.h>

//  The per-user base directory heal's runtime dir goes under (borrowed from
//  the environment, may be NULL): $XDG_RUNTIME_DIR on Linux; on macOS
//  confstr (_CS_DARWIN_USER_TEMP_DIR), which follows the uid (not $TMPDIR).
const char *heal_platform_runtime_base (void);

//  Write heal's default state directory into dir (size bytes): Linux
//  $XDG_STATE_HOME/heal or ~/.local/state/heal, macOS ~/Library/Application
//  Support/heal. Returns 0, or -1 (no home, or too long).
int heal_platform_state_dir (char *dir, size_t size);

//  Home directory of the effective user: $HOME, else the password database.
//  Returns 0 with the path in buf, or -1. (dirs.c, shared by both OSes.)
int heal_home_dir (char *buf, size_t len);

#endif
