//  statelock — one heal-agent per state dir: an exclusive flock(2) on
//  state_dir/agent.lock, taken before the agent reads or writes anything
//  there or binds a socket, held for the agent's life and released by the
//  kernel when it exits, however it exits (no stale lock after kill -9).
//  The holder's pid is written into the file, for the message of whoever is
//  refused. The descriptor is close-on-exec: a daemon a remedy starts never
//  inherits the lock.

#ifndef HEAL_STATELOCK_H_INCLUDED
#define HEAL_STATELOCK_H_INCLUDED

#define STATELOCK_FILE  "agent.lock"
#define STATELOCK_MAX_PID_TEXT 24       //  bytes of the holder's pid we read or write

typedef struct statelock_t statelock_t;

//  Take the lock on dir (which exists). NULL when it cannot: errno
//  EWOULDBLOCK when another process holds it (*holder = its pid, 0 when it
//  has not written it yet), another errno when the file cannot be opened or
//  locked (a symlink in its place is refused: ELOOP).
statelock_t *statelock_new (const char *dir, int *holder);

//  Release the lock (the file stays: removing it would race with a new
//  holder).
void statelock_destroy (statelock_t **self_p);

#endif
