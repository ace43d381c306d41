//  prompt — what the diagnoser tells the model: symptoms (redacted copies of
//  check events), the template (diagnoser/prompt.txt compiled in, or the
//  operator's file), bounding to the model's context, and the fingerprint of
//  a set of symptoms used to cache diagnoses.

#include "diagnoser.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnoser_prompt.h"       //  s_default_template, generated

#define REDACTED            "[redacted]"
#define REDACT_FAILED       "[redaction failed]"
#define REDACT_MATCH_LIMIT  200000  //  backtracking bound per match
#define PROMPT_MAX_NOTE     1024    //  "N more problems not shown: ..."

//  --------------------------------------------------------------------------
//  A growable string. Allocation failure is sticky: the result is NULL.

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} s_buf_t;

static void
s_buf_add (s_buf_t *b, const char *text, size_t len)
{
    if (b->failed)
        return;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *data = (char *) realloc (b->data, cap);
        if (!data) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy (b->data + b->len, text, len);
    b->len += len;
    b->data [b->len] = 0;
}

static void
s_buf_str (s_buf_t *b, const char *text)
{
    s_buf_add (b, text, strlen (text));
}

static void s_buf_fmt (s_buf_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
s_buf_fmt (s_buf_t *b, const char *fmt, ...)
{
    char tmp [512];
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (tmp, sizeof tmp, fmt, ap);
    va_end (ap);
    if (n < 0)
        b->failed = true;
    else
        s_buf_add (b, tmp, (size_t) n < sizeof tmp ? (size_t) n : sizeof tmp - 1);
}

//  Take the string out of the buffer (NULL on failure). Caller frees.
static char *
s_buf_take (s_buf_t *b)
{
    if (b->failed || !b->data) {
        bool empty = !b->failed;
        free (b->data);
        b->data = NULL;
        return empty ? strdup ("") : NULL;
    }
    char *data = b->data;
    b->data = NULL;
    return data;
}

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
//  Redaction

//  Built-in patterns for obvious secrets. \K keeps the key's name visible:
//  "password=[redacted]" still tells the model a password was involved.
static const char *s_default_patterns [] = {
    //  key = value, key: value for secret-looking keys
    //  (also inside longer names: DB_PASSWORD=, mysql_root_password:)
    "(?i)(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|"
    "private[_-]?key)[A-Za-z0-9_.-]*[\"']?\\s*[=:]\\s*\\K"
    "(?:\"[^\"]*\"|'[^']*'|[^\\s,;&\"']+)",
    //  HTTP authorisation
    "(?i)\\b(?:bearer|basic)\\s+\\K[A-Za-z0-9._~+/=-]{8,}",
    //  password in a URL: scheme://user:PASSWORD@host
    "://[^/\\s:@]+:\\K[^/\\s@]+(?=@)",
    //  AWS access key id, JSON web tokens, PEM private keys
    "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b",
    "\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}",
    "-----BEGIN [A-Z ]*PRIVATE KEY-----",
    //  GitHub, Slack, OpenAI-style and similar prefixed API tokens
    "\\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|"
    "xox[abposr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,})",
    NULL
};

struct diag_redactor_t {
    pcre2_code *codes [DIAG_MAX_REDACT + 16];
    size_t count;
    pcre2_match_context *mctx;
    pcre2_match_data *match;
};

size_t
diag_redact_default_count (void)
{
    size_t n = 0;
    while (s_default_patterns [n])
        n++;
    return n;
}

const char *
diag_redact_default (size_t index)
{
    return index < diag_redact_default_count () ? s_default_patterns [index] : NULL;
}

static int
s_redactor_add (diag_redactor_t *self, const char *pattern, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE offset;
    pcre2_code *re = pcre2_compile ((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED,
                                    PCRE2_UTF, &code, &offset, NULL);
    if (!re) {
        PCRE2_UCHAR msg [256];
        pcre2_get_error_message (code, msg, sizeof msg);
        snprintf (err, errlen, "bad regex '%s' at offset %zu: %s",
                  pattern, (size_t) offset, (const char *) msg);
        return -1;
    }
    self->codes [self->count++] = re;
    return 0;
}

diag_redactor_t *
diag_redactor_new (char *const *patterns, size_t count, bool defaults,
                   char *err, size_t errlen)
{
    if (count > DIAG_MAX_REDACT) {
        snprintf (err, errlen, "at most %d redact patterns", DIAG_MAX_REDACT);
        return NULL;
    }
    diag_redactor_t *self = (diag_redactor_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->mctx = pcre2_match_context_create (NULL);
    self->match = pcre2_match_data_create (16, NULL);
    if (!self->mctx || !self->match)
        goto fail;
    pcre2_set_match_limit (self->mctx, REDACT_MATCH_LIMIT);
    for (size_t i = 0; i < count; i++)
        if (s_redactor_add (self, patterns [i], err, errlen))
            goto fail;
    if (defaults)
        for (size_t i = 0; s_default_patterns [i]; i++)
            if (s_redactor_add (self, s_default_patterns [i], err, errlen))
                goto fail;
    return self;
fail:
    diag_redactor_destroy (&self);
    return NULL;
}

void
diag_redactor_destroy (diag_redactor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    diag_redactor_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        pcre2_code_free (self->codes [i]);
    pcre2_match_data_free (self->match);
    pcre2_match_context_free (self->mctx);
    free (self);
    *self_p = NULL;
}

//  Apply one pattern to text; returns a new string or NULL on a match error
//  (the caller then fails closed).
static char *
s_redact_one (diag_redactor_t *self, pcre2_code *re, const char *text, bool *error)
{
    size_t len = strlen (text);
    s_buf_t out = { 0 };
    size_t pos = 0;         //  next byte to search from
    size_t copied = 0;      //  bytes of text already copied to out
    while (pos <= len) {
        int rc = pcre2_match (re, (PCRE2_SPTR) text, len, pos, 0, self->match, self->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            *error = true;
            free (out.data);
            return NULL;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer (self->match);
        size_t start = ov [0], end = ov [1];
        if (start > end || end > len) {
            //  \K inside a lookahead can report start > end: treat as no match here
            pos = end > pos ? end : pos + 1;
            continue;
        }
        if (end == start) {
            //  empty match: nothing to replace; step over one UTF-8 character
            pos = start + 1;
            while (pos < len && ((unsigned char) text [pos] & 0xC0) == 0x80)
                pos++;
            continue;
        }
        if (start < copied)
            start = copied;
        s_buf_add (&out, text + copied, start - copied);
        s_buf_str (&out, REDACTED);
        copied = end;
        pos = end;
    }
    s_buf_add (&out, text + copied, len - copied);
    char *result = s_buf_take (&out);
    if (!result)
        *error = true;
    return result;
}

char *
diag_redact (diag_redactor_t *self, const char *text)
{
    if (!text)
        return NULL;
    char *current = strdup (text);
    if (!self || !current)
        return current;
    for (size_t i = 0; i < self->count; i++) {
        bool error = false;
        char *next = s_redact_one (self, self->codes [i], current, &error);
        free (current);
        if (error) {
            free (next);
            return strdup (REDACT_FAILED);
        }
        current = next;
    }
    return current;
}

//  --------------------------------------------------------------------------
//  Symptoms

static int
s_redact_field (diag_redactor_t *redactor, char **field)
{
    if (!*field)
        return 0;
    char *clean = diag_redact (redactor, *field);
    if (!clean)
        return -1;
    free (*field);
    *field = clean;
    return 0;
}

diag_symptom_t *
diag_symptom_new (const event_t *event, diag_redactor_t *redactor)
{
    diag_symptom_t *self = (diag_symptom_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->event = event_dup (event);
    if (!self->event)
        goto fail;
    event_t *e = self->event;
    if (s_redact_field (redactor, &e->message))
        goto fail;
    for (size_t i = 0; i < e->evidence_count; i++)
        if (s_redact_field (redactor, &e->evidence [i]))
            goto fail;
    if (e->remedy && s_redact_field (redactor, &e->remedy->output))
        goto fail;
    return self;
fail:
    diag_symptom_destroy (&self);
    return NULL;
}

void
diag_symptom_destroy (diag_symptom_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    event_destroy (&(*self_p)->event);
    free (*self_p);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Template

typedef enum {
    PART_TEXT, PART_HOST, PART_COUNT, PART_CHECKS, PART_SYMPTOMS, PART_SCHEMA
} part_kind_t;

static const char *s_placeholders [] = {
    NULL, "host", "count", "checks", "symptoms", "schema"
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
            for (int k = PART_HOST; k <= PART_SCHEMA; k++)
                if (strlen (s_placeholders [k]) == nlen
                &&  memcmp (s_placeholders [k], text + i + 2, nlen) == 0)
                    kind = k;
            if (kind < 0) {
                snprintf (err, errlen, "template: unknown placeholder '{{%.*s}}' "
                          "(known: host count checks symptoms schema)", (int) nlen, text + i + 2);
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
s_add_block (s_buf_t *b, const char *text, size_t max)
{
    size_t len = strlen (text);
    size_t keep = s_utf8_prefix (text, len, max);
    const char *p = text, *end = text + keep;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        const char *stop = nl ? nl : end;
        s_buf_str (b, "  | ");
        s_buf_add (b, p, (size_t) (stop - p));
        s_buf_str (b, "\n");
        p = nl ? nl + 1 : end;
    }
    if (keep < len)
        s_buf_fmt (b, "  | ...(%zu more bytes)\n", len - keep);
}

static void
s_add_duration (s_buf_t *b, int64_t ms)
{
    if (ms % (3600 * 1000) == 0)
        s_buf_fmt (b, "%lldh", (long long) (ms / (3600 * 1000)));
    else
    if (ms % (60 * 1000) == 0)
        s_buf_fmt (b, "%lldm", (long long) (ms / (60 * 1000)));
    else
        s_buf_fmt (b, "%llds", (long long) (ms / 1000));
}

static void
s_render_symptom (s_buf_t *b, const diag_symptom_t *s, const level_t *lv, int max_evidence)
{
    const event_t *e = s->event;
    s_buf_fmt (b, "### check %s (kind %s, %s)\n", e->check ? e->check : "?",
               e->kind ? e->kind : "?", e->critical ? "critical" : "optional");
    if (s->flaps > 0) {
        s_buf_fmt (b, "status: flapping: failed and was healed %d times in the last ", s->flaps);
        s_add_duration (b, s->flap_window_ms);
        s_buf_str (b, " (remediation helps for a while, the cause remains)\n");
    }
    else
        s_buf_fmt (b, "status: %s\n", severity_name (e->severity));
    const char *msg = e->message ? e->message : "";
    size_t mlen = strlen (msg);
    size_t mkeep = s_utf8_prefix (msg, mlen, lv->message_len);
    s_buf_str (b, "message: ");
    s_buf_add (b, msg, mkeep);
    s_buf_str (b, mkeep < mlen ? "...\n" : "\n");
    if (e->streak > 0)
        s_buf_fmt (b, "failing runs in a row: %lld\n", (long long) e->streak);
    if (e->since > 0) {
        time_t t = (time_t) (e->since / 1000);
        struct tm tm;
        char when [32];
        if (gmtime_r (&t, &tm) && strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
            s_buf_fmt (b, "in this state since: %s\n", when);
    }
    if (e->remedy) {
        s_buf_fmt (b, "remediation tried: %s -> %s (attempt %lld)\n",
                   e->remedy->action ? e->remedy->action : "?",
                   e->remedy->result ? e->remedy->result : "?",
                   (long long) e->remedy->attempt);
        if (e->remedy->output && *e->remedy->output && lv->output_len > 0) {
            s_buf_str (b, "remediation output:\n");
            s_add_block (b, e->remedy->output, lv->output_len);
        }
    }
    else
        s_buf_str (b, "remediation tried: none\n");
    int lines = lv->evidence_lines < max_evidence ? lv->evidence_lines : max_evidence;
    if (lines > 0 && e->evidence_count > 0) {
        s_buf_str (b, "evidence:\n");
        size_t shown = 0;
        for (size_t i = 0; i < e->evidence_count && shown < (size_t) lines; i++, shown++)
            s_add_block (b, e->evidence [i], lv->evidence_len);
        if (shown < e->evidence_count)
            s_buf_fmt (b, "  | ...(%zu more lines)\n", e->evidence_count - shown);
    }
    s_buf_str (b, "\n");
}

//  Render one section with the symptoms (first shown of count) at a level.
static void
s_render_section (s_buf_t *b, const diag_prompt_t *self, const section_t *sec,
                  diag_symptom_t *const *symptoms, size_t count, size_t shown,
                  const char *host, const level_t *lv, int max_evidence)
{
    for (size_t i = 0; i < sec->count; i++) {
        const part_t *p = &sec->parts [i];
        switch (p->kind) {
            case PART_TEXT:
                s_buf_str (b, p->text);
                break;
            case PART_HOST:
                s_buf_str (b, host ? host : "localhost");
                break;
            case PART_COUNT:
                s_buf_fmt (b, "%zu", count);
                break;
            case PART_SCHEMA:
                s_buf_str (b, self->schema);
                break;
            case PART_CHECKS:
                for (size_t k = 0; k < shown; k++) {
                    if (k)
                        s_buf_str (b, ", ");
                    const char *name = symptoms [k]->event->check;
                    s_buf_str (b, name ? name : "?");
                }
                if (shown < count)
                    s_buf_fmt (b, " and %zu more", count - shown);
                break;
            case PART_SYMPTOMS:
                for (size_t k = 0; k < shown; k++)
                    s_render_symptom (b, symptoms [k], lv, max_evidence);
                if (shown < count) {
                    s_buf_fmt (b, "(%zu more problems not shown to fit the context:", count - shown);
                    size_t note = 0;
                    for (size_t k = shown; k < count && note < PROMPT_MAX_NOTE; k++) {
                        const char *name = symptoms [k]->event->check;
                        s_buf_str (b, " ");
                        s_buf_str (b, name ? name : "?");
                        note += (name ? strlen (name) : 1) + 1;
                    }
                    s_buf_str (b, ")\n");
                }
                break;
        }
    }
}

int
diag_prompt_render (diag_prompt_t *self, diag_symptom_t *const *symptoms, size_t count,
                    const char *host, size_t budget, int max_evidence,
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
        s_buf_t sb = { 0 }, ub = { 0 };
        if (self->has_system)
            s_render_section (&sb, self, &self->system, symptoms, count, shown, host, lv, max_evidence);
        s_render_section (&ub, self, &self->user, symptoms, count, shown, host, lv, max_evidence);
        free (system);
        free (user);
        system = self->has_system ? s_buf_take (&sb) : NULL;
        user = s_buf_take (&ub);
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

//  --------------------------------------------------------------------------
//  Fingerprint

char *
diag_normalise (const char *text)
{
    if (!text)
        text = "";
    size_t len = strlen (text);
    char *out = (char *) malloc (len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (isdigit (c))
            continue;
        if (isspace (c)) {
            space = o > 0;
            continue;
        }
        if (space) {
            out [o++] = ' ';
            space = false;
        }
        out [o++] = (char) (c < 0x80 ? tolower (c) : c);
    }
    out [o] = 0;
    return out;
}

typedef struct {
    char *key;                  //  name \x1f normalised message \x1f flapping
} s_fp_item_t;

static int
s_fp_compare (const void *a, const void *b)
{
    return strcmp (((const s_fp_item_t *) a)->key, ((const s_fp_item_t *) b)->key);
}

char *
diag_fingerprint (diag_symptom_t *const *symptoms, size_t count,
                  const char *model, const char *template_text)
{
    s_fp_item_t *items = (s_fp_item_t *) calloc (count ? count : 1, sizeof *items);
    if (!items)
        return NULL;
    char *result = NULL;
    s_buf_t all = { 0 };
    for (size_t i = 0; i < count; i++) {
        const event_t *e = symptoms [i]->event;
        char *norm = diag_normalise (e->message);
        if (!norm)
            goto cleanup;
        s_buf_t b = { 0 };
        s_buf_str (&b, e->check ? e->check : "");
        s_buf_str (&b, "\x1f");
        s_buf_str (&b, norm);
        s_buf_str (&b, symptoms [i]->flaps > 0 ? "\x1f" "flapping" : "\x1f" "critical");
        free (norm);
        items [i].key = s_buf_take (&b);
        if (!items [i].key)
            goto cleanup;
    }
    qsort (items, count, sizeof *items, s_fp_compare);
    s_buf_str (&all, "heal-diagnosis-v1\x1e");
    s_buf_str (&all, model ? model : "");
    s_buf_str (&all, "\x1e");
    s_buf_str (&all, template_text ? template_text : "");
    for (size_t i = 0; i < count; i++) {
        s_buf_str (&all, "\x1e");
        s_buf_str (&all, items [i].key);
    }
    if (all.failed)
        goto cleanup;
    zdigest_t *digest = zdigest_new ();
    if (!digest)
        goto cleanup;
    zdigest_update (digest, (const byte *) all.data, all.len);
    const char *hex = zdigest_string (digest);
    result = (char *) malloc (DIAG_FINGERPRINT_LEN + 1);
    if (result && hex) {
        for (size_t i = 0; i < DIAG_FINGERPRINT_LEN; i++)
            result [i] = (char) tolower ((unsigned char) hex [i]);
        result [DIAG_FINGERPRINT_LEN] = 0;
    }
    else {
        free (result);
        result = NULL;
    }
    zdigest_destroy (&digest);
cleanup:
    for (size_t i = 0; i < count; i++)
        free (items [i].key);
    free (items);
    free (all.data);
    return result;
}
