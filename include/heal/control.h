//  control — the healctl <-> agent framing (SPEC "Control").
//
//  Request: one frame, msgpack map {cmd: str, args: [str|uint...]}.
//  Reply:   one frame, msgpack map {ok: bool, error: str|nil, data: any}.
//  `data` is carried as a jansson value on the C side.

#ifndef HEAL_CONTROL_H_INCLUDED
#define HEAL_CONTROL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <msgpack.h>
#include <jansson.h>

#define CONTROL_MAX_REQUEST  4096        //  request frame, bytes
#define CONTROL_MAX_REPLY    (4 * 1024 * 1024)  //  reply frame, bytes
#define CONTROL_MAX_CMD      32          //  command name, bytes
#define CONTROL_MAX_ARGS     8           //  arguments per request
#define CONTROL_MAX_ARG      256         //  bytes per argument
#define CONTROL_MAX_DEPTH    16          //  nesting inside reply data
#define CONTROL_MAX_ERROR    4096        //  reply error string, bytes
#define CONTROL_MAX_STRING   (1024 * 1024)  //  any string inside reply data, bytes
#define CONTROL_MAX_KEYS     32          //  keys in a request or reply map

typedef struct {
    char *cmd;                  //  owned
    char **args;                //  argc owned strings (integers arrive as decimal)
    size_t argc;
} control_request_t;

//  Encode a request into buf (cleared first). Returns 0 or -1.
int control_request_encode (const char *cmd, const char *const *args, size_t argc,
                            msgpack_sbuffer *buf);

//  Strictly decode a request. NULL + reason in err on any error. Caller owns.
control_request_t *control_request_decode (const void *data, size_t size,
                                           char *err, size_t errlen);
void control_request_destroy (control_request_t **self_p);

//  Encode a reply. error may be NULL (nil); data may be NULL (nil). Borrowed.
int control_reply_encode (bool ok, const char *error, const json_t *data,
                          msgpack_sbuffer *buf);

//  The head of a reply ({ok, error, and the "data" key}) into pk: the caller
//  packs data's value next (a reply built without a json_t). 0 or -1.
int control_reply_head (msgpack_packer *pk, bool ok, const char *error);

//  Strictly decode a reply. On success returns 0 and fills *ok, *error (owned,
//  NULL when nil) and *data (new reference, NULL when nil).
int control_reply_decode (const void *data, size_t size, bool *ok, char **error,
                          json_t **data_out, char *err, size_t errlen);

//  Generic conversions used by the codecs (bounded by depth; -1/NULL past it).
int control_pack_json (msgpack_packer *pk, const json_t *value, int depth);
json_t *control_unpack_json (const msgpack_object *obj, int depth,
                             char *err, size_t errlen);

#endif
