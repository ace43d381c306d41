//  test_keydocs — docs/*.md against the key tables (heal/keys.h), so the two
//  cannot disagree. For every key of every table (the config's sections, each
//  check kind's keys and remedy keys) the doc page that describes it must have
//  a table row naming it (`key`, or remedy `key`), and that row must show its
//  default (`value`), its bounds, and "required" when it is. And every row of
//  those key tables must name a key that exists. Run from the source root.

#include "heal/heal.h"
#include "heal/keys.h"
#include "check.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define DOC_MAX (512 * 1024)

//  Where a table is described: doc file, heading that starts its section,
//  what precedes a key's name in its row ("remedy " or ""), and a name prefix
//  for section keys written in full (`bus/publish`).
typedef struct {
    const char *what;               //  for messages
    const heal_key_t *keys;
    const char *file;
    const char *heading;
    const char *row_prefix;
    const char *name_prefix;
} doc_place_t;

//  The section of text under heading, up to the next heading of any level.
//  Caller frees; NULL when heading is absent.
static char *
s_section (const char *text, const char *heading)
{
    const char *at = strstr (text, heading);
    while (at && at != text && at [-1] != '\n')
        at = strstr (at + 1, heading);
    if (!at)
        return NULL;
    const char *body = strchr (at, '\n');
    body = body ? body + 1 : at + strlen (at);
    //  the next "## " or "### " heading (a "# " line may be a comment in a
    //  code block)
    const char *end = body + strlen (body);
    for (const char *p = body; (p = strstr (p, "\n#")); p += 2)
        if (strncmp (p + 1, "## ", 3) == 0 || strncmp (p + 1, "### ", 4) == 0) {
            end = p + 1;
            break;
        }
    if (strncmp (body, "## ", 3) == 0 || strncmp (body, "### ", 4) == 0)
        end = body;
    size_t len = (size_t) (end - at);
    char *out = (char *) malloc (len + 1);
    if (out) {
        memcpy (out, at, len);
        out [len] = 0;
    }
    return out;
}

//  The first cell of a table row (between the first two '|'), into buf.
static bool
s_first_cell (const char *line, size_t len, char *buf, size_t buflen)
{
    if (len < 2 || line [0] != '|')
        return false;
    const char *bar = memchr (line + 1, '|', len - 1);
    if (!bar)
        return false;
    size_t n = (size_t) (bar - line - 1);
    if (n >= buflen)
        n = buflen - 1;
    memcpy (buf, line + 1, n);
    buf [n] = 0;
    return true;
}

//  The row of section whose first cell is ROW_PREFIX`NAME_PREFIXname`, into
//  row (one line). Returns false when there is none.
static bool
s_find_row (const char *section, const doc_place_t *place, const char *name,
            char *row, size_t rowlen)
{
    char want [256];
    snprintf (want, sizeof want, "%s`%s%s`", place->row_prefix, place->name_prefix, name);
    for (const char *line = section; line && *line; ) {
        const char *nl = strchr (line, '\n');
        size_t len = nl ? (size_t) (nl - line) : strlen (line);
        char cell [256];
        if (s_first_cell (line, len, cell, sizeof cell)) {
            //  a cell may list several keys: "`min_size`, `max_size`"
            const char *hit = strstr (cell, want);
            bool remedy_row = strncmp (cell + strspn (cell, " "), "remedy ", 7) == 0;
            if (hit && (*place->row_prefix || !remedy_row)) {
                snprintf (row, rowlen, "%.*s", (int) len, line);
                return true;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return false;
}

//  A duration bound as the docs write it: "100ms", "1h", "30s".
static void
s_duration_text (int64_t ms, char *buf, size_t len)
{
    if (ms % (3600 * 1000) == 0)
        snprintf (buf, len, "%lldh", (long long) (ms / (3600 * 1000)));
    else
    if (ms % (60 * 1000) == 0)
        snprintf (buf, len, "%lldm", (long long) (ms / (60 * 1000)));
    else
    if (ms % 1000 == 0)
        snprintf (buf, len, "%llds", (long long) (ms / 1000));
    else
        snprintf (buf, len, "%lldms", (long long) ms);
}

//  Check one place: every key has its row, default, bounds; every key row of
//  the section names a key.
static void
s_check_place (const doc_place_t *place)
{
    size_t size = 0;
    char *text = heal_read_file (place->file, DOC_MAX, &size);
    CHECKF (text, "%s: cannot read (run from the source root)", place->file);
    if (!text)
        return;
    char *section = s_section (text, place->heading);
    CHECKF (section, "%s: no heading '%s' (for %s)", place->file, place->heading,
            place->what);
    if (!section) {
        free (text);
        return;
    }
    for (const heal_key_t *key = place->keys; key && key->name; key++) {
        char row [2048];
        bool found = s_find_row (section, place, key->name, row, sizeof row);
        CHECKF (found, "%s, '%s': no row for %s`%s%s` (%s)", place->file, place->heading,
                place->row_prefix, place->name_prefix, key->name, place->what);
        if (!found)
            continue;
        if (key->def) {
            char def [512];
            snprintf (def, sizeof def, "`%s`", key->def);
            CHECKF (strstr (row, def), "%s: %s `%s`: default %s not in its row: %s",
                    place->file, place->what, key->name, def, row);
        }
        if (key->flags & HEAL_KEY_REQUIRED)
            CHECKF (strstr (row, "required"), "%s: %s `%s` is required; its row does "
                    "not say so: %s", place->file, place->what, key->name, row);
        char bound [64];
        if (key->type == HEAL_KEY_INT && key->max) {
            snprintf (bound, sizeof bound, "%lld", (long long) key->max);
            CHECKF (strstr (row, bound), "%s: %s `%s`: bound %s not in its row: %s",
                    place->file, place->what, key->name, bound, row);
            snprintf (bound, sizeof bound, "%lld", (long long) key->min);
            CHECKF (strstr (row, bound), "%s: %s `%s`: bound %s not in its row: %s",
                    place->file, place->what, key->name, bound, row);
        }
        if (key->type == HEAL_KEY_DURATION && key->min) {
            s_duration_text (key->min, bound, sizeof bound);
            CHECKF (strstr (row, bound), "%s: %s `%s`: minimum %s not in its row: %s",
                    place->file, place->what, key->name, bound, row);
        }
        if (key->type == HEAL_KEY_DURATION && key->max) {
            s_duration_text (key->max, bound, sizeof bound);
            CHECKF (strstr (row, bound), "%s: %s `%s`: maximum %s not in its row: %s",
                    place->file, place->what, key->name, bound, row);
        }
        if (key->type == HEAL_KEY_LIST && key->max) {
            snprintf (bound, sizeof bound, "at most %lld", (long long) key->max);
            CHECKF (strstr (row, bound), "%s: %s `%s`: '%s' not in its row: %s",
                    place->file, place->what, key->name, bound, row);
        }
    }
    free (section);
    free (text);
}

//  Every row of the first table in section that names a `key` in its first
//  cell must name one of the keys of the tables described there.
static void
s_check_rows (const char *file, const char *heading, const char *row_prefix,
              const char *name_prefix, const heal_key_t *const *tables)
{
    size_t size = 0;
    char *text = heal_read_file (file, DOC_MAX, &size);
    char *section = text ? s_section (text, heading) : NULL;
    bool in_table = false;
    for (const char *line = section; line && *line; ) {
        const char *nl = strchr (line, '\n');
        size_t len = nl ? (size_t) (nl - line) : strlen (line);
        char cell [256];
        if (in_table && line [0] != '|')
            break;              //  the first table ended
        in_table = line [0] == '|';
        if (s_first_cell (line, len, cell, sizeof cell)) {
            const char *p = cell + strspn (cell, " ");
            if (*row_prefix && strncmp (p, row_prefix, strlen (row_prefix)) == 0)
                p += strlen (row_prefix);
            else
            if (*row_prefix)
                p = "";         //  not a row of this prefix
            if (*p == '`' && strncmp (p + 1, name_prefix, strlen (name_prefix)) == 0) {
                char name [128];
                p += 1 + strlen (name_prefix);
                size_t n = strcspn (p, "`");
                snprintf (name, sizeof name, "%.*s", (int) n, p);
                bool known = false;
                for (size_t t = 0; tables [t]; t++)
                    known = known || heal_keys_find (tables [t], name);
                CHECKF (known, "%s, '%s': row for `%s`, which no table has", file,
                        heading, name);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    free (section);
    free (text);
}

//  The doc page and heading of each kind.
typedef struct {
    const char *kind;
    const char *file;
    const char *heading;
    const char *remedy_heading;     //  NULL: remedy rows under heading, "remedy `x`"
} kind_doc_t;

static const kind_doc_t s_kind_docs [] = {
    { "disk",    "docs/config.md",      "### `disk`",              NULL },
    { "file",    "docs/config.md",      "### `file`",              NULL },
    { "command", "docs/config.md",      "### `command`",           NULL },
    { "http",    "docs/config.md",      "### `http`",              NULL },
    { "tcp",     "docs/config.md",      "### `tcp`",               NULL },
    { "process", "docs/process.md",     "## Keys",                 "## Remedy" },
    { "log",     "docs/logs.md",        "## Keys",                 NULL },
    { "ollama",  "docs/ollama.md",      "## Keys",                 NULL },
    { "launchd", "docs/supervisors.md", "## The `launchd` check",  NULL },
    { "systemd", "docs/supervisors.md", "## The `systemd` check",  NULL },
    { NULL, NULL, NULL, NULL }
};

int
main (void)
{
    //  The config's sections
    const heal_config_section_t *sections = heal_config_sections ();
    for (size_t i = 0; sections [i].name; i++) {
        const char *name = sections [i].name;
        doc_place_t place = { name, sections [i].keys, "docs/config.md", NULL, "", "" };
        if (streq (name, "agent"))
            place.heading = "### `agent`";
        else
        if (streq (name, "bus")) {
            place.heading = "### `bus` and `control`";
            place.name_prefix = "bus/";
        }
        else
        if (streq (name, "control")) {
            place.heading = "### `bus` and `control`";
            place.name_prefix = "control/";
        }
        else
        if (streq (name, "security"))
            place.heading = "### `security` (alias `curve`)";
        else
        if (streq (name, "diagnoser")) {
            place.file = "docs/diagnoser.md";
            place.heading = "## Config keys (`diagnoser` section)";
        }
        else
        if (streq (name, "check"))
            place.heading = "## Checks";
        else
        if (streq (name, "remedy"))
            place.heading = "### The `remedy` block";
        CHECKF (place.heading, "section %s: no doc place", name);
        if (!place.heading)
            continue;
        s_check_place (&place);
        const heal_key_t *tables [] = { sections [i].keys, NULL };
        if (!streq (name, "bus") && !streq (name, "control"))
            s_check_rows (place.file, place.heading, "", "", tables);
    }

    //  Each kind
    const check_kind_t *const *kinds = check_kinds ();
    for (size_t i = 0; kinds [i]; i++) {
        const kind_doc_t *doc = NULL;
        for (size_t d = 0; s_kind_docs [d].kind; d++)
            if (streq (s_kind_docs [d].kind, kinds [i]->name))
                doc = &s_kind_docs [d];
        CHECKF (doc, "kind %s: no doc place in test_keydocs.c", kinds [i]->name);
        if (!doc)
            continue;
        doc_place_t place = { kinds [i]->name, kinds [i]->keys, doc->file, doc->heading,
                              "", "" };
        s_check_place (&place);
        if (kinds [i]->remedy_keys) {
            doc_place_t remedy = { kinds [i]->name, kinds [i]->remedy_keys, doc->file,
                                   doc->remedy_heading ? doc->remedy_heading : doc->heading,
                                   doc->remedy_heading ? "" : "remedy ", "" };
            s_check_place (&remedy);
        }
        //  a kind's page may list the keys every check has (timeout...)
        const heal_key_t *keys [] = { kinds [i]->keys, heal_config_check_keys, NULL };
        const heal_key_t *remedy_keys [] = { kinds [i]->remedy_keys, NULL };
        //  pages with other tables (findings, outcomes) are checked where the
        //  key table is: the first row names a key
        s_check_rows (doc->file, doc->heading, "", "", keys);
        if (kinds [i]->remedy_keys && !doc->remedy_heading)
            s_check_rows (doc->file, doc->heading, "remedy ", "", remedy_keys);
    }

    printf ("test_keydocs: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed ? 1 : 0;
}
