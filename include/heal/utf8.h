//  utf8 — validation and repair of text from outside. bus/utf8.c.

#ifndef HEAL_UTF8_H_INCLUDED
#define HEAL_UTF8_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  Copy at most max bytes of src into a new string, replacing invalid UTF-8 by
//  U+FFFD and control characters (other than tab) by '?'; never cuts inside a
//  UTF-8 sequence. Caller frees. NULL src gives NULL.
char *heal_safe_string (const char *src, size_t len, size_t max);

//  Same as heal_safe_string but keeps newlines ('\n'): for multi-line text
//  such as command output. Caller frees. NULL src gives NULL.
char *heal_safe_text (const char *src, size_t len, size_t max);

//  Is [data, data+len) valid UTF-8 (no NUL)?
bool heal_utf8_valid (const char *data, size_t len);

#endif
