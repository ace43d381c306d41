//  test_prompt — the diagnoser's prompt, redaction, fingerprint, Ollama
//  request/reply handling and settings, without a network.

#include "../../diagnoser/diagnoser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"



static bool
s_has (const char *text, const char *needle)
{
    return text && needle && strstr (text, needle) != NULL;
}

static event_t *
s_check_event (const char *name, const char *message, int evidence_lines, size_t evidence_len)
{
    event_t *e = event_new (EVENT_CHECK);
    event_set_string (&e->check, name, EVENT_MAX_NAME);
    event_set_string (&e->kind, "command", EVENT_MAX_SHORT);
    event_set_string (&e->message, message, EVENT_MAX_MESSAGE);
    e->critical = true;
    e->severity = SEVERITY_CRITICAL;
    e->streak = 3;
    char line [EVENT_MAX_EVIDENCE_LEN + 1];
    for (int i = 0; i < evidence_lines; i++) {
        size_t n = evidence_len < sizeof line - 1 ? evidence_len : sizeof line - 1;
        int p = snprintf (line, sizeof line, "ev%02d-%s-", i, name);
        for (size_t k = (size_t) p; k < n; k++)
            line [k] = (char) ('a' + (k % 26));
        line [n > (size_t) p ? n : (size_t) p] = 0;
        event_add_evidence (e, line);
    }
    return e;
}

//  --------------------------------------------------------------------------

static void
test_redaction (void)
{
    char err [512] = "";
    heal_redactor_t *r = heal_redactor_new (NULL, 0, true, err, sizeof err);
    CHECK (r);
    struct { const char *in, *out; } cases [] = {
        { "login failed password=hunter2 user=bob", "login failed password=[redacted] user=bob" },
        { "api_key: \"abc def\" end", "api_key: [redacted] end" },
        { "Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer [redacted]" },
        { "GET https://joe:s3cret@example.com/x", "GET https://joe:[redacted]@example.com/x" },
        { "key AKIAABCDEFGHIJKLMNOP used", "key [redacted] used" },
        { "tok ghp_abcdefghijklmnopqrstuvwxyz0123", "tok [redacted]" },
        { "disk / is 97% full", "disk / is 97% full" },
        { "token expired at 10:00", "token expired at 10:00" },
        { "env DB_PASSWORD=hunter2 x", "env DB_PASSWORD=[redacted] x" },
        { "mysql_root_password: 'a b'", "mysql_root_password: [redacted]" },
        //  issue 18: the shapes that reached the prompt, and their class
        { "mysql -uroot -pSECRET db", "mysql -uroot -p[redacted] db" },
        { "mysqldump -pHunter2x --all", "mysqldump -p[redacted] --all" },
        { "login password SECRET rejected", "login password [redacted] rejected" },
        { "client --password SECRET -h db", "client --password [redacted] -h db" },
        { "client --api-token abc.def -v", "client --api-token [redacted] -v" },
        { "client --password=SECRET", "client --password=[redacted]" },
        { "pass token 4f9a8b7c6d", "pass token [redacted]" },
        { "password incorrect for bob", "password incorrect for bob" },
        { "stripe sk_live_51HxAbCdEfGhIjKlMnOp failed", "stripe [redacted] failed" },
        { "rk_test_abcdefghijklmnop", "[redacted]" },
        { "maps AIzaSyA1bCdEfGhIjKlMnOpQrStUvWxYz012345 denied", "maps [redacted] denied" },
        { "POST https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX: 404",
          "POST https://hooks.slack.com/services/[redacted]: 404" },
        { "https://discord.com/api/webhooks/123/abcDEF-ghi", "https://discord.com/api/webhooks/[redacted]" },
        { "GET /cb?code=1&sig=abcdef&x=1", "GET /cb?code=1&sig=[redacted]&x=1" },
        { "redis://:p4ss@127.0.0.1:6379", "redis://:[redacted]@127.0.0.1:6379" },
        { "amqp://app:s3cr3t@mq/vhost", "amqp://app:[redacted]@mq/vhost" },
        { "glpat-abcdefghijklmnopqrstu ok", "[redacted] ok" },
        { "hf_abcdefghijklmnopqrstuvwxyz used", "[redacted] used" },
        { "key -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabcd\n-----END RSA PRIVATE KEY----- end",
          "key [redacted] end" },
        { "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk", "[redacted]" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char *out = heal_redact (r, cases [i].in);
        if (!out || strcmp (out, cases [i].out)) {
            fprintf (stderr, "test_prompt: redact '%s' gave '%s', want '%s'\n",
                     cases [i].in, out ? out : "(null)", cases [i].out);
            s_failed++;
        }
        free (out);
    }
    heal_redactor_destroy (&r);
    CHECK (r == NULL);

    //  operator patterns; defaults off
    char *patterns [] = { (char *) "[0-9]{3}-[0-9]{4}", (char *) "(?i)customer-[a-z]+" };
    r = heal_redactor_new (patterns, 2, false, err, sizeof err);
    CHECK (r);
    char *out = heal_redact (r, "call 555-1234 for Customer-Acme, password=x");
    CHECK (out && streq (out, "call [redacted] for [redacted], password=x"));
    free (out);
    CHECK (heal_redact (r, NULL) == NULL);
    heal_redactor_destroy (&r);

    //  a bad pattern is refused with a reason
    char *bad [] = { (char *) "(unclosed" };
    r = heal_redactor_new (bad, 1, true, err, sizeof err);
    CHECK (r == NULL);
    CHECK (s_has (err, "(unclosed"));
    CHECK (heal_redact_default_count () >= 5);
}

static void
test_symptom (void)
{
    char err [256];
    heal_redactor_t *r = heal_redactor_new (NULL, 0, true, err, sizeof err);
    event_t *e = s_check_event ("db", "auth failed password=topsecret", 0, 0);
    event_add_evidence (e, "connecting with token=abcdef123");
    e->remedy = (event_remedy_t *) calloc (1, sizeof *e->remedy);
    event_set_string (&e->remedy->action, "restart", EVENT_MAX_SHORT);
    event_set_string (&e->remedy->result, "failed", EVENT_MAX_SHORT);
    event_set_string (&e->remedy->output, "restart: secret=hush", EVENT_MAX_TEXT);
    //  a PEM key spread over evidence lines: the body goes too, not only
    //  its header line (issue 18)
    event_add_evidence (e, "-----BEGIN PRIVATE KEY-----");
    event_add_evidence (e, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7");
    event_add_evidence (e, "-----END PRIVATE KEY-----");
    event_add_evidence (e, "after the key");
    diag_symptom_t *s = diag_symptom_new (e, r);
    CHECK (s && s->event != e);
    CHECK (s && s->event->evidence_count == 5);
    for (size_t i = 1; s && i < 4; i++)
        CHECK (streq (s->event->evidence [i], "[redacted]"));
    CHECK (s && streq (s->event->evidence [4], "after the key"));
    CHECK (s && !s_has (s->event->message, "topsecret"));
    CHECK (s && s_has (s->event->message, "password=[redacted]"));
    CHECK (s && !s_has (s->event->evidence [0], "abcdef123"));
    CHECK (s && !s_has (s->event->remedy->output, "hush"));
    CHECK (s_has (e->message, "topsecret"));        //  the original is untouched
    diag_symptom_destroy (&s);
    CHECK (s == NULL);
    event_destroy (&e);
    heal_redactor_destroy (&r);
}

static void
test_template (void)
{
    char err [512] = "";
    diag_prompt_t *p = diag_prompt_new (NULL, err, sizeof err);
    CHECK (p);
    diag_prompt_destroy (&p);
    //  the compiled-in template is diagnoser/prompt.txt, byte for byte
    size_t size = 0;
    char *file = heal_read_file ("diagnoser/prompt.txt", DIAG_MAX_TEMPLATE, &size);
    if (file)
        CHECK (streq (file, diag_prompt_default_template ()));
    free (file);

    p = diag_prompt_new ("no placeholder here", err, sizeof err);
    CHECK (!p && s_has (err, "{{symptoms}}"));
    p = diag_prompt_new ("x {{symptom}} y", err, sizeof err);
    CHECK (!p && s_has (err, "unknown placeholder"));
    p = diag_prompt_new ("{{symptoms}} {{symptoms}}", err, sizeof err);
    CHECK (!p);
    p = diag_prompt_new ("x {{symptoms", err, sizeof err);
    CHECK (!p && s_has (err, "unclosed"));

    //  system part before "---", placeholders filled
    p = diag_prompt_new ("SYS {{schema}}\n---\nU {{host}} {{count}} [{{checks}}]\n{{symptoms}}END",
                         err, sizeof err);
    CHECK (p);
    event_t *a = s_check_event ("web", "connection refused", 1, 40);
    event_t *b = s_check_event ("db", "no answer", 0, 0);
    event_set_string (&a->description, "the shop's front end", EVENT_MAX_MESSAGE);
    diag_symptom_t *s [2] = { diag_symptom_new (a, NULL), diag_symptom_new (b, NULL) };
    char *system = NULL, *user = NULL;
    int level = -1;
    CHECK (diag_prompt_render (p, s, 2, "box", NULL, NULL, 100000, 8, &system, &user, &level) == 0);
    CHECK (level == 0);
    CHECK (s_has (system, "SYS {\"type\": \"object\"") || s_has (system, "SYS {\"type\":\"object\""));
    CHECK (s_has (system, "root_cause"));
    CHECK (!s_has (system, "---"));
    CHECK (s_has (user, "U box 2 [web, db]"));
    CHECK (s_has (user, "### check web (kind command, critical)"));
    CHECK (s_has (user, "### check web (kind command, critical)\ndescription: the shop's front end\n"));
    CHECK (s_has (user, "message: connection refused"));
    CHECK (s_has (user, "failing runs in a row: 3"));
    CHECK (s_has (user, "remediation tried: none"));
    CHECK (s_has (user, "evidence:\n  | ev00-web-"));
    CHECK (s_has (user, "END"));
    free (system);
    free (user);
    diag_symptom_destroy (&s [0]);
    diag_symptom_destroy (&s [1]);
    event_destroy (&a);
    event_destroy (&b);
    diag_prompt_destroy (&p);
}

static void
test_bounding (void)
{
    CHECK (diag_prompt_budget (4096, 512) == (size_t) (4096 - 512 - 409) * DIAG_CHARS_PER_TOKEN);
    CHECK (diag_prompt_budget (512, 512) == 0);

    char err [256];
    diag_prompt_t *p = diag_prompt_new (NULL, err, sizeof err);
    CHECK (p);
    enum { N = 20 };
    diag_symptom_t *s [N];
    event_t *events [N];
    for (int i = 0; i < N; i++) {
        char name [32], msg [64];
        snprintf (name, sizeof name, "check%02u", (unsigned) i % 100u);
        snprintf (msg, sizeof msg, "MESSAGE-%02u service down", (unsigned) i % 100u);
        events [i] = s_check_event (name, msg, EVENT_MAX_EVIDENCE, EVENT_MAX_EVIDENCE_LEN);
        s [i] = diag_symptom_new (events [i], NULL);
    }
    //  Everything fits a big budget: full evidence
    char *system = NULL, *user = NULL;
    int level = -1;
    CHECK (diag_prompt_render (p, s, 2, "h", NULL, NULL, 1000000, 8, &system, &user, &level) == 0);
    CHECK (level == 0);
    CHECK (s_has (user, "(+") == false);
    CHECK (s_has (user, "ev07-check00-"));          //  8 lines of evidence shown
    CHECK (!s_has (user, "ev08-check00-"));         //  max_evidence 8
    CHECK (s_has (user, "(8 more lines)"));
    free (system);
    free (user);

    //  The default budget (4096/512): evidence trimmed, every message kept
    size_t budget = diag_prompt_budget (4096, 512);
    CHECK (diag_prompt_render (p, s, N, "h", NULL, NULL, budget, 8, &system, &user, &level) == 0);
    CHECK (strlen (user) + strlen (system) <= budget);
    CHECK (level > 0);
    for (int i = 0; i < N; i++) {
        char msg [64];
        snprintf (msg, sizeof msg, "MESSAGE-%02u service down", (unsigned) i % 100u);
        if (!s_has (user, msg)) {
            fprintf (stderr, "test_prompt: message %d lost at budget %zu (level %d)\n",
                     i, budget, level);
            s_failed++;
        }
    }
    free (system);
    free (user);

    //  A small budget: later symptoms dropped and named, the first kept
    budget = 3000;
    CHECK (diag_prompt_render (p, s, N, "h", NULL, NULL, budget, 8, &system, &user, &level) == 0);
    CHECK (strlen (user) + strlen (system) <= budget);
    CHECK (s_has (user, "MESSAGE-00"));
    CHECK (s_has (user, "more problems not shown"));
    CHECK (s_has (user, "check19"));                //  named in the note
    free (system);
    free (user);

    //  A budget smaller than the template: still bounded
    CHECK (diag_prompt_render (p, s, N, "h", NULL, NULL, 1000, 8, &system, &user, &level) == 0);
    CHECK (strlen (user) + (system ? strlen (system) : 0) <= 1000);
    free (system);
    free (user);

    //  max_evidence 0: no evidence at all
    CHECK (diag_prompt_render (p, s, 1, "h", NULL, NULL, 1000000, 0, &system, &user, &level) == 0);
    CHECK (!s_has (user, "evidence:"));
    free (system);
    free (user);

    for (int i = 0; i < N; i++) {
        diag_symptom_destroy (&s [i]);
        event_destroy (&events [i]);
    }
    diag_prompt_destroy (&p);
}

static void
test_fingerprint (void)
{
    char *n = diag_normalise ("  Disk /var  97%\tFULL (12 GB) ");
    CHECK (n && streq (n, "disk /var % full ( gb)"));
    free (n);

    event_t *a1 = s_check_event ("disk", "disk 97% full", 0, 0);
    event_t *a2 = s_check_event ("disk", "disk 98% full", 0, 0);    //  digits differ
    event_t *b = s_check_event ("web", "connection refused", 0, 0);
    event_t *c = s_check_event ("web", "timed out", 0, 0);
    diag_symptom_t *sa1 = diag_symptom_new (a1, NULL), *sa2 = diag_symptom_new (a2, NULL);
    diag_symptom_t *sb = diag_symptom_new (b, NULL), *sc = diag_symptom_new (c, NULL);

    diag_symptom_t *set1 [] = { sa1, sb };
    diag_symptom_t *set2 [] = { sb, sa2 };          //  other order, other digits
    diag_symptom_t *set3 [] = { sa1, sc };          //  other message
    diag_symptom_t *set4 [] = { sa1 };
    char *f1 = diag_fingerprint (set1, 2, "m", "t");
    char *f2 = diag_fingerprint (set2, 2, "m", "t");
    char *f3 = diag_fingerprint (set3, 2, "m", "t");
    char *f4 = diag_fingerprint (set4, 1, "m", "t");
    char *f5 = diag_fingerprint (set1, 2, "other-model", "t");
    char *f6 = diag_fingerprint (set1, 2, "m", "other template");
    CHECK (f1 && strlen (f1) == DIAG_FINGERPRINT_LEN);
    CHECK (f1 && strspn (f1, "0123456789abcdef") == DIAG_FINGERPRINT_LEN);
    CHECK (f1 && f2 && streq (f1, f2));
    CHECK (f1 && f3 && !streq (f1, f3));
    CHECK (f1 && f4 && !streq (f1, f4));
    CHECK (f1 && f5 && !streq (f1, f5));
    CHECK (f1 && f6 && !streq (f1, f6));
    sb->flaps = 3;
    char *f7 = diag_fingerprint (set1, 2, "m", "t");
    CHECK (f1 && f7 && !streq (f1, f7));            //  flapping is another symptom
    sb->flaps = 0;
    //  issue 18: evidence is part of the question. The same message with
    //  other evidence (a full disk, not a clobbered PATH) is a new question;
    //  evidence that differs only in numbers is not.
    event_t *p1 = s_check_event ("job", "exit 1", 0, 0);
    event_t *p2 = s_check_event ("job", "exit 1", 0, 0);
    event_t *p3 = s_check_event ("job", "exit 1", 0, 0);
    event_add_evidence (p1, "sh: 1: backup-tool: not found");
    event_add_evidence (p2, "write /var/backup/x: No space left on device");
    event_add_evidence (p3, "sh: 2: backup-tool: not found");
    diag_symptom_t *sp1 = diag_symptom_new (p1, NULL), *sp2 = diag_symptom_new (p2, NULL);
    diag_symptom_t *sp3 = diag_symptom_new (p3, NULL);
    char *g1 = diag_fingerprint (&sp1, 1, "m", "t");
    char *g2 = diag_fingerprint (&sp2, 1, "m", "t");
    char *g3 = diag_fingerprint (&sp3, 1, "m", "t");
    CHECK (g1 && g2 && !streq (g1, g2));
    CHECK (g1 && g3 && streq (g1, g3));
    free (g1); free (g2); free (g3);
    diag_symptom_destroy (&sp1);
    diag_symptom_destroy (&sp2);
    diag_symptom_destroy (&sp3);
    event_destroy (&p1);
    event_destroy (&p2);
    event_destroy (&p3);
    free (f1); free (f2); free (f3); free (f4); free (f5); free (f6); free (f7);
    diag_symptom_destroy (&sa1);
    diag_symptom_destroy (&sa2);
    diag_symptom_destroy (&sb);
    diag_symptom_destroy (&sc);
    event_destroy (&a1);
    event_destroy (&a2);
    event_destroy (&b);
    event_destroy (&c);
}

//  --------------------------------------------------------------------------

static int
s_parse (long status, const char *body, event_t **diag_p, char *err, size_t errlen)
{
    *diag_p = event_new (EVENT_DIAGNOSIS);
    return ollama_parse_reply (status, body, body ? strlen (body) : 0, *diag_p, err, errlen);
}

static void
test_reply (void)
{
    char err [EVENT_MAX_TEXT];
    event_t *d;
    const char *ok =
        "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":"
        "\"{\\\"summary\\\":\\\"S\\\",\\\"root_cause\\\":\\\"R\\\","
        "\\\"operator_checks\\\":[\\\"df -h\\\",\\\"\\\",7],"
        "\\\"related_checks\\\":[\\\"web\\\",\\\"not a name!\\\"],"
        "\\\"confidence\\\":\\\"high\\\"}\"},\"done\":true,\"done_reason\":\"stop\"}";
    CHECK (s_parse (200, ok, &d, err, sizeof err) == 0);
    CHECK (err [0] == 0);
    CHECK (d->summary && streq (d->summary, "S"));
    CHECK (d->root_cause && streq (d->root_cause, "R"));
    CHECK (d->operator_check_count == 1 && streq (d->operator_checks [0], "df -h"));
    CHECK (d->related_count == 1 && streq (d->related [0], "web"));
    CHECK (d->confidence && streq (d->confidence, "high"));
    event_destroy (&d);

    //  server errors
    CHECK (s_parse (404, "{\"error\":\"model 'x' not found\"}", &d, err, sizeof err) == -1);
    CHECK (s_has (err, "404") && s_has (err, "model 'x' not found"));
    CHECK (d->summary == NULL);
    event_destroy (&d);
    CHECK (s_parse (500, "<html>oops</html>", &d, err, sizeof err) == -1);
    CHECK (s_has (err, "500"));
    event_destroy (&d);
    CHECK (s_parse (200, "{\"model\": \"x\", \"mess", &d, err, sizeof err) == -1);
    CHECK (s_has (err, "not JSON"));
    event_destroy (&d);
    CHECK (s_parse (200, "", &d, err, sizeof err) == -1);
    event_destroy (&d);
    CHECK (s_parse (200, "{\"error\":\"boom\"}", &d, err, sizeof err) == -1);
    CHECK (s_has (err, "boom"));
    event_destroy (&d);
    CHECK (s_parse (200, "[1,2]", &d, err, sizeof err) == -1);
    event_destroy (&d);
    //  no usable content
    CHECK (s_parse (200, "{\"message\":{\"content\":\"\"},\"done\":true}", &d, err, sizeof err) == -1);
    CHECK (s_has (err, "empty"));
    event_destroy (&d);
    CHECK (s_parse (200, "{\"message\":{\"content\":\"the disk is full\"},\"done\":true}",
                    &d, err, sizeof err) == -1);
    CHECK (s_has (err, "not JSON"));
    event_destroy (&d);
    CHECK (s_parse (200, "{\"message\":{\"content\":\"{\\\"confidence\\\":\\\"low\\\"}\"}}",
                    &d, err, sizeof err) == -1);
    event_destroy (&d);
    CHECK (s_parse (200, "{\"message\":{\"content\":\"{\\\"summary\\\":\\\"s\\\","
                         "\\\"operator_checks\\\":\\\"oops\\\"}\"}}", &d, err, sizeof err) == -1);
    event_destroy (&d);
    CHECK (s_parse (200, "{\"message\":\"x\"}", &d, err, sizeof err) == -1);
    event_destroy (&d);
    //  cut at num_predict: invalid JSON -> error; valid JSON -> kept, noted
    CHECK (s_parse (200, "{\"message\":{\"content\":\"{\\\"summary\\\": \\\"The di\"},"
                         "\"done\":true,\"done_reason\":\"length\"}", &d, err, sizeof err) == -1);
    CHECK (s_has (err, "truncated"));
    event_destroy (&d);
    CHECK (s_parse (200, "{\"message\":{\"content\":\"{\\\"summary\\\":\\\"s\\\"}\"},"
                         "\"done\":true,\"done_reason\":\"length\"}", &d, err, sizeof err) == 0);
    CHECK (s_has (err, "truncated") && d->summary && streq (d->summary, "s"));
    event_destroy (&d);
    //  lengths bounded
    size_t big = 20000;
    char *huge = (char *) malloc (big + 200);
    int n = snprintf (huge, 200, "{\"message\":{\"content\":\"{\\\"summary\\\":\\\"");
    memset (huge + n, 'y', big);
    memcpy (huge + n + big, "\\\"}\"}}", 7);
    CHECK (s_parse (200, huge, &d, err, sizeof err) == 0);
    CHECK (d->summary && strlen (d->summary) <= EVENT_MAX_MESSAGE);
    CHECK (d->root_cause && strlen (d->root_cause) <= EVENT_MAX_TEXT);
    event_destroy (&d);
    free (huge);
}

static void
test_request (void)
{
    diag_settings_t s = { 0 };
    s.model = (char *) "qwen2.5:7b";
    s.num_ctx = 4096;
    s.num_predict = 512;
    s.temperature = 0.1;
    s.keep_alive = (char *) "30m";
    char *body = ollama_chat_request (&s, "SYS", "USER");
    CHECK (body);
    json_error_t jerr;
    json_t *r = json_loads (body, 0, &jerr);
    CHECK (r);
    CHECK (streq (json_string_value (json_object_get (r, "model")), "qwen2.5:7b"));
    CHECK (json_is_false (json_object_get (r, "stream")));
    CHECK (json_is_object (json_object_get (r, "format")));
    json_t *opt = json_object_get (r, "options");
    CHECK (json_integer_value (json_object_get (opt, "num_ctx")) == 4096);
    CHECK (json_integer_value (json_object_get (opt, "num_predict")) == 512);
    CHECK (json_real_value (json_object_get (opt, "temperature")) < 0.2);
    CHECK (streq (json_string_value (json_object_get (r, "keep_alive")), "30m"));
    json_t *msgs = json_object_get (r, "messages");
    CHECK (json_array_size (msgs) == 2);
    CHECK (streq (json_string_value (json_object_get (json_array_get (msgs, 0), "role")), "system"));
    CHECK (streq (json_string_value (json_object_get (json_array_get (msgs, 1), "content")), "USER"));
    json_t *req = json_object_get (json_object_get (r, "format"), "required");
    CHECK (json_array_size (req) == 5);
    json_decref (r);
    free (body);
    s.keep_alive = (char *) "-1";
    body = ollama_chat_request (&s, NULL, "U");
    r = json_loads (body, 0, &jerr);
    CHECK (json_integer_value (json_object_get (r, "keep_alive")) == -1);
    CHECK (json_array_size (json_object_get (r, "messages")) == 1);
    json_decref (r);
    free (body);
}

static void
test_tags (void)
{
    const char *tags = "{\"models\":[{\"name\":\"qwen2.5:7b\"},{\"name\":\"llama3:latest\"}]}";
    CHECK (ollama_model_listed (tags, strlen (tags), "qwen2.5:7b") == 1);
    CHECK (ollama_model_listed (tags, strlen (tags), "llama3") == 1);
    CHECK (ollama_model_listed (tags, strlen (tags), "qwen2.5") == 0);
    CHECK (ollama_model_listed (tags, strlen (tags), "qwen2.5:3b") == 0);
    CHECK (ollama_model_listed ("{\"models\":[]}", 13, "x") == 0);
    CHECK (ollama_model_listed ("oops", 4, "x") == -1);
    CHECK (ollama_model_listed (NULL, 0, "x") == -1);
}

//  --------------------------------------------------------------------------

static diag_settings_t *
s_settings (const char *diagnoser_section, char *err, size_t errlen)
{
    char text [2048];
    snprintf (text, sizeof text,
              "bus\n    publish = \"ipc:///tmp/heal-test-prompt-bus\"\n"
              "    inbound = \"ipc:///tmp/heal-test-prompt-in\"\n"
              "diagnoser\n%s", diagnoser_section);
    heal_config_t *config = heal_config_load_text (text, "test.conf", err, errlen);
    if (!config)
        return NULL;
    diag_settings_t *s = diag_settings_new (config, err, errlen);
    heal_config_destroy (&config);
    return s;
}

static void
test_settings (void)
{
    char err [CONFIG_ERROR_MAX] = "";
    diag_settings_t *s = s_settings ("    model = \"m:1\"\n", err, sizeof err);
    CHECK (s);
    if (s) {
        CHECK (streq (s->url, DIAG_DEFAULT_URL));
        CHECK (s->timeout_ms == DIAG_DEFAULT_TIMEOUT_MS);
        CHECK (s->num_ctx == DIAG_DEFAULT_NUM_CTX && s->num_predict == DIAG_DEFAULT_NUM_PREDICT);
        CHECK (s->ttl_ms == DIAG_DEFAULT_TTL_MS && s->flap_count == DIAG_DEFAULT_FLAP_COUNT);
        CHECK (streq (s->template_text, diag_prompt_default_template ()));
        CHECK (s->redact_defaults);
        CHECK (s->backoff_ms == DIAG_DEFAULT_BACKOFF_MS);
    }
    diag_settings_destroy (&s);
    CHECK (s == NULL);
    s = s_settings ("    backoff = 0\n", err, sizeof err);
    CHECK (s && s->backoff_ms == 0);
    diag_settings_destroy (&s);
    s = s_settings ("    backoff = 2h\n", err, sizeof err);
    CHECK (!s && s_has (err, "backoff"));

    s = s_settings ("    url = \"http://10.1.2.3:11434\"\n", err, sizeof err);
    CHECK (s == NULL && s_has (err, "allow_remote"));
    diag_settings_destroy (&s);
    s = s_settings ("    url = \"http://10.1.2.3:11434\"\n    allow_remote = true\n", err, sizeof err);
    CHECK (s != NULL);
    diag_settings_destroy (&s);
    s = s_settings ("    url = \"http://localhost:11434/\"\n    timeout = 5\n", err, sizeof err);
    CHECK (s && streq (s->url, "http://localhost:11434") && s->timeout_ms == 5000);
    diag_settings_destroy (&s);
    s = s_settings ("    redact = \"a+  b[0-9]\tc\"\n", err, sizeof err);
    CHECK (s && s->redact_count == 3);
    diag_settings_destroy (&s);
    s = s_settings ("    redact = \"(bad\"\n", err, sizeof err);
    CHECK (s == NULL && s_has (err, "redact"));
    diag_settings_destroy (&s);
    s = s_settings ("    keep_alive = \"300\"\n", err, sizeof err);
    CHECK (s != NULL);
    diag_settings_destroy (&s);
    s = s_settings ("    keep_alive = \"1d\"\n", err, sizeof err);
    CHECK (s == NULL && s_has (err, "keep_alive"));
    diag_settings_destroy (&s);
    s = s_settings ("    num_ctx = 1024\n    num_predict = 900\n", err, sizeof err);
    CHECK (s == NULL && s_has (err, "num_predict"));
    diag_settings_destroy (&s);
    s = s_settings ("    template = \"/nonexistent/prompt.txt\"\n", err, sizeof err);
    CHECK (s == NULL && s_has (err, "template"));
    diag_settings_destroy (&s);

    //  an operator's template file, validated
    char path [] = "/tmp/heal-test-prompt-XXXXXX";
    int fd = mkstemp (path);
    CHECK (fd >= 0);
    if (fd >= 0) {
        const char *bad = "no symptoms here\n";
        CHECK (write (fd, bad, strlen (bad)) == (ssize_t) strlen (bad));
        close (fd);
        char section [256];
        snprintf (section, sizeof section, "    template = \"%s\"\n", path);
        s = s_settings (section, err, sizeof err);
        CHECK (s == NULL && s_has (err, "{{symptoms}}"));
        diag_settings_destroy (&s);
        FILE *f = fopen (path, "w");
        if (f) {
            fputs ("Mine: {{symptoms}}\n", f);
            fclose (f);
        }
        s = s_settings (section, err, sizeof err);
        CHECK (s && streq (s->template_text, "Mine: {{symptoms}}\n"));
        diag_settings_destroy (&s);
        unlink (path);
    }
}

//  issue 18: evidence from the config, never from the bus; depends (hook);
//  timeline; a program lookup only for a plain name; truncation detection.
static void
test_evidence (void)
{
    char err [CONFIG_ERROR_MAX] = "";
    heal_config_t *config = heal_config_load_text (
        "agent\n"
        "    path = \"/usr/bin:/bin\"\n"
        "check = db\n"
        "    kind = command\n"
        "    critical = true\n"
        "    run = \"PGHOST=x heal18-no-such-program --ping\"\n"
        "    description = \"the database, password hunter2x9\"\n"
        "    remedy\n"
        "        run = \"mysql -pS3cret -e restart\"\n"
        "check = api\n"
        "    kind = command\n"
        "    critical = true\n"
        "    run = \"$(cat /etc/cmd) --serve\"\n"
        "    depends = \"db, cache\"\n"
        //  depends names configured checks (an unknown name is a config error)
        "check = cache\n"
        "    kind = command\n"
        "    run = \"true\"\n", "evidence.conf", err, sizeof err);
    CHECK (config);
    if (!config) {
        fprintf (stderr, "test_prompt: %s\n", err);
        return;
    }
    heal_redactor_t *r = heal_redactor_new (NULL, 0, true, err, sizeof err);
    diag_evidence_t *ev = diag_evidence_new (config, r);
    CHECK (ev);
    event_t *db = s_check_event ("db", "sh: 1: heal18-no-such-program: not found", 0, 0);
    event_t *api = s_check_event ("api", "sh: 1: evil-from-the-bus: not found", 0, 0);
    db->since = 1764561127000;          //  2025-12-01 03:52:07Z
    api->since = 1764561128200;
    diag_symptom_t *s [2] = { diag_symptom_new (db, r), diag_symptom_new (api, r) };
    CHECK (diag_evidence_annotate (ev, s [0]) == 0);
    CHECK (diag_evidence_annotate (ev, s [1]) == 0);
    //  from the config, redacted
    CHECK (s_has (s [0]->command, "heal18-no-such-program --ping"));
    CHECK (s_has (s [0]->description, "password [redacted]"));
    CHECK (s_has (s [0]->remedy_config, "-p[redacted]") && !s_has (s [0]->remedy_config, "S3cret"));
    CHECK (s_has (s [1]->depends, "db cache"));
    //  the program named by the config is looked up; a word from the bus never is
    CHECK (s_has (s [0]->probe, "`command -v heal18-no-such-program` with heal's PATH: not found"));
    CHECK (s [1]->probe == NULL);       //  `$(...)`: not a plain name, not looked up
    CHECK (!s_has (s [1]->probe, "evil-from-the-bus"));
    char *env = diag_evidence_environment (ev, s, 2, 1764561130000);
    CHECK (s_has (env, "PATH heal's commands run with: /usr/bin:/bin"));
    CHECK (s_has (env, "2 checks failed within 1.2 s, the first at 2025-12-01 03:52:07Z"));
    CHECK (s_has (env, "api depends on db, which is failing too"));
    CHECK (!s_has (env, "depends on cache"));
    free (env);
    diag_symptom_destroy (&s [0]);
    diag_symptom_destroy (&s [1]);
    event_destroy (&db);
    event_destroy (&api);
    diag_evidence_destroy (&ev);
    CHECK (ev == NULL);
    heal_redactor_destroy (&r);
    heal_config_destroy (&config);

    //  the truncation signature
    CHECK (ollama_prompt_truncated (4096, 1000, 4096));
    CHECK (ollama_prompt_truncated (1500, 3200, 4096));
    CHECK (!ollama_prompt_truncated (900, 1000, 4096));
    CHECK (!ollama_prompt_truncated (-1, 3200, 4096));
    const char *reply = "{\"done\":true,\"prompt_eval_count\":321}";
    CHECK (ollama_prompt_tokens (reply, strlen (reply)) == 321);
    CHECK (ollama_prompt_tokens ("{}", 2) == -1);
}

int
main (void)
{
    test_evidence ();
    test_redaction ();
    test_symptom ();
    test_template ();
    test_bounding ();
    test_fingerprint ();
    test_reply ();
    test_request ();
    test_tags ();
    test_settings ();
    if (s_failed) {
        fprintf (stderr, "test_prompt: %d check(s) failed\n", s_failed);
        return 1;
    }
    printf ("test_prompt: ok\n");
    return 0;
}
