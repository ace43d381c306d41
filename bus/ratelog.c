//  ratelog — one line per window for a repeated complaint
//  (include/heal/ratelog.h).

#include "heal/ratelog.h"

#include <stdio.h>
#include <string.h>

static void
s_summary (heal_ratelog_t *self, int64_t now_ms, char *line, size_t len)
{
    int64_t seconds = (now_ms - self->window_start + 999) / 1000;
    snprintf (line, len, "dropped %llu %s in the last %lld s (last: %s)",
              (unsigned long long) self->suppressed, self->what,
              (long long) (seconds > 0 ? seconds : 1), self->reason);
}

bool
heal_ratelog_flush (heal_ratelog_t *self, int64_t now_ms, char *line, size_t len)
{
    if (!self->window_start || now_ms - self->window_start < RATELOG_WINDOW_MS)
        return false;
    bool due = self->suppressed > 0;
    if (due)
        s_summary (self, now_ms, line, len);
    self->window_start = 0;
    self->suppressed = 0;
    return due;
}

bool
heal_ratelog_hit (heal_ratelog_t *self, int64_t now_ms, const char *reason,
                  char *line, size_t len)
{
    if (!reason)
        reason = "?";
    if (self->window_start && now_ms - self->window_start < RATELOG_WINDOW_MS) {
        self->suppressed++;
        snprintf (self->reason, sizeof self->reason, "%s", reason);
        return false;
    }
    char summary [RATELOG_MAX_REASON + 128] = "";
    bool had = heal_ratelog_flush (self, now_ms, summary, sizeof summary);
    self->window_start = now_ms ? now_ms : 1;
    self->suppressed = 0;
    if (had)
        snprintf (line, len, "%s; then dropped %s: %s (further ones summarised "
                  "once a minute)", summary, self->what, reason);
    else
        snprintf (line, len, "dropped %s: %s (further ones summarised once a minute)",
                  self->what, reason);
    return true;
}
