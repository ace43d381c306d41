//  scrape — the question to the agent's control socket for a /metrics
//  request: `metrics` (a compact reply made for us), within exporter.timeout
//  so a silent agent costs at most that, never a hang.
//  Through libheal's control client (heal/control_call.h), as healctl.

#include "exporter.h"

#include <errno.h>
#include <string.h>

//  One control call within timeout_ms. 0 with *data (new reference, may be
//  NULL for nil) on an ok reply; -1 otherwise (logged; no answer only when
//  verbose).
static int
s_request (const heal_config_t *config, const char *cmd, int64_t timeout_ms,
           bool verbose, json_t **data)
{
    control_call_t call;
    control_call (config, NULL, cmd, NULL, 0, timeout_ms, &call);
    *data = NULL;
    switch (call.status) {
        case CONTROL_CALL_OK:
            *data = call.data;
            call.data = NULL;
            break;
        case CONTROL_CALL_NO_ANSWER:
        case CONTROL_CALL_INTERRUPTED:
            if (verbose)
                zsys_info ("exporter: %s: no answer from heal-agent at %s within %lld ms",
                           cmd, config->control, (long long) timeout_ms);
            break;
        case CONTROL_CALL_REFUSED:
            zsys_warning ("exporter: %s: heal-agent refused: %s", cmd,
                          call.error? call.error: "?");
            break;
        case CONTROL_CALL_PROTOCOL:
            zsys_warning ("exporter: %s: malformed reply from heal-agent: %s", cmd,
                          call.detail);
            break;
        case CONTROL_CALL_SOCKET:
        case CONTROL_CALL_CONNECT:
        case CONTROL_CALL_ENCODE:
            zsys_error ("exporter: %s: %s", cmd, *call.detail? call.detail: "cannot ask");
            break;
    }
    int rc = call.status == CONTROL_CALL_OK ? 0 : -1;
    control_call_reset (&call);
    return rc;
}

void
exporter_scrape (const heal_config_t *config, bool verbose, exporter_scrape_t *out)
{
    memset (out, 0, sizeof *out);
    int64_t start = zclock_usecs ();
    if (s_request (config, "metrics", config->exporter_timeout_ms, verbose, &out->metrics) == 0
    &&  json_is_object (out->metrics))
        out->up = true;
    else {
        json_decref (out->metrics);
        out->metrics = NULL;
    }
    out->elapsed_us = zclock_usecs () - start;
}

void
exporter_scrape_reset (exporter_scrape_t *scrape)
{
    json_decref (scrape->metrics);
    memset (scrape, 0, sizeof *scrape);
}
