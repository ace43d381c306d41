//  strbuf — a bounded, growable string (include/heal/strbuf.h).

#include "heal/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
heal_strbuf_add (heal_strbuf_t *self, const char *text, size_t len)
{
    if (self->failed)
        return;
    size_t max = self->max ? self->max : HEAL_STRBUF_MAX;
    if (len > max - self->len) {
        self->failed = true;
        return;
    }
    if (self->len + len + 1 > self->cap) {
        size_t cap = self->cap ? self->cap : 1024;
        while (cap < self->len + len + 1)
            cap *= 2;
        char *data = (char *) realloc (self->data, cap);
        if (!data) {
            self->failed = true;
            return;
        }
        self->data = data;
        self->cap = cap;
    }
    memcpy (self->data + self->len, text, len);
    self->len += len;
    self->data [self->len] = 0;
}

void
heal_strbuf_str (heal_strbuf_t *self, const char *text)
{
    heal_strbuf_add (self, text, strlen (text));
}

void
heal_strbuf_fmt (heal_strbuf_t *self, const char *format, ...)
{
    char text [HEAL_STRBUF_MAX_FMT];
    va_list args;
    va_start (args, format);
    int n = vsnprintf (text, sizeof text, format, args);
    va_end (args);
    if (n < 0)
        self->failed = true;
    else
        heal_strbuf_add (self, text, (size_t) n < sizeof text ? (size_t) n : sizeof text - 1);
}

char *
heal_strbuf_take (heal_strbuf_t *self)
{
    char *data = self->data;
    bool failed = self->failed;
    self->data = NULL;
    self->len = self->cap = 0;
    self->failed = false;
    if (failed) {
        free (data);
        return NULL;
    }
    return data ? data : strdup ("");
}

void
heal_strbuf_reset (heal_strbuf_t *self)
{
    free (self->data);
    self->data = NULL;
    self->len = self->cap = 0;
    self->failed = false;
}
