//  actor — heal-diagnoser's Ollama actor (diagnoser.h): the thread that owns
//  the HTTP client (one libcurl handle, its connection reused) and does the
//  blocking requests, so the main thread keeps serving the bus. Receives
//  [CHAT, id, body, estimated prompt tokens]; answers [RESULT, id, event_t *]
//  with the diagnosis fields or `error` set (a note when the model saw a
//  truncated prompt).

#include "diagnoser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


//  Say at once when the model is not there (an operator reads the log at
//  start): only a warning, the diagnoser works without it.
static void
s_probe (ollama_client_t *client, const diag_actor_args_t *args)
{
    long status = 0;
    char *reply = NULL;
    size_t size = 0;
    char err [EVENT_MAX_TEXT] = "";
    if (ollama_client_get (client, "/api/tags", DIAG_PROBE_TIMEOUT_MS, &status, &reply, &size,
                           err, sizeof err))
        zsys_warning ("diagnoser: Ollama not reachable yet (%s); will try at each diagnosis", err);
    else
    if (status != 200 || ollama_model_listed (reply, size, args->model) < 0)
        zsys_warning ("diagnoser: %s/api/tags answered HTTP %ld, not a model list",
                      args->url, status);
    else
    if (ollama_model_listed (reply, size, args->model) == 0)
        zsys_warning ("diagnoser: model %s is not pulled: run `ollama pull %s`",
                      args->model, args->model);
    free (reply);
}

void
diag_actor (zsock_t *pipe, void *args_)
{
    diag_actor_args_t *args = (diag_actor_args_t *) args_;
    ollama_client_t *client = ollama_client_new (args->url, args->connect_timeout_ms,
                                                 args->timeout_ms, args->allow_remote,
                                                 args->abort_flag);
    zsock_signal (pipe, client ? 0 : 1);
    if (!client)
        return;
    s_probe (client, args);
    while (true) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;              //  interrupted
        char *cmd = zmsg_popstr (msg);
        if (!cmd || streq (cmd, "$TERM")) {
            zstr_free (&cmd);
            zmsg_destroy (&msg);
            break;
        }
        if (streq (cmd, "CHAT") && zmsg_size (msg) == 3) {
            char *id = zmsg_popstr (msg);
            char *body = zmsg_popstr (msg);
            char *estimate = zmsg_popstr (msg);
            event_t *result = event_new (EVENT_DIAGNOSIS);
            if (result && id && body) {
                char err [EVENT_MAX_TEXT] = "";
                long status = 0;
                char *reply = NULL;
                size_t size = 0;
                int64_t start = heal_monotonic_ms ();
                int rc = ollama_client_post (client, "/api/chat", body, &status, &reply,
                                             &size, err, sizeof err);
                if (rc == 0)
                    rc = ollama_parse_reply (status, reply, size, result, err, sizeof err);
                //  Ollama cuts a prompt over num_ctx silently: say so
                int64_t seen = rc == 0 ? ollama_prompt_tokens (reply, size) : -1;
                int64_t estimated = estimate ? strtoll (estimate, NULL, 10) : 0;
                if (rc == 0 && ollama_prompt_truncated (seen, estimated, args->num_ctx)) {
                    size_t used = strlen (err);
                    snprintf (err + used, sizeof err - used,
                              "%sthe model saw a truncated prompt: prompt_eval_count %lld of "
                              "num_ctx %d (about %lld tokens were sent)", used ? "; " : "",
                              (long long) seen, args->num_ctx, (long long) estimated);
                }
                result->latency_ms = heal_monotonic_ms () - start;
                if (err [0])
                    event_set_string (&result->error, err, EVENT_MAX_TEXT);
                free (reply);
            }
            zsock_send (pipe, "ssp", "RESULT", id ? id : "0", (void *) result);
            zstr_free (&id);
            zstr_free (&body);
            zstr_free (&estimate);
        }
        zstr_free (&cmd);
        zmsg_destroy (&msg);
    }
    ollama_client_destroy (&client);
}
