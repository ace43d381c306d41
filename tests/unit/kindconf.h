//  kindconf.h — the config text of one check `t` of a kind, for unit tests
//  that configure a kind directly. keys and remedy are "a = b;c = d" lists
//  (remedy NULL: no remedy block); head adds indented lines after `kind`.

#ifndef HEAL_TEST_KINDCONF_H_INCLUDED
#define HEAL_TEST_KINDCONF_H_INCLUDED

#include <stdio.h>
#include <string.h>

//  Each item of list ("a;b") as a line after indent, appended at text + *off.
static inline void
kindconf_lines (char *text, size_t size, int *off, const char *indent, const char *list)
{
    for (const char *p = list; p && *p; ) {
        size_t len = strcspn (p, ";");
        if (*off >= 0 && (size_t) *off < size)
            *off += snprintf (text + *off, size - (size_t) *off, "%s%.*s\n", indent,
                              (int) len, p);
        p += len + (p [len] == ';');
    }
}

static inline void
kindconf_text (char *text, size_t size, const char *state_parent, const char *kind,
               const char *head, const char *keys, const char *remedy)
{
    int off = snprintf (text, size,
        "agent\n    state_dir = \"%s/state\"\n    path = \"/usr/bin:/bin\"\n"
        "check = t\n    kind = %s\n%s", state_parent, kind, head ? head : "");
    kindconf_lines (text, size, &off, "    ", keys);
    if (remedy && off >= 0 && (size_t) off < size) {
        off += snprintf (text + off, size - (size_t) off, "    remedy\n");
        kindconf_lines (text, size, &off, "        ", remedy);
    }
}

#endif
