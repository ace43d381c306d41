//  test_event — the bus message codec: round trips of every type, every
//  rejection the strict decoder promises, the golden fixtures, versioning.

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heal/util.h"
#include "heal/event.h"
#include "../bus_samples.h"
#include "unit.h"

bool event_fields_sorted (void);    //  bus/event.c, for tests



//  --------------------------------------------------------------------------
//  Helpers

static bool
s_json_same (const event_t *a, const event_t *b)
{
    json_t *ja = event_to_json (a), *jb = event_to_json (b);
    bool same = ja && jb && json_equal (ja, jb);
    if (!same) {
        char *sa = json_dumps (ja, JSON_SORT_KEYS), *sb = json_dumps (jb, JSON_SORT_KEYS);
        fprintf (stderr, "  a: %s\n  b: %s\n", sa ? sa : "(null)", sb ? sb : "(null)");
        free (sa);
        free (sb);
    }
    json_decref (ja);
    json_decref (jb);
    return same;
}

//  Decode buf, expect rejection with reason containing want (or any when NULL).
static void
s_expect_reject (const char *what, const void *data, size_t size, const char *want)
{
    char err [256] = "";
    event_t *e = event_decode (data, size, err, sizeof err);
    CHECKF (e == NULL, "%s: accepted", what);
    if (want)
        CHECKF (strstr (err, want) != NULL, "%s: reason '%s' lacks '%s'", what, err, want);
    CHECKF (err [0] != 0, "%s: no reason", what);
    event_destroy (&e);
}

static event_t *
s_expect_accept (const char *what, const void *data, size_t size)
{
    char err [256] = "";
    event_t *e = event_decode (data, size, err, sizeof err);
    CHECKF (e != NULL, "%s: rejected: %s", what, err);
    return e;
}

typedef void (extra_fn) (msgpack_packer *pk);

//  Re-pack the map in src: drop the entry named skip, repeat the entry named
//  dup, replace the value of `replace` by what fn packs, or append one entry
//  (key add, value by fn).
static void
s_repack (const msgpack_sbuffer *src, msgpack_sbuffer *out, const char *skip, const char *dup,
          const char *replace, const char *add, extra_fn *fn)
{
    msgpack_zone zone;
    msgpack_zone_init (&zone, 4096);
    msgpack_object root;
    size_t off = 0;
    msgpack_unpack (src->data, src->size, &off, &zone, &root);
    msgpack_sbuffer_clear (out);
    msgpack_packer pk;
    msgpack_packer_init (&pk, out, msgpack_sbuffer_write);
    uint32_t n = root.via.map.size;
    uint32_t count = n;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &root.via.map.ptr [i].key;
        if (skip && k->via.str.size == strlen (skip) && !memcmp (k->via.str.ptr, skip, strlen (skip)))
            count--;
        if (dup && k->via.str.size == strlen (dup) && !memcmp (k->via.str.ptr, dup, strlen (dup)))
            count++;
    }
    if (add)
        count++;
    msgpack_pack_map (&pk, count);
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *k = &root.via.map.ptr [i].key;
        bool is_skip = skip && k->via.str.size == strlen (skip)
                    && !memcmp (k->via.str.ptr, skip, strlen (skip));
        bool is_dup = dup && k->via.str.size == strlen (dup)
                    && !memcmp (k->via.str.ptr, dup, strlen (dup));
        bool is_replace = replace && k->via.str.size == strlen (replace)
                    && !memcmp (k->via.str.ptr, replace, strlen (replace));
        if (is_skip)
            continue;
        msgpack_pack_object (&pk, *k);
        if (is_replace)
            fn (&pk);
        else
            msgpack_pack_object (&pk, root.via.map.ptr [i].val);
        if (is_dup) {
            msgpack_pack_object (&pk, *k);
            msgpack_pack_object (&pk, root.via.map.ptr [i].val);
        }
    }
    if (add) {
        msgpack_pack_str_with_body (&pk, add, strlen (add));
        fn (&pk);
    }
    msgpack_zone_destroy (&zone);
}

static void
s_str (msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body (pk, s, strlen (s));
}

//  Value packers for s_repack
static void p_str_seq (msgpack_packer *pk) { s_str (pk, "7"); }
static void p_int_crit (msgpack_packer *pk) { msgpack_pack_int (pk, 1); }
static void p_sev_bad (msgpack_packer *pk) { s_str (pk, "fatal"); }
static void p_neg (msgpack_packer *pk) { msgpack_pack_int (pk, -5); }
static void p_v2 (msgpack_packer *pk) { msgpack_pack_int (pk, 2); }
static void p_v0 (msgpack_packer *pk) { msgpack_pack_int (pk, 0); }
static void p_vneg (msgpack_packer *pk) { msgpack_pack_int (pk, -1); }
static void p_vstr (msgpack_packer *pk) { s_str (pk, "1"); }
static void p_type_bad (msgpack_packer *pk) { s_str (pk, "metric"); }
static void p_name_bad (msgpack_packer *pk) { s_str (pk, "disk root"); }
static void p_name_long (msgpack_packer *pk) {
    char name [EVENT_MAX_NAME + 2];
    memset (name, 'a', sizeof name - 1);
    name [sizeof name - 1] = 0;
    s_str (pk, name);
}
static void p_msg_long (msgpack_packer *pk) {
    static char text [EVENT_MAX_MESSAGE + 2];
    memset (text, 'm', sizeof text - 1);
    text [sizeof text - 1] = 0;
    s_str (pk, text);
}
static void p_bad_utf8 (msgpack_packer *pk) { msgpack_pack_str_with_body (pk, "h\xc3\x28st", 5); }
static void p_nul (msgpack_packer *pk) { msgpack_pack_str_with_body (pk, "ho\0st", 5); }
static void p_evidence_17 (msgpack_packer *pk) {
    msgpack_pack_array (pk, EVENT_MAX_EVIDENCE + 1);
    for (int i = 0; i <= EVENT_MAX_EVIDENCE; i++)
        s_str (pk, "line");
}
static void p_evidence_long (msgpack_packer *pk) {
    static char line [EVENT_MAX_EVIDENCE_LEN + 2];
    memset (line, 'e', sizeof line - 1);
    line [sizeof line - 1] = 0;
    msgpack_pack_array (pk, 1);
    s_str (pk, line);
}
static void p_evidence_int (msgpack_packer *pk) { msgpack_pack_array (pk, 1); msgpack_pack_int (pk, 3); }
static void p_issues_257 (msgpack_packer *pk) {
    msgpack_pack_array (pk, EVENT_MAX_LIST + 1);
    for (int i = 0; i <= EVENT_MAX_LIST; i++)
        s_str (pk, "x");
}
static void p_issues_bad_name (msgpack_packer *pk) { msgpack_pack_array (pk, 1); s_str (pk, "a/b"); }
static void p_metrics_nan (msgpack_packer *pk) {
    msgpack_pack_map (pk, 1); s_str (pk, "x"); msgpack_pack_double (pk, NAN);
}
static void p_metrics_str (msgpack_packer *pk) {
    msgpack_pack_map (pk, 1); s_str (pk, "x"); s_str (pk, "1");
}
static void p_metrics_dup (msgpack_packer *pk) {
    msgpack_pack_map (pk, 2); s_str (pk, "x"); msgpack_pack_double (pk, 1);
    s_str (pk, "x"); msgpack_pack_double (pk, 2);
}
static void p_metrics_33 (msgpack_packer *pk) {
    msgpack_pack_map (pk, EVENT_MAX_METRICS + 1);
    for (int i = 0; i <= EVENT_MAX_METRICS; i++) {
        char name [16];
        snprintf (name, sizeof name, "m%d", i);
        s_str (pk, name);
        msgpack_pack_int (pk, i);
    }
}
static void p_metrics_int (msgpack_packer *pk) {
    msgpack_pack_map (pk, 2); s_str (pk, "a"); msgpack_pack_int (pk, 5);
    s_str (pk, "b"); msgpack_pack_int (pk, -5);
}
static void p_remedy_bad_result (msgpack_packer *pk) {
    msgpack_pack_map (pk, 4);
    s_str (pk, "action"); s_str (pk, "restart");
    s_str (pk, "result"); s_str (pk, "maybe");
    s_str (pk, "attempt"); msgpack_pack_int (pk, 1);
    s_str (pk, "duration_ms"); msgpack_pack_int (pk, 1);
}
static void p_remedy_missing (msgpack_packer *pk) {
    msgpack_pack_map (pk, 2);
    s_str (pk, "result"); s_str (pk, "healed");
    s_str (pk, "attempt"); msgpack_pack_int (pk, 1);
}
static void p_remedy_list (msgpack_packer *pk) { msgpack_pack_array (pk, 0); }
static void p_remedy_ok (msgpack_packer *pk) {
    msgpack_pack_map (pk, 5);
    s_str (pk, "action"); s_str (pk, "restart");
    s_str (pk, "result"); s_str (pk, "healed");
    s_str (pk, "attempt"); msgpack_pack_int (pk, 1);
    s_str (pk, "duration_ms"); msgpack_pack_int (pk, 20);
    s_str (pk, "x_later"); msgpack_pack_true (pk);
}
static void p_counts_bad (msgpack_packer *pk) {
    msgpack_pack_map (pk, 1); s_str (pk, "fatal"); msgpack_pack_int (pk, 1);
}
static void p_unknown_nested (msgpack_packer *pk) {
    msgpack_pack_map (pk, 1); s_str (pk, "a");
    msgpack_pack_array (pk, 2); msgpack_pack_int (pk, 1); msgpack_pack_double (pk, 2.5);
}
static void p_unknown_depth4 (msgpack_packer *pk) {
    //  root map (1) + 3 = 4: the bound itself
    msgpack_pack_array (pk, 1); msgpack_pack_array (pk, 1); msgpack_pack_array (pk, 1);
    msgpack_pack_nil (pk);
}
static void p_unknown_depth5 (msgpack_packer *pk) {
    for (int i = 0; i < 4; i++)
        msgpack_pack_array (pk, 1);
    msgpack_pack_nil (pk);
}
static void p_unknown_bin (msgpack_packer *pk) {
    msgpack_pack_bin_with_body (pk, "\x01\x02", 2);
}
static void p_unknown_intkey (msgpack_packer *pk) {
    msgpack_pack_map (pk, 1); msgpack_pack_int (pk, 1); msgpack_pack_int (pk, 2);
}
static void p_unknown_bad_utf8 (msgpack_packer *pk) {
    msgpack_pack_array (pk, 1); msgpack_pack_str_with_body (pk, "\xff", 1);
}
static void p_nil (msgpack_packer *pk) { msgpack_pack_nil (pk); }
static void p_big_uint (msgpack_packer *pk) { msgpack_pack_uint64 (pk, UINT64_MAX); }

//  --------------------------------------------------------------------------

static void
test_names (void)
{
    CHECKF (event_fields_sorted (), "field table not sorted");
    for (int t = 0; t < EVENT_TYPE_COUNT; t++)
        CHECKF (event_type_from_name (event_type_name ((event_type_t) t)) == t, "type %d", t);
    for (int s = 0; s < SEVERITY_COUNT; s++)
        CHECKF (severity_from_name (severity_name ((severity_t) s)) == s, "severity %d", s);
    CHECKF (severity_from_name ("fatal") == -1, "unknown severity");
    CHECKF (event_type_from_name ("nope") == -1, "unknown type");
    CHECKF (severity_name ((severity_t) 99) == NULL, "out of range");
    CHECKF (severity_exit_code (SEVERITY_OK) == 0 && severity_exit_code (SEVERITY_HEALED) == 0
        && severity_exit_code (SEVERITY_WARNING) == 1 && severity_exit_code (SEVERITY_CRITICAL) == 2
        && severity_exit_code (SEVERITY_UNKNOWN) == 3, "exit codes");
    CHECKF (severity_worse (SEVERITY_CRITICAL, SEVERITY_UNKNOWN), "critical > unknown");
    CHECKF (severity_worse (SEVERITY_UNKNOWN, SEVERITY_WARNING), "unknown > warning");
    CHECKF (severity_worse (SEVERITY_WARNING, SEVERITY_HEALED), "warning > healed");
    CHECKF (severity_worse (SEVERITY_HEALED, SEVERITY_OK), "healed > ok");
    CHECKF (!severity_worse (SEVERITY_OK, SEVERITY_OK), "ok !> ok");
    int64_t now = event_now_ms ();
    CHECKF (now > 1600000000000LL, "now %lld", (long long) now);
}

static void
test_round_trip (void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    for (const sample_t *s = s_samples; s->name; s++) {
        event_t *e = s->make ();
        CHECKF (event_encode (e, &buf) == 0, "%s: encode", s->name);
        char err [256];
        event_t *d = event_decode (buf.data, buf.size, err, sizeof err);
        CHECKF (d != NULL, "%s: decode: %s", s->name, err);
        if (d)
            CHECKF (s_json_same (e, d), "%s: round trip differs", s->name);
        char *topic = event_topic (e);
        CHECKF (topic && strcmp (topic, s->topic) == 0, "%s: topic %s", s->name, topic);
        event_t *m = event_decode_message (s->topic, strlen (s->topic), buf.data, buf.size,
                                           err, sizeof err);
        CHECKF (m != NULL, "%s: decode_message: %s", s->name, err);
        event_destroy (&m);
        event_t *c = event_dup (e);
        CHECKF (c && s_json_same (e, c), "%s: dup differs", s->name);
        json_t *j = event_to_json (e);
        CHECKF (j && json_integer_value (json_object_get (j, "v")) == 1
            && strcmp (json_string_value (json_object_get (j, "type")),
                       event_type_name (e->type)) == 0, "%s: json", s->name);
        json_decref (j);
        free (topic);
        event_destroy (&c);
        event_destroy (&d);
        event_destroy (&e);
    }
    //  Field values survive exactly
    event_t *e = sample_check ();
    event_encode (e, &buf);
    event_t *d = event_decode (buf.data, buf.size, NULL, 0);
    CHECKF (d && d->seq == 7 && d->cycle == 42 && d->critical && d->changed
        && d->severity == SEVERITY_CRITICAL && d->evidence_count == 3 && d->metric_count == 3
        && d->remedy && d->remedy->attempt == 2 && strcmp (d->remedy->result, "failed") == 0
        && strchr (d->remedy->output, '\n') && d->metrics [0].value == 4.5
        && strcmp (d->host, "fixture-host") == 0, "check fields");
    event_destroy (&d);
    event_destroy (&e);
    msgpack_sbuffer_destroy (&buf);
}

static void
test_topics (void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    event_t *e = sample_check ();
    event_encode (e, &buf);
    const char *bad [] = {
        "heal.check.ok.disk_root",          //  wrong severity
        "heal.check.critical.disk",         //  wrong check
        "heal.alert.disk_root",             //  wrong type
        "heal.check.critical.disk_root.x",
        "heal.check.critical",
        "check.critical.disk_root",
        "",
        NULL
    };
    for (int i = 0; bad [i]; i++) {
        char err [256] = "";
        event_t *d = event_decode_message (bad [i], strlen (bad [i]), buf.data, buf.size,
                                           err, sizeof err);
        CHECKF (d == NULL && err [0], "topic '%s' accepted", bad [i]);
        event_destroy (&d);
    }
    char err [256];
    event_t *d = event_decode_message ("heal.check.critical.disk_root\xff", 30, buf.data,
                                       buf.size, err, sizeof err);
    CHECKF (d == NULL, "non-UTF-8 topic accepted");
    char longtopic [EVENT_MAX_TOPIC + 2];
    memset (longtopic, 'x', sizeof longtopic);
    d = event_decode_message (longtopic, sizeof longtopic, buf.data, buf.size, err, sizeof err);
    CHECKF (d == NULL, "long topic accepted");
    //  A check without a name has no topic and cannot be encoded.
    free (e->check);
    e->check = NULL;
    char *topic = event_topic (e);
    CHECKF (topic == NULL, "topic without check name");
    CHECKF (event_encode (e, &buf) == -1, "encode without check name");
    e->check = strdup ("bad name");
    CHECKF (event_encode (e, &buf) == -1, "encode with invalid check name");
    event_destroy (&e);
    msgpack_sbuffer_destroy (&buf);
}

static void
test_rejections (void)
{
    msgpack_sbuffer check, buf, out;
    msgpack_sbuffer_init (&check);
    msgpack_sbuffer_init (&buf);
    msgpack_sbuffer_init (&out);
    msgpack_packer pk;
    event_t *e = sample_check ();
    event_encode (e, &check);
    event_destroy (&e);

    s_expect_reject ("empty", "", 0, "empty");
    s_expect_reject ("NULL", NULL, 5, "empty");

    //  Oversized: a valid map padded past the frame limit is refused unread.
    {
        size_t size = EVENT_MAX_FRAME + 1;
        char *big = (char *) calloc (1, size);
        memcpy (big, check.data, check.size);
        s_expect_reject ("oversized", big, size, "larger than");
        free (big);
    }
    //  Not a map
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, 1);
    msgpack_pack_int (&pk, 1);
    s_expect_reject ("array", buf.data, buf.size, "not a map");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_int (&pk, 7);
    s_expect_reject ("int", buf.data, buf.size, "not a map");
    msgpack_sbuffer_clear (&buf);
    s_str (&pk, "hello");
    s_expect_reject ("string", buf.data, buf.size, "not a map");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_nil (&pk);
    s_expect_reject ("nil", buf.data, buf.size, "not a map");
    s_expect_reject ("reserved byte", "\x81\xa1v\xc1", 4, "invalid msgpack");

    //  Non-string key at the top
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 1);
    msgpack_pack_int (&pk, 1);
    msgpack_pack_int (&pk, 1);
    s_expect_reject ("int key", buf.data, buf.size, "key is not a string");

    //  Truncated at every length, and one trailing byte
    for (size_t len = 1; len < check.size; len++)
        s_expect_reject ("truncated", check.data, len, NULL);
    {
        char *more = (char *) malloc (check.size + 1);
        memcpy (more, check.data, check.size);
        more [check.size] = 0;
        s_expect_reject ("trailing", more, check.size + 1, "trailing");
        free (more);
    }
    //  Huge container headers in a tiny frame
    s_expect_reject ("huge array", "\x81\xa1x\xdd\xff\xff\xff\xff", 8, "truncated");
    s_expect_reject ("huge map", "\xdf\xff\xff\xff\xff", 5, "truncated");
    s_expect_reject ("huge str", "\x81\xa1x\xdb\xff\xff\xff\xff", 8, "truncated");

    //  Version
    s_repack (&check, &out, NULL, NULL, "v", NULL, p_v2);
    s_expect_reject ("v 2", out.data, out.size, "unsupported schema version 2");
    s_repack (&check, &out, NULL, NULL, "v", NULL, p_v0);
    s_expect_reject ("v 0", out.data, out.size, "unsupported schema version 0");
    s_repack (&check, &out, NULL, NULL, "v", NULL, p_vneg);
    s_expect_reject ("v -1", out.data, out.size, "unsupported schema version -1");
    s_repack (&check, &out, NULL, NULL, "v", NULL, p_vstr);
    s_expect_reject ("v string", out.data, out.size, "field v");
    s_repack (&check, &out, NULL, NULL, "type", NULL, p_type_bad);
    s_expect_reject ("type metric", out.data, out.size, "field type");

    //  Wrong types and bounds
    struct { const char *field; extra_fn *fn; const char *want; } cases [] = {
        { "seq", p_str_seq, "field seq" },
        { "seq", p_big_uint, "out of range" },
        { "critical", p_int_crit, "field critical" },
        { "severity", p_sev_bad, "field severity" },
        { "duration_ms", p_neg, "negative" },
        { "check", p_name_bad, "field check" },
        { "check", p_name_long, "field check" },
        { "message", p_msg_long, "longer than" },
        { "message", p_nil, "field message" },
        { "host", p_bad_utf8, "UTF-8" },
        { "host", p_nul, "UTF-8" },
        { "evidence", p_evidence_17, "more than" },
        { "evidence", p_evidence_long, "longer than" },
        { "evidence", p_evidence_int, "field evidence" },
        { "metrics", p_metrics_nan, "not finite" },
        { "metrics", p_metrics_str, "not a number" },
        { "metrics", p_metrics_dup, "duplicate" },
        { "metrics", p_metrics_33, "more than" },
        { "remedy", p_remedy_bad_result, "remedy.result" },
        { "remedy", p_remedy_missing, "missing action" },
        { "remedy", p_remedy_list, "field remedy" },
        { NULL, NULL, NULL }
    };
    for (int i = 0; cases [i].field; i++) {
        s_repack (&check, &out, NULL, NULL, cases [i].field, NULL, cases [i].fn);
        char what [64];
        snprintf (what, sizeof what, "bad %s (case %d)", cases [i].field, i);
        s_expect_reject (what, out.data, out.size, cases [i].want);
    }
    //  Accepted variants: integer metrics, remedy with an unknown key
    s_repack (&check, &out, NULL, NULL, "metrics", NULL, p_metrics_int);
    e = s_expect_accept ("integer metrics", out.data, out.size);
    CHECKF (e && e->metric_count == 2 && e->metrics [1].value == -5, "integer metrics values");
    event_destroy (&e);
    s_repack (&check, &out, NULL, NULL, "remedy", NULL, p_remedy_ok);
    e = s_expect_accept ("remedy with unknown key", out.data, out.size);
    CHECKF (e && e->remedy && e->remedy->output == NULL, "remedy output nil");
    event_destroy (&e);
    s_repack (&check, &out, NULL, NULL, "remedy", NULL, p_nil);
    e = s_expect_accept ("remedy nil", out.data, out.size);
    CHECKF (e && e->remedy == NULL, "remedy nil");
    event_destroy (&e);

    //  Duplicate keys
    s_repack (&check, &out, NULL, "severity", NULL, NULL, NULL);
    s_expect_reject ("duplicate severity", out.data, out.size, "duplicate");

    //  Unknown keys: accepted when JSON-like and bounded, rejected otherwise
    s_repack (&check, &out, NULL, NULL, NULL, "x_future", p_unknown_nested);
    e = s_expect_accept ("unknown key", out.data, out.size);
    event_destroy (&e);
    s_repack (&check, &out, NULL, NULL, NULL, "x_future", p_unknown_depth4);
    e = s_expect_accept ("unknown key depth 4", out.data, out.size);
    event_destroy (&e);
    s_repack (&check, &out, NULL, NULL, NULL, "x_future", p_unknown_depth5);
    s_expect_reject ("unknown key depth 5", out.data, out.size, "nesting deeper");
    s_repack (&check, &out, NULL, NULL, NULL, "x_future", p_unknown_bin);
    s_expect_reject ("unknown bin", out.data, out.size, "bin and ext");
    s_repack (&check, &out, NULL, NULL, NULL, "x_future", p_unknown_intkey);
    s_expect_reject ("unknown int key", out.data, out.size, "key is not a string");
    s_repack (&check, &out, NULL, NULL, NULL, "x_future", p_unknown_bad_utf8);
    s_expect_reject ("unknown bad utf8", out.data, out.size, "UTF-8");
    //  Another type's field is ignored on this type (but still validated)
    s_repack (&check, &out, NULL, NULL, NULL, "pid", p_nil);
    e = s_expect_accept ("other type's field", out.data, out.size);
    event_destroy (&e);

    //  Lists and counts on cycle events
    event_t *cy = sample_cycle ();
    msgpack_sbuffer cycle;
    msgpack_sbuffer_init (&cycle);
    event_encode (cy, &cycle);
    event_destroy (&cy);
    s_repack (&cycle, &out, NULL, NULL, "issues", NULL, p_issues_257);
    s_expect_reject ("issues 257", out.data, out.size, "more than");
    s_repack (&cycle, &out, NULL, NULL, "issues", NULL, p_issues_bad_name);
    s_expect_reject ("issues bad name", out.data, out.size, "check name");
    s_repack (&cycle, &out, NULL, NULL, "counts", NULL, p_counts_bad);
    s_expect_reject ("counts bad", out.data, out.size, "severity");
    msgpack_sbuffer_destroy (&cycle);

    msgpack_sbuffer_destroy (&check);
    msgpack_sbuffer_destroy (&buf);
    msgpack_sbuffer_destroy (&out);
}

//  Every required field of every type, removed one at a time.
static void
test_required (void)
{
    static const char *common [] = { "v", "type", "seq", "ts", "host", "source", NULL };
    static const struct { const char *sample; const char *required [16]; } types [] = {
        { "check", { "cycle", "check", "kind", "critical", "severity", "message", "duration_ms",
                     "streak", "since", "changed", "evidence", "metrics", "remedy" } },
        { "alert", { "check", "kind", "critical", "severity", "message", "alert", "cycle",
                     "streak", "since" } },
        { "cycle", { "cycle", "counts", "degraded", "issues", "duration_ms" } },
        { "diagnosis", { "cycle", "checks", "fingerprint", "model", "summary", "root_cause",
                         "operator_checks", "latency_ms", "cached" } },
        { "agent", { "event", "version", "pid" } },
    };
    msgpack_sbuffer buf, out;
    msgpack_sbuffer_init (&buf);
    msgpack_sbuffer_init (&out);
    for (size_t t = 0; t < sizeof types / sizeof types [0]; t++) {
        const sample_t *s = s_samples;
        while (s->name && strcmp (s->name, types [t].sample))
            s++;
        event_t *e = s->make ();
        event_encode (e, &buf);
        event_destroy (&e);
        //  Walk the keys the encoder wrote
        msgpack_zone zone;
        msgpack_zone_init (&zone, 4096);
        msgpack_object root;
        size_t off = 0;
        msgpack_unpack (buf.data, buf.size, &off, &zone, &root);
        for (uint32_t i = 0; i < root.via.map.size; i++) {
            char key [64];
            snprintf (key, sizeof key, "%.*s", (int) root.via.map.ptr [i].key.via.str.size,
                      root.via.map.ptr [i].key.via.str.ptr);
            bool required = false;
            for (int c = 0; common [c]; c++)
                required |= strcmp (common [c], key) == 0;
            for (int r = 0; types [t].required [r]; r++)
                required |= strcmp (types [t].required [r], key) == 0;
            s_repack (&buf, &out, key, NULL, NULL, NULL, NULL);
            char what [128];
            snprintf (what, sizeof what, "%s without %s", s->name, key);
            if (required) {
                char want [80];
                snprintf (want, sizeof want, "missing field %s", key);
                s_expect_reject (what, out.data, out.size, want);
            }
            else {
                e = s_expect_accept (what, out.data, out.size);
                event_destroy (&e);
            }
        }
        //  and every required field is written by the encoder
        for (int r = 0; types [t].required [r]; r++) {
            bool found = false;
            for (uint32_t i = 0; i < root.via.map.size; i++)
                found |= root.via.map.ptr [i].key.via.str.size == strlen (types [t].required [r])
                      && !memcmp (root.via.map.ptr [i].key.via.str.ptr, types [t].required [r],
                                  strlen (types [t].required [r]));
            CHECKF (found, "%s: encoder does not write %s", s->name, types [t].required [r]);
        }
        msgpack_zone_destroy (&zone);
    }
    msgpack_sbuffer_destroy (&buf);
    msgpack_sbuffer_destroy (&out);
}

static void
test_setters (void)
{
    event_t *e = event_new (EVENT_CHECK);
    CHECKF (e && e->v == EVENT_VERSION, "new");
    event_set_string (&e->message, "a\x01" "b\nc\xff", EVENT_MAX_MESSAGE);
    CHECKF (e->message && heal_utf8_valid (e->message, strlen (e->message))
        && !strchr (e->message, '\n') && !strchr (e->message, 1), "set_string: %s", e->message);
    event_set_text (&e->error, "line1\nline2", EVENT_MAX_TEXT);
    CHECKF (e->error && strchr (e->error, '\n'), "set_text keeps newlines");
    event_set_string (&e->message, NULL, 10);
    CHECKF (e->message == NULL, "set NULL clears");
    for (int i = 0; i < EVENT_MAX_EVIDENCE + 5; i++)
        CHECKF (event_add_evidence (e, "x") == 0, "evidence %d", i);
    CHECKF (e->evidence_count == EVENT_MAX_EVIDENCE, "evidence bounded: %zu", e->evidence_count);
    for (int i = 0; i < EVENT_MAX_METRICS + 5; i++) {
        char name [16];
        snprintf (name, sizeof name, "m%d", i);
        CHECKF (event_add_metric (e, name, i) == 0, "metric %d", i);
    }
    CHECKF (e->metric_count == EVENT_MAX_METRICS, "metrics bounded");
    event_add_metric (e, "m0", 99);
    CHECKF (e->metrics [0].value == 99 && e->metric_count == EVENT_MAX_METRICS, "metric replaced");
    event_add_metric (e, "nan", NAN);
    CHECKF (e->metric_count == EVENT_MAX_METRICS, "nan dropped");

    //  The encoder bounds and repairs what was set behind the setters' back
    event_set_string (&e->check, "x", EVENT_MAX_NAME);
    event_set_string (&e->kind, "disk", EVENT_MAX_SHORT);
    char *long_msg = (char *) malloc (3000);
    memset (long_msg, 'a', 2999);
    long_msg [2999] = 0;
    long_msg [EVENT_MAX_MESSAGE - 1] = (char) 0xc3;     //  a 2-byte char across the cut
    long_msg [EVENT_MAX_MESSAGE] = (char) 0xa9;
    e->message = long_msg;
    e->host = strdup ("bad\xff" "host");
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    CHECKF (event_encode (e, &buf) == -1, "encode without source");
    e->source = strdup ("test");
    CHECKF (event_encode (e, &buf) == 0, "encode long");
    char err [256];
    event_t *d = event_decode (buf.data, buf.size, err, sizeof err);
    CHECKF (d != NULL, "decode repaired: %s", err);
    CHECKF (d && strlen (d->message) == EVENT_MAX_MESSAGE - 1, "message cut on a char boundary: %zu",
           d ? strlen (d->message) : 0);
    CHECKF (d && heal_utf8_valid (d->host, strlen (d->host)), "host repaired");
    event_destroy (&d);
    e->severity = (severity_t) 42;
    CHECKF (event_encode (e, &buf) == -1, "bad severity not encoded");
    event_destroy (&e);
    CHECKF (e == NULL, "destroy nulls");
    event_destroy (&e);

    //  Agent and alert need their identifying strings
    e = event_new (EVENT_AGENT);
    CHECKF (event_encode (e, &buf) == -1, "agent without event");
    event_destroy (&e);
    e = sample_alert ();
    free (e->alert);
    e->alert = NULL;
    CHECKF (event_encode (e, &buf) == -1, "alert without alert");
    event_destroy (&e);
    CHECKF (event_new ((event_type_t) 9) == NULL, "bad type");
    msgpack_sbuffer_destroy (&buf);
}

//  --------------------------------------------------------------------------
//  Golden fixtures

static char *
s_read (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    char *data = (char *) malloc (EVENT_MAX_FRAME + 2);
    *size = fread (data, 1, EVENT_MAX_FRAME + 1, f);
    fclose (f);
    return data;
}

static void
test_fixtures (void)
{
    const char *dir = getenv ("HEAL_FIXTURES");
    if (!dir)
        dir = "schemas/fixtures";
    DIR *d = opendir (dir);
    CHECKF (d != NULL, "cannot open %s (run from the repository root)", dir);
    if (!d)
        return;
    int valid = 0, invalid = 0;
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    struct dirent *ent;
    while ((ent = readdir (d))) {
        size_t len = strlen (ent->d_name);
        if (len < 9 || strcmp (ent->d_name + len - 8, ".msgpack") != 0)
            continue;
        char path [1024], stem [256];
        snprintf (path, sizeof path, "%s/%s", dir, ent->d_name);
        snprintf (stem, sizeof stem, "%.*s", (int) (len - 8), ent->d_name);
        size_t size;
        char *data = s_read (path, &size);
        CHECKF (data != NULL, "read %s", path);
        if (!data)
            continue;
        char err [256] = "";
        event_t *e = event_decode (data, size, err, sizeof err);
        if (strncmp (stem, "invalid-", 8) == 0) {
            invalid++;
            CHECKF (e == NULL, "%s accepted", stem);
        }
        else {
            valid++;
            CHECKF (e != NULL, "%s rejected: %s", stem, err);
            //  Our encoder still writes exactly these bytes
            const sample_t *s = s_samples;
            while (s->name && strcmp (s->name, stem))
                s++;
            if (e && s->name) {
                CHECKF (event_encode (e, &buf) == 0 && buf.size == size
                    && memcmp (buf.data, data, size) == 0, "%s: re-encoding differs", stem);
                event_t *fresh = s->make ();
                event_encode (fresh, &buf);
                CHECKF (buf.size == size && memcmp (buf.data, data, size) == 0,
                       "%s: fixture is stale (make fixtures)", stem);
                event_destroy (&fresh);
                char *topic = event_topic (e);
                event_t *m = event_decode_message (s->topic, strlen (s->topic), data, size,
                                                   err, sizeof err);
                CHECKF (m && topic && strcmp (topic, s->topic) == 0, "%s: topic", stem);
                event_destroy (&m);
                free (topic);
            }
            else
            if (e && strcmp (stem, "check-unknown-keys") == 0) {
                //  the unknown keys are dropped: what remains is the check fixture
                event_t *fresh = sample_check ();
                CHECKF (s_json_same (e, fresh), "unknown keys changed known fields");
                event_destroy (&fresh);
            }
        }
        event_destroy (&e);
        free (data);
    }
    closedir (d);
    CHECKF (valid >= 8, "only %d valid fixtures", valid);
    CHECKF (invalid >= 8, "only %d invalid fixtures", invalid);
    msgpack_sbuffer_destroy (&buf);
}

//  Issue 13: the blocked severity, description, blocked_by and remedy
//  verify_ms travel through the codec, JSON and dup; without them the
//  payload has none of these keys (older readers see nothing new).
//  Does buf hold the bytes of text?
static bool
s_has_bytes (const msgpack_sbuffer *buf, const char *text)
{
    size_t n = strlen (text);
    for (size_t i = 0; i + n <= buf->size; i++)
        if (memcmp (buf->data + i, text, n) == 0)
            return true;
    return false;
}

static void
test_issue13_fields (void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    event_t *e = sample_check ();
    e->severity = SEVERITY_BLOCKED;
    event_set_string (&e->description, "the shop", EVENT_MAX_MESSAGE);
    event_set_string (&e->blocked_by, "db", EVENT_MAX_NAME);
    e->remedy->verify_ms = 1234;
    CHECK (event_encode (e, &buf) == 0);
    char err [256] = "";
    event_t *d = event_decode (buf.data, buf.size, err, sizeof err);
    CHECKF (d != NULL, "decode: %s", err);
    if (d) {
        CHECK (d->severity == SEVERITY_BLOCKED);
        CHECK (d->description && !strcmp (d->description, "the shop"));
        CHECK (d->blocked_by && !strcmp (d->blocked_by, "db"));
        CHECK (d->remedy && d->remedy->verify_ms == 1234);
        char *topic = event_topic (d);
        CHECK (topic && !strcmp (topic, "heal.check.blocked.disk_root"));
        free (topic);
        event_t *c = event_dup (d);
        CHECK (c && !strcmp (c->blocked_by, "db") && c->remedy->verify_ms == 1234);
        json_t *j = c ? event_to_json (c) : NULL;
        CHECK (j && !strcmp (json_string_value (json_object_get (j, "description")), "the shop"));
        CHECK (j && json_integer_value (json_object_get (json_object_get (j, "remedy"),
                                                        "verify_ms")) == 1234);
        json_decref (j);
        event_destroy (&c);
    }
    event_destroy (&d);
    CHECK (severity_exit_code (SEVERITY_BLOCKED) == 1);
    CHECK (severity_worse (SEVERITY_BLOCKED, SEVERITY_WARNING)
           && severity_worse (SEVERITY_UNKNOWN, SEVERITY_BLOCKED));
    //  None set: none of the keys, and verify_ms reads as -1 (none ran).
    free (e->description);
    free (e->blocked_by);
    e->description = e->blocked_by = NULL;
    e->remedy->verify_ms = -1;
    e->severity = SEVERITY_CRITICAL;
    CHECK (event_encode (e, &buf) == 0);
    CHECK (!s_has_bytes (&buf, "description"));
    CHECK (!s_has_bytes (&buf, "blocked_by"));
    CHECK (!s_has_bytes (&buf, "verify_ms"));
    d = event_decode (buf.data, buf.size, err, sizeof err);
    CHECK (d && !d->description && !d->blocked_by && d->remedy->verify_ms == -1);
    event_destroy (&d);
    event_destroy (&e);
    msgpack_sbuffer_destroy (&buf);
}

//  The codec checks strings a word at a time (bus/wire.h: one masked load
//  for a short string with frame bytes after it, 16 and 8 bytes at a time
//  otherwise; the encoder checks while it copies). Every length from 0 to 40,
//  a bad or multi-byte byte at every position, the string last in the frame
//  or followed by bytes with their high bit set: the verdicts must be those of
//  the byte-at-a-time reference (heal_utf8_valid without NUL).
static void
test_string_words (void)
{
    static const char *fill [] = { "\x00", "\x80", "\xff", "\xc3\xa9", "\xe2\x82\xac", "\x7f" };
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    int mismatches = 0;
    for (size_t len = 0; len <= 40; len++)
        for (size_t f = 0; f < sizeof fill / sizeof fill [0]; f++)
            for (size_t at = 0; at <= len; at++) {
                char s [64];
                memset (s, 'a', sizeof s);
                size_t flen = strlen (fill [f]) ? strlen (fill [f]) : 1;
                size_t n = len;
                if (at < len) {
                    memcpy (s + at, fill [f], flen);
                    n = len + flen - 1 < sizeof s ? len + flen - 1 : len;
                    if (at + flen > n)
                        n = at + flen;
                }
                bool want = heal_utf8_valid (s, n) && memchr (s, 0, n) == NULL;
                for (int last = 0; last < 2; last++) {
                    //  {"v":1, "type":"agent", ..., "event": s, "pid": n}
                    //  with s last, or followed by a pid written as uint64
                    //  (0xcf 0x7f 0xff...: high bits it must not look at).
                    msgpack_packer pk;
                    msgpack_sbuffer_clear (&buf);
                    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
                    msgpack_pack_map (&pk, 9);
                    s_str (&pk, "v"); msgpack_pack_int (&pk, 1);
                    s_str (&pk, "type"); s_str (&pk, "agent");
                    s_str (&pk, "seq"); msgpack_pack_int (&pk, 1);
                    s_str (&pk, "ts"); msgpack_pack_int (&pk, 1);
                    s_str (&pk, "version"); s_str (&pk, "1");
                    s_str (&pk, "host"); s_str (&pk, "h");
                    s_str (&pk, "source"); s_str (&pk, "t");
                    if (last) {
                        s_str (&pk, "pid"); msgpack_pack_int (&pk, 1);
                    }
                    s_str (&pk, "event");
                    msgpack_pack_str_with_body (&pk, n ? s : "", n);
                    if (!last) {
                        s_str (&pk, "pid");
                        msgpack_sbuffer_write (&buf, "\xcf\x7f\xff\xff\xff\xff\xff\xff\xff", 9);
                    }
                    char err [256];
                    event_t *e = event_decode (buf.data, buf.size, err, sizeof err);
                    //  "" is valid UTF-8 but an empty event name is refused
                    bool expect = want && n > 0;
                    if ((e != NULL) != expect && mismatches++ < 5)
                        fprintf (stderr, "  decode len %zu fill %zu at %zu last %d: %s\n",
                                 n, f, at, last, e ? "accepted" : err);
                    event_destroy (&e);
                }
                //  The encoder: a field set directly (not through the
                //  setters) is sent as is when valid, made safe when not.
                event_t *e = event_new (EVENT_AGENT);
                event_set_string (&e->host, "h", EVENT_MAX_SHORT);
                event_set_string (&e->source, "t", EVENT_MAX_SHORT);
                e->event = (char *) malloc (n + 1);
                memcpy (e->event, s, n);
                e->event [n] = 0;
                size_t cn = strlen (e->event);
                bool valid = heal_utf8_valid (e->event, cn);
                event_t *d = NULL;
                if (cn > 0 && event_encode (e, &buf) == 0)
                    d = event_decode (buf.data, buf.size, NULL, 0);
                if (cn > 0 && (!d || (valid && strcmp (d->event, e->event) != 0)
                               || (!valid && !heal_utf8_valid (d->event, strlen (d->event))))) {
                    if (mismatches++ < 5)
                        fprintf (stderr, "  encode len %zu fill %zu at %zu\n", cn, f, at);
                }
                event_destroy (&d);
                event_destroy (&e);
            }
    CHECKF (mismatches == 0, "%d string verdicts differ from the reference", mismatches);
    msgpack_sbuffer_destroy (&buf);
}

//  Blocks are reused (one spare per thread) and a frame of 4 KiB or more
//  marks its string ends in a heap bitmap: every sample decoded after every
//  other, and a diagnosis with a 4,000-byte root cause, must come back equal.
static void
test_blocks (void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    for (int round = 0; round < 2; round++)
        for (const sample_t *a = s_samples; a->name; a++)
            for (const sample_t *b = s_samples; b->name; b++) {
                const sample_t *pair [2] = { a, b };
                for (int i = 0; i < 2; i++) {
                    event_t *e = pair [i]->make ();
                    CHECK (event_encode (e, &buf) == 0);
                    char err [256] = "";
                    event_t *d = event_decode_message (pair [i]->topic,
                                                       strlen (pair [i]->topic),
                                                       buf.data, buf.size, err, sizeof err);
                    CHECKF (d && s_json_same (e, d), "%s after %s: %s", pair [i]->name,
                            pair [1 - i]->name, err);
                    event_destroy (&d);
                    event_destroy (&e);
                }
            }
    event_t *e = sample_diagnosis ();
    char text [4001];
    memset (text, 'r', 4000);
    text [4000] = 0;
    event_set_text (&e->root_cause, text, EVENT_MAX_TEXT);
    text [1000] = 0;
    event_set_string (&e->summary, text, EVENT_MAX_MESSAGE);
    CHECK (event_encode (e, &buf) == 0 && buf.size > 5000);
    event_t *d = event_decode (buf.data, buf.size, NULL, 0);
    CHECK (d && strlen (d->root_cause) == 4000 && strlen (d->summary) == 1000
           && s_json_same (e, d));
    event_destroy (&d);
    //  ... and a decode that fails after reading strings leaves no marks for
    //  the next one (a stray mark would cut one of its strings short).
    for (int large = 0; large < 2; large++) {
        event_t *bad = large ? event_dup (e) : sample_check ();
        CHECK (event_encode (bad, &buf) == 0);
        CHECK (event_decode (buf.data, buf.size - 1, NULL, 0) == NULL);     //  truncated
        event_t *ok = sample_check ();
        event_set_string (&ok->message, "a message long enough to cross the marks left", 200);
        CHECK (event_encode (ok, &buf) == 0);
        d = event_decode (buf.data, buf.size, NULL, 0);
        CHECK (d && s_json_same (ok, d));
        event_destroy (&d);
        event_destroy (&ok);
        event_destroy (&bad);
    }
    event_destroy (&e);
    msgpack_sbuffer_destroy (&buf);
}

int
main (void)
{
    test_blocks ();
    test_string_words ();
    test_issue13_fields ();
    test_names ();
    test_round_trip ();
    test_topics ();
    test_rejections ();
    test_required ();
    test_setters ();
    test_fixtures ();
    if (s_failed) {
        fprintf (stderr, "test_event: %d of %d checks failed\n", s_failed, s_checks);
        return 1;
    }
    printf ("test_event: %d checks passed\n", s_checks);
    return 0;
}
