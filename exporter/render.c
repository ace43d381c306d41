//  render — the agent's `metrics` reply as Prometheus' text exposition format
//  (version 0.0.4): every family once, with # HELP and # TYPE, base units
//  (seconds), counters ending in _total, label values escaped (\\, \", \n).
//  Metric names and meanings: docs/fleet.md. The reply's rows are read
//  through its `columns` and `totals` name lists, not by position.

#include "exporter.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

//  Make room for len more bytes (+ NUL). false (overflow set) past the bound.
static bool
s_reserve (exporter_text_t *text, size_t len)
{
    if (text->overflow)
        return false;
    if (text->len + len + 1 <= text->cap)
        return true;
    if (text->len + len + 1 > EXPORTER_MAX_BODY) {
        text->overflow = true;
        return false;
    }
    size_t cap = text->cap? text->cap: 64 * 1024;
    while (cap < text->len + len + 1)
        cap *= 2;
    if (cap > EXPORTER_MAX_BODY)
        cap = EXPORTER_MAX_BODY;
    char *data = (char *) realloc (text->data, cap);
    if (!data) {
        text->overflow = true;
        return false;
    }
    text->data = data;
    text->cap = cap;
    return true;
}

static void
s_put (exporter_text_t *text, const char *bytes, size_t len)
{
    if (!s_reserve (text, len))
        return;
    memcpy (text->data + text->len, bytes, len);
    text->len += len;
    text->data [text->len] = 0;
}

static void
s_puts (exporter_text_t *text, const char *string)
{
    s_put (text, string, strlen (string));
}

void
exporter_text_printf (exporter_text_t *text, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    int need = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    if (need < 0 || !s_reserve (text, (size_t) need))
        return;
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

//  A label value, escaped. Values come from the agent (valid UTF-8: the
//  control codec checks every string) and are bounded there.
static void
s_escaped (exporter_text_t *text, const char *value)
{
    const char *p = value? value: "";
    while (*p) {
        size_t plain = strcspn (p, "\\\"\n");
        s_put (text, p, plain);
        p += plain;
        if (*p == '\\')
            s_put (text, "\\\\", 2);
        else
        if (*p == '"')
            s_put (text, "\\\"", 2);
        else
        if (*p == '\n')
            s_put (text, "\\n", 2);
        if (*p)
            p++;
    }
}

//  name{k1="v1",k2="v2"} — labels: NULL-terminated key, value pairs.
static void
s_series (exporter_text_t *text, const char *name, const char *const *labels)
{
    s_puts (text, name);
    if (labels && labels [0]) {
        s_put (text, "{", 1);
        for (size_t i = 0; labels [i]; i += 2) {
            if (i)
                s_put (text, ",", 1);
            s_puts (text, labels [i]);
            s_put (text, "=\"", 2);
            s_escaped (text, labels [i + 1]);
            s_put (text, "\"", 1);
        }
        s_put (text, "}", 1);
    }
}

static void
s_sample_int (exporter_text_t *text, const char *name, const char *const *labels,
              long long value)
{
    s_series (text, name, labels);
    char digits [24];
    char *p = digits + sizeof digits;
    unsigned long long v = value < 0? 0ULL - (unsigned long long) value
                                    : (unsigned long long) value;
    *--p = '\n';
    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0)
        *--p = '-';
    *--p = ' ';
    s_put (text, p, (size_t) (digits + sizeof digits - p));
}

static void
s_sample_real (exporter_text_t *text, const char *name, const char *const *labels,
               double value)
{
    if (value == floor (value) && fabs (value) < 1e15) {
        s_sample_int (text, name, labels, (long long) value);
        return;
    }
    s_series (text, name, labels);
    double thousandths = value * 1000.0;
    if (isnan (value))
        s_puts (text, " NaN\n");
    else
    if (isinf (value))
        s_puts (text, value > 0? " +Inf\n": " -Inf\n");
    else
    if (thousandths == floor (thousandths) && fabs (thousandths) < 1e15) {
        //  Milliseconds as seconds, and most kinds' values: three decimals
        //  at most, written without printf's exact (and slow) conversion.
        long long n = (long long) thousandths;
        unsigned long long a = n < 0? 0ULL - (unsigned long long) n: (unsigned long long) n;
        char digits [32];
        char *p = digits + sizeof digits;
        *--p = '\n';
        unsigned frac = (unsigned) (a % 1000);
        int places = 3;
        while (places > 0 && frac % 10 == 0) {
            frac /= 10;
            places--;
        }
        for (int i = 0; i < places; i++) {
            *--p = (char) ('0' + frac % 10);
            frac /= 10;
        }
        if (places)
            *--p = '.';
        unsigned long long whole = a / 1000;
        do {
            *--p = (char) ('0' + whole % 10);
            whole /= 10;
        } while (whole);
        if (n < 0)
            *--p = '-';
        *--p = ' ';
        s_put (text, p, (size_t) (digits + sizeof digits - p));
    }
    else
        exporter_text_printf (text, " %.15g\n", value);
}

static json_t *
s_get (json_t *obj, const char *key)
{
    return json_is_object (obj)? json_object_get (obj, key): NULL;
}

static const char *
s_string (json_t *value)
{
    return json_is_string (value)? json_string_value (value): NULL;
}

//  Position of name in a JSON array of strings, or -1.
static int
s_column (json_t *names, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach (names, i, item)
        if (json_is_string (item) && streq (json_string_value (item), name))
            return (int) i;
    return -1;
}

//  ---------------------------------------------------------------------
//  Per-check families

static const char *const s_severities [] = {
    "ok", "healed", "warning", "critical", "unknown", NULL
};

//  One check's row, read through the reply's column names.
typedef struct {
    const char *name;
    const char *kind;
    bool critical;
    const char *severity;       //  NULL before the first run
    json_t *duration_ms;        //  borrowed, may be NULL
    json_t *metrics;            //  borrowed object or NULL
    json_t *totals;             //  borrowed array or NULL
} s_row_t;

typedef struct {
    int name, kind, critical, severity, duration, metrics, totals;
} s_columns_t;

static bool
s_row (json_t *row, const s_columns_t *col, s_row_t *out)
{
    if (!json_is_array (row))
        return false;
    out->name = s_string (json_array_get (row, (size_t) col->name));
    if (!out->name)
        return false;
    out->kind = s_string (col->kind >= 0? json_array_get (row, (size_t) col->kind): NULL);
    out->critical = col->critical >= 0 && json_is_true (json_array_get (row, (size_t) col->critical));
    out->severity = s_string (col->severity >= 0? json_array_get (row, (size_t) col->severity): NULL);
    out->duration_ms = col->duration >= 0? json_array_get (row, (size_t) col->duration): NULL;
    out->metrics = col->metrics >= 0? json_array_get (row, (size_t) col->metrics): NULL;
    out->totals = col->totals >= 0? json_array_get (row, (size_t) col->totals): NULL;
    return true;
}

//  The usable rows (those with a name), read once per scrape.
typedef struct {
    s_row_t *row;               //  owned
    size_t count;
} s_rows_t;

#define S_EACH_ROW(rows, i, r) \
    for (i = 0; i < (rows)->count && ((r) = &(rows)->row [i]); i++)

//  A counter family from one column of the totals (by its name there),
//  with an extra label (NULL for none) holding what follows the prefix.
static void
s_render_totals (exporter_text_t *text, const s_rows_t *rows, json_t *names,
                 const char *prefix, const char *family, const char *label,
                 const char *help)
{
    s_family (text, family, "counter", help);
    size_t prefix_len = strlen (prefix);
    size_t k;
    json_t *name;
    json_array_foreach (names, k, name) {
        const char *n = s_string (name);
        if (!n || strncmp (n, prefix, prefix_len) != 0
        ||  (label? n [prefix_len] == 0: n [prefix_len] != 0))
            continue;
        size_t i;
        const s_row_t *r;
        S_EACH_ROW (rows, i, r) {
            json_t *value = json_array_get (r->totals, k);
            if (!json_is_integer (value))
                continue;
            const char *labels [] = { "check", r->name, label, n + prefix_len, NULL };
            s_sample_int (text, family, labels, json_integer_value (value));
        }
    }
}

static void
s_render_checks (exporter_text_t *text, json_t *reply)
{
    json_t *columns = s_get (reply, "columns");
    json_t *list = s_get (reply, "checks");
    json_t *totals = s_get (reply, "totals");
    s_columns_t col = {
        s_column (columns, "name"), s_column (columns, "kind"),
        s_column (columns, "critical"), s_column (columns, "severity"),
        s_column (columns, "duration_ms"), s_column (columns, "metrics"),
        s_column (columns, "totals")
    };
    if (col.name < 0 || !json_is_array (list) || json_array_size (list) == 0)
        return;
    s_rows_t all = { calloc (json_array_size (list), sizeof (s_row_t)), 0 };
    if (!all.row) {
        text->overflow = true;
        return;
    }
    for (size_t n = 0; n < json_array_size (list); n++)
        if (s_row (json_array_get (list, n), &col, &all.row [all.count]))
            all.count++;
    s_rows_t *rows = &all;
    size_t i;
    const s_row_t *r;

    s_family (text, "heal_check_up", "gauge",
              "1 when the check's last result was ok or healed, else 0.");
    S_EACH_ROW (rows, i, r) {
        if (!r->severity)
            continue;           //  not run yet
        const char *labels [] = { "check", r->name, "kind", r->kind,
                                  "critical", r->critical? "true": "false", NULL };
        s_sample_int (text, "heal_check_up", labels,
                      streq (r->severity, "ok") || streq (r->severity, "healed"));
    }

    s_family (text, "heal_check_severity", "gauge",
              "The check's current severity (one-hot: 1 for the current one).");
    S_EACH_ROW (rows, i, r) {
        if (!r->severity)
            continue;
        for (size_t s = 0; s_severities [s]; s++) {
            const char *labels [] = { "check", r->name, "severity", s_severities [s], NULL };
            s_sample_int (text, "heal_check_severity", labels,
                          streq (r->severity, s_severities [s]));
        }
    }

    s_family (text, "heal_check_duration_seconds", "gauge",
              "Run time of the check's last run, remedy included.");
    S_EACH_ROW (rows, i, r) {
        if (!json_is_number (r->duration_ms))
            continue;
        const char *labels [] = { "check", r->name, NULL };
        s_sample_real (text, "heal_check_duration_seconds", labels,
                       json_number_value (r->duration_ms) / 1000.0);
    }

    s_family (text, "heal_check_metric", "gauge",
              "Every metric the check's kind reported in its last run, by name.");
    S_EACH_ROW (rows, i, r) {
        const char *key;
        json_t *value;
        if (json_is_object (r->metrics))
            json_object_foreach (r->metrics, key, value) {
                if (!json_is_number (value))
                    continue;
                const char *labels [] = { "check", r->name, "name", key, NULL };
                s_sample_real (text, "heal_check_metric", labels, json_number_value (value));
            }
    }

    //  Lifetime counters (the agent's totals: never reset).
    if (json_is_array (totals) && col.totals >= 0) {
        s_render_totals (text, rows, totals, "runs", "heal_check_runs_total", NULL,
                         "Results of the check.");
        s_render_totals (text, rows, totals, "failures", "heal_check_failures_total", NULL,
                         "Results of the check that were warning, critical or unknown.");
        s_render_totals (text, rows, totals, "heals", "heal_heals_total", NULL,
                         "Results of the check that were healed (remediation fixed it).");
        s_render_totals (text, rows, totals, "remedies.", "heal_remedies_total", "result",
                         "Remediation outcomes of the check's runs, by result.");
        s_render_totals (text, rows, totals, "alerts.", "heal_alerts_total", "what",
                         "Alerts raised for the check (critical, gave_up, recovered).");
    }
    free (all.row);
}

//  The agent's own numbers: one family each, when the reply has the key.
typedef struct {
    const char *key;            //  in the metrics reply
    const char *metric;
    const char *type;
    double divisor;             //  to the metric's unit (ms -> seconds: 1000)
    const char *help;
} s_agent_row_t;

static const s_agent_row_t s_agent_rows [] = {
    { "started", "heal_agent_start_time_seconds", "gauge", 1000.0,
      "When heal-agent started, unix time." },
    { "bus_dropped", "heal_bus_dropped_total", "counter", 1.0,
      "Bus messages heal-agent dropped (slow subscribers) since it started." },
    { "cycle_ms", "heal_cycle_duration_seconds", "gauge", 1000.0,
      "Duration of heal-agent's last complete cycle of checks." },
    { "diagnosis_ms", "heal_diagnosis_latency_seconds", "gauge", 1000.0,
      "How long the last diagnosis took heal-diagnoser (model latency)." },
};

int
exporter_render (const exporter_scrape_t *scrape, exporter_text_t *text)
{
    s_family (text, "heal_agent_up", "gauge",
              "1 when heal-agent answered this scrape over its control socket, else 0.");
    s_sample_int (text, "heal_agent_up", NULL, scrape->up);
    json_t *reply = scrape->up? scrape->metrics: NULL;
    if (reply) {
        s_family (text, "heal_agent_info", "gauge",
                  "heal-agent's host name and version (always 1).");
        const char *labels [] = { "host", s_string (s_get (reply, "host")),
                                  "version", s_string (s_get (reply, "version")), NULL };
        s_sample_int (text, "heal_agent_info", labels, 1);
        for (size_t i = 0; i < sizeof s_agent_rows / sizeof s_agent_rows [0]; i++) {
            const s_agent_row_t *row = &s_agent_rows [i];
            json_t *v = s_get (reply, row->key);
            if (!json_is_number (v))
                continue;
            s_family (text, row->metric, row->type, row->help);
            s_sample_real (text, row->metric, NULL, json_number_value (v) / row->divisor);
        }
        s_render_checks (text, reply);
    }
    s_family (text, "heal_exporter_scrape_duration_seconds", "gauge",
              "How long heal-exporter spent asking heal-agent for this scrape.");
    s_sample_real (text, "heal_exporter_scrape_duration_seconds", NULL,
                   (double) scrape->elapsed_us / 1e6);
    return text->overflow? -1: 0;
}
