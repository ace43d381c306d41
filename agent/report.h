//  report — state_dir/report.json (the last cycle's picture). Main thread only.

#ifndef HEAL_REPORT_H_INCLUDED
#define HEAL_REPORT_H_INCLUDED

#include <jansson.h>

typedef struct agent_t agent_t;

//  The report as JSON (owned by the caller).
json_t *report_json (agent_t *self);
//  Write report.json atomically. 0 or -1.
int report_write (agent_t *self);

#endif
