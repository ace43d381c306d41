//  check — the table of check kinds and the lifecycle every kind shares:
//  configure (validate key names, calloc, read the key tables, setup),
//  remedy (the kind's own or the generic `remedy/run`) and destroy.
//  A new kind: one file check_<kind>.c + one line below + its tests.

#include "check.h"
#include "kind_util.h"

#include <stdio.h>
#include <stdlib.h>
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

void *
check_configure (const check_kind_t *kind, const heal_config_t *config,
                 const heal_check_config_t *check, char *err, size_t errlen)
{
    char where [EVENT_MAX_NAME + 16];
    snprintf (where, sizeof where, "check '%s'", check->name);
    heal_keys_ctx_t ctx = { .file = config->file, .where = where };
    const heal_key_t *tables [] = { heal_config_check_keys, kind->keys, NULL };
    if (heal_keys_names (&ctx, check->node, tables, err, errlen))
        return NULL;
    if (check->remedy) {
        const heal_key_t *remedy_tables [] = {
            heal_config_remedy_keys, kind->remedy_keys, NULL
        };
        ctx.prefix = "remedy/";
        if (heal_keys_names (&ctx, check->remedy, remedy_tables, err, errlen))
            return NULL;
    }
    void *self = calloc (1, kind->size);
    if (!self) {
        heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
        return NULL;
    }
    if (kind_configure (config, check, kind->keys, kind->remedy_keys, self, err, errlen)
    ||  (kind->setup && kind->setup (self, config, check, err, errlen))) {
        check_destroy (kind, &self);
        return NULL;
    }
    return self;
}

void
check_destroy (const check_kind_t *kind, void **instance_p)
{
    if (!instance_p || !*instance_p)
        return;
    void *self = *instance_p;
    if (kind->cleanup)
        kind->cleanup (self);
    heal_keys_free (kind->keys, self);
    heal_keys_free (kind->remedy_keys, self);
    free (self);
    *instance_p = NULL;
}

bool
check_has_remedy (const check_kind_t *kind)
{
    return kind->remedy || kind->run_at;
}

remedy_status_t
check_remedy (const check_kind_t *kind, void *instance, const check_ctx_t *ctx,
              const check_result_t *failed, event_remedy_t *out)
{
    if (kind->remedy)
        return kind->remedy (instance, ctx, failed, out);
    if (!kind->run_at)
        return REMEDY_NONE;
    const char *command = *(char **) ((char *) instance + kind->run_at - 1);
    return kind_remedy_run (ctx, command, out);
}

int64_t
check_verify_ms (const check_kind_t *kind, const void *instance,
                 const heal_check_config_t *check)
{
    if (check->verify_given)
        return check->verify_ms;
    if (kind->verify_ms && instance)
        return kind->verify_ms (instance);
    return kind->verify_default_ms;
}
