//  settings — the `diagnoser` section of heal.conf, read from the loaded
//  config tree and validated (values, ranges, local-only URL, template and
//  redact patterns), with the defaults of docs/diagnoser.md.

#include "diagnoser.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTINGS_MIN_NUM_CTX   512
#define SETTINGS_MAX_NUM_CTX   (1024 * 1024)
#define SETTINGS_MAX_TEMPERATURE 2.0
#define SETTINGS_MAX_KEEP_ALIVE 32

static void s_error (char *err, size_t errlen, const heal_config_t *config,
                     const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
s_error (char *err, size_t errlen, const heal_config_t *config, const char *key,
         const char *fmt, ...)
{
    char what [512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (what, sizeof what, fmt, ap);
    va_end (ap);
    const char *file = config && config->file ? config->file : "(built-in defaults)";
    if (key)
        snprintf (err, errlen, "%s: diagnoser: key '%s': %s", file, key, what);
    else
        snprintf (err, errlen, "%s: diagnoser: %s", file, what);
}

static int
s_int (const char *text, long min, long max, int *value)
{
    char *end;
    errno = 0;
    long v = strtol (text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return -1;
    *value = (int) v;
    return 0;
}

//  Ollama's keep_alive: integer seconds (negative = forever) or a Go duration
//  with one of the units ms, s, m, h ("30m", "1h").
static bool
s_keep_alive_valid (const char *text)
{
    size_t len = strlen (text);
    if (len == 0 || len > SETTINGS_MAX_KEEP_ALIVE)
        return false;
    const char *p = text;
    if (*p == '-')
        p++;
    const char *digits = p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == digits)
        return false;
    return *p == 0 || streq (p, "ms") || streq (p, "s") || streq (p, "m") || streq (p, "h");
}

//  Split the redact values (each may hold several space-separated patterns).
static int
s_add_patterns (diag_settings_t *self, const char *value, const heal_config_t *config,
                char *err, size_t errlen)
{
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (p == start)
            break;
        if (self->redact_count >= DIAG_MAX_REDACT) {
            s_error (err, errlen, config, "redact", "at most %d patterns", DIAG_MAX_REDACT);
            return -1;
        }
        char **list = (char **) realloc (self->redact,
                                         (self->redact_count + 1) * sizeof *list);
        if (!list)
            return -1;
        self->redact = list;
        self->redact [self->redact_count] = strndup (start, (size_t) (p - start));
        if (!self->redact [self->redact_count])
            return -1;
        self->redact_count++;
    }
    return 0;
}

//  The template path: "~/" is the home directory, a relative path is
//  relative to the config file's directory.
static char *
s_template_path (const char *value, const heal_config_t *config)
{
    if (value [0] == '~' && value [1] == '/') {
        const char *home = getenv ("HOME");
        if (!home)
            return NULL;
        return zsys_sprintf ("%s/%s", home, value + 2);
    }
    if (value [0] == '/' || !config->file)
        return strdup (value);
    const char *slash = strrchr (config->file, '/');
    if (!slash)
        return strdup (value);
    return zsys_sprintf ("%.*s/%s", (int) (slash - config->file), config->file, value);
}

diag_settings_t *
diag_settings_new (const heal_config_t *config, char *err, size_t errlen)
{
    diag_settings_t *self = (diag_settings_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->timeout_ms = DIAG_DEFAULT_TIMEOUT_MS;
    self->connect_timeout_ms = DIAG_DEFAULT_CONNECT_MS;
    self->num_ctx = DIAG_DEFAULT_NUM_CTX;
    self->num_predict = DIAG_DEFAULT_NUM_PREDICT;
    self->temperature = DIAG_DEFAULT_TEMPERATURE;
    self->ttl_ms = DIAG_DEFAULT_TTL_MS;
    self->flap_count = DIAG_DEFAULT_FLAP_COUNT;
    self->flap_window_ms = DIAG_DEFAULT_FLAP_WINDOW_MS;
    self->max_evidence = DIAG_DEFAULT_MAX_EVIDENCE;
    self->backoff_ms = DIAG_DEFAULT_BACKOFF_MS;
    self->redact_defaults = true;

    zconfig_t *node = config->root ? zconfig_locate (config->root, "diagnoser") : NULL;
    const char *v;
    #define VALUE(key) (node ? heal_config_value (node, key) : NULL)

    self->url = strdup ((v = VALUE ("url")) ? v : DIAG_DEFAULT_URL);
    self->model = strdup ((v = VALUE ("model")) ? v : DIAG_DEFAULT_MODEL);
    self->keep_alive = strdup ((v = VALUE ("keep_alive")) ? v : DIAG_DEFAULT_KEEP_ALIVE);
    self->publish = config->publish ? strdup (config->publish) : NULL;
    self->inbound = config->inbound ? strdup (config->inbound) : NULL;
    if (!self->url || !self->model || !self->keep_alive || !self->publish || !self->inbound) {
        s_error (err, errlen, config, NULL, "out of memory or no bus endpoints");
        goto fail;
    }
    size_t len = strlen (self->url);
    while (len > 0 && self->url [len - 1] == '/')
        self->url [--len] = 0;
    if (strncmp (self->url, "http://", 7) && strncmp (self->url, "https://", 8)) {
        s_error (err, errlen, config, "url", "'%s' is not an http:// or https:// URL", self->url);
        goto fail;
    }
    if ((v = VALUE ("allow_remote")) && heal_parse_bool (v, &self->allow_remote)) {
        s_error (err, errlen, config, "allow_remote", "'%s' is not a boolean", v);
        goto fail;
    }
    if (!self->allow_remote && !heal_url_is_loopback (self->url)) {
        s_error (err, errlen, config, "url", "'%s' is not on this machine: symptoms would "
                 "leave the host (set allow_remote = true to allow it)", self->url);
        goto fail;
    }
    if (!*self->model || strlen (self->model) > EVENT_MAX_SHORT) {
        s_error (err, errlen, config, "model", "must be 1 to %d bytes", EVENT_MAX_SHORT);
        goto fail;
    }
    if ((v = VALUE ("timeout")) && (heal_parse_duration_ms (v, &self->timeout_ms)
                                    || self->timeout_ms <= 0)) {
        s_error (err, errlen, config, "timeout", "'%s' is not a duration", v);
        goto fail;
    }
    if ((v = VALUE ("connect_timeout")) && (heal_parse_duration_ms (v, &self->connect_timeout_ms)
                                            || self->connect_timeout_ms <= 0)) {
        s_error (err, errlen, config, "connect_timeout", "'%s' is not a duration", v);
        goto fail;
    }
    if (self->connect_timeout_ms > self->timeout_ms)
        self->connect_timeout_ms = self->timeout_ms;
    if ((v = VALUE ("num_ctx"))
    &&  s_int (v, SETTINGS_MIN_NUM_CTX, SETTINGS_MAX_NUM_CTX, &self->num_ctx)) {
        s_error (err, errlen, config, "num_ctx", "'%s' is not a number of tokens from %d to %d",
                 v, SETTINGS_MIN_NUM_CTX, SETTINGS_MAX_NUM_CTX);
        goto fail;
    }
    if ((v = VALUE ("num_predict")) && s_int (v, 1, SETTINGS_MAX_NUM_CTX, &self->num_predict)) {
        s_error (err, errlen, config, "num_predict", "'%s' is not a positive number", v);
        goto fail;
    }
    if (self->num_predict > self->num_ctx / 2) {
        s_error (err, errlen, config, "num_predict", "%d leaves too little of num_ctx %d for "
                 "the prompt (at most half)", self->num_predict, self->num_ctx);
        goto fail;
    }
    if ((v = VALUE ("temperature"))) {
        char *end;
        self->temperature = strtod (v, &end);
        if (end == v || *end || !isfinite (self->temperature) || self->temperature < 0
        ||  self->temperature > SETTINGS_MAX_TEMPERATURE) {
            s_error (err, errlen, config, "temperature", "'%s' is not a number from 0 to 2", v);
            goto fail;
        }
    }
    if (!s_keep_alive_valid (self->keep_alive)) {
        s_error (err, errlen, config, "keep_alive", "'%s' is not seconds or a duration "
                 "with ms, s, m or h (e.g. 30m, -1 = keep loaded)", self->keep_alive);
        goto fail;
    }
    if ((v = VALUE ("ttl")) && heal_parse_duration_ms (v, &self->ttl_ms)) {
        s_error (err, errlen, config, "ttl", "'%s' is not a duration", v);
        goto fail;
    }
    if ((v = VALUE ("flap_count")) && s_int (v, 0, DIAG_MAX_FLAPS, &self->flap_count)) {
        s_error (err, errlen, config, "flap_count", "'%s' is not a count from 0 to %d",
                 v, DIAG_MAX_FLAPS);
        goto fail;
    }
    if ((v = VALUE ("flap_window")) && (heal_parse_duration_ms (v, &self->flap_window_ms)
                                        || self->flap_window_ms <= 0)) {
        s_error (err, errlen, config, "flap_window", "'%s' is not a duration", v);
        goto fail;
    }
    if ((v = VALUE ("max_evidence")) && s_int (v, 0, EVENT_MAX_EVIDENCE, &self->max_evidence)) {
        s_error (err, errlen, config, "max_evidence", "'%s' is not a count from 0 to %d",
                 v, EVENT_MAX_EVIDENCE);
        goto fail;
    }
    if ((v = VALUE ("backoff")) && (heal_parse_duration_ms (v, &self->backoff_ms)
                                    || self->backoff_ms > DIAG_MAX_BACKOFF_MS)) {
        s_error (err, errlen, config, "backoff", "'%s' is not a duration up to 30m (0 = none)", v);
        goto fail;
    }
    if ((v = VALUE ("redact_defaults")) && heal_parse_bool (v, &self->redact_defaults)) {
        s_error (err, errlen, config, "redact_defaults", "'%s' is not a boolean", v);
        goto fail;
    }
    //  redact: repeated keys and/or space-separated patterns
    for (zconfig_t *child = node ? zconfig_child (node) : NULL; child;
         child = zconfig_next (child)) {
        if (!streq (zconfig_name (child), "redact"))
            continue;
        const char *value = zconfig_value (child);
        if (value && s_add_patterns (self, value, config, err, errlen))
            goto fail;
    }
    char rerr [512];
    heal_redactor_t *redactor = heal_redactor_new (self->redact, self->redact_count,
                                                   self->redact_defaults, rerr, sizeof rerr);
    if (!redactor) {
        s_error (err, errlen, config, "redact", "%s", rerr);
        goto fail;
    }
    heal_redactor_destroy (&redactor);
    //  template: the operator's file, else the built-in one
    if ((v = VALUE ("template")) && *v) {
        self->template_file = s_template_path (v, config);
        size_t size;
        char *text = self->template_file
                   ? heal_read_file (self->template_file, DIAG_MAX_TEMPLATE, &size) : NULL;
        if (!text) {
            s_error (err, errlen, config, "template", "cannot read '%s': %s", v,
                     errno == EFBIG ? "larger than 64 KiB" : strerror (errno));
            goto fail;
        }
        self->template_text = text;
    }
    else
        self->template_text = strdup (diag_prompt_default_template ());
    if (!self->template_text)
        goto fail;
    char perr [512];
    diag_prompt_t *prompt = diag_prompt_new (self->template_text, perr, sizeof perr);
    if (!prompt) {
        s_error (err, errlen, config, "template", "%s", perr);
        goto fail;
    }
    diag_prompt_destroy (&prompt);
    #undef VALUE
    return self;
fail:
    diag_settings_destroy (&self);
    return NULL;
}

void
diag_settings_destroy (diag_settings_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    diag_settings_t *self = *self_p;
    free (self->url);
    free (self->model);
    free (self->keep_alive);
    free (self->template_file);
    free (self->template_text);
    for (size_t i = 0; i < self->redact_count; i++)
        free (self->redact [i]);
    free (self->redact);
    free (self->publish);
    free (self->inbound);
    free (self);
    *self_p = NULL;
}
