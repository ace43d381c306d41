//  generation — a loaded config and its configured check instances.

#include "agent_impl.h"
#include "generation.h"

#include <string.h>

agent_gen_t *
generation_ref (agent_gen_t *gen)
{
    if (gen)
        gen->refs++;
    return gen;
}

void
generation_unref (agent_gen_t **gen_p)
{
    agent_gen_t *gen = *gen_p;
    if (!gen)
        return;
    *gen_p = NULL;
    if (--gen->refs > 0)
        return;
    if (gen->config) {
        for (size_t i = 0; i < gen->config->check_count; i++)
            if (gen->kinds [i])
                check_destroy (gen->kinds [i], &gen->instances [i]);
    }
    free (gen->kinds);
    free (gen->instances);
    heal_config_destroy (&gen->config);
    free (gen);
}

agent_gen_t *
generation_load (const char *file, char *err, size_t errlen)
{
    heal_config_t *config = heal_config_load (file, err, errlen);
    if (!config)
        return NULL;
    agent_gen_t *gen = (agent_gen_t *) zmalloc (sizeof (agent_gen_t));
    if (!gen) {
        heal_config_destroy (&config);
        snprintf (err, errlen, "%s: out of memory", file? file: "(defaults)");
        return NULL;
    }
    size_t n = config->check_count;
    gen->config = config;
    gen->refs = 1;
    gen->kinds = (const check_kind_t **) calloc (n? n: 1, sizeof (check_kind_t *));
    gen->instances = (void **) calloc (n? n: 1, sizeof (void *));
    if (!gen->kinds || !gen->instances) {
        snprintf (err, errlen, "%s: out of memory", file? file: "(defaults)");
        generation_unref (&gen);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const heal_check_config_t *check = &config->checks [i];
        const check_kind_t *kind = check_kind_find (check->kind);
        if (!kind) {
            heal_config_error (err, errlen, config->file, check->name, "kind",
                               "unknown kind '%s'", check->kind? check->kind: "");
            generation_unref (&gen);
            return NULL;
        }
        gen->kinds [i] = kind;
        gen->instances [i] = check_configure (kind, config, check, err, errlen);
        if (!gen->instances [i]) {
            if (!*err)
                heal_config_error (err, errlen, config->file, check->name, NULL,
                                   "cannot configure this check");
            generation_unref (&gen);
            return NULL;
        }
    }
    return gen;
}
