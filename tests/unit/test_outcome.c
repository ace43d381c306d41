//  test_outcome — what a finished run means, with the time passed in:
//  severity, streak and since, alerts (critical, gave_up, recovered, none
//  when muted), the remedy field (healed, failed, pending, given back,
//  throttled, gave up), budget recovery, incidents, retries after backoff.
//  No processes, sockets or clocks.

#include "outcome.h"

#include <stdio.h>
#include <string.h>
#include "unit.h"

static heal_check_config_t s_cfg;

//  Apply one run to health at now; returns the event (caller destroys).
static event_t *
s_apply (check_health_t *health, const outcome_run_t *run, int64_t now, outcome_t *out)
{
    event_t *event = event_new (EVENT_CHECK);
    CHECK (event != NULL);
    if (!event)
        return NULL;
    CHECK (outcome_apply (health, "web", &s_cfg, run, now, event, out) == 0);
    return event;
}

static bool
s_has_alert (const outcome_t *out, const char *what)
{
    for (size_t i = 0; i < out->alert_count; i++)
        if (streq (out->alerts [i], what))
            return true;
    return false;
}

int main (void);

int
main (void)
{
    memset (&s_cfg, 0, sizeof s_cfg);
    s_cfg.name = "web";
    s_cfg.kind = "process";
    s_cfg.critical = true;
    s_cfg.attempts = 2;
    s_cfg.within_ms = 600 * 1000;
    s_cfg.backoff_ms = 1000;
    check_health_t health;
    memset (&health, 0, sizeof health);
    int64_t now = 1700000000000;
    outcome_t out;

    //  Severity table.
    CHECK (outcome_severity (&s_cfg, CHECK_OK, false) == SEVERITY_OK);
    CHECK (outcome_severity (&s_cfg, CHECK_OK, true) == SEVERITY_HEALED);
    CHECK (outcome_severity (&s_cfg, CHECK_WARN, false) == SEVERITY_WARNING);
    CHECK (outcome_severity (&s_cfg, CHECK_FAIL, false) == SEVERITY_CRITICAL);
    CHECK (outcome_severity (&s_cfg, CHECK_UNKNOWN, false) == SEVERITY_UNKNOWN);
    s_cfg.critical = false;
    CHECK (outcome_severity (&s_cfg, CHECK_FAIL, false) == SEVERITY_WARNING);
    s_cfg.critical = true;

    //  First ok: changed, no alert, no incident.
    outcome_run_t ok = { .first = CHECK_OK, .status = CHECK_OK, .has_remedy = true };
    event_t *event = s_apply (&health, &ok, now, &out);
    CHECK (event->severity == SEVERITY_OK && event->changed && event->streak == 0);
    CHECK (event->since == now);
    CHECK (streq (event->check, "web") && streq (event->kind, "process") && event->critical);
    CHECK (streq (event->message, "ok"));
    CHECK (!event->remedy);
    CHECK (out.alert_count == 0 && !out.incident && !out.persist_now);
    event_destroy (&event);

    //  Ok again: not changed, since kept.
    event = s_apply (&health, &ok, now + 1000, &out);
    CHECK (!event->changed && event->since == now);
    event_destroy (&event);

    //  Fails and is healed by its remedy: healed, attempt 1, incident, no alert.
    event_remedy_t done = { .action = "restart", .output = "started", .duration_ms = 40 };
    outcome_run_t healed = { .first = CHECK_FAIL, .status = CHECK_OK, .has_remedy = true,
                             .remedied = true, .remedy_status = REMEDY_DONE,
                             .remedy = &done, .attempt = 1 };
    event = s_apply (&health, &healed, now + 2000, &out);
    CHECK (event->severity == SEVERITY_HEALED && event->changed);
    CHECK (event->remedy && streq (event->remedy->result, "healed"));
    CHECK (streq (event->remedy->action, "restart") && event->remedy->attempt == 1);
    CHECK (event->remedy->duration_ms == 40);
    CHECK (out.incident && out.remediated && out.alert_count == 0);
    event_destroy (&event);

    //  Fails, remedy ran but the re-run still fails: critical alert, failed,
    //  and a retry when the backoff ends.
    int64_t t = now + 3000;
    CHECK (remedy_budget_record (&health.budget, &s_cfg, t) == 1);
    outcome_run_t failed = { .first = CHECK_FAIL, .status = CHECK_FAIL, .has_remedy = true,
                             .remedied = true, .remedy_status = REMEDY_DONE,
                             .remedy = &done, .attempt = 1 };
    event = s_apply (&health, &failed, t, &out);
    CHECK (event->severity == SEVERITY_CRITICAL && event->streak == 1);
    CHECK (streq (event->remedy->result, "failed"));
    CHECK (s_has_alert (&out, "critical") && out.alert_count == 1);
    CHECKF (out.retry_in_ms == 1000 + OUTCOME_RETRY_SLACK_MS, "%lld",
            (long long) out.retry_in_ms);
    event_destroy (&event);

    //  Fails in backoff: throttled, retry, no second critical alert.
    outcome_run_t fail = { .first = CHECK_FAIL, .status = CHECK_FAIL, .has_remedy = true };
    event = s_apply (&health, &fail, t + 500, &out);
    CHECK (streq (event->remedy->result, "throttled"));
    CHECK (streq (event->remedy->output, "in backoff"));
    CHECK (event->streak == 2 && !event->changed);
    CHECK (out.alert_count == 0 && out.retry_in_ms == 500 + OUTCOME_RETRY_SLACK_MS);
    event_destroy (&event);

    //  Budget spent: gave_up once (alert + persist), then gave_up silently.
    CHECK (remedy_budget_record (&health.budget, &s_cfg, t + 1000) == 2);
    event = s_apply (&health, &fail, t + 600000 / 2, &out);
    CHECK (streq (event->remedy->result, "gave_up"));
    CHECK (s_has_alert (&out, "gave_up") && out.persist_now && health.budget.gave_up);
    event_destroy (&event);
    event = s_apply (&health, &fail, t + 600000 / 2 + 1000, &out);
    CHECK (streq (event->remedy->result, "gave_up") && out.alert_count == 0);
    CHECK (out.retry_in_ms == 0);

    event_destroy (&event);

    //  Recovers: recovered alert, budget recovered and persisted.
    event = s_apply (&health, &ok, t + 600000, &out);
    CHECK (event->severity == SEVERITY_OK && event->changed && event->streak == 0);
    CHECK (s_has_alert (&out, "recovered") && out.persist_now);
    CHECK (!health.budget.gave_up && health.budget.backoff_until == 0);
    event_destroy (&event);

    //  The kind had nothing to do (no remedy configured for this failure):
    //  remedy null, as documented, and the attempt given back.
    int attempt = remedy_budget_record (&health.budget, &s_cfg, t + 700000);
    int before = attempt - 1;
    outcome_run_t none = { .first = CHECK_FAIL, .status = CHECK_FAIL, .has_remedy = true,
                           .remedied = true, .remedy_status = REMEDY_NONE,
                           .remedy = &done, .attempt = attempt };
    event = s_apply (&health, &none, t + 700000, &out);
    CHECK (event->remedy == NULL);
    CHECK (health.budget.count == before && out.persist_now && !out.remediated);
    event_destroy (&event);

    //  Started in the background: "skipped", the output says pending.
    outcome_run_t pending = { .first = CHECK_FAIL, .status = CHECK_FAIL, .has_remedy = true,
                              .remedied = true, .remedy_status = REMEDY_PENDING,
                              .remedy = &done, .attempt = 1 };
    event = s_apply (&health, &pending, t + 800000, &out);
    CHECK (streq (event->remedy->result, "skipped"));
    CHECK (strstr (event->remedy->output, "pending: started in the background: started"));
    event_destroy (&event);

    //  Muted: no alerts at all; the remedy field says so.
    remedy_budget_free (&health.budget);
    memset (&health, 0, sizeof health);
    health.budget.mute_until = now + 3600 * 1000;
    event = s_apply (&health, &fail, now, &out);
    CHECK (event->severity == SEVERITY_CRITICAL && out.alert_count == 0);
    CHECK (streq (event->remedy->result, "skipped") && streq (event->remedy->output, "muted"));
    event_destroy (&event);

    //  A timeout: unknown, no remedy field, incident; a kind's remedy field is replaced.
    remedy_budget_free (&health.budget);
    memset (&health, 0, sizeof health);
    outcome_run_t timeout = { .first = CHECK_UNKNOWN, .status = CHECK_UNKNOWN,
                              .timed_out = true, .has_remedy = true };
    event = event_new (EVENT_CHECK);
    event->remedy = (event_remedy_t *) zmalloc (sizeof (event_remedy_t));
    event_set_string (&event->message, "timed out after 5000 ms", EVENT_MAX_MESSAGE);
    CHECK (outcome_apply (&health, "web", &s_cfg, &timeout, now, event, &out) == 0);
    CHECK (event->severity == SEVERITY_UNKNOWN && !event->remedy && out.incident);
    CHECK (streq (event->message, "timed out after 5000 ms"));
    event_destroy (&event);

    //  A kind without a remedy: a failure has no remedy field.
    remedy_budget_free (&health.budget);
    memset (&health, 0, sizeof health);
    outcome_run_t bare = { .first = CHECK_FAIL, .status = CHECK_FAIL };
    event = s_apply (&health, &bare, now, &out);
    CHECK (!event->remedy && s_has_alert (&out, "critical"));
    event_destroy (&event);

    //  A remedy (and its verification) that outlasts the backoff: the retry is
    //  at once, not a whole interval later (issue 13, defect 3).
    remedy_budget_free (&health.budget);
    memset (&health, 0, sizeof health);
    int64_t t2 = now + 4000000;
    CHECK (remedy_budget_record (&health.budget, &s_cfg, t2) == 1);
    event_remedy_t slow = { .action = "run", .duration_ms = 2000, .verify_ms = 1500 };
    outcome_run_t late = { .first = CHECK_FAIL, .status = CHECK_FAIL, .has_remedy = true,
                           .remedied = true, .remedy_status = REMEDY_DONE,
                           .remedy = &slow, .attempt = 1 };
    event = s_apply (&health, &late, t2 + 3500, &out);
    CHECK (streq (event->remedy->result, "failed") && event->remedy->verify_ms == 1500);
    CHECKF (out.retry_in_ms == OUTCOME_RETRY_SLACK_MS, "%lld", (long long) out.retry_in_ms);
    event_destroy (&event);
    //  ... but backoff = 0 still means no early run.
    s_cfg.backoff_ms = 0;
    event = s_apply (&health, &late, t2 + 3600, &out);
    CHECK (out.retry_in_ms == 0);
    s_cfg.backoff_ms = 1000;
    event_destroy (&event);

    //  Blocked by a failing dependency: blocked severity, no remedy, no alert,
    //  the dependency named; passing again clears it.
    remedy_budget_free (&health.budget);
    memset (&health, 0, sizeof health);
    outcome_run_t blocked = { .first = CHECK_FAIL, .status = CHECK_FAIL, .has_remedy = true,
                              .blocked_by = "db" };
    event = s_apply (&health, &blocked, now, &out);
    CHECK (event->severity == SEVERITY_BLOCKED && !event->remedy && out.alert_count == 0);
    CHECK (event->blocked_by && streq (event->blocked_by, "db"));
    CHECK (strncmp (event->message, "blocked by 'db': ", 17) == 0);
    CHECK (!out.passing && health.budget.count == 0);
    event_destroy (&event);
    outcome_run_t ok_blocked = { .first = CHECK_OK, .status = CHECK_OK, .has_remedy = true,
                                 .blocked_by = "db" };
    event = s_apply (&health, &ok_blocked, now + 1000, &out);
    CHECK (event->severity == SEVERITY_OK && !event->blocked_by && out.passing);
    CHECK (out.alert_count == 0);
    event_destroy (&event);

    remedy_budget_free (&health.budget);
    if (s_failed)
        fprintf (stderr, "test_outcome: %d of %d failed\n", s_failed, s_checks);
    return s_failed? 1: 0;
}
