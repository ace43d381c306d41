//  config — heal's configuration (SPEC "Config"), ZPL read with czmq's zconfig.
//
//  zconfig parses; this file only walks the tree and validates it against the
//  tables below (one table per section: key name and value type). To accept a
//  new key, add one line to its section's table. Check blocks are validated in
//  two steps: the keys every check has (here) and the kind's own keys (the
//  agent, agent/check.c, through heal_config_known_keys).

#include "heal/config.h"
#include "heal/notify_config.h"
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

#define CONFIG_MAX_SHOWN     HEAL_KEYS_MAX_SHOWN

//  --------------------------------------------------------------------------
//  The schema: one key table per section (heal/keys.h), read by heal_keys_read

#define AGENT_AT(field)  HEAL_KEY_AT (heal_config_t, field)
#define CHECK_AT(field)  HEAL_KEY_AT (heal_check_config_t, field)

static const heal_key_t s_agent_keys [] = {
    { .name = "interval", .type = HEAL_KEY_DURATION, .at = AGENT_AT (interval_ms),
      .min = CONFIG_MIN_INTERVAL_MS, .def = "300",
      .help = "time between full cycles; a check's own interval overrides it" },
    { .name = "state_dir", .type = HEAL_KEY_PATH, .at = AGENT_AT (state_dir),
      .help = "report.json, incidents.jsonl, heal's state" },
    { .name = "path", .type = HEAL_KEY_STRING, .at = AGENT_AT (path),
      .def = CONFIG_DEFAULT_PATH, .flags = HEAL_KEY_EMPTY, .help = "the PATH of every command heal runs" },
    { .name = "timeout", .type = HEAL_KEY_DURATION, .at = AGENT_AT (timeout_ms),
      .def = "10", .help = "default per-check timeout" },
    { .name = "host", .type = HEAL_KEY_STRING, .at = AGENT_AT (host),
      .help = "this host's name on the bus (heal_hostname_set)" },
    { .name = "report_readable_by_others", .type = HEAL_KEY_BOOL,
      .at = AGENT_AT (report_readable_by_others), .def = "false",
      .help = "report.json (evidence, command output) readable by every local user" },
    { .name = "redact", .type = HEAL_KEY_BOOL, .at = AGENT_AT (redact), .def = "false",
      .help = "redact credentials (heal/redact.h) in check events before they go on the bus" },
    { .name = NULL }
};

//  heal-exporter; listen is checked by heal_listen_parse and timeout's upper
//  bound in s_load_tree (their own messages).
static const heal_key_t s_exporter_keys [] = {
    { .name = "listen", .type = HEAL_KEY_STRING, .at = AGENT_AT (exporter_listen),
      .def = CONFIG_DEFAULT_EXPORTER_LISTEN, .help = "IP:PORT of the /metrics endpoint" },
    { .name = "timeout", .type = HEAL_KEY_DURATION, .at = AGENT_AT (exporter_timeout_ms),
      .def = "2s", .help = "how long a scrape waits for the agent" },
    { .name = NULL }
};

static const heal_key_t s_bus_keys [] = {
    { .name = "publish", .type = HEAL_KEY_ENDPOINT, .at = AGENT_AT (publish),
      .help = "where the agent publishes events" },
    { .name = "inbound", .type = HEAL_KEY_ENDPOINT, .at = AGENT_AT (inbound),
      .help = "where the diagnoser sends its events" },
    { .name = NULL }
};

static const heal_key_t s_control_keys [] = {
    { .name = "endpoint", .type = HEAL_KEY_ENDPOINT, .at = AGENT_AT (control),
      .help = "the agent's control socket (healctl)" },
    { .name = NULL }
};

static const heal_key_t s_security_keys [] = {
    { .name = "server_cert", .type = HEAL_KEY_PATH, .at = AGENT_AT (curve_server_cert),
      .help = "the agent's certificate" },
    { .name = "client_cert", .type = HEAL_KEY_PATH, .at = AGENT_AT (curve_client_cert),
      .help = "healctl's and the diagnoser's own certificate" },
    { .name = "clients_dir", .type = HEAL_KEY_PATH, .at = AGENT_AT (curve_clients_dir),
      .help = "directory of the public certificates of allowed clients" },
    { .name = "server_public", .type = HEAL_KEY_PATH,
      .help = "the agent's public certificate" },
    { .name = "allow_unauthenticated_tcp", .type = HEAL_KEY_BOOL, .def = "false",
      .help = "plain tcp on loopback: every local user may command heal" },
    { .name = NULL }
};

//  The diagnoser reads these itself from config->root (diagnoser/settings.c:
//  its defaults and ranges); here names and the shape of the values, so `-n`
//  catches mistakes for every binary.
static const heal_key_t s_diagnoser_keys [] = {
    { .name = "url", .type = HEAL_KEY_URL, .help = "Ollama's base URL" },
    { .name = "model", .type = HEAL_KEY_STRING, .flags = HEAL_KEY_EMPTY,
      .help = "the model asked" },
    { .name = "timeout", .type = HEAL_KEY_DURATION, .help = "whole request" },
    { .name = "connect_timeout", .type = HEAL_KEY_DURATION, .help = "connection" },
    { .name = "num_ctx", .type = HEAL_KEY_INT, .help = "context tokens" },
    { .name = "num_predict", .type = HEAL_KEY_INT, .help = "answer tokens at most" },
    { .name = "temperature", .type = HEAL_KEY_NUMBER, .help = "sampling temperature" },
    { .name = "keep_alive", .type = HEAL_KEY_STRING, .flags = HEAL_KEY_EMPTY,
      .help = "Ollama's own syntax (\"5m\", \"-1\")" },
    { .name = "ttl", .type = HEAL_KEY_DURATION, .flags = HEAL_KEY_ZERO,
      .help = "cache lifetime of a diagnosis" },
    { .name = "template", .type = HEAL_KEY_STRING, .flags = HEAL_KEY_EMPTY,
      .help = "prompt template file" },
    { .name = "allow_remote", .type = HEAL_KEY_BOOL, .help = "allow a non-loopback url" },
    { .name = "redact", .type = HEAL_KEY_STRING, .flags = HEAL_KEY_EMPTY,
      .help = "PCRE2 patterns, space separated" },
    { .name = "redact_defaults", .type = HEAL_KEY_BOOL,
      .help = "also the built-in secret patterns" },
    { .name = "flap_count", .type = HEAL_KEY_INT, .help = "heals that make a flap" },
    { .name = "flap_window", .type = HEAL_KEY_DURATION, .help = "... within this window" },
    { .name = "max_evidence", .type = HEAL_KEY_INT, .help = "evidence lines per symptom" },
    { .name = "backoff", .type = HEAL_KEY_DURATION, .flags = HEAL_KEY_ZERO,
      .help = "pause after a failed request, doubling" },
    { .name = NULL }
};

static const heal_config_section_t s_sections [] = {
    { "agent",     s_agent_keys },
    { "bus",       s_bus_keys },
    { "control",   s_control_keys },
    { "security",  s_security_keys },
    { "curve",     s_security_keys },        //  alias of security
    { "diagnoser", s_diagnoser_keys },
    { "exporter",  s_exporter_keys },
    { "check",     NULL },                   //  check = NAME blocks
    { "notify",      NULL },                 //  heal-notify: bus/notify_config.c
    { "destination", NULL },                 //  destination = NAME blocks, ditto
    { NULL, NULL }
};

//  Keys every check block has, whatever its kind (the kind adds its own).
//  interval and timeout land here; their defaults come from the agent section.
const heal_key_t heal_config_check_keys [] = {
    { .name = "kind", .type = HEAL_KEY_STRING, .at = CHECK_AT (kind),
      .flags = HEAL_KEY_REQUIRED | HEAL_KEY_EMPTY,
      .missing = "missing: every check needs a kind (disk, file, command, http, tcp, "
                 "process, log, ollama, launchd, systemd)",
      .help = "disk, file, command, http, tcp, process, log, ollama, launchd, systemd" },
    { .name = "critical", .type = HEAL_KEY_BOOL, .at = CHECK_AT (critical),
      .def = "false", .help = "a failing critical check makes heal degraded" },
    { .name = "interval", .type = HEAL_KEY_DURATION, .at = CHECK_AT (interval_ms),
      .min = CONFIG_MIN_INTERVAL_MS, .help = "default: the agent's interval" },
    { .name = "timeout", .type = HEAL_KEY_DURATION, .at = CHECK_AT (timeout_ms),
      .help = "default: the agent's timeout" },
    { .name = "description", .type = HEAL_KEY_STRING, .at = CHECK_AT (description),
      .flags = HEAL_KEY_EMPTY, .max_len = 1024, .help = "for people and the diagnoser" },
    { .name = "depends", .type = HEAL_KEY_LIST, .at = CHECK_AT (depends),
      .max = CONFIG_MAX_DEPENDS, .max_len = 64,
      .help = "checks this one needs: no remedy or alert while one fails" },
    { .name = "remedy", .type = HEAL_KEY_BLOCK,
      .help = "what to do when the check fails" },
    { .name = NULL }
};

//  Keys every remedy block has: the remediation budget.
const heal_key_t heal_config_remedy_keys [] = {
    { .name = "attempts", .type = HEAL_KEY_INT, .at = CHECK_AT (attempts),
      .min = 0, .max = CONFIG_MAX_ATTEMPTS, .def = "3",
      .help = "at most this many remediations (0 = never remediate) ..." },
    { .name = "within", .type = HEAL_KEY_DURATION, .at = CHECK_AT (within_ms),
      .def = "900", .help = "... in any window this long; then heal gives up" },
    { .name = "backoff", .type = HEAL_KEY_DURATION, .at = CHECK_AT (backoff_ms),
      .flags = HEAL_KEY_ZERO, .def = "1", .help = "first delay between attempts, doubling" },
    { .name = "verify", .type = HEAL_KEY_DURATION, .at = CHECK_AT (verify_ms),
      .seen = CHECK_AT (verify_given), .flags = HEAL_KEY_ZERO, .max = CONFIG_MAX_VERIFY_MS,
      .help = "after a remedy, re-check until it passes or this long has passed" },
    { .name = NULL }
};

const heal_config_section_t *
heal_config_sections (void)
{
    static const heal_config_section_t sections [] = {
        { "agent",     s_agent_keys },
        { "bus",       s_bus_keys },
        { "control",   s_control_keys },
        { "security",  s_security_keys },
        { "diagnoser", s_diagnoser_keys },
        { "check",     heal_config_check_keys },
        { "remedy",    heal_config_remedy_keys },
        { NULL, NULL }
    };
    return sections;
}

//  --------------------------------------------------------------------------
//  Errors

//  `FILE: WHERE: key 'KEY': what`; where and key may be NULL.
static void
s_verror (char *err, size_t errlen, const char *file, const char *where,
          const char *key, const char *fmt, va_list args)
    __attribute__ ((format (printf, 6, 0)));

static void
s_verror (char *err, size_t errlen, const char *file, const char *where,
          const char *key, const char *fmt, va_list args)
{
    heal_keys_ctx_t ctx = { .file = file, .where = where };
    heal_keys_verror (&ctx, key, err, errlen, fmt, args);
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

int
heal_config_known_keys (const heal_config_t *self, zconfig_t *node,
                        const char *check, const char *const *known,
                        char *err, size_t errlen)
{
    char where [CONFIG_MAX_SHOWN + 16];
    const char *node_name = zconfig_name (node) ? zconfig_name (node) : "";
    heal_keys_ctx_t ctx = { .file = self ? self->file : NULL, .where = where };
    if (check) {
        char *safe = s_shown (check);
        snprintf (where, sizeof where, "check '%s'", safe);
        free (safe);
        if (streq (node_name, "remedy"))
            ctx.prefix = "remedy/";
    }
    else {
        char *safe = s_shown (node_name);
        snprintf (where, sizeof where, "%s", safe);
        free (safe);
    }
    //  a table of the names; a check block's `remedy` takes a block
    heal_key_t table [HEAL_KEYS_MAX_TABLE + 1];
    memset (table, 0, sizeof table);
    for (size_t i = 0; known && known [i] && i < HEAL_KEYS_MAX_TABLE; i++) {
        table [i].name = known [i];
        table [i].type = check && !ctx.prefix && streq (known [i], "remedy")
                       ? HEAL_KEY_BLOCK : HEAL_KEY_STRING;
    }
    const heal_key_t *tables [] = { table, NULL };
    return heal_keys_names (&ctx, node, tables, err, errlen);
}

int
heal_config_check_permissions (const char *path, char *err, size_t errlen)
{
    struct stat st;
    //  A symlink is the operator's only when they own it: a link planted by
    //  someone else (to a file they may not read) would have heal read it
    //  with our rights, and quote it in errors.
    if (lstat (path, &st) == 0 && S_ISLNK (st.st_mode) && st.st_uid != geteuid ()) {
        s_error (err, errlen, path, NULL, NULL,
                 "a symlink owned by uid %ld, not by the user running heal (uid %ld): "
                 "refusing it", (long) st.st_uid, (long) geteuid ());
        return -1;
    }
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
        heal_keys_free (heal_config_check_keys, &self->checks [i]);
        free (self->checks [i].depends_index);
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
    //  A tab in the indentation: zconfig calls the line invalid syntax; say
    //  what is wrong instead.
    long number = 1;
    for (const char *line = text; *line; number++) {
        size_t indent = strspn (line, " \t");
        if (memchr (line, '\t', indent) && line [indent] && line [indent] != '\n'
        &&  line [indent] != '\r') {
            s_error (err, errlen, file, NULL, NULL,
                     "line %ld: tabs are not allowed in the indentation, use 4 spaces",
                     number);
            return NULL;
        }
        const char *nl = strchr (line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }

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
        //  czmq quotes the rest of the line ("invalid syntax 'TEXT'"): keep
        //  its words, never the file's text (errors quote only what we know
        //  the operator wrote: keys and section names that parsed).
        char msg [256];
        size_t n = strcspn (what, "\r\n'");
        if (n >= sizeof msg)
            n = sizeof msg - 1;
        while (n > 0 && (what [n - 1] == ' ' || what [n - 1] == ':'))
            n--;
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

//  The generic part of one check block; fills check. 0 or -1 with err set.
static int
s_load_check (heal_config_t *self, zconfig_t *node, heal_check_config_t *check,
              char *err, size_t errlen)
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
    check->interval_ms = 0;
    check->timeout_ms = self->timeout_ms;
    if (!check->name)
        return -1;

    //  Duplicate keys and stray nesting are checked here for the whole block;
    //  unknown keys need the kind's table and are the agent's (check_configure).
    const heal_key_t *check_tables [] = { heal_config_check_keys, NULL };
    heal_keys_ctx_t ctx = { .file = file, .where = where, .open = true };
    if (heal_keys_names (&ctx, node, check_tables, err, errlen)
    ||  heal_keys_read (&ctx, node, heal_config_check_keys, check, err, errlen))
        return -1;

    //  remedy block: its budget keys here, the kind's own keys in the agent
    zconfig_t *remedy = zconfig_locate (node, "remedy");
    if (remedy) {
        if (zconfig_value (remedy) && *zconfig_value (remedy)) {
            s_error (err, errlen, file, where, "remedy",
                     "takes no value: put its keys in an indented block under it");
            return -1;
        }
        check->remedy = remedy;
    }
    const heal_key_t *remedy_tables [] = { heal_config_remedy_keys, NULL };
    heal_keys_ctx_t remedy_ctx = { .file = file, .where = where, .prefix = "remedy/",
                                   .open = true };
    if (heal_keys_names (&remedy_ctx, remedy, remedy_tables, err, errlen)
    ||  heal_keys_read (&remedy_ctx, remedy, heal_config_remedy_keys, check,
                        err, errlen))
        return -1;
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
        const heal_config_section_t *spec = NULL;
        for (size_t i = 0; s_sections [i].name; i++)
            if (name && streq (s_sections [i].name, name))
                spec = &s_sections [i];
        if (!spec) {
            const char *near = heal_keys_nearest (name ? name : "", section_names);
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
        if (!spec->keys)            //  notify, destination: notify_config_new
            continue;
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
        heal_keys_ctx_t ctx = { .file = self->file, .where = name };
        const heal_key_t *tables [] = { spec->keys, NULL };
        if (heal_keys_names (&ctx, node, tables, err, errlen))
            goto failed;
        if (spec->keys == s_security_keys)
            security = node;
    }
    if (checks > CONFIG_MAX_CHECKS) {
        s_error (err, errlen, self->file, NULL, NULL,
                 "%zu checks: at most %d", checks, CONFIG_MAX_CHECKS);
        goto failed;
    }

    //  Values: every section's table, given or not (defaults)
    for (size_t i = 0; s_sections [i].name; i++) {
        const heal_config_section_t *spec = &s_sections [i];
        if (!spec->keys || streq (spec->name, "curve"))
            continue;
        zconfig_t *node = spec->keys == s_security_keys
                        ? security : zconfig_locate (self->root, spec->name);
        heal_keys_ctx_t ctx = { .file = self->file,
                                .where = node ? zconfig_name (node) : spec->name };
        if (heal_keys_read (&ctx, node, spec->keys, self, err, errlen)) {
            if (err && *err)
                goto failed;
            goto nomem;
        }
    }
    if (!self->state_dir) {
        self->state_dir = heal_default_state_dir ();
        if (!self->state_dir) {
            s_error (err, errlen, self->file, "agent", "state_dir",
                     "not set, and there is no home directory to default to");
            goto failed;
        }
    }

    if (self->host && heal_hostname_set (self->host)) {
        s_error (err, errlen, self->file, "agent", "host",
                 "'%s': a host name is [A-Za-z0-9_.-], 1 to 64 bytes", self->host);
        goto failed;
    }

    //  exporter: the table read listen and timeout; what it cannot check
    heal_listen_t listen;
    char why [CONFIG_ERROR_MAX / 2];
    if (heal_listen_parse (self->exporter_listen, &listen, why, sizeof why)) {
        s_error (err, errlen, self->file, "exporter", "listen", "%s", why);
        goto failed;
    }
    if (self->exporter_timeout_ms > CONFIG_MAX_EXPORTER_TIMEOUT_MS) {
        s_error (err, errlen, self->file, "exporter", "timeout",
                 "at most %dms (under Prometheus' scrape timeout)",
                 CONFIG_MAX_EXPORTER_TIMEOUT_MS);
        goto failed;
    }

    //  bus and control
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
        int rc = s_load_check (self, node, check, err, errlen);
        //  counted even when half-filled so destroy frees what it holds
        self->check_count++;
        if (rc) {
            if (!check->name)
                goto nomem_or_failed;
            goto failed;
        }
    }
    if (heal_config_depends_check (self, err, errlen))
        goto failed;
    //  heal-notify's blocks, so every binary's -n validates them
    notify_config_t *notify = notify_config_new (self, err, errlen);
    if (!notify)
        goto failed;
    notify_config_destroy (&notify);
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
