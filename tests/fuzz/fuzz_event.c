//  fuzz_event — libFuzzer target for the bus decoder (`make fuzz`).
//
//  The input is tried as a bare payload (event_decode) and, split at a length
//  taken from its first byte, as topic + payload (event_decode_message).
//  Whatever decodes must encode again and decode to the same JSON: the codec
//  never accepts what it cannot reproduce.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heal/event.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_round_trip (const event_t *e)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    if (event_encode (e, &buf) != 0)
        abort ();               //  decoded, so it must be encodable
    char err [256];
    event_t *again = event_decode (buf.data, buf.size, err, sizeof err);
    if (!again)
        abort ();
    json_t *a = event_to_json (e), *b = event_to_json (again);
    if (!a || !b || !json_equal (a, b))
        abort ();
    json_decref (a);
    json_decref (b);
    char *topic = event_topic (again);
    if (!topic)
        abort ();
    event_t *m = event_decode_message (topic, strlen (topic), buf.data, buf.size, err, sizeof err);
    if (!m)
        abort ();
    free (topic);
    event_destroy (&m);
    event_destroy (&again);
    msgpack_sbuffer_destroy (&buf);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err [256];
    event_t *e = event_decode (data, size, err, sizeof err);
    if (e) {
        s_round_trip (e);
        event_destroy (&e);
    }
    if (size > 1) {
        size_t topic_size = data [0];
        if (topic_size > size - 1)
            topic_size = size - 1;
        e = event_decode_message ((const char *) data + 1, topic_size, data + 1 + topic_size,
                                  size - 1 - topic_size, err, sizeof err);
        if (e) {
            s_round_trip (e);
            event_destroy (&e);
        }
    }
    return 0;
}
