//  test_control — healctl <-> agent framing: round trips and strict rejection.

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <czmq.h>
#include "heal/control.h"
#include "heal/control_call.h"
#include "unit.h"



static void
s_str (msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body (pk, s, strlen (s));
}

static void
s_req_reject (const char *what, const msgpack_sbuffer *buf, const char *want)
{
    char err [256] = "";
    control_request_t *r = control_request_decode (buf->data, buf->size, err, sizeof err);
    CHECKF (r == NULL, "%s: accepted", what);
    CHECKF (!want || strstr (err, want), "%s: reason '%s' lacks '%s'", what, err, want);
    control_request_destroy (&r);
}

static void
test_request (void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    char err [256];

    const char *args [] = { "disk_root", "600" };
    CHECKF (control_request_encode ("mute", args, 2, &buf) == 0, "encode");
    control_request_t *r = control_request_decode (buf.data, buf.size, err, sizeof err);
    CHECKF (r && strcmp (r->cmd, "mute") == 0 && r->argc == 2
        && strcmp (r->args [0], "disk_root") == 0 && strcmp (r->args [1], "600") == 0,
           "round trip: %s", err);
    control_request_destroy (&r);
    CHECKF (r == NULL, "destroy nulls");

    CHECKF (control_request_encode ("ping", NULL, 0, &buf) == 0, "encode ping");
    r = control_request_decode (buf.data, buf.size, err, sizeof err);
    CHECKF (r && r->argc == 0 && strcmp (r->cmd, "ping") == 0, "ping");
    control_request_destroy (&r);

    //  Encoder refusals
    const char *many [CONTROL_MAX_ARGS + 1];
    for (int i = 0; i <= CONTROL_MAX_ARGS; i++)
        many [i] = "x";
    CHECKF (control_request_encode ("run", many, CONTROL_MAX_ARGS + 1, &buf) == -1, "too many args");
    CHECKF (control_request_encode ("Bad Cmd", NULL, 0, &buf) == -1, "bad cmd");
    CHECKF (control_request_encode ("", NULL, 0, &buf) == -1, "empty cmd");

    //  Python-style request: unsigned integer argument, no args key, extra key
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2);
    s_str (&pk, "cmd"); s_str (&pk, "mute");
    s_str (&pk, "args"); msgpack_pack_array (&pk, 2); s_str (&pk, "x"); msgpack_pack_uint64 (&pk, 300);
    r = control_request_decode (buf.data, buf.size, err, sizeof err);
    CHECKF (r && r->argc == 2 && strcmp (r->args [1], "300") == 0, "uint arg: %s", err);
    control_request_destroy (&r);
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2);
    s_str (&pk, "cmd"); s_str (&pk, "status");
    s_str (&pk, "x_client"); s_str (&pk, "test");
    r = control_request_decode (buf.data, buf.size, err, sizeof err);
    CHECKF (r && r->argc == 0, "no args, unknown key: %s", err);
    control_request_destroy (&r);

    //  Rejections
    msgpack_sbuffer_clear (&buf);
    s_req_reject ("empty", &buf, "empty");
    msgpack_pack_array (&pk, 1); s_str (&pk, "ping");
    s_req_reject ("array", &buf, "not a map");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 1); s_str (&pk, "args"); msgpack_pack_array (&pk, 0);
    s_req_reject ("no cmd", &buf, "missing cmd");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 1); s_str (&pk, "cmd"); msgpack_pack_int (&pk, 3);
    s_req_reject ("int cmd", &buf, "cmd");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 1); s_str (&pk, "cmd"); s_str (&pk, "rm -rf /");
    s_req_reject ("shell cmd", &buf, "cmd");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "cmd"); s_str (&pk, "run");
    s_str (&pk, "args"); msgpack_pack_array (&pk, 1); msgpack_pack_int (&pk, -1);
    s_req_reject ("negative arg", &buf, "args");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "cmd"); s_str (&pk, "run");
    s_str (&pk, "args"); msgpack_pack_array (&pk, 1); msgpack_pack_str_with_body (&pk, "a\0b", 3);
    s_req_reject ("NUL arg", &buf, "UTF-8");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "cmd"); s_str (&pk, "run");
    s_str (&pk, "args"); msgpack_pack_array (&pk, CONTROL_MAX_ARGS + 1);
    for (int i = 0; i <= CONTROL_MAX_ARGS; i++)
        s_str (&pk, "a");
    s_req_reject ("too many args", &buf, "more than");
    {
        char arg [CONTROL_MAX_ARG + 2];
        memset (arg, 'a', sizeof arg - 1);
        arg [sizeof arg - 1] = 0;
        msgpack_sbuffer_clear (&buf);
        msgpack_pack_map (&pk, 2); s_str (&pk, "cmd"); s_str (&pk, "run");
        s_str (&pk, "args"); msgpack_pack_array (&pk, 1); s_str (&pk, arg);
        s_req_reject ("long arg", &buf, "longer");
    }
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "cmd"); s_str (&pk, "run");
    s_str (&pk, "cmd"); s_str (&pk, "heal");
    s_req_reject ("duplicate cmd", &buf, "duplicate");
    //  Found by fuzz_control: two empty keys, {"": "0", "": "-"}; an empty
    //  key has a NULL body, which must not reach memcmp.
    {
        static const unsigned char empty_keys [] = { 0x82, 0xa0, 0x30, 0xa0, 0x2d };
        char e [256] = "";
        control_request_t *er = control_request_decode (empty_keys, sizeof empty_keys, e, sizeof e);
        CHECKF (er == NULL && strstr (e, "duplicate"), "two empty keys: '%s'", e);
        control_request_destroy (&er);
    }
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "cmd"); s_str (&pk, "run");
    msgpack_pack_int (&pk, 1); s_str (&pk, "x");
    s_req_reject ("int key", &buf, "not a string");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "cmd"); s_str (&pk, "run");
    s_str (&pk, "x"); msgpack_pack_array (&pk, 1); msgpack_pack_array (&pk, 1);
    msgpack_pack_array (&pk, 1); msgpack_pack_nil (&pk);
    s_req_reject ("deep", &buf, "nesting");
    {
        char *big = (char *) calloc (1, CONTROL_MAX_REQUEST + 1);
        big [0] = (char) 0x81;
        control_request_t *rr = control_request_decode (big, CONTROL_MAX_REQUEST + 1, err, sizeof err);
        CHECKF (rr == NULL && strstr (err, "larger"), "oversized: %s", err);
        free (big);
    }
    //  Truncation at every length
    CHECKF (control_request_encode ("mute", args, 2, &buf) == 0, "encode");
    for (size_t len = 0; len < buf.size; len++) {
        r = control_request_decode (buf.data, len, err, sizeof err);
        CHECKF (r == NULL, "truncated at %zu accepted", len);
        control_request_destroy (&r);
    }
    msgpack_sbuffer_destroy (&buf);
}

static void
test_reply (void)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    char err [256];
    json_error_t jerr;
    json_t *data = json_loads ("{\"checks\": [{\"name\": \"disk\", \"severity\": \"ok\", "
                               "\"ms\": 12, \"pct\": 4.5, \"neg\": -3, \"muted\": false, "
                               "\"remedy\": null, \"t\": \"\\u00e9t\\u00e9\"}], \"n\": 1}", 0, &jerr);
    CHECKF (data != NULL, "json: %s", jerr.text);
    CHECKF (control_reply_encode (true, NULL, data, &buf) == 0, "encode");
    bool ok = false;
    char *error = (char *) "x";
    json_t *out = NULL;
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, &error, &out, err, sizeof err) == 0,
           "decode: %s", err);
    CHECKF (ok && error == NULL && out && json_equal (out, data), "round trip");
    json_decref (out);
    out = NULL;

    CHECKF (control_reply_encode (false, "no such check: x", NULL, &buf) == 0, "encode error");
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, &error, &out, err, sizeof err) == 0,
           "decode error: %s", err);
    CHECKF (!ok && error && strcmp (error, "no such check: x") == 0 && out == NULL, "error reply");
    free (error);

    //  Depth bound, both ways
    json_t *deep = json_array ();
    json_t *inner = deep;
    for (int i = 0; i < CONTROL_MAX_DEPTH; i++) {
        json_t *next = json_array ();
        json_array_append_new (inner, next);
        inner = next;
    }
    CHECKF (control_reply_encode (true, NULL, deep, &buf) == 0, "depth %d encodes", CONTROL_MAX_DEPTH);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == 0,
           "depth %d decodes: %s", CONTROL_MAX_DEPTH, err);
    json_decref (out);
    out = NULL;
    json_array_append_new (inner, json_array ());
    CHECKF (control_reply_encode (true, NULL, deep, &buf) == -1, "too deep encodes");
    json_decref (deep);

    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2);
    s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "data");
    for (int i = 0; i <= CONTROL_MAX_DEPTH + 1; i++)
        msgpack_pack_array (&pk, 1);
    msgpack_pack_nil (&pk);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == -1,
           "too deep decodes");

    //  Rejections
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 1); s_str (&pk, "error"); msgpack_pack_nil (&pk);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, NULL, err, sizeof err) == -1
        && strstr (err, "missing ok"), "missing ok: %s", err);
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 1); s_str (&pk, "ok"); msgpack_pack_int (&pk, 1);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, NULL, err, sizeof err) == -1,
           "int ok");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "data"); msgpack_pack_bin_with_body (&pk, "ab", 2);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == -1,
           "bin data");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "data"); msgpack_pack_map (&pk, 1); msgpack_pack_int (&pk, 1); msgpack_pack_int (&pk, 1);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == -1,
           "int key in data");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "data"); msgpack_pack_map (&pk, 2); s_str (&pk, "a"); msgpack_pack_int (&pk, 1);
    s_str (&pk, "a"); msgpack_pack_int (&pk, 2);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == -1,
           "duplicate key in data");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "data"); msgpack_pack_str_with_body (&pk, "\xc0\x80", 2);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == -1,
           "overlong UTF-8");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "error"); msgpack_pack_int (&pk, 3);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == -1,
           "int error");
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "data"); msgpack_pack_double (&pk, INFINITY);
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == -1,
           "infinite data");
    CHECKF (control_reply_decode ("\xdd\xff\xff\xff\xff", 5, &ok, NULL, &out, err, sizeof err) == -1,
           "huge array");
    CHECKF (control_reply_decode ("\x81\xa2ok\xc3\x00", 6, &ok, NULL, &out, err, sizeof err) == -1
        && strstr (err, "trailing"), "trailing byte: %s", err);
    //  Unknown keys ignored
    msgpack_sbuffer_clear (&buf);
    msgpack_pack_map (&pk, 2); s_str (&pk, "ok"); msgpack_pack_true (&pk);
    s_str (&pk, "x_server"); s_str (&pk, "0.2");
    CHECKF (control_reply_decode (buf.data, buf.size, &ok, NULL, &out, err, sizeof err) == 0
        && ok && out == NULL, "unknown key: %s", err);

    //  Truncation at every length
    CHECKF (control_reply_encode (true, "e", data, &buf) == 0, "encode");
    for (size_t len = 0; len < buf.size; len++) {
        error = NULL;
        out = NULL;
        int rc = control_reply_decode (buf.data, len, &ok, &error, &out, err, sizeof err);
        CHECKF (rc == -1 && error == NULL && out == NULL, "truncated at %zu accepted", len);
    }
    json_decref (data);
    msgpack_sbuffer_destroy (&buf);
}

//  Out of descriptors, the tools' control client reports it (heal-exporter
//  and heal-notify call per request): czmq's zsock_new would assert instead.
static void
test_call_out_of_fds (void)
{
    zsys_init ();
    struct rlimit limit;
    CHECK (getrlimit (RLIMIT_NOFILE, &limit) == 0);
    struct rlimit low = limit;
    low.rlim_cur = 256;
    CHECK (setrlimit (RLIMIT_NOFILE, &low) == 0);
    int held [256], n = 0;
    while (n < 256 && (held [n] = dup (2)) >= 0)
        n++;
    control_call_t out;
    control_call_status_t status = control_call (NULL, "ipc:///tmp/heal-test-control-none",
                                                 "ping", NULL, 0, 200, &out);
    CHECKF (status == CONTROL_CALL_SOCKET, "status %d: %s", (int) status, out.detail);
    CHECKF (strstr (out.detail, "cannot create a socket"), "detail: %s", out.detail);
    control_call_reset (&out);
    while (n > 0)
        close (held [--n]);
    //  ... and with descriptors again, the same call gets as far as the agent
    //  that is not there.
    status = control_call (NULL, "ipc:///tmp/heal-test-control-none", "ping", NULL, 0, 200,
                           &out);
    CHECKF (status == CONTROL_CALL_NO_ANSWER, "status %d: %s", (int) status, out.detail);
    control_call_reset (&out);
    CHECK (setrlimit (RLIMIT_NOFILE, &limit) == 0);
}

int
main (void)
{
    test_call_out_of_fds ();
    test_request ();
    test_reply ();
    if (s_failed) {
        fprintf (stderr, "test_control: %d of %d checks failed\n", s_failed, s_checks);
        return 1;
    }
    printf ("test_control: %d checks passed\n", s_checks);
    return 0;
}
