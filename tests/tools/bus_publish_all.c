//  bus_publish_all — publish one event of every message type, in rounds, on a
//  PUB bound at ENDPOINT, through bus_publisher_send (the agent's own path).
//  For subscribers written in other languages to test against
//  (tests/integration/test_bus_python.py).
//
//  Usage: bus_publish_all ENDPOINT [ROUNDS [INTERVAL_MS]]
//    ROUNDS       rounds of all samples; 0 = until SIGINT/SIGTERM (default 0)
//    INTERVAL_MS  pause between rounds (default 20)
//  Prints the resolved endpoint on the first line of stdout once bound, and
//  "sent N dropped N" on stderr at exit.

#include <stdio.h>
#include <stdlib.h>
#include <czmq.h>
#include "heal/bus.h"
#include "../bus_samples.h"

int
main (int argc, char *argv [])
{
    if (argc < 2 || argc > 4) {
        fprintf (stderr, "usage: bus_publish_all ENDPOINT [ROUNDS [INTERVAL_MS]]\n");
        return 64;
    }
    long rounds = argc > 2 ? strtol (argv [2], NULL, 10) : 0;
    long interval = argc > 3 ? strtol (argv [3], NULL, 10) : 20;
    if (rounds < 0 || interval < 0 || interval > 60000) {
        fprintf (stderr, "bus_publish_all: bad ROUNDS or INTERVAL_MS\n");
        return 64;
    }
    zsys_init ();
    bus_publisher_t *pub = bus_publisher_new (argv [1], "bus_publish_all");
    if (!pub)
        return 1;
    printf ("%s\n", bus_publisher_endpoint (pub));
    fflush (stdout);
    for (long r = 0; (rounds == 0 || r < rounds) && !zsys_interrupted; r++) {
        for (const sample_t *s = s_samples; s->name; s++) {
            event_t *e = s->make ();
            e->ts = 0;              //  stamped now by the publisher
            bus_publisher_send (pub, e);
            event_destroy (&e);
        }
        if (interval)
            zclock_sleep ((int) interval);
    }
    fprintf (stderr, "bus_publish_all: sent %llu dropped %llu\n",
             (unsigned long long) bus_publisher_sent (pub),
             (unsigned long long) bus_publisher_dropped (pub));
    bus_publisher_destroy (&pub);
    return 0;
}
