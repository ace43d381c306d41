//  kind_util — small helpers shared by the check kinds: reading a kind's key
//  tables with errors in the house format, time left before the run's
//  deadline, formatted messages and evidence, running a tool, table-driven
//  parsing of a tool's fields, the generic `remedy/run` command and the
//  action/output of a supervisor's remedy.

#ifndef HEAL_KIND_UTIL_H_INCLUDED
#define HEAL_KIND_UTIL_H_INCLUDED

#include "check.h"
#include "heal/command.h"

#define KIND_MAX_COMMAND  CONFIG_MAX_VALUE   //  bytes of a configured command

//  Read the check's block against keys and its remedy block against
//  remedy_keys (either NULL: none) into settings (the kind's instance), with
//  errors in the house format: `FILE: check 'NAME': key 'KEY': what`, a
//  required key missing as "missing: the KIND kind needs it". Key names were
//  checked before (check_configure). Returns 0, or -1 with err set (free what
//  was stored with heal_keys_free).
int kind_configure (const heal_config_t *config, const heal_check_config_t *check,
                    const heal_key_t *keys, const heal_key_t *remedy_keys,
                    void *settings, char *err, size_t errlen);

//  Milliseconds this run may still take: min(check timeout, deadline - now),
//  at least 1.
int64_t kind_time_left (const check_ctx_t *ctx);

//  Set the event's message / add an evidence line, printf style (bounded and
//  made safe by the event functions).
void kind_message (event_t *event, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void kind_evidence (event_t *event, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

//  printf onto the end of the NUL-terminated text in buf (len bytes in all),
//  truncating; nothing when buf is full.
void kind_append (char *buf, size_t len, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  The next line of text [*pos, len) into line (size bytes; the rest of an
//  overlong line is dropped), NUL-terminated; a NUL byte ends a line too.
//  *pos moves past the line's end. Returns the line's length. For the
//  parsers of supervisors' output (launchctl print, systemctl show).
size_t kind_next_line (const char *text, size_t len, size_t *pos, char *line, size_t size);

//  Add the first max_lines non-empty lines of a command's output as evidence,
//  each after prefix (e.g. "launchctl: ").
void kind_evidence_output (event_t *event, const char *prefix, const char *output,
                           int max_lines);

//  Run argv (argv[0] looked up in the config's PATH) within the time the run
//  has left, at most max_ms. Returns its exit code, or -1 when it could not
//  run, timed out or was killed by a signal (res is filled when it ran; the
//  caller frees it with command_result_free).
int kind_exec (const check_ctx_t *ctx, const char *const *argv, int64_t max_ms,
               command_result_t *res);

//  One named field of a parsed record (a tool's `key = value` output): a
//  char * (text, bounded copy) or an int64_t (number, kept when >= min).
typedef struct {
    const char *key;
    size_t offset;              //  offsetof the field in the record
    bool number;
    int64_t min;
} kind_field_t;

//  Set the field of record that table (ended by a NULL key) names key:
//  text copied (at most max bytes), numbers read by parse (0 = a number).
//  Returns 1 set, 0 key not in the table, -1 a number that parse refused or
//  that is below min (the field keeps its value).
int kind_field_set (const kind_field_t *table, void *record, const char *key,
                    const char *value, size_t max, int (*parse) (const char *, int64_t *));

//  ISO 8601 UTC time ("2026-11-28T04:48:35Z") of a unix time into buf.
void kind_iso8601 (int64_t unix_seconds, char *buf, size_t len);

//  "3h 12m", "45s", "2d 4h": a short human duration of seconds into buf.
void kind_human_duration (int64_t seconds, char *buf, size_t len);

//  The generic remedy: run the configured command with the config's PATH,
//  within the time left. Sets out->action ("run") and out->output (exit
//  status, then the command's output, bounded). REMEDY_DONE when it exited 0,
//  REMEDY_FAILED otherwise; REMEDY_NONE (out untouched) when command is NULL
//  (no `remedy/run` configured). check_remedy calls it for a kind's run_at.
remedy_status_t kind_remedy_run (const check_ctx_t *ctx, const char *command,
                                 event_remedy_t *out);

//  The end of a supervisor's remedy: out->action = action (when not NULL),
//  out->output = log (when not empty); both owned copies. out may be NULL.
void kind_remedy_done (event_remedy_t *out, const char *action, const char *log);

#endif
