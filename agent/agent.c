//  agent — heal-agent's engine: construction, reload and the main thread's
//  loop (zmq_poll over the control ROUTER, the inbound PULL, the workers'
//  pipes, the exit watches and the signal pipe). See docs/agent.md.
//
//  Threads: the main thread owns every socket but the workers' ends of
//  their pipes, and all agent state. What a run does is in runs.c, the
//  worker actors in worker.c, what a result means in outcome.c, when things
//  run in scheduler.c.

#include "agent_impl.h"
#include "heal/command.h"
#include "control_server.h"
#include "generation.h"
#include "platform.h"
#include "report.h"
#include "runs.h"
#include "incidents.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

//  ---------------------------------------------------------------------
//  Signals: a handler may only write(2), so SIGTERM/SIGINT/SIGHUP wake the
//  loop through a pipe (the only one: everything else is a zmq socket).

static volatile sig_atomic_t s_sig_stop = 0;
static volatile sig_atomic_t s_sig_reload = 0;
static int s_sig_fds [2] = { -1, -1 };

static void
s_signal_handler (int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        s_sig_reload = 1;
    else
        s_sig_stop = 1;
    if (s_sig_fds [1] >= 0) {
        ssize_t rc = write (s_sig_fds [1], "s", 1);
        (void) rc;
    }
    errno = saved;
}

static int
s_signals_install (void)
{
    if (s_sig_fds [0] < 0) {
        if (pipe (s_sig_fds)) {
            zsys_error ("agent: pipe: %s", strerror (errno));
            return -1;
        }
        for (int i = 0; i < 2; i++) {
            fcntl (s_sig_fds [i], F_SETFL, fcntl (s_sig_fds [i], F_GETFL) | O_NONBLOCK);
            fcntl (s_sig_fds [i], F_SETFD, FD_CLOEXEC);
        }
    }
    zsys_handler_set (NULL);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_signal_handler;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    return 0;
}

static void
s_signals_drain (void)
{
    char buf [64];
    while (read (s_sig_fds [0], buf, sizeof buf) > 0)
        ;
}

int
agent_validate (const char *config_file, char *err, size_t errlen)
{
    err [0] = 0;
    char *file = heal_config_locate (config_file);
    agent_gen_t *gen = generation_load (file, err, errlen);
    free (file);
    if (!gen)
        return CONFIG_EXIT_INVALID;
    //  The same refusals as agent_new: endpoints, keys, state dir.
    int rc = heal_preflight (gen->config, HEAL_USE_AGENT, err, errlen)
           ? CONFIG_EXIT_INVALID : 0;
    generation_unref (&gen);
    return rc;
}

//  ---------------------------------------------------------------------
//  Checks' runtime table

static int64_t
s_interval (const agent_gen_t *gen, const heal_check_config_t *cfg)
{
    if (cfg && cfg->interval_ms > 0)
        return cfg->interval_ms;
    return gen->config->interval_ms > 0? gen->config->interval_ms
                                       : CONFIG_DEFAULT_INTERVAL_MS;
}

static void
s_check_init (agent_check_t *check, const heal_check_config_t *cfg, size_t index)
{
    memset (check, 0, sizeof *check);
    snprintf (check->name, sizeof check->name, "%s", cfg->name);
    check->cfg = cfg;
    check->index = index;
    check->present = true;
    check->health.severity = SEVERITY_OK;
}

static void
s_check_free (agent_check_t *check)
{
    json_decref (check->last);
    check->last = NULL;
    free (check->last_remedy_result);
    check->last_remedy_result = NULL;
    remedy_budget_free (&check->health.budget);
    free (check->last_remedy_output);
    check->last_remedy_output = NULL;
    status_cache_free (&check->status);
}

agent_check_t *
agent_check_find (agent_t *self, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < self->check_count; i++)
        if (streq (self->checks [i].name, name))
            return &self->checks [i];
    return NULL;
}

//  ---------------------------------------------------------------------
//  Publishing

//  agent/redact: credentials out of what goes on the bus (heal/redact.h).
//  Only events built here (not a decoded block, whose strings are borrowed).
static void
s_redact (agent_t *self, event_t *event)
{
    if (!self->gen || !self->gen->config->redact || event->block_size
    ||  (event->type != EVENT_CHECK && event->type != EVENT_ALERT))
        return;
    if (!self->redactor) {
        char err [256];
        self->redactor = heal_redactor_new (NULL, 0, true, err, sizeof err);
        if (!self->redactor)
            return;
    }
    char *clean = heal_redact (self->redactor, event->message);
    if (clean) {
        free (event->message);
        event->message = clean;
    }
    heal_redact_lines (self->redactor, event->evidence, event->evidence_count);
    if (event->remedy && (clean = heal_redact (self->redactor, event->remedy->output))) {
        free (event->remedy->output);
        event->remedy->output = clean;
    }
}

void
agent_publish_borrowed (agent_t *self, event_t *event)
{
    s_redact (self, event);
    if (!event->ts)
        event->ts = event_now_ms ();
    if (!event->host)
        event_set_string (&event->host, heal_hostname (), EVENT_MAX_SHORT);
    if (!event->source)
        event_set_string (&event->source, "heal-agent", EVENT_MAX_SHORT);
    if (self->pub)
        bus_publisher_send (self->pub, event);
}

void
agent_publish (agent_t *self, event_t **event_p)
{
    if (!event_p || !*event_p)
        return;
    agent_publish_borrowed (self, *event_p);
    event_destroy (event_p);
}

void
agent_publish_agent (agent_t *self, const char *what, const char *message)
{
    event_t *event = event_new (EVENT_AGENT);
    if (!event)
        return;
    event_set_string (&event->event, what, EVENT_MAX_SHORT);
    event_set_string (&event->version, HEAL_VERSION, EVENT_MAX_SHORT);
    event->pid = (int64_t) getpid ();
    if (message)
        event_set_string (&event->message, message, EVENT_MAX_MESSAGE);
    event->cycle = self->sched.cycle;
    agent_publish (self, &event);
}

void
agent_state_changed (agent_t *self, bool now)
{
    self->state_dirty = true;
    if (now)
        state_save (self);
    else
    if (!self->state_flush_at)
        self->state_flush_at = heal_monotonic_ms () + AGENT_STATE_FLUSH_MS;
}

//  ---------------------------------------------------------------------
//  Construction, reload

static int
s_paths (agent_t *self)
{
    const char *dir = self->gen->config->state_dir;
    if (!dir)
        return -1;
    char why [512];
    if (heal_state_dir_check (dir, true, why, sizeof why)) {
        zsys_error ("agent: state dir refused: %s", why);
        return -1;
    }
    self->state_path = zsys_sprintf ("%s/state.json", dir);
    self->report_path = zsys_sprintf ("%s/report.json", dir);
    self->incidents_path = zsys_sprintf ("%s/incidents.jsonl", dir);
    return 0;
}

//  The runtime table for gen: checks keep their state across a reload by name.
static int
s_checks_build (agent_t *self, agent_gen_t *gen)
{
    size_t n = gen->config->check_count;
    agent_check_t *checks = (agent_check_t *) calloc (n? n: 1, sizeof (agent_check_t));
    if (!checks)
        return -1;
    int64_t mono = heal_monotonic_ms ();
    for (size_t i = 0; i < n; i++) {
        const heal_check_config_t *cfg = &gen->config->checks [i];
        agent_check_t *old = agent_check_find (self, cfg->name);
        if (old && old->present) {
            //  A run of the old generation still out keeps going: its result
            //  still describes this check.
            checks [i] = *old;
            checks [i].cfg = cfg;
            checks [i].index = i;
            old->present = false;       //  moved
            old->last = NULL;
            old->last_remedy_result = NULL;
            old->health.budget.attempts = NULL;     //  moved too
            old->health.budget.cap = 0;
            old->last_remedy_output = NULL;
            old->status.data = NULL;
            old->watch_pid = 0;         //  the watch moved with checks [i]
        }
        else {
            s_check_init (&checks [i], cfg, i);
            checks [i].slot.next_due = mono;
        }
        checks [i].slot.interval_ms = s_interval (gen, cfg);
    }
    //  Checks that disappeared: their jobs' results will be discarded.
    for (size_t i = 0; i < self->check_count; i++) {
        if (self->checks [i].present) {
            if (self->checks [i].job)
                self->checks [i].job->abandoned = true;
            if (self->checks [i].watch_pid)
                platform_watches_remove (self->watches, (int) self->checks [i].watch_pid);
            s_check_free (&self->checks [i]);
        }
    }
    free (self->checks);
    self->checks = checks;
    self->check_count = n;
    //  A queued name that is gone is skipped when its turn comes.
    return 0;
}

int
agent_reload (agent_t *self, char *err, size_t errlen)
{
    err [0] = 0;
    agent_gen_t *gen = generation_load (self->config_file, err, errlen);
    if (!gen) {
        zsys_error ("agent: reload failed, keeping the running config: %s", err);
        agent_publish_agent (self, "reload_failed", err);
        return -1;
    }
    agent_gen_t *old = self->gen;
    self->gen = gen;
    if (s_checks_build (self, gen)) {
        self->gen = old;
        generation_unref (&gen);
        snprintf (err, errlen, "out of memory");
        agent_publish_agent (self, "reload_failed", err);
        return -1;
    }
    generation_unref (&old);
    incidents_reload (self, event_now_ms ());
    //  Pending `run` requests may wait for checks that are gone.
    control_server_result (self, NULL);
    scheduler_reload (&self->sched, s_interval (self->gen, NULL),
                      scheduler_now (&self->sched));
    zsys_info ("agent: reloaded %s (%zu checks)",
               self->config_file? self->config_file: "built-in defaults", self->check_count);
    agent_publish_agent (self, "reloaded", NULL);
    runs_waiting_go (self);
    runs_cycle_maybe_end (self);
    agent_state_changed (self, true);
    return 0;
}

//  The sockets: the bus publisher, and unless --once the inbound PULL and
//  the control ROUTER. 0, or -1 with err.
static int
s_sockets (agent_t *self, char *err, size_t errlen)
{
    const heal_config_t *config = self->gen->config;
    self->security = heal_security_new (config, err, errlen);
    if (!self->security) {
        if (!*err)
            snprintf (err, errlen, "cannot set up socket security");
        return -1;
    }
    self->pub = bus_publisher_new_secure (config->publish, "heal-agent", self->security);
    if (!self->pub && !self->options.once) {
        snprintf (err, errlen, "cannot bind the bus on %s", config->publish);
        return -1;
    }
    if (self->options.once)
        return 0;
    self->inbound = bus_inbound_new_secure (config->inbound, self->security);
    if (!self->inbound) {
        snprintf (err, errlen, "cannot bind the inbound socket on %s", config->inbound);
        return -1;
    }
    self->control = zsock_new (ZMQ_ROUTER);
    if (!self->control) {
        snprintf (err, errlen, "cannot create the control socket");
        return -1;
    }
    zsock_set_maxmsgsize (self->control, AGENT_CONTROL_MAX_MSG);
    zsock_set_linger (self->control, 0);
    zsock_set_sndhwm (self->control, AGENT_CONTROL_SNDHWM);
    //  A full client queue makes the send fail (counted), not drop silently.
    zsock_set_router_mandatory (self->control, 1);
    char why [512] = "";
    if (heal_secure_bind (self->security, self->control, config->control,
                          why, sizeof why)) {
        snprintf (err, errlen, "cannot bind the control socket on %s: %s",
                  config->control, why);
        return -1;
    }
    return 0;
}

//  The state dir is one agent's: before reading or writing anything in it or
//  binding a socket, take its lock. 0, or -1 with err and *exit_code.
static int
s_lock (agent_t *self, char *err, size_t errlen, int *exit_code)
{
    const char *dir = self->gen->config->state_dir;
    int holder = 0;
    self->lock = statelock_new (dir, &holder);
    if (self->lock)
        return 0;
    if (errno != EWOULDBLOCK) {
        snprintf (err, errlen, "cannot lock state dir %s (%s/%s): %s", dir, dir,
                  STATELOCK_FILE, strerror (errno));
        return -1;
    }
    char who [32] = "";
    if (holder > 0)
        snprintf (who, sizeof who, " (pid %d)", holder);
    *exit_code = HEAL_EX_TEMPFAIL;
    if (self->options.once)
        snprintf (err, errlen, "another heal-agent%s is running on state dir %s: "
                  "--once would rewrite its report and state; `healctl run` runs "
                  "every check in it now (or use -c with another state_dir)",
                  who, dir);
    else
        snprintf (err, errlen, "another heal-agent%s is running on state dir %s",
                  who, dir);
    return -1;
}

agent_t *
agent_new (const agent_options_t *options, char *err, size_t errlen, int *exit_code)
{
    err [0] = 0;
    *exit_code = HEAL_EX_SOFTWARE;
    agent_t *self = (agent_t *) zmalloc (sizeof (agent_t));
    if (!self)
        return NULL;
    self->options = *options;
    self->once_exit = -1;
    command_stop_checks (false);        //  agent_destroy stops them
    self->started = event_now_ms ();
    self->config_file = heal_config_locate (options->config_file);
    self->options.config_file = self->config_file;
    self->gen = generation_load (self->config_file, err, errlen);
    if (!self->gen
    ||  heal_preflight (self->gen->config, HEAL_USE_AGENT, err, errlen)) {
        *exit_code = CONFIG_EXIT_INVALID;
        goto fail;
    }
    //  Subscribers that connected before we bound reconnect within ZeroMQ's
    //  reconnect interval (100 ms): give them a moment before "started" and
    //  the first cycle (the loop already answers healctl meanwhile).
    scheduler_init (&self->sched, heal_monotonic_ms, s_interval (self->gen, NULL),
                    options->once? 0: AGENT_START_GRACE_MS);
    if (s_checks_build (self, self->gen)) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    if (s_paths (self)) {
        snprintf (err, errlen, "cannot use state dir %s",
                  self->gen->config->state_dir? self->gen->config->state_dir: "(none)");
        goto fail;
    }
    if (s_lock (self, err, errlen, exit_code))
        goto fail;
    self->queue = zlistx_new ();
    if (self->queue) {
        zlistx_set_duplicator (self->queue, (zlistx_duplicator_fn *) strdup);
        zlistx_set_destructor (self->queue, (zlistx_destructor_fn *) zstr_free);
    }
    self->pendings = zlistx_new ();
    self->workers = worker_pool_new (AGENT_MAX_WORKERS);
    self->watches = platform_watches_new ();        //  NULL: intervals only
    if (!self->queue || !self->pendings || !self->workers) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    state_load (self);
    incidents_start (self);
    if (s_sockets (self, err, errlen))
        goto fail;
    return self;
fail:
    agent_destroy (&self);
    return NULL;
}

void
agent_destroy (agent_t **self_p)
{
    agent_t *self = *self_p;
    if (!self)
        return;
    //  Workers still out: wait a little for them (their kinds honour the
    //  deadline); a worker past that is left behind and the process exits.
    self->stopping = true;
    //  Check commands still running are ended (their whole process group);
    //  remedies are left to finish: what they start must outlive us. A run
    //  cut short says nothing about its service: its result is discarded,
    //  not published or saved as `unknown`.
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].present && self->checks [i].job)
            self->checks [i].job->abandoned = true;
    command_stop_checks (true);
    size_t stuck = worker_pool_destroy (&self->workers, AGENT_STOP_GRACE_MS,
                                        &runs_handlers, self);
    if (self->pendings)
        control_server_destroy_pendings (self);
    zlistx_destroy (&self->pendings);
    zlistx_destroy (&self->queue);
    for (size_t i = 0; i < self->check_count; i++)
        if (self->checks [i].present)
            s_check_free (&self->checks [i]);
    free (self->checks);
    platform_watches_destroy (&self->watches);
    zsock_destroy (&self->control);
    //  Give the last events ("stopping") a moment to reach the subscribers.
    if (self->pub)
        zsock_set_linger (bus_publisher_sock (self->pub), 200);
    bus_inbound_destroy (&self->inbound);
    bus_publisher_destroy (&self->pub);
    heal_security_destroy (&self->security);
    if (!stuck)
        generation_unref (&self->gen);
    else
        zsys_warning ("agent: %zu worker(s) did not return; exiting anyway", stuck);
    json_decref (self->diagnosis);
    json_decref (self->last_cycle);
    incidents_destroy (self);
    free (self->config_file);
    heal_redactor_destroy (&self->redactor);
    free (self->state_path);
    free (self->report_path);
    free (self->incidents_path);
    statelock_destroy (&self->lock);    //  last: everything is saved
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  The loop

static void
s_inbound_handle (agent_t *self)
{
    zsock_t *sock = bus_inbound_sock (self->inbound);
    for (int n = 0; n < 1000 && (zsock_events (sock) & ZMQ_POLLIN); n++) {
        event_t *decoded = NULL;
        if (bus_inbound_forward (self->inbound, self->pub, &decoded) == 0 && decoded) {
            if (decoded->type == EVENT_DIAGNOSIS) {
                json_decref (self->diagnosis);
                self->diagnosis = event_to_json (decoded);
            }
        }
        event_destroy (&decoded);
    }
}

//  Start what is due at mono: the first cycle, a cycle, checks due between
//  cycles, timeouts, the state flush, a report after `run`.
static void
s_tick (agent_t *self, int64_t mono)
{
    bool repeat = !self->options.once;
    scheduler_tick_t tick = scheduler_tick (&self->sched, mono, repeat);
    if (tick == SCHEDULER_FIRST) {
        agent_publish_agent (self, "started", NULL);
        zsys_info ("agent: started: %zu checks, config %s, state %s", self->check_count,
                   self->config_file? self->config_file: "built-in defaults",
                   self->gen->config->state_dir);
        runs_cycle_start (self, true);
    }
    else
    if (tick == SCHEDULER_CYCLE)
        runs_cycle_start (self, false);
    if (self->sched.started && repeat)
        runs_due (self, mono);
    runs_timeouts (self, mono);
    bus_inbound_log_flush (self->inbound);
    if (self->state_flush_at && mono >= self->state_flush_at) {
        self->state_flush_at = 0;
        if (self->state_dirty)
            state_save (self);
    }
    if (self->report_after_run) {
        self->report_after_run = false;
        report_write (self);
    }
}

//  How long the loop may sleep after mono (a zmq_poll timeout).
static long
s_sleep (agent_t *self, int64_t mono)
{
    bool repeat = self->sched.started && !self->options.once;
    int64_t wake = scheduler_wake (&self->sched, !self->options.once);
    for (size_t i = 0; i < self->check_count; i++) {
        const agent_check_t *check = &self->checks [i];
        bool idle = check->present && !runs_busy (check) && !check->job;
        wake = scheduler_wake_slot (wake, &check->slot, idle, repeat);
    }
    if (self->state_flush_at && self->state_flush_at < wake)
        wake = self->state_flush_at;
    return scheduler_timeout (wake, mono);
}

int
agent_run (agent_t *self)
{
    if (s_signals_install ())
        return HEAL_EX_SOFTWARE;
    zmq_pollitem_t *items = NULL;
    size_t items_max = 0;
    int rc = 0;
    while (!s_sig_stop) {
        if (self->options.once && self->once_exit >= 0)
            break;
        if (s_sig_reload) {
            s_sig_reload = 0;
            char err [CONFIG_ERROR_MAX];
            agent_reload (self, err, sizeof err);
        }
        int64_t mono = scheduler_now (&self->sched);
        s_tick (self, mono);
        if (self->options.once && self->once_exit >= 0)
            break;
        long timeout = s_sleep (self, mono);

        //  Sockets and fds to watch.
        size_t need = 3 + worker_pool_poll_max (self->workers) + self->check_count;
        if (need > items_max) {
            zmq_pollitem_t *grown = (zmq_pollitem_t *) realloc (items, need * sizeof *items);
            if (!grown) {
                rc = HEAL_EX_SOFTWARE;
                break;
            }
            items = grown;
            items_max = need;
        }
        size_t n = 0;
        items [n++] = (zmq_pollitem_t) { NULL, s_sig_fds [0], ZMQ_POLLIN, 0 };
        if (self->control)
            items [n++] = (zmq_pollitem_t) { zsock_resolve (self->control), 0, ZMQ_POLLIN, 0 };
        if (self->inbound)
            items [n++] = (zmq_pollitem_t) { zsock_resolve (bus_inbound_sock (self->inbound)),
                                             0, ZMQ_POLLIN, 0 };
        n += worker_pool_poll_items (self->workers, items + n, items_max - n);
        size_t first_watch = n;
        if (self->watches && platform_watches_count (self->watches))
            items [n++] = (zmq_pollitem_t) { NULL, platform_watches_fd (self->watches),
                                             ZMQ_POLLIN, 0 };

        int polled = zmq_poll (items, (int) n, timeout);
        if (polled < 0) {
            if (zmq_errno () == EINTR)
                continue;
            zsys_error ("agent: poll: %s", zmq_strerror (zmq_errno ()));
            rc = HEAL_EX_SOFTWARE;
            break;
        }
        if (polled == 0)
            continue;
        if (items [0].revents & ZMQ_POLLIN)
            s_signals_drain ();
        worker_pool_drain (self->workers, &runs_handlers, self);
        if (self->control)
            control_server_handle (self);
        if (self->inbound)
            s_inbound_handle (self);
        if (first_watch < n && (items [first_watch].revents & (ZMQ_POLLIN | ZMQ_POLLERR))) {
            int pid;
            while ((pid = platform_watches_next (self->watches)) > 0) {
                for (size_t i = 0; i < self->check_count; i++) {
                    agent_check_t *check = &self->checks [i];
                    if (!check->present || check->watch_pid != pid)
                        continue;
                    runs_watch_fired (self, check);
                    break;
                }
            }
        }
    }
    free (items);
    if (self->options.once && rc == 0)
        rc = self->once_exit < 0? 3: self->once_exit;   //  3: interrupted first
    //  Stop: tell the bus, keep the state.
    agent_publish_agent (self, "stopping", NULL);
    if (self->state_dirty || incidents_unsaved (self))
        state_save (self);
    zsys_info ("agent: stopping");
    return rc;
}
