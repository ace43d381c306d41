//  check_launchd — the launchd kind's parser of `launchctl print` output,
//  exported for the unit tests (tests/unit/test_launchd.c). The kind itself is
//  the descriptor check_kind_launchd in check_launchd.c.
//
//  `launchctl print` output is "NOT API in any sense at all" (man launchctl):
//  the parser reads only the job-level `key = value` lines (depth 1, counted by
//  braces, so TAB or 4-space indentation both work), the `environment`,
//  `inherited environment`, `default environment` and `semaphores` blocks, and ignores everything else
//  (nested coalitions, LWCR, endpoints, odd lines). A field that is absent
//  stays "unknown" (-1 / NULL), never a default.

#ifndef HEAL_CHECK_LAUNCHD_H_INCLUDED
#define HEAL_CHECK_LAUNCHD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAUNCHD_MAX_LABEL      255     //  label bytes ([A-Za-z0-9._-])
#define LAUNCHD_MAX_ENV        64      //  environment entries kept per block
#define LAUNCHD_MAX_FIELD      1024    //  bytes kept of one value
#define LAUNCHD_MAX_LINES      20000   //  lines of print output read at most
#define LAUNCHD_EXIT_NOT_FOUND 113     //  print: could not find service
#define LAUNCHD_EXIT_NO_DOMAIN 112     //  print: could not find domain (no GUI session)
#define LAUNCHD_EXIT_IO        5       //  bootstrap: "Bootstrap failed: 5: Input/output error"
#define LAUNCHD_EXIT_IN_PROGRESS 37    //  "Operation already in progress"
#define LAUNCHD_CRASH_STREAK   3       //  successive crashes that make a crash loop
#define LAUNCHD_CRASH_RUNS     2       //  runs between two checks, each ending in a crash
#define LAUNCHD_DEFAULT_PATH   "/usr/bin:/bin:/usr/sbin:/sbin"  //  launchd's PATH when
                                               //  the plist sets none

typedef struct {
    char *name;
    char *value;
} launchd_env_t;

typedef struct {
    char *state;                //  "running", "not running", "spawn scheduled"...
    char *job_state;            //  "running", "exited", "spawn failed", ...
    char *path;                 //  plist launchd imported
    char *program;
    char *properties;           //  "keepalive | runatload | ..."
    char *last_exit_code_text;  //  as printed: "1", "78: EX_CONFIG", "(never exited)"
    char *last_signal;          //  "last terminating signal", e.g. "Bus error: 10"
    char *last_exit_reason;     //  e.g. "OS_REASON_CODESIGNING"
    int64_t pid;                //  -1 when absent (no process)
    int64_t runs;               //  -1 when absent
    int64_t successive_crashes; //  -1 when absent
    int64_t minimum_runtime;    //  ThrottleInterval, -1 when absent
    int64_t exit_timeout;       //  ExitTimeOut, -1 when absent
    bool has_exit_code;         //  last exit code is a number
    bool never_exited;          //  last exit code = (never exited)
    int64_t last_exit_code;     //  valid when has_exit_code
    int successful_exit;        //  semaphores: successful exit => 0/1, -1 absent
    launchd_env_t env [LAUNCHD_MAX_ENV];         //  `environment` block
    size_t env_count;
    launchd_env_t inherited [LAUNCHD_MAX_ENV];   //  `inherited environment` block
    size_t inherited_count;
    char *default_path;         //  PATH of `default environment`, or NULL
    size_t fields;              //  job-level fields recognised (0 = not print output)
} launchd_job_t;

//  Parse print output text (len bytes, need not be NUL-terminated) into job,
//  which is cleared first (so it must be zeroed or cleared before the first
//  call). Returns 0 when at least one job field was found, -1 otherwise (job
//  then holds nothing useful). Free with launchd_job_clear.
int launchd_print_parse (const char *text, size_t len, launchd_job_t *job);

//  Free what job owns and reset it (all numbers -1).
void launchd_job_clear (launchd_job_t *job);

//  The job's configured environment variable name (borrowed) or NULL.
const char *launchd_job_env (const launchd_job_t *job, const char *name);

//  The PATH the job gets: its `environment` PATH, else `default environment`
//  PATH, else launchd's built-in /usr/bin:/bin:/usr/sbin:/sbin. Borrowed.
const char *launchd_job_path (const launchd_job_t *job);

//  Does the properties line carry flag (exact word between '|', e.g.
//  "keepalive", "needs LWCR update")?
bool launchd_job_has_property (const launchd_job_t *job, const char *flag);

//  Did the last run fail: a non-zero exit code or a terminating signal?
bool launchd_job_last_failed (const launchd_job_t *job);

//  Did the last run crash: fail other than by SIGTERM (15), which is how a
//  `kickstart -k`, a bootout or a logout stops a job?
bool launchd_job_crashed (const launchd_job_t *job);

//  Is the job crash-looping? A crash streak of LAUNCHD_CRASH_STREAK (any job),
//  or, for a job launchd keeps alive (keepalive), at least
//  LAUNCHD_CRASH_RUNS runs since the previous check (prev_runs, -1 unknown)
//  ending in a crash. One restart after one crash is launchd doing its job;
//  interval and calendar jobs run again on schedule whatever they exit with.
bool launchd_crash_loop (const launchd_job_t *job, int64_t prev_runs, bool keepalive);

//  Is name one of the variables launchd adds when the job starts (HOME, USER,
//  LOGNAME, SHELL, TMPDIR), which `print` never shows unless the plist sets
//  them?
bool launchd_env_added_at_start (const char *name);

//  Check a required environment spec against the job: tokens separated by
//  spaces, each `NAME` (present), `NAME=value` (equal) or `PATH=a:b` (each
//  entry on the job's PATH). Writes one line per missing item into missing
//  (bounded, NUL-terminated, "; " separated). Returns the number missing.
//  A name is present when the `environment` or `inherited environment` block
//  has it, or when launchd adds it at start (launchd_env_added_at_start).
int launchd_env_missing (const launchd_job_t *job, const char *spec,
                         char *missing, size_t missing_len);

//  The next token of an env spec (tokens are separated by spaces and tabs):
//  its start and length, *p moved past it. False at the end of the spec.
bool launchd_env_next (const char **p, const char **start, size_t *len);

//  The same, and also names in unverified ("; " separated, bounded; may be
//  NULL) the NAME=value items print cannot show (launchd sets them at start):
//  they are not counted as missing.
int launchd_env_check (const launchd_job_t *job, const char *spec,
                       char *missing, size_t missing_len,
                       char *unverified, size_t unverified_len);

#endif
