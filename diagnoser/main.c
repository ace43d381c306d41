//  diagnoser main — placeholder until its issue lands.
#include "heal/heal.h"
#include <stdio.h>
int main (void);
int
main (void)
{
    fprintf (stderr, "diagnoser: not implemented yet\n");
    return 1;
}
