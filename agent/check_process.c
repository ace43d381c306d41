//  check_process — is a service's process running (and its port answering)?
//  Restart it when not, and wait until it is ready before calling it healed.
//
//  Keys (docs/process.md):
//    pidfile = "/path/x.pid"    the pid to watch (absolute path)
//    match = "redis-server"     a process whose name is exactly this, or
//    match = "/regex/"          a PCRE2 regex on its command line
//    port = 6379                optional: a TCP port that must accept
//    host = "127.0.0.1"         where the port is (default 127.0.0.1)
//    start_timeout = 10         old name of remedy/verify: how long a (re)start
//                               may take to be ready (still accepted)
//  Remedy keys: start, restart, stop (commands run through command_run with
//  the config's PATH).
//
//  The pid reuse guard: each process is named by (pid, start time). Once we
//  have seen the service as (pid, start), a process with that pid and another
//  start time is not the service (the pid was recycled), and neither is a
//  pidfile's process that does not fit `match` when both are given.
//
//  run() sets result->watch_pid/watch_start when the process is alive: the
//  agent then watches its exit (pidfd/kqueue) and runs the check at once when
//  it dies, so nothing polls between runs.

#include "check.h"
#include "heal/command.h"
#include "platform.h"
#include "kind_util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PROCESS_MAX_PIDFILE        64          //  bytes of a pidfile we read
#define PROCESS_MAX_NAME           255         //  match name, host
#define PROCESS_MAX_PATTERN        1024        //  match regex, bytes
#define PROCESS_MAX_COMMAND        CONFIG_MAX_VALUE
#define PROCESS_DEFAULT_START      "10"        //  start_timeout, seconds
#define PROCESS_MAX_START_MS       (3600 * 1000)
#define PROCESS_REGEX_MATCH_LIMIT  100000      //  PCRE2 backtracking bound per line
#define PROCESS_POLL_FAST_MS       5           //  readiness poll step, first second
#define PROCESS_POLL_SLOW_MS       25          //  ... then
#define PROCESS_CONNECT_MAX_MS     1000        //  one port probe at most
#define PROCESS_MAX_LABEL          256         //  XPC_SERVICE_NAME bytes kept

//  Why the service is not healthy, as seen by the last run: picks the remedy.
typedef enum {
    PROCESS_STATE_OK = 0,
    PROCESS_STATE_DEAD,         //  no process (or a stale pidfile): start
    PROCESS_STATE_UNHEALTHY,    //  running but its port does not answer: restart
    PROCESS_STATE_UNKNOWN       //  could not tell: no remedy
} process_state_t;

typedef struct {
    char *name;                 //  check name (for messages)
    char *pidfile;              //  absolute path or NULL
    char *match;                //  as written, or NULL
    char *match_name;           //  exact process name, or NULL
    pcre2_code *match_regex;    //  regex on the command line, or NULL
    pcre2_match_context *match_context;
    char *host;                 //  default 127.0.0.1
    bool host_given;
    int64_t port_setting;       //  port as configured
    int port;                   //  0 = none
    int64_t start_timeout_ms;   //  remedy/verify, or start_timeout (its old name)
    bool start_timeout_given;
    char *start;                //  remedy commands, NULL when absent
    char *restart;
    char *stop;
    //  Memory between runs (runs of one instance never overlap).
    int known_pid;              //  the service as last seen alive
    uint64_t known_start;
    int reject_pid;             //  a process judged not to be the service
    uint64_t reject_start;
    process_state_t last_state;
    char launchd_label [PROCESS_MAX_LABEL];   //  the service's launchd job, "" none
    int label_pid;              //  the process launchd_label was read from
    uint64_t label_start;
} process_t;

typedef struct {
    process_state_t state;
    int pid;                    //  0 when none
    uint64_t start_time;
    char name [64];
    bool name_short;            //  the kernel cut the name (another user's, macOS)
    bool restricted;            //  another user's process: no details
    int hidden;                 //  match: others' processes whose cut names could fit
    char why [512];             //  one line: what was found
} process_found_t;

#define PROCESS_AT(field) HEAL_KEY_AT (process_t, field)

static const heal_key_t s_keys [] = {
    { .name = "pidfile", .type = HEAL_KEY_PATH, .at = PROCESS_AT (pidfile),
      .help = "the service's pidfile" },
    { .name = "match", .type = HEAL_KEY_STRING, .at = PROCESS_AT (match),
      .max_len = PROCESS_MAX_PATTERN + 2,
      .help = "process name, or /regex/ on the command line" },
    { .name = "port", .type = HEAL_KEY_INT, .at = PROCESS_AT (port_setting), .min = 1,
      .max = 65535, .invalid = "must be a TCP port, 1 to 65535",
      .help = "TCP port the service answers on" },
    { .name = "host", .type = HEAL_KEY_STRING, .at = PROCESS_AT (host),
      .seen = PROCESS_AT (host_given), .max_len = PROCESS_MAX_NAME, .def = "127.0.0.1",
      .help = "host of port" },
    { .name = "start_timeout", .type = HEAL_KEY_DURATION,
      .at = PROCESS_AT (start_timeout_ms), .seen = PROCESS_AT (start_timeout_given),
      .max = PROCESS_MAX_START_MS, .def = PROCESS_DEFAULT_START,
      .invalid = "must be a duration from 1ms to 1h (e.g. 10 or 500ms)",
      .help = "old name of remedy/verify: time the service has to come up" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "start", .type = HEAL_KEY_STRING, .at = PROCESS_AT (start),
      .max_len = PROCESS_MAX_COMMAND, .help = "command that starts the service" },
    { .name = "restart", .type = HEAL_KEY_STRING, .at = PROCESS_AT (restart),
      .max_len = PROCESS_MAX_COMMAND, .help = "command that restarts it" },
    { .name = "stop", .type = HEAL_KEY_STRING, .at = PROCESS_AT (stop),
      .max_len = PROCESS_MAX_COMMAND, .help = "command that stops it" },
    { .name = NULL }
};


//  ---------------------------------------------------------------------------
//  Configuration

static int
s_configure_match (process_t *self, const heal_config_t *config,
                   const heal_check_config_t *check, char *err, size_t errlen)
{
    size_t len = strlen (self->match);
    if (len >= 2 && self->match [0] == '/' && self->match [len - 1] == '/') {
        //  "/regex/": PCRE2 on the command line (arguments joined by spaces).
        size_t pattern_len = len - 2;
        if (pattern_len == 0 || pattern_len > PROCESS_MAX_PATTERN) {
            heal_config_error (err, errlen, config->file, check->name, "match",
                               "regex must hold 1 to %d bytes", PROCESS_MAX_PATTERN);
            return -1;
        }
        int code = 0;
        PCRE2_SIZE offset = 0;
        self->match_regex = pcre2_compile ((PCRE2_SPTR) (self->match + 1), pattern_len,
                                           0, &code, &offset, NULL);
        if (!self->match_regex) {
            PCRE2_UCHAR message [256];
            pcre2_get_error_message (code, message, sizeof message);
            heal_config_error (err, errlen, config->file, check->name, "match",
                               "bad regex at offset %zu: %s", (size_t) offset,
                               (const char *) message);
            return -1;
        }
        self->match_context = pcre2_match_context_create (NULL);
        if (!self->match_context) {
            heal_config_error (err, errlen, config->file, check->name, "match",
                               "out of memory");
            return -1;
        }
        pcre2_set_match_limit (self->match_context, PROCESS_REGEX_MATCH_LIMIT);
        return 0;
    }
    if (len > PROCESS_MAX_NAME) {
        heal_config_error (err, errlen, config->file, check->name, "match",
                           "a process name is at most %d bytes (use /regex/ "
                           "for the command line)", PROCESS_MAX_NAME);
        return -1;
    }
    self->match_name = strdup (self->match);
    if (!self->match_name) {
        heal_config_error (err, errlen, config->file, check->name, "match",
                           "out of memory");
        return -1;
    }
    return 0;
}

static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    process_t *self = (process_t *) self_;
    self->name = strdup (check->name);
    if (!self->name) {
        heal_config_error (err, errlen, config->file, check->name, NULL,
                           "out of memory");
        return -1;
    }
    self->port = (int) self->port_setting;
    if (check->verify_given && self->start_timeout_given) {
        heal_config_error (err, errlen, config->file, check->name, "start_timeout",
                           "is the old name of remedy/verify: give only one");
        return -1;
    }
    if (check->verify_given)
        self->start_timeout_ms = check->verify_ms > 0 ? check->verify_ms : 1;
    if (self->match && s_configure_match (self, config, check, err, errlen))
        return -1;
    if (!self->pidfile && !self->match && !self->port) {
        heal_config_error (err, errlen, config->file, check->name, "pidfile",
                           "a process check needs pidfile, match or port");
        return -1;
    }
    if (self->host_given && !self->port) {
        heal_config_error (err, errlen, config->file, check->name, "host",
                           "host is only used with port");
        return -1;
    }
    return 0;
}

//  What setup made (the key tables' values are check_destroy's).
static void
s_cleanup (void *self_)
{
    process_t *self = (process_t *) self_;
    free (self->name);
    free (self->match_name);
    pcre2_code_free (self->match_regex);
    pcre2_match_context_free (self->match_context);
}


//  ---------------------------------------------------------------------------
//  Time

//  Milliseconds left before the deadline (0 when passed). A context without a
//  deadline (tests) gets a generous one.
static int64_t
s_left_ms (int64_t deadline)
{
    int64_t left = deadline - heal_monotonic_ms ();
    return left > 0 ? left : 0;
}

static int64_t
s_deadline (const check_ctx_t *ctx)
{
    if (ctx->deadline_ms > 0)
        return ctx->deadline_ms;
    return heal_monotonic_ms () + CONFIG_DEFAULT_TIMEOUT_MS;
}

static void
s_pause_ms (int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000L };
    while (nanosleep (&ts, &ts) && errno == EINTR)
        ;
}

static void
s_error_text (int code, char *buf, size_t len)
{
    if (strerror_r (code, buf, len) != 0)
        snprintf (buf, len, "error %d", code);
}


//  ---------------------------------------------------------------------------
//  Finding the process

//  Interpreters whose first non-option argument is the script they run.
static bool
s_interpreter (const char *base)
{
    static const char *const names [] = {
        "sh", "bash", "zsh", "dash", "ksh", "fish", "perl", "ruby", "node", "php",
        "lua", "osascript", "tclsh", NULL
    };
    for (size_t i = 0; names [i]; i++)
        if (streq (base, names [i]))
            return true;
    return strncmp (base, "python", 6) == 0 || strncmp (base, "Python", 6) == 0;
}

static const char *
s_basename (const char *path)
{
    const char *slash = strrchr (path, '/');
    return slash? slash + 1: path;
}

//  Does name fit the process's arguments: argv[0]'s basename, or, when
//  argv[0] is an interpreter (bash, python3...), its script's basename (the
//  first argument not starting with '-')? On macOS the process name of a
//  script is its interpreter's, and the name a symlink was run by is lost.
static bool
s_argv_matches (int pid, const char *name)
{
    char args [PLATFORM_MAX_CMDLINE];
    size_t argc = 0;
    if (platform_proc_argv (pid, args, sizeof args, &argc) || argc == 0)
        return false;
    const char *arg0 = s_basename (args);
    if (streq (arg0, name))
        return true;
    if (!s_interpreter (arg0))
        return false;
    const char *arg = args;
    for (size_t i = 1; i < argc; i++) {
        arg += strlen (arg) + 1;
        if (arg [0] == '-')
            continue;
        return streq (s_basename (arg), name);
    }
    return false;
}

//  Does the process fit `match`? Name: the process name exactly, else
//  argv (s_argv_matches). Regex: the command line.
static bool
s_matches (const process_t *self, const platform_proc_t *proc)
{
    if (self->match_name) {
        if (streq (proc->name, self->match_name))
            return true;
        return s_argv_matches (proc->pid, self->match_name);
    }
    if (self->match_regex) {
        char cmdline [PLATFORM_MAX_CMDLINE];
        if (platform_proc_cmdline (proc->pid, cmdline, sizeof cmdline) || !cmdline [0])
            return false;
        pcre2_match_data *data = pcre2_match_data_create_from_pattern (self->match_regex,
                                                                       NULL);
        if (!data)
            return false;
        int rc = pcre2_match (self->match_regex, (PCRE2_SPTR) cmdline, strlen (cmdline),
                              0, 0, data, self->match_context);
        pcre2_match_data_free (data);
        return rc >= 0;
    }
    return true;
}

//  Read the pid in the pidfile. Returns 0 with *pid, or -1 with errno
//  (ENOENT: no file; EINVAL: no pid in it; others: could not read).
static int
s_read_pidfile (const char *path, int *pid)
{
    size_t size = 0;
    char *text = heal_read_file (path, PROCESS_MAX_PIDFILE, &size);
    if (!text) {
        if (errno == EFBIG)
            errno = EINVAL;
        return -1;
    }
    const char *cursor = text;
    while (*cursor == ' ' || *cursor == '\t')
        cursor++;
    char *end = NULL;
    errno = 0;
    long value = strtol (cursor, &end, 10);
    bool valid = !errno && end != cursor && value > 0 && value <= INT_MAX;
    if (valid) {
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        valid = *end == 0 && (size_t) (end - text) == size;
    }
    free (text);
    if (!valid) {
        errno = EINVAL;
        return -1;
    }
    *pid = (int) value;
    return 0;
}

static void
s_found_alive (process_found_t *found, const platform_proc_t *proc)
{
    found->state = PROCESS_STATE_OK;
    found->pid = proc->pid;
    found->start_time = proc->start_time;
    found->name_short = proc->name_short;
    found->restricted = proc->restricted;
    snprintf (found->name, sizeof found->name, "%s", proc->name);
}

//  The launchd job that runs pid, from the XPC_SERVICE_NAME launchd sets in
//  its jobs' environment, into label ("" when none). Not a job: "0" (a
//  login shell's), "application.*" (an app and what it started), heal's own
//  label (what heal's remedies started inherit it), or unreadable.
static void
s_launchd_label (int pid, char *label, size_t len)
{
    label [0] = 0;
    char value [PROCESS_MAX_LABEL];
    if (platform_proc_getenv (pid, "XPC_SERVICE_NAME", value, sizeof value)
    ||  !value [0] || streq (value, "0") || strncmp (value, "application.", 12) == 0)
        return;
    const char *own = getenv ("XPC_SERVICE_NAME");
    if (own && streq (own, value))
        return;
    snprintf (label, len, "%s", value);
}

static void
s_find_by_pidfile (process_t *self, process_found_t *found)
{
    int pid = 0;
    if (s_read_pidfile (self->pidfile, &pid)) {
        int code = errno;
        if (code == ENOENT) {
            found->state = PROCESS_STATE_DEAD;
            snprintf (found->why, sizeof found->why, "not running (no pidfile %s)",
                      self->pidfile);
        }
        else
        if (code == EINVAL) {
            found->state = PROCESS_STATE_DEAD;
            snprintf (found->why, sizeof found->why,
                      "not running (pidfile %s holds no pid)", self->pidfile);
        }
        else {
            char text [128];
            s_error_text (code, text, sizeof text);
            found->state = PROCESS_STATE_UNKNOWN;
            snprintf (found->why, sizeof found->why, "cannot read pidfile %s: %s",
                      self->pidfile, text);
        }
        return;
    }
    found->pid = pid;
    platform_proc_t proc;
    if (platform_proc_info (pid, &proc)) {
        found->state = PROCESS_STATE_DEAD;
        snprintf (found->why, sizeof found->why,
                  "not running (stale pidfile %s: pid %d does not exist)",
                  self->pidfile, pid);
        return;
    }
    snprintf (found->name, sizeof found->name, "%s", proc.name);
    found->start_time = proc.start_time;
    if (proc.zombie) {
        found->state = PROCESS_STATE_DEAD;
        snprintf (found->why, sizeof found->why,
                  "not running (pid %d from %s has exited)", pid, self->pidfile);
        return;
    }
    bool recycled = (pid == self->reject_pid && proc.start_time == self->reject_start)
                 || (pid == self->known_pid && proc.start_time != self->known_start);
    if (!recycled && (self->match_name || self->match_regex) && !s_matches (self, &proc))
        recycled = true;
    if (recycled) {
        self->reject_pid = pid;
        self->reject_start = proc.start_time;
        found->state = PROCESS_STATE_DEAD;
        snprintf (found->why, sizeof found->why,
                  "not running (stale pidfile %s: pid %d is now '%s', another process)",
                  self->pidfile, pid, proc.name);
        return;
    }
    s_found_alive (found, &proc);
}

static void
s_find_by_match (process_t *self, process_found_t *found)
{
    //  The process we saw last time, if it is still there: no scan.
    platform_proc_t proc;
    if (self->known_pid
    &&  platform_proc_info (self->known_pid, &proc) == 0
    &&  !proc.zombie && proc.start_time == self->known_start
    &&  s_matches (self, &proc)) {
        s_found_alive (found, &proc);
        return;
    }
    int *pids = NULL;
    size_t count = 0;
    if (platform_proc_list (&pids, &count)) {
        found->state = PROCESS_STATE_UNKNOWN;
        snprintf (found->why, sizeof found->why, "cannot list processes");
        return;
    }
    //  The oldest matching process: a daemon's parent before its workers.
    int self_pid = (int) getpid ();
    bool have = false;
    platform_proc_t best;
    memset (&best, 0, sizeof best);
    for (size_t i = 0; i < count; i++) {
        if (pids [i] == self_pid)
            continue;
        if (platform_proc_info (pids [i], &proc) || proc.zombie)
            continue;
        if (!s_matches (self, &proc)) {
            //  Another user's process whose name the kernel cut (macOS: 16
            //  bytes) and whose arguments we may not read could be it.
            size_t n = strlen (proc.name);
            if (proc.restricted && proc.name_short && self->match_name
            &&  strlen (self->match_name) > n && strncmp (proc.name, self->match_name, n) == 0)
                found->hidden++;
            continue;
        }
        if (!have || proc.start_time < best.start_time
        ||  (proc.start_time == best.start_time && proc.pid < best.pid)) {
            best = proc;
            have = true;
        }
    }
    free (pids);
    if (!have) {
        found->state = PROCESS_STATE_DEAD;
        snprintf (found->why, sizeof found->why, "not running (no process matches %s)",
                  self->match);
        if (found->hidden)
            snprintf (found->why, sizeof found->why, "not running (no process matches %s; "
                      "%d other users' processes have names cut to '%.16s...' and "
                      "arguments heal may not read)", self->match, found->hidden, self->match);
        return;
    }
    s_found_alive (found, &best);
}

//  Probe host:port with a TCP connect bounded by timeout_ms. Returns 0 when
//  it accepts, else -1 with why set.
static int
s_probe_port (const process_t *self, int64_t timeout_ms, char *why, size_t whylen)
{
    char service [16];
    snprintf (service, sizeof service, "%d", self->port);
    struct addrinfo hints, *list = NULL;
    memset (&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo (self->host, service, &hints, &list);
    if (rc) {
        snprintf (why, whylen, "cannot resolve %s: %s", self->host, gai_strerror (rc));
        return -1;
    }
    if (timeout_ms > PROCESS_CONNECT_MAX_MS)
        timeout_ms = PROCESS_CONNECT_MAX_MS;
    int result = -1;
    int code = ECONNREFUSED;
    for (struct addrinfo *ai = list; ai && result; ai = ai->ai_next) {
        int fd = socket (ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            code = errno;
            continue;
        }
        int flags = fcntl (fd, F_GETFL, 0);
        fcntl (fd, F_SETFL, flags | O_NONBLOCK);
        fcntl (fd, F_SETFD, FD_CLOEXEC);
        if (connect (fd, ai->ai_addr, ai->ai_addrlen) == 0)
            result = 0;
        else
        if (errno == EINPROGRESS) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            int ready = poll (&pfd, 1, (int) timeout_ms);
            if (ready == 1) {
                int soerr = 0;
                socklen_t len = sizeof soerr;
                if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0)
                    result = 0;
                else
                    code = soerr ? soerr : errno;
            }
            else
                code = ETIMEDOUT;
        }
        else
            code = errno;
        close (fd);
    }
    freeaddrinfo (list);
    if (result) {
        char text [128];
        s_error_text (code, text, sizeof text);
        snprintf (why, whylen, "port %s:%d does not accept: %s", self->host,
                  self->port, text);
    }
    return result;
}

//  One look at the service: the process (when pidfile/match) then the port.
static void
s_look (process_t *self, process_found_t *found, int64_t deadline)
{
    memset (found, 0, sizeof *found);
    if (self->pidfile)
        s_find_by_pidfile (self, found);
    else
    if (self->match)
        s_find_by_match (self, found);
    if (found->state != PROCESS_STATE_OK)
        return;
    if (self->port) {
        char why [256];
        if (s_probe_port (self, s_left_ms (deadline), why, sizeof why)) {
            found->state = PROCESS_STATE_UNHEALTHY;
            if (found->pid)
                snprintf (found->why, sizeof found->why, "pid %d running but %s",
                          found->pid, why);
            else
                snprintf (found->why, sizeof found->why, "not running (%s)", why);
            if (!found->pid)
                found->state = PROCESS_STATE_DEAD;
        }
    }
}

//  Look until the service is ready or the deadline passes, polling briefly.
//  want_dead: wait for the process to be gone instead (after stop).
static void
s_wait (process_t *self, process_found_t *found, int64_t until, int64_t deadline,
        bool want_dead)
{
    int64_t began = heal_monotonic_ms ();
    while (true) {
        s_look (self, found, until < deadline ? until : deadline);
        bool done = want_dead ? found->state == PROCESS_STATE_DEAD
                              : found->state == PROCESS_STATE_OK;
        int64_t now = heal_monotonic_ms ();
        if (done || now >= until || now >= deadline)
            return;
        int64_t step = now - began < 1000 ? PROCESS_POLL_FAST_MS : PROCESS_POLL_SLOW_MS;
        int64_t left = (until < deadline ? until : deadline) - now;
        s_pause_ms (step < left ? step : left);
    }
}


//  ---------------------------------------------------------------------------
//  run

static check_status_t
s_run (void *self_, const check_ctx_t *ctx, check_result_t *result)
{
    process_t *self = (process_t *) self_;
    int64_t deadline = s_deadline (ctx);
    process_found_t found;
    s_look (self, &found, deadline);

    //  A process that is still starting gets until start_timeout to open its
    //  port before we call it unhealthy.
    if (found.state == PROCESS_STATE_UNHEALTHY && found.pid) {
        platform_proc_stats_t stats;
        if (platform_proc_stats (found.pid, &stats) == 0
        &&  stats.uptime_ms < self->start_timeout_ms) {
            int64_t until = heal_monotonic_ms () + (self->start_timeout_ms - stats.uptime_ms);
            s_wait (self, &found, until, deadline, false);
        }
    }
    self->last_state = found.state;
    event_t *event = result->event;

    //  Read once per process (pid and start time): its environment is set
    //  when it starts, and reading it is most of a healthy run's cost.
    if (found.pid && (found.state == PROCESS_STATE_OK || found.state == PROCESS_STATE_UNHEALTHY)
    &&  (found.pid != self->label_pid || found.start_time != self->label_start)) {
        s_launchd_label (found.pid, self->launchd_label, sizeof self->launchd_label);
        self->label_pid = found.pid;
        self->label_start = found.start_time;
    }
    if (self->launchd_label [0])
        kind_evidence (event, "launchd job %s runs it (XPC_SERVICE_NAME)",
                       self->launchd_label);
    if (found.state == PROCESS_STATE_OK) {
        if (found.pid) {
            self->known_pid = found.pid;
            self->known_start = found.start_time;
            result->watch_pid = found.pid;
            result->watch_start = found.start_time;
        }
        char message [512];
        platform_proc_stats_t stats;
        bool have_stats = found.pid && platform_proc_stats (found.pid, &stats) == 0;
        if (found.pid && !have_stats)
            kind_evidence (event, "no cpu/memory figures for pid %d: %s", found.pid,
                           errno == EPERM? "another user's process (EPERM): run heal as "
                           "that user or root": strerror (errno));
        if (found.name_short)
            kind_evidence (event, "process name '%s' may be cut short by the kernel",
                           found.name);
        if (found.pid) {
            int n = snprintf (message, sizeof message, "%s (pid %d) running",
                              found.name, found.pid);
            if (have_stats && n > 0 && (size_t) n < sizeof message)
                n += snprintf (message + n, sizeof message - (size_t) n,
                               ", up %llds", (long long) (stats.uptime_ms / 1000));
            if (self->port && n > 0 && (size_t) n < sizeof message)
                snprintf (message + n, sizeof message - (size_t) n,
                          ", port %d accepting", self->port);
        }
        else
            snprintf (message, sizeof message, "port %s:%d accepting", self->host,
                      self->port);
        event_set_string (&event->message, message, EVENT_MAX_MESSAGE);
        if (found.pid) {
            event_add_metric (event, "pid", (double) found.pid);
            if (have_stats) {
                event_add_metric (event, "uptime_s", (double) stats.uptime_ms / 1000.0);
                if (stats.rss_bytes)
                    event_add_metric (event, "rss_bytes", (double) stats.rss_bytes);
                event_add_metric (event, "cpu_s", (double) stats.cpu_ms / 1000.0);
            }
        }
        return CHECK_OK;
    }
    event_set_string (&event->message, found.why, EVENT_MAX_MESSAGE);
    if (self->pidfile) {
        char line [EVENT_MAX_EVIDENCE_LEN];
        snprintf (line, sizeof line, "pidfile: %s", self->pidfile);
        event_add_evidence (event, line);
    }
    if (self->match) {
        char line [EVENT_MAX_EVIDENCE_LEN];
        snprintf (line, sizeof line, "match: %s", self->match);
        event_add_evidence (event, line);
    }
    if (found.state == PROCESS_STATE_UNHEALTHY) {
        //  Still alive: keep watching it, its death is news too.
        result->watch_pid = found.pid;
        result->watch_start = found.start_time;
        event_add_metric (event, "pid", (double) found.pid);
    }
    if (found.state == PROCESS_STATE_UNKNOWN)
        return CHECK_UNKNOWN;
    return CHECK_FAIL;
}


//  ---------------------------------------------------------------------------
//  remedy

//  Append text to a bounded output buffer.
static void
s_append (char *buf, size_t len, const char *text)
{
    size_t used = strlen (buf);
    if (used + 1 >= len)
        return;
    snprintf (buf + used, len - used, "%s", text);
}

//  Run one remedy command with what is left of timeout and deadline. Returns
//  0 when it ran and exited 0; -1 otherwise, with a line in output.
static int
s_command (const check_ctx_t *ctx, const char *label, const char *command,
           int64_t until, int64_t deadline, char *output, size_t outlen)
{
    int64_t limit = (until < deadline ? until : deadline) - heal_monotonic_ms ();
    if (limit < 1)
        limit = 1;
    command_result_t res;
    memset (&res, 0, sizeof res);
    char line [256];
    if (command_run (command, ctx->config ? ctx->config->path : NULL, limit,
                     EVENT_MAX_TEXT, &res)) {
        char text [128];
        s_error_text (errno, text, sizeof text);
        snprintf (line, sizeof line, "%s: could not run: %s\n", label, text);
        s_append (output, outlen, line);
        return -1;
    }
    int rc = 0;
    if (res.timed_out) {
        snprintf (line, sizeof line, "%s: timed out after %lld ms (killed)\n", label,
                  (long long) limit);
        rc = -1;
    }
    else
    if (res.signal) {
        snprintf (line, sizeof line, "%s: killed by signal %d\n", label, res.signal);
        rc = -1;
    }
    else
    if (res.exit_code != 0) {
        snprintf (line, sizeof line, "%s: exit %d\n", label, res.exit_code);
        rc = -1;
    }
    else
        snprintf (line, sizeof line, "%s: exit 0 in %lld ms\n", label,
                  (long long) res.duration_ms);
    s_append (output, outlen, line);
    if (res.output && res.output_len) {
        s_append (output, outlen, res.output);
        if (res.output [res.output_len - 1] != '\n')
            s_append (output, outlen, "\n");
    }
    command_result_free (&res);
    return rc;
}

//  Set out->output from our lines: events carry no control characters, so
//  lines are joined with "; " (blank lines and the last newline dropped).
static void
s_output_set (event_remedy_t *out, const char *text)
{
    size_t len = strlen (text);
    char *joined = malloc (2 * len + 1);
    if (!joined)
        return;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text [i] == '\r')
            continue;
        if (text [i] == '\n') {
            if (n > 0 && joined [n - 1] != ' ' && i + 1 < len && text [i + 1] != '\n') {
                joined [n++] = ';';
                joined [n++] = ' ';
            }
            continue;
        }
        joined [n++] = text [i];
    }
    joined [n] = 0;
    event_set_string (&out->output, joined, EVENT_MAX_TEXT);
    free (joined);
}

static remedy_status_t
s_remedy (void *self_, const check_ctx_t *ctx, const check_result_t *failed,
          event_remedy_t *out)
{
    (void) failed;
    process_t *self = (process_t *) self_;
    int64_t deadline = s_deadline (ctx);
    int64_t began = heal_monotonic_ms ();
    int64_t until = began + self->start_timeout_ms;

    //  Dead: start (or restart). Alive but not answering: restart, or stop
    //  then start.
    const char *action = NULL;
    bool stop_first = false;
    if (self->last_state == PROCESS_STATE_DEAD)
        action = self->start ? "start" : self->restart ? "restart" : NULL;
    else
    if (self->last_state == PROCESS_STATE_UNHEALTHY) {
        if (self->restart)
            action = "restart";
        else
        if (self->stop && self->start) {
            action = "stop+start";
            stop_first = true;
        }
    }
    if (!action)
        return REMEDY_NONE;
    if (self->launchd_label [0]) {
        //  launchd runs it (brew services: KeepAlive): a start here races
        //  launchd's own respawn and two copies fight over the port.
        char line [PROCESS_MAX_LABEL * 2 + 256];
        snprintf (line, sizeof line, "not run: launchd job %s runs this process and a "
                  "%s here would race launchd's own restart; check it with kind = launchd, "
                  "label = %s (brew services: homebrew.mxcl.<formula>)",
                  self->launchd_label, action, self->launchd_label);
        event_set_string (&out->action, "none", EVENT_MAX_SHORT);
        event_set_string (&out->output, line, EVENT_MAX_TEXT);
        return REMEDY_NONE;
    }
    event_set_string (&out->action, action, EVENT_MAX_SHORT);

    //  Someone else (launchd, systemd, an operator) may have brought it back
    //  since the run: never start a second copy.
    process_found_t now;
    s_look (self, &now, deadline);
    if (now.state == PROCESS_STATE_OK) {
        char line [128];
        if (now.pid)
            snprintf (line, sizeof line, "already running again (pid %d): nothing run",
                      now.pid);
        else
            snprintf (line, sizeof line, "port accepting again: nothing run");
        event_set_string (&out->output, line, EVENT_MAX_TEXT);
        return REMEDY_DONE;
    }

    char *output = calloc (1, EVENT_MAX_TEXT + 1);
    if (!output)
        return REMEDY_FAILED;
    remedy_status_t status = REMEDY_DONE;
    process_found_t found;
    memset (&found, 0, sizeof found);
    if (stop_first) {
        if (s_command (ctx, "stop", self->stop, until, deadline, output, EVENT_MAX_TEXT + 1)) {
            status = REMEDY_FAILED;
            goto done;
        }
        if (self->pidfile || self->match) {
            s_wait (self, &found, until, deadline, true);
            if (found.state != PROCESS_STATE_DEAD) {
                s_append (output, EVENT_MAX_TEXT + 1, "stop: the process is still running\n");
                status = REMEDY_FAILED;
                goto done;
            }
        }
    }
    const char *command = streq (action, "restart") ? self->restart : self->start;
    const char *label = streq (action, "restart") ? "restart" : "start";
    if (s_command (ctx, label, command, until, deadline, output, EVENT_MAX_TEXT + 1)) {
        status = REMEDY_FAILED;
        goto done;
    }
    //  Ready = running (found again: a new pid) and, with port, accepting:
    //  the verify window (remedy/verify, alias start_timeout).
    int64_t verify0 = heal_monotonic_ms ();
    s_wait (self, &found, until, deadline, false);
    out->verify_ms = heal_monotonic_ms () - verify0;
    char line [640];
    if (found.state == PROCESS_STATE_OK) {
        if (found.pid) {
            self->known_pid = found.pid;
            self->known_start = found.start_time;
            snprintf (line, sizeof line, "ready in %lld ms (pid %d)\n",
                      (long long) (heal_monotonic_ms () - began), found.pid);
        }
        else
            snprintf (line, sizeof line, "ready in %lld ms\n",
                      (long long) (heal_monotonic_ms () - began));
    }
    else {
        snprintf (line, sizeof line, "not ready after %lld ms: %s\n",
                  (long long) (heal_monotonic_ms () - began), found.why);
        status = REMEDY_FAILED;
    }
    s_append (output, EVENT_MAX_TEXT + 1, line);

done:
    s_output_set (out, output);
    free (output);
    return status;
}

//  The verify window when remedy/verify is not set: start_timeout.
static int64_t
s_verify_ms (const void *self_)
{
    return ((const process_t *) self_)->start_timeout_ms;
}

const check_kind_t check_kind_process = {
    .name = "process",
    .size = sizeof (process_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .setup = s_setup,
    .run = s_run,
    .remedy = s_remedy,
    .cleanup = s_cleanup,
    .verify_default_ms = 10000,
    .verify_ms = s_verify_ms,
};
