//  redact — libheal's redactor of credentials: built-in patterns for the
//  common shapes of secrets plus the operator's own (PCRE2, with a match
//  limit). Every match becomes "[redacted]". Used by the diagnoser before any
//  text reaches the model, and by the agent before an event goes on the bus
//  when the operator sets `redact = true` in `agent`.
//
//  The built-in shapes (docs/diagnoser.md "Redaction"):
//  - key/value pairs whose key looks secret (password, passwd, pwd, secret,
//    token, api_key, access_key, private_key, credential, auth...), joined
//    by `=`, `:` or white space (`password SECRET`, `--password SECRET`);
//    after white space a value of lower-case letters only is kept ("password
//    incorrect", "token expired"): it reads as prose, not as a secret;
//  - a `-pVALUE` flag (mysql -pSECRET);
//  - HTTP Authorization (Bearer, Basic);
//  - well-known token prefixes: AWS (AKIA/ASIA), GitHub (ghp_ github_pat_),
//    GitLab (glpat-), Slack (xox?-, xapp-), Stripe (sk_live_ rk_live_ ...),
//    Google (AIza...), OpenAI/Anthropic (sk-, sk-ant-), Hugging Face (hf_),
//    npm (npm_), SendGrid (SG.), JSON web tokens;
//  - URLs with credentials (scheme://user:PASS@), webhook URLs whose path is
//    the secret (Slack, Discord), secret query parameters (?token= &sig=);
//  - whole PEM private key blocks, also across lines (heal_redact_lines).

#ifndef HEAL_REDACT_H_INCLUDED
#define HEAL_REDACT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define HEAL_REDACT_MAX_PATTERNS  32     //  operator patterns at most
#define HEAL_REDACTED             "[redacted]"

typedef struct heal_redactor_t heal_redactor_t;

//  Compile patterns (PCRE2, UTF) plus, when defaults is true, the built-in
//  ones. NULL + err on a bad pattern. Caller owns.
heal_redactor_t *heal_redactor_new (char *const *patterns, size_t count, bool defaults,
                                    char *err, size_t errlen);
void heal_redactor_destroy (heal_redactor_t **self_p);

//  Copy of text with every match replaced by "[redacted]"; a PEM private key
//  block (BEGIN to END, or to the end of text) becomes one "[redacted]".
//  Caller frees. NULL text gives NULL. self NULL = plain copy. When a match
//  fails (limit) the result is "[redaction failed]": never the input.
char *heal_redact (heal_redactor_t *self, const char *text);

//  Redact count separate lines in place (each replaced by an owned copy),
//  with the state of a PEM block carried from line to line: the body lines
//  between a BEGIN ... PRIVATE KEY line and its END line are redacted whole.
//  Returns 0, or -1 when out of memory.
int heal_redact_lines (heal_redactor_t *self, char **lines, size_t count);

//  Number of built-in patterns (for docs and tests) and each of them.
size_t heal_redact_default_count (void);
const char *heal_redact_default (size_t index);

#endif
