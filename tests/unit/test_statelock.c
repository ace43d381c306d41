//  test_statelock — selftest of agent/statelock.c: one holder per state dir,
//  the holder's pid for the refused, released on destroy, no symlink.

#include "statelock.h"
#include "heal/heal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"

int
main (void)
{
    char dir [] = "/tmp/heal-test-lock-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    int holder = -1;
    statelock_t *first = statelock_new (dir, &holder);
    CHECK (first != NULL && holder == 0);

    //  a second taker (another open file description: flock conflicts even
    //  within one process) is refused and told who holds it
    holder = -1;
    errno = 0;
    statelock_t *second = statelock_new (dir, &holder);
    CHECK (second == NULL && errno == EWOULDBLOCK);
    CHECKF (holder == (int) getpid (), "holder %d", holder);

    //  released: the next one gets it
    statelock_destroy (&first);
    CHECK (first == NULL);
    second = statelock_new (dir, &holder);
    CHECK (second != NULL);
    statelock_destroy (&second);

    //  a symlink in the lock file's place is refused, never followed
    char path [256], target [256];
    snprintf (path, sizeof path, "%s/%s", dir, STATELOCK_FILE);
    snprintf (target, sizeof target, "%s/elsewhere", dir);
    CHECK (unlink (path) == 0);
    CHECK (symlink (target, path) == 0);
    errno = 0;
    CHECK (statelock_new (dir, &holder) == NULL && errno == ELOOP);
    CHECK (access (target, F_OK) != 0);
    unlink (path);

    //  a state dir that does not exist: an error, not a refusal
    char missing [300];
    snprintf (missing, sizeof missing, "%s/missing", dir);
    errno = 0;
    CHECK (statelock_new (missing, &holder) == NULL && errno == ENOENT);
    rmdir (dir);

    if (s_failed) {
        fprintf (stderr, "test_statelock: %d failure(s)\n", s_failed);
        return 1;
    }
    printf ("test_statelock: ok (%d checks)\n", s_checks);
    return 0;
}
