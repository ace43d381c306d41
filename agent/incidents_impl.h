//  incidents_impl — what incidents.c and incident_query.c share: the
//  agent's incident state and a few helpers. Not for other files: they use
//  incidents.h.

#ifndef HEAL_INCIDENTS_IMPL_H_INCLUDED
#define HEAL_INCIDENTS_IMPL_H_INCLUDED

#include "agent_impl.h"
#include "history.h"
#include "incidents.h"

//  A closed incident kept in memory, so `history` answers without reading
//  the file: its short form (s_compact) as JSON text.
typedef struct {
    int64_t closed;
    char check [EVENT_MAX_NAME + 1];
    char *line;                 //  owned
} s_recent_t;

struct incidents_t {
    history_t *history;         //  per-check daily counters
    json_t *open;               //  check name -> open incident
    int64_t next_id;            //  given when an incident closes
    s_recent_t recent [INCIDENTS_RECENT];   //  ring, oldest at head
    size_t head;
    size_t count;
    bool complete;              //  recent holds every closed incident on file
    bool unsaved;               //  counters changed since state.json was written
    int64_t saved_at;           //  wall ms it was last written
};

//  The agent's incident state (made on first use; NULL when out of memory).
incidents_t *incidents_self (agent_t *self);
history_t *incidents_history (agent_t *self);
//  The open incidents, by check name (never NULL).
json_t *incidents_open (agent_t *self);
//  An incident in short: no evidence, no remedy outputs (new reference).
json_t *incidents_compact (json_t *incident);
bool incidents_is (const char *a, const char *b);

#endif
