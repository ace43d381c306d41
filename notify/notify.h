//  notify — heal-notify's classes: the subscriber loop (notify.c), the
//  messages it composes (message.c), the on-disk outbox (outbox.c), one
//  delivery worker actor per destination (worker.c), how a message is
//  rendered for each destination kind and format (render.c). HTTP goes
//  through libheal's client (heal/http.h), commands through its runner
//  (heal/command.h).

#ifndef HEAL_NOTIFY_H_INCLUDED
#define HEAL_NOTIFY_H_INCLUDED

#include "heal/heal.h"
#include "heal/notify_config.h"
#include "heal/command.h"

#include <jansson.h>
#include <stdatomic.h>

//  Limits, named once.
#define NOTIFY_OUTBOX_MAX        10000        //  pending messages per destination
#define NOTIFY_OUTBOX_MAX_FILE   (16 * 1024 * 1024)  //  bytes per batch file
#define NOTIFY_SCAN_BATCH        64           //  batch files taken per outbox scan
#define NOTIFY_TRIM_EVERY_MS     100          //  bound check while a destination is down
#define NOTIFY_GROUP_MAX         100          //  alerts per grouped message
#define NOTIFY_BACKOFF_MIN_MS    250          //  first retry delay (doubles)
#define NOTIFY_BACKOFF_MAX_MS    (30 * 1000)  //  retry delay ceiling
#define NOTIFY_RETRY_AFTER_MAX_MS (60 * 60 * 1000)  //  longest Retry-After honoured
#define NOTIFY_HTTP_MAX_REPLY    (64 * 1024)  //  reply bytes read (and discarded)
#define NOTIFY_AM_RESEND_MS      (60 * 1000)  //  Alertmanager: firing alerts resent
#define NOTIFY_MAX_CHECKS        4096         //  per-check memory (remedy, incident)
#define NOTIFY_DIAGNOSIS_FRESH_MS (15 * 60 * 1000)  //  a cached diagnosis joins an alert
#define NOTIFY_MAX_TEXT          4096         //  text of one message, bytes
#define NOTIFY_MAX_ENV           1024         //  bytes per HEAL_* variable
#define NOTIFY_COMMAND_OUTPUT    4096         //  bytes of a command's output kept (first line logged)
#define NOTIFY_BURST             256          //  bus messages read per wake-up

//  --------------------------------------------------------------------------
//  message: bus events -> notifications a person can act on (JSON objects:
//  id, type, alert, host, check, kind, severity, incident, title, text, ...)

#define NOTIFY_AGENT_TIMEOUT_MS 1000        //  the agent's control socket, for the digest
#define NOTIFY_DIGEST_MAX_S     (90 * 86400) //  the agent keeps 90 days of history

typedef struct notify_state_t notify_state_t;

//  Per-check memory (last remedy, open incident, last diagnosis) and the
//  per-publisher seq cursor, persisted in dir/state.json. NULL on error.
notify_state_t *notify_state_new (const char *dir);
void notify_state_destroy (notify_state_t **self_p);
//  Write state.json atomically when something changed. Returns 0 or -1.
int notify_state_save (notify_state_t *self);

//  Feed one event. Returns a new notification (caller owns) when the event
//  is something to tell a person, else NULL. *what is set to the `on` word
//  ("gave_up", "critical", "recovered", "diagnosis") of the result.
json_t *notify_state_feed (notify_state_t *self, const event_t *event, const char **what);

//  The digest: heal's summary of a day or a week (digest.c), tallied from
//  what heal-notify hears. Due at the next NOTIFY_DIGEST_* day/minute after
//  the last one sent; notify_state_digest builds the item (caller owns) and
//  starts a new period. notify_state_digest_sent: when the last one went
//  out (set to now the first time, so a first start sends none at once).
//  history: the agent's `history` reply for the period (borrowed), or NULL:
//  the tallies heal-notify heard itself are used. notify_state_digest_since:
//  when the period started (0: not yet).
//  Before notify_state_feed: follow the publisher's seq. A gap (or its
//  restart) returns {host, source, from_ts, to_ts} (caller owns): what to
//  catch up on from the agent's history; else NULL.
json_t *notify_state_track (notify_state_t *self, const event_t *event);
//  An alert recovered from the agent's history: the message, as
//  notify_state_feed would make it (no seq tracking, no digest tally).
json_t *notify_state_feed_missed (notify_state_t *self, const event_t *event,
                                  const char **what);
json_t *notify_state_digest (notify_state_t *self, const char *host, int64_t now_ms,
                             json_t *history);
int64_t notify_state_digest_since (notify_state_t *self);
int64_t notify_state_digest_sent (notify_state_t *self);

//  digest.c on the "digest" object of the state: tally one event (true when
//  it changed), the wall time (ms) of the next digest after after_ms (-1
//  when off), and the digest item (new reference; resets the tallies).
bool digest_feed (json_t *digest, const event_t *event);
int64_t digest_next_due (int day, int minute, int64_t after_ms);
json_t *digest_build (json_t *digest, const char *host, int64_t now_ms, json_t *history);

//  agent_client.c: one control request to the agent (config's control
//  endpoint, CURVE when configured); the reply's data (new reference), or
//  NULL when the agent did not answer in time, refused or answered garbage.
json_t *notify_agent_request (const heal_config_t *config, const char *cmd,
                              const char *const *args, size_t argc, int64_t timeout_ms);

//  --------------------------------------------------------------------------
//  outbox: pending messages of one destination, on disk. The main thread adds
//  the messages of a burst and commits them as one batch file (one fsync per
//  burst, not per message); the destination's worker delivers a batch's
//  messages in order, records its progress beside it, and removes it.

typedef struct outbox_t outbox_t;

outbox_t *outbox_new (const char *dir);         //  creates dir 0700
void outbox_destroy (outbox_t **self_p);
//  Queue one message (a copy is kept) for the next commit. Returns 0 or -1.
int outbox_add (outbox_t *self, const json_t *message);
//  Write what was added as one batch file (temp, rename): from here on a
//  crash of this process loses none of it. Returns 0 (also when nothing was
//  added) or -1 (logged). Then outbox_sync: fsync of the file and the
//  directory, so a crash of the machine loses none of it either.
int outbox_commit (outbox_t *self);
void outbox_sync (outbox_t *self);
const char *outbox_dir (outbox_t *self);

//  Worker side. The batch files, oldest first (zlist of owned names), at most
//  max; first drops the oldest batches while more than NOTIFY_OUTBOX_MAX
//  messages are pending, adding them to the dropped counter.
zlist_t *outbox_scan (const char *dir, size_t max);
//  A batch's messages (array, caller owns) or NULL when unreadable (then
//  removed and logged). *done: how many of them were already delivered.
json_t *outbox_load (const char *dir, const char *name, size_t *done);
//  Record that the first done messages of a batch were delivered.
void outbox_progress (const char *dir, const char *name, size_t done);
void outbox_remove (const char *dir, const char *name);
//  Messages dropped because the outbox was full, not yet reported.
uint64_t outbox_dropped (const char *dir);
void outbox_dropped_reset (const char *dir);
//  Messages pending in dir (for tests and the log).
size_t outbox_pending (const char *dir);

//  --------------------------------------------------------------------------
//  worker: one actor per destination. Args: a worker_args_t (copied).

typedef struct {
    const notify_destination_t *dest;   //  borrowed: outlives the actor
    const char *dir;                    //  the destination's outbox
    const char *path;                   //  PATH for commands
    atomic_int *abort_flag;             //  set at shutdown: stop a transfer
    bool verbose;
} worker_args_t;

void worker_actor (zsock_t *pipe, void *args);

//  Tell a worker that its outbox has something new (never blocks).
void worker_wake (zactor_t *worker);

//  --------------------------------------------------------------------------
//  render: a stored message -> what one destination receives.

typedef struct {
    char *body;             //  owned
    size_t size;
    char *headers [6];      //  owned "Name: value" strings, NULL-terminated
} render_t;

//  The title and text of a message (one or many items); owned strings.
char *render_title (const json_t *message);
char *render_text (const json_t *message);
//  Webhook body in format (json, ntfy, slack). Returns 0 or -1.
int render_webhook (const json_t *message, notify_format_t format, const char *token,
                    render_t *out);
void render_free (render_t *out);

//  Alertmanager: one alert object for an item (labels, annotations,
//  startsAt, endsAt). resolved sets endsAt to the item's time. New reference.
json_t *render_am_alert (const json_t *item, bool resolved, int64_t now_ms);

//  "4m12s" for a duration (into buf).
void render_duration (int64_t ms, char *buf, size_t size);

#endif
