//  standin.h — a check kind driven against a stand-in tool (tests/tools/
//  fake-launchctl, fake-systemctl): a temp dir whose bin/ holds the stand-in
//  under the real tool's name, first on the config's PATH. The stand-in reads
//  its state from bin/TOOL.json and appends each call (a JSON argv) to
//  bin/TOOL.calls. Include after unit.h; run from the source root.
//
//      standin_t e;
//      standin_init (&e, "systemctl")              temp dir + bin/systemctl
//      ... write files into e.dir if the config names them ...
//      standin_configure (&e, "systemd", "unit", "    unit = \"x.service\"\n")
//      standin_run (&e, msg, sizeof msg), standin_remedy (&e, action, sizeof action)
//      standin_calls (&e)                          "verb arg | verb arg" (free it)
//      standin_teardown (&e, extra_names)          removes what it made

#ifndef HEAL_TEST_STANDIN_H_INCLUDED
#define HEAL_TEST_STANDIN_H_INCLUDED

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"

typedef struct {
    char dir [64];              //  temp dir
    char bin [128];             //  dir/bin, first on PATH
    char tool [32];             //  the stand-in's name there
    const char *kind;
    const char *check;          //  the check's name
    heal_config_t *config;
    void *instance;
} standin_t;

//  Make the temp dir and bin/TOOL -> tests/tools/fake-TOOL. 0, or -1.
static inline int
standin_init (standin_t *e, const char *tool)
{
    //  Formatted on the stack first: GCC at -O1 with UBSan sees a NULL path
    //  into e->dir that is not there (-Wformat-truncation).
    char name [sizeof e->dir];
    snprintf (name, sizeof name, "/tmp/heal-%.16s-XXXXXX", tool);
    memset (e, 0, sizeof (*e));
    memcpy (e->dir, name, sizeof e->dir);
    snprintf (e->tool, sizeof e->tool, "%s", tool);
    if (!mkdtemp (e->dir))
        return -1;
    snprintf (e->bin, sizeof e->bin, "%s/bin", e->dir);
    CHECK (mkdir (e->bin, 0700) == 0);
    char cwd [PATH_MAX], src [PATH_MAX + 64], dst [PATH_MAX + 32];
    CHECK (getcwd (cwd, sizeof cwd) != NULL);
    snprintf (src, sizeof src, "%s/tests/tools/fake-%s", cwd, tool);
    snprintf (dst, sizeof dst, "%s/%s", e->bin, tool);
    CHECK (symlink (src, dst) == 0);
    return 0;
}

//  Load a config with one check NAME of KIND (keys: its indented lines) and
//  configure the kind's instance. 0, or -1 with the reason on stderr.
static inline int
standin_configure (standin_t *e, const char *kind, const char *name, const char *keys)
{
    e->kind = kind;
    e->check = name;
    char text [4096];
    snprintf (text, sizeof text,
              "agent\n    state_dir = \"%s/state\"\n    path = \"%s:/usr/bin:/bin\"\n"
              "check = %s\n    kind = %s\n%s", e->dir, e->bin, name, kind, keys);
    char err [CONFIG_ERROR_MAX];
    e->config = heal_config_load_text (text, "test.conf", err, sizeof err);
    if (!e->config) {
        fprintf (stderr, "standin %s: config: %s\n", kind, err);
        return -1;
    }
    const heal_check_config_t *check = heal_config_check (e->config, name);
    e->instance = check? check_configure (check_kind_find (kind), e->config, check,
                                          err, sizeof err): NULL;
    if (!e->instance) {
        fprintf (stderr, "standin %s: configure: %s\n", kind, err);
        return -1;
    }
    return 0;
}

//  Destroy the instance and the config; remove what init made, the
//  stand-in's files, and the NULL-terminated extra names (relative to dir).
static inline void
standin_teardown (standin_t *e, const char *const *extra)
{
    if (e->instance)
        check_destroy (check_kind_find (e->kind), &e->instance);
    heal_config_destroy (&e->config);
    char path [PATH_MAX + 64];
    const char *suffixes [] = { "", ".json", ".calls", ".json.tmp", NULL };
    for (size_t i = 0; suffixes [i]; i++) {
        snprintf (path, sizeof path, "%s/%s%s", e->bin, e->tool, suffixes [i]);
        unlink (path);
    }
    for (size_t i = 0; extra && extra [i]; i++) {
        snprintf (path, sizeof path, "%s/%s", e->dir, extra [i]);
        unlink (path);
    }
    rmdir (e->bin);
    snprintf (path, sizeof path, "%s/state", e->dir);
    rmdir (path);                 //  if the config loader made it
    rmdir (e->dir);
}

static inline check_ctx_t
standin_ctx (standin_t *e)
{
    check_ctx_t ctx = { .name = e->check, .config = e->config,
                        .check = heal_config_check (e->config, e->check),
                        .deadline_ms = heal_monotonic_ms () + 20000 };
    return ctx;
}

//  One run; returns the status, the message copied into msg.
static inline check_status_t
standin_run (standin_t *e, char *msg, size_t len)
{
    check_ctx_t ctx = standin_ctx (e);
    check_result_t result = { .event = event_new (EVENT_CHECK) };
    check_status_t status = check_kind_find (e->kind)->run (e->instance, &ctx, &result);
    snprintf (msg, len, "%s", result.event && result.event->message? result.event->message: "");
    event_destroy (&result.event);
    return status;
}

//  One remediation; returns its status, the action copied into action.
static inline remedy_status_t
standin_remedy (standin_t *e, char *action, size_t len)
{
    check_ctx_t ctx = standin_ctx (e);
    check_result_t result = { .event = NULL };
    event_remedy_t out;
    memset (&out, 0, sizeof out);
    remedy_status_t status = check_remedy (check_kind_find (e->kind), e->instance, &ctx,
                                           &result, &out);
    snprintf (action, len, "%s", out.action? out.action: "");
    free (out.action);
    free (out.output);
    free (out.result);
    return status;
}

//  Write the stand-in's state and forget the calls so far. Takes state.
static inline void
standin_state (standin_t *e, json_t *state)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%s.json", e->bin, e->tool);
    CHECK (json_dump_file (state, path, JSON_INDENT (1)) == 0);
    json_decref (state);
    snprintf (path, sizeof path, "%s/%s.calls", e->bin, e->tool);
    unlink (path);
}

//  The calls the stand-in received, as "verb arg arg | verb arg" (caller frees).
static inline char *
standin_calls (standin_t *e)
{
    char path [PATH_MAX + 64];
    snprintf (path, sizeof path, "%s/%s.calls", e->bin, e->tool);
    FILE *f = fopen (path, "r");
    char *out = (char *) calloc (1, 8192);
    if (!f || !out) {
        if (f)
            fclose (f);
        return out;
    }
    char line [1024];
    while (fgets (line, sizeof line, f)) {
        json_t *argv = json_loads (line, 0, NULL);
        size_t i;
        json_t *arg;
        if (out [0])
            strncat (out, " | ", 8191 - strlen (out));
        json_array_foreach (argv, i, arg) {
            if (i)
                strncat (out, " ", 8191 - strlen (out));
            strncat (out, json_string_value (arg), 8191 - strlen (out));
        }
        json_decref (argv);
    }
    fclose (f);
    return out;
}

#endif
