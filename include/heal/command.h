//  command — run a command from the config: /bin/sh -c with the config's PATH,
//  stdin from /dev/null, in its own process group, with a timeout after which
//  the whole group is killed (TERM, then KILL), and bounded captured output.
//  Only strings from the config file ever reach the shell. The agent's checks
//  and remedies and heal-notify's command destinations all run through it
//  (bus/command.c); heal-notify adds its own environment and stdin
//  (command_run_with).
//
//  What happens to what a command leaves behind depends on its role:
//  - a check (the default) is a probe: when it exits, its whole process group
//    is ended (TERM, then KILL after COMMAND_KILL_GRACE_MS), so a plugin's
//    background children never outlive its run; when the agent stops
//    (command_stop_checks), checks in flight are ended the same way.
//  - a remedy is a repair: it runs in its own session (setsid), and what it
//    starts (a daemon) outlives it, the agent's restart and the agent's stop.
//    Only its timeout ends its group.

#ifndef HEAL_COMMAND_H_INCLUDED
#define HEAL_COMMAND_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMMAND_MAX_OUTPUT   (64 * 1024)   //  hard cap on captured output, bytes
#define COMMAND_KILL_GRACE_MS 500          //  TERM -> KILL delay (timeout, leftovers, stop)
#define COMMAND_POLL_MS      20            //  how often a run looks at its leader and the stop

typedef struct {
    int exit_code;          //  exit status, or -1 when killed by a signal
    int signal;             //  terminating signal, 0 if none
    bool timed_out;         //  killed at the timeout
    bool cancelled;         //  killed because the agent is stopping (checks only)
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

//  What command_run_with adds to a run; zeroed, a run as command_run_argv's.
typedef struct {
    const char *const *envp;    //  the child's whole environment, borrowed
                                //  (NULL: ours with PATH replaced by path)
    const char *input;          //  written to its stdin, which is then closed
    size_t input_len;           //  (0: stdin from /dev/null). The caller
                                //  ignores SIGPIPE: a child may not read it.
} command_opts_t;

//  command_run_argv with opts (NULL: none).
int command_run_with (const char *const *argv, const char *path, int64_t timeout_ms,
                      size_t max_output, const command_opts_t *opts,
                      command_result_t *out);

//  program (a bare name looked up in path, NULL: the default PATH; or a path
//  with a '/') when it is an executable file. Returns the full path, owned,
//  or NULL.
char *command_which (const char *program, const char *path);

//  The role of the commands a thread runs (see the top of this file).
typedef enum {
    COMMAND_ROLE_CHECK = 0,     //  the default
    COMMAND_ROLE_REMEDY
} command_role_t;

//  Set the calling thread's role for the commands it runs from now on;
//  returns the previous one. The worker sets COMMAND_ROLE_REMEDY around a
//  kind's remedy(), so everything a remedy runs (its shell command, launchctl,
//  systemctl) is a remedy, whatever the kind.
command_role_t command_role_set (command_role_t role);

//  stopping true: the agent is stopping. Check commands in flight are ended
//  within COMMAND_POLL_MS (their group TERM, then KILL after the grace; the
//  result says cancelled) and new ones are refused (-1, ECANCELED). Remedies
//  are left to finish. false undoes it. Any thread.
void command_stop_checks (bool stopping);

//  Free what a result owns; the struct itself is the caller's.
void command_result_free (command_result_t *out);

#endif
