//  gen_man_conf — heal.conf(5) from its template and the typed key tables
//  (heal/keys.h): every section's keys, the keys of every check, the
//  remedy budget, and each check kind's own keys and remedy keys, so the man
//  page cannot drift from what the config parser accepts.
//
//  gen_man_conf TEMPLATE > heal.conf.5
//
//  The template (docs/heal.conf.5.in) is troff; its line `.\" @KEYS@` is
//  replaced by the generated sections, `@VERSION@` by heal's version.

#include "heal/heal.h"
#include "heal/keys.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

#define MAN_MAX_TEMPLATE (256 * 1024)

//  text, with troff's escape character and line-start controls made literal.
static void
s_text (const char *text)
{
    if (text [0] == '.' || text [0] == '\'')
        fputs ("\\&", stdout);
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            fputs ("\\e", stdout);
        else
        if (*p == '-')
            fputs ("\\-", stdout);
        else
            putchar (*p);
    }
}

static void
s_duration (int64_t ms)
{
    if (ms % (3600 * 1000) == 0)
        printf ("%lldh", (long long) (ms / (3600 * 1000)));
    else
    if (ms % (60 * 1000) == 0)
        printf ("%lldm", (long long) (ms / (60 * 1000)));
    else
    if (ms % 1000 == 0)
        printf ("%llds", (long long) (ms / 1000));
    else
        printf ("%lldms", (long long) ms);
}

//  One key as a .TP paragraph: name, type, required/default/bounds, help.
static void
s_key (const heal_key_t *key, const char *prefix)
{
    printf (".TP\n.B %s", prefix);
    s_text (key->name);
    printf ("\n(%s", heal_key_type_name (key->type));
    if (key->type == HEAL_KEY_ENUM && key->words) {
        printf (":");
        for (const heal_key_word_t *w = key->words; w->word; w++) {
            printf (" ");
            s_text (w->word);
        }
    }
    if (key->flags & HEAL_KEY_REQUIRED)
        printf (", required");
    if (key->def) {
        printf (", default ");
        s_text (key->def);
    }
    if (key->type == HEAL_KEY_INT && (key->min || key->max))
        printf (", %lld to %lld", (long long) key->min,
                (long long) (key->max ? key->max : 2147483647));
    if (key->type == HEAL_KEY_DURATION && key->min) {
        printf (", at least ");
        s_duration (key->min);
    }
    if (key->type == HEAL_KEY_DURATION && key->max) {
        printf (", at most ");
        s_duration (key->max);
    }
    if (key->type == HEAL_KEY_DURATION && (key->flags & HEAL_KEY_ZERO))
        printf (", 0 allowed");
    printf (")\n");
    if (key->help && *key->help) {
        s_text (key->help);
        printf ("\n");
    }
}

static void
s_table (const heal_key_t *table, const char *prefix)
{
    for (const heal_key_t *key = table; key && key->name; key++)
        s_key (key, prefix);
}

static void
s_keys (void)
{
    const heal_config_section_t *sections = heal_config_sections ();
    printf (".SH SECTIONS\n");
    for (size_t i = 0; sections [i].name; i++) {
        const char *name = sections [i].name;
        if (streq (name, "check"))
            printf (".SS check = NAME (every kind)\n"
                    "One block per check; NAME is unique, [A\\-Za\\-z0\\-9_\\-]{1,64}.\n");
        else
        if (streq (name, "remedy"))
            printf (".SS remedy (inside a check; every kind)\n"
                    "The remediation budget. Each kind adds its own remedy keys below.\n");
        else
            printf (".SS %s\n", name);
        s_table (sections [i].keys, "");
    }
    printf (".SH CHECK KINDS\n"
            "Each kind's own keys, besides the keys of every check; then the\n"
            "keys of its remedy block, besides the budget.\n");
    const check_kind_t *const *kinds = check_kinds ();
    for (size_t i = 0; kinds [i]; i++) {
        printf (".SS kind = %s\n", kinds [i]->name);
        s_table (kinds [i]->keys, "");
        if (kinds [i]->remedy_keys && kinds [i]->remedy_keys [0].name)
            s_table (kinds [i]->remedy_keys, "remedy/");
        else
            printf (".PP\nNo remedy keys of its own%s.\n",
                    check_has_remedy (kinds [i]) ? " (its remedy is built in)" : "");
    }
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: gen_man_conf TEMPLATE\n");
        return 64;
    }
    size_t size = 0;
    char *text = heal_read_file (argv [1], MAN_MAX_TEMPLATE, &size);
    if (!text) {
        fprintf (stderr, "gen_man_conf: cannot read %s\n", argv [1]);
        return 66;
    }
    bool placed = false;
    for (char *line = text; line && *line; ) {
        char *nl = strchr (line, '\n');
        if (nl)
            *nl = 0;
        if (streq (line, ".\\\" @KEYS@")) {
            s_keys ();
            placed = true;
        }
        else {
            for (char *p = line; *p; ) {
                char *at = strstr (p, "@VERSION@");
                if (!at) {
                    fputs (p, stdout);
                    break;
                }
                fwrite (p, 1, (size_t) (at - p), stdout);
                fputs (HEAL_VERSION, stdout);
                p = at + 9;
            }
            printf ("\n");
        }
        line = nl ? nl + 1 : NULL;
    }
    free (text);
    if (!placed) {
        fprintf (stderr, "gen_man_conf: %s has no .\\\" @KEYS@ line\n", argv [1]);
        return 65;
    }
    return fflush (stdout) == 0 ? 0 : 74;
}
