//  fuzz_control — libFuzzer target for the control framing (`make fuzz`).
//  Every input is tried as a request and as a reply; what decodes must
//  encode again and decode to the same values.

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "heal/control.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err [256];
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);

    control_request_t *r = control_request_decode (data, size, err, sizeof err);
    if (r) {
        if (control_request_encode (r->cmd, (const char *const *) r->args, r->argc, &buf))
            abort ();
        control_request_t *again = control_request_decode (buf.data, buf.size, err, sizeof err);
        if (!again || strcmp (again->cmd, r->cmd) || again->argc != r->argc)
            abort ();
        for (size_t i = 0; i < r->argc; i++)
            if (strcmp (again->args [i], r->args [i]))
                abort ();
        control_request_destroy (&again);
        control_request_destroy (&r);
    }

    bool ok;
    char *error = NULL;
    json_t *value = NULL;
    if (control_reply_decode (data, size, &ok, &error, &value, err, sizeof err) == 0) {
        if (control_reply_encode (ok, error, value, &buf))
            abort ();
        bool ok2;
        char *error2 = NULL;
        json_t *value2 = NULL;
        if (control_reply_decode (buf.data, buf.size, &ok2, &error2, &value2, err, sizeof err))
            abort ();
        if (ok2 != ok || (error == NULL) != (error2 == NULL)
        ||  (value == NULL) != (value2 == NULL) || (value && !json_equal (value, value2)))
            abort ();
        free (error2);
        json_decref (value2);
    }
    free (error);
    json_decref (value);
    msgpack_sbuffer_destroy (&buf);
    return 0;
}
