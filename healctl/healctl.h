//  healctl — internal interface between the CLI's files.
//
//  main.c parses the command line and loads the config; commands.c holds the
//  one table of commands; client.c does the REQ round trip to the agent;
//  status.c renders the status table; watch.c follows the bus; history.c and
//  show.c print what heal did and one check in detail; local.c, completion.c
//  and init.c are the commands that need no agent (help, completion, init;
//  init's detection: init_platform.h); options.c the table of options.

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
//  timeout_ms of a command that runs without the agent or its config (help,
//  init, completion): main runs it before loading the config.
#define HEALCTL_LOCAL               (-1)

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

//  healctl's options (options.c): parsed, printed and completed from one table.
typedef enum {
    HEALCTL_OPT_NONE = 0,           //  ends the table
    HEALCTL_OPT_CONFIG,
    HEALCTL_OPT_ENDPOINT,
    HEALCTL_OPT_BUS,
    HEALCTL_OPT_JSON,
    HEALCTL_OPT_TIMEOUT,
    HEALCTL_OPT_SINCE,
    HEALCTL_OPT_NO_COLOR,
    HEALCTL_OPT_VALIDATE,
    HEALCTL_OPT_VERBOSE,
    HEALCTL_OPT_VERSION,
    HEALCTL_OPT_HELP
} healctl_option_id_t;

typedef struct {
    healctl_option_id_t id;
    const char *short_name;         //  "c" for -c, or NULL
    const char *long_name;          //  "config" for --config, or NULL
    const char *arg;                //  the value's name ("FILE"), NULL: a flag
    const char *help;               //  NULL: a hidden alias
} healctl_option_t;

extern const healctl_option_t healctl_options [];

//  The option arg names: its first len bytes ("-c", "--config"), or NULL.
const healctl_option_t *healctl_option_find (const char *arg, size_t len);

//  The options' lines of `healctl -h`.
void healctl_options_usage (FILE *out);

//  The specs of the commands healctl runs itself (local.c).
typedef enum {
    HEALCTL_SPEC_HELP = 0,
    HEALCTL_SPEC_INIT,
    HEALCTL_SPEC_COMPLETION,
    HEALCTL_SPEC_COUNT
} healctl_spec_id_t;
extern const control_command_t healctl_local_specs [HEALCTL_SPEC_COUNT];

//  healctl's usage (main.c): commands from the table, options.
void healctl_usage (FILE *out);

//  help [COMMAND] (local.c), completion SHELL (completion.c), init [FILE]
//  (init.c): run without the agent (timeout_ms HEALCTL_LOCAL).
int healctl_help (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);
int healctl_completion (healctl_t *ctl, const healctl_command_t *cmd, int argc,
                        char **argv);
int healctl_init (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv);

//  The table, NULL-name terminated.
extern const healctl_command_t healctl_commands [];

//  Find a command by name, or NULL.
const healctl_command_t *healctl_command_find (const char *name);

//  Print the help of one command to out.
void healctl_command_help (const healctl_command_t *cmd, FILE *out);

//  Load ctl's config (-c, $HEAL_CONFIG, ...) and settle the endpoints (-e,
//  --bus, else the config's); bus: check the bus endpoint rather than the
//  control one. Returns HEALCTL_EXIT_OK, or the exit code after printing why.
int healctl_load_config (healctl_t *ctl, bool bus);

//  One request/reply round trip. args are sent as strings. On an ok reply
//  *data gets a new reference (NULL when nil) and 0 is returned; otherwise the
//  exit code to use after the message has been printed on stderr.
int healctl_request (healctl_t *ctl, const char *cmd, const char *const *args,
                     size_t argc, int64_t timeout_ms, json_t **data,
                     int64_t *elapsed_us);

//  Is endpoint an ipc:// socket file that does not exist? Then heal-agent is
//  not running: prints why and a hint on stderr (cmd: the command, for the
//  prefix) and returns true. Never blocks.
bool healctl_agent_absent (const char *cmd, const char *endpoint);

//  Print a JSON value (any type, NULL = null) on stdout, indented or compact.
int healctl_print_json (const json_t *value, bool compact);

//  Relative time "3m ago" (or "in 5m") of a unix-ms timestamp into buf.
void healctl_relative_time (int64_t ts_ms, int64_t now_ms, char *buf, size_t len);

//  Terminal colour escape for a severity name ("" when colour is off).
const char *healctl_severity_color (const healctl_t *ctl, const char *severity);
const char *healctl_color_reset (const healctl_t *ctl);

//  Status table (status.c). Returns the exit code for the worst severity.
int healctl_render_status (healctl_t *ctl, const healctl_command_t *cmd, json_t *data);

//  Width of the terminal in columns: stdout's (ioctl) when it is one, else
//  $COLUMNS (20 to 9999), else 0 (no limit).
size_t healctl_terminal_width (void);

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
