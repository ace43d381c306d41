//  suggest — edit distance, for "did you mean" suggestions. bus/suggest.c.

#ifndef HEAL_SUGGEST_H_INCLUDED
#define HEAL_SUGGEST_H_INCLUDED

#include <stddef.h>

//  Levenshtein distance, for "did you mean" suggestions.
size_t heal_edit_distance (const char *a, const char *b);

#endif
