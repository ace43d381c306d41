//  notify_config — heal-notify's part of the config (SPEC "Added with the
//  second round"): the `notify` section and the `destination = NAME` blocks.
//
//  Validated by heal_config_load for every binary (so `-n` of any of them
//  catches a bad destination); heal-notify builds it again to run. Errors read
//  `FILE: destination 'NAME': key 'KEY': what` and never quote a URL or a
//  token (they may hold secrets).

#ifndef HEAL_NOTIFY_CONFIG_H_INCLUDED
#define HEAL_NOTIFY_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "heal/config.h"

#define NOTIFY_MAX_DESTINATIONS     32
#define NOTIFY_MAX_FILTER           64                  //  names in `checks`
#define NOTIFY_DEFAULT_TIMEOUT_MS   (10 * 1000)         //  per delivery
#define NOTIFY_MAX_TIMEOUT_MS       (5 * 60 * 1000)
#define NOTIFY_MAX_GROUP_WAIT_MS    (10 * 60 * 1000)
#define NOTIFY_MAX_URL              2048                //  bytes

typedef enum {
    NOTIFY_KIND_WEBHOOK = 0,
    NOTIFY_KIND_COMMAND,
    NOTIFY_KIND_ALERTMANAGER,
    NOTIFY_KIND_DESKTOP
} notify_kind_t;

typedef enum {
    NOTIFY_FORMAT_JSON = 0,
    NOTIFY_FORMAT_NTFY,
    NOTIFY_FORMAT_SLACK
} notify_format_t;

//  `on` bits: which messages a destination wants.
#define NOTIFY_ON_GAVE_UP    (1u << 0)
#define NOTIFY_ON_CRITICAL   (1u << 1)
#define NOTIFY_ON_RECOVERED  (1u << 2)
#define NOTIFY_ON_DIAGNOSIS  (1u << 3)
#define NOTIFY_ON_DIGEST     (1u << 4)
#define NOTIFY_ON_ALL        0x1fu

//  digest day: NOTIFY_DIGEST_OFF, NOTIFY_DIGEST_DAILY or 0..6 (0 = Sunday).
#define NOTIFY_DIGEST_OFF    (-2)
#define NOTIFY_DIGEST_DAILY  (-1)

typedef struct {
    char *name;                 //  [A-Za-z0-9_-]{1,64}, unique
    notify_kind_t kind;
    char *url;                  //  webhook, alertmanager (secret: never logged)
    char *token;                //  optional bearer token (secret: never logged)
    notify_format_t format;     //  webhook only; default json
    char *run;                  //  command: the configured command line
    int64_t timeout_ms;
    unsigned on;                //  NOTIFY_ON_* bits; default all
    char **checks;              //  filter (NULL = every check), check_count names
    size_t check_count;
} notify_destination_t;

typedef struct {
    int64_t group_wait_ms;      //  default 0: each alert goes out at once
    int digest_day;             //  NOTIFY_DIGEST_OFF (default), _DAILY, 0..6
    int digest_minute;          //  minute of the day, local time
    notify_destination_t *destinations;
    size_t destination_count;   //  0 = the desktop fallback
} notify_config_t;

//  Read and validate the notify section and the destination blocks of config.
//  Returns an owned object, or NULL with `FILE: where: what` in err.
notify_config_t *notify_config_new (const heal_config_t *config, char *err, size_t errlen);
void notify_config_destroy (notify_config_t **self_p);

//  Does destination want this message? what: "gave_up", "critical",
//  "recovered", "diagnosis", "digest"; check may be NULL (digest).
bool notify_destination_wants (const notify_destination_t *self, const char *what,
                               const char *check);

//  Names: "webhook"... / "json"...
const char *notify_kind_name (notify_kind_t kind);

#endif
