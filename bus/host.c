//  host — this host's name and the monotonic clock (include/heal/host.h).
//  heal_hostname's one-time cache is guarded by pthread_once.

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "heal/host.h"

static char s_hostname_buf [256];
static pthread_once_t s_hostname_once = PTHREAD_ONCE_INIT;

static void
s_hostname_init (void)
{
    char buf [256] = "";
    if (gethostname (buf, sizeof buf - 1))
        buf [0] = 0;
    buf [sizeof buf - 1] = 0;
    char *dot = strchr (buf, '.');
    if (dot)
        *dot = 0;
    bool ok = buf [0] != 0;
    for (char *p = buf; *p; p++)
        if (!(isalnum ((unsigned char) *p) || *p == '-' || *p == '_'))
            ok = false;
    snprintf (s_hostname_buf, sizeof s_hostname_buf, "%s", ok ? buf : "localhost");
}

//  Set once heal_hostname has been read (or a name set): from then on the
//  name never changes, so readers on other threads never see it move.
static atomic_bool s_hostname_fixed;

const char *
heal_hostname (void)
{
    pthread_once (&s_hostname_once, s_hostname_init);
    atomic_store (&s_hostname_fixed, true);
    return s_hostname_buf;
}

int
heal_hostname_set (const char *name)
{
    size_t len = name? strlen (name): 0;
    if (len == 0 || len > 64 || name [0] == '-' || name [0] == '.')
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name [i];
        if (!(isalnum (c) || c == '-' || c == '.' || c == '_'))
            return -1;
    }
    pthread_once (&s_hostname_once, s_hostname_init);
    if (!atomic_exchange (&s_hostname_fixed, true))
        snprintf (s_hostname_buf, sizeof s_hostname_buf, "%s", name);
    return 0;
}

int64_t
heal_monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
