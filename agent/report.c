//  report — state_dir/report.json (the whole health report, rewritten
//  atomically at each cycle end and after `run`; schemas/report.schema.json).
//  Incidents (incidents.jsonl) are incidents.c's.

#include "agent_impl.h"
#include "incidents.h"
#include "report.h"
#include "runs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_VERSION 1

json_t *
report_json (agent_t *self)
{
    int64_t counts [SEVERITY_COUNT];
    bool degraded = false;
    json_t *issues = json_array ();
    severity_t worst = runs_worst (self, counts, &degraded, issues);
    json_t *counts_json = json_object ();
    for (int s = 0; s < SEVERITY_COUNT; s++)
        json_object_set_new (counts_json, severity_name ((severity_t) s),
                             json_integer (counts [s]));
    json_t *checks = json_object ();
    json_t *heals = json_object ();
    int64_t now = event_now_ms ();
    for (size_t i = 0; i < self->check_count; i++) {
        agent_check_t *check = &self->checks [i];
        if (!check->present)
            continue;
        json_object_set_new (checks, check->name,
                             check->last? json_incref (check->last): json_null ());
        json_object_set_new (heals, check->name,
                             json_integer (incidents_heals_7d (self, check->name, now)));
    }
    json_t *agent = json_pack ("{s:s, s:I, s:s, s:I, s:o, s:s}",
        "version", HEAL_VERSION,
        "pid", (json_int_t) getpid (),
        "host", heal_hostname (),
        "started", (json_int_t) self->started,
        "config", self->config_file? json_string (self->config_file): json_null (),
        "state_dir", self->gen->config->state_dir? self->gen->config->state_dir: "");
    json_t *root = json_pack ("{s:i, s:o, s:I, s:I, s:b, s:s, s:o, s:o, s:o, s:o, s:o}",
        "version", REPORT_VERSION,
        "agent", agent,
        "cycle", (json_int_t) self->sched.cycle,
        "ts", (json_int_t) now,
        "degraded", degraded,
        "worst", severity_name (worst),
        "counts", counts_json,
        "issues", issues,
        "checks", checks,
        "heals_7d", heals,
        "diagnosis", self->diagnosis? json_incref (self->diagnosis): json_null ());
    return root;
}

int
report_write (agent_t *self)
{
    if (!self->report_path)
        return -1;
    json_t *root = report_json (self);
    char *text = root? json_dumps (root, JSON_INDENT (2)): NULL;
    json_decref (root);
    if (!text)
        return -1;
    //  Evidence (log lines, command output) is for the operator: 0600 unless
    //  the config says agent/report_readable_by_others = true.
    int mode = self->gen->config->report_readable_by_others ? 0644 : 0600;
    int rc = heal_write_atomic (self->report_path, text, strlen (text), mode);
    if (rc)
        zsys_error ("agent: cannot write %s: %s", self->report_path, strerror (errno));
    free (text);
    return rc;
}
