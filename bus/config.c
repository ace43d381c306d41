//  config — heal's configuration (SPEC "Config"), ZPL read with czmq's zconfig.
//
//  zconfig parses; this file only walks the tree and validates it against the
//  tables below (one table per section: key name and value type). To accept a
//  new key, add one line to its section's table. Check blocks are validated in
//  two steps: the keys every check has (here) and the kind's own keys (the
//  agent, agent/check.c, through heal_config_known_keys).

#include "heal/config.h"
#include "heal/util.h"
#include "heal/listen.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_DEFAULTS_NAME "(built-in defaults)"
#define CONFIG_MAX_SHOWN     80          //  bytes of a bad value quoted in errors

//  --------------------------------------------------------------------------
//  The schema: sections, their keys and the type of each value

typedef enum {
    VALUE_STRING,           //  any text (bounded, valid UTF-8)
    VALUE_PATH,             //  absolute path, "~/" expanded by the reader
    VALUE_DURATION,         //  heal_parse_duration_ms, > 0
    VALUE_DURATION0,        //  heal_parse_duration_ms, >= 0
    VALUE_BOOL,             //  heal_parse_bool
    VALUE_COUNT,            //  integer >= 0
    VALUE_NUMBER,           //  finite decimal number >= 0
    VALUE_URL,              //  http:// or https://
    VALUE_ENDPOINT          //  heal_endpoint_valid
} value_type_t;

typedef struct {
    const char *name;
    value_type_t type;
} key_spec_t;

static const key_spec_t s_agent_keys [] = {
    { "interval",  VALUE_DURATION },     //  seconds between full cycles
    { "state_dir", VALUE_PATH },
    { "path",      VALUE_STRING },       //  PATH for every command heal runs
    { "timeout",   VALUE_DURATION },     //  default per-check timeout
    { "host",      VALUE_STRING },       //  this host's name (heal_hostname_set)
    { NULL, 0 }
};

//  heal-exporter; listen is checked by heal_listen_parse below.
static const key_spec_t s_exporter_keys [] = {
    { "listen",  VALUE_STRING },         //  IP:PORT
    { "timeout", VALUE_DURATION },       //  wait for the agent per scrape
    { NULL, 0 }
};

static const key_spec_t s_bus_keys [] = {
    { "publish", VALUE_ENDPOINT },
    { "inbound", VALUE_ENDPOINT },
    { NULL, 0 }
};

static const key_spec_t s_control_keys [] = {
    { "endpoint", VALUE_ENDPOINT },
    { NULL, 0 }
};

static const key_spec_t s_security_keys [] = {
    { "server_cert",   VALUE_PATH },
    { "client_cert",   VALUE_PATH },
    { "clients_dir",   VALUE_PATH },
    { "server_public", VALUE_PATH },
    { NULL, 0 }
};

//  The diagnoser reads these itself from config->root; we validate names and
//  the shape of the values so `-n` catches mistakes for every binary.
static const key_spec_t s_diagnoser_keys [] = {
    { "url",             VALUE_URL },
    { "model",           VALUE_STRING },
    { "timeout",         VALUE_DURATION },
    { "connect_timeout", VALUE_DURATION },
    { "num_ctx",         VALUE_COUNT },
    { "num_predict",     VALUE_COUNT },
    { "temperature",     VALUE_NUMBER },
    { "keep_alive",      VALUE_STRING },     //  Ollama's own syntax ("5m", "-1")
    { "ttl",             VALUE_DURATION0 },
    { "template",        VALUE_STRING },
    { "allow_remote",    VALUE_BOOL },
    { "redact",          VALUE_STRING },     //  PCRE2 patterns, space separated
    { "redact_defaults", VALUE_BOOL },       //  built-in secret patterns too (default true)
    { "flap_count",      VALUE_COUNT },
    { "flap_window",     VALUE_DURATION },
    { "max_evidence",    VALUE_COUNT },
    { NULL, 0 }
};

typedef struct {
    const char *name;
    const key_spec_t *keys;
} section_spec_t;

static const section_spec_t s_sections [] = {
    { "agent",     s_agent_keys },
    { "bus",       s_bus_keys },
    { "control",   s_control_keys },
    { "security",  s_security_keys },
    { "curve",     s_security_keys },        //  alias of security
    { "diagnoser", s_diagnoser_keys },
    { "exporter",  s_exporter_keys },
    { "check",     NULL },                   //  check = NAME blocks
    { NULL, NULL }
};

//  Keys every check block has, whatever its kind (the kind adds its own).
static const key_spec_t s_check_keys [] = {
    { "kind",        VALUE_STRING },
    { "critical",    VALUE_BOOL },
    { "interval",    VALUE_DURATION },
    { "timeout",     VALUE_DURATION },
    { "description", VALUE_STRING },
    { NULL, 0 }
};


#define CONFIG_MAX_ATTEMPTS 1000
#define CONFIG_MIN_INTERVAL_MS 100

//  --------------------------------------------------------------------------
//  Errors

static const char *
s_file_name (const char *file)
{
    return file ? file : CONFIG_DEFAULTS_NAME;
}

//  `FILE: WHERE: key 'KEY': what`; where and key may be NULL.
static void
s_verror (char *err, size_t errlen, const char *file, const char *where,
          const char *key, const char *fmt, va_list args)
    __attribute__ ((format (printf, 6, 0)));

static void
s_verror (char *err, size_t errlen, const char *file, const char *where,
          const char *key, const char *fmt, va_list args)
{
    if (!err || errlen == 0)
        return;
    char what [CONFIG_ERROR_MAX];
    vsnprintf (what, sizeof what, fmt, args);
    char *safe_key = key ? heal_safe_string (key, strlen (key), CONFIG_MAX_SHOWN) : NULL;
    snprintf (err, errlen, "%s: %s%s%s%s%s%s", s_file_name (file),
              where ? where : "", where ? ": " : "",
              safe_key ? "key '" : "", safe_key ? safe_key : "", safe_key ? "': " : "",
              what);
    free (safe_key);
}

static void
s_error (char *err, size_t errlen, const char *file, const char *where,
         const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 6, 7)));

static void
s_error (char *err, size_t errlen, const char *file, const char *where,
         const char *key, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    s_verror (err, errlen, file, where, key, fmt, args);
    va_end (args);
}

void
heal_config_error (char *err, size_t errlen, const char *file,
                   const char *check, const char *key, const char *fmt, ...)
{
    char where [CONFIG_MAX_SHOWN + 16];
    char *safe = check ? heal_safe_string (check, strlen (check), CONFIG_MAX_SHOWN) : NULL;
    if (safe)
        snprintf (where, sizeof where, "check '%s'", safe);
    free (safe);
    va_list args;
    va_start (args, fmt);
    s_verror (err, errlen, file, check ? where : NULL, key, fmt, args);
    va_end (args);
}

//  A bounded, printable copy of a value for an error message. Caller frees.
static char *
s_shown (const char *value)
{
    return heal_safe_string (value, strlen (value), CONFIG_MAX_SHOWN);
}

//  The known name nearest to name, or NULL when none is close enough.
static const char *
s_nearest (const char *name, const char *const *known)
{
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (size_t i = 0; known && known [i]; i++) {
        size_t d = heal_edit_distance (name, known [i]);
        if (d < best_distance) {
            best_distance = d;
            best = known [i];
        }
    }
    size_t len = strlen (name);
    size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
    return best && best_distance <= limit ? best : NULL;
}

//  --------------------------------------------------------------------------
//  Values

//  Integer in [min, max]. Returns 0 or -1.
static int
s_parse_count (const char *text, int64_t min, int64_t max, int64_t *out)
{
    if (!text || !*text)
        return -1;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll (text, &end, 10);
    if (errno || !end || *end || v < min || v > max)
        return -1;
    *out = (int64_t) v;
    return 0;
}

//  Check one value against its type. Returns 0 or -1 with err set.
static int
s_check_value (const char *file, const char *where, const char *key,
               const char *value, value_type_t type, char *err, size_t errlen)
{
    int64_t ms, n;
    bool b;
    char why [256];
    char *shown = s_shown (value);
    int rc = 0;
    switch (type) {
        case VALUE_STRING:
            break;
        case VALUE_PATH:
            if (!(value [0] == '/' || (value [0] == '~' && value [1] == '/'))) {
                s_error (err, errlen, file, where, key,
                         "'%s' is not an absolute path", shown);
                rc = -1;
            }
            break;
        case VALUE_DURATION:
        case VALUE_DURATION0:
            if (heal_parse_duration_ms (value, &ms)
            ||  (type == VALUE_DURATION && ms <= 0)) {
                s_error (err, errlen, file, where, key,
                         "'%s' is not a duration (e.g. 30 = seconds, 500ms, 5m, 6h, 2d)",
                         shown);
                rc = -1;
            }
            break;
        case VALUE_BOOL:
            if (heal_parse_bool (value, &b)) {
                s_error (err, errlen, file, where, key,
                         "'%s' is not a boolean (true or false)", shown);
                rc = -1;
            }
            break;
        case VALUE_COUNT:
            if (s_parse_count (value, 0, INT32_MAX, &n)) {
                s_error (err, errlen, file, where, key,
                         "'%s' is not a whole number", shown);
                rc = -1;
            }
            break;
        case VALUE_NUMBER: {
            char *end = NULL;
            errno = 0;
            double d = strtod (value, &end);
            if (!*value || errno || !end || *end || !isfinite (d) || d < 0) {
                s_error (err, errlen, file, where, key,
                         "'%s' is not a number", shown);
                rc = -1;
            }
            break;
        }
        case VALUE_URL:
            if (strncmp (value, "http://", 7) != 0 && strncmp (value, "https://", 8) != 0) {
                s_error (err, errlen, file, where, key,
                         "'%s' is not an http:// or https:// URL", shown);
                rc = -1;
            }
            break;
        case VALUE_ENDPOINT:
            if (!heal_endpoint_valid (value, why, sizeof why)) {
                s_error (err, errlen, file, where, key,
                         "'%s' is not a valid endpoint: %s", shown, why);
                rc = -1;
            }
            break;
    }
    free (shown);
    return rc;
}

//  Expand a leading "~/" with $HOME. Caller frees.
static char *
s_expand_path (const char *value)
{
    if (value [0] == '~' && value [1] == '/') {
        const char *home = getenv ("HOME");
        if (home && *home)
            return zsys_sprintf ("%s%s", home, value + 1);
    }
    return strdup (value);
}

//  --------------------------------------------------------------------------
//  Public helpers

const char *
heal_config_value (zconfig_t *node, const char *key)
{
    if (!node || !key)
        return NULL;
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child))
        if (zconfig_name (child) && streq (zconfig_name (child), key))
            return zconfig_value (child);
    return NULL;
}

//  Shared body of the key checks: every child of node is in known and
//  appears once; only `block` (may be NULL) may have children.
static int
s_known_keys (const char *file, const char *where, const char *prefix,
              zconfig_t *node, const char *const *known, const char *block,
              char *err, size_t errlen)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        const char *name = zconfig_name (child);
        if (!name)
            name = "";
        char key [CONFIG_MAX_SHOWN + 16];
        snprintf (key, sizeof key, "%s%s", prefix ? prefix : "", name);
        bool found = false;
        for (size_t i = 0; known && known [i]; i++)
            if (streq (known [i], name)) {
                found = true;
                break;
            }
        if (!found) {
            const char *near = s_nearest (name, known);
            if (near)
                s_error (err, errlen, file, where, key,
                         "unknown key (did you mean '%s%s'?)", prefix ? prefix : "", near);
            else
                s_error (err, errlen, file, where, key, "unknown key");
            return -1;
        }
        for (zconfig_t *other = zconfig_next (child); other; other = zconfig_next (other))
            if (zconfig_name (other) && streq (zconfig_name (other), name)) {
                s_error (err, errlen, file, where, key, "duplicate key");
                return -1;
            }
        if (zconfig_child (child) && !(block && streq (name, block))) {
            s_error (err, errlen, file, where, key,
                     "has an indented block under it: only 'remedy' takes one "
                     "(check the indentation)");
            return -1;
        }
        const char *value = zconfig_value (child);
        if (value && strlen (value) > CONFIG_MAX_VALUE) {
            s_error (err, errlen, file, where, key, "value longer than %d bytes",
                     CONFIG_MAX_VALUE);
            return -1;
        }
    }
    return 0;
}

int
heal_config_known_keys (const heal_config_t *self, zconfig_t *node,
                        const char *check, const char *const *known,
                        char *err, size_t errlen)
{
    const char *file = self ? self->file : NULL;
    char where [CONFIG_MAX_SHOWN + 16];
    const char *prefix = NULL;
    const char *node_name = zconfig_name (node) ? zconfig_name (node) : "";
    if (check) {
        char *safe = s_shown (check);
        snprintf (where, sizeof where, "check '%s'", safe);
        free (safe);
        if (streq (node_name, "remedy"))
            prefix = "remedy/";
    }
    else {
        char *safe = s_shown (node_name);
        snprintf (where, sizeof where, "%s", safe);
        free (safe);
    }
    return s_known_keys (file, where, prefix, node, known,
                         check && !prefix ? "remedy" : NULL, err, errlen);
}

int
heal_config_check_permissions (const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat (path, &st)) {
        s_error (err, errlen, path, NULL, NULL, "%s", strerror (errno));
        return -1;
    }
    if (!S_ISREG (st.st_mode)) {
        s_error (err, errlen, path, NULL, NULL, "not a regular file");
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        s_error (err, errlen, path, NULL, NULL,
                 "owned by uid %ld, not by the user running heal (uid %ld): "
                 "refusing it (chown %ld %s)", (long) st.st_uid, (long) geteuid (),
                 (long) geteuid (), path);
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        s_error (err, errlen, path, NULL, NULL,
                 "writable by group or others (mode %04o): refusing it (chmod go-w %s)",
                 (unsigned) (st.st_mode & 07777), path);
        return -1;
    }
    if (st.st_size > CONFIG_MAX_FILE) {
        s_error (err, errlen, path, NULL, NULL, "larger than %d bytes", CONFIG_MAX_FILE);
        return -1;
    }
    return 0;
}

char *
heal_config_locate (const char *explicit_path)
{
    if (explicit_path && *explicit_path)
        return strdup (explicit_path);
    const char *env = getenv ("HEAL_CONFIG");
    if (env && *env)
        return strdup (env);
    const char *home = getenv ("HOME");
    if (home && *home) {
        char *path = zsys_sprintf ("%s/.config/heal/heal.conf", home);
        struct stat st;
        if (path && stat (path, &st) == 0)
            return path;
        zstr_free (&path);
    }
    return NULL;
}

const heal_check_config_t *
heal_config_check (const heal_config_t *self, const char *name)
{
    if (!self || !name)
        return NULL;
    for (size_t i = 0; i < self->check_count; i++)
        if (streq (self->checks [i].name, name))
            return &self->checks [i];
    return NULL;
}

void
heal_config_destroy (heal_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    heal_config_t *self = *self_p;
    for (size_t i = 0; i < self->check_count; i++) {
        free (self->checks [i].name);
        free (self->checks [i].kind);
    }
    free (self->checks);
    zconfig_destroy (&self->root);
    free (self->file);
    free (self->state_dir);
    free (self->host);
    free (self->exporter_listen);
    free (self->path);
    free (self->publish);
    free (self->inbound);
    free (self->control);
    free (self->curve_server_cert);
    free (self->curve_client_cert);
    free (self->curve_clients_dir);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Parsing and validation

//  Parse text with zconfig, capturing its complaint so a syntax error can say
//  which line is wrong. czmq 4.2's zconfig reports syntax errors through
//  zclock_log, which prints to stdout unconditionally (zsys_set_logstream
//  does not reach it). stdout carries command output (healctl --json), so for
//  the duration of the parse we point fd 1 at a temporary file and read the
//  message back. Config loads happen on the main thread at start and reload;
//  nothing else in heal writes to stdout meanwhile.
static zconfig_t *
s_parse (const char *text, const char *file, char *err, size_t errlen)
{
    char logbuf [512];
    memset (logbuf, 0, sizeof logbuf);
    fflush (stdout);
    FILE *capture = tmpfile ();
    int saved = capture ? dup (STDOUT_FILENO) : -1;
    if (saved >= 0 && dup2 (fileno (capture), STDOUT_FILENO) < 0) {
        close (saved);
        saved = -1;
    }
    zconfig_t *root = zconfig_str_load (text);
    if (saved >= 0) {
        fflush (stdout);
        dup2 (saved, STDOUT_FILENO);
        close (saved);
        rewind (capture);
        size_t n = fread (logbuf, 1, sizeof logbuf - 1, capture);
        logbuf [n] = 0;
    }
    if (capture)
        fclose (capture);
    if (root)
        return root;
    //  czmq writes "... E (zconfig): (LINE) what"
    const char *at = strstr (logbuf, "(zconfig): (");
    long line = 0;
    const char *what = NULL;
    if (at) {
        at += strlen ("(zconfig): (");
        char *end = NULL;
        line = strtol (at, &end, 10);
        if (end && end [0] == ')' && end [1] == ' ')
            what = end + 2;
    }
    if (what && line > 0) {
        char msg [256];
        size_t n = strcspn (what, "\r\n");
        if (n >= sizeof msg)
            n = sizeof msg - 1;
        memcpy (msg, what, n);
        msg [n] = 0;
        char *safe = heal_safe_string (msg, n, 200);
        s_error (err, errlen, file, NULL, NULL,
                 "line %ld: syntax error: %s (ZPL: 4-space indents, key = value)",
                 line, safe ? safe : msg);
        free (safe);
    }
    else
        s_error (err, errlen, file, NULL, NULL,
                 "syntax error (ZPL: 4-space indents, key = value)");
    return NULL;
}

//  Set *out to a copy of node/key's value (expanded when a path), else def.
static int
s_take_string (zconfig_t *node, const char *key, const char *def, bool path, char **out)
{
    const char *value = heal_config_value (node, key);
    free (*out);
    *out = NULL;
    if (value && *value)
        *out = path ? s_expand_path (value) : strdup (value);
    else
    if (def)
        *out = strdup (def);
    else
        return 0;
    return *out ? 0 : -1;
}

//  Validate a section block against its key table.
static int
s_check_section (const char *file, zconfig_t *node, const key_spec_t *keys,
                 char *err, size_t errlen)
{
    const char *names [64];
    size_t n = 0;
    for (; keys [n].name && n + 1 < 64; n++)
        names [n] = keys [n].name;
    names [n] = NULL;
    const char *where = zconfig_name (node);
    if (s_known_keys (file, where, NULL, node, names, NULL, err, errlen))
        return -1;
    for (size_t i = 0; keys [i].name; i++) {
        const char *value = heal_config_value (node, keys [i].name);
        if (value && s_check_value (file, where, keys [i].name, value, keys [i].type,
                                    err, errlen))
            return -1;
    }
    return 0;
}

//  The generic part of one check block; fills check. 0 or -1 with err set.
static int
s_load_check (heal_config_t *self, zconfig_t *node, heal_check_config_t *check,
              int64_t default_timeout_ms, char *err, size_t errlen)
{
    const char *file = self->file;
    const char *name = zconfig_value (node);
    if (!name || !*name) {
        s_error (err, errlen, file, "check", NULL,
                 "a check needs a name: check = NAME");
        return -1;
    }
    char *shown = s_shown (name);
    char where [CONFIG_MAX_SHOWN + 16];
    snprintf (where, sizeof where, "check '%s'", shown);
    free (shown);
    if (!heal_name_valid (name)) {
        s_error (err, errlen, file, where, NULL,
                 "invalid name: use 1 to 64 of A-Z a-z 0-9 _ -");
        return -1;
    }
    if (heal_config_check (self, name)) {
        s_error (err, errlen, file, where, NULL, "duplicate check name");
        return -1;
    }
    check->name = strdup (name);
    check->node = node;
    check->timeout_ms = default_timeout_ms;
    check->attempts = CONFIG_DEFAULT_ATTEMPTS;
    check->within_ms = CONFIG_DEFAULT_WITHIN_MS;
    check->backoff_ms = CONFIG_DEFAULT_BACKOFF_MS;
    if (!check->name)
        return -1;

    //  Duplicate keys and stray nesting are checked here for the whole block;
    //  unknown keys need the kind's list and are the agent's (check_configure).
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        const char *key = zconfig_name (child);
        for (zconfig_t *other = zconfig_next (child); other; other = zconfig_next (other))
            if (streq (zconfig_name (other), key)) {
                s_error (err, errlen, file, where, key, "duplicate key");
                return -1;
            }
        if (zconfig_child (child) && !streq (key, "remedy")) {
            s_error (err, errlen, file, where, key,
                     "has an indented block under it: only 'remedy' takes one "
                     "(check the indentation)");
            return -1;
        }
        const char *value = zconfig_value (child);
        if (value && strlen (value) > CONFIG_MAX_VALUE) {
            s_error (err, errlen, file, where, key, "value longer than %d bytes",
                     CONFIG_MAX_VALUE);
            return -1;
        }
    }
    for (size_t i = 0; s_check_keys [i].name; i++) {
        const char *value = heal_config_value (node, s_check_keys [i].name);
        if (value && s_check_value (file, where, s_check_keys [i].name, value,
                                    s_check_keys [i].type, err, errlen))
            return -1;
    }
    const char *kind = heal_config_value (node, "kind");
    if (!kind || !*kind) {
        s_error (err, errlen, file, where, "kind",
                 "missing: every check needs a kind (disk, file, command, http, tcp, "
                 "process, log, ollama, launchd, systemd)");
        return -1;
    }
    check->kind = strdup (kind);
    if (!check->kind)
        return -1;
    const char *value = heal_config_value (node, "critical");
    if (value)
        heal_parse_bool (value, &check->critical);
    value = heal_config_value (node, "interval");
    if (value) {
        heal_parse_duration_ms (value, &check->interval_ms);
        if (check->interval_ms < CONFIG_MIN_INTERVAL_MS) {
            s_error (err, errlen, file, where, "interval",
                     "must be at least %dms", CONFIG_MIN_INTERVAL_MS);
            return -1;
        }
    }
    value = heal_config_value (node, "timeout");
    if (value)
        heal_parse_duration_ms (value, &check->timeout_ms);

    //  remedy block: its budget keys here, the kind's own keys in the agent
    zconfig_t *remedy = zconfig_locate (node, "remedy");
    if (remedy) {
        if (zconfig_value (remedy) && *zconfig_value (remedy)) {
            s_error (err, errlen, file, where, "remedy",
                     "takes no value: put its keys in an indented block under it");
            return -1;
        }
        check->remedy = remedy;
        for (zconfig_t *child = zconfig_child (remedy); child;
             child = zconfig_next (child)) {
            const char *key = zconfig_name (child);
            char shown_key [CONFIG_MAX_SHOWN + 16];
            snprintf (shown_key, sizeof shown_key, "remedy/%s", key);
            for (zconfig_t *other = zconfig_next (child); other;
                 other = zconfig_next (other))
                if (streq (zconfig_name (other), key)) {
                    s_error (err, errlen, file, where, shown_key, "duplicate key");
                    return -1;
                }
            if (zconfig_child (child)) {
                s_error (err, errlen, file, where, shown_key,
                         "has an indented block under it (check the indentation)");
                return -1;
            }
            const char *v = zconfig_value (child);
            if (v && strlen (v) > CONFIG_MAX_VALUE) {
                s_error (err, errlen, file, where, shown_key,
                         "value longer than %d bytes", CONFIG_MAX_VALUE);
                return -1;
            }
        }
        value = heal_config_value (remedy, "attempts");
        if (value) {
            int64_t n;
            if (s_parse_count (value, 0, CONFIG_MAX_ATTEMPTS, &n)) {
                char *s = s_shown (value);
                s_error (err, errlen, file, where, "remedy/attempts",
                         "'%s' is not a whole number from 0 to %d", s,
                         CONFIG_MAX_ATTEMPTS);
                free (s);
                return -1;
            }
            check->attempts = (int) n;
        }
        value = heal_config_value (remedy, "within");
        if (value) {
            if (s_check_value (file, where, "remedy/within", value, VALUE_DURATION,
                               err, errlen))
                return -1;
            heal_parse_duration_ms (value, &check->within_ms);
        }
        value = heal_config_value (remedy, "backoff");
        if (value) {
            if (s_check_value (file, where, "remedy/backoff", value, VALUE_DURATION0,
                               err, errlen))
                return -1;
            heal_parse_duration_ms (value, &check->backoff_ms);
        }
    }
    return 0;
}

//  Default ipc endpoint NAME under the runtime dir. Caller frees; NULL + err.
static char *
s_default_endpoint (const char *file, const char *section, const char *key,
                    const char *name, char *err, size_t errlen)
{
    char *dir = heal_runtime_dir ();
    if (!dir) {
        s_error (err, errlen, file, section, key,
                 "not set, and the default runtime directory is not usable "
                 "(see the message above); set it in the config");
        return NULL;
    }
    char *endpoint = zsys_sprintf ("ipc://%s/%s", dir, name);
    free (dir);
    if (endpoint && !heal_endpoint_valid (endpoint, NULL, 0)) {
        s_error (err, errlen, file, section, key,
                 "default %s is too long for an ipc path; set it in the config",
                 endpoint);
        zstr_free (&endpoint);
        return NULL;
    }
    char *copy = endpoint ? strdup (endpoint) : NULL;
    zstr_free (&endpoint);
    return copy;
}

//  Walk a parsed tree. Takes ownership of *root_p. file: name for messages
//  and for self->file (NULL = built-in defaults).
static heal_config_t *
s_load_tree (zconfig_t **root_p, const char *file, char *err, size_t errlen)
{
    heal_config_t *self = (heal_config_t *) calloc (1, sizeof (heal_config_t));
    if (!self) {
        zconfig_destroy (root_p);
        s_error (err, errlen, file, NULL, NULL, "out of memory");
        return NULL;
    }
    self->root = *root_p;
    *root_p = NULL;
    if (file && !(self->file = strdup (file)))
        goto nomem;

    //  Sections: known, once each (checks many times), in the right shape
    const char *section_names [16];
    size_t n = 0;
    for (; s_sections [n].name; n++)
        section_names [n] = s_sections [n].name;
    section_names [n] = NULL;
    size_t checks = 0;
    zconfig_t *security = NULL;
    for (zconfig_t *node = zconfig_child (self->root); node; node = zconfig_next (node)) {
        const char *name = zconfig_name (node);
        char *shown = s_shown (name ? name : "");
        const section_spec_t *spec = NULL;
        for (size_t i = 0; s_sections [i].name; i++)
            if (name && streq (s_sections [i].name, name))
                spec = &s_sections [i];
        if (!spec) {
            const char *near = s_nearest (name ? name : "", section_names);
            if (near)
                s_error (err, errlen, self->file, NULL, NULL,
                         "section '%s': unknown section (did you mean '%s'?)", shown, near);
            else
                s_error (err, errlen, self->file, NULL, NULL,
                         "section '%s': unknown section (sections: agent, bus, control, "
                         "security, diagnoser, exporter, check)", shown);
            free (shown);
            goto failed;
        }
        free (shown);
        if (streq (name, "check")) {
            checks++;
            continue;
        }
        if (zconfig_value (node) && *zconfig_value (node)) {
            s_error (err, errlen, self->file, name, NULL,
                     "a section takes no value: put its keys in an indented block");
            goto failed;
        }
        for (zconfig_t *other = zconfig_next (node); other; other = zconfig_next (other)) {
            const char *other_name = zconfig_name (other);
            bool same = streq (other_name, name)
                     || (spec->keys == s_security_keys && other_name
                         && (streq (other_name, "security") || streq (other_name, "curve")));
            if (same) {
                s_error (err, errlen, self->file, other_name, NULL,
                         "section given twice: merge them into one");
                goto failed;
            }
        }
        if (s_check_section (self->file, node, spec->keys, err, errlen))
            goto failed;
        if (spec->keys == s_security_keys)
            security = node;
    }
    if (checks > CONFIG_MAX_CHECKS) {
        s_error (err, errlen, self->file, NULL, NULL,
                 "%zu checks: at most %d", checks, CONFIG_MAX_CHECKS);
        goto failed;
    }

    //  agent
    zconfig_t *agent = zconfig_locate (self->root, "agent");
    self->interval_ms = CONFIG_DEFAULT_INTERVAL_MS;
    int64_t default_timeout = CONFIG_DEFAULT_TIMEOUT_MS;
    const char *value = heal_config_value (agent, "interval");
    if (value) {
        heal_parse_duration_ms (value, &self->interval_ms);
        if (self->interval_ms < CONFIG_MIN_INTERVAL_MS) {
            s_error (err, errlen, self->file, "agent", "interval",
                     "must be at least %dms", CONFIG_MIN_INTERVAL_MS);
            goto failed;
        }
    }
    value = heal_config_value (agent, "timeout");
    if (value)
        heal_parse_duration_ms (value, &default_timeout);
    if (s_take_string (agent, "state_dir", NULL, true, &self->state_dir)
    ||  s_take_string (agent, "path", CONFIG_DEFAULT_PATH, false, &self->path))
        goto nomem;
    if (!self->state_dir) {
        self->state_dir = heal_default_state_dir ();
        if (!self->state_dir) {
            s_error (err, errlen, self->file, "agent", "state_dir",
                     "not set, and there is no home directory to default to");
            goto failed;
        }
    }

    if (s_take_string (agent, "host", NULL, false, &self->host))
        goto nomem;
    if (self->host && heal_hostname_set (self->host)) {
        s_error (err, errlen, self->file, "agent", "host",
                 "'%s': a host name is [A-Za-z0-9_.-], 1 to 64 bytes", self->host);
        goto failed;
    }

    //  exporter
    zconfig_t *exporter = zconfig_locate (self->root, "exporter");
    if (s_take_string (exporter, "listen", CONFIG_DEFAULT_EXPORTER_LISTEN, false,
                       &self->exporter_listen))
        goto nomem;
    heal_listen_t listen;
    char why [CONFIG_ERROR_MAX / 2];
    if (heal_listen_parse (self->exporter_listen, &listen, why, sizeof why)) {
        s_error (err, errlen, self->file, "exporter", "listen", "%s", why);
        goto failed;
    }
    self->exporter_timeout_ms = CONFIG_DEFAULT_EXPORTER_TIMEOUT_MS;
    value = heal_config_value (exporter, "timeout");
    if (value) {
        heal_parse_duration_ms (value, &self->exporter_timeout_ms);
        if (self->exporter_timeout_ms > CONFIG_MAX_EXPORTER_TIMEOUT_MS) {
            s_error (err, errlen, self->file, "exporter", "timeout",
                     "at most %dms (under Prometheus' scrape timeout)",
                     CONFIG_MAX_EXPORTER_TIMEOUT_MS);
            goto failed;
        }
    }

    //  bus and control
    zconfig_t *bus = zconfig_locate (self->root, "bus");
    zconfig_t *control = zconfig_locate (self->root, "control");
    if (s_take_string (bus, "publish", NULL, false, &self->publish)
    ||  s_take_string (bus, "inbound", NULL, false, &self->inbound)
    ||  s_take_string (control, "endpoint", NULL, false, &self->control))
        goto nomem;
    if (!self->publish
    &&  !(self->publish = s_default_endpoint (self->file, "bus", "publish", "bus",
                                              err, errlen)))
        goto failed;
    if (!self->inbound
    &&  !(self->inbound = s_default_endpoint (self->file, "bus", "inbound", "bus-in",
                                              err, errlen)))
        goto failed;
    if (!self->control
    &&  !(self->control = s_default_endpoint (self->file, "control", "endpoint",
                                              "control", err, errlen)))
        goto failed;
    if (streq (self->publish, self->inbound) || streq (self->publish, self->control)
    ||  streq (self->inbound, self->control)) {
        s_error (err, errlen, self->file, NULL, NULL,
                 "bus/publish, bus/inbound and control/endpoint must all differ");
        goto failed;
    }

    //  security
    if (s_take_string (security, "server_cert", NULL, true, &self->curve_server_cert)
    ||  s_take_string (security, "client_cert", NULL, true, &self->curve_client_cert)
    ||  s_take_string (security, "clients_dir", NULL, true, &self->curve_clients_dir))
        goto nomem;

    //  checks
    if (checks) {
        self->checks = (heal_check_config_t *) calloc (checks, sizeof (heal_check_config_t));
        if (!self->checks)
            goto nomem;
    }
    for (zconfig_t *node = zconfig_child (self->root); node; node = zconfig_next (node)) {
        if (!streq (zconfig_name (node), "check"))
            continue;
        heal_check_config_t *check = &self->checks [self->check_count];
        int rc = s_load_check (self, node, check, default_timeout, err, errlen);
        //  counted even when half-filled so destroy frees what it holds
        self->check_count++;
        if (rc) {
            if (!check->name)
                goto nomem_or_failed;
            goto failed;
        }
    }
    return self;

nomem_or_failed:
    if (err && *err)
        goto failed;
nomem:
    s_error (err, errlen, self->file, NULL, NULL, "out of memory");
failed:
    heal_config_destroy (&self);
    return NULL;
}

//  Validate raw text and parse it. file names it in messages.
static heal_config_t *
s_load_text (const char *text, size_t size, const char *file, char *err, size_t errlen)
{
    if (err && errlen)
        err [0] = 0;
    if (size > CONFIG_MAX_FILE) {
        s_error (err, errlen, file, NULL, NULL, "larger than %d bytes", CONFIG_MAX_FILE);
        return NULL;
    }
    if (memchr (text, 0, size)) {
        s_error (err, errlen, file, NULL, NULL, "contains a NUL byte: not a text file");
        return NULL;
    }
    if (!heal_utf8_valid (text, size)) {
        //  name the line for the operator
        long line = 1;
        size_t start = 0;
        for (size_t i = 0; i < size; i++)
            if (text [i] == '\n') {
                if (!heal_utf8_valid (text + start, i - start))
                    break;
                line++;
                start = i + 1;
            }
        s_error (err, errlen, file, NULL, NULL, "line %ld: not valid UTF-8", line);
        return NULL;
    }
    zconfig_t *root = s_parse (text, file, err, errlen);
    if (!root)
        return NULL;
    return s_load_tree (&root, file, err, errlen);
}

heal_config_t *
heal_config_load_text (const char *text, const char *name, char *err, size_t errlen)
{
    if (!text) {
        s_error (err, errlen, name, NULL, NULL, "no text");
        return NULL;
    }
    return s_load_text (text, strlen (text), name, err, errlen);
}

//  Quote a value for ZPL: double quotes unless it holds one.
static const char *
s_quote (const char *value)
{
    return strchr (value, '"') ? "'" : "\"";
}

//  The built-in configuration (SPEC: works on a fresh machine).
static heal_config_t *
s_load_defaults (char *err, size_t errlen)
{
    char *state = heal_default_state_dir ();
    char *runtime = heal_runtime_dir ();
    if (!state || !runtime) {
        s_error (err, errlen, NULL, NULL, NULL, state
                 ? "the runtime directory for heal's sockets is not usable (see above)"
                 : "no home directory for heal's state: write a config file");
        free (state);
        free (runtime);
        return NULL;
    }
    const char *sq = s_quote (state);
    const char *rq = s_quote (runtime);
    char *text = zsys_sprintf (
        "agent\n"
        "    interval = 300\n"
        "    state_dir = %s%s%s\n"
        "bus\n"
        "    publish = %sipc://%s/bus%s\n"
        "    inbound = %sipc://%s/bus-in%s\n"
        "control\n"
        "    endpoint = %sipc://%s/control%s\n"
        "check = disk-root\n"
        "    kind = disk\n"
        "    critical = true\n"
        "    path = \"/\"\n"
        "    min_free = \"10%%\"\n"
        "check = state-dir\n"
        "    kind = file\n"
        "    path = %s%s%s\n"
        "    type = dir\n"
        "    remedy\n"
        "        create = true\n"
        "check = ollama\n"
        "    kind = ollama\n"
        "    url = \"http://127.0.0.1:11434\"\n",
        sq, state, sq, rq, runtime, rq, rq, runtime, rq, rq, runtime, rq,
        sq, state, sq);
    free (state);
    free (runtime);
    if (!text) {
        s_error (err, errlen, NULL, NULL, NULL, "out of memory");
        return NULL;
    }
    heal_config_t *self = s_load_text (text, strlen (text), NULL, err, errlen);
    zstr_free (&text);
    return self;
}

heal_config_t *
heal_config_load (const char *path, char *err, size_t errlen)
{
    if (err && errlen)
        err [0] = 0;
    if (!path)
        return s_load_defaults (err, errlen);
    if (heal_config_check_permissions (path, err, errlen))
        return NULL;
    size_t size = 0;
    char *text = heal_read_file (path, CONFIG_MAX_FILE, &size);
    if (!text) {
        if (errno == EFBIG)
            s_error (err, errlen, path, NULL, NULL, "larger than %d bytes",
                     CONFIG_MAX_FILE);
        else
            s_error (err, errlen, path, NULL, NULL, "%s", strerror (errno));
        return NULL;
    }
    heal_config_t *self = s_load_text (text, size, path, err, errlen);
    free (text);
    return self;
}
