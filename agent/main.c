//  agent main — placeholder until its issue lands.
#include "heal/heal.h"
#include <stdio.h>
int main (void);
int
main (void)
{
    fprintf (stderr, "agent: not implemented yet\n");
    return 1;
}
