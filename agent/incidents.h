//  incidents — the incident lifecycle and the history the operator asks for
//  (issue 15; docs/agent.md "Incidents and history").
//
//  An incident opens at the first run of a check that ends not ok (not
//  healed at once), is updated in place while the check keeps failing
//  (remedies tried, alerts sent, worst severity; state.json follows within
//  AGENT_STATE_FLUSH_MS, like the check's severity), and closes when a run ends
//  ok (recovered) or healed (healed), when the operator mutes the check
//  (muted), or when the check leaves the config (removed). A failure healed
//  within one run is a one-line incident of its own. Open incidents live in
//  state.json ("incidents"); a closed one is appended once to incidents.jsonl
//  (incident_file.h), given the next id, then state.json is saved: a kill -9
//  between the two is repaired at start (the record is in the file: the open
//  copy is dropped), so no closed incident is lost or written twice.
//
//  Also here: the glue to the per-check daily counters (history.h) and the
//  `history` and `incidents` control replies. Main thread only.

#ifndef HEAL_INCIDENTS_H_INCLUDED
#define HEAL_INCIDENTS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

typedef struct agent_t agent_t;
typedef struct agent_check_t agent_check_t;
typedef struct incidents_t incidents_t;

#define INCIDENT_MAX_REMEDIES   20      //  remedies kept per incident
#define INCIDENT_MAX_ALERTS     20      //  alerts kept per incident
#define INCIDENT_MAX_OUTPUT     1024    //  remedy output kept, bytes
#define INCIDENT_MAX_OPEN       4096    //  open incidents loaded from state.json
#define INCIDENTS_REPLY_MAX     200     //  incidents in one history/incidents reply
#define INCIDENTS_RECENT        256     //  closed incidents kept in memory for `history`
#define HISTORY_DEFAULT_SINCE_MS (7LL * 86400 * 1000)
#define INCIDENTS_SAVE_MS       (5LL * 60 * 1000)   //  counters of steady runs: saved this often

//  A run of check has been applied (check->last is its event, severity and
//  alerts in the arguments): count it, and open, update or close its incident.
void incidents_run (agent_t *self, agent_check_t *check, int severity,
                    const char *const *alerts, size_t alert_count, int64_t now);

//  Close check name's open incident, if any, with outcome ("muted").
void incidents_close (agent_t *self, const char *name, const char *outcome, int64_t now);

//  After a reload: close the incidents of checks no longer configured
//  ("removed") and drop their counters.
void incidents_reload (agent_t *self, int64_t now);

//  state.json: add "history" and "incidents" to root / restore them from it.
void incidents_state_save (agent_t *self, json_t *root, int64_t now);
void incidents_state_load (agent_t *self, json_t *root, int64_t now);
//  After state_load: repair a close cut short by a kill -9, find the next id.
void incidents_start (agent_t *self);
void incidents_destroy (agent_t *self);

//  The counters changed since state.json was last written (save at stop).
bool incidents_unsaved (agent_t *self);

//  The id the next closed incident gets.
int64_t incidents_next_id (agent_t *self);

//  Heals of name in the last 7 UTC days.
int64_t incidents_heals_7d (agent_t *self, const char *name, int64_t now);

//  The `history` reply: per-check counters since, and the incidents (open and
//  closed, newest first, at most limit). check NULL: every configured check.
json_t *incidents_history_json (agent_t *self, const char *check, int64_t since,
                                int64_t now, size_t limit);
//  The `incidents` reply: closed incidents with id > after (oldest first, at
//  most limit), the open ones, and the last id.
json_t *incidents_after_json (agent_t *self, int64_t after, size_t limit);

#endif
