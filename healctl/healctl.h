//  healctl — internal interface between the CLI's files.
//
//  main.c parses the command line and loads the config; commands.c holds the
//  one table of commands; client.c does the REQ round trip to the agent;
//  status.c renders the status table; watch.c follows the bus; history.c and
//  show.c print what heal did and one check in detail.

#ifndef HEALCTL_H_INCLUDED
#define HEALCTL_H_INCLUDED

#include "heal/heal.h"
#include "heal/commands.h"

//  Exit codes: heal's (heal/exit.h), plus two of healctl's own.
#define HEALCTL_EXIT_OK          HEAL_EX_OK
#define HEALCTL_EXIT_FAILED      1      //  the agent answered ok=false
#define HEALCTL_EXIT_USAGE       HEAL_EX_USAGE        //  unknown command, bad args
#define HEALCTL_EXIT_UNAVAILABLE HEAL_EX_UNAVAILABLE  //  no answer in time
#define HEALCTL_EXIT_SOFTWARE    HEAL_EX_SOFTWARE     //  local failure
#define HEALCTL_EXIT_PROTOCOL    HEAL_EX_PROTOCOL     //  malformed reply
#define HEALCTL_EXIT_CONFIG      HEAL_EX_CONFIG       //  config invalid
#define HEALCTL_EXIT_INTERRUPTED 130    //  SIGINT during a request

#define HEALCTL_DEFAULT_TIMEOUT_MS  5000
#define HEALCTL_RUN_TIMEOUT_MS      60000   //  run/heal wait for checks to finish
#define HEALCTL_MAX_TIMEOUT_MS      (24LL * 3600 * 1000)

typedef struct healctl_command_t healctl_command_t;

//  Everything the command line and the config decided.
typedef struct {
    const char *config_path;    //  -c (borrowed from argv)
    const char *endpoint;       //  -e, else config's control endpoint (borrowed)
    const char *bus_endpoint;   //  --bus, else config's bus.publish (borrowed)
    bool json;                  //  --json
    bool verbose;               //  -v
    bool color;                 //  stdout is a terminal, NO_COLOR unset, no --no-color
    int64_t timeout_ms;         //  --timeout, or -1 for the command's default
    const char *since;          //  --since (history), borrowed; NULL = default
    heal_config_t *config;      //  owned by main
    int64_t elapsed_us;         //  round trip of the last request
} healctl_t;

//  A command: one row of the table in commands.c. Its name, arguments and
//  help come from the table shared with the agent (heal/commands.h).
struct healctl_command_t {
    const control_command_t *spec;  //  NULL ends the table
    int64_t timeout_ms;         //  default --timeout
    //  Runs the command; returns the process exit code.
    int (*run) (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);
    //  For request commands: prints the reply's data (not used with --json
    //  unless the command's exit code depends on it); returns the exit code.
    int (*render) (healctl_t *ctl, const healctl_command_t *cmd, json_t *data);
    //  Exit code for an ok reply's data (status, run: worst severity); NULL = 0.
    int (*exit_code) (json_t *data);
};

//  The table, NULL-name terminated.
extern const healctl_command_t healctl_commands [];

//  Find a command by name, or NULL.
const healctl_command_t *healctl_command_find (const char *name);

//  Print the help of one command to out.
void healctl_command_help (const healctl_command_t *cmd, FILE *out);

//  One request/reply round trip. args are sent as strings. On an ok reply
//  *data gets a new reference (NULL when nil) and 0 is returned; otherwise the
//  exit code to use after the message has been printed on stderr.
int healctl_request (healctl_t *ctl, const char *cmd, const char *const *args,
                     size_t argc, int64_t timeout_ms, json_t **data,
                     int64_t *elapsed_us);

//  Print a JSON value (any type, NULL = null) on stdout, indented or compact.
int healctl_print_json (const json_t *value, bool compact);

//  Relative time "3m ago" (or "in 5m") of a unix-ms timestamp into buf.
void healctl_relative_time (int64_t ts_ms, int64_t now_ms, char *buf, size_t len);

//  Terminal colour escape for a severity name ("" when colour is off).
const char *healctl_severity_color (const healctl_t *ctl, const char *severity);
const char *healctl_color_reset (const healctl_t *ctl);

//  Status table (status.c). Returns the exit code for the worst severity.
int healctl_render_status (healctl_t *ctl, const healctl_command_t *cmd, json_t *data);

//  Worst severity of a status or run reply's checks, as an exit code.
int healctl_status_exit_code (json_t *data);

//  history and show (history.c, show.c); status CHECK is show.
int healctl_history (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);
int healctl_show (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);
int healctl_status_run (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);
void healctl_print_incident (healctl_t *ctl, json_t *incident, bool with_check);
//  incidents: the reply as JSON (it is for tools), also without --json.
int healctl_render_incidents (healctl_t *ctl, const healctl_command_t *cmd, json_t *data);
//  The generic runner of commands.c: one request, then render or JSON.
int healctl_request_run (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);

//  watch (watch.c).
int healctl_watch (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);

//  Short helpers over jansson for replies whose shape we read leniently.
const char *healctl_json_string (json_t *obj, const char *key);
int64_t healctl_json_int (json_t *obj, const char *key, int64_t fallback);

#endif
