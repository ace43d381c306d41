//  parse — values as the config writes them: durations, sizes, rates, booleans,
//  check names. bus/parse.c.

#ifndef HEAL_PARSE_H_INCLUDED
#define HEAL_PARSE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  "300" (seconds), "250ms", "5s", "15m", "6h", "2d" -> milliseconds.
//  Returns 0, or -1 for anything else (negative, overflow, junk, empty).
int heal_parse_duration_ms (const char *text, int64_t *ms);

//  "4096", "10K", "100M", "5G", "1T" (powers of 1024, optional trailing "B")
//  -> bytes. Returns 0 or -1.
int heal_parse_size (const char *text, uint64_t *bytes);

//  "10%" -> *percent = 10, *is_percent = true; otherwise a size in bytes.
int heal_parse_size_or_percent (const char *text, uint64_t *bytes, double *percent,
                                bool *is_percent);

//  "50/h", "10/m", "3/s", "100/d" -> events per hour (*count) over a window of
//  *window_ms. Returns 0 or -1.
int heal_parse_rate (const char *text, uint64_t *count, int64_t *window_ms);

//  "true"/"false"/"yes"/"no"/"1"/"0"/"on"/"off" -> bool. Returns 0 or -1.
int heal_parse_bool (const char *text, bool *value);

//  A plain decimal number from a request: digits only (no sign, no spaces,
//  no "0x"), at most max. Returns 0, or -1 for anything else. strtoll would
//  take " 60" and "+60"; a request says exactly one thing.
int heal_parse_decimal (const char *text, uint64_t max, uint64_t *value);

//  Check names: [A-Za-z0-9_-]{1,64}.
bool heal_name_valid (const char *name);

//  The same rule for the len bytes at name (not NUL-terminated).
bool heal_name_valid_n (const char *name, size_t len);

#endif
