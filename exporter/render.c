//  render — the agent's `status` and `diagnosis` replies as Prometheus'
//  text exposition format (version 0.0.4): every family once, with # HELP
//  and # TYPE, base units (seconds), counters ending in _total, label
//  values escaped (\\, \", \n). Metric names and meanings: docs/fleet.md.

#include "exporter.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void
exporter_text_printf (exporter_text_t *text, const char *fmt, ...)
{
    if (text->overflow)
        return;
    va_list args;
    va_start (args, fmt);
    size_t room = text->cap - text->len;
    int n = text->data? vsnprintf (text->data + text->len, room, fmt, args): -1;
    va_end (args);
    if (text->data && n >= 0 && (size_t) n < room) {
        text->len += (size_t) n;
        return;
    }
    //  Grow (at least double) and write again.
    va_start (args, fmt);
    int need = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    if (need < 0 || text->len + (size_t) need + 1 > EXPORTER_MAX_BODY) {
        text->overflow = true;
        return;
    }
    size_t cap = text->cap? text->cap * 2: 64 * 1024;
    while (cap < text->len + (size_t) need + 1)
        cap *= 2;
    if (cap > EXPORTER_MAX_BODY)
        cap = EXPORTER_MAX_BODY;
    char *data = (char *) realloc (text->data, cap);
    if (!data) {
        text->overflow = true;
        return;
    }
    text->data = data;
    text->cap = cap;
    va_start (args, fmt);
    vsnprintf (text->data + text->len, text->cap - text->len, fmt, args);
    va_end (args);
    text->len += (size_t) need;
}

void
exporter_text_reset (exporter_text_t *text)
{
    free (text->data);
    memset (text, 0, sizeof *text);
}

//  ---------------------------------------------------------------------
//  Exposition helpers

static void
s_family (exporter_text_t *text, const char *name, const char *type, const char *help)
{
    exporter_text_printf (text, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

//  A label value, escaped. Values come from the agent (valid UTF-8 JSON
//  strings); they are bounded there (names 64, metric names 256 bytes).
static void
s_escaped (exporter_text_t *text, const char *value)
{
    const char *p = value? value: "";
    while (*p) {
        size_t plain = strcspn (p, "\\\"\n");
        if (plain)
            exporter_text_printf (text, "%.*s", (int) plain, p);
        p += plain;
        if (*p == '\\')
            exporter_text_printf (text, "\\\\");
        else
        if (*p == '"')
            exporter_text_printf (text, "\\\"");
        else
        if (*p == '\n')
            exporter_text_printf (text, "\\n");
        if (*p)
            p++;
    }
}

//  name{k1="v1",k2="v2"} — labels: NULL-terminated key, value pairs.
static void
s_series (exporter_text_t *text, const char *name, const char *const *labels)
{
    exporter_text_printf (text, "%s", name);
    if (labels && labels [0]) {
        exporter_text_printf (text, "{");
        for (size_t i = 0; labels [i]; i += 2) {
            exporter_text_printf (text, "%s%s=\"", i? ",": "", labels [i]);
            s_escaped (text, labels [i + 1]);
            exporter_text_printf (text, "\"");
        }
        exporter_text_printf (text, "}");
    }
}

static void
s_sample_int (exporter_text_t *text, const char *name, const char *const *labels,
              long long value)
{
    s_series (text, name, labels);
    exporter_text_printf (text, " %lld\n", value);
}

static void
s_sample_real (exporter_text_t *text, const char *name, const char *const *labels,
               double value)
{
    s_series (text, name, labels);
    if (isnan (value))
        exporter_text_printf (text, " NaN\n");
    else
    if (isinf (value))
        exporter_text_printf (text, " %sInf\n", value > 0? "+": "-");
    else
        exporter_text_printf (text, " %.15g\n", value);
}

static json_t *
s_get (json_t *obj, const char *key)
{
    return json_is_object (obj)? json_object_get (obj, key): NULL;
}

static const char *
s_string (json_t *obj, const char *key)
{
    json_t *v = s_get (obj, key);
    return json_is_string (v)? json_string_value (v): NULL;
}

//  A JSON number as a double; false when absent or not a number.
static bool
s_number (json_t *obj, const char *key, double *out)
{
    json_t *v = s_get (obj, key);
    if (!json_is_number (v))
        return false;
    *out = json_number_value (v);
    return true;
}

//  ---------------------------------------------------------------------
//  Per-check families

static const char *const s_severities [] = {
    "ok", "healed", "warning", "critical", "unknown", NULL
};

//  A check of status.checks: usable when it has a name.
#define S_EACH_CHECK(checks, i, check, name) \
    for (i = 0; i < json_array_size (checks); i++) \
        if ((check = json_array_get (checks, i)) != NULL \
        &&  (name = s_string (check, "name")) != NULL)

static void
s_render_checks (exporter_text_t *text, json_t *checks)
{
    size_t i;
    json_t *check;
    const char *name;

    s_family (text, "heal_check_up", "gauge",
              "1 when the check's last result was ok or healed, else 0.");
    S_EACH_CHECK (checks, i, check, name) {
        const char *severity = s_string (check, "severity");
        if (!severity)
            continue;           //  not run yet
        const char *labels [] = { "check", name, "kind", s_string (check, "kind"),
                                  "critical", json_is_true (s_get (check, "critical"))
                                              ? "true": "false", NULL };
        s_sample_int (text, "heal_check_up", labels,
                      streq (severity, "ok") || streq (severity, "healed"));
    }

    s_family (text, "heal_check_severity", "gauge",
              "The check's current severity (one-hot: 1 for the current one).");
    S_EACH_CHECK (checks, i, check, name) {
        const char *severity = s_string (check, "severity");
        if (!severity)
            continue;
        for (size_t s = 0; s_severities [s]; s++) {
            const char *labels [] = { "check", name, "severity", s_severities [s], NULL };
            s_sample_int (text, "heal_check_severity", labels,
                          streq (severity, s_severities [s]));
        }
    }

    s_family (text, "heal_check_duration_seconds", "gauge",
              "Run time of the check's last run, remedy included.");
    S_EACH_CHECK (checks, i, check, name) {
        double ms;
        if (s_number (s_get (check, "last"), "duration_ms", &ms)) {
            const char *labels [] = { "check", name, NULL };
            s_sample_real (text, "heal_check_duration_seconds", labels, ms / 1000.0);
        }
    }

    s_family (text, "heal_check_metric", "gauge",
              "Every metric the check's kind reported in its last run, by name.");
    S_EACH_CHECK (checks, i, check, name) {
        json_t *metrics = s_get (s_get (check, "last"), "metrics");
        const char *key;
        json_t *value;
        if (json_is_object (metrics))
            json_object_foreach (metrics, key, value) {
                if (!json_is_number (value))
                    continue;
                const char *labels [] = { "check", name, "name", key, NULL };
                s_sample_real (text, "heal_check_metric", labels,
                               json_number_value (value));
            }
    }

    //  Lifetime counters (the agent's totals: never reset).
    s_family (text, "heal_check_runs_total", "counter", "Results of the check.");
    S_EACH_CHECK (checks, i, check, name) {
        json_t *n = s_get (s_get (check, "totals"), "runs");
        const char *labels [] = { "check", name, NULL };
        if (json_is_integer (n))
            s_sample_int (text, "heal_check_runs_total", labels, json_integer_value (n));
    }
    s_family (text, "heal_check_failures_total", "counter",
              "Results of the check that were warning, critical or unknown.");
    S_EACH_CHECK (checks, i, check, name) {
        json_t *n = s_get (s_get (check, "totals"), "failures");
        const char *labels [] = { "check", name, NULL };
        if (json_is_integer (n))
            s_sample_int (text, "heal_check_failures_total", labels, json_integer_value (n));
    }
    s_family (text, "heal_heals_total", "counter",
              "Results of the check that were healed (remediation fixed it).");
    S_EACH_CHECK (checks, i, check, name) {
        json_t *n = s_get (s_get (check, "totals"), "heals");
        const char *labels [] = { "check", name, NULL };
        if (json_is_integer (n))
            s_sample_int (text, "heal_heals_total", labels, json_integer_value (n));
    }
    const char *groups [][3] = {
        { "remedies", "heal_remedies_total", "result" },
        { "alerts", "heal_alerts_total", "what" }
    };
    const char *helps [] = {
        "Remediation outcomes of the check's runs, by result.",
        "Alerts raised for the check (critical, gave_up, recovered)."
    };
    for (size_t g = 0; g < 2; g++) {
        s_family (text, groups [g][1], "counter", helps [g]);
        S_EACH_CHECK (checks, i, check, name) {
            json_t *group = s_get (s_get (check, "totals"), groups [g][0]);
            const char *key;
            json_t *value;
            if (json_is_object (group))
                json_object_foreach (group, key, value) {
                    if (!json_is_integer (value))
                        continue;
                    const char *labels [] = { "check", name, groups [g][2], key, NULL };
                    s_sample_int (text, groups [g][1], labels, json_integer_value (value));
                }
        }
    }
}

int
exporter_render (const exporter_scrape_t *scrape, exporter_text_t *text)
{
    s_family (text, "heal_agent_up", "gauge",
              "1 when heal-agent answered this scrape over its control socket, else 0.");
    s_sample_int (text, "heal_agent_up", NULL, scrape->up);
    if (scrape->up) {
        json_t *status = scrape->status;
        json_t *agent = s_get (status, "agent");
        s_family (text, "heal_agent_info", "gauge",
                  "heal-agent's host name and version (always 1).");
        const char *labels [] = { "host", s_string (agent, "host"),
                                  "version", s_string (agent, "version"), NULL };
        s_sample_int (text, "heal_agent_info", labels, 1);
        double value;
        if (s_number (agent, "started", &value)) {
            s_family (text, "heal_agent_start_time_seconds", "gauge",
                      "When heal-agent started, unix time.");
            s_sample_real (text, "heal_agent_start_time_seconds", NULL, value / 1000.0);
        }
        if (s_number (s_get (status, "counters"), "bus_dropped", &value)) {
            s_family (text, "heal_bus_dropped_total", "counter",
                      "Bus messages heal-agent dropped (slow subscribers) since it started.");
            s_sample_real (text, "heal_bus_dropped_total", NULL, value);
        }
        if (s_number (s_get (status, "last_cycle"), "duration_ms", &value)) {
            s_family (text, "heal_cycle_duration_seconds", "gauge",
                      "Duration of heal-agent's last complete cycle of checks.");
            s_sample_real (text, "heal_cycle_duration_seconds", NULL, value / 1000.0);
        }
        if (s_number (scrape->diagnosis, "latency_ms", &value)) {
            s_family (text, "heal_diagnosis_latency_seconds", "gauge",
                      "How long the last diagnosis took heal-diagnoser (model latency).");
            s_sample_real (text, "heal_diagnosis_latency_seconds", NULL, value / 1000.0);
        }
        json_t *checks = s_get (status, "checks");
        if (json_is_array (checks))
            s_render_checks (text, checks);
    }
    s_family (text, "heal_exporter_scrape_duration_seconds", "gauge",
              "How long heal-exporter spent asking heal-agent for this scrape.");
    s_sample_real (text, "heal_exporter_scrape_duration_seconds", NULL,
                   (double) scrape->elapsed_us / 1e6);
    return text->overflow? -1: 0;
}
