//  symptom — the diagnoser's symptom model: a redacted copy of a check event
//  (with how often it flapped), and the fingerprint of a set of symptoms that
//  keys the cache of diagnoses (diagnoser.h).

#include "diagnoser.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Symptoms

static int
s_redact_field (heal_redactor_t *redactor, char **field)
{
    if (!*field)
        return 0;
    char *clean = heal_redact (redactor, *field);
    if (!clean)
        return -1;
    free (*field);
    *field = clean;
    return 0;
}

diag_symptom_t *
diag_symptom_new (const event_t *event, heal_redactor_t *redactor)
{
    diag_symptom_t *self = (diag_symptom_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->event = event_dup (event);
    if (!self->event)
        goto fail;
    event_t *e = self->event;
    if (s_redact_field (redactor, &e->message)
    ||  s_redact_field (redactor, &e->description))
        goto fail;
    //  evidence lines together: a PEM block spans several
    if (heal_redact_lines (redactor, e->evidence, e->evidence_count))
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
    diag_symptom_t *self = *self_p;
    event_destroy (&self->event);
    free (self->command);
    free (self->settings);
    free (self->remedy_config);
    free (self->description);
    free (self->depends);
    free (self->probe);
    free (self);
    *self_p = NULL;
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
    heal_strbuf_t all = HEAL_STRBUF_INIT (0);
    for (size_t i = 0; i < count; i++) {
        const event_t *e = symptoms [i]->event;
        char *norm = diag_normalise (e->message);
        if (!norm)
            goto cleanup;
        heal_strbuf_t b = HEAL_STRBUF_INIT (0);
        heal_strbuf_str (&b, e->check ? e->check : "");
        heal_strbuf_str (&b, "\x1f");
        heal_strbuf_str (&b, severity_name (e->severity));
        heal_strbuf_str (&b, "\x1f");
        heal_strbuf_str (&b, norm);
        heal_strbuf_str (&b, symptoms [i]->flaps > 0 ? "\x1f" "flapping" : "\x1f" "critical");
        free (norm);
        //  the evidence a diagnosis rests on (issue 18: a PATH diagnosis must
        //  not be republished for a full disk that fails with the same message)
        for (size_t k = 0; k < e->evidence_count; k++) {
            char *line = diag_normalise (e->evidence [k]);
            heal_strbuf_str (&b, "\x1f");
            heal_strbuf_str (&b, line ? line : "");
            free (line);
        }
        if (e->remedy && e->remedy->output) {
            char *out = diag_normalise (e->remedy->output);
            heal_strbuf_str (&b, "\x1fremedy\x1f");
            heal_strbuf_str (&b, out ? out : "");
            free (out);
        }
        items [i].key = heal_strbuf_take (&b);
        if (!items [i].key)
            goto cleanup;
    }
    qsort (items, count, sizeof *items, s_fp_compare);
    heal_strbuf_str (&all, "heal-diagnosis-v1\x1e");
    heal_strbuf_str (&all, model ? model : "");
    heal_strbuf_str (&all, "\x1e");
    heal_strbuf_str (&all, template_text ? template_text : "");
    for (size_t i = 0; i < count; i++) {
        heal_strbuf_str (&all, "\x1e");
        heal_strbuf_str (&all, items [i].key);
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
    heal_strbuf_reset (&all);
    return result;
}
