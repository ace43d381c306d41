//  utf8 — UTF-8 validation and repair of text from outside (include/heal/utf8.h).

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heal/utf8.h"

//  Length of the valid UTF-8 sequence at s (at most len bytes), 0 if invalid.
//  Rejects overlong forms, surrogates and code points above U+10FFFF.
static size_t
s_utf8_seq (const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s [0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)      { n = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; min = 0x10000; }
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s [i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

bool
heal_utf8_valid (const char *data, size_t len)
{
    if (!data)
        return false;
    const unsigned char *s = (const unsigned char *) data;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_utf8_seq (s + i, len - i, &cp);
        if (n == 0 || cp == 0)
            return false;
        i += n;
    }
    return true;
}

//  The shared body of heal_safe_string and heal_safe_text.
static char *
s_safe (const char *src, size_t len, size_t max, bool keep_newlines)
{
    if (!src)
        return NULL;
    //  worst case: each input byte becomes 3 output bytes (U+FFFD)
    size_t room = len < (SIZE_MAX - 1) / 3 && len * 3 < max ? len * 3 : max;
    if (room == SIZE_MAX)
        return NULL;
    char *out = (char *) malloc (room + 1);
    if (!out)
        return NULL;
    const unsigned char *s = (const unsigned char *) src;
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_utf8_seq (s + i, len - i, &cp);
        if (n == 0) {
            if (o + 3 > room)
                break;
            out [o++] = (char) 0xEF;
            out [o++] = (char) 0xBF;
            out [o++] = (char) 0xBD;
            i++;
        }
        else
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
            if (o + 1 > room)
                break;
            if (cp == '\t' || (keep_newlines && cp == '\n'))
                out [o++] = (char) cp;
            else
                out [o++] = '?';
            i += n;
        }
        else {
            if (o + n > room)
                break;
            memcpy (out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out [o] = 0;
    return out;
}

char *
heal_safe_string (const char *src, size_t len, size_t max)
{
    return s_safe (src, len, max, false);
}

char *
heal_safe_text (const char *src, size_t len, size_t max)
{
    return s_safe (src, len, max, true);
}
