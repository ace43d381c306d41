//  prompt — what the diagnoser tells the model: the template
//  (diagnoser/prompt.txt compiled in, or the operator's file) rendered with
//  the symptoms and bounded to the model's context (diagnoser.h).

#include "diagnoser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnoser_prompt.h"       //  s_default_template, generated

#define PROMPT_MAX_NOTE     1024    //  "N more problems not shown: ..."

//  Length of the longest prefix of text of at most max bytes that does not cut
//  a UTF-8 sequence.
static size_t
s_utf8_prefix (const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char) text [n] & 0xC0) == 0x80)
        n--;
    return n;
}

//  --------------------------------------------------------------------------
//  Template

typedef enum {
    PART_TEXT, PART_HOST, PART_COUNT, PART_CHECKS, PART_SYMPTOMS, PART_SCHEMA,
    PART_ENVIRONMENT, PART_CONTEXT
} part_kind_t;

static const char *s_placeholders [] = {
    NULL, "host", "count", "checks", "symptoms", "schema", "environment", "context"
};

typedef struct {
    part_kind_t kind;
    char *text;                 //  PART_TEXT only
} part_t;

typedef struct {
    part_t *parts;
    size_t count;
} section_t;

struct diag_prompt_t {
    section_t system;           //  empty when the template has no "---" line
    section_t user;
    bool has_system;
    char *schema;               //  compact JSON of the schema
};

static int
s_section_add (section_t *s, part_kind_t kind, const char *text, size_t len)
{
    part_t *parts = (part_t *) realloc (s->parts, (s->count + 1) * sizeof *parts);
    if (!parts)
        return -1;
    s->parts = parts;
    part_t *p = &s->parts [s->count];
    p->kind = kind;
    p->text = NULL;
    if (kind == PART_TEXT) {
        p->text = (char *) malloc (len + 1);
        if (!p->text)
            return -1;
        memcpy (p->text, text, len);
        p->text [len] = 0;
    }
    s->count++;
    return 0;
}

static void
s_section_free (section_t *s)
{
    for (size_t i = 0; i < s->count; i++)
        free (s->parts [i].text);
    free (s->parts);
    s->parts = NULL;
    s->count = 0;
}

//  Split [text, text+len) into literal text and placeholders.
static int
s_section_parse (section_t *s, const char *text, size_t len, int *symptoms_seen,
                 char *err, size_t errlen)
{
    size_t i = 0, lit = 0;
    while (i + 1 < len) {
        if (text [i] == '{' && text [i + 1] == '{') {
            const char *close = NULL;
            for (size_t j = i + 2; j + 1 < len && j < i + 2 + 64; j++)
                if (text [j] == '}' && text [j + 1] == '}') {
                    close = text + j;
                    break;
                }
            if (!close) {
                snprintf (err, errlen, "template: unclosed '{{' at byte %zu", i);
                return -1;
            }
            size_t nlen = (size_t) (close - (text + i + 2));
            int kind = -1;
            for (int k = PART_HOST; k <= PART_CONTEXT; k++)
                if (strlen (s_placeholders [k]) == nlen
                &&  memcmp (s_placeholders [k], text + i + 2, nlen) == 0)
                    kind = k;
            if (kind < 0) {
                snprintf (err, errlen, "template: unknown placeholder '{{%.*s}}' "
                          "(known: host count checks symptoms schema environment context)", (int) nlen, text + i + 2);
                return -1;
            }
            if (i > lit && s_section_add (s, PART_TEXT, text + lit, i - lit))
                return -1;
            if (s_section_add (s, (part_kind_t) kind, NULL, 0))
                return -1;
            if (kind == PART_SYMPTOMS)
                (*symptoms_seen)++;
            i += 2 + nlen + 2;
            lit = i;
        }
        else
            i++;
    }
    if (len > lit && s_section_add (s, PART_TEXT, text + lit, len - lit))
        return -1;
    return 0;
}

diag_prompt_t *
diag_prompt_new (const char *template_text, char *err, size_t errlen)
{
    if (!template_text)
        template_text = diag_prompt_default_template ();
    size_t len = strlen (template_text);
    if (len > DIAG_MAX_TEMPLATE) {
        snprintf (err, errlen, "template: larger than %d bytes", DIAG_MAX_TEMPLATE);
        return NULL;
    }
    if (!heal_utf8_valid (template_text, len)) {
        snprintf (err, errlen, "template: not valid UTF-8");
        return NULL;
    }
    diag_prompt_t *self = (diag_prompt_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    //  The first line that is exactly "---" separates system from user.
    const char *sep = NULL;
    for (const char *line = template_text; line && *line; ) {
        const char *nl = strchr (line, '\n');
        size_t llen = nl ? (size_t) (nl - line) : strlen (line);
        if (llen == 3 && memcmp (line, "---", 3) == 0) {
            sep = line;
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    int symptoms = 0;
    if (sep) {
        self->has_system = true;
        size_t slen = (size_t) (sep - template_text);
        const char *user = sep + 3;
        if (*user == '\n')
            user++;
        if (s_section_parse (&self->system, template_text, slen, &symptoms, err, errlen)
        ||  s_section_parse (&self->user, user, strlen (user), &symptoms, err, errlen))
            goto fail;
    }
    else
    if (s_section_parse (&self->user, template_text, len, &symptoms, err, errlen))
        goto fail;
    if (symptoms != 1) {
        snprintf (err, errlen, "template: must contain {{symptoms}} exactly once");
        goto fail;
    }
    json_t *schema = ollama_diagnosis_schema ();
    self->schema = schema ? json_dumps (schema, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (schema);
    if (!self->schema)
        goto fail;
    return self;
fail:
    diag_prompt_destroy (&self);
    return NULL;
}

void
diag_prompt_destroy (diag_prompt_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    diag_prompt_t *self = *self_p;
    s_section_free (&self->system);
    s_section_free (&self->user);
    free (self->schema);
    free (self);
    *self_p = NULL;
}

const char *
diag_prompt_default_template (void)
{
    return s_default_template;
}

size_t
diag_prompt_budget (int num_ctx, int num_predict)
{
    if (num_ctx <= num_predict || num_ctx <= 0)
        return 0;
    size_t tokens = (size_t) (num_ctx - (num_predict > 0 ? num_predict : 0));
    tokens -= (size_t) num_ctx / 10;       //  chat template, estimate error
    return tokens * DIAG_CHARS_PER_TOKEN;
}

//  --------------------------------------------------------------------------
//  Rendering

//  How much each trimming level keeps.
typedef struct {
    int evidence_lines;         //  per symptom (further capped by max_evidence)
    size_t evidence_len;        //  bytes per evidence line
    size_t output_len;          //  bytes of remedy output
    size_t message_len;         //  bytes of message
} level_t;

static const level_t s_levels [] = {
    { EVENT_MAX_EVIDENCE, EVENT_MAX_EVIDENCE_LEN, 2048, EVENT_MAX_MESSAGE },
    { 4, 240, 600, EVENT_MAX_MESSAGE },
    { 2, 120, 200, EVENT_MAX_MESSAGE },
    { 1, 80, 0, EVENT_MAX_MESSAGE },
    { 0, 0, 0, EVENT_MAX_MESSAGE },
    { 0, 0, 0, 160 },
};
#define LEVEL_COUNT ((int) (sizeof s_levels / sizeof s_levels [0]))

//  Append text as indented lines ("  | ..."), at most max bytes of it.
static void
s_add_block (heal_strbuf_t *b, const char *text, size_t max)
{
    size_t len = strlen (text);
    size_t keep = s_utf8_prefix (text, len, max);
    const char *p = text, *end = text + keep;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        const char *stop = nl ? nl : end;
        heal_strbuf_str (b, "  | ");
        heal_strbuf_add (b, p, (size_t) (stop - p));
        heal_strbuf_str (b, "\n");
        p = nl ? nl + 1 : end;
    }
    if (keep < len)
        heal_strbuf_fmt (b, "  | ...(%zu more bytes)\n", len - keep);
}

static void
s_add_duration (heal_strbuf_t *b, int64_t ms)
{
    if (ms % (3600 * 1000) == 0)
        heal_strbuf_fmt (b, "%lldh", (long long) (ms / (3600 * 1000)));
    else
    if (ms % (60 * 1000) == 0)
        heal_strbuf_fmt (b, "%lldm", (long long) (ms / (60 * 1000)));
    else
        heal_strbuf_fmt (b, "%llds", (long long) (ms / 1000));
}

static void
s_render_symptom (heal_strbuf_t *b, const diag_symptom_t *s, const level_t *lv, int max_evidence)
{
    const event_t *e = s->event;
    heal_strbuf_fmt (b, "### check %s (kind %s, %s)\n", e->check ? e->check : "?",
               e->kind ? e->kind : "?", e->critical ? "critical" : "optional");
    if (e->description && *e->description) {
        //  The operator's words for what the check is about (config `description`).
        size_t dlen = strlen (e->description);
        size_t dkeep = s_utf8_prefix (e->description, dlen, lv->message_len);
        heal_strbuf_str (b, "description: ");
        heal_strbuf_add (b, e->description, dkeep);
        heal_strbuf_str (b, dkeep < dlen ? "...\n" : "\n");
    }
    if (s->flaps > 0) {
        heal_strbuf_fmt (b, "status: flapping: failed and was healed %d times in the last ", s->flaps);
        s_add_duration (b, s->flap_window_ms);
        heal_strbuf_str (b, " (remediation helps for a while, the cause remains)\n");
    }
    else
        heal_strbuf_fmt (b, "status: %s\n", severity_name (e->severity));
    const char *msg = e->message ? e->message : "";
    size_t mlen = strlen (msg);
    size_t mkeep = s_utf8_prefix (msg, mlen, lv->message_len);
    heal_strbuf_str (b, "message: ");
    heal_strbuf_add (b, msg, mkeep);
    heal_strbuf_str (b, mkeep < mlen ? "...\n" : "\n");
    if (e->streak > 0)
        heal_strbuf_fmt (b, "failing runs in a row: %lld\n", (long long) e->streak);
    if (e->since > 0) {
        time_t t = (time_t) (e->since / 1000);
        struct tm tm;
        char when [32];
        if (gmtime_r (&t, &tm) && strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
            heal_strbuf_fmt (b, "in this state since: %s\n", when);
    }
    if (e->remedy) {
        heal_strbuf_fmt (b, "remediation tried: %s -> %s (attempt %lld)\n",
                   e->remedy->action ? e->remedy->action : "?",
                   e->remedy->result ? e->remedy->result : "?",
                   (long long) e->remedy->attempt);
        if (e->remedy->output && *e->remedy->output && lv->output_len > 0) {
            heal_strbuf_str (b, "remediation output:\n");
            s_add_block (b, e->remedy->output, lv->output_len);
        }
    }
    else
        heal_strbuf_str (b, "remediation tried: none\n");
    if (s->description)
        heal_strbuf_fmt (b, "description: %s\n", s->description);
    if (s->command)
        heal_strbuf_fmt (b, "command: %s\n", s->command);
    if (s->settings)
        heal_strbuf_fmt (b, "config: %s\n", s->settings);
    if (s->remedy_config)
        heal_strbuf_fmt (b, "remedy config: %s\n", s->remedy_config);
    if (s->depends)
        heal_strbuf_fmt (b, "depends on: %s\n", s->depends);
    if (s->probe)
        heal_strbuf_fmt (b, "missing program: %s\n", s->probe);
    int lines = lv->evidence_lines < max_evidence ? lv->evidence_lines : max_evidence;
    if (lines > 0 && e->evidence_count > 0) {
        heal_strbuf_str (b, "evidence:\n");
        size_t shown = 0;
        for (size_t i = 0; i < e->evidence_count && shown < (size_t) lines; i++, shown++)
            s_add_block (b, e->evidence [i], lv->evidence_len);
        if (shown < e->evidence_count)
            heal_strbuf_fmt (b, "  | ...(%zu more lines)\n", e->evidence_count - shown);
    }
    heal_strbuf_str (b, "\n");
}

//  Render one section with the symptoms (first shown of count) at a level.
static void
s_render_section (heal_strbuf_t *b, const diag_prompt_t *self, const section_t *sec,
                  diag_symptom_t *const *symptoms, size_t count, size_t shown,
                  const char *host, const char *environment, const char *context,
                  const level_t *lv, int max_evidence)
{
    for (size_t i = 0; i < sec->count; i++) {
        const part_t *p = &sec->parts [i];
        switch (p->kind) {
            case PART_TEXT:
                heal_strbuf_str (b, p->text);
                break;
            case PART_HOST:
                heal_strbuf_str (b, host ? host : "localhost");
                break;
            case PART_COUNT:
                heal_strbuf_fmt (b, "%zu", count);
                break;
            case PART_SCHEMA:
                heal_strbuf_str (b, self->schema);
                break;
            case PART_ENVIRONMENT:
                if (environment)
                    heal_strbuf_str (b, environment);
                break;
            case PART_CONTEXT:
                if (context)
                    heal_strbuf_str (b, context);
                break;
            case PART_CHECKS:
                for (size_t k = 0; k < shown; k++) {
                    if (k)
                        heal_strbuf_str (b, ", ");
                    const char *name = symptoms [k]->event->check;
                    heal_strbuf_str (b, name ? name : "?");
                }
                if (shown < count)
                    heal_strbuf_fmt (b, " and %zu more", count - shown);
                break;
            case PART_SYMPTOMS:
                for (size_t k = 0; k < shown; k++)
                    s_render_symptom (b, symptoms [k], lv, max_evidence);
                if (shown < count) {
                    heal_strbuf_fmt (b, "(%zu more problems not shown to fit the context:", count - shown);
                    size_t note = 0;
                    for (size_t k = shown; k < count && note < PROMPT_MAX_NOTE; k++) {
                        const char *name = symptoms [k]->event->check;
                        heal_strbuf_str (b, " ");
                        heal_strbuf_str (b, name ? name : "?");
                        note += (name ? strlen (name) : 1) + 1;
                    }
                    heal_strbuf_str (b, ")\n");
                }
                break;
        }
    }
}

int
diag_prompt_render (diag_prompt_t *self, diag_symptom_t *const *symptoms, size_t count,
                    const char *host, const char *environment, const char *context,
                    size_t budget, int max_evidence,
                    char **system_out, char **user_out, int *level_out)
{
    *system_out = NULL;
    *user_out = NULL;
    if (max_evidence < 0)
        max_evidence = 0;
    char *system = NULL, *user = NULL;
    //  Trim evidence and output level by level, then drop symptoms from the end.
    int level = 0;
    size_t shown = count;
    while (true) {
        const level_t *lv = &s_levels [level < LEVEL_COUNT ? level : LEVEL_COUNT - 1];
        heal_strbuf_t sb = HEAL_STRBUF_INIT (0), ub = HEAL_STRBUF_INIT (0);
        //  the context section is the first thing given up, the environment
        //  block only with the messages
        const char *ctx = level > 0 ? NULL : context;
        const char *env = level >= LEVEL_COUNT - 1 ? NULL : environment;
        if (self->has_system)
            s_render_section (&sb, self, &self->system, symptoms, count, shown, host, env, ctx,
                              lv, max_evidence);
        s_render_section (&ub, self, &self->user, symptoms, count, shown, host, env, ctx,
                          lv, max_evidence);
        free (system);
        free (user);
        system = self->has_system ? heal_strbuf_take (&sb) : NULL;
        user = heal_strbuf_take (&ub);
        if (!user || (self->has_system && !system)) {
            free (system);
            free (user);
            return -1;
        }
        size_t total = strlen (user) + (system ? strlen (system) : 0);
        if (total <= budget)
            break;
        if (level < LEVEL_COUNT - 1)
            level++;
        else
        if (shown > 1) {
            shown--;
            level++;
        }
        else {
            //  The template alone is too large: cut the user message.
            size_t sys = system ? strlen (system) : 0;
            if (sys > budget) {
                system [s_utf8_prefix (system, sys, budget)] = 0;
                sys = strlen (system);
            }
            size_t room = budget > sys ? budget - sys : 0;
            user [s_utf8_prefix (user, strlen (user), room)] = 0;
            level++;
            break;
        }
    }
    *system_out = system;
    *user_out = user;
    if (level_out)
        *level_out = level;
    return 0;
}
