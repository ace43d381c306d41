//  command — run a command from the config: /bin/sh -c with the config's PATH,
//  stdin from /dev/null, in its own process group, with a timeout after which
//  the whole group is killed (TERM, then KILL), and bounded captured output.
//  Only strings from the config file ever reach the shell.

#ifndef HEAL_COMMAND_H_INCLUDED
#define HEAL_COMMAND_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMMAND_MAX_OUTPUT   (64 * 1024)   //  hard cap on captured output, bytes
#define COMMAND_KILL_GRACE_MS 500          //  TERM -> KILL delay on timeout

typedef struct {
    int exit_code;          //  exit status, or -1 when killed by a signal
    int signal;             //  terminating signal, 0 if none
    bool timed_out;         //  killed at the timeout
    bool truncated;         //  output exceeded max_output
    char *output;           //  stdout+stderr, safe UTF-8, owned (never NULL on 0)
    size_t output_len;
    int64_t duration_ms;
} command_result_t;

//  Run `/bin/sh -c cmdline`. path: the PATH for the child (NULL = default).
//  Blocks up to timeout_ms (+ the kill grace). Returns 0 when the command was
//  run (whatever its exit), -1 when it could not be started (errno kept).
int command_run (const char *cmdline, const char *path, int64_t timeout_ms,
                 size_t max_output, command_result_t *out);

//  Same with an argv vector and no shell (built-in remedies: launchctl,
//  systemctl). argv[0] is looked up in path.
int command_run_argv (const char *const *argv, const char *path, int64_t timeout_ms,
                      size_t max_output, command_result_t *out);

//  Free what a result owns; the struct itself is the caller's.
void command_result_free (command_result_t *out);

#endif
