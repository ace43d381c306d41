//  host — this host's name and the monotonic clock (include/heal/host.h).
//  heal_hostname's one-time cache is guarded by pthread_once.

#include <ctype.h>
#include <pthread.h>
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

const char *
heal_hostname (void)
{
    pthread_once (&s_hostname_once, s_hostname_init);
    return s_hostname_buf;
}

int64_t
heal_monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
