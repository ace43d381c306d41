//  evidence — what the diagnoser works out by itself before the one model
//  call, so that a shared cause can be seen (diagnoser.h):
//  - from the config file (never from the bus): each symptom's command,
//    remedy, description and `depends`, and the PATH heal's commands run with;
//  - the machine: OS and version, the user's login shell and the PATH a login
//    shell gets (run once, bounded by a timeout, cached until a shell file
//    changes);
//  - for "command not found" / exit 127 / ENOENT symptoms: where the missing
//    program is on this machine (heal's PATH, the login PATH, common
//    prefixes), and which shell or path files changed recently;
//  - a timeline of the failures and the dependencies between failing checks.
//  The program looked up is the first word of the check's `run` in the config
//  file, never a string that came from the bus; it is only looked up (stat),
//  never run.

#include "diagnoser.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define EVIDENCE_MAX_LINE      400      //  bytes of one config line shown
#define EVIDENCE_MAX_PATH      4096     //  bytes of a PATH kept
#define EVIDENCE_MAX_PROGRAM   128      //  bytes of a program name looked up
#define EVIDENCE_MAX_PATHS_D   32       //  /etc/paths.d entries looked at
#define EVIDENCE_MAX_PROBES    64       //  programs cached

//  A check's facts from the config file (redacted copies).
typedef struct {
    char *name;
    char *kind;
    char *command;              //  a command check's run (NULL otherwise)
    char *settings;             //  the other keys, "key=value ..."
    char *remedy;               //  its remedy block, "key=value ..."
    char *description;
    char *depends;              //  names, space separated (NULL: none)
    char *program;              //  first word of run, for lookups (NULL: none)
} s_check_t;

typedef struct {
    char *program;
    char *text;                 //  the probe's finding
    int64_t at;                 //  monotonic ms
} s_probe_t;

struct diag_evidence_t {
    s_check_t *checks;
    size_t check_count;
    char *heal_path;            //  agent/path
    char *shell;                //  the user's login shell
    char *home;
    char *os;                   //  "Linux 6.1.0 (Debian GNU/Linux 12)"
    char *login_path;           //  PATH of a login shell, NULL when unknown
    char *login_note;           //  why not, when it could not be had
    int64_t login_signature;    //  newest shell-file mtime when login_path was had
    bool login_done;
    s_probe_t probes [EVIDENCE_MAX_PROBES];
    size_t probe_count;
    int64_t probe_ttl_ms;
    int64_t shell_timeout_ms;
};

//  The shell and path files whose change can clobber a PATH ("~/" = $HOME).
static const char *s_shell_files [] = {
    "~/.zshrc", "~/.zprofile", "~/.zshenv", "~/.zlogin", "~/.bashrc", "~/.bash_profile",
    "~/.bash_login", "~/.profile", "~/.config/fish/config.fish",
    "/etc/paths", "/etc/profile", "/etc/zshrc", "/etc/zprofile", "/etc/bash.bashrc",
    "/etc/environment", NULL
};
static const char *s_paths_dirs [] = { "/etc/paths.d", "/etc/profile.d", NULL };

//  Where programs commonly live besides a PATH.
static const char *s_prefixes [] = {
    "/opt/homebrew/bin", "/opt/homebrew/sbin", "/usr/local/bin", "/usr/local/sbin",
    "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/opt/local/bin", "/snap/bin",
    "~/.local/bin", "~/bin", "~/.cargo/bin", "~/go/bin", NULL
};

//  --------------------------------------------------------------------------
//  Small helpers

static char *
s_expand (const diag_evidence_t *self, const char *path)
{
    if (path [0] == '~' && path [1] == '/')
        return self->home ? zsys_sprintf ("%s/%s", self->home, path + 2) : NULL;
    return strdup (path);
}

//  Redacted, bounded, one-line copy.
static char *
s_line (heal_redactor_t *redactor, const char *text)
{
    if (!text)
        return NULL;
    char *clean = heal_redact (redactor, text);
    if (!clean)
        return NULL;
    for (char *p = clean; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    if (strlen (clean) > EVIDENCE_MAX_LINE) {
        size_t n = EVIDENCE_MAX_LINE;
        while (n > 0 && ((unsigned char) clean [n] & 0xC0) == 0x80)
            n--;
        memcpy (clean + n, "...", 4);
    }
    return clean;
}

//  "key=value key=value" of a block's children (skipping skip, and blocks).
static char *
s_block_text (zconfig_t *block, const char *skip1, const char *skip2)
{
    heal_strbuf_t b = HEAL_STRBUF_INIT (0);
    for (zconfig_t *c = block ? zconfig_child (block) : NULL; c; c = zconfig_next (c)) {
        const char *name = zconfig_name (c), *value = zconfig_value (c);
        if (!name || !value || !*value || zconfig_child (c)
        ||  streq (name, "kind") || streq (name, "critical")    //  in the symptom's header
        ||  (skip1 && streq (name, skip1)) || (skip2 && streq (name, skip2)))
            continue;
        if (b.len)
            heal_strbuf_str (&b, " ");
        heal_strbuf_fmt (&b, "%s=%s", name, value);
    }
    return b.len ? heal_strbuf_take (&b) : (heal_strbuf_reset (&b), NULL);
}

//  The program a command line starts: its first word after VAR=value
//  assignments, when it is a plain name or an absolute path (no quoting,
//  no expansion: anything else is not looked up). Caller frees.
static char *
s_program (const char *run)
{
    const char *p = run;
    while (true) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != ';' && *p != '|' && *p != '&')
            p++;
        size_t len = (size_t) (p - start);
        if (len == 0 || len > EVIDENCE_MAX_PROGRAM)
            return NULL;
        const char *eq = memchr (start, '=', len);
        if (eq && eq > start) {
            if (!*p)
                return NULL;
            continue;               //  an assignment: the next word
        }
        for (size_t i = 0; i < len; i++) {
            char c = start [i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                   || c == '.' || c == '_' || c == '-' || c == '+' || c == '/';
            if (!ok)
                return NULL;
        }
        if (memchr (start, '/', len) && start [0] != '/')
            return NULL;            //  relative paths: no
        return strndup (start, len);
    }
}

//  --------------------------------------------------------------------------
//  The login shell's PATH: `SHELL -l -c 'printf %s "$PATH"'`, bounded

//  Newest mtime (unix s) of the shell files; 0 when none exists.
static int64_t
s_shell_signature (const diag_evidence_t *self)
{
    int64_t newest = 0;
    for (size_t i = 0; s_shell_files [i]; i++) {
        char *path = s_expand (self, s_shell_files [i]);
        struct stat st;
        if (path && stat (path, &st) == 0 && (int64_t) st.st_mtime > newest)
            newest = (int64_t) st.st_mtime;
        free (path);
    }
    for (size_t d = 0; s_paths_dirs [d]; d++) {
        struct stat st;
        if (stat (s_paths_dirs [d], &st) == 0 && (int64_t) st.st_mtime > newest)
            newest = (int64_t) st.st_mtime;
    }
    return newest;
}

static void
s_login_path_probe (diag_evidence_t *self)
{
    free (self->login_path);
    free (self->login_note);
    self->login_path = NULL;
    self->login_note = NULL;
    self->login_done = true;
    self->login_signature = s_shell_signature (self);
    if (!self->shell) {
        self->login_note = strdup ("no login shell known");
        return;
    }
    int fds [2];
    if (pipe (fds)) {
        self->login_note = zsys_sprintf ("pipe: %s", strerror (errno));
        return;
    }
    char *env_home = zsys_sprintf ("HOME=%s", self->home ? self->home : "/");
    char *env_path = zsys_sprintf ("PATH=%s", self->heal_path ? self->heal_path : "/usr/bin:/bin");
    char *env_shell = zsys_sprintf ("SHELL=%s", self->shell);
    const char *user = getenv ("USER");
    char *env_user = zsys_sprintf ("USER=%s", user ? user : "");
    char *envp [] = { env_home, env_path, env_shell, env_user, (char *) "TERM=dumb", NULL };
    char *argv [] = { self->shell, (char *) "-l", (char *) "-c",
                      (char *) "printf '%s' \"$PATH\"", NULL };
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init (&actions);
    posix_spawnattr_init (&attr);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2 (&actions, fds [1], 1);
    posix_spawn_file_actions_addopen (&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose (&actions, fds [0]);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup (&attr, 0);
    pid_t pid = 0;
    int rc = (env_home && env_path && env_shell && env_user)
           ? posix_spawn (&pid, self->shell, &actions, &attr, argv, envp) : ENOMEM;
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    free (env_home);
    free (env_path);
    free (env_shell);
    free (env_user);
    close (fds [1]);
    if (rc) {
        close (fds [0]);
        self->login_note = zsys_sprintf ("cannot run %s: %s", self->shell, strerror (rc));
        return;
    }
    char buf [EVIDENCE_MAX_PATH + 1];
    size_t len = 0;
    bool timed_out = false;
    int64_t end = heal_monotonic_ms () + self->shell_timeout_ms;
    while (true) {
        int64_t left = end - heal_monotonic_ms ();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = { .fd = fds [0], .events = POLLIN };
        int n = poll (&pfd, 1, (int) left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        ssize_t got = read (fds [0], buf + len, sizeof buf - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t) got;
        if (len >= sizeof buf - 1)
            break;
    }
    close (fds [0]);
    //  The shell exits after its printf; one that lingers (an rc file that
    //  closed stdout and waits) is killed at the deadline with its group.
    int status = 0;
    pid_t done = 0;
    while (!timed_out && (done = waitpid (pid, &status, WNOHANG)) == 0) {
        if (heal_monotonic_ms () >= end) {
            timed_out = true;
            break;
        }
        struct timespec pause = { 0, 5 * 1000 * 1000 };
        nanosleep (&pause, NULL);
    }
    if (timed_out || done < 0) {
        kill (-pid, SIGKILL);
        while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    buf [len] = 0;
    if (timed_out)
        self->login_note = zsys_sprintf ("%s -l did not answer within %lld ms", self->shell,
                                         (long long) self->shell_timeout_ms);
    else
    if (len == 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
        self->login_note = zsys_sprintf ("%s -l gave no PATH (exit %d)", self->shell,
                                         WIFEXITED (status) ? WEXITSTATUS (status) : -1);
    else
        self->login_path = heal_safe_string (buf, len, EVIDENCE_MAX_PATH);
}

//  The login PATH, probed again when a shell file changed since.
static void
s_login_path (diag_evidence_t *self)
{
    if (!self->login_done || s_shell_signature (self) != self->login_signature)
        s_login_path_probe (self);
}

//  --------------------------------------------------------------------------
//  Lookups

static bool
s_executable (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

//  The first dir of PATH list holding program, into found (empty: none).
static bool
s_on_path (const diag_evidence_t *self, const char *list, const char *program,
           char *found, size_t size)
{
    found [0] = 0;
    if (!list)
        return false;
    const char *p = list;
    while (*p) {
        const char *colon = strchr (p, ':');
        size_t len = colon ? (size_t) (colon - p) : strlen (p);
        if (len > 0 && len < 1024) {
            char dir [1024];
            memcpy (dir, p, len);
            dir [len] = 0;
            char *full = dir [0] == '~' ? s_expand (self, dir) : strdup (dir);
            char *path = full ? zsys_sprintf ("%s/%s", full, program) : NULL;
            bool yes = path && s_executable (path);
            if (yes)
                snprintf (found, size, "%s", path);
            free (full);
            free (path);
            if (yes)
                return true;
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    return false;
}

static void
s_add_when (heal_strbuf_t *b, int64_t unix_s)
{
    time_t t = (time_t) unix_s;
    struct tm tm;
    char when [32];
    if (gmtime_r (&t, &tm) && strftime (when, sizeof when, "%Y-%m-%d %H:%M:%SZ", &tm))
        heal_strbuf_str (b, when);
}

static void
s_add_age (heal_strbuf_t *b, int64_t seconds)
{
    if (seconds < 0)
        heal_strbuf_fmt (b, "%llds in the future", (long long) -seconds);
    else
    if (seconds < 120)
        heal_strbuf_fmt (b, "%llds ago", (long long) seconds);
    else
    if (seconds < 7200)
        heal_strbuf_fmt (b, "%lld min ago", (long long) (seconds / 60));
    else
        heal_strbuf_fmt (b, "%lld h ago", (long long) (seconds / 3600));
}

//  The finding for program (owned), from the cache when fresh.
static char *
s_probe (diag_evidence_t *self, const char *program)
{
    int64_t now = heal_monotonic_ms ();
    for (size_t i = 0; i < self->probe_count; i++)
        if (streq (self->probes [i].program, program)
        &&  now - self->probes [i].at < self->probe_ttl_ms)
            return strdup (self->probes [i].text);
    s_login_path (self);
    heal_strbuf_t b = HEAL_STRBUF_INIT (0);
    char found [1200];
    if (program [0] == '/') {
        heal_strbuf_fmt (&b, "%s %s", program, s_executable (program)
                         ? "exists and is executable" : "does not exist or is not executable");
    }
    else {
        bool on_heal = s_on_path (self, self->heal_path, program, found, sizeof found);
        if (on_heal)
            heal_strbuf_fmt (&b, "`command -v %s` with heal's PATH: %s", program, found);
        else
            heal_strbuf_fmt (&b, "`command -v %s` with heal's PATH: not found", program);
        if (self->login_path) {
            bool on_login = s_on_path (self, self->login_path, program, found, sizeof found);
            heal_strbuf_fmt (&b, "; with the login shell's PATH (%s): %s", self->shell,
                             on_login ? found : "not found");
        }
        else
            heal_strbuf_fmt (&b, "; login shell's PATH unknown (%s)",
                             self->login_note ? self->login_note : "?");
        //  common prefixes not on heal's PATH
        size_t shown = 0;
        for (size_t i = 0; s_prefixes [i]; i++) {
            char *dir = s_expand (self, s_prefixes [i]);
            char *path = dir ? zsys_sprintf ("%s/%s", dir, program) : NULL;
            if (path && s_executable (path)) {
                heal_strbuf_str (&b, shown++ ? ", " : "; present on this machine at: ");
                heal_strbuf_str (&b, path);
            }
            free (dir);
            free (path);
        }
        if (!shown)
            heal_strbuf_str (&b, "; not in the usual prefixes (/opt/homebrew/bin, "
                                 "/usr/local/bin, /usr/bin, ~/.local/bin ...)");
    }
    char *text = heal_strbuf_take (&b);
    if (!text)
        return NULL;
    //  cache: replace the entry for program, the oldest when full
    size_t slot = self->probe_count;
    for (size_t i = 0; i < self->probe_count; i++)
        if (streq (self->probes [i].program, program))
            slot = i;
    if (slot == EVIDENCE_MAX_PROBES) {
        slot = 0;
        for (size_t i = 1; i < self->probe_count; i++)
            if (self->probes [i].at < self->probes [slot].at)
                slot = i;
    }
    char *copy = strdup (text), *name = strdup (program);
    if (copy && name) {
        if (slot < self->probe_count) {
            free (self->probes [slot].program);
            free (self->probes [slot].text);
        }
        else
            self->probe_count++;
        self->probes [slot] = (s_probe_t) { name, copy, now };
    }
    else {
        free (copy);
        free (name);
    }
    return text;
}

//  --------------------------------------------------------------------------

diag_evidence_t *
diag_evidence_new (const heal_config_t *config, heal_redactor_t *redactor)
{
    diag_evidence_t *self = (diag_evidence_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->probe_ttl_ms = DIAG_PROBE_TTL_MS;
    self->shell_timeout_ms = DIAG_SHELL_TIMEOUT_MS;
    self->heal_path = strdup (config->path ? config->path : CONFIG_DEFAULT_PATH);
    const char *home = getenv ("HOME");
    struct passwd *pw = getpwuid (getuid ());
    if (home && *home == '/')
        self->home = strdup (home);
    else
    if (pw && pw->pw_dir)
        self->home = strdup (pw->pw_dir);
    //  $SHELL when it is an absolute path, else the password database's
    const char *shell = getenv ("SHELL");
    if (shell && *shell == '/' && access (shell, X_OK) == 0)
        self->shell = strdup (shell);
    else
    if (pw && pw->pw_shell && *pw->pw_shell == '/')
        self->shell = strdup (pw->pw_shell);
    struct utsname u;
    heal_strbuf_t os = HEAL_STRBUF_INIT (0);
    if (uname (&u) == 0)
        heal_strbuf_fmt (&os, "%s %s %s", u.sysname, u.release, u.machine);
    size_t size = 0;
    char *release = heal_read_file ("/etc/os-release", 64 * 1024, &size);
    const char *pretty = release ? strstr (release, "PRETTY_NAME=") : NULL;
    if (pretty) {
        pretty += strlen ("PRETTY_NAME=");
        if (*pretty == '"')
            pretty++;
        size_t n = strcspn (pretty, "\"\n");
        char *name = strndup (pretty, n);
        if (name) {
            char *safe = heal_safe_string (name, strlen (name), 128);
            heal_strbuf_fmt (&os, " (%s)", safe ? safe : "");
            free (safe);
        }
        free (name);
    }
    free (release);
    self->os = heal_strbuf_take (&os);
    if (!self->heal_path)
        goto fail;
    self->checks = (s_check_t *) calloc (config->check_count ? config->check_count : 1,
                                         sizeof *self->checks);
    if (!self->checks)
        goto fail;
    for (size_t i = 0; i < config->check_count; i++) {
        const heal_check_config_t *c = &config->checks [i];
        s_check_t *s = &self->checks [self->check_count++];
        s->name = strdup (c->name);
        s->kind = c->kind ? strdup (c->kind) : NULL;
        const char *run = heal_config_value (c->node, "run");
        if (run && c->kind && streq (c->kind, "command")) {
            s->command = s_line (redactor, run);
            s->program = s_program (run);
        }
        char *settings = s_block_text (c->node, "run", "description");
        s->settings = s_line (redactor, settings);
        free (settings);
        char *remedy = s_block_text (c->remedy, NULL, NULL);
        s->remedy = s_line (redactor, remedy);
        free (remedy);
        s->description = s_line (redactor, heal_config_value (c->node, "description"));
        s->depends = diag_evidence_config_depends (c);
        if (!s->name)
            goto fail;
    }
    return self;
fail:
    diag_evidence_destroy (&self);
    return NULL;
}

void
diag_evidence_destroy (diag_evidence_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    diag_evidence_t *self = *self_p;
    for (size_t i = 0; i < self->check_count; i++) {
        s_check_t *s = &self->checks [i];
        free (s->name);
        free (s->kind);
        free (s->command);
        free (s->settings);
        free (s->remedy);
        free (s->description);
        free (s->depends);
        free (s->program);
    }
    free (self->checks);
    for (size_t i = 0; i < self->probe_count; i++) {
        free (self->probes [i].program);
        free (self->probes [i].text);
    }
    free (self->heal_path);
    free (self->shell);
    free (self->home);
    free (self->os);
    free (self->login_path);
    free (self->login_note);
    free (self);
    *self_p = NULL;
}

//  HOOK (depends): a check's `depends` list, read from its config block
//  (names separated by spaces or commas). Another engineer is adding
//  `depends` to the agent's config and events; until the events carry it,
//  the config file is the source. Caller frees; NULL when none.
char *
diag_evidence_config_depends (const heal_check_config_t *check)
{
    const char *value = heal_config_value (check->node, "depends");
    if (!value || !*value)
        return NULL;
    heal_strbuf_t b = HEAL_STRBUF_INIT (0);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != ',' && *p != '\t')
            p++;
        if (p > start && (size_t) (p - start) <= EVENT_MAX_NAME) {
            char name [EVENT_MAX_NAME + 1];
            memcpy (name, start, (size_t) (p - start));
            name [p - start] = 0;
            if (heal_name_valid (name)) {
                if (b.len)
                    heal_strbuf_str (&b, " ");
                heal_strbuf_str (&b, name);
            }
        }
    }
    return b.len ? heal_strbuf_take (&b) : (heal_strbuf_reset (&b), NULL);
}

static const s_check_t *
s_find (const diag_evidence_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->check_count; i++)
        if (streq (self->checks [i].name, name))
            return &self->checks [i];
    return NULL;
}

//  Does the symptom look like a program that could not be found?
static bool
s_not_found (const event_t *e)
{
    for (size_t i = 0; i < e->metric_count; i++)
        if (streq (e->metrics [i].name, "exit_code") && e->metrics [i].value == 127)
            return true;
    const char *needles [] = { "not found", "No such file or directory", "ENOENT",
                               "exit 127", NULL };
    for (size_t n = 0; needles [n]; n++) {
        if (e->message && strstr (e->message, needles [n]))
            return true;
        for (size_t i = 0; i < e->evidence_count; i++)
            if (strstr (e->evidence [i], needles [n]))
                return true;
    }
    return false;
}

static int
s_set (char **field, const char *value)
{
    free (*field);
    *field = value ? strdup (value) : NULL;
    return value && !*field ? -1 : 0;
}

int
diag_evidence_annotate (diag_evidence_t *self, diag_symptom_t *symptom)
{
    const s_check_t *c = s_find (self, symptom->event->check);
    if (!c)
        return 0;
    if (s_set (&symptom->command, c->command)
    ||  s_set (&symptom->settings, c->settings)
    ||  s_set (&symptom->remedy_config, c->remedy)
    ||  s_set (&symptom->description, c->description)
    ||  s_set (&symptom->depends, c->depends))
        return -1;
    if (c->program && s_not_found (symptom->event)) {
        free (symptom->probe);
        symptom->probe = s_probe (self, c->program);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The environment block

static int
s_since_compare (const void *a, const void *b)
{
    int64_t x = (*(diag_symptom_t *const *) a)->event->since;
    int64_t y = (*(diag_symptom_t *const *) b)->event->since;
    return x < y ? -1 : x > y;
}

char *
diag_evidence_environment (diag_evidence_t *self, diag_symptom_t *const *symptoms,
                           size_t count, int64_t now_ms)
{
    heal_strbuf_t b = HEAL_STRBUF_INIT (0);
    heal_strbuf_str (&b, "## environment\n");
    heal_strbuf_fmt (&b, "os: %s\n", self->os ? self->os : "unknown");
    heal_strbuf_fmt (&b, "user's login shell: %s\n", self->shell ? self->shell : "unknown");
    heal_strbuf_fmt (&b, "PATH heal's commands run with: %s\n", self->heal_path);
    bool any_probe = false;
    for (size_t i = 0; i < count; i++)
        any_probe |= symptoms [i]->probe != NULL;
    if (any_probe) {
        if (self->login_path)
            heal_strbuf_fmt (&b, "PATH of a login shell (%s -l): %s\n", self->shell,
                             self->login_path);
        else
            heal_strbuf_fmt (&b, "PATH of a login shell: unknown (%s)\n",
                             self->login_note ? self->login_note : "not probed");
        //  shell and path files changed within DIAG_RECENT_FILE_MS
        int64_t now_s = now_ms / 1000;
        size_t shown = 0;
        for (size_t i = 0; s_shell_files [i]; i++) {
            char *path = s_expand (self, s_shell_files [i]);
            struct stat st;
            if (path && stat (path, &st) == 0
            &&  now_s - (int64_t) st.st_mtime <= DIAG_RECENT_FILE_MS / 1000) {
                heal_strbuf_str (&b, shown++ ? "" : "shell and path files changed recently:\n");
                heal_strbuf_fmt (&b, "- %s (%s) modified ", s_shell_files [i], path);
                s_add_when (&b, (int64_t) st.st_mtime);
                heal_strbuf_str (&b, ", ");
                s_add_age (&b, now_s - (int64_t) st.st_mtime);
                heal_strbuf_str (&b, "\n");
            }
            free (path);
        }
        for (size_t d = 0; s_paths_dirs [d]; d++) {
            DIR *dir = opendir (s_paths_dirs [d]);
            size_t seen = 0;
            for (struct dirent *ent = dir ? readdir (dir) : NULL;
                 ent && seen < EVIDENCE_MAX_PATHS_D; ent = readdir (dir)) {
                if (ent->d_name [0] == '.')
                    continue;
                seen++;
                char *path = zsys_sprintf ("%s/%s", s_paths_dirs [d], ent->d_name);
                struct stat st;
                if (path && stat (path, &st) == 0
                &&  now_s - (int64_t) st.st_mtime <= DIAG_RECENT_FILE_MS / 1000) {
                    heal_strbuf_str (&b, shown++ ? "" : "shell and path files changed recently:\n");
                    heal_strbuf_fmt (&b, "- %s modified ", path);
                    s_add_when (&b, (int64_t) st.st_mtime);
                    heal_strbuf_str (&b, ", ");
                    s_add_age (&b, now_s - (int64_t) st.st_mtime);
                    heal_strbuf_str (&b, "\n");
                }
                free (path);
            }
            if (dir)
                closedir (dir);
        }
        if (!shown)
            heal_strbuf_str (&b, "shell and path files changed recently: none in the last 24h\n");
    }
    //  timeline: when each failed, first to last
    diag_symptom_t **sorted = (diag_symptom_t **) calloc (count ? count : 1, sizeof *sorted);
    size_t timed = 0;
    for (size_t i = 0; sorted && i < count; i++)
        if (symptoms [i]->event->since > 0)
            sorted [timed++] = symptoms [i];
    if (timed > 0) {
        qsort (sorted, timed, sizeof *sorted, s_since_compare);
        int64_t first = sorted [0]->event->since, last = sorted [timed - 1]->event->since;
        heal_strbuf_str (&b, "## timeline\n");
        if (timed > 1) {
            heal_strbuf_fmt (&b, "%zu checks failed within %.1f s, the first at ", timed,
                             (double) (last - first) / 1000.0);
            s_add_when (&b, first / 1000);
            heal_strbuf_str (&b, "\n");
        }
        for (size_t i = 0; i < timed; i++) {
            heal_strbuf_str (&b, "- ");
            s_add_when (&b, sorted [i]->event->since / 1000);
            heal_strbuf_fmt (&b, " %s became %s\n", sorted [i]->event->check,
                             severity_name (sorted [i]->event->severity));
        }
    }
    free (sorted);
    //  dependencies between the failing checks
    size_t deps = 0;
    for (size_t i = 0; i < count; i++) {
        const char *list = symptoms [i]->depends;
        if (!list)
            continue;
        for (size_t k = 0; k < count; k++) {
            const char *other = symptoms [k]->event->check;
            if (k == i || !other)
                continue;
            size_t olen = strlen (other);
            for (const char *p = strstr (list, other); p; p = strstr (p + 1, other))
                if ((p == list || p [-1] == ' ') && (p [olen] == 0 || p [olen] == ' ')) {
                    if (!deps++)
                        heal_strbuf_str (&b, "## dependencies between the failing checks\n");
                    heal_strbuf_fmt (&b, "- %s depends on %s, which is failing too\n",
                                     symptoms [i]->event->check, other);
                    break;
                }
        }
    }
    return heal_strbuf_take (&b);
}
