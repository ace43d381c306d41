//  redact — the diagnoser's redactor: built-in patterns for obvious secrets
//  plus the operator's, PCRE2 with a match limit; every match becomes
//  "[redacted]" before any text reaches the model (diagnoser.h).

#include "diagnoser.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDACTED            "[redacted]"
#define REDACT_FAILED       "[redaction failed]"
#define REDACT_MATCH_LIMIT  200000  //  backtracking bound per match

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
    heal_strbuf_t out = HEAL_STRBUF_INIT (0);
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
        heal_strbuf_add (&out, text + copied, start - copied);
        heal_strbuf_str (&out, REDACTED);
        copied = end;
        pos = end;
    }
    heal_strbuf_add (&out, text + copied, len - copied);
    char *result = heal_strbuf_take (&out);
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
