//  keys — typed key tables and their one parser (see include/heal/keys.h).

#include "heal/keys.h"
#include "heal/config.h"
#include "heal/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS_DEFAULTS_NAME "(built-in defaults)"

//  --------------------------------------------------------------------------
//  Errors: `FILE: WHERE: key 'PREFIXKEY': what`

void
heal_keys_verror (const heal_keys_ctx_t *ctx, const char *key, char *err, size_t errlen,
                  const char *fmt, va_list args)
{
    if (!err || errlen == 0)
        return;
    char what [CONFIG_ERROR_MAX];
    vsnprintf (what, sizeof what, fmt, args);
    char *shown = key ? heal_safe_string (key, strlen (key), HEAL_KEYS_MAX_SHOWN) : NULL;
    const char *where = ctx->where;
    const char *prefix = ctx->prefix ? ctx->prefix : "";
    snprintf (err, errlen, "%s: %s%s%s%s%s%s%s",
              ctx->file ? ctx->file : KEYS_DEFAULTS_NAME,
              where ? where : "", where ? ": " : "",
              shown ? "key '" : "", shown ? prefix : "", shown ? shown : "",
              shown ? "': " : "", what);
    free (shown);
}

void
heal_keys_error (const heal_keys_ctx_t *ctx, const char *key, char *err, size_t errlen,
                 const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    heal_keys_verror (ctx, key, err, errlen, fmt, args);
    va_end (args);
}

//  The key's own message for a refused value ("%s" = the value), or NULL.
static int
s_refused (const heal_keys_ctx_t *ctx, const heal_key_t *key, const char *value,
           char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 6, 7)));

static int
s_refused (const heal_keys_ctx_t *ctx, const heal_key_t *key, const char *value,
           char *err, size_t errlen, const char *fmt, ...)
{
    char *shown = heal_safe_string (value, strlen (value), HEAL_KEYS_MAX_SHOWN);
    char what [CONFIG_ERROR_MAX];
    if (key->invalid) {
        //  one "%s" at most, checked by the unit test of every table
        const char *at = strstr (key->invalid, "%s");
        if (at)
            snprintf (what, sizeof what, "%.*s%s%s", (int) (at - key->invalid),
                      key->invalid, shown ? shown : "", at + 2);
        else
            snprintf (what, sizeof what, "%s", key->invalid);
    }
    else {
        char tail [CONFIG_ERROR_MAX / 2];
        va_list args;
        va_start (args, fmt);
        vsnprintf (tail, sizeof tail, fmt, args);
        va_end (args);
        snprintf (what, sizeof what, "'%s' %s", shown ? shown : "", tail);
    }
    free (shown);
    heal_keys_error (ctx, key->name, err, errlen, "%s", what);
    return -1;
}

//  --------------------------------------------------------------------------
//  Public helpers

const char *
heal_key_type_name (heal_key_type_t type)
{
    switch (type) {
        case HEAL_KEY_STRING:    return "text";
        case HEAL_KEY_PATH:      return "path";
        case HEAL_KEY_URL:       return "URL";
        case HEAL_KEY_ENDPOINT:  return "endpoint";
        case HEAL_KEY_HOST:      return "host";
        case HEAL_KEY_BOOL:      return "boolean";
        case HEAL_KEY_INT:       return "whole number";
        case HEAL_KEY_NUMBER:    return "number";
        case HEAL_KEY_DURATION:  return "duration";
        case HEAL_KEY_SIZE:      return "size";
        case HEAL_KEY_SIZE_PCT:  return "size or percentage";
        case HEAL_KEY_COUNT_PCT: return "count or percentage";
        case HEAL_KEY_RATE:      return "rate";
        case HEAL_KEY_MODE:      return "octal mode";
        case HEAL_KEY_ENUM:      return "one of";
        case HEAL_KEY_LIST:      return "list";
        case HEAL_KEY_BLOCK:     return "block";
    }
    return "?";
}

bool
heal_url_valid (const char *url)
{
    if (!url)
        return false;
    size_t skip = strncmp (url, "http://", 7) == 0 ? 7
                : strncmp (url, "https://", 8) == 0 ? 8 : 0;
    if (skip == 0 || url [skip] == 0 || url [skip] == '/')
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7F)
            return false;
    return true;
}

char *
heal_home_path (const char *path)
{
    const char *home = getenv ("HOME");
    if (path [0] != '~' || path [1] != '/' || !home || home [0] != '/')
        return strdup (path);
    size_t len = strlen (home) + strlen (path);      //  the '~' makes room for the NUL
    char *expanded = (char *) malloc (len);
    if (expanded)
        snprintf (expanded, len, "%s%s", home, path + 1);
    return expanded;
}

const char *
heal_keys_nearest (const char *name, const char *const *known)
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

const heal_key_t *
heal_keys_find (const heal_key_t *table, const char *name)
{
    for (size_t i = 0; table && name && table [i].name; i++)
        if (streq (table [i].name, name))
            return &table [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Names

int
heal_keys_names (const heal_keys_ctx_t *ctx, zconfig_t *node,
                 const heal_key_t *const *tables, char *err, size_t errlen)
{
    const char *known [HEAL_KEYS_MAX_TABLE + 1];
    size_t n = 0;
    for (size_t t = 0; tables && tables [t]; t++)
        for (size_t i = 0; tables [t][i].name && n < HEAL_KEYS_MAX_TABLE; i++)
            known [n++] = tables [t][i].name;
    known [n] = NULL;
    const char *prefix = ctx->prefix ? ctx->prefix : "";
    for (zconfig_t *child = node ? zconfig_child (node) : NULL; child;
         child = zconfig_next (child)) {
        const char *name = zconfig_name (child) ? zconfig_name (child) : "";
        const heal_key_t *key = NULL;
        for (size_t t = 0; !key && tables && tables [t]; t++)
            key = heal_keys_find (tables [t], name);
        if (!key && !ctx->open) {
            const char *near = heal_keys_nearest (name, known);
            if (near)
                heal_keys_error (ctx, name, err, errlen,
                         "unknown key (did you mean '%s%s'?)", prefix, near);
            else
                heal_keys_error (ctx, name, err, errlen, "unknown key");
            return -1;
        }
        for (zconfig_t *other = zconfig_next (child); other; other = zconfig_next (other))
            if (zconfig_name (other) && streq (zconfig_name (other), name)) {
                heal_keys_error (ctx, name, err, errlen, "duplicate key");
                return -1;
            }
        if (zconfig_child (child) && !(key && key->type == HEAL_KEY_BLOCK)) {
            heal_keys_error (ctx, name, err, errlen, ctx->prefix
                     ? "has an indented block under it (check the indentation)"
                     : "has an indented block under it: only 'remedy' takes one "
                       "(check the indentation)");
            return -1;
        }
        const char *value = zconfig_value (child);
        if (value && strlen (value) > CONFIG_MAX_VALUE) {
            heal_keys_error (ctx, name, err, errlen, "value longer than %d bytes",
                     CONFIG_MAX_VALUE);
            return -1;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Values

//  Decimal integer, optional '-'. Returns 0 or -1.
static int
s_parse_int (const char *text, int64_t *out)
{
    const char *p = text [0] == '-' ? text + 1 : text;
    size_t digits = strspn (p, "0123456789");
    if (digits == 0 || digits > 18 || p [digits])
        return -1;
    errno = 0;
    long long v = strtoll (text, NULL, 10);
    if (errno)
        return -1;
    *out = (int64_t) v;
    return 0;
}

static void *
s_field (const heal_key_t *key, void *settings)
{
    return (char *) settings + key->at - 1;
}

//  Split value into words; each at most max_len, at most max words.
static int
s_parse_list (const heal_keys_ctx_t *ctx, const heal_key_t *key, const char *value,
              size_t max_len, heal_list_t *out, char *err, size_t errlen)
{
    size_t max = key->max > 0 && key->max < HEAL_KEYS_MAX_LIST
               ? (size_t) key->max : HEAL_KEYS_MAX_LIST;
    char **items = (char **) calloc (max, sizeof (char *));
    size_t count = 0;
    if (!items) {
        heal_keys_error (ctx, key->name, err, errlen, "out of memory");
        return -1;
    }
    const char *p = value;
    int rc = 0;
    while (*p) {
        p += strspn (p, " \t,");
        size_t len = strcspn (p, " \t,");
        if (len == 0)
            break;
        char *word = (char *) malloc (len + 1);
        if (!word) {
            heal_keys_error (ctx, key->name, err, errlen, "out of memory");
            rc = -1;
            break;
        }
        memcpy (word, p, len);
        word [len] = 0;
        p += len;
        if (len > max_len) {
            rc = s_refused (ctx, key, word, err, errlen, "is longer than %zu bytes",
                            max_len);
            free (word);
            break;
        }
        if (count == max) {
            free (word);
            heal_keys_error (ctx, key->name, err, errlen, "more than %zu values", max);
            rc = -1;
            break;
        }
        items [count++] = word;
    }
    if (rc) {
        for (size_t i = 0; i < count; i++)
            free (items [i]);
        free (items);
        return -1;
    }
    out->items = items;
    out->count = count;
    return 0;
}

//  The longest value key takes.
static size_t
s_max_len (const heal_key_t *key)
{
    if (key->max_len)
        return key->max_len;
    switch (key->type) {
        case HEAL_KEY_STRING:
        case HEAL_KEY_URL:
        case HEAL_KEY_ENDPOINT:
        case HEAL_KEY_LIST:
        case HEAL_KEY_BLOCK:
            return CONFIG_MAX_VALUE;
        case HEAL_KEY_PATH:
            return HEAL_KEYS_MAX_PATH;
        case HEAL_KEY_HOST:
            return HEAL_KEYS_MAX_HOST;
        default:
            return HEAL_KEYS_MAX_WORD;
    }
}

//  Parse one value (given, or the default) of key into settings.
static int
s_parse (const heal_keys_ctx_t *ctx, const heal_key_t *key, const char *value,
         void *settings, char *err, size_t errlen)
{
    size_t len = strlen (value);
    size_t max_len = s_max_len (key);
    if (len == 0 && key->type != HEAL_KEY_LIST) {
        heal_keys_error (ctx, key->name, err, errlen, "must not be empty");
        return -1;
    }
    if (len > max_len && key->type != HEAL_KEY_LIST) {
        heal_keys_error (ctx, key->name, err, errlen, "longer than %zu bytes", max_len);
        return -1;
    }
    void *field = key->at ? s_field (key, settings) : NULL;
    switch (key->type) {
        case HEAL_KEY_STRING:
        case HEAL_KEY_PATH:
        case HEAL_KEY_URL:
        case HEAL_KEY_ENDPOINT:
        case HEAL_KEY_HOST: {
            char why [256] = "";
            if (key->type == HEAL_KEY_HOST
            &&  strspn (value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789.-:_") != len)
                return s_refused (ctx, key, value, err, errlen,
                                  "is not a host name or address");
            if (key->type == HEAL_KEY_URL && !heal_url_valid (value))
                return s_refused (ctx, key, value, err, errlen,
                                  "is not an http:// or https:// URL");
            if (key->type == HEAL_KEY_ENDPOINT
            &&  !heal_endpoint_valid (value, why, sizeof why))
                return s_refused (ctx, key, value, err, errlen,
                                  "is not a valid endpoint: %s", why);
            char *copy = key->type == HEAL_KEY_PATH ? heal_home_path (value)
                                                    : strdup (value);
            if (!copy) {
                heal_keys_error (ctx, key->name, err, errlen, "out of memory");
                return -1;
            }
            if (key->type == HEAL_KEY_PATH && copy [0] != '/') {
                free (copy);
                return s_refused (ctx, key, value, err, errlen,
                                  "is not an absolute path");
            }
            if (field) {
                free (*(char **) field);
                *(char **) field = copy;
            }
            else
                free (copy);
            return 0;
        }
        case HEAL_KEY_BOOL: {
            bool b;
            if (heal_parse_bool (value, &b))
                return s_refused (ctx, key, value, err, errlen,
                                  "is not a boolean (true or false)");
            if (field)
                *(bool *) field = b;
            return 0;
        }
        case HEAL_KEY_INT: {
            int64_t n;
            int64_t min = key->max ? key->min : 0;
            int64_t max = key->max ? key->max : INT32_MAX;
            if (s_parse_int (value, &n) || n < min || n > max) {
                if (key->max)
                    return s_refused (ctx, key, value, err, errlen,
                                      "is not a whole number from %lld to %lld",
                                      (long long) min, (long long) max);
                return s_refused (ctx, key, value, err, errlen, "is not a whole number");
            }
            if (field)
                *(int64_t *) field = n;
            return 0;
        }
        case HEAL_KEY_NUMBER: {
            char *end = NULL;
            errno = 0;
            double d = strtod (value, &end);
            if (errno || !end || *end || !isfinite (d) || d < 0)
                return s_refused (ctx, key, value, err, errlen, "is not a number");
            if (field)
                *(double *) field = d;
            return 0;
        }
        case HEAL_KEY_DURATION: {
            int64_t ms;
            if (heal_parse_duration_ms (value, &ms))
                return s_refused (ctx, key, value, err, errlen,
                                  "is not a duration (e.g. 30 = seconds, 500ms, 5m, "
                                  "6h, 2d)");
            if (ms == 0 && !(key->flags & HEAL_KEY_ZERO))
                return s_refused (ctx, key, value, err, errlen,
                                  "is too short: the duration must be above 0 (e.g. "
                                  "30 = seconds, 500ms, 5m)");
            if (key->min && ms < key->min) {
                if (key->invalid)
                    return s_refused (ctx, key, value, err, errlen, "%s", "");
                heal_keys_error (ctx, key->name, err, errlen, "must be at least %lldms",
                         (long long) key->min);
                return -1;
            }
            if (key->max && ms > key->max) {
                if (key->invalid)
                    return s_refused (ctx, key, value, err, errlen, "%s", "");
                heal_keys_error (ctx, key->name, err, errlen, "must be at most %lldms",
                         (long long) key->max);
                return -1;
            }
            if (field)
                *(int64_t *) field = ms;
            return 0;
        }
        case HEAL_KEY_SIZE: {
            uint64_t bytes;
            if (heal_parse_size (value, &bytes)
            ||  (key->min && bytes < (uint64_t) key->min)
            ||  (key->max && bytes > (uint64_t) key->max))
                return s_refused (ctx, key, value, err, errlen,
                                  "is not a size (e.g. 4096, 10K, 100M, 5G)");
            if (field)
                *(uint64_t *) field = bytes;
            return 0;
        }
        case HEAL_KEY_SIZE_PCT:
        case HEAL_KEY_COUNT_PCT: {
            heal_size_pct_t v = { 0, 0, false };
            bool ok = true;
            if (key->type == HEAL_KEY_COUNT_PCT)
                for (const char *p = value; *p && *p != '%'; p++)
                    if ((*p < '0' || *p > '9') && *p != '.')
                        ok = false;
            if (!ok || heal_parse_size_or_percent (value, &v.bytes, &v.percent,
                                                   &v.is_percent))
                return s_refused (ctx, key, value, err, errlen,
                                  key->type == HEAL_KEY_COUNT_PCT
                                  ? "is not a count or a percentage (e.g. 10000 or 5%%)"
                                  : "is not a size or a percentage (e.g. 10%% or 5G)");
            if (field)
                *(heal_size_pct_t *) field = v;
            return 0;
        }
        case HEAL_KEY_RATE: {
            heal_rate_t v;
            memset (&v, 0, sizeof v);
            if (len >= sizeof v.text
            ||  heal_parse_rate (value, &v.count, &v.window_ms))
                return s_refused (ctx, key, value, err, errlen,
                                  "is not a rate (e.g. 50/h, 10/m, 3/s)");
            memcpy (v.text, value, len + 1);
            if (field)
                *(heal_rate_t *) field = v;
            return 0;
        }
        case HEAL_KEY_MODE: {
            int64_t bits = 0;
            bool ok = len >= 3 && len <= 5 && strspn (value, "01234567") == len;
            for (size_t i = 0; ok && i < len; i++)
                bits = bits * 8 + (value [i] - '0');
            if (!ok || bits > 07777)
                return s_refused (ctx, key, value, err, errlen,
                                  "is not an octal mode (e.g. 0644, 0700)");
            if (field)
                *(int64_t *) field = bits;
            return 0;
        }
        case HEAL_KEY_ENUM: {
            const heal_key_word_t *word = NULL;
            char list [256] = "";
            for (size_t i = 0; key->words && key->words [i].word; i++) {
                if (streq (key->words [i].word, value))
                    word = &key->words [i];
                size_t used = strlen (list);
                snprintf (list + used, sizeof list - used, "%s%s", i ? ", " : "",
                          key->words [i].word);
            }
            if (!word)
                return s_refused (ctx, key, value, err, errlen, "is not one of %s", list);
            if (field)
                *(int *) field = word->value;
            return 0;
        }
        case HEAL_KEY_LIST: {
            heal_list_t list = { NULL, 0 };
            if (s_parse_list (ctx, key, value, max_len, &list, err, errlen))
                return -1;
            if (field) {
                heal_list_t *old = (heal_list_t *) field;
                for (size_t i = 0; i < old->count; i++)
                    free (old->items [i]);
                free (old->items);
                *old = list;
            }
            else {
                for (size_t i = 0; i < list.count; i++)
                    free (list.items [i]);
                free (list.items);
            }
            return 0;
        }
        case HEAL_KEY_BLOCK:
            return 0;
    }
    return 0;
}

int
heal_keys_read (const heal_keys_ctx_t *ctx, zconfig_t *node,
                const heal_key_t *table, void *settings, char *err, size_t errlen)
{
    for (size_t i = 0; table && table [i].name; i++) {
        const heal_key_t *key = &table [i];
        if (key->type == HEAL_KEY_BLOCK)
            continue;
        const char *value = node ? heal_config_value (node, key->name) : NULL;
        if (value && !*value && (key->flags & HEAL_KEY_EMPTY))
            value = NULL;
        if (!value) {
            if (key->flags & HEAL_KEY_REQUIRED) {
                if (key->missing)
                    heal_keys_error (ctx, key->name, err, errlen, "%s", key->missing);
                else
                if (ctx->needed_by)
                    heal_keys_error (ctx, key->name, err, errlen, "missing: %s needs it",
                             ctx->needed_by);
                else
                    heal_keys_error (ctx, key->name, err, errlen, "missing");
                return -1;
            }
            if (key->def && s_parse (ctx, key, key->def, settings, err, errlen))
                return -1;
            continue;
        }
        if (s_parse (ctx, key, value, settings, err, errlen))
            return -1;
        if (key->seen)
            *(bool *) ((char *) settings + key->seen - 1) = true;
    }
    return 0;
}

void
heal_keys_free (const heal_key_t *table, void *settings)
{
    if (!settings)
        return;
    for (size_t i = 0; table && table [i].name; i++) {
        const heal_key_t *key = &table [i];
        if (!key->at)
            continue;
        void *field = s_field (key, settings);
        switch (key->type) {
            case HEAL_KEY_STRING:
            case HEAL_KEY_PATH:
            case HEAL_KEY_URL:
            case HEAL_KEY_ENDPOINT:
            case HEAL_KEY_HOST:
                free (*(char **) field);
                *(char **) field = NULL;
                break;
            case HEAL_KEY_LIST: {
                heal_list_t *list = (heal_list_t *) field;
                for (size_t j = 0; j < list->count; j++)
                    free (list->items [j]);
                free (list->items);
                list->items = NULL;
                list->count = 0;
                break;
            }
            default:
                break;
        }
    }
}
