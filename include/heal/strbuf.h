//  strbuf — a bounded, growable string for building text piece by piece
//  (prompts, keys, messages). Allocation failure and passing the bound are
//  sticky: later appends do nothing and heal_strbuf_take gives NULL, so a
//  caller appends freely and checks once at the end.
//
//      heal_strbuf_t b = HEAL_STRBUF_INIT (0);
//      heal_strbuf_str (&b, "check ");
//      heal_strbuf_fmt (&b, "%s failed %d times", name, n);
//      char *text = heal_strbuf_take (&b);     //  owned, or NULL

#ifndef HEAL_STRBUF_H_INCLUDED
#define HEAL_STRBUF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define HEAL_STRBUF_MAX        (16 * 1024 * 1024)  //  bytes, when max is 0
#define HEAL_STRBUF_MAX_FMT    512                 //  bytes one heal_strbuf_fmt adds

typedef struct {
    char *data;                 //  owned; NUL-terminated once anything was added
    size_t len;
    size_t cap;
    size_t max;                 //  bytes of text at most (0: HEAL_STRBUF_MAX)
    bool failed;                //  out of memory or over max
} heal_strbuf_t;

#define HEAL_STRBUF_INIT(max) { NULL, 0, 0, (max), false }

//  Append len bytes of text.
void heal_strbuf_add (heal_strbuf_t *self, const char *text, size_t len);

//  Append a NUL-terminated string.
void heal_strbuf_str (heal_strbuf_t *self, const char *text);

//  Append formatted text (at most HEAL_STRBUF_MAX_FMT - 1 bytes of it).
void heal_strbuf_fmt (heal_strbuf_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Take the text out ("" when nothing was added; NULL when failed); the
//  buffer is empty afterwards. Caller frees.
char *heal_strbuf_take (heal_strbuf_t *self);

//  Free the text (heal_strbuf_take not called). The buffer is empty afterwards.
void heal_strbuf_reset (heal_strbuf_t *self);

#endif
