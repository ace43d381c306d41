//  outcome — what a finished run means for its check (see outcome.h).

#include "outcome.h"

#include <string.h>

severity_t
outcome_severity (const heal_check_config_t *cfg, check_status_t status, bool healed)
{
    switch (status) {
        case CHECK_OK:   return healed? SEVERITY_HEALED: SEVERITY_OK;
        case CHECK_WARN: return SEVERITY_WARNING;
        case CHECK_FAIL: return cfg->critical? SEVERITY_CRITICAL: SEVERITY_WARNING;
        default:         return SEVERITY_UNKNOWN;
    }
}

static event_remedy_t *
s_remedy_new (const char *action, const char *result, int64_t attempt,
              int64_t duration_ms, const char *output)
{
    event_remedy_t *remedy = (event_remedy_t *) zmalloc (sizeof (event_remedy_t));
    if (!remedy)
        return NULL;
    remedy->verify_ms = -1;
    event_set_string (&remedy->action, action? action: "remedy", EVENT_MAX_SHORT);
    event_set_string (&remedy->result, result, EVENT_MAX_SHORT);
    remedy->attempt = attempt;
    remedy->duration_ms = duration_ms;
    if (output)
        event_set_text (&remedy->output, output, EVENT_MAX_TEXT);   //  keeps its lines
    return remedy;
}

static void
s_remedy_free (event_remedy_t **remedy_p)
{
    event_remedy_t *remedy = *remedy_p;
    if (!remedy)
        return;
    free (remedy->action);
    free (remedy->result);
    free (remedy->output);
    free (remedy);
    *remedy_p = NULL;
}

//  After a failed or throttled remediation, run the check again when its
//  backoff ends rather than a whole interval later: a dead service stays down
//  no longer than the backoff says, and the budget still bounds the attempts.
//  A backoff that already ended (the remedy and its verification took longer)
//  means at once. No backoff (0) means no early run: the next is at the interval.
static void
s_retry_after_backoff (const check_health_t *health, const heal_check_config_t *cfg,
                       int64_t now, outcome_t *out)
{
    if (health->budget.gave_up || cfg->backoff_ms <= 0)
        return;
    int64_t left = health->budget.backoff_until - now;
    out->retry_in_ms = (left > 0 ? left : 0) + OUTCOME_RETRY_SLACK_MS;
}

//  The remedy field when the kind's remedy ran.
static event_remedy_t *
s_remedied (check_health_t *health, const heal_check_config_t *cfg,
            const outcome_run_t *run, int64_t now, bool *healed, outcome_t *out)
{
    const char *result = "failed";
    bool pending = false;
    int attempt = run->attempt;
    switch (run->remedy_status) {
        case REMEDY_DONE:
            *healed = run->status == CHECK_OK;
            result = *healed? "healed": "failed";
            if (!*healed)
                s_retry_after_backoff (health, cfg, now, out);
            break;
        case REMEDY_FAILED:
            result = "failed";
            s_retry_after_backoff (health, cfg, now, out);
            break;
        case REMEDY_PENDING:
            //  Started in the background (e.g. a model pull): not an outcome
            //  yet. The bus has no "pending" result: "skipped" with the output
            //  saying so; a later run shows the outcome.
            result = "skipped";
            pending = true;
            break;
        case REMEDY_NONE:
            //  Nothing configured for this failure: the attempt is given back
            //  and the event has no remedy (null), as for a kind without one.
            remedy_budget_unrecord (&health->budget);
            out->persist_now = true;
            return NULL;
    }
    const event_remedy_t *done = run->remedy;
    const char *done_output = done? done->output: NULL;
    char *output = NULL;
    if (pending)
        output = zsys_sprintf ("pending: started in the background%s%s",
                               done_output? ": ": "", done_output? done_output: "");
    event_remedy_t *remedy = s_remedy_new (done? done->action: NULL, result, attempt,
                                           done? done->duration_ms: 0,
                                           output? output: done_output);
    zstr_free (&output);
    if (remedy && done)
        remedy->verify_ms = done->verify_ms;
    out->remediated = true;
    return remedy;
}

//  The remedy field when the run failed and no remedy ran: why not.
static event_remedy_t *
s_not_remedied (check_health_t *health, const heal_check_config_t *cfg,
                const outcome_run_t *run, int64_t now, bool *gave_up_alert,
                outcome_t *out)
{
    remedy_decision_t decision = run->forced && !run->denied
        ? REMEDY_ALLOW
        : remedy_budget_decide (&health->budget, cfg, now);
    const char *result = "throttled";
    const char *output = NULL;
    switch (decision) {
        case REMEDY_MUTED:
            result = "skipped";
            output = "muted";
            break;
        case REMEDY_SPENT:
            health->budget.gave_up = true;
            *gave_up_alert = true;
            result = "gave_up";
            out->persist_now = true;
            break;
        case REMEDY_GAVE_UP:
            result = "gave_up";
            break;
        case REMEDY_THROTTLED:
        case REMEDY_ALLOW:
            result = "throttled";
            output = "in backoff";
            break;
    }
    if (decision == REMEDY_THROTTLED)
        s_retry_after_backoff (health, cfg, now, out);
    return s_remedy_new ("remedy", result, health->budget.count, 0, output);
}

static void
s_alert (outcome_t *out, const char *what)
{
    if (out->alert_count < OUTCOME_MAX_ALERTS)
        out->alerts [out->alert_count++] = what;
}

int
outcome_apply (check_health_t *health, const char *name, const heal_check_config_t *cfg,
               const outcome_run_t *run, int64_t now, event_t *event, outcome_t *out)
{
    memset (out, 0, sizeof *out);
    bool muted = remedy_budget_muted (&health->budget, now);
    bool gave_up_alert = false;
    bool healed = false;
    bool wanted_remedy = false;
    event_remedy_t *remedy = NULL;
    bool blocked = run->blocked_by && !run->remedied && run->status != CHECK_OK;
    if (run->remedied) {
        wanted_remedy = run->remedy_status != REMEDY_NONE;
        remedy = s_remedied (health, cfg, run, now, &healed, out);
    }
    else
    if (run->first == CHECK_FAIL && !run->timed_out && run->has_remedy && !blocked) {
        wanted_remedy = true;
        remedy = s_not_remedied (health, cfg, run, now, &gave_up_alert, out);
    }

    severity_t severity = blocked ? SEVERITY_BLOCKED
                                  : outcome_severity (cfg, run->status, healed);
    bool had = health->has_severity;
    severity_t previous = health->severity;
    bool changed = !had || previous != severity;

    event->type = EVENT_CHECK;
    event_set_string (&event->check, name, EVENT_MAX_NAME);
    event_set_string (&event->kind, cfg->kind, EVENT_MAX_SHORT);
    event->critical = cfg->critical;
    event->severity = severity;
    if (!event->message)
        event_set_string (&event->message, severity_name (severity), EVENT_MAX_MESSAGE);
    if (severity == SEVERITY_OK || severity == SEVERITY_HEALED)
        health->streak = 0;
    else
        health->streak++;
    if (changed)
        health->since = now;
    event->streak = health->streak;
    event->since = health->since;
    event->changed = changed;
    s_remedy_free (&event->remedy);     //  a kind should not set it; ours wins
    event->remedy = remedy;
    free (event->blocked_by);
    event->blocked_by = NULL;
    if (blocked) {
        //  The dependency is the news: this check's own message stays after it.
        event_set_string (&event->blocked_by, run->blocked_by, EVENT_MAX_NAME);
        char *message = zsys_sprintf ("blocked by '%s': %s", run->blocked_by,
                                      event->message ? event->message : "failing");
        if (message)
            event_set_string (&event->message, message, EVENT_MAX_MESSAGE);
        zstr_free (&message);
    }
    health->has_severity = true;
    health->severity = severity;

    //  Alerts (never when muted, nor while blocked by a dependency).
    if (!muted && !blocked) {
        if (severity == SEVERITY_CRITICAL && (!had || previous != SEVERITY_CRITICAL))
            s_alert (out, "critical");
        if (gave_up_alert)
            s_alert (out, "gave_up");
        if (had && (previous == SEVERITY_CRITICAL || previous == SEVERITY_WARNING)
        &&  (severity == SEVERITY_OK || severity == SEVERITY_HEALED))
            s_alert (out, "recovered");
    }
    if (severity == SEVERITY_OK
    && (health->budget.gave_up || health->budget.backoff_until)) {
        remedy_budget_recover (&health->budget);
        out->persist_now = true;
    }
    out->incident = run->first != CHECK_OK || severity != SEVERITY_OK;
    out->severity = severity;
    out->changed = changed;
    out->passing = severity == SEVERITY_OK || severity == SEVERITY_HEALED;
    return wanted_remedy && !remedy? -1: 0;
}
