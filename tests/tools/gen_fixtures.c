//  gen_fixtures — write the golden bus fixtures into a directory
//  (`make fixtures` writes schemas/fixtures/). Valid fixtures are produced by
//  event_encode itself; the invalid ones are built from its output by one
//  targeted corruption each, or packed by hand where the encoder refuses to
//  produce them. test_event decodes every file and re-encodes the valid ones:
//  any change of the wire format shows up as a diff of these files.
//
//  Usage: gen_fixtures DIR

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heal/event.h"
#include "../bus_samples.h"

static int
s_write (const char *dir, const char *name, const void *data, size_t size)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s.msgpack", dir, name);
    FILE *f = fopen (path, "wb");
    if (!f || fwrite (data, 1, size, f) != size) {
        fprintf (stderr, "gen_fixtures: cannot write %s\n", path);
        if (f)
            fclose (f);
        return -1;
    }
    fclose (f);
    printf ("%s (%zu bytes)\n", path, size);
    return 0;
}

//  Header of the top-level map: its entry count and header length.
static size_t
s_map_header (const unsigned char *p, uint32_t *count)
{
    if (p [0] >= 0x80 && p [0] <= 0x8f) {
        *count = p [0] & 0x0f;
        return 1;
    }
    //  map16 (the encoder never needs map32 for an event)
    *count = (uint32_t) (p [1] << 8 | p [2]);
    return 3;
}

//  Encoded check event with `extra` more entries, then the entries.
static int
s_with_extra (msgpack_sbuffer *out, const msgpack_sbuffer *check, uint32_t extra)
{
    uint32_t count;
    size_t hdr = s_map_header ((const unsigned char *) check->data, &count);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, count + extra);
    return msgpack_sbuffer_write (out, check->data + hdr, check->size - hdr);
}

static void
s_pack_str (msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body (pk, s, strlen (s));
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: gen_fixtures DIR\n");
        return 64;
    }
    const char *dir = argv [1];
    int rc = 0;
    msgpack_sbuffer buf, check;
    msgpack_sbuffer_init (&buf);
    msgpack_sbuffer_init (&check);
    msgpack_packer pk;

    for (const sample_t *s = s_samples; s->name; s++) {
        event_t *e = s->make ();
        if (!e || event_encode (e, &buf)) {
            fprintf (stderr, "gen_fixtures: cannot encode %s\n", s->name);
            rc = 1;
        }
        else
            rc |= s_write (dir, s->name, buf.data, buf.size);
        if (strcmp (s->name, "check") == 0 && e && buf.size)
            msgpack_sbuffer_write (&check, buf.data, buf.size);
        event_destroy (&e);
    }

    //  Valid: v 1 with keys this version does not know (a newer minor).
    msgpack_sbuffer_clear (&buf);
    s_with_extra (&buf, &check, 2);
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    s_pack_str (&pk, "x_future");
    msgpack_pack_map (&pk, 1);
    s_pack_str (&pk, "nested");
    msgpack_pack_array (&pk, 2);
    msgpack_pack_int (&pk, 1);
    s_pack_str (&pk, "two");
    s_pack_str (&pk, "zz_note");
    s_pack_str (&pk, "ignored by v1 readers");
    rc |= s_write (dir, "check-unknown-keys", buf.data, buf.size);

    //  Invalid: major version 2. The encoder writes "v" first: {.. a1 'v' 01 ..}
    msgpack_sbuffer_clear (&buf);
    msgpack_sbuffer_write (&buf, check.data, check.size);
    {
        uint32_t count;
        size_t hdr = s_map_header ((const unsigned char *) buf.data, &count);
        if (buf.data [hdr] == (char) 0xa1 && buf.data [hdr + 1] == 'v' && buf.data [hdr + 2] == 1)
            buf.data [hdr + 2] = 2;
        else
            rc = 1;
    }
    rc |= s_write (dir, "invalid-bad-version", buf.data, buf.size);

    //  Invalid: cut short.
    rc |= s_write (dir, "invalid-truncated", check.data, check.size - 7);

    //  Invalid: an array, not a map.
    msgpack_sbuffer_clear (&buf);
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, 2);
    s_pack_str (&pk, "heal.check.ok.x");
    msgpack_pack_int (&pk, 1);
    rc |= s_write (dir, "invalid-not-a-map", buf.data, buf.size);

    //  Invalid: an agent event without event, version and pid.
    msgpack_sbuffer_clear (&buf);
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 6);
    s_pack_str (&pk, "v"); msgpack_pack_int (&pk, 1);
    s_pack_str (&pk, "type"); s_pack_str (&pk, "agent");
    s_pack_str (&pk, "seq"); msgpack_pack_int (&pk, 1);
    s_pack_str (&pk, "ts"); msgpack_pack_int64 (&pk, SAMPLE_TS);
    s_pack_str (&pk, "host"); s_pack_str (&pk, "fixture-host");
    s_pack_str (&pk, "source"); s_pack_str (&pk, "heal-agent");
    rc |= s_write (dir, "invalid-missing-field", buf.data, buf.size);

    //  Invalid: a string that is not UTF-8 (a lone continuation byte).
    msgpack_sbuffer_clear (&buf);
    s_with_extra (&buf, &check, 1);
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    s_pack_str (&pk, "x_note");
    msgpack_pack_str_with_body (&pk, "bad \x80 byte", 10);
    rc |= s_write (dir, "invalid-utf8", buf.data, buf.size);

    //  Invalid: nesting deeper than EVENT_MAX_DEPTH under an unknown key.
    msgpack_sbuffer_clear (&buf);
    s_with_extra (&buf, &check, 1);
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    s_pack_str (&pk, "x_deep");
    for (int i = 0; i < EVENT_MAX_DEPTH; i++)
        msgpack_pack_array (&pk, 1);
    msgpack_pack_nil (&pk);
    rc |= s_write (dir, "invalid-too-deep", buf.data, buf.size);

    //  Invalid: an array header that claims 2^32-1 items in a few bytes.
    msgpack_sbuffer_clear (&buf);
    s_with_extra (&buf, &check, 1);
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    s_pack_str (&pk, "x_huge");
    msgpack_sbuffer_write (&buf, "\xdd\xff\xff\xff\xff", 5);
    rc |= s_write (dir, "invalid-huge-array", buf.data, buf.size);

    //  Invalid: a field of the wrong type (agent event: an integer).
    msgpack_sbuffer_clear (&buf);
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 9);
    s_pack_str (&pk, "v"); msgpack_pack_int (&pk, 1);
    s_pack_str (&pk, "type"); s_pack_str (&pk, "agent");
    s_pack_str (&pk, "seq"); msgpack_pack_int (&pk, 1);
    s_pack_str (&pk, "ts"); msgpack_pack_int64 (&pk, SAMPLE_TS);
    s_pack_str (&pk, "host"); s_pack_str (&pk, "fixture-host");
    s_pack_str (&pk, "source"); s_pack_str (&pk, "heal-agent");
    s_pack_str (&pk, "event"); msgpack_pack_int (&pk, 7);
    s_pack_str (&pk, "version"); s_pack_str (&pk, "0.1.0");
    s_pack_str (&pk, "pid"); msgpack_pack_int (&pk, 42);
    rc |= s_write (dir, "invalid-wrong-type", buf.data, buf.size);

    msgpack_sbuffer_destroy (&buf);
    msgpack_sbuffer_destroy (&check);
    return rc ? 1 : 0;
}
