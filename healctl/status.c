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

#define STATUS_MAX_MESSAGE  200      //  message column, characters, at no width
#define STATUS_MIN_MESSAGE  30       //  the message's start kept beside the row
#define STATUS_MIN_REMEDY   12       //  REMEDY is shortened to this before dropped
#define STATUS_BELOW_INDENT 4        //  a message on its own line is indented so
#define STATUS_MAX_LINES    4        //  a message wraps onto this many lines at most

//  The columns: MESSAGE is the last; the ones that give way when the width is
//  short are named in s_give_way, by title, in the order they go.
#define S_COLUMNS  8
#define S_MESSAGE  (S_COLUMNS - 1)
#define S_SEVERITY 3

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

//  The state in words that agree with the exit code (the worst severity):
//  "all ok", "WARNING: 1 optional check failing", "DEGRADED: 2 critical checks
//  failing", "UNKNOWN: 1 check could not run". Returns the severity name
//  for the colour.
static const char *
s_state_words (json_t *checks, char *buf, size_t len)
{
    size_t counts [SEVERITY_COUNT] = { 0 };
    size_t index;
    json_t *entry;
    json_array_foreach (checks, index, entry) {
        const char *name = healctl_json_string (entry, "severity");
        int severity = name ? severity_from_name (name) : -1;
        if (name && severity < 0)
            severity = SEVERITY_UNKNOWN;
        if (severity >= 0)
            counts [severity]++;
    }
    int code = healctl_status_exit_code (checks);
    if (code == severity_exit_code (SEVERITY_CRITICAL)) {
        size_t n = counts [SEVERITY_CRITICAL];
        snprintf (buf, len, "DEGRADED: %zu critical check%s failing", n, n == 1 ? "" : "s");
        return "critical";
    }
    if (code == severity_exit_code (SEVERITY_UNKNOWN)) {
        size_t n = counts [SEVERITY_UNKNOWN];
        snprintf (buf, len, "UNKNOWN: %zu check%s could not run", n, n == 1 ? "" : "s");
        return "unknown";
    }
    if (code == severity_exit_code (SEVERITY_WARNING)) {
        size_t n = counts [SEVERITY_WARNING];
        snprintf (buf, len, "WARNING: %zu optional check%s failing", n, n == 1 ? "" : "s");
        return "warning";
    }
    if (counts [SEVERITY_HEALED])
        snprintf (buf, len, "all ok (%zu healed)", counts [SEVERITY_HEALED]);
    else
        snprintf (buf, len, "all ok");
    return "ok";
}

//  Columns taken by the shown columns but the message, gaps included.
static size_t
s_fixed_width (const size_t *widths, const bool *shown)
{
    size_t used = 0;
    for (int c = 0; c < S_MESSAGE; c++)
        if (shown [c])
            used += widths [c] + 2;
    return used;
}

size_t
healctl_terminal_width (void)
{
    struct winsize ws;
    if (isatty (STDOUT_FILENO) && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
    &&  ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv ("COLUMNS");
    if (env && *env && strspn (env, "0123456789") == strlen (env) && strlen (env) <= 4) {
        size_t value = 0;
        for (const char *p = env; *p; p++)
            value = value * 10 + (size_t) (*p - '0');
        if (value >= 20)
            return value;
    }
    return 0;
}

//  The index of the column titled title, or -1.
static int
s_column (const char *const *titles, const char *title)
{
    for (int c = 0; c < S_COLUMNS; c++)
        if (streq (titles [c], title))
            return c;
    return -1;
}

//  Print a message in a column max wide, wrapped at spaces onto lines
//  indented by indent, at most STATUS_MAX_LINES of them (then cut with "…"):
//  the whole message, not its first words only.
static void
s_wrap (const char *text, size_t max, size_t indent)
{
    const unsigned char *p = (const unsigned char *) text;
    for (int line = 0; *p; line++) {
        if (line)
            printf ("\n%*s", (int) indent, "");
        //  the bytes of up to max code points, and the last space among them
        size_t points = 0;
        const unsigned char *end = p, *space = NULL;
        while (*end && points < max) {
            if (*end == ' ')
                space = end;
            end++;
            while ((*end & 0xC0) == 0x80)
                end++;
            points++;
        }
        bool more = *end != 0;
        if (more && line == STATUS_MAX_LINES - 1) {
            //  the last line allowed: cut, with the ellipsis in the last column
            const unsigned char *q = p;
            for (size_t n = 0; n + 1 < max && q < end; n++) {
                q++;
                while ((*q & 0xC0) == 0x80)
                    q++;
            }
            fwrite (p, 1, (size_t) (q - p), stdout);
            fputs ("\xE2\x80\xA6", stdout);
            return;
        }
        if (more && *end != ' ' && space && space > p)
            end = space;            //  break at the last space
        fwrite (p, 1, (size_t) (end - p), stdout);
        p = end;
        while (*p == ' ')
            p++;
    }
}

typedef struct {
    const char *cells [S_COLUMNS];
    char since [32];
    char heals [24];
    char remedy [128];
    char severity [128];            //  "blocked by NAME (muted)"
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
    if (agent || host) {          //  status, not the reply of run or heal
        char who [160], state [96];
        int n = snprintf (who, sizeof who, "heal-agent%s%.64s", host ? " on " : "",
                          host ? host : "");
        if (cycle >= 0 && n > 0 && (size_t) n < sizeof who)
            snprintf (who + n, sizeof who - (size_t) n, ", cycle %lld", (long long) cycle);
        const char *color = s_state_words (checks, state, sizeof state);
        //  The state on a line of its own when both do not fit the width.
        size_t columns = healctl_terminal_width ();
        bool split = columns && strlen (who) + 2 + strlen (state) > columns;
        printf ("%s%s%s%s%s\n", who, split ? "\n" : ", ",
                healctl_severity_color (ctl, color), state, healctl_color_reset (ctl));
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
        //  blocked: by which dependency (status entry, or the run's event)
        const char *blocked_by = healctl_json_string (entry, "blocked_by");
        if (!blocked_by)
            blocked_by = healctl_json_string (json_object_get (entry, "last"), "blocked_by");
        char shown [48 + 64 + 1];
        if (blocked_by && streq (severity, "blocked"))
            snprintf (shown, sizeof shown, "blocked by %.64s", blocked_by);
        else
            snprintf (shown, sizeof shown, "%s", severity);
        if (muted > now)
            snprintf (row->severity, sizeof row->severity, "%s (muted)", shown);
        else
            snprintf (row->severity, sizeof row->severity, "%s", shown);
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
        if (result && action && !streq (action, "remedy"))   //  not "remedy skipped"
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
        row->cells [S_MESSAGE] = message && *message ? message : "-";
        for (int c = 0; c < S_MESSAGE; c++) {
            size_t w = s_width (row->cells [c]);
            if (w > widths [c])
                widths [c] = w;
        }
    }
    //  Fit the width: shorten, then drop, the columns right of SEVERITY
    //  (give_way below) until the message has room for its
    //  start; if it still has not, it goes on a line of its own below.
    bool shown [S_COLUMNS];
    for (int c = 0; c < S_COLUMNS; c++)
        shown [c] = true;
    size_t columns = healctl_terminal_width ();
    size_t message_max = STATUS_MAX_MESSAGE;
    bool message_below = false;
    if (columns) {
        size_t longest = 0;
        for (size_t i = 0; i < count; i++) {
            size_t w = s_width (rows [i].cells [S_MESSAGE]);
            if (w > longest)
                longest = w;
        }
        size_t want = longest < STATUS_MIN_MESSAGE ? longest : STATUS_MIN_MESSAGE;
        if (want < strlen (titles [S_MESSAGE]))
            want = strlen (titles [S_MESSAGE]);
        //  REMEDY is shortened first, then the columns go in this order.
        static const char *give_way [] = { "REMEDY", "HEALS_7D", "SINCE", "CRITICAL",
                                           "KIND", NULL };
        int remedy = s_column (titles, "REMEDY");
        size_t step = 0;
        while (s_fixed_width (widths, shown) + want > columns) {
            if (remedy >= 0 && shown [remedy] && widths [remedy] > STATUS_MIN_REMEDY) {
                widths [remedy] = STATUS_MIN_REMEDY;
                continue;
            }
            if (!give_way [step])
                break;
            int c = s_column (titles, give_way [step++]);
            if (c >= 0)
                shown [c] = false;
        }
        size_t fixed = s_fixed_width (widths, shown);
        if (fixed + want > columns) {
            message_below = true;
            message_max = columns > STATUS_BELOW_INDENT + 10
                        ? columns - STATUS_BELOW_INDENT : 10;
        }
        else
            message_max = columns - fixed;
    }
    int last_title = S_MESSAGE;
    for (int c = 0; c < S_MESSAGE; c++)
        if (shown [c] && message_below)
            last_title = c;
    for (int c = 0; c <= last_title; c++)
        if (shown [c])
            s_cell (titles [c], widths [c], 0, "", "", c == last_title);
    printf ("\n");
    for (size_t i = 0; i < count; i++) {
        s_row_t *row = &rows [i];
        int last = -1;
        for (int c = 0; c < S_MESSAGE; c++)
            if (shown [c])
                last = c;
        for (int c = 0; c < S_MESSAGE; c++)
            if (shown [c])
                s_cell (row->cells [c], widths [c], widths [c],
                        c == S_SEVERITY ? row->color : "",
                        c == S_SEVERITY ? healctl_color_reset (ctl) : "",
                        message_below && c == last);
        size_t indent = message_below ? STATUS_BELOW_INDENT : s_fixed_width (widths, shown);
        if (message_below)
            printf ("\n%*s", STATUS_BELOW_INDENT, "");
        if (columns)
            s_wrap (row->cells [S_MESSAGE], message_max, indent);
        else
            s_cell (row->cells [S_MESSAGE], 0, message_max, "", "", true);
        printf ("\n");
    }
    free (rows);
    json_decref (owned);
    return healctl_status_exit_code (data);
}
