//  control — the healctl <-> agent framing, strictly decoded (schemas/control.md).
//
//  Request: {cmd: str, args: [str|uint...]}  (args may be absent = none)
//  Reply:   {ok: bool, error: str|nil, data: any}  (error and data may be absent = nil)
//  Unknown keys are ignored but validated like known ones (string keys, UTF-8
//  strings, JSON-like values, bounded depth and size).

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heal/util.h"
#include "heal/control.h"
#include "wire.h"


static bool
s_key_is (const msgpack_object *k, const char *name)
{
    size_t len = strlen (name);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == len
        && memcmp (k->via.str.ptr, name, len) == 0;
}

static bool
s_cmd_valid (const char *s, size_t len)
{
    if (len == 0 || len > CONTROL_MAX_CMD)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s [i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  Unpack a bounded frame into root (zone owned by caller). Returns 0 or -1.
static int
s_unpack (const void *data, size_t size, size_t max, int depth, msgpack_zone *zone,
          msgpack_object *root, char *err, size_t errlen)
{
    if (!data || size == 0) {
        wire_err (err, errlen, "empty frame");
        return -1;
    }
    if (size > max) {
        wire_err (err, errlen, "frame of %zu bytes is larger than %zu", size, max);
        return -1;
    }
    const unsigned char first = *(const unsigned char *) data;
    if (!((first >= 0x80 && first <= 0x8f) || first == 0xde || first == 0xdf)) {
        wire_err (err, errlen, "payload is not a map");
        return -1;
    }
    if (wire_scan (data, size, depth, err, errlen))
        return -1;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack ((const char *) data, size, &off, zone, root);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != size) {
        wire_err (err, errlen, rc == MSGPACK_UNPACK_NOMEM_ERROR ? "out of memory"
                                                               : "malformed msgpack");
        return -1;
    }
    if (root->type != MSGPACK_OBJECT_MAP) {
        wire_err (err, errlen, "payload is not a map");
        return -1;
    }
    if (root->via.map.size > CONTROL_MAX_KEYS) {
        wire_err (err, errlen, "more than %d keys", CONTROL_MAX_KEYS);
        return -1;
    }
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object *k = &root->via.map.ptr [i].key;
        if (k->type != MSGPACK_OBJECT_STR) {
            wire_err (err, errlen, "map key is not a string");
            return -1;
        }
        if (!wire_utf8_valid (k->via.str.ptr, k->via.str.size)) {
            wire_err (err, errlen, "map key is not valid UTF-8");
            return -1;
        }
        for (uint32_t j = 0; j < i; j++)
            if (root->via.map.ptr [j].key.via.str.size == k->via.str.size
            &&  (k->via.str.size == 0 || memcmp (root->via.map.ptr [j].key.via.str.ptr, k->via.str.ptr,
                        k->via.str.size) == 0)) {
                wire_err (err, errlen, "duplicate key %.*s",
                          (int) (k->via.str.size > 64 ? 64 : k->via.str.size), k->via.str.ptr);
                return -1;
            }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  JSON <-> msgpack

int
control_pack_json (msgpack_packer *pk, const json_t *value, int depth)
{
    if (depth > CONTROL_MAX_DEPTH)
        return -1;
    if (!value)
        return msgpack_pack_nil (pk);
    switch (json_typeof (value)) {
        case JSON_OBJECT: {
            if (msgpack_pack_map (pk, json_object_size (value)))
                return -1;
            const char *key;
            json_t *item;
            json_object_foreach ((json_t *) value, key, item) {
                if (msgpack_pack_str_with_body (pk, key, strlen (key))
                ||  control_pack_json (pk, item, depth + 1))
                    return -1;
            }
            return 0;
        }
        case JSON_ARRAY: {
            if (msgpack_pack_array (pk, json_array_size (value)))
                return -1;
            size_t i;
            json_t *item;
            json_array_foreach (value, i, item)
                if (control_pack_json (pk, item, depth + 1))
                    return -1;
            return 0;
        }
        case JSON_STRING:
            return msgpack_pack_str_with_body (pk, json_string_value (value),
                                               json_string_length (value));
        case JSON_INTEGER: {
            json_int_t v = json_integer_value (value);
            return v < 0 ? msgpack_pack_int64 (pk, (int64_t) v)
                         : msgpack_pack_uint64 (pk, (uint64_t) v);
        }
        case JSON_REAL:
            return msgpack_pack_double (pk, json_real_value (value));
        case JSON_TRUE:
            return msgpack_pack_true (pk);
        case JSON_FALSE:
            return msgpack_pack_false (pk);
        case JSON_NULL:
            return msgpack_pack_nil (pk);
    }
    return -1;
}

json_t *
control_unpack_json (const msgpack_object *obj, int depth, char *err, size_t errlen)
{
    if (depth > CONTROL_MAX_DEPTH) {
        wire_err (err, errlen, "data nested deeper than %d", CONTROL_MAX_DEPTH);
        return NULL;
    }
    switch (obj->type) {
        case MSGPACK_OBJECT_NIL:
            return json_null ();
        case MSGPACK_OBJECT_BOOLEAN:
            return json_boolean (obj->via.boolean);
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            if (obj->via.u64 > INT64_MAX) {
                wire_err (err, errlen, "integer out of range");
                return NULL;
            }
            return json_integer ((json_int_t) obj->via.u64);
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            return json_integer ((json_int_t) obj->via.i64);
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            if (!isfinite (obj->via.f64)) {
                wire_err (err, errlen, "number is not finite");
                return NULL;
            }
            return json_real (obj->via.f64);
        case MSGPACK_OBJECT_STR:
            if (obj->via.str.size > CONTROL_MAX_STRING) {
                wire_err (err, errlen, "string longer than %d bytes", CONTROL_MAX_STRING);
                return NULL;
            }
            if (!wire_utf8_valid (obj->via.str.ptr, obj->via.str.size)) {
                wire_err (err, errlen, "string is not valid UTF-8");
                return NULL;
            }
            return json_stringn_nocheck (obj->via.str.ptr, obj->via.str.size);
        case MSGPACK_OBJECT_ARRAY: {
            json_t *array = json_array ();
            if (!array)
                return NULL;
            for (uint32_t i = 0; i < obj->via.array.size; i++) {
                json_t *item = control_unpack_json (&obj->via.array.ptr [i], depth + 1,
                                                    err, errlen);
                if (!item || json_array_append_new (array, item)) {
                    json_decref (array);
                    return NULL;
                }
            }
            return array;
        }
        case MSGPACK_OBJECT_MAP: {
            json_t *object = json_object ();
            if (!object)
                return NULL;
            for (uint32_t i = 0; i < obj->via.map.size; i++) {
                const msgpack_object *k = &obj->via.map.ptr [i].key;
                if (k->type != MSGPACK_OBJECT_STR || k->via.str.size > CONTROL_MAX_STRING
                ||  !wire_utf8_valid (k->via.str.ptr, k->via.str.size)) {
                    wire_err (err, errlen, "map key is not a UTF-8 string");
                    json_decref (object);
                    return NULL;
                }
                json_t *item = control_unpack_json (&obj->via.map.ptr [i].val, depth + 1,
                                                    err, errlen);
                if (!item) {
                    json_decref (object);
                    return NULL;
                }
                //  jansson keys are NUL-terminated; wire_utf8_valid refused NUL.
                char *key = wire_strndup (k->via.str.ptr, k->via.str.size);
                if (!key || json_object_get (object, key)) {
                    if (key)
                        wire_err (err, errlen, "duplicate map key");
                    free (key);
                    json_decref (item);
                    json_decref (object);
                    return NULL;
                }
                int rc = json_object_set_new_nocheck (object, key, item);
                free (key);
                if (rc) {
                    json_decref (object);
                    return NULL;
                }
            }
            return object;
        }
        default:
            wire_err (err, errlen, "bin and ext values are not allowed");
            return NULL;
    }
}

//  --------------------------------------------------------------------------
//  Request

int
control_request_encode (const char *cmd, const char *const *args, size_t argc,
                        msgpack_sbuffer *buf)
{
    if (!buf || !cmd || !s_cmd_valid (cmd, strlen (cmd)) || argc > CONTROL_MAX_ARGS
    ||  (argc && !args))
        return -1;
    msgpack_sbuffer_clear (buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    if (msgpack_pack_map (&pk, 2)
    ||  msgpack_pack_str_with_body (&pk, "cmd", 3)
    ||  msgpack_pack_str_with_body (&pk, cmd, strlen (cmd))
    ||  msgpack_pack_str_with_body (&pk, "args", 4)
    ||  msgpack_pack_array (&pk, argc))
        return -1;
    for (size_t i = 0; i < argc; i++) {
        size_t len = args [i] ? strlen (args [i]) : 0;
        if (!args [i] || len > CONTROL_MAX_ARG || !heal_utf8_valid (args [i], len)
        ||  msgpack_pack_str_with_body (&pk, args [i], len)) {
            msgpack_sbuffer_clear (buf);
            return -1;
        }
    }
    if (buf->size > CONTROL_MAX_REQUEST) {
        msgpack_sbuffer_clear (buf);
        return -1;
    }
    return 0;
}

void
control_request_destroy (control_request_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    control_request_t *self = *self_p;
    free (self->cmd);
    for (size_t i = 0; i < self->argc; i++)
        free (self->args [i]);
    free (self->args);
    free (self);
    *self_p = NULL;
}

static int
s_request_fill (control_request_t *self, const msgpack_object *root, char *err, size_t errlen)
{
    bool have_cmd = false;
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object *k = &root->via.map.ptr [i].key;
        const msgpack_object *v = &root->via.map.ptr [i].val;
        if (s_key_is (k, "cmd")) {
            if (v->type != MSGPACK_OBJECT_STR || !s_cmd_valid (v->via.str.ptr, v->via.str.size)) {
                wire_err (err, errlen, "cmd: expected a command name ([a-z0-9_-]{1,%d})",
                          CONTROL_MAX_CMD);
                return -1;
            }
            self->cmd = wire_strndup (v->via.str.ptr, v->via.str.size);
            if (!self->cmd)
                return -1;
            have_cmd = true;
        }
        else
        if (s_key_is (k, "args")) {
            if (v->type != MSGPACK_OBJECT_ARRAY) {
                wire_err (err, errlen, "args: expected an array");
                return -1;
            }
            if (v->via.array.size > CONTROL_MAX_ARGS) {
                wire_err (err, errlen, "args: more than %d arguments", CONTROL_MAX_ARGS);
                return -1;
            }
            if (v->via.array.size == 0)
                continue;
            self->args = (char **) calloc (v->via.array.size, sizeof (char *));
            if (!self->args)
                return -1;
            for (uint32_t a = 0; a < v->via.array.size; a++) {
                const msgpack_object *arg = &v->via.array.ptr [a];
                if (arg->type == MSGPACK_OBJECT_STR) {
                    if (arg->via.str.size > CONTROL_MAX_ARG
                    ||  !wire_utf8_valid (arg->via.str.ptr, arg->via.str.size)) {
                        wire_err (err, errlen, "args: argument %u is longer than %d bytes or "
                                  "not valid UTF-8", a + 1, CONTROL_MAX_ARG);
                        return -1;
                    }
                    self->args [a] = wire_strndup (arg->via.str.ptr, arg->via.str.size);
                }
                else
                if (arg->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
                    char num [32];
                    snprintf (num, sizeof num, "%" PRIu64, arg->via.u64);
                    self->args [a] = wire_strndup (num, strlen (num));
                }
                else {
                    wire_err (err, errlen, "args: argument %u is not a string or an "
                              "unsigned integer", a + 1);
                    return -1;
                }
                if (!self->args [a])
                    return -1;
                self->argc = a + 1;
            }
        }
        else {
            char e [8];
            json_t *ignored = control_unpack_json (v, 1, e, sizeof e);
            if (!ignored) {
                wire_err (err, errlen, "unknown key %.*s: invalid value",
                          (int) (k->via.str.size > 64 ? 64 : k->via.str.size), k->via.str.ptr);
                return -1;
            }
            json_decref (ignored);
        }
    }
    if (!have_cmd) {
        wire_err (err, errlen, "missing cmd");
        return -1;
    }
    return 0;
}

control_request_t *
control_request_decode (const void *data, size_t size, char *err, size_t errlen)
{
    wire_err (err, errlen, "ok");
    msgpack_zone zone;
    if (!msgpack_zone_init (&zone, 2048)) {
        wire_err (err, errlen, "out of memory");
        return NULL;
    }
    msgpack_object root;
    control_request_t *self = NULL;
    if (s_unpack (data, size, CONTROL_MAX_REQUEST, 3, &zone, &root, err, errlen) == 0) {
        self = (control_request_t *) calloc (1, sizeof (control_request_t));
        if (self && s_request_fill (self, &root, err, errlen)) {
            if (err && errlen && strcmp (err, "ok") == 0)
                wire_err (err, errlen, "out of memory");
            control_request_destroy (&self);
        }
    }
    msgpack_zone_destroy (&zone);
    return self;
}

//  --------------------------------------------------------------------------
//  Reply

int
control_reply_head (msgpack_packer *pk, bool ok, const char *error)
{
    if (msgpack_pack_map (pk, 3)
    ||  msgpack_pack_str_with_body (pk, "ok", 2)
    ||  (ok ? msgpack_pack_true (pk) : msgpack_pack_false (pk))
    ||  msgpack_pack_str_with_body (pk, "error", 5))
        return -1;
    if (error) {
        char *safe = heal_safe_text (error, strlen (error), CONTROL_MAX_ERROR);
        int rc = safe ? msgpack_pack_str_with_body (pk, safe, strlen (safe)) : -1;
        free (safe);
        if (rc)
            return -1;
    }
    else
    if (msgpack_pack_nil (pk))
        return -1;
    return msgpack_pack_str_with_body (pk, "data", 4) ? -1 : 0;
}

int
control_reply_encode (bool ok, const char *error, const json_t *data, msgpack_sbuffer *buf)
{
    if (!buf)
        return -1;
    msgpack_sbuffer_clear (buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    if (control_reply_head (&pk, ok, error)
    ||  control_pack_json (&pk, data, 0))
        goto fail;
    if (buf->size > CONTROL_MAX_REPLY)
        goto fail;
    return 0;
fail:
    msgpack_sbuffer_clear (buf);
    return -1;
}

int
control_reply_decode (const void *data, size_t size, bool *ok, char **error,
                      json_t **data_out, char *err, size_t errlen)
{
    wire_err (err, errlen, "ok");
    if (ok)
        *ok = false;
    if (error)
        *error = NULL;
    if (data_out)
        *data_out = NULL;
    msgpack_zone zone;
    if (!msgpack_zone_init (&zone, size < 2048 ? 2048 : size * 2)) {
        wire_err (err, errlen, "out of memory");
        return -1;
    }
    msgpack_object root;
    int rc = -1;
    bool have_ok = false, ok_value = false;
    char *error_value = NULL;
    json_t *data_value = NULL;
    //  root map + data nested CONTROL_MAX_DEPTH deep under it
    if (s_unpack (data, size, CONTROL_MAX_REPLY, CONTROL_MAX_DEPTH + 2, &zone, &root,
                  err, errlen))
        goto cleanup;
    for (uint32_t i = 0; i < root.via.map.size; i++) {
        const msgpack_object *k = &root.via.map.ptr [i].key;
        const msgpack_object *v = &root.via.map.ptr [i].val;
        if (s_key_is (k, "ok")) {
            if (v->type != MSGPACK_OBJECT_BOOLEAN) {
                wire_err (err, errlen, "ok: expected a boolean");
                goto cleanup;
            }
            have_ok = true;
            ok_value = v->via.boolean;
        }
        else
        if (s_key_is (k, "error")) {
            if (v->type == MSGPACK_OBJECT_NIL)
                continue;
            if (v->type != MSGPACK_OBJECT_STR || v->via.str.size > CONTROL_MAX_ERROR
            ||  !wire_utf8_valid (v->via.str.ptr, v->via.str.size)) {
                wire_err (err, errlen, "error: expected nil or a UTF-8 string of at most %d "
                          "bytes", CONTROL_MAX_ERROR);
                goto cleanup;
            }
            error_value = wire_strndup (v->via.str.ptr, v->via.str.size);
            if (!error_value) {
                wire_err (err, errlen, "out of memory");
                goto cleanup;
            }
        }
        else
        if (s_key_is (k, "data")) {
            if (v->type == MSGPACK_OBJECT_NIL)
                continue;
            data_value = control_unpack_json (v, 0, err, errlen);
            if (!data_value) {
                if (err && errlen && strcmp (err, "ok") == 0)
                    wire_err (err, errlen, "out of memory");
                goto cleanup;
            }
        }
        else {
            json_t *ignored = control_unpack_json (v, 1, err, errlen);
            if (!ignored)
                goto cleanup;
            json_decref (ignored);
        }
    }
    if (!have_ok) {
        wire_err (err, errlen, "missing ok");
        goto cleanup;
    }
    rc = 0;
    if (ok)
        *ok = ok_value;
    if (error) {
        *error = error_value;
        error_value = NULL;
    }
    if (data_out) {
        *data_out = data_value;
        data_value = NULL;
    }
cleanup:
    free (error_value);
    json_decref (data_value);
    msgpack_zone_destroy (&zone);
    return rc;
}
