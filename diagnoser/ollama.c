//  ollama — the diagnoser's client of a local Ollama server: the /api/chat
//  request (structured output with a JSON schema), sent through libheal's
//  HTTP client (heal/http.h: timeouts, the DIAG_MAX_REPLY cap, abort), and the
//  strict parsing and validation of the reply (docs: shared/reference ollama-*.md).

#include "diagnoser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OLLAMA_MAX_ERROR 512        //  bytes of a server's error text we keep

//  --------------------------------------------------------------------------
//  Request

json_t *
ollama_diagnosis_schema (void)
{
    return json_pack (
        "{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s, s:{s:s}}, s:{s:s, s:{s:s}}, s:{s:s, s:[s,s,s]}},"
        " s:[s,s,s,s,s]}",
        "type", "object",
        "properties",
            "summary", "type", "string",
            "root_cause", "type", "string",
            "operator_checks", "type", "array", "items", "type", "string",
            "related_checks", "type", "array", "items", "type", "string",
            "confidence", "type", "string", "enum", "low", "medium", "high",
        "required", "summary", "root_cause", "operator_checks", "related_checks",
                    "confidence");
}

//  keep_alive: integer seconds go as a JSON number (a unit-less string is a
//  400 for Ollama), durations with a unit as a string.
static json_t *
s_keep_alive (const char *text)
{
    const char *p = text;
    if (*p == '-')
        p++;
    bool digits = *p != 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            digits = false;
    if (digits)
        return json_integer (strtoll (text, NULL, 10));
    return json_string (text);
}

char *
ollama_chat_request (const diag_settings_t *settings, const char *system, const char *user)
{
    json_t *messages = json_array ();
    if (!messages)
        return NULL;
    if (system)
        json_array_append_new (messages, json_pack ("{s:s, s:s}", "role", "system",
                                                    "content", system));
    json_array_append_new (messages, json_pack ("{s:s, s:s}", "role", "user",
                                                "content", user ? user : ""));
    json_t *request = json_pack ("{s:s, s:o, s:b, s:o, s:{s:f, s:i, s:i, s:i}, s:o}",
        "model", settings->model,
        "messages", messages,
        "stream", 0,
        "format", ollama_diagnosis_schema (),
        "options",
            "temperature", settings->temperature,
            "num_predict", settings->num_predict,
            "num_ctx", settings->num_ctx,
            "seed", DIAG_SEED,
        "keep_alive", s_keep_alive (settings->keep_alive));
    if (!request)
        return NULL;
    char *text = json_dumps (request, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (request);
    return text;
}

//  --------------------------------------------------------------------------
//  Reply

//  Copy a bounded, sanitised excerpt of an error text into err.
static void
s_error_text (char *err, size_t errlen, const char *prefix, const char *text, size_t len)
{
    char *safe = heal_safe_string (text, len, OLLAMA_MAX_ERROR);
    snprintf (err, errlen, "%s%s", prefix, safe ? safe : "");
    free (safe);
}

//  Is the string present, a string, and not only white space?
static const char *
s_text (json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    if (!json_is_string (v))
        return NULL;
    const char *s = json_string_value (v);
    for (const char *p = s; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return s;
    return NULL;
}

//  Append the string items of array key to list (bounded count and length).
//  names: keep only valid check names.
static int
s_list (json_t *obj, const char *key, char ***list, size_t *count, size_t max_items,
        bool names, char *err, size_t errlen)
{
    json_t *array = json_object_get (obj, key);
    if (!array)
        return 0;
    if (!json_is_array (array)) {
        snprintf (err, errlen, "model reply: %s is not an array", key);
        return -1;
    }
    size_t i;
    json_t *item;
    json_array_foreach (array, i, item) {
        if (*count >= max_items)
            break;
        if (!json_is_string (item))
            continue;
        const char *s = json_string_value (item);
        if (names && !heal_name_valid (s))
            continue;
        if (!names && !*s)
            continue;
        if (event_list_append (list, count, s, DIAG_MAX_ITEM))
            return -1;
    }
    return 0;
}

//  Validate message.content (itself JSON per the schema) into diag.
static int
s_parse_content (const char *content, event_t *diag, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loads (content, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf (err, errlen, "model reply is not JSON (%s): ", jerr.text);
        size_t used = strlen (err);
        s_error_text (err + used, errlen - used, "", content, strlen (content));
        return -1;
    }
    int rc = -1;
    if (!json_is_object (root)) {
        snprintf (err, errlen, "model reply is not a JSON object");
        goto cleanup;
    }
    const char *summary = s_text (root, "summary");
    const char *root_cause = s_text (root, "root_cause");
    if (!summary && !root_cause) {
        snprintf (err, errlen, "model reply has neither summary nor root_cause");
        goto cleanup;
    }
    if (event_set_string (&diag->summary, summary ? summary : root_cause, EVENT_MAX_MESSAGE)
    ||  event_set_string (&diag->root_cause, root_cause ? root_cause : summary, EVENT_MAX_TEXT)) {
        snprintf (err, errlen, "out of memory");
        goto cleanup;
    }
    if (s_list (root, "operator_checks", &diag->operator_checks, &diag->operator_check_count,
                DIAG_MAX_OPERATOR_CHECKS, false, err, errlen)
    ||  s_list (root, "related_checks", &diag->related, &diag->related_count,
                DIAG_MAX_RELATED, true, err, errlen))
        goto cleanup;
    const char *confidence = json_string_value (json_object_get (root, "confidence"));
    if (confidence && (streq (confidence, "low") || streq (confidence, "medium")
                       || streq (confidence, "high")))
        event_set_string (&diag->confidence, confidence, EVENT_MAX_SHORT);
    rc = 0;
cleanup:
    json_decref (root);
    return rc;
}

int
ollama_parse_reply (long status, const char *body, size_t size, event_t *diag,
                    char *err, size_t errlen)
{
    err [0] = 0;
    json_error_t jerr;
    json_t *root = body && size ? json_loadb (body, size, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    int rc = -1;
    const char *server_error = root ? json_string_value (json_object_get (root, "error")) : NULL;
    if (status != 200) {
        char prefix [64];
        snprintf (prefix, sizeof prefix, "ollama: HTTP %ld: ", status);
        if (server_error)
            s_error_text (err, errlen, prefix, server_error, strlen (server_error));
        else
            s_error_text (err, errlen, prefix, body ? body : "", body ? (size < 200 ? size : 200) : 0);
        goto cleanup;
    }
    if (!root) {
        snprintf (err, errlen, "ollama: reply is not JSON: %s", body && size ? jerr.text : "empty body");
        goto cleanup;
    }
    if (server_error) {
        s_error_text (err, errlen, "ollama: ", server_error, strlen (server_error));
        goto cleanup;
    }
    json_t *message = json_object_get (root, "message");
    const char *content = json_string_value (json_object_get (message, "content"));
    if (!json_is_object (message) || !content) {
        snprintf (err, errlen, "ollama: reply has no message.content");
        goto cleanup;
    }
    const char *reason = json_string_value (json_object_get (root, "done_reason"));
    bool truncated = reason && streq (reason, "length");
    bool blank = true;
    for (const char *p = content; *p && blank; p++)
        blank = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
    if (blank) {
        snprintf (err, errlen, truncated ? "model reply truncated and empty (done_reason length)"
                                         : "model reply is empty");
        goto cleanup;
    }
    if (s_parse_content (content, diag, err, errlen)) {
        if (truncated) {
            char inner [256];
            snprintf (inner, sizeof inner, "%s", err);
            snprintf (err, errlen, "model reply truncated at num_predict (done_reason length): %s",
                      inner);
        }
        goto cleanup;
    }
    if (truncated)
        snprintf (err, errlen, "model reply truncated at num_predict (done_reason length)");
    rc = 0;
cleanup:
    json_decref (root);
    return rc;
}

static bool
s_requested (char *const *list, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (streq (list [i], name))
            return true;
    return false;
}

//  Keep only related_checks the request contained; say so when the model
//  named others (a hallucinated check must not reach the operator).
void
ollama_keep_requested (event_t *diag, char *const *checks, size_t count)
{
    if (!diag->related_count)
        return;
    heal_strbuf_t dropped = HEAL_STRBUF_INIT (0);
    size_t keep = 0;
    for (size_t i = 0; i < diag->related_count; i++) {
        if (s_requested (checks, count, diag->related [i]))
            diag->related [keep++] = diag->related [i];
        else {
            heal_strbuf_str (&dropped, dropped.len ? ", " : "");
            heal_strbuf_str (&dropped, diag->related [i]);
            free (diag->related [i]);
        }
    }
    diag->related_count = keep;
    if (!dropped.len) {
        heal_strbuf_reset (&dropped);
        return;
    }
    char *names = heal_strbuf_take (&dropped);
    char *note = zsys_sprintf ("%s%sthe model named checks it was not asked about, dropped "
                               "from related: %s", diag->error ? diag->error : "",
                               diag->error ? "; " : "", names ? names : "?");
    if (note)
        event_set_text (&diag->error, note, EVENT_MAX_TEXT);
    zstr_free (&note);
    free (names);
}

int64_t
ollama_prompt_tokens (const char *body, size_t size)
{
    json_error_t jerr;
    json_t *root = body && size ? json_loadb (body, size, 0, &jerr) : NULL;
    json_t *count = json_object_get (root, "prompt_eval_count");
    int64_t n = json_is_integer (count) ? (int64_t) json_integer_value (count) : -1;
    json_decref (root);
    return n;
}

bool
ollama_prompt_truncated (int64_t prompt_tokens, int64_t estimated_tokens, int num_ctx)
{
    if (prompt_tokens < 0 || num_ctx <= 0)
        return false;
    if (prompt_tokens >= num_ctx)
        return true;
    //  Ollama keeps the start and drops about half the window: far fewer
    //  tokens than our (low: chars / 4) estimate of a long prompt
    return estimated_tokens >= num_ctx / 4 && prompt_tokens * 2 < estimated_tokens;
}

//  --------------------------------------------------------------------------
//  HTTP (libheal's client: one per actor, its connection reused)

struct ollama_client_t {
    heal_http_t *http;
    char *url;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    bool allow_remote;          //  the only case a proxy may be used
};

ollama_client_t *
ollama_client_new (const char *url, int64_t connect_timeout_ms, int64_t timeout_ms,
                   bool allow_remote, atomic_int *abort_flag)
{
    ollama_client_t *self = (ollama_client_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->url = strdup (url);
    self->http = heal_http_new (abort_flag);
    if (!self->url || !self->http) {
        if (!self->http)
            zsys_error ("diagnoser: cannot start the HTTP client: %s", heal_http_error_text ());
        ollama_client_destroy (&self);
        return NULL;
    }
    //  strip trailing slashes: paths are appended
    size_t len = strlen (self->url);
    while (len > 0 && self->url [len - 1] == '/')
        self->url [--len] = 0;
    self->connect_timeout_ms = connect_timeout_ms;
    self->timeout_ms = timeout_ms;
    self->allow_remote = allow_remote;
    return self;
}

void
ollama_client_destroy (ollama_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ollama_client_t *self = *self_p;
    heal_http_destroy (&self->http);
    free (self->url);
    free (self);
    *self_p = NULL;
}

//  GET (body NULL) or POST body; see ollama_client_post.
static int
s_request (ollama_client_t *self, const char *path, const char *body, int64_t timeout_ms,
           long *status, char **reply_body, size_t *size, char *err, size_t errlen)
{
    *status = 0;
    *reply_body = NULL;
    *size = 0;
    char url [2048];
    if (snprintf (url, sizeof url, "%s%s", self->url, path) >= (int) sizeof url) {
        snprintf (err, errlen, "ollama: url too long");
        return -1;
    }
    heal_http_request_t request = {
        .url = url, .body = body,
        .connect_timeout_ms = self->connect_timeout_ms, .timeout_ms = timeout_ms,
        .max_body = DIAG_MAX_REPLY,
        .proxy = self->allow_remote,    //  never a proxy unless allow_remote:
                                        //  local-only means the prompt stays here
        .user_agent = "heal-diagnoser/" HEAL_VERSION
    };
    heal_http_reply_t reply;
    if (heal_http_request (self->http, &request, &reply)) {
        if (reply.result == HEAL_HTTP_ERR_TOO_LARGE)
            snprintf (err, errlen, "ollama: reply larger than %d bytes", DIAG_MAX_REPLY);
        else
        if (reply.result == HEAL_HTTP_ERR_TIMEOUT)
            snprintf (err, errlen, "ollama: no answer within %lld ms (%s)",
                      (long long) timeout_ms, reply.error);
        else
        if (reply.result == HEAL_HTTP_ERR_ABORTED)
            snprintf (err, errlen, "ollama: request cancelled (shutting down)");
        else
            snprintf (err, errlen, "ollama: %s: %s", url, reply.error);
        return -1;
    }
    *status = reply.status;
    if (!reply.body) {
        reply.body = strdup ("");
        if (!reply.body) {
            snprintf (err, errlen, "ollama: out of memory");
            return -1;
        }
    }
    *reply_body = reply.body;       //  handed over
    *size = reply.body_len;
    return 0;
}

int
ollama_client_post (ollama_client_t *self, const char *path, const char *body,
                    long *status, char **reply, size_t *size, char *err, size_t errlen)
{
    return s_request (self, path, body ? body : "", self->timeout_ms, status, reply, size,
                      err, errlen);
}

int
ollama_client_get (ollama_client_t *self, const char *path, int64_t timeout_ms,
                   long *status, char **reply, size_t *size, char *err, size_t errlen)
{
    if (timeout_ms <= 0 || timeout_ms > self->timeout_ms)
        timeout_ms = self->timeout_ms;
    return s_request (self, path, NULL, timeout_ms, status, reply, size, err, errlen);
}

int
ollama_model_listed (const char *body, size_t size, const char *model)
{
    json_error_t jerr;
    json_t *root = body && size ? json_loadb (body, size, 0, &jerr) : NULL;
    json_t *models = json_object_get (root, "models");
    int rc = json_is_array (models) ? heal_ollama_listed (models, model) : -1;
    json_decref (root);
    return rc;
}
