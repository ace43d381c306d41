//  test_ratelog — a flood of drops writes one line, then one summary per
//  window (issue 14 #4).

#include <stdio.h>
#include <string.h>
#include "heal/ratelog.h"
#include "unit.h"

int
main (void)
{
    heal_ratelog_t log = { .what = "invalid inbound messages" };
    char line [512];
    int lines = 0;
    //  50,000 drops within one window: one line
    for (int i = 0; i < 50000; i++)
        if (heal_ratelog_hit (&log, 1000 + i / 10, "not two frames", line, sizeof line))
            lines++;
    CHECKF (lines == 1, "%d lines for 50000 drops", lines);
    CHECK (!heal_ratelog_flush (&log, 1000 + RATELOG_WINDOW_MS - 1, line, sizeof line));
    //  the window passes: the summary says how many and why
    CHECK (heal_ratelog_flush (&log, 1000 + RATELOG_WINDOW_MS, line, sizeof line));
    CHECKF (strstr (line, "dropped 49999 invalid inbound messages in the last 60 s")
            && strstr (line, "not two frames"), "summary: %s", line);
    CHECK (!heal_ratelog_flush (&log, 1000 + 3 * RATELOG_WINDOW_MS, line, sizeof line));
    //  a lone drop later: logged at once, nothing to summarise
    CHECK (heal_ratelog_hit (&log, 10 * RATELOG_WINDOW_MS, "bad payload", line, sizeof line));
    CHECKF (strstr (line, "bad payload") && !strstr (line, "in the last"), "%s", line);
    CHECK (!heal_ratelog_flush (&log, 12 * RATELOG_WINDOW_MS, line, sizeof line));
    //  drops that straddle windows without a flush: the next hit carries the summary
    heal_ratelog_hit (&log, 20 * RATELOG_WINDOW_MS, "a", line, sizeof line);
    heal_ratelog_hit (&log, 20 * RATELOG_WINDOW_MS + 1, "b", line, sizeof line);
    CHECK (heal_ratelog_hit (&log, 22 * RATELOG_WINDOW_MS, "c", line, sizeof line));
    CHECKF (strstr (line, "dropped 1 invalid") && strstr (line, ": c"), "%s", line);
    printf ("test_ratelog: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed ? 1 : 0;
}
