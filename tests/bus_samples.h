//  bus_samples — one realistic, deterministic event of every type, shared by
//  test_event, test_bus, gen_fixtures, bus_publish_all and bench/bus.
//  Header-only (static inline) so each program links just what it uses.

#ifndef HEAL_BUS_SAMPLES_H_INCLUDED
#define HEAL_BUS_SAMPLES_H_INCLUDED

#include <string.h>
#include "heal/event.h"

#define SAMPLE_TS 1700000001234LL

static inline void
sample_common (event_t *e, uint64_t seq)
{
    e->seq = seq;
    e->ts = SAMPLE_TS + (int64_t) seq;
    event_set_string (&e->host, "fixture-host", EVENT_MAX_SHORT);
    event_set_string (&e->source, e->type == EVENT_DIAGNOSIS ? "heal-diagnoser" : "heal-agent",
                      EVENT_MAX_SHORT);
}

//  A failing critical disk check whose remediation failed: every field set.
static inline event_t *
sample_check (void)
{
    event_t *e = event_new (EVENT_CHECK);
    sample_common (e, 7);
    e->cycle = 42;
    event_set_string (&e->check, "disk_root", EVENT_MAX_NAME);
    event_set_string (&e->kind, "disk", EVENT_MAX_SHORT);
    e->critical = true;
    e->severity = SEVERITY_CRITICAL;
    event_set_string (&e->message, "/ has 4.5% free (minimum 10%)", EVENT_MAX_MESSAGE);
    e->duration_ms = 12;
    e->streak = 3;
    e->since = SAMPLE_TS - 600000;
    e->changed = true;
    event_add_evidence (e, "statvfs(/): 4.5% free, 2.1G of 46G");
    event_add_evidence (e, "largest: /var/log/app.log 12G");
    event_add_evidence (e, "inodes: 61% free");
    event_add_metric (e, "free_pct", 4.5);
    event_add_metric (e, "free_bytes", 2254857830.0);
    event_add_metric (e, "inodes_free_pct", 61.0);
    e->remedy = (event_remedy_t *) calloc (1, sizeof (event_remedy_t));
    event_set_string (&e->remedy->action, "rotate", EVENT_MAX_SHORT);
    event_set_string (&e->remedy->result, "failed", EVENT_MAX_SHORT);
    e->remedy->attempt = 2;
    e->remedy->duration_ms = 340;
    event_set_text (&e->remedy->output, "rotate: /var/log/app.log: Permission denied\nexit 1",
                    EVENT_MAX_TEXT);
    return e;
}

//  A passing optional check: empty evidence and metrics, no remedy.
static inline event_t *
sample_check_ok (void)
{
    event_t *e = event_new (EVENT_CHECK);
    sample_common (e, 8);
    e->cycle = 42;
    event_set_string (&e->check, "http-api", EVENT_MAX_NAME);
    event_set_string (&e->kind, "http", EVENT_MAX_SHORT);
    e->severity = SEVERITY_OK;
    event_set_string (&e->message, "HTTP 200 in 3 ms", EVENT_MAX_MESSAGE);
    e->duration_ms = 3;
    e->since = SAMPLE_TS - 86400000;
    return e;
}

static inline event_t *
sample_alert (void)
{
    event_t *e = event_new (EVENT_ALERT);
    sample_common (e, 9);
    e->cycle = 42;
    event_set_string (&e->check, "ollama", EVENT_MAX_NAME);
    event_set_string (&e->kind, "ollama", EVENT_MAX_SHORT);
    e->critical = true;
    e->severity = SEVERITY_CRITICAL;
    event_set_string (&e->message, "ollama did not answer in 5 s", EVENT_MAX_MESSAGE);
    event_set_string (&e->alert, "gave_up", EVENT_MAX_SHORT);
    e->duration_ms = 5001;
    e->streak = 5;
    e->since = SAMPLE_TS - 1200000;
    event_add_evidence (e, "GET http://127.0.0.1:11434/api/tags: timeout after 5000 ms");
    e->remedy = (event_remedy_t *) calloc (1, sizeof (event_remedy_t));
    event_set_string (&e->remedy->action, "restart", EVENT_MAX_SHORT);
    event_set_string (&e->remedy->result, "gave_up", EVENT_MAX_SHORT);
    e->remedy->attempt = 3;
    e->remedy->duration_ms = 0;
    return e;
}

static inline event_t *
sample_cycle (void)
{
    event_t *e = event_new (EVENT_CYCLE);
    sample_common (e, 10);
    e->cycle = 42;
    e->counts [SEVERITY_OK] = 10;
    e->counts [SEVERITY_HEALED] = 1;
    e->counts [SEVERITY_WARNING] = 2;
    e->counts [SEVERITY_CRITICAL] = 2;
    e->counts [SEVERITY_UNKNOWN] = 0;
    e->degraded = true;
    event_list_append (&e->issues, &e->issue_count, "disk_root", EVENT_MAX_NAME);
    event_list_append (&e->issues, &e->issue_count, "ollama", EVENT_MAX_NAME);
    e->duration_ms = 812;
    return e;
}

static inline event_t *
sample_diagnosis (void)
{
    event_t *e = event_new (EVENT_DIAGNOSIS);
    sample_common (e, 3);
    e->cycle = 42;
    event_list_append (&e->checks, &e->check_count, "disk_root", EVENT_MAX_NAME);
    event_list_append (&e->checks, &e->check_count, "ollama", EVENT_MAX_NAME);
    event_set_string (&e->fingerprint, "9c1e0f3a5b7d2e48", EVENT_MAX_SHORT);
    event_set_string (&e->model, "qwen2.5:7b", EVENT_MAX_SHORT);
    event_set_string (&e->summary, "The root disk is full because app.log is not rotated; "
                      "ollama cannot write its model cache.", EVENT_MAX_MESSAGE);
    event_set_text (&e->root_cause, "app.log grew to 12G: logrotate cannot rename it "
                    "(Permission denied).\nOllama fails when it cannot write to ~/.ollama.",
                    EVENT_MAX_TEXT);
    event_list_append (&e->operator_checks, &e->operator_check_count,
                       "ls -l /var/log/app.log", EVENT_MAX_MESSAGE);
    event_list_append (&e->operator_checks, &e->operator_check_count,
                       "df -h /", EVENT_MAX_MESSAGE);
    e->latency_ms = 5400;
    e->cached = false;
    event_list_append (&e->related, &e->related_count, "log_app", EVENT_MAX_SHORT);
    event_set_string (&e->confidence, "medium", EVENT_MAX_SHORT);
    return e;
}

//  A diagnosis that could not be had.
static inline event_t *
sample_diagnosis_error (void)
{
    event_t *e = event_new (EVENT_DIAGNOSIS);
    sample_common (e, 4);
    e->cycle = 43;
    event_list_append (&e->checks, &e->check_count, "disk_root", EVENT_MAX_NAME);
    event_set_string (&e->fingerprint, "77aa01", EVENT_MAX_SHORT);
    event_set_string (&e->model, "qwen2.5:7b", EVENT_MAX_SHORT);
    event_set_string (&e->summary, "", EVENT_MAX_MESSAGE);
    event_set_string (&e->root_cause, "", EVENT_MAX_TEXT);
    e->latency_ms = 2;
    event_set_text (&e->error, "ollama: connection refused", EVENT_MAX_TEXT);
    return e;
}

static inline event_t *
sample_agent (void)
{
    event_t *e = event_new (EVENT_AGENT);
    sample_common (e, 1);
    event_set_string (&e->event, "started", EVENT_MAX_SHORT);
    event_set_string (&e->version, "0.1.0", EVENT_MAX_SHORT);
    e->pid = 4242;
    event_set_string (&e->message, "config /home/op/.config/heal/heal.conf, 12 checks",
                      EVENT_MAX_MESSAGE);
    return e;
}

typedef struct {
    const char *name;           //  fixture file stem
    const char *topic;
    event_t *(*make) (void);
} sample_t;

static const sample_t s_samples [] = {
    { "check", "heal.check.critical.disk_root", sample_check },
    { "check-ok", "heal.check.ok.http-api", sample_check_ok },
    { "alert", "heal.alert.ollama", sample_alert },
    { "cycle", "heal.cycle", sample_cycle },
    { "diagnosis", "heal.diagnosis", sample_diagnosis },
    { "diagnosis-error", "heal.diagnosis", sample_diagnosis_error },
    { "agent", "heal.agent", sample_agent },
    { NULL, NULL, NULL }
};

#endif
