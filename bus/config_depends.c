//  config_depends — the `depends` key of checks: every name a configured
//  check other than itself, given once, and no cycle in the graph (the
//  error names it: `a -> b -> a`). See heal_config_depends_check in
//  heal/config.h.

#include "heal/config.h"
#include "heal/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  depends: every name a configured check other than itself, and no cycle
//  (named in the error: `a -> b -> a`). Fills depends_index. 0 or -1 with err.
int
heal_config_depends_check (heal_config_t *self, char *err, size_t errlen)
{
    size_t n = self->check_count;
    for (size_t i = 0; i < n; i++) {
        heal_check_config_t *check = &self->checks [i];
        if (!check->depends.count)
            continue;
        check->depends_index = (size_t *) calloc (check->depends.count, sizeof (size_t));
        if (!check->depends_index) {
            heal_config_error (err, errlen, self->file, NULL, NULL, "out of memory");
            return -1;
        }
        for (size_t d = 0; d < check->depends.count; d++) {
            const char *name = check->depends.items [d];
            const heal_check_config_t *dep = heal_config_check (self, name);
            char *shown = heal_safe_string (name, strlen (name), HEAL_KEYS_MAX_SHOWN);
            if (!dep || dep == check) {
                heal_config_error (err, errlen, self->file, check->name, "depends",
                         dep ? "'%s': a check cannot depend on itself"
                             : "'%s': no check has this name", shown ? shown : "");
                free (shown);
                return -1;
            }
            free (shown);
            for (size_t e = 0; e < d; e++)
                if (streq (check->depends.items [e], name)) {
                    heal_config_error (err, errlen, self->file, check->name, "depends",
                                       "'%s' given twice", name);
                    return -1;
                }
            check->depends_index [d] = (size_t) (dep - self->checks);
        }
    }
    //  Cycles: depth-first, 0 = new, 1 = on the path, 2 = done.
    unsigned char *color = (unsigned char *) calloc (n ? n : 1, 1);
    size_t *path = (size_t *) calloc (n ? n : 1, sizeof (size_t));
    size_t *next = (size_t *) calloc (n ? n : 1, sizeof (size_t));
    if (!color || !path || !next) {
        free (color);
        free (path);
        free (next);
        heal_config_error (err, errlen, self->file, NULL, NULL, "out of memory");
        return -1;
    }
    int rc = 0;
    for (size_t root = 0; root < n && rc == 0; root++) {
        if (color [root])
            continue;
        size_t depth = 0;
        path [depth++] = root;
        color [root] = 1;
        next [root] = 0;
        while (depth && rc == 0) {
            size_t at = path [depth - 1];
            const heal_check_config_t *check = &self->checks [at];
            if (next [at] == check->depends.count) {
                color [at] = 2;
                depth--;
                continue;
            }
            size_t to = check->depends_index [next [at]++];
            if (color [to] == 2)
                continue;
            if (color [to] == 1) {
                //  to is on the path: the cycle is from there to here, then to
                char cycle [CONFIG_ERROR_MAX / 2] = "";
                size_t from = 0;
                while (path [from] != to)
                    from++;
                for (size_t k = from; k < depth; k++) {
                    size_t used = strlen (cycle);
                    snprintf (cycle + used, sizeof cycle - used, "%s -> ",
                              self->checks [path [k]].name);
                }
                size_t used = strlen (cycle);
                snprintf (cycle + used, sizeof cycle - used, "%s", self->checks [to].name);
                heal_config_error (err, errlen, self->file, self->checks [to].name,
                                   "depends", "dependency cycle: %s", cycle);
                rc = -1;
                break;
            }
            color [to] = 1;
            next [to] = 0;
            path [depth++] = to;
        }
    }
    free (color);
    free (path);
    free (next);
    return rc;
}

