//  parse — durations, sizes, rates, booleans and check names as the config
//  writes them (include/heal/parse.h).

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heal/parse.h"

//  Parse a run of decimal digits at *p into *value (no sign, no overflow).
//  Advances *p. Returns 0, or -1 when there are no digits or it overflows.
static int
s_parse_digits (const char **p, uint64_t *value)
{
    const char *s = *p;
    uint64_t v = 0;
    if (!isdigit ((unsigned char) *s))
        return -1;
    while (isdigit ((unsigned char) *s)) {
        unsigned d = (unsigned) (*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *value = v;
    return 0;
}

//  Case-insensitive equality of two ASCII strings.
static bool
s_ieq (const char *a, const char *b)
{
    while (*a && *b) {
        if (tolower ((unsigned char) *a) != tolower ((unsigned char) *b))
            return false;
        a++, b++;
    }
    return *a == *b;
}

int
heal_parse_duration_ms (const char *text, int64_t *ms)
{
    if (!text || !ms)
        return -1;
    const char *p = text;
    uint64_t n;
    if (s_parse_digits (&p, &n))
        return -1;
    uint64_t unit;
    if (*p == 0 || s_ieq (p, "s") || s_ieq (p, "sec"))
        unit = 1000;
    else
    if (s_ieq (p, "ms"))
        unit = 1;
    else
    if (s_ieq (p, "m") || s_ieq (p, "min"))
        unit = 60 * 1000;
    else
    if (s_ieq (p, "h"))
        unit = 3600 * 1000;
    else
    if (s_ieq (p, "d"))
        unit = 86400 * 1000;
    else
        return -1;
    if (n > (uint64_t) INT64_MAX / unit)
        return -1;
    *ms = (int64_t) (n * unit);
    return 0;
}

//  Multiplier for a size suffix ("", "K", "KB", "KiB", ...), 0 when unknown.
static uint64_t
s_size_unit (const char *p)
{
    static const char *const units = "KMGT";
    if (*p == 0 || s_ieq (p, "b"))
        return 1;
    const char *u = strchr (units, toupper ((unsigned char) *p));
    if (!u || !*u)
        return 0;
    uint64_t mult = 1;
    for (const char *x = units; x <= u; x++)
        mult *= 1024;
    const char *rest = p + 1;
    if (*rest == 0 || s_ieq (rest, "b") || s_ieq (rest, "ib"))
        return mult;
    return 0;
}

int
heal_parse_size (const char *text, uint64_t *bytes)
{
    if (!text || !bytes)
        return -1;
    const char *p = text;
    uint64_t n;
    if (s_parse_digits (&p, &n))
        return -1;
    uint64_t unit = s_size_unit (p);
    if (unit == 0 || n > UINT64_MAX / unit)
        return -1;
    *bytes = n * unit;
    return 0;
}

int
heal_parse_size_or_percent (const char *text, uint64_t *bytes, double *percent,
                            bool *is_percent)
{
    if (!text || !bytes || !percent || !is_percent)
        return -1;
    size_t len = strlen (text);
    if (len > 1 && text [len - 1] == '%') {
        //  digits, optionally one '.' and more digits; 0..100
        const char *p = text;
        uint64_t whole, frac = 0;
        double scale = 1;
        if (s_parse_digits (&p, &whole))
            return -1;
        if (*p == '.') {
            p++;
            const char *start = p;
            if (s_parse_digits (&p, &frac) || p - start > 6)
                return -1;
            for (const char *x = start; x < p; x++)
                scale *= 10;
        }
        if (*p != '%' || p [1] != 0)
            return -1;
        double v = (double) whole + (double) frac / scale;
        if (whole > 100 || v > 100.0)
            return -1;
        *percent = v;
        *bytes = 0;
        *is_percent = true;
        return 0;
    }
    if (heal_parse_size (text, bytes))
        return -1;
    *percent = 0;
    *is_percent = false;
    return 0;
}

int
heal_parse_rate (const char *text, uint64_t *count, int64_t *window_ms)
{
    if (!text || !count || !window_ms)
        return -1;
    const char *p = text;
    uint64_t n;
    if (s_parse_digits (&p, &n) || *p != '/')
        return -1;
    p++;
    //  "50/h" or "50/2h": the window is a duration with an implied 1.
    int64_t window;
    if (isdigit ((unsigned char) *p)) {
        if (heal_parse_duration_ms (p, &window))
            return -1;
        //  a bare number after '/' would read as seconds; require a unit
        const char *q = p;
        while (isdigit ((unsigned char) *q))
            q++;
        if (*q == 0)
            return -1;
    }
    else {
        char buf [8];
        int len = snprintf (buf, sizeof buf, "1%s", p);
        if (len < 2 || (size_t) len >= sizeof buf
        ||  heal_parse_duration_ms (buf, &window))
            return -1;
    }
    if (window <= 0)
        return -1;
    *count = n;
    *window_ms = window;
    return 0;
}

int
heal_parse_bool (const char *text, bool *value)
{
    if (!text || !value)
        return -1;
    if (s_ieq (text, "true") || s_ieq (text, "yes") || s_ieq (text, "on")
    ||  strcmp (text, "1") == 0)
        *value = true;
    else
    if (s_ieq (text, "false") || s_ieq (text, "no") || s_ieq (text, "off")
    ||  strcmp (text, "0") == 0)
        *value = false;
    else
        return -1;
    return 0;
}

int
heal_parse_decimal (const char *text, uint64_t max, uint64_t *value)
{
    if (!text || !*text || strlen (text) > 20)
        return -1;
    uint64_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        uint64_t digit = (uint64_t) (*p - '0');
        if (n > (max - digit) / 10)
            return -1;
        n = n * 10 + digit;
    }
    *value = n;
    return 0;
}

bool
heal_name_valid_n (const char *name, size_t len)
{
    //  The characters a name may hold, by code (the decoder checks every
    //  check name on the bus with this).
    static const char allowed [128 + 1] =
        "                                "
        "             -  0123456789      "
        " ABCDEFGHIJKLMNOPQRSTUVWXYZ    _"
        " abcdefghijklmnopqrstuvwxyz     ";
    if (!name || len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name [i];
        if (c >= 128 || allowed [c] == ' ')
            return false;
    }
    return true;
}

bool
heal_name_valid (const char *name)
{
    return name && heal_name_valid_n (name, strnlen (name, 65));
}
