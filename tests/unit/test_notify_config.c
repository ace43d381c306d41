//  test_notify_config — selftest of bus/notify_config.c: heal-notify's
//  `notify` section and `destination` blocks, through heal_config_load (as
//  every binary's -n sees them) and notify_config_new.

#include "heal/heal.h"
#include "heal/notify_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"

#define HEAD \
    "agent\n" \
    "    state_dir = \"/tmp/heal-test-state\"\n" \
    "bus\n" \
    "    publish = \"ipc:///tmp/heal-test/bus\"\n" \
    "    inbound = \"ipc:///tmp/heal-test/in\"\n" \
    "control\n" \
    "    endpoint = \"ipc:///tmp/heal-test/ctl\"\n"

static void
s_expect_error (int line, const char *text, const char *expected)
{
    char err [CONFIG_ERROR_MAX] = "";
    char *full = zsys_sprintf ("%s%s", HEAD, text);
    heal_config_t *config = heal_config_load_text (full, "t.conf", err, sizeof err);
    s_checks++;
    if (config || !streq (err, expected)) {
        fprintf (stderr, "test_notify_config:%d: FAILED: expected\n  %s\ngot\n  %s\n",
                 line, expected, config ? "(loaded)" : err);
        s_failed++;
    }
    heal_config_destroy (&config);
    zstr_free (&full);
}
#define EXPECT_ERROR(text, expected) s_expect_error (__LINE__, text, expected)

static void
s_test_errors (void)
{
    EXPECT_ERROR ("destination = phone\n    kind = pager\n",
        "t.conf: destination 'phone': key 'kind': 'pager' is not one of webhook, command, "
        "alertmanager, desktop");
    EXPECT_ERROR ("destination = phone\n    url = \"http://x\"\n",
        "t.conf: destination 'phone': key 'kind': missing (webhook, command, alertmanager "
        "or desktop)");
    EXPECT_ERROR ("destination = phone\n    kind = webhook\n",
        "t.conf: destination 'phone': key 'url': missing (a webhook destination needs it)");
    EXPECT_ERROR ("destination = phone\n    kind = webhook\n    url = \"gopher://tok3n@x\"\n",
        "t.conf: destination 'phone': key 'url': not an http:// or https:// URL of at most "
        "2048 bytes");
    EXPECT_ERROR ("destination = pager\n    kind = command\n    run = \"x\"\n    url = \"http://x\"\n",
        "t.conf: destination 'pager': key 'url': not used by a command destination");
    EXPECT_ERROR ("destination = p\n    kind = webhook\n    url = \"http://x\"\n    format = xml\n",
        "t.conf: destination 'p': key 'format': 'xml' is not one of json, ntfy, slack");
    EXPECT_ERROR ("destination = p\n    kind = webhook\n    url = \"http://x\"\n    on = gave_up, boom\n",
        "t.conf: destination 'p': key 'on': a list of gave_up, critical, recovered, "
        "diagnosis, digest");
    EXPECT_ERROR ("destination = p\n    kind = webhook\n    url = \"http://x\"\n    checks = \"a b!\"\n",
        "t.conf: destination 'p': key 'checks': a list of at most 64 check names "
        "([A-Za-z0-9_-]{1,64})");
    EXPECT_ERROR ("destination = p\n    kind = command\n    run = x\n    timeout = soon\n",
        "t.conf: destination 'p': key 'timeout': 'soon' is not a duration from 1ms to "
        "300s (e.g. 5s, 250ms)");
    EXPECT_ERROR ("destination = p\n    kind = desktop\n    tiemout = 5s\n",
        "t.conf: destination 'p': key 'tiemout': unknown key (did you mean 'timeout'?)");
    EXPECT_ERROR ("destination = p\n    kind = desktop\ndestination = p\n    kind = desktop\n",
        "t.conf: destination 'p': duplicate destination name");
    EXPECT_ERROR ("destination = \"no good\"\n    kind = desktop\n",
        "t.conf: destination 'no good': not a valid destination name ([A-Za-z0-9_-]{1,64})");
    EXPECT_ERROR ("notify\n    group_wait = forever\n",
        "t.conf: notify: key 'group_wait': 'forever' is not a duration from 0ms to 600s "
        "(e.g. 5s, 250ms)");
    EXPECT_ERROR ("notify\n    digest = \"someday 9:00\"\n",
        "t.conf: notify: key 'digest': 'someday 9:00' is not \"off\", \"daily HH:MM\" or "
        "\"mon HH:MM\" (sun..sat)");
    EXPECT_ERROR ("notify\n    grup_wait = 5s\n",
        "t.conf: notify: key 'grup_wait': unknown key (did you mean 'group_wait'?)");
    EXPECT_ERROR ("notify\n    group_wait = 5s\nnotify\n    digest = off\n",
        "t.conf: notify: section given twice: merge them into one");
}

static void
s_test_values (void)
{
    char err [CONFIG_ERROR_MAX] = "";
    heal_config_t *config = heal_config_load_text (HEAD
        "notify\n"
        "    group_wait = 5s\n"
        "    digest = \"mon 09:30\"\n"
        "destination = phone\n"
        "    kind = webhook\n"
        "    url = \"https://ntfy.example/heal\"\n"
        "    format = ntfy\n"
        "    on = gave_up, recovered\n"
        "    checks = redis, ollama\n"
        "destination = pager\n"
        "    kind = command\n"
        "    run = \"/usr/local/bin/page-me\"\n"
        "    timeout = 10s\n"
        "destination = am\n"
        "    kind = alertmanager\n"
        "    url = \"http://127.0.0.1:9093\"\n", "t.conf", err, sizeof err);
    CHECKF (config, "%s", err);
    notify_config_t *notify = config ? notify_config_new (config, err, sizeof err) : NULL;
    CHECKF (notify, "%s", err);
    if (notify) {
        CHECK (notify->group_wait_ms == 5000);
        CHECK (notify->digest_day == 1 && notify->digest_minute == 9 * 60 + 30);
        CHECK (notify->destination_count == 3);
        const notify_destination_t *phone = &notify->destinations [0];
        CHECK (phone->kind == NOTIFY_KIND_WEBHOOK && phone->format == NOTIFY_FORMAT_NTFY);
        CHECK (phone->timeout_ms == NOTIFY_DEFAULT_TIMEOUT_MS);
        CHECK (phone->check_count == 2 && streq (phone->checks [1], "ollama"));
        CHECK (notify_destination_wants (phone, "gave_up", "redis"));
        CHECK (!notify_destination_wants (phone, "gave_up", "disk"));
        CHECK (!notify_destination_wants (phone, "critical", "redis"));
        const notify_destination_t *pager = &notify->destinations [1];
        CHECK (pager->kind == NOTIFY_KIND_COMMAND && pager->timeout_ms == 10000);
        CHECK (pager->on == NOTIFY_ON_ALL);
        CHECK (notify_destination_wants (pager, "digest", NULL));
        CHECK (streq (notify_kind_name (notify->destinations [2].kind), "alertmanager"));
    }
    notify_config_destroy (&notify);
    notify_config_destroy (&notify);        //  NULL-safe
    heal_config_destroy (&config);

    //  none configured: no destinations, digest off, no grouping
    config = heal_config_load_text (HEAD, "t.conf", err, sizeof err);
    notify = config ? notify_config_new (config, err, sizeof err) : NULL;
    CHECK (notify && notify->destination_count == 0 && notify->group_wait_ms == 0
           && notify->digest_day == NOTIFY_DIGEST_OFF);
    notify_config_destroy (&notify);
    heal_config_destroy (&config);
}

int
main (void)
{
    s_test_errors ();
    s_test_values ();
    printf ("test_notify_config: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed ? 1 : 0;
}
