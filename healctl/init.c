//  healctl init — a starter config for this machine.
//
//  Detects what runs here (the Ollama server and its models, redis,
//  postgres, a cloudflared tunnel, the user's systemd user units or
//  LaunchAgents, the disks) and writes one check per thing found, each from
//  a template of docs/templates/ (compiled in: $(BUILD)/gen/init_templates.h,
//  mk/init.mk). A template is ZPL with @NAME@ placeholders; a line starting
//  @IF_X@ is kept only when X has a value, @NO_X@ only when it has none.
//  The file is never overwritten, is written 0600, and must pass the same
//  validation as heal-agent -n before it takes its name.

#include "healctl.h"
#include "agent.h"              //  agent_validate
#include "platform.h"           //  the agent's process listing (agent/platform.h)
#include "init_platform.h"
#include "heal/keys.h"
#include "heal/ollama.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INIT_EXIT_EXISTS      73        //  EX_CANTCREAT: the file is already there
#define INIT_MAX_CONFIG       (256 * 1024)  //  bytes of config written at most
#define INIT_MAX_VARS         12        //  placeholders filled per template
#define INIT_MAX_VALUE        1024      //  bytes of one placeholder's value
#define INIT_MAX_MODELS       8         //  Ollama models listed in the check
#define INIT_OLLAMA_TIMEOUT_MS 1500     //  is Ollama there?
#define INIT_MAX_CHECKS       64        //  checks written at most
#define INIT_NAME_MAX         EVENT_MAX_NAME

typedef struct {
    const char *name;
    const char *text;
} init_template_t;

#include "init_templates.h"             //  s_templates [], generated

typedef struct {
    const char *key;
    char value [INIT_MAX_VALUE];
} s_var_t;

typedef struct {
    heal_strbuf_t out;
    char names [INIT_MAX_CHECKS][INIT_NAME_MAX + 1];
    size_t name_count;
    size_t found;               //  checks written
} s_init_t;

static const char *
s_template (const char *name)
{
    for (size_t i = 0; s_templates [i].name; i++)
        if (streq (s_templates [i].name, name))
            return s_templates [i].text;
    return NULL;
}

//  May value go inside a quoted ZPL value? (no quotes, no control characters)
static bool
s_value_ok (const char *value)
{
    for (const unsigned char *p = (const unsigned char *) value; *p; p++)
        if (*p < 0x20 || *p == '"' || *p == 0x7F)
            return false;
    return strlen (value) < INIT_MAX_VALUE;
}

//  Render template name with vars into self->out.
static void
s_render (s_init_t *self, const char *name, const s_var_t *vars, size_t count)
{
    const char *text = s_template (name);
    if (!text)
        return;
    for (const char *line = text; *line; ) {
        const char *nl = strchr (line, '\n');
        size_t len = nl ? (size_t) (nl - line) + 1 : strlen (line);
        const char *p = line;
        const char *end = line + len;
        bool keep = true;
        //  @IF_X@ / @NO_X@ at the start of the line
        if (strncmp (p, "@IF_", 4) == 0 || strncmp (p, "@NO_", 4) == 0) {
            bool want = p [1] == 'I';
            const char *close = memchr (p + 4, '@', (size_t) (end - p - 4));
            if (close) {
                bool has = false;
                for (size_t v = 0; v < count; v++)
                    if (strlen (vars [v].key) == (size_t) (close - p - 4)
                    &&  strncmp (vars [v].key, p + 4, (size_t) (close - p - 4)) == 0)
                        has = vars [v].value [0] != 0;
                keep = has == want;
                p = close + 1;
            }
        }
        while (keep && p < end) {
            const char *at = memchr (p, '@', (size_t) (end - p));
            if (!at) {
                heal_strbuf_add (&self->out, p, (size_t) (end - p));
                break;
            }
            heal_strbuf_add (&self->out, p, (size_t) (at - p));
            const char *close = memchr (at + 1, '@', (size_t) (end - at - 1));
            const s_var_t *var = NULL;
            for (size_t v = 0; close && v < count; v++)
                if (strlen (vars [v].key) == (size_t) (close - at - 1)
                &&  strncmp (vars [v].key, at + 1, (size_t) (close - at - 1)) == 0)
                    var = &vars [v];
            if (var) {
                heal_strbuf_str (&self->out, var->value);
                p = close + 1;
            }
            else {
                heal_strbuf_add (&self->out, "@", 1);
                p = at + 1;
            }
        }
        line += len;
    }
}

//  A unique check name from text: [A-Za-z0-9_-], runs of others as one '-'.
static void
s_name (s_init_t *self, const char *prefix, const char *text, char *buf, size_t len)
{
    char base [INIT_NAME_MAX + 1];
    size_t n = 0;
    for (const char *p = prefix; *p && n < INIT_NAME_MAX - 8; p++)
        base [n++] = *p;
    for (const char *p = text; *p && n < INIT_NAME_MAX - 8; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '_' || c == '-';
        if (!ok)
            c = '-';
        if (c == '-' && (n == 0 || base [n - 1] == '-'))
            continue;
        base [n++] = c;
    }
    while (n > 0 && base [n - 1] == '-')
        n--;
    base [n] = 0;
    if (n == 0)
        snprintf (base, sizeof base, "check");
    snprintf (buf, len, "%s", base);
    for (int i = 2; i < 1000; i++) {
        bool used = false;
        for (size_t k = 0; k < self->name_count; k++)
            used = used || streq (self->names [k], buf);
        if (!used || snprintf (buf, len, "%s-%d", base, i) >= (int) len)
            break;
    }
    if (self->name_count < INIT_MAX_CHECKS)
        snprintf (self->names [self->name_count++], INIT_NAME_MAX + 1, "%s", buf);
}

static void
s_set (s_var_t *var, const char *key, const char *value)
{
    var->key = key;
    snprintf (var->value, sizeof var->value, "%s", value ? value : "");
}

//  The remedy placeholders of a service: RESTART (when the service manager
//  knows it) and EXAMPLE (a command to suggest otherwise).
static size_t
s_restart_vars (s_var_t *vars, size_t at, const char *service)
{
    char restart [INIT_MAX_VALUE] = "", example [INIT_MAX_VALUE] = "";
    if (init_platform_restart (service, restart, sizeof restart, example, sizeof example))
        restart [0] = 0;
    s_set (&vars [at++], "RESTART", restart);
    s_set (&vars [at++], "EXAMPLE", example);
    return at;
}

static void
s_disks (s_init_t *self)
{
    char paths [INIT_MAX_FOUND][INIT_MAX_PATH];
    size_t count = init_platform_disks (paths, INIT_MAX_FOUND);
    for (size_t i = 0; i < count; i++) {
        if (!s_value_ok (paths [i]))
            continue;
        s_var_t vars [3];
        char name [INIT_NAME_MAX + 1];
        bool root = streq (paths [i], "/");
        s_name (self, "disk-", root ? "root" : paths [i], name, sizeof name);
        s_set (&vars [0], "NAME", name);
        s_set (&vars [1], "PATH", paths [i]);
        s_set (&vars [2], "CRITICAL", root ? "true" : "false");
        s_render (self, "disk", vars, 3);
        self->found++;
    }
    char *state = heal_default_state_dir ();
    if (state && s_value_ok (state)) {
        s_var_t vars [2];
        char name [INIT_NAME_MAX + 1];
        s_name (self, "", "state-dir", name, sizeof name);
        s_set (&vars [0], "NAME", name);
        s_set (&vars [1], "PATH", state);
        s_render (self, "state_dir", vars, 2);
        self->found++;
    }
    free (state);
}

//  Ollama's URL: $OLLAMA_HOST (as Ollama reads it: "host:port", a URL, or
//  "0.0.0.0" meaning every address, so ask loopback), else the default.
static void
s_ollama_url (char *buf, size_t len)
{
    const char *env = getenv ("OLLAMA_HOST");
    if (!env || !*env || strlen (env) > 200) {
        snprintf (buf, len, "%s", HEAL_OLLAMA_DEFAULT_URL);
        return;
    }
    const char *host = env;
    const char *scheme = "http://";
    if (strncmp (env, "http://", 7) == 0)
        host = env + 7;
    else
    if (strncmp (env, "https://", 8) == 0) {
        host = env + 8;
        scheme = "https://";
    }
    size_t hlen = strcspn (host, "/");
    char hostport [256];
    snprintf (hostport, sizeof hostport, "%.*s", (int) hlen, host);
    if (strncmp (hostport, "0.0.0.0", 7) == 0) {
        char rest [256];
        snprintf (rest, sizeof rest, "%s", hostport + 7);
        if (snprintf (hostport, sizeof hostport, "127.0.0.1%s", rest) >= (int) sizeof hostport)
            hostport [0] = 0;
    }
    if (!strchr (hostport, ':'))
        snprintf (buf, len, "%s%s:11434", scheme, hostport);
    else
        snprintf (buf, len, "%s%s", scheme, hostport);
}

static void
s_ollama (s_init_t *self)
{
    char url [512], tags [600];
    s_ollama_url (url, sizeof url);
    if (!heal_url_valid (url) || !s_value_ok (url))
        return;
    snprintf (tags, sizeof tags, "%s/api/tags", url);
    heal_http_t *http = heal_http_new (NULL);
    if (!http)
        return;
    heal_http_reply_t reply;
    int rc = heal_http_get (http, tags, INIT_OLLAMA_TIMEOUT_MS, &reply);
    json_t *json = rc == 0 && reply.status == 200 && reply.body
                 ? json_loadb (reply.body, reply.body_len, 0, NULL) : NULL;
    heal_http_reply_free (&reply);
    heal_http_destroy (&http);
    json_t *models = json_object_get (json, "models");
    if (!json_is_array (models)) {
        heal_strbuf_fmt (&self->out, "#   Ollama: nothing answered at %s (set OLLAMA_HOST "
                         "if it listens elsewhere).\n\n", url);
        json_decref (json);
        return;
    }
    char list [INIT_MAX_VALUE] = "";
    size_t used = 0, listed = 0;
    size_t index;
    json_t *model;
    json_array_foreach (models, index, model) {
        const char *name = json_string_value (json_object_get (model, "name"));
        if (!name || listed == INIT_MAX_MODELS || !*name || strlen (name) > 200
        ||  strcspn (name, " ,\"\t\r\n") != strlen (name))
            continue;
        int n = snprintf (list + used, sizeof list - used, "%s%s", used ? " " : "", name);
        if (n < 0 || (size_t) n >= sizeof list - used)
            break;
        used += (size_t) n;
        listed++;
    }
    json_decref (json);
    s_var_t vars [5];
    char name [INIT_NAME_MAX + 1];
    s_name (self, "", "ollama", name, sizeof name);
    s_set (&vars [0], "NAME", name);
    s_set (&vars [1], "URL", url);
    s_set (&vars [2], "MODELS", list);
    size_t count = s_restart_vars (vars, 3, "ollama");
    s_render (self, "ollama", vars, count);
    self->found++;
}

//  The port a server's command line names: redis retitles itself
//  "redis-server 127.0.0.1:6380" (or "*:6380"); "--port N", "-p N" otherwise.
static int
s_port_of (const char *cmdline, int fallback)
{
    const char *p = strstr (cmdline, "--port ");
    if (!p)
        p = strstr (cmdline, " -p ");
    if (p) {
        p = strchr (p + 1, ' ');
        while (p && *p == ' ')
            p++;
    }
    else {
        const char *space = strchr (cmdline, ' ');
        const char *colon = space ? strchr (space, ':') : NULL;
        p = colon && colon < space + 1 + strcspn (space + 1, " ") ? colon + 1 : NULL;
    }
    if (!p || *p < '0' || *p > '9')
        return fallback;
    long port = 0;
    for (int i = 0; i < 6 && *p >= '0' && *p <= '9'; i++, p++)
        port = port * 10 + (*p - '0');
    return port >= 1 && port <= 65535 ? (int) port : fallback;
}

//  The base name of a command line's first word.
static void
s_program (const char *cmdline, char *buf, size_t len)
{
    size_t n = strcspn (cmdline, " ");
    const char *slash = NULL;
    for (const char *p = cmdline; p < cmdline + n; p++)
        if (*p == '/')
            slash = p;
    const char *start = slash ? slash + 1 : cmdline;
    snprintf (buf, len, "%.*s", (int) (cmdline + n - start), start);
}

typedef struct {
    const char *program;        //  as the first word of the command line
    const char *template_name;
    const char *check;          //  check name
    const char *service;        //  service manager name, for the remedy
    int default_port;           //  0: no port
} s_known_t;

static const s_known_t s_known [] = {
    { "redis-server", "redis",       "redis",       "redis",       6379 },
    { "postgres",     "postgres",    "postgres",    "postgresql",  5432 },
    { "postmaster",   "postgres",    "postgres",    "postgresql",  5432 },
    { "cloudflared",  "cloudflared", "cloudflared", "cloudflared", 0 },
    { NULL, NULL, NULL, NULL, 0 }
};

static void
s_processes (s_init_t *self)
{
    int *pids = NULL;
    size_t count = 0;
    if (platform_proc_list (&pids, &count))
        return;
    //  One check per program and port (several redis servers: one each).
    int seen_port [INIT_MAX_FOUND];
    const char *seen_template [INIT_MAX_FOUND];
    size_t seen = 0;
    for (size_t i = 0; i < count && seen < INIT_MAX_FOUND; i++) {
        char cmdline [PLATFORM_MAX_CMDLINE];
        if (platform_proc_cmdline (pids [i], cmdline, sizeof cmdline) || !cmdline [0])
            continue;
        char program [128];
        s_program (cmdline, program, sizeof program);
        const s_known_t *known = NULL;
        for (size_t k = 0; s_known [k].program; k++)
            if (streq (program, s_known [k].program))
                known = &s_known [k];
        if (!known)
            continue;
        int port = known->default_port ? s_port_of (cmdline, known->default_port) : 0;
        bool dup = false;
        for (size_t s = 0; s < seen; s++)
            dup = dup || (streq (seen_template [s], known->template_name)
                          && seen_port [s] == port);
        if (dup)
            continue;
        seen_template [seen] = known->template_name;
        seen_port [seen++] = port;
        s_var_t vars [4];
        char name [INIT_NAME_MAX + 1], port_text [16];
        s_name (self, "", known->check, name, sizeof name);
        snprintf (port_text, sizeof port_text, "%d", port);
        s_set (&vars [0], "NAME", name);
        s_set (&vars [1], "PORT", port_text);
        size_t n = s_restart_vars (vars, 2, known->service);
        s_render (self, known->template_name, vars, n);
        self->found++;
    }
    free (pids);
}

static void
s_user_services (s_init_t *self)
{
    init_service_t services [INIT_MAX_FOUND];
    size_t count = init_platform_user_services (services, INIT_MAX_FOUND);
    const char *kind = init_platform_service_kind ();
    for (size_t i = 0; i < count; i++) {
        if (!s_value_ok (services [i].name) || !s_value_ok (services [i].path))
            continue;
        char base [INIT_MAX_NAME];
        if (snprintf (base, sizeof base, "%s", services [i].name) >= (int) sizeof base)
            continue;
        size_t n = strlen (base);
        if (n > 8 && streq (base + n - 8, ".service"))
            base [n - 8] = 0;
        char name [INIT_NAME_MAX + 1];
        s_name (self, "", base, name, sizeof name);
        s_var_t vars [4];
        s_set (&vars [0], "NAME", name);
        s_set (&vars [1], "UNIT", services [i].name);
        s_set (&vars [2], "LABEL", services [i].name);
        s_set (&vars [3], "PATH", services [i].path);
        s_render (self, kind, vars, 4);
        self->found++;
    }
}

//  The whole config text. Caller frees.
static char *
s_compose (void)
{
    s_init_t *self = (s_init_t *) zmalloc (sizeof *self);
    self->out = (heal_strbuf_t) HEAL_STRBUF_INIT (INIT_MAX_CONFIG);
    s_var_t vars [3];
    char date [64] = "?";
    time_t now = time (NULL);
    struct tm tm;
    if (localtime_r (&now, &tm))
        strftime (date, sizeof date, "%Y-%m-%d %H:%M", &tm);
    s_set (&vars [0], "HOST", heal_hostname ());
    s_set (&vars [1], "DATE", date);
    s_set (&vars [2], "PATH", CONFIG_DEFAULT_PATH);
    s_render (self, "header", vars, 3);
    s_disks (self);
    s_ollama (self);
    s_processes (self);
    s_user_services (self);
    char *text = self->out.failed ? NULL : heal_strbuf_take (&self->out);
    heal_strbuf_reset (&self->out);
    free (self);
    return text;
}

//  Where init writes: FILE, else -c, else $HEAL_CONFIG, else
//  ~/.config/heal/heal.conf. Caller frees.
static char *
s_target (healctl_t *ctl, int argc, char **argv)
{
    if (argc > 0)
        return strdup (argv [0]);
    if (ctl->config_path)
        return strdup (ctl->config_path);
    const char *env = getenv ("HEAL_CONFIG");
    if (env && *env)
        return strdup (env);
    return heal_home_path ("~/.config/heal/heal.conf");
}

//  Write text to a new file at path, 0600, never replacing one: a temporary
//  file beside it, validated, then linked to its name (link fails when the
//  name exists, even if it appeared meanwhile).
static int
s_write (const char *path, const char *text)
{
    char *dir = strdup (path);
    char *slash = dir ? strrchr (dir, '/') : NULL;
    if (slash && slash != dir) {
        *slash = 0;
        if (heal_mkdir_p (dir, 0700)) {
            fprintf (stderr, "healctl: init: cannot create %s: %s\n", dir, strerror (errno));
            free (dir);
            return HEALCTL_EXIT_SOFTWARE;
        }
    }
    free (dir);
    char temp [INIT_MAX_PATH + 32];
    snprintf (temp, sizeof temp, "%s.init-XXXXXX", path);
    int fd = mkstemp (temp);
    if (fd < 0) {
        fprintf (stderr, "healctl: init: cannot write beside %s: %s\n", path, strerror (errno));
        return HEALCTL_EXIT_SOFTWARE;
    }
    size_t len = strlen (text);
    bool ok = fchmod (fd, 0600) == 0 && write (fd, text, len) == (ssize_t) len
           && fsync (fd) == 0;
    ok = close (fd) == 0 && ok;
    if (!ok) {
        fprintf (stderr, "healctl: init: cannot write %s: %s\n", temp, strerror (errno));
        unlink (temp);
        return HEALCTL_EXIT_SOFTWARE;
    }
    char err [CONFIG_ERROR_MAX] = "";
    if (agent_validate (temp, err, sizeof err)) {
        fprintf (stderr, "healctl: init: the config written does not validate (a bug: "
                 "please report it): %s\n", err);
        unlink (temp);
        return HEALCTL_EXIT_CONFIG;
    }
    if (link (temp, path) != 0) {
        int code = errno == EEXIST ? INIT_EXIT_EXISTS : HEALCTL_EXIT_SOFTWARE;
        fprintf (stderr, "healctl: init: %s: %s\n", path, code == INIT_EXIT_EXISTS
                 ? "already exists; init never overwrites (move it away, or name another "
                   "file: healctl init FILE)" : strerror (errno));
        unlink (temp);
        return code;
    }
    unlink (temp);
    return HEALCTL_EXIT_OK;
}

int
healctl_init (healctl_t *ctl, const healctl_command_t *cmd, int argc, char **argv)
{
    (void) cmd;
    char *path = s_target (ctl, argc, argv);
    if (!path || !*path || path [0] == '~' || strlen (path) >= INIT_MAX_PATH) {
        fprintf (stderr, "healctl: init: no file to write (name one: healctl init FILE)\n");
        free (path);
        return HEALCTL_EXIT_USAGE;
    }
    bool to_stdout = streq (path, "-");
    struct stat st;
    if (!to_stdout && lstat (path, &st) == 0) {
        fprintf (stderr, "healctl: init: %s already exists; init never overwrites (move "
                 "it away, or name another file: healctl init FILE)\n", path);
        free (path);
        return INIT_EXIT_EXISTS;
    }
    char *text = s_compose ();
    if (!text) {
        fprintf (stderr, "healctl: init: the config grew past %d bytes\n", INIT_MAX_CONFIG);
        free (path);
        return HEALCTL_EXIT_SOFTWARE;
    }
    int rc = HEALCTL_EXIT_OK;
    if (to_stdout) {
        //  Validated through a private temporary file all the same.
        char temp [] = "/tmp/heal-init-XXXXXX";
        int fd = mkstemp (temp);
        if (fd >= 0) {
            close (fd);
            unlink (temp);
            rc = s_write (temp, text);
            unlink (temp);
        }
        if (rc == HEALCTL_EXIT_OK)
            fputs (text, stdout);
    }
    else {
        rc = s_write (path, text);
        if (rc == HEALCTL_EXIT_OK)
            printf ("wrote %s (mode 0600): read it, then `heal-agent -n` and start heal\n",
                    path);
    }
    free (text);
    free (path);
    return rc;
}
