//  check_log — placeholder until the kind lands (configure refuses it).

#include "check.h"

static void *
s_configure (const heal_config_t *config, const heal_check_config_t *check,
             char *err, size_t errlen)
{
    heal_config_error (err, errlen, config->file, check->name, "kind",
                       "kind 'log' is not implemented yet");
    return NULL;
}

static check_status_t
s_run (void *self, const check_ctx_t *ctx, check_result_t *result)
{
    (void) self; (void) ctx; (void) result;
    return CHECK_UNKNOWN;
}

static void
s_destroy (void **self_p)
{
    *self_p = NULL;
}

const check_kind_t check_kind_log = {
    .name = "log",
    .configure = s_configure,
    .run = s_run,
    .destroy = s_destroy,
};
