//  unit.h — the checks every unit test uses. A failed check prints where it
//  is and what it tested, and the test goes on; main() ends with
//  `return s_failed ? 1 : 0` after printing its own summary.
//
//      CHECK (cond);                       FAIL file:line: cond
//      CHECKF (cond, "got %d", n);         FAIL file:line: cond: got 3

#ifndef HEAL_TEST_UNIT_H_INCLUDED
#define HEAL_TEST_UNIT_H_INCLUDED

#include <stdio.h>

static int s_failed = 0;
static int s_checks = 0;

#define CHECK(cond) do { \
    s_checks++; \
    if (!(cond)) { \
        s_failed++; \
        fprintf (stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    } \
} while (0)

#define CHECKF(cond, ...) do { \
    s_checks++; \
    if (!(cond)) { \
        s_failed++; \
        fprintf (stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
        fprintf (stderr, __VA_ARGS__); \
        fprintf (stderr, "\n"); \
    } \
} while (0)

#endif
