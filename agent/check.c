//  check — the table of check kinds and the generic part of configuring one.
//  A new kind: one file check_<kind>.c + one line below + its tests.

#include "check.h"

#include <stdio.h>
#include <string.h>

extern const check_kind_t check_kind_disk;
extern const check_kind_t check_kind_file;
extern const check_kind_t check_kind_command;
extern const check_kind_t check_kind_http;
extern const check_kind_t check_kind_tcp;
extern const check_kind_t check_kind_process;
extern const check_kind_t check_kind_log;
extern const check_kind_t check_kind_ollama;
extern const check_kind_t check_kind_launchd;
extern const check_kind_t check_kind_systemd;

static const check_kind_t *const s_kinds [] = {
    &check_kind_disk,
    &check_kind_file,
    &check_kind_command,
    &check_kind_http,
    &check_kind_tcp,
    &check_kind_process,
    &check_kind_log,
    &check_kind_ollama,
    &check_kind_launchd,
    &check_kind_systemd,
    NULL
};

//  Keys every check block may carry, whatever its kind.
static const char *const s_common_keys [] = {
    "kind", "critical", "interval", "timeout", "remedy", "description", NULL
};

//  Keys every remedy block may carry.
static const char *const s_common_remedy_keys [] = {
    "attempts", "within", "backoff", NULL
};

const check_kind_t *const *
check_kinds (void)
{
    return s_kinds;
}

const check_kind_t *
check_kind_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; s_kinds [i]; i++)
        if (streq (s_kinds [i]->name, name))
            return s_kinds [i];
    return NULL;
}

//  Concatenate two NULL-terminated key lists into out (bounded).
static void
s_join_keys (const char **out, size_t max, const char *const *a, const char *const *b)
{
    size_t n = 0;
    for (size_t i = 0; a && a [i] && n + 1 < max; i++)
        out [n++] = a [i];
    for (size_t i = 0; b && b [i] && n + 1 < max; i++)
        out [n++] = b [i];
    out [n] = NULL;
}

void *
check_configure (const check_kind_t *kind, const heal_config_t *config,
                 const heal_check_config_t *check, char *err, size_t errlen)
{
    const char *known [64];
    s_join_keys (known, 64, s_common_keys, kind->keys);
    if (heal_config_known_keys (config, check->node, check->name, known, err, errlen))
        return NULL;
    if (check->remedy) {
        s_join_keys (known, 64, s_common_remedy_keys, kind->remedy_keys);
        if (heal_config_known_keys (config, check->remedy, check->name, known,
                                    err, errlen))
            return NULL;
    }
    return kind->configure (config, check, err, errlen);
}
