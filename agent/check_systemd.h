//  check_systemd — the systemd kind's parser of `systemctl --user show -p ...`
//  output, exported for the unit tests (tests/unit/test_systemd.c). The kind is
//  the descriptor check_kind_systemd in check_systemd.c.
//
//  The output is NAME=value lines in systemd's own order (not the -p order):
//  parsed by name; unknown names ignored; an absent property stays unknown
//  (NULL / -1). Only the first unit's block (up to a blank line) is read.

#ifndef HEAL_CHECK_SYSTEMD_H_INCLUDED
#define HEAL_CHECK_SYSTEMD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSTEMD_MAX_UNIT       255     //  unit name bytes
#define SYSTEMD_MAX_VALUE      256     //  bytes kept of one value
#define SYSTEMD_MAX_LINES      1000    //  lines read at most
#define SYSTEMD_PROPERTIES \
    "LoadState,ActiveState,SubState,MainPID,ExecMainCode,ExecMainStatus,NRestarts,Result"

//  ExecMainCode is the numeric si_code of the main process's end.
#define SYSTEMD_CLD_EXITED     1
#define SYSTEMD_CLD_KILLED     2
#define SYSTEMD_CLD_DUMPED     3

typedef struct {
    char *load_state;           //  loaded | not-found | bad-setting | error | masked
    char *active_state;         //  active | reloading | inactive | failed | activating | deactivating
    char *sub_state;            //  running | dead | failed | auto-restart | ...
    char *result;               //  success | exit-code | signal | start-limit-hit | ...
    int64_t main_pid;           //  0 when nothing runs, -1 when absent
    int64_t exec_main_code;     //  -1 when absent
    int64_t exec_main_status;   //  -1 when absent
    int64_t n_restarts;         //  -1 when absent
    size_t fields;              //  properties recognised
} systemd_unit_t;

//  Parse show output (len bytes) into unit, which is cleared first (it must be
//  zeroed or cleared before the first call). Returns 0 when LoadState was
//  found, -1 otherwise. Free with systemd_unit_clear.
int systemd_show_parse (const char *text, size_t len, systemd_unit_t *unit);

//  Free what unit owns and reset it (numbers -1).
void systemd_unit_clear (systemd_unit_t *unit);

//  Did the main process end badly (non-zero exit, killed, dumped)?
bool systemd_unit_last_failed (const systemd_unit_t *unit);

//  Was the start rate limit hit (Result=start-limit-hit)?
bool systemd_unit_start_limit_hit (const systemd_unit_t *unit);

#endif
