//  suggest — edit distance for "did you mean" suggestions
//  (include/heal/suggest.h).

#include <stdint.h>
#include <string.h>
#include "heal/suggest.h"

size_t
heal_edit_distance (const char *a, const char *b)
{
    if (!a || !b)
        return SIZE_MAX;
    size_t la = strlen (a), lb = strlen (b);
    //  bounded: names and keys are short; longer input is compared truncated
    if (la > 256)
        la = 256;
    if (lb > 256)
        lb = 256;
    size_t row [257], prev [257];
    for (size_t j = 0; j <= lb; j++)
        prev [j] = j;
    for (size_t i = 1; i <= la; i++) {
        row [0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a [i - 1] == b [j - 1] ? 0 : 1;
            size_t best = prev [j] + 1;
            if (row [j - 1] + 1 < best)
                best = row [j - 1] + 1;
            if (prev [j - 1] + cost < best)
                best = prev [j - 1] + cost;
            row [j] = best;
        }
        memcpy (prev, row, (lb + 1) * sizeof (size_t));
    }
    return prev [lb];
}
