//  ratelog — log a repeated complaint once, then a summary per window
//  (bus/ratelog.c). An outsider can make heal drop messages as fast as it can
//  send them; one log line per drop would let it fill the disk. The first
//  drop of a window is logged with its reason; the rest are counted and
//  summarised ("dropped 49999 invalid inbound messages in the last 60 s:
//  not two frames") when the window has passed.

#ifndef HEAL_RATELOG_H_INCLUDED
#define HEAL_RATELOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The window of a summary, milliseconds.
#define RATELOG_WINDOW_MS   60000
//  Longest reason kept for the summary (longer ones are cut).
#define RATELOG_MAX_REASON  160

typedef struct {
    const char *what;           //  "invalid inbound messages" (static string)
    int64_t window_start;       //  ms of the window's first hit, 0 = none open
    uint64_t suppressed;        //  hits not logged in this window
    char reason [RATELOG_MAX_REASON + 1];     //  the last suppressed hit's reason
} heal_ratelog_t;

//  One hit at now_ms (any monotonic clock) for reason. Returns true and fills
//  line (len bytes) when a line is due: the first hit of a window (its reason),
//  or a summary of the previous window followed by this hit opening a new one.
bool heal_ratelog_hit (heal_ratelog_t *self, int64_t now_ms, const char *reason,
                       char *line, size_t len);

//  When the window has passed with hits suppressed: the summary into line
//  and true (the window closes). Call it now and then (the agent: each loop).
bool heal_ratelog_flush (heal_ratelog_t *self, int64_t now_ms, char *line, size_t len);

#endif
