//  healctl status — the status table and its exit code (worst severity).
//
//  The reply's data (schemas/control-commands.md) is read leniently:
//  status: {agent: {host, cycle, ...}, degraded, checks: [{name, kind,
//  critical, severity|null, since, message, remedy: result|null,
//  muted_until|null, last: event}, ...]}; run: {checks: {name: event}, worst}.
//  Missing fields print as "-"; a check that has not run yet is "pending".

#include "healctl.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define STATUS_MAX_MESSAGE 200       //  message column, characters, when piped

//  Checks of a status/run reply as an array (borrowed or new reference in *owned).
static json_t *
s_checks (json_t *data, json_t **owned)
{
    *owned = NULL;
    json_t *checks = json_is_object (data) ? json_object_get (data, "checks") : data;
    if (json_is_array (checks))
        return checks;
    if (json_is_object (checks)) {
        //  A map name -> entry: make an array, naming each entry.
        json_t *list = json_array ();
        const char *name;
        json_t *entry;
        json_object_foreach (checks, name, entry) {
            json_t *copy = json_is_object (entry) ? json_copy (entry) : json_object ();
            if (!json_object_get (copy, "check"))
                json_object_set_new (copy, "check", json_string (name));
            json_array_append_new (list, copy);
        }
        *owned = list;
        return list;
    }
    return NULL;
}

static const char *
s_check_name (json_t *entry)
{
    const char *name = healctl_json_string (entry, "check");
    return name ? name : healctl_json_string (entry, "name");
}

static const char *
s_severity (json_t *entry)
{
    const char *severity = healctl_json_string (entry, "severity");
    return severity ? severity : "pending";
}

int
healctl_status_exit_code (json_t *data)
{
    json_t *owned;
    json_t *checks = s_checks (data, &owned);
    severity_t worst = SEVERITY_OK;
    size_t index;
    json_t *entry;
    json_array_foreach (checks, index, entry) {
        const char *name = healctl_json_string (entry, "severity");
        if (!name)
            continue;           //  not run yet
        int severity = severity_from_name (name);
        if (severity < 0)
            severity = SEVERITY_UNKNOWN;
        if (severity_worse ((severity_t) severity, worst))
            worst = (severity_t) severity;
    }
    json_decref (owned);
    return severity_exit_code (worst);
}

//  Display width of a UTF-8 string: one column per code point (close enough
//  for the names and messages heal prints).
static size_t
s_width (const char *text)
{
    size_t width = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p; p++)
        if ((*p & 0xC0) != 0x80)
            width++;
    return width;
}

//  Print text padded to width columns (or cut to max columns with "…").
static void
s_cell (const char *text, size_t width, size_t max, const char *color,
        const char *reset, bool last)
{
    size_t used = 0;
    fputs (color, stdout);
    const unsigned char *p = (const unsigned char *) text;
    size_t have = s_width (text);
    bool cut = max && have > max;
    while (*p) {
        if ((*p & 0xC0) != 0x80) {
            if (cut && used + 1 >= max)
                break;
            used++;
        }
        putchar (*p++);
    }
    if (cut) {
        fputs ("\xE2\x80\xA6", stdout);
        used++;
    }
    fputs (reset, stdout);
    if (!last)
        for (; used < width + 2; used++)
            putchar (' ');
}

#define S_COLUMNS 8         //  the last one (MESSAGE) is not padded

typedef struct {
    const char *cells [S_COLUMNS];
    char since [32];
    char heals [24];
    char remedy [128];
    char severity [48];
    const char *color;
} s_row_t;

int
healctl_render_status (healctl_t *ctl, const healctl_command_t *cmd, json_t *data)
{
    (void) cmd;
    json_t *owned;
    json_t *checks = s_checks (data, &owned);
    int64_t now = event_now_ms ();
    //  Header: who answered and the last cycle.
    json_t *agent = json_object_get (data, "agent");
    const char *host = healctl_json_string (agent, "host");
    if (!host)
        host = healctl_json_string (data, "host");
    int64_t cycle = healctl_json_int (data, "cycle", -1);
    if (cycle < 0)
        cycle = healctl_json_int (agent, "cycle", -1);
    json_t *degraded = json_object_get (data, "degraded");
    if (agent || host) {          //  status, not the reply of run or heal
        printf ("heal-agent%s%s", host ? " on " : "", host ? host : "");
        if (cycle >= 0)
            printf (", cycle %lld", (long long) cycle);
        if (json_is_boolean (degraded))
            printf (", %s%s%s", json_is_true (degraded) ? healctl_severity_color (ctl, "critical") : "",
                    json_is_true (degraded) ? "DEGRADED" : "healthy",
                    json_is_true (degraded) ? healctl_color_reset (ctl) : "");
        printf ("\n");
    }
    size_t count = json_array_size (checks);
    if (count == 0) {
        printf ("no checks configured\n");
        json_decref (owned);
        return HEALCTL_EXIT_OK;
    }
    static const char *titles [S_COLUMNS] = {
        "CHECK", "KIND", "CRITICAL", "SEVERITY", "SINCE", "REMEDY", "HEALS_7D", "MESSAGE"
    };
    s_row_t *rows = (s_row_t *) zmalloc (count * sizeof (s_row_t));
    size_t widths [S_COLUMNS];
    for (int c = 0; c < S_COLUMNS; c++)
        widths [c] = strlen (titles [c]);
    for (size_t i = 0; i < count; i++) {
        json_t *entry = json_array_get (checks, i);
        s_row_t *row = &rows [i];
        const char *name = s_check_name (entry);
        const char *kind = healctl_json_string (entry, "kind");
        const char *severity = s_severity (entry);
        const char *message = healctl_json_string (entry, "message");
        row->cells [0] = name ? name : "?";
        row->cells [1] = kind ? kind : "-";
        row->cells [2] = json_is_true (json_object_get (entry, "critical")) ? "yes" : "no";
        int64_t muted = healctl_json_int (entry, "muted_until", 0);
        if (muted > now)
            snprintf (row->severity, sizeof row->severity, "%s (muted)", severity);
        else
            snprintf (row->severity, sizeof row->severity, "%s", severity);
        row->cells [3] = row->severity;
        row->color = healctl_severity_color (ctl, severity);
        healctl_relative_time (healctl_json_int (entry, "since", 0), now,
                               row->since, sizeof row->since);
        row->cells [4] = row->since;
        //  remedy: the last result as a string (status) or the event's
        //  remedy map (run); the action comes from the last event.
        json_t *remedy = json_object_get (entry, "remedy");
        json_t *last_remedy = json_object_get (json_object_get (entry, "last"), "remedy");
        const char *result = json_is_string (remedy) ? json_string_value (remedy)
                           : healctl_json_string (remedy, "result");
        const char *action = healctl_json_string (remedy, "action");
        if (!action && result)
            action = healctl_json_string (last_remedy, "action");
        if (result && action)
            snprintf (row->remedy, sizeof row->remedy, "%s %s", action, result);
        else
            snprintf (row->remedy, sizeof row->remedy, "%s", result ? result : "-");
        row->cells [5] = row->remedy;
        //  heals in the last 7 days (status); "-" in a run reply
        int64_t heals = healctl_json_int (entry, "heals_7d", -1);
        if (heals >= 0)
            snprintf (row->heals, sizeof row->heals, "%lld", (long long) heals);
        else
            snprintf (row->heals, sizeof row->heals, "-");
        row->cells [6] = row->heals;
        row->cells [7] = message && *message ? message : "-";
        for (int c = 0; c < S_COLUMNS - 1; c++) {
            size_t w = s_width (row->cells [c]);
            if (w > widths [c])
                widths [c] = w;
        }
    }
    //  On a terminal the message is cut to the width left; piped, it is
    //  bounded only by STATUS_MAX_MESSAGE so scripts see whole lines.
    size_t message_max = STATUS_MAX_MESSAGE;
    struct winsize ws;
    if (isatty (STDOUT_FILENO) && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
    &&  ws.ws_col > 0) {
        size_t used = 0;
        for (int c = 0; c < S_COLUMNS - 1; c++)
            used += widths [c] + 2;
        message_max = ws.ws_col > used + 10 ? ws.ws_col - used : 10;
    }
    for (int c = 0; c < S_COLUMNS; c++)
        s_cell (titles [c], widths [c], 0, "", "", c == S_COLUMNS - 1);
    printf ("\n");
    for (size_t i = 0; i < count; i++) {
        s_row_t *row = &rows [i];
        for (int c = 0; c < S_COLUMNS; c++)
            s_cell (row->cells [c], widths [c], c == S_COLUMNS - 1 ? message_max : 0,
                    c == 3 ? row->color : "", c == 3 ? healctl_color_reset (ctl) : "",
                    c == S_COLUMNS - 1);
        printf ("\n");
    }
    free (rows);
    json_decref (owned);
    return healctl_status_exit_code (data);
}
