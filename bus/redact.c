//  redact — libheal's redactor (heal/redact.h): built-in patterns for the
//  common shapes of credentials plus the operator's, PCRE2 with a match
//  limit; every match becomes "[redacted]". The diagnoser runs it before any
//  text reaches the model; the agent before an event goes on the bus when
//  `redact = true` is set in `agent`.

#include "heal/redact.h"
#include "heal/strbuf.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDACTED            HEAL_REDACTED
#define REDACT_FAILED       "[redaction failed]"
#define REDACT_MATCH_LIMIT  200000  //  backtracking bound per match

//  --------------------------------------------------------------------------
//  Redaction

//  Names that make a key or a flag secret-looking.
#define SECRET_NAMES "password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|" \
                     "access[_-]?key|private[_-]?key|credentials?|auth[_-]?key"

//  Built-in patterns for the common shapes of secrets (heal/redact.h lists
//  them). \K keeps the key's name visible: "password=[redacted]" still tells
//  the model a password was involved.
static const char *s_default_patterns [] = {
    //  key = value, key: value (also inside longer names: DB_PASSWORD=)
    "(?i)(?:" SECRET_NAMES ")[A-Za-z0-9_.-]*[\"']?\\s*[=:]\\s*\\K"
    "(?:\"[^\"]*\"|'[^']*'|[^\\s,;&\"']+)",
    //  a flag with a secret-looking name, its value after white space
    //  (--password SECRET, --api-token X)
    "(?i)(?<![\\w-])--?(?:[A-Za-z0-9]+[_-])*(?:" SECRET_NAMES "|pass)[A-Za-z0-9_-]*\\s+\\K"
    "(?:\"[^\"]*\"|'[^']*'|[^\\s\"']+)",
    //  a secret-looking word, white space, a value that is not prose
    //  (password SECRET; not "password incorrect", "token expired")
    "(?i)\\b(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey)\\s+\\K"
    "(?-i)(?![a-z]+(?:[\\s,;.!?)]|$))(?:\"[^\"]*\"|'[^']*'|[^\\s,;\"']+)",
    //  -pVALUE (mysql -pSECRET)
    "(?<![\\w-])-p\\K[^\\s\"'-][^\\s\"']*",
    //  HTTP authorisation
    "(?i)\\b(?:bearer|basic)\\s+\\K[A-Za-z0-9._~+/=-]{8,}",
    //  password in a URL: scheme://user:PASSWORD@host
    "://[^/\\s:@]*:\\K[^/\\s@]+(?=@)",
    //  webhook URLs whose path is the secret
    "(?i)hooks\\.slack\\.com/(?:services|workflows|triggers)/\\K[A-Za-z0-9/_-]+",
    "(?i)discord(?:app)?\\.com/api/webhooks/\\K[A-Za-z0-9/_-]+",
    //  secret query parameters
    "(?i)[?&](?:token|access_token|api_key|apikey|key|secret|sig|signature|password|pass|"
    "auth|x-amz-signature|x-amz-credential)=\\K[^&\\s#\"']+",
    //  AWS access key id, JSON web tokens
    "\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b",
    "\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}",
    //  prefixed API tokens: GitHub, GitLab, Slack, Stripe, Google, OpenAI,
    //  Anthropic, Hugging Face, npm, SendGrid, Shopify, DigitalOcean
    "\\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|"
    "xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|"
    "(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,}|"
    "AIza[0-9A-Za-z_-]{30,}|sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{20,}|"
    "npm_[A-Za-z0-9]{30,}|SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}|"
    "shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}|dop_v1_[a-f0-9]{64})",
    //  a whole PEM private key block (to its END line or the end of the text)
    "-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
    "(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\\z)",
    NULL
};

struct heal_redactor_t {
    pcre2_code *codes [HEAL_REDACT_MAX_PATTERNS + 32];
    size_t count;
    pcre2_match_context *mctx;
    pcre2_match_data *match;
};

size_t
heal_redact_default_count (void)
{
    size_t n = 0;
    while (s_default_patterns [n])
        n++;
    return n;
}

const char *
heal_redact_default (size_t index)
{
    return index < heal_redact_default_count () ? s_default_patterns [index] : NULL;
}

static int
s_redactor_add (heal_redactor_t *self, const char *pattern, char *err, size_t errlen)
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

heal_redactor_t *
heal_redactor_new (char *const *patterns, size_t count, bool defaults,
                   char *err, size_t errlen)
{
    if (count > HEAL_REDACT_MAX_PATTERNS) {
        snprintf (err, errlen, "at most %d redact patterns", HEAL_REDACT_MAX_PATTERNS);
        return NULL;
    }
    heal_redactor_t *self = (heal_redactor_t *) calloc (1, sizeof *self);
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
    heal_redactor_destroy (&self);
    return NULL;
}

void
heal_redactor_destroy (heal_redactor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    heal_redactor_t *self = *self_p;
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
s_redact_one (heal_redactor_t *self, pcre2_code *re, const char *text, bool *error)
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
heal_redact (heal_redactor_t *self, const char *text)
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

//  Does line open a PEM private key block that it does not close?
static bool
s_pem_opens (const char *line)
{
    const char *begin = strstr (line, "-----BEGIN ");
    if (!begin)
        return false;
    const char *key = strstr (begin, "PRIVATE KEY");
    return key && !strstr (key, "-----END ");
}

int
heal_redact_lines (heal_redactor_t *self, char **lines, size_t count)
{
    bool in_pem = false;
    for (size_t i = 0; i < count; i++) {
        if (!lines [i])
            continue;
        char *clean;
        bool opens = s_pem_opens (lines [i]);
        if (in_pem) {
            //  a body line (base64, nothing a pattern can see) or the END line
            if (strstr (lines [i], "-----END "))
                in_pem = false;
            clean = strdup (REDACTED);
        }
        else
            clean = heal_redact (self, lines [i]);
        if (!clean)
            return -1;
        if (opens && self)
            in_pem = true;
        free (lines [i]);
        lines [i] = clean;
    }
    return 0;
}
