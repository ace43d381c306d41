//  notify_config — the `notify` section and `destination = NAME` blocks.
//
//  One table of keys per block; each destination kind says which keys it
//  needs and which it refuses. Messages never quote url or token values.

#include "heal/notify_config.h"
#include "heal/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFY_SHOWN 80         //  bytes of a bad (non-secret) value in errors

static const char *const s_notify_keys [] = { "group_wait", "digest", NULL };
static const char *const s_destination_keys [] = {
    "kind", "url", "token", "format", "run", "timeout", "on", "checks", NULL
};

typedef struct {
    const char *name;
    notify_kind_t kind;
    const char *needs;          //  required key or NULL
    const char *const refuses [4];   //  keys that make no sense for it
} kind_spec_t;

static const kind_spec_t s_kinds [] = {
    { "webhook",      NOTIFY_KIND_WEBHOOK,      "url", { "run", NULL } },
    { "command",      NOTIFY_KIND_COMMAND,      "run", { "url", "token", "format", NULL } },
    { "alertmanager", NOTIFY_KIND_ALERTMANAGER, "url", { "run", "format", NULL } },
    { "desktop",      NOTIFY_KIND_DESKTOP,      NULL,  { "url", "token", "run", "format" } },
    { NULL, 0, NULL, { NULL } }
};

static const char *const s_formats [] = { "json", "ntfy", "slack", NULL };

static const struct { const char *name; unsigned bit; } s_on [] = {
    { "gave_up",   NOTIFY_ON_GAVE_UP },
    { "critical",  NOTIFY_ON_CRITICAL },
    { "recovered", NOTIFY_ON_RECOVERED },
    { "diagnosis", NOTIFY_ON_DIAGNOSIS },
    { "digest",    NOTIFY_ON_DIGEST },
    { NULL, 0 }
};

static const char *const s_days [] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

static void
s_error (char *err, size_t errlen, const heal_config_t *config, const char *dest,
         const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 6, 7)));

static void
s_error (char *err, size_t errlen, const heal_config_t *config, const char *dest,
         const char *key, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    char what [CONFIG_ERROR_MAX];
    va_list args;
    va_start (args, fmt);
    vsnprintf (what, sizeof what, fmt, args);
    va_end (args);
    char *sd = dest ? heal_safe_string (dest, strlen (dest), NOTIFY_SHOWN) : NULL;
    char *sk = key ? heal_safe_string (key, strlen (key), NOTIFY_SHOWN) : NULL;
    snprintf (err, errlen, "%s: %s%s%s%s%s%s%s", config->file ? config->file
              : "(built-in defaults)",
              sd ? "destination '" : "notify", sd ? sd : "", sd ? "'" : "", ": ",
              sk ? "key '" : "", sk ? sk : "", sk ? "': " : "");
    size_t used = strlen (err);
    if (used < errlen)
        snprintf (err + used, errlen - used, "%s", what);
    free (sd);
    free (sk);
}

//  Every child is a known key, once, with no block under it.
static int
s_keys (const heal_config_t *config, zconfig_t *node, const char *dest,
        const char *const *known, char *err, size_t errlen)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        const char *name = zconfig_name (child) ? zconfig_name (child) : "";
        bool found = false;
        for (size_t i = 0; known [i]; i++)
            found = found || streq (known [i], name);
        if (!found) {
            const char *near = NULL;
            size_t best = 3;
            for (size_t i = 0; known [i]; i++) {
                size_t d = heal_edit_distance (name, known [i]);
                if (d < best) {
                    best = d;
                    near = known [i];
                }
            }
            if (near)
                s_error (err, errlen, config, dest, name,
                         "unknown key (did you mean '%s'?)", near);
            else
                s_error (err, errlen, config, dest, name, "unknown key");
            return -1;
        }
        for (zconfig_t *other = zconfig_next (child); other; other = zconfig_next (other))
            if (zconfig_name (other) && streq (zconfig_name (other), name)) {
                s_error (err, errlen, config, dest, name, "duplicate key");
                return -1;
            }
        if (zconfig_child (child)) {
            s_error (err, errlen, config, dest, name,
                     "has an indented block under it (check the indentation)");
            return -1;
        }
        const char *value = zconfig_value (child);
        if (value && strlen (value) > CONFIG_MAX_VALUE) {
            s_error (err, errlen, config, dest, name, "value longer than %d bytes",
                     CONFIG_MAX_VALUE);
            return -1;
        }
    }
    return 0;
}

//  Split a "a, b c" list in place into words; calls back per word.
typedef int (word_fn) (void *arg, const char *word);

static int
s_words (const char *text, word_fn *fn, void *arg)
{
    char *copy = strdup (text);
    if (!copy)
        return -1;
    int rc = 0;
    char *p = copy;
    while (*p && rc == 0) {
        p += strspn (p, ", \t");
        if (!*p)
            break;
        size_t n = strcspn (p, ", \t");
        char save = p [n];
        p [n] = 0;
        rc = fn (arg, p);
        p [n] = save;
        p += n;
    }
    free (copy);
    return rc;
}

static int
s_on_word (void *arg, const char *word)
{
    unsigned *on = (unsigned *) arg;
    for (size_t i = 0; s_on [i].name; i++)
        if (streq (s_on [i].name, word)) {
            *on |= s_on [i].bit;
            return 0;
        }
    return -1;
}

static int
s_check_word (void *arg, const char *word)
{
    notify_destination_t *dest = (notify_destination_t *) arg;
    if (!heal_name_valid (word) || dest->check_count >= NOTIFY_MAX_FILTER)
        return -1;
    char **list = (char **) realloc (dest->checks,
                                     (dest->check_count + 1) * sizeof (char *));
    if (!list)
        return -1;
    dest->checks = list;
    if (!(list [dest->check_count] = strdup (word)))
        return -1;
    dest->check_count++;
    return 0;
}

//  http:// or https://, a host, no spaces or control characters.
static bool
s_url_valid (const char *url)
{
    size_t len = strlen (url);
    if (len > NOTIFY_MAX_URL)
        return false;
    const char *host = NULL;
    if (strncmp (url, "http://", 7) == 0)
        host = url + 7;
    else
    if (strncmp (url, "https://", 8) == 0)
        host = url + 8;
    if (!host || !*host || *host == '/')
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char) *p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

//  "off", "daily HH:MM", "mon HH:MM" ... "sun HH:MM".
static int
s_parse_digest (const char *text, int *day, int *minute)
{
    if (streq (text, "off")) {
        *day = NOTIFY_DIGEST_OFF;
        *minute = 0;
        return 0;
    }
    char word [8];
    int h, m, used = 0;
    if (sscanf (text, "%7s %2d:%2d%n", word, &h, &m, &used) != 3 || text [used]
    ||  h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    if (streq (word, "daily"))
        *day = NOTIFY_DIGEST_DAILY;
    else {
        *day = -3;
        for (int i = 0; s_days [i]; i++)
            if (streq (s_days [i], word))
                *day = i;
        if (*day == -3)
            return -1;
    }
    *minute = h * 60 + m;
    return 0;
}

static int
s_duration (const heal_config_t *config, zconfig_t *node, const char *dest,
            const char *key, int64_t min, int64_t max, int64_t *out,
            char *err, size_t errlen)
{
    const char *value = heal_config_value (node, key);
    if (!value)
        return 0;
    int64_t ms;
    if (heal_parse_duration_ms (value, &ms) || ms < min || ms > max) {
        char *shown = heal_safe_string (value, strlen (value), NOTIFY_SHOWN);
        s_error (err, errlen, config, dest, key,
                 "'%s' is not a duration from %lldms to %llds (e.g. 5s, 250ms)",
                 shown ? shown : "", (long long) min, (long long) (max / 1000));
        free (shown);
        return -1;
    }
    *out = ms;
    return 0;
}

static int
s_destination (const heal_config_t *config, zconfig_t *node, notify_destination_t *dest,
               char *err, size_t errlen)
{
    const char *name = zconfig_value (node);
    if (!name || !heal_name_valid (name)) {
        char *shown = heal_safe_string (name ? name : "", strlen (name ? name : ""),
                                        NOTIFY_SHOWN);
        s_error (err, errlen, config, shown ? shown : "", NULL,
                 "not a valid destination name ([A-Za-z0-9_-]{1,64})");
        free (shown);
        return -1;
    }
    if (!(dest->name = strdup (name)))
        return -1;
    if (s_keys (config, node, name, s_destination_keys, err, errlen))
        return -1;
    const char *kind = heal_config_value (node, "kind");
    if (!kind) {
        s_error (err, errlen, config, name, "kind",
                 "missing (webhook, command, alertmanager or desktop)");
        return -1;
    }
    const kind_spec_t *spec = NULL;
    for (size_t i = 0; s_kinds [i].name; i++)
        if (streq (s_kinds [i].name, kind))
            spec = &s_kinds [i];
    if (!spec) {
        char *shown = heal_safe_string (kind, strlen (kind), NOTIFY_SHOWN);
        s_error (err, errlen, config, name, "kind",
                 "'%s' is not one of webhook, command, alertmanager, desktop",
                 shown ? shown : "");
        free (shown);
        return -1;
    }
    dest->kind = spec->kind;
    for (size_t i = 0; i < 4 && spec->refuses [i]; i++)
        if (heal_config_value (node, spec->refuses [i])) {
            s_error (err, errlen, config, name, spec->refuses [i],
                     "not used by a %s destination", spec->name);
            return -1;
        }
    if (spec->needs && !heal_config_value (node, spec->needs)) {
        s_error (err, errlen, config, name, spec->needs,
                 "missing (a %s destination needs it)", spec->name);
        return -1;
    }
    const char *url = heal_config_value (node, "url");
    if (url) {
        if (!s_url_valid (url)) {
            //  never quote it: a URL may carry a token
            s_error (err, errlen, config, name, "url",
                     "not an http:// or https:// URL of at most %d bytes",
                     NOTIFY_MAX_URL);
            return -1;
        }
        if (!(dest->url = strdup (url)))
            return -1;
    }
    const char *token = heal_config_value (node, "token");
    if (token) {
        if (!*token || strpbrk (token, "\r\n")) {
            s_error (err, errlen, config, name, "token", "empty or holds a line break");
            return -1;
        }
        if (!(dest->token = strdup (token)))
            return -1;
    }
    const char *run = heal_config_value (node, "run");
    if (run) {
        if (!*run) {
            s_error (err, errlen, config, name, "run", "empty");
            return -1;
        }
        if (!(dest->run = strdup (run)))
            return -1;
    }
    const char *format = heal_config_value (node, "format");
    if (format) {
        int found = -1;
        for (int i = 0; s_formats [i]; i++)
            if (streq (s_formats [i], format))
                found = i;
        if (found < 0) {
            char *shown = heal_safe_string (format, strlen (format), NOTIFY_SHOWN);
            s_error (err, errlen, config, name, "format",
                     "'%s' is not one of json, ntfy, slack", shown ? shown : "");
            free (shown);
            return -1;
        }
        dest->format = (notify_format_t) found;
    }
    dest->timeout_ms = NOTIFY_DEFAULT_TIMEOUT_MS;
    if (s_duration (config, node, name, "timeout", 1, NOTIFY_MAX_TIMEOUT_MS,
                    &dest->timeout_ms, err, errlen))
        return -1;
    const char *on = heal_config_value (node, "on");
    dest->on = NOTIFY_ON_ALL;
    if (on) {
        dest->on = 0;
        if (s_words (on, s_on_word, &dest->on) || dest->on == 0) {
            s_error (err, errlen, config, name, "on",
                     "a list of gave_up, critical, recovered, diagnosis, digest");
            return -1;
        }
    }
    const char *checks = heal_config_value (node, "checks");
    if (checks && (s_words (checks, s_check_word, dest) || dest->check_count == 0)) {
        s_error (err, errlen, config, name, "checks",
                 "a list of at most %d check names ([A-Za-z0-9_-]{1,64})",
                 NOTIFY_MAX_FILTER);
        return -1;
    }
    return 0;
}

notify_config_t *
notify_config_new (const heal_config_t *config, char *err, size_t errlen)
{
    notify_config_t *self = (notify_config_t *) calloc (1, sizeof (notify_config_t));
    if (!self) {
        s_error (err, errlen, config, NULL, NULL, "out of memory");
        return NULL;
    }
    self->digest_day = NOTIFY_DIGEST_OFF;
    size_t count = 0;
    zconfig_t *section = NULL;
    for (zconfig_t *node = zconfig_child (config->root); node; node = zconfig_next (node)) {
        const char *name = zconfig_name (node);
        if (name && streq (name, "destination"))
            count++;
        else
        if (name && streq (name, "notify")) {
            if (section) {
                s_error (err, errlen, config, NULL, NULL,
                         "section given twice: merge them into one");
                goto failed;
            }
            section = node;
        }
    }
    if (section) {
        if (zconfig_value (section) && *zconfig_value (section)) {
            s_error (err, errlen, config, NULL, NULL,
                     "a section takes no value: put its keys in an indented block");
            goto failed;
        }
        if (s_keys (config, section, NULL, s_notify_keys, err, errlen)
        ||  s_duration (config, section, NULL, "group_wait", 0, NOTIFY_MAX_GROUP_WAIT_MS,
                        &self->group_wait_ms, err, errlen))
            goto failed;
        const char *digest = heal_config_value (section, "digest");
        if (digest && s_parse_digest (digest, &self->digest_day, &self->digest_minute)) {
            char *shown = heal_safe_string (digest, strlen (digest), NOTIFY_SHOWN);
            s_error (err, errlen, config, NULL, "digest",
                     "'%s' is not \"off\", \"daily HH:MM\" or \"mon HH:MM\" (sun..sat)",
                     shown ? shown : "");
            free (shown);
            goto failed;
        }
    }
    if (count > NOTIFY_MAX_DESTINATIONS) {
        s_error (err, errlen, config, NULL, NULL, "%zu destinations: at most %d",
                 count, NOTIFY_MAX_DESTINATIONS);
        goto failed;
    }
    if (count
    &&  !(self->destinations = (notify_destination_t *) calloc (count,
                                                                sizeof (notify_destination_t))))
        goto nomem;
    for (zconfig_t *node = zconfig_child (config->root); node; node = zconfig_next (node)) {
        if (!zconfig_name (node) || !streq (zconfig_name (node), "destination"))
            continue;
        notify_destination_t *dest = &self->destinations [self->destination_count++];
        if (err && errlen)
            err [0] = 0;
        if (s_destination (config, node, dest, err, errlen)) {
            if (err && errlen && !err [0])
                goto nomem;
            goto failed;
        }
        for (size_t i = 0; i + 1 < self->destination_count; i++)
            if (streq (self->destinations [i].name, dest->name)) {
                s_error (err, errlen, config, dest->name, NULL, "duplicate destination name");
                goto failed;
            }
    }
    return self;
nomem:
    s_error (err, errlen, config, NULL, NULL, "out of memory");
failed:
    notify_config_destroy (&self);
    return NULL;
}

void
notify_config_destroy (notify_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_config_t *self = *self_p;
    for (size_t i = 0; i < self->destination_count; i++) {
        notify_destination_t *d = &self->destinations [i];
        free (d->name);
        free (d->url);
        free (d->token);
        free (d->run);
        for (size_t j = 0; j < d->check_count; j++)
            free (d->checks [j]);
        free (d->checks);
    }
    free (self->destinations);
    free (self);
    *self_p = NULL;
}

bool
notify_destination_wants (const notify_destination_t *self, const char *what,
                          const char *check)
{
    unsigned bit = 0;
    for (size_t i = 0; s_on [i].name; i++)
        if (what && streq (s_on [i].name, what))
            bit = s_on [i].bit;
    if (!(self->on & bit))
        return false;
    if (!check || !self->checks)
        return true;
    for (size_t i = 0; i < self->check_count; i++)
        if (streq (self->checks [i], check))
            return true;
    return false;
}

const char *
notify_kind_name (notify_kind_t kind)
{
    for (size_t i = 0; s_kinds [i].name; i++)
        if (s_kinds [i].kind == kind)
            return s_kinds [i].name;
    return "?";
}
