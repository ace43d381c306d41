//  check_ollama — the `ollama` kind: is the local Ollama server up, and are
//  the configured models pulled?
//
//  run: GET /api/version (server up, response time), then GET /api/tags (every
//  model listed; `name` without a tag means `name:latest`). Server down or not
//  answering within the timeout -> fail (remedy: the restart command, then wait
//  for /api/version up to the deadline). A model missing -> fail (remedy with
//  pull = true: a background pull job, REMEDY_PENDING). While that job runs,
//  run reports warning "pulling M: 45%" (no remedy, no budget spent); the job
//  publishes progress on the bus through ctx->emit; the model counts as healed
//  only when a later run finds it in /api/tags.
//
//  Threads: run/remedy are called from the agent's workers; the pull job is a
//  thread owned by the instance, with its own HTTP client. Shared fields are
//  under `lock`. cleanup (from check_destroy) aborts the job's transfer
//  (heal_http_abort) and joins it.

#include "check.h"
#include "check_ollama.h"
#include "kind_util.h"
#include "heal/command.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum {
    OLLAMA_FAIL_NONE = 0,
    OLLAMA_FAIL_DOWN,           //  server not answering or not answering right
    OLLAMA_FAIL_MISSING         //  server up, model(s) missing
} ollama_failure_t;

typedef struct {
    //  Configuration (read-only after setup)
    char *name;
    bool critical;
    char *url;                  //  base URL without trailing '/'
    heal_list_t model_list;     //  `models` as written
    char *models [OLLAMA_MAX_MODELS];   //  full names (name:tag)
    size_t model_count;
    int64_t timeout_ms;
    char *restart;
    bool pull;
    int64_t pull_timeout_ms;
    const heal_config_t *config;

    //  Last run (run and remedy never run concurrently for one instance)
    ollama_failure_t failure;
    char *missing [OLLAMA_MAX_MODELS];
    size_t missing_count;

    //  Pull job; fields below under lock
    pthread_mutex_t lock;
    bool lock_ready;            //  lock initialised (setup ran that far)
    pthread_t thread;
    bool thread_started;        //  joinable
    bool job_running;
    bool job_done;
    bool stop;
    heal_http_t *http;          //  the job's, for heal_http_abort only
    char *job_models [OLLAMA_MAX_MODELS];
    size_t job_count;
    char *job_model;            //  being pulled now (borrowed from job_models)
    char *job_status;
    double job_completed, job_total;
    char *job_error;            //  set when the last job failed
    char *last_error;           //  the last finished job's error, for run's message
    //  Emit (copied from the ctx of the remedy that started the job)
    void (*emit) (const check_ctx_t *ctx, event_t **event);
    void *emit_arg;
    bool verbose;
} ollama_check_t;

#define OLLAMA_AT(field) HEAL_KEY_AT (ollama_check_t, field)

static const heal_key_t s_keys [] = {
    { .name = "url", .type = HEAL_KEY_URL, .at = OLLAMA_AT (url),
      .max_len = OLLAMA_MAX_URL - 1, .def = OLLAMA_DEFAULT_URL,
      .help = "Ollama's base URL" },
    { .name = "models", .type = HEAL_KEY_LIST, .at = OLLAMA_AT (model_list),
      .max = OLLAMA_MAX_MODELS, .max_len = OLLAMA_MAX_MODEL_NAME,
      .invalid = "'%s' is not a model name (e.g. qwen2.5:7b)",
      .help = "models that must be present" },
    { .name = NULL }
};
static const heal_key_t s_remedy_keys [] = {
    { .name = "restart", .type = HEAL_KEY_STRING, .at = OLLAMA_AT (restart),
      .max_len = KIND_MAX_COMMAND, .help = "command that restarts Ollama" },
    { .name = "pull", .type = HEAL_KEY_BOOL, .at = OLLAMA_AT (pull), .def = "false",
      .help = "pull missing models" },
    { .name = "pull_timeout", .type = HEAL_KEY_DURATION, .at = OLLAMA_AT (pull_timeout_ms),
      .def = OLLAMA_DEFAULT_PULL_TIMEOUT, .invalid = "'%s' is not a duration (e.g. 30m)",
      .help = "a whole pull at most" },
    { .name = NULL }
};

//  --------------------------------------------------------------------------
//  Names

static bool
s_model_name_valid (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > OLLAMA_MAX_MODEL_NAME)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == '-' || c == ':' || c == '/'))
            return false;
    }
    return name [0] != ':' && name [len - 1] != ':' && name [len - 1] != '/';
}

//  --------------------------------------------------------------------------
//  HTTP (one libheal client per request, owned by the calling thread)

//  The "error" member of a JSON body, or NULL. Caller frees.
static char *
s_error_of (const char *data, size_t len)
{
    if (!data || !len)
        return NULL;
    json_error_t jerr;
    json_t *root = json_loadb (data, len, 0, &jerr);
    const char *text = json_string_value (json_object_get (root, "error"));
    char *out = text ? heal_safe_string (text, strlen (text), EVENT_MAX_SHORT) : NULL;
    json_decref (root);
    return out;
}

//  GET base+path within timeout_ms. Returns the parsed JSON body of a 200
//  reply (new reference), or NULL with a message in why.
static json_t *
s_get_json (const ollama_check_t *self, const char *path, int64_t timeout_ms,
            double *elapsed_ms, char *why, size_t whylen)
{
    char url [OLLAMA_MAX_URL + 64];
    snprintf (url, sizeof url, "%s%s", self->url, path);
    heal_http_t *http = heal_http_new (NULL);
    if (!http) {
        snprintf (why, whylen, "cannot start the HTTP client: %s", heal_http_error_text ());
        return NULL;
    }
    heal_http_request_t request = {
        .url = url, .timeout_ms = timeout_ms, .max_body = OLLAMA_MAX_BODY
    };
    heal_http_reply_t reply;
    heal_http_request (http, &request, &reply);
    heal_http_destroy (&http);
    *elapsed_ms = reply.total_ms;
    json_t *root = NULL;
    if (reply.result == HEAL_HTTP_ERR_TOO_LARGE)
        snprintf (why, whylen, "GET %s: reply larger than %d bytes", path, OLLAMA_MAX_BODY);
    else
    if (reply.result != HEAL_HTTP_OK)
        snprintf (why, whylen, "GET %s: %s", path, reply.error);
    else
    if (reply.status != 200) {
        char *error = s_error_of (reply.body, reply.body_len);
        snprintf (why, whylen, "GET %s: HTTP %ld%s%s", path, reply.status,
                  error ? ": " : "", error ? error : "");
        free (error);
    }
    else {
        json_error_t jerr;
        root = json_loadb (reply.body ? reply.body : "", reply.body_len, 0, &jerr);
        if (!json_is_object (root)) {
            snprintf (why, whylen, "GET %s: reply is not a JSON object", path);
            json_decref (root);
            root = NULL;
        }
    }
    heal_http_reply_free (&reply);
    return root;
}

//  --------------------------------------------------------------------------
//  The pull job

typedef struct {
    ollama_check_t *self;
    bool success;
    char *error;                //  owned
    char *last_status;          //  owned
    int64_t last_emit_ms;
    double last_percent;
} pull_t;

static void
s_emit_progress (ollama_check_t *self, const char *model, const char *message,
                 double completed, double total)
{
    if (!self->emit)
        return;
    event_t *event = event_new (EVENT_CHECK);
    if (!event)
        return;
    event->ts = event_now_ms ();
    event->severity = SEVERITY_WARNING;
    event->critical = self->critical;
    event_set_string (&event->check, self->name, EVENT_MAX_NAME);
    event_set_string (&event->kind, "ollama", EVENT_MAX_SHORT);
    event_set_string (&event->message, message, EVENT_MAX_MESSAGE);
    event_set_string (&event->model, model, EVENT_MAX_SHORT);
    if (total > 0) {
        event_add_metric (event, "completed", completed);
        event_add_metric (event, "total", total);
        event_add_metric (event, "percent", completed * 100.0 / total);
    }
    check_ctx_t ctx;
    memset (&ctx, 0, sizeof ctx);
    ctx.name = self->name;
    ctx.config = self->config;
    ctx.emit = self->emit;
    ctx.emit_arg = self->emit_arg;
    self->emit (&ctx, &event);
    event_destroy (&event);
}

//  One NDJSON line of the pull stream. Returns false to abort the transfer.
static bool
s_pull_line (pull_t *pull, const char *line, size_t len)
{
    ollama_check_t *self = pull->self;
    while (len && (line [len - 1] == '\r' || line [len - 1] == ' '))
        len--;
    if (len == 0)
        return true;
    json_error_t jerr;
    json_t *root = json_loadb (line, len, 0, &jerr);
    if (!json_is_object (root)) {
        json_decref (root);
        free (pull->error);
        pull->error = strdup ("pull: a progress line is not a JSON object");
        return false;
    }
    const char *error = json_string_value (json_object_get (root, "error"));
    if (error) {
        free (pull->error);
        pull->error = heal_safe_string (error, strlen (error), EVENT_MAX_SHORT);
        json_decref (root);
        return false;
    }
    const char *status = json_string_value (json_object_get (root, "status"));
    if (!status) {
        json_decref (root);
        return true;            //  unknown line: ignore (forward compatible)
    }
    double total = (double) json_integer_value (json_object_get (root, "total"));
    double completed = (double) json_integer_value (json_object_get (root, "completed"));
    if (json_is_real (json_object_get (root, "total")))
        total = json_real_value (json_object_get (root, "total"));
    if (json_is_real (json_object_get (root, "completed")))
        completed = json_real_value (json_object_get (root, "completed"));
    if (total < 0 || completed < 0 || completed > total)
        completed = total = 0;
    if (streq (status, "success"))
        pull->success = true;
    char *safe = heal_safe_string (status, strlen (status), EVENT_MAX_SHORT);
    bool changed = safe && (!pull->last_status || !streq (safe, pull->last_status));
    double percent = total > 0 ? completed * 100.0 / total : 0;

    pthread_mutex_lock (&self->lock);
    free (self->job_status);
    self->job_status = safe ? strdup (safe) : NULL;
    self->job_completed = completed;
    self->job_total = total;
    const char *model = self->job_model;
    pthread_mutex_unlock (&self->lock);

    int64_t now = heal_monotonic_ms ();
    if (changed || now - pull->last_emit_ms >= OLLAMA_PROGRESS_EVERY_MS
    ||  percent >= pull->last_percent + 10 || (percent >= 100 && pull->last_percent < 100)) {
        char message [EVENT_MAX_MESSAGE];
        if (total > 0)
            snprintf (message, sizeof message, "pulling %s: %.0f%% (%s)", model,
                      percent, safe ? safe : "");
        else
            snprintf (message, sizeof message, "pulling %s: %s", model, safe ? safe : "");
        s_emit_progress (self, model, message, completed, total);
        pull->last_emit_ms = now;
        pull->last_percent = percent;
    }
    if (changed) {
        free (pull->last_status);
        pull->last_status = safe;
    }
    else
        free (safe);
    json_decref (root);
    return true;
}

//  The client's line callback: 0 to go on, -1 to stop.
static int
s_pull_on_line (const char *line, size_t len, void *arg)
{
    return s_pull_line ((pull_t *) arg, line, len) ? 0 : -1;
}

//  Pull one model. Returns 0, or -1 with *error set (owned).
static int
s_pull_one (ollama_check_t *self, const char *model, char **error)
{
    char url [OLLAMA_MAX_URL + 64];
    snprintf (url, sizeof url, "%s/api/pull", self->url);
    pull_t *pull = (pull_t *) calloc (1, sizeof (pull_t));
    json_t *req = json_pack ("{s:s, s:b}", "model", model, "stream", 1);
    char *body = req ? json_dumps (req, JSON_COMPACT) : NULL;
    json_decref (req);
    heal_http_t *http = heal_http_new (NULL);
    if (!pull || !body || !http) {
        if (!http)
            *error = heal_safe_string (heal_http_error_text (),
                                       strlen (heal_http_error_text ()), EVENT_MAX_SHORT);
        else
            *error = strdup ("pull: out of memory");
        goto cleanup;
    }
    pull->self = self;
    pull->last_emit_ms = heal_monotonic_ms () - OLLAMA_PROGRESS_EVERY_MS;

    //  s_job_stop aborts the transfer through self->http.
    pthread_mutex_lock (&self->lock);
    bool stopped = self->stop;
    if (!stopped)
        self->http = http;
    pthread_mutex_unlock (&self->lock);
    heal_http_reply_t reply;
    memset (&reply, 0, sizeof reply);
    if (!stopped) {
        heal_http_request_t request = {
            .url = url, .body = body,
            .connect_timeout_ms = self->timeout_ms, .timeout_ms = self->pull_timeout_ms,
            .stall_ms = OLLAMA_PULL_STALL_S * 1000,
            .on_line = s_pull_on_line, .line_arg = pull
        };
        heal_http_request (http, &request, &reply);
    }
    pthread_mutex_lock (&self->lock);
    self->http = NULL;
    stopped = self->stop;
    pthread_mutex_unlock (&self->lock);

    long status = reply.status;
    char text [EVENT_MAX_SHORT * 2];
    if (stopped)
        snprintf (text, sizeof text, "pull of %s stopped", model);
    else
    if (pull->error && status && status != 200)
        snprintf (text, sizeof text, "pull of %s failed: HTTP %ld: %s", model, status,
                  pull->error);
    else
    if (pull->error)
        snprintf (text, sizeof text, "pull of %s failed: %s", model, pull->error);
    else
    if (reply.result == HEAL_HTTP_ERR_TOO_LARGE)
        snprintf (text, sizeof text, "pull of %s failed: pull: a progress line is too long",
                  model);
    else
    if (reply.result != HEAL_HTTP_OK)
        snprintf (text, sizeof text, "pull of %s failed: %s", model, reply.error);
    else
    if (status != 200)
        snprintf (text, sizeof text, "pull of %s failed: HTTP %ld", model, status);
    else
    if (!pull->success)
        snprintf (text, sizeof text, "pull of %s failed: the stream ended without success",
                  model);
    else
        text [0] = 0;
    if (text [0])
        *error = strdup (text);
    heal_http_reply_free (&reply);

cleanup:
    heal_http_destroy (&http);
    free (body);
    int failed = *error != NULL;
    if (pull) {
        free (pull->error);
        free (pull->last_status);
        free (pull);
    }
    return failed ? -1 : 0;
}

static void *
s_pull_job (void *arg)
{
    ollama_check_t *self = (ollama_check_t *) arg;
    char *error = NULL;
    for (size_t i = 0; i < self->job_count; i++) {
        pthread_mutex_lock (&self->lock);
        bool stop = self->stop;
        self->job_model = self->job_models [i];
        free (self->job_status);
        self->job_status = NULL;
        self->job_completed = self->job_total = 0;
        pthread_mutex_unlock (&self->lock);
        if (stop)
            break;
        if (!self->job_models [i])
            continue;           //  out of memory when the job was set up
        char message [EVENT_MAX_MESSAGE];
        snprintf (message, sizeof message, "pulling %s: started", self->job_models [i]);
        s_emit_progress (self, self->job_models [i], message, 0, 0);
        if (s_pull_one (self, self->job_models [i], &error))
            break;
        snprintf (message, sizeof message,
                  "pulled %s; it counts as healed when /api/tags lists it",
                  self->job_models [i]);
        s_emit_progress (self, self->job_models [i], message, 0, 0);
    }
    if (error) {
        pthread_mutex_lock (&self->lock);
        bool stop = self->stop;
        pthread_mutex_unlock (&self->lock);
        if (!stop)
            s_emit_progress (self, self->job_model, error, 0, 0);
    }
    pthread_mutex_lock (&self->lock);
    free (self->job_error);
    self->job_error = error;
    self->job_running = false;
    self->job_done = true;
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

//  Join a finished job and keep its outcome in last_error. Not for a job
//  still running.
static void
s_job_collect (ollama_check_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool done = self->thread_started && self->job_done;
    pthread_mutex_unlock (&self->lock);
    if (!done)
        return;
    pthread_join (self->thread, NULL);
    pthread_mutex_lock (&self->lock);
    self->thread_started = false;
    self->job_done = false;
    free (self->last_error);
    self->last_error = self->job_error;
    self->job_error = NULL;
    for (size_t i = 0; i < self->job_count; i++) {
        free (self->job_models [i]);
        self->job_models [i] = NULL;
    }
    self->job_count = 0;
    self->job_model = NULL;
    free (self->job_status);
    self->job_status = NULL;
    pthread_mutex_unlock (&self->lock);
}

//  Stop a running job and join it (destroy).
static void
s_job_stop (ollama_check_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    if (self->http)
        heal_http_abort (self->http);
    bool started = self->thread_started;
    pthread_mutex_unlock (&self->lock);
    if (started) {
        pthread_join (self->thread, NULL);
        self->thread_started = false;
    }
}

//  --------------------------------------------------------------------------
//  setup: the lock, the URL without trailing '/', the models' full names

static int
s_setup (void *self_, const heal_config_t *config, const heal_check_config_t *check,
         char *err, size_t errlen)
{
    ollama_check_t *self = (ollama_check_t *) self_;
    if (pthread_mutex_init (&self->lock, NULL)) {
        heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
        return -1;
    }
    self->lock_ready = true;
    self->config = config;
    self->critical = check->critical;
    self->name = strdup (check->name);
    self->timeout_ms = check->timeout_ms > 0 ? check->timeout_ms : CONFIG_DEFAULT_TIMEOUT_MS;
    while (strlen (self->url) > 8 && self->url [strlen (self->url) - 1] == '/')
        self->url [strlen (self->url) - 1] = 0;
    for (size_t m = 0; m < self->model_list.count; m++) {
        const char *word = self->model_list.items [m];
        if (!s_model_name_valid (word)) {
            heal_config_error (err, errlen, config->file, check->name, "models",
                               "'%s' is not a model name (e.g. qwen2.5:7b)", word);
            return -1;
        }
        char *full = heal_ollama_full_name (word);
        bool dup = false;
        for (size_t i = 0; full && i < self->model_count; i++)
            dup = dup || streq (self->models [i], full);
        if (dup)
            free (full);
        else
            self->models [self->model_count++] = full;
    }
    if (!self->name) {
        heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < self->model_count; i++)
        if (!self->models [i]) {
            heal_config_error (err, errlen, config->file, check->name, NULL, "out of memory");
            return -1;
        }
    return 0;
}

//  --------------------------------------------------------------------------
//  run

static int64_t
s_time_left (const check_ctx_t *ctx, int64_t want)
{
    if (ctx->deadline_ms <= 0)
        return want;
    int64_t left = ctx->deadline_ms - heal_monotonic_ms () - 50;
    if (left < 1)
        left = 1;
    return left < want ? left : want;
}

static void
s_missing_clear (ollama_check_t *self)
{
    for (size_t i = 0; i < self->missing_count; i++) {
        free (self->missing [i]);
        self->missing [i] = NULL;
    }
    self->missing_count = 0;
}

static check_status_t
s_run (void *self_v, const check_ctx_t *ctx, check_result_t *result)
{
    ollama_check_t *self = (ollama_check_t *) self_v;
    event_t *event = result->event;
    char msg [EVENT_MAX_MESSAGE * 2];    //  event_set_string bounds it
    char why [EVENT_MAX_MESSAGE];
    s_job_collect (self);
    self->failure = OLLAMA_FAIL_NONE;
    s_missing_clear (self);

    double elapsed = 0;
    json_t *version = s_get_json (self, "/api/version", s_time_left (ctx, self->timeout_ms),
                                  &elapsed, why, sizeof why);
    if (!version) {
        self->failure = OLLAMA_FAIL_DOWN;
        snprintf (msg, sizeof msg, "ollama at %s is not answering: %s", self->url, why);
        event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
        return CHECK_FAIL;
    }
    const char *v = json_string_value (json_object_get (version, "version"));
    char vtext [64];
    snprintf (vtext, sizeof vtext, "%s", v ? v : "?");
    bool is_ollama = v != NULL;
    json_decref (version);
    event_add_metric (event, "response_ms", elapsed);
    if (!is_ollama) {
        self->failure = OLLAMA_FAIL_DOWN;
        snprintf (msg, sizeof msg, "%s does not look like Ollama: no version in /api/version",
                  self->url);
        event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
        return CHECK_FAIL;
    }
    char *safe_version = heal_safe_string (vtext, strlen (vtext), sizeof vtext);

    json_t *tags = NULL;
    if (self->model_count) {
        double tags_ms = 0;
        tags = s_get_json (self, "/api/tags", s_time_left (ctx, self->timeout_ms),
                           &tags_ms, why, sizeof why);
        json_t *list = tags ? json_object_get (tags, "models") : NULL;
        if (!json_is_array (list)) {
            self->failure = OLLAMA_FAIL_DOWN;
            snprintf (msg, sizeof msg, "ollama %s at %s: cannot list models: %s",
                      safe_version ? safe_version : "?", self->url,
                      tags ? "no models array in /api/tags" : why);
            event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
            json_decref (tags);
            free (safe_version);
            return CHECK_FAIL;
        }
        event_add_metric (event, "tags_ms", tags_ms);
        event_add_metric (event, "models_installed", (double) json_array_size (list));
        for (size_t i = 0; i < self->model_count; i++)
            if (!heal_ollama_listed (list, self->models [i]))
                self->missing [self->missing_count++] = strdup (self->models [i]);
    }
    json_decref (tags);
    event_add_metric (event, "models_missing", (double) self->missing_count);

    check_status_t status = CHECK_OK;
    if (self->missing_count == 0) {
        int off = snprintf (msg, sizeof msg, "ollama %s at %s is up",
                            safe_version ? safe_version : "?", self->url);
        for (size_t i = 0; i < self->model_count && off > 0 && (size_t) off < sizeof msg; i++)
            off += snprintf (msg + off, sizeof msg - (size_t) off, "%s%s",
                             i ? " " : "; models present: ", self->models [i]);
        pthread_mutex_lock (&self->lock);
        free (self->last_error);
        self->last_error = NULL;
        pthread_mutex_unlock (&self->lock);
    }
    else {
        //  A pull may have ended during the requests above: collect it now,
        //  so that "not running" comes with the error it ended on.
        s_job_collect (self);
        pthread_mutex_lock (&self->lock);
        bool running = self->job_running;
        double completed = self->job_completed, total = self->job_total;
        char model [OLLAMA_MAX_MODEL_NAME + 1] = "";
        char state [EVENT_MAX_SHORT + 1] = "";
        if (self->job_model)
            snprintf (model, sizeof model, "%s", self->job_model);
        if (self->job_status)
            snprintf (state, sizeof state, "%s", self->job_status);
        //  A job that ended since the collect above is not collected yet:
        //  its error is still in job_error.
        const char *error = self->job_done? self->job_error: self->last_error;
        char last_error [EVENT_MAX_SHORT * 2 + 1] = "";
        if (error)
            snprintf (last_error, sizeof last_error, "%s", error);
        pthread_mutex_unlock (&self->lock);
        int off = snprintf (msg, sizeof msg, "model%s missing:",
                            self->missing_count > 1 ? "s" : "");
        for (size_t i = 0; i < self->missing_count && off > 0 && (size_t) off < sizeof msg; i++)
            off += snprintf (msg + off, sizeof msg - (size_t) off, " %s",
                             self->missing [i] ? self->missing [i] : "?");
        if (running) {
            //  Being healed in the background: a warning, no new remedy.
            status = CHECK_WARN;
            if (off > 0 && (size_t) off < sizeof msg) {
                if (total > 0)
                    snprintf (msg + off, sizeof msg - (size_t) off,
                              " (pulling %s: %.0f%%)", model, completed * 100.0 / total);
                else
                    snprintf (msg + off, sizeof msg - (size_t) off, " (pulling %s%s%s)",
                              model, *state ? ": " : "", state);
            }
            if (total > 0) {
                event_add_metric (event, "completed", completed);
                event_add_metric (event, "total", total);
            }
        }
        else {
            status = CHECK_FAIL;
            self->failure = OLLAMA_FAIL_MISSING;
            if (*last_error)
                event_add_evidence (event, last_error);
        }
    }
    free (safe_version);
    event_set_string (&event->message, msg, EVENT_MAX_MESSAGE);
    return status;
}

//  --------------------------------------------------------------------------
//  remedy

static remedy_status_t
s_restart (ollama_check_t *self, const check_ctx_t *ctx, event_remedy_t *out)
{
    if (!self->restart)
        return REMEDY_NONE;
    event_set_string (&out->action, "restart", EVENT_MAX_SHORT);
    int64_t timeout = s_time_left (ctx, ctx->check && ctx->check->timeout_ms > 0
                                        ? ctx->check->timeout_ms : self->timeout_ms);
    command_result_t res;
    memset (&res, 0, sizeof res);
    char text [EVENT_MAX_TEXT];
    if (command_run (self->restart, self->config->path, timeout, EVENT_MAX_TEXT, &res)) {
        snprintf (text, sizeof text, "cannot run the restart command: %s", strerror (errno));
        event_set_string (&out->output, text, EVENT_MAX_TEXT);
        return REMEDY_FAILED;
    }
    remedy_status_t status = REMEDY_DONE;
    if (res.timed_out) {
        snprintf (text, sizeof text, "restart command timed out after %" PRId64 " ms\n%s",
                  timeout, res.output ? res.output : "");
        status = REMEDY_FAILED;
    }
    else
    if (res.exit_code != 0) {
        snprintf (text, sizeof text, "restart command exited %d\n%s", res.exit_code,
                  res.output ? res.output : "");
        status = REMEDY_FAILED;
    }
    else {
        //  Give the server until the deadline to answer before the re-check.
        char why [256];
        double elapsed;
        bool up = false;
        int64_t until = heal_monotonic_ms () + s_time_left (ctx, self->timeout_ms);
        while (!up) {
            int64_t left = until - heal_monotonic_ms ();
            if (left <= 0)
                break;
            json_t *v = s_get_json (self, "/api/version",
                                    left < 1000 ? left : 1000, &elapsed, why, sizeof why);
            up = v != NULL;
            json_decref (v);
            if (!up && until - heal_monotonic_ms () > OLLAMA_RESTART_WAIT_MS) {
                struct timespec ts = { 0, OLLAMA_RESTART_WAIT_MS * 1000000L };
                nanosleep (&ts, NULL);
            }
        }
        snprintf (text, sizeof text, "%s%s", up ? "" : "restarted, not answering yet\n",
                  res.output ? res.output : "");
    }
    command_result_free (&res);
    char *safe = heal_safe_text (text, strlen (text), EVENT_MAX_TEXT);
    event_set_string (&out->output, safe ? safe : text, EVENT_MAX_TEXT);
    free (safe);
    return status;
}

static remedy_status_t
s_remedy (void *self_v, const check_ctx_t *ctx, const check_result_t *failed,
          event_remedy_t *out)
{
    ollama_check_t *self = (ollama_check_t *) self_v;
    (void) failed;
    if (self->failure == OLLAMA_FAIL_DOWN)
        return s_restart (self, ctx, out);
    if (self->failure != OLLAMA_FAIL_MISSING || !self->pull || self->missing_count == 0)
        return REMEDY_NONE;

    event_set_string (&out->action, "pull", EVENT_MAX_SHORT);
    s_job_collect (self);
    pthread_mutex_lock (&self->lock);
    if (self->thread_started) {
        pthread_mutex_unlock (&self->lock);
        event_set_string (&out->output, "a pull is already running", EVENT_MAX_TEXT);
        return REMEDY_PENDING;
    }
    char text [EVENT_MAX_TEXT];
    int off = snprintf (text, sizeof text, "pulling in the background:");
    for (size_t i = 0; i < self->missing_count; i++) {
        self->job_models [i] = self->missing [i] ? strdup (self->missing [i]) : NULL;
        if (!self->job_models [i])
            continue;
        if (off > 0 && (size_t) off < sizeof text)
            off += snprintf (text + off, sizeof text - (size_t) off, " %s",
                             self->job_models [i]);
    }
    self->job_count = self->missing_count;
    //  The first model is being pulled from now on, not from when the thread
    //  gets to it: a run in between says which (it raced here under load).
    self->job_model = self->job_count ? self->job_models [0] : NULL;
    self->job_completed = self->job_total = 0;
    self->emit = ctx->emit;
    self->emit_arg = ctx->emit_arg;
    self->verbose = ctx->verbose;
    self->job_running = true;
    self->job_done = false;
    self->stop = false;
    free (self->last_error);
    self->last_error = NULL;
    int rc = pthread_create (&self->thread, NULL, s_pull_job, self);
    if (rc == 0)
        self->thread_started = true;
    else
        self->job_running = false;
    pthread_mutex_unlock (&self->lock);
    if (rc) {
        snprintf (text, sizeof text, "cannot start the pull thread: %s", strerror (rc));
        event_set_string (&out->output, text, EVENT_MAX_TEXT);
        return REMEDY_FAILED;
    }
    event_set_string (&out->output, text, EVENT_MAX_TEXT);
    return REMEDY_PENDING;
}

//  --------------------------------------------------------------------------

//  Stop the pull job, free what setup and the runs made (the key tables'
//  values are check_destroy's, after this).
static void
s_cleanup (void *self_)
{
    ollama_check_t *self = (ollama_check_t *) self_;
    if (self->lock_ready)
        s_job_stop (self);
    s_missing_clear (self);
    for (size_t i = 0; i < OLLAMA_MAX_MODELS; i++) {
        free (self->models [i]);
        free (self->job_models [i]);
    }
    free (self->name);
    free (self->job_status);
    free (self->job_error);
    free (self->last_error);
    if (self->lock_ready)
        pthread_mutex_destroy (&self->lock);
}

const check_kind_t check_kind_ollama = {
    .name = "ollama",
    .size = sizeof (ollama_check_t),
    .keys = s_keys,
    .remedy_keys = s_remedy_keys,
    .setup = s_setup,
    .run = s_run,
    .remedy = s_remedy,
    .cleanup = s_cleanup,
    .verify_default_ms = CHECK_VERIFY_SERVICE_MS,
};
