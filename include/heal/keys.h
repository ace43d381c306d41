//  keys — typed key tables and the one parser that reads a config block
//  against them.
//
//  A section of the config (agent, bus, a check kind's keys, its remedy keys,
//  a new binary's own section) is described once, by a table: for each key its
//  name, type, bounds, default, where the parsed value lands (offsetof in the
//  caller's settings struct), whether it is required, and one line of help.
//  heal_keys_names checks that a block holds only known keys (nearest known
//  key suggested), once each; heal_keys_read then parses every key of the
//  table into the struct, with errors in the house format
//
//      FILE: WHERE: key 'KEY': what
//
//  e.g. `/x/heal.conf: check 'web': key 'port': '70000' is not a port (1-65535)`.
//  The caller's own code then only checks what involves several keys. The
//  tables are also what tests/unit/test_keydocs.c walks to keep docs/*.md true.
//
//  Example (a settings struct and its table):
//
//      typedef struct { char *url; int64_t timeout_ms; bool pull; } my_t;
//      static const heal_key_t s_keys [] = {
//          { .name = "url", .type = HEAL_KEY_URL, .at = HEAL_KEY_AT (my_t, url),
//            .flags = HEAL_KEY_REQUIRED, .help = "where to ask" },
//          { .name = "timeout", .type = HEAL_KEY_DURATION,
//            .at = HEAL_KEY_AT (my_t, timeout_ms), .def = "30", .max = 3600000 },
//          { .name = "pull", .type = HEAL_KEY_BOOL, .at = HEAL_KEY_AT (my_t, pull) },
//          { .name = NULL }
//      };

#ifndef HEAL_KEYS_H_INCLUDED
#define HEAL_KEYS_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

#define HEAL_KEYS_MAX_TABLE   64        //  keys in one block, all tables together
#define HEAL_KEYS_MAX_LIST    64        //  words in a list value
#define HEAL_KEYS_MAX_SHOWN   80        //  bytes of a bad value quoted in errors
#define HEAL_KEYS_RATE_TEXT   32        //  a rate as written ("50/h"), bytes
//  Default max_len of a value by type (a key's max_len overrides it):
#define HEAL_KEYS_MAX_WORD    64        //  typed values: numbers, durations, sizes,
                                        //  rates, modes, enum words
#define HEAL_KEYS_MAX_HOST    255       //  a host name (DNS: 253) or address
#define HEAL_KEYS_MAX_PATH    4000      //  a path (under Linux's PATH_MAX)
                                        //  strings, URLs, endpoints, list words:
                                        //  CONFIG_MAX_VALUE

//  The type of a value, and the C type it is stored as (at the key's offset).
typedef enum {
    HEAL_KEY_STRING = 0,    //  char * (owned): non-empty, at most max_len bytes
    HEAL_KEY_PATH,          //  char * (owned): absolute; a leading "~/" is $HOME
    HEAL_KEY_URL,           //  char * (owned): heal_url_valid
    HEAL_KEY_ENDPOINT,      //  char * (owned): heal_endpoint_valid
    HEAL_KEY_HOST,          //  char * (owned): a host name or address (letters,
                            //  digits, . - : _)
    HEAL_KEY_BOOL,          //  bool: heal_parse_bool
    HEAL_KEY_INT,           //  int64_t: decimal in [min, max]; max 0 = [0, INT32_MAX]
    HEAL_KEY_NUMBER,        //  double: finite, >= 0
    HEAL_KEY_DURATION,      //  int64_t ms: heal_parse_duration_ms, > 0 (>= 0 with
                            //  HEAL_KEY_ZERO), then min and max (0 = none)
    HEAL_KEY_SIZE,          //  uint64_t bytes: heal_parse_size
    HEAL_KEY_SIZE_PCT,      //  heal_size_pct_t: heal_parse_size_or_percent
    HEAL_KEY_COUNT_PCT,     //  heal_size_pct_t: a plain count or a percentage
    HEAL_KEY_RATE,          //  heal_rate_t: heal_parse_rate
    HEAL_KEY_MODE,          //  int64_t: permission bits in octal, 3 to 5 digits
    HEAL_KEY_ENUM,          //  int: the value of the matching word in values
    HEAL_KEY_LIST,          //  heal_list_t (owned): words split on spaces and
                            //  commas; each at most max_len, at most max words
                            //  (an empty value is an empty list)
    HEAL_KEY_BLOCK          //  an indented block (e.g. remedy): not stored
} heal_key_type_t;

//  Flags
#define HEAL_KEY_REQUIRED  0x01    //  absent is an error
#define HEAL_KEY_ZERO      0x02    //  a duration of 0 is accepted
#define HEAL_KEY_EMPTY     0x04    //  an empty value counts as absent (default)

//  A numeric macro as default text: .def = HEAL_KEY_TEXT (LOG_DEFAULT_KEEP).
#define HEAL_KEY_TEXT(x)   HEAL_KEY_TEXT_ (x)
#define HEAL_KEY_TEXT_(x)  #x

//  Where a value lands: HEAL_KEY_AT (struct type, field). 0 = validate only.
#define HEAL_KEY_AT(type, field)  (offsetof (type, field) + 1)

//  One word of an enum and the int it stands for.
typedef struct {
    const char *word;
    int value;
} heal_key_word_t;

typedef struct {
    uint64_t bytes;             //  when !is_percent
    double percent;             //  when is_percent
    bool is_percent;
} heal_size_pct_t;

typedef struct {
    uint64_t count;             //  events allowed ...
    int64_t window_ms;          //  ... within this window
    char text [HEAL_KEYS_RATE_TEXT];   //  as written, for messages
} heal_rate_t;

typedef struct {
    char **items;               //  owned
    size_t count;
} heal_list_t;

typedef struct {
    const char *name;           //  NULL ends a table
    heal_key_type_t type;
    size_t at;                  //  HEAL_KEY_AT (...) or 0 (validate only)
    size_t seen;                //  HEAL_KEY_AT (...) of a bool set when the key
                                //  is given (not by its default), or 0
    unsigned flags;             //  HEAL_KEY_REQUIRED, HEAL_KEY_ZERO
    int64_t min, max;           //  INT: bounds; DURATION (ms), SIZE: bounds, 0 = none;
                                //  LIST: max = words (0 = HEAL_KEYS_MAX_LIST)
    size_t max_len;             //  bytes of the value (LIST: of a word);
                                //  0 = the type's (HEAL_KEYS_MAX_*)
    const char *def;            //  default as written in the config, parsed like a
                                //  value when the key is absent; NULL = none (the
                                //  field keeps what the caller put there)
    const heal_key_word_t *words;   //  ENUM: the accepted words, NULL word ends
    const char *invalid;        //  message when the value is refused (any reason
                                //  but empty/too long); "%s" = the value. NULL =
                                //  the type's ("'5x' is not a duration (...)")
    const char *missing;        //  message when a required key is absent. NULL =
                                //  "missing: NEEDED_BY needs it"
    const char *help;           //  one line, for docs and `-n` tools
} heal_key_t;

//  Where a block is, for messages.
typedef struct {
    const char *file;           //  config file; NULL = "(built-in defaults)"
    const char *where;          //  "agent", "check 'web'", NULL = none
    const char *prefix;         //  before key names in messages ("remedy/"), or NULL
    const char *needed_by;      //  "the disk kind": in "missing: ... needs it"
    bool open;                  //  heal_keys_names: accept names outside the
                                //  tables (checked later, e.g. a kind's keys)
} heal_keys_ctx_t;

//  Check the children of node: each is a key of one of tables (a NULL-ended
//  array of tables; the union is searched, and suggested from when a name is
//  unknown), given once, with a value of at most CONFIG_MAX_VALUE bytes, and
//  only a HEAL_KEY_BLOCK key has children. node NULL is fine (nothing to
//  check). Returns 0, or -1 with err set, e.g.
//  `t.conf: check 'd': key 'min_fre': unknown key (did you mean 'min_free'?)`.
int heal_keys_names (const heal_keys_ctx_t *ctx, zconfig_t *node,
                     const heal_key_t *const *tables, char *err, size_t errlen);

//  Parse every key of table from node (NULL = an absent block: defaults and
//  required keys still apply) into settings, in table order: a given value is
//  parsed and bounded, an absent one takes def (when set) or is an error when
//  required. Keys of node that are not in table are ignored (heal_keys_names
//  checks names). Returns 0, or -1 with err set; on error the strings already
//  stored stay in settings for heal_keys_free.
int heal_keys_read (const heal_keys_ctx_t *ctx, zconfig_t *node,
                    const heal_key_t *table, void *settings,
                    char *err, size_t errlen);

//  Free the owned values (strings, lists) table stored in settings, and
//  NULL them. Safe on a struct that heal_keys_read filled only in part.
void heal_keys_free (const heal_key_t *table, void *settings);

//  Write `FILE: WHERE: key 'PREFIXKEY': what` into err (key NULL: no key
//  part, where NULL: no where part; names are made printable and bounded).
void heal_keys_error (const heal_keys_ctx_t *ctx, const char *key, char *err,
                      size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
void heal_keys_verror (const heal_keys_ctx_t *ctx, const char *key, char *err,
                       size_t errlen, const char *fmt, va_list args)
    __attribute__ ((format (printf, 5, 0)));

//  The key named name in table, or NULL.
const heal_key_t *heal_keys_find (const heal_key_t *table, const char *name);

//  The name nearest to name among the NULL-terminated known names, or NULL
//  when none is close enough to suggest (edit distance).
const char *heal_keys_nearest (const char *name, const char *const *known);

//  The type's name for docs and messages: "duration", "path"...
const char *heal_key_type_name (heal_key_type_t type);

//  Is url an http:// or https:// URL with a host, no spaces or control
//  characters? The one URL check of every key and program.
bool heal_url_valid (const char *url);

//  A copy of path with a leading "~/" replaced by $HOME/ (when HOME is an
//  absolute path); otherwise a plain copy. NULL when out of memory.
char *heal_home_path (const char *path);

#endif
