//  test_strbuf — libheal's bounded string builder (include/heal/strbuf.h).

#include "heal/heal.h"

#include <stdlib.h>
#include <string.h>
#include "unit.h"

int
main (void)
{
    heal_strbuf_t b = HEAL_STRBUF_INIT (0);
    char *text = heal_strbuf_take (&b);
    CHECK (text && streq (text, ""));           //  nothing added: ""
    free (text);

    heal_strbuf_str (&b, "check ");
    heal_strbuf_add (&b, "disk-full", 4);
    heal_strbuf_fmt (&b, " failed %d times", 3);
    CHECK (b.len == strlen ("check disk failed 3 times"));
    text = heal_strbuf_take (&b);
    CHECK (text && streq (text, "check disk failed 3 times"));
    free (text);
    CHECK (b.data == NULL && b.len == 0);

    //  Growth past the first allocation keeps every byte.
    for (int i = 0; i < 1000; i++)
        heal_strbuf_str (&b, "0123456789");
    CHECK (b.len == 10000 && b.data [9999] == '9' && b.data [10000] == 0);
    heal_strbuf_reset (&b);
    CHECK (b.data == NULL && b.len == 0 && !b.failed);

    //  The bound: passing it is sticky, and take gives NULL.
    heal_strbuf_t small = HEAL_STRBUF_INIT (8);
    heal_strbuf_str (&small, "12345678");
    CHECK (!small.failed && small.len == 8);
    heal_strbuf_str (&small, "9");
    CHECK (small.failed);
    heal_strbuf_str (&small, "");
    CHECK (small.failed && small.len == 8);
    CHECK (heal_strbuf_take (&small) == NULL);

    //  One fmt adds at most HEAL_STRBUF_MAX_FMT - 1 bytes.
    char *big = (char *) malloc (HEAL_STRBUF_MAX_FMT * 2);
    memset (big, 'a', HEAL_STRBUF_MAX_FMT * 2 - 1);
    big [HEAL_STRBUF_MAX_FMT * 2 - 1] = 0;
    heal_strbuf_fmt (&b, "%s", big);
    CHECK (b.len == HEAL_STRBUF_MAX_FMT - 1);
    heal_strbuf_reset (&b);
    free (big);

    printf ("test_strbuf: %d checks, %d failed\n", s_checks, s_failed);
    return s_failed ? 1 : 0;
}
