//  util — small helpers shared by the three binaries: parsing of durations,
//  sizes and rates, UTF-8 safety, atomic file writes, endpoints, paths.

#ifndef HEAL_UTIL_H_INCLUDED
#define HEAL_UTIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAL_VERSION "0.1.0"

//  "300" (seconds), "250ms", "5s", "15m", "6h", "2d" -> milliseconds.
//  Returns 0, or -1 for anything else (negative, overflow, junk, empty).
int heal_parse_duration_ms (const char *text, int64_t *ms);

//  "4096", "10K", "100M", "5G", "1T" (powers of 1024, optional trailing "B")
//  -> bytes. Returns 0 or -1.
int heal_parse_size (const char *text, uint64_t *bytes);

//  "10%" -> *percent = 10, *is_percent = true; otherwise a size in bytes.
int heal_parse_size_or_percent (const char *text, uint64_t *bytes, double *percent,
                                bool *is_percent);

//  "50/h", "10/m", "3/s", "100/d" -> events per hour (*count) over a window of
//  *window_ms. Returns 0 or -1.
int heal_parse_rate (const char *text, uint64_t *count, int64_t *window_ms);

//  "true"/"false"/"yes"/"no"/"1"/"0"/"on"/"off" -> bool. Returns 0 or -1.
int heal_parse_bool (const char *text, bool *value);

//  Check names: [A-Za-z0-9_-]{1,64}.
bool heal_name_valid (const char *name);

//  Is text a ZeroMQ endpoint we accept (ipc://path, tcp://host:port,
//  tcp://host:*, inproc://name)? On false, err says why.
bool heal_endpoint_valid (const char *endpoint, char *err, size_t errlen);

//  Is the endpoint on this machine only (ipc, inproc, tcp on 127.0.0.0/8, ::1,
//  localhost)?
bool heal_endpoint_is_local (const char *endpoint);

//  Is this http(s) URL's host a loopback address (127.0.0.0/8, ::1, localhost)?
bool heal_url_is_loopback (const char *url);

//  Copy at most max bytes of src into a new string, replacing invalid UTF-8 by
//  U+FFFD and control characters (other than tab) by '?'; never cuts inside a
//  UTF-8 sequence. Caller frees. NULL src gives NULL.
char *heal_safe_string (const char *src, size_t len, size_t max);

//  Same as heal_safe_string but keeps newlines ('\n'): for multi-line text
//  such as command output. Caller frees. NULL src gives NULL.
char *heal_safe_text (const char *src, size_t len, size_t max);

//  Is [data, data+len) valid UTF-8 (no NUL)?
bool heal_utf8_valid (const char *data, size_t len);

//  Write data to path atomically: temp file in the same directory, fsync,
//  rename, fsync of the directory. mode for the new file. Returns 0 or -1.
int heal_write_atomic (const char *path, const void *data, size_t size, int mode);

//  Read a whole file of at most max bytes. Caller frees; *size set. NULL on error
//  or when the file is larger than max (errno = EFBIG).
char *heal_read_file (const char *path, size_t max, size_t *size);

//  mkdir -p with mode for each created component. Returns 0 or -1.
int heal_mkdir_p (const char *path, int mode);

//  The per-user runtime directory for ipc sockets, created 0700 if needed:
//  $XDG_RUNTIME_DIR/heal, else /tmp/heal-<uid> (macOS: $TMPDIR/heal).
//  Refuses (NULL) a directory owned by someone else or open to others.
//  Caller frees.
char *heal_runtime_dir (void);

//  Default state dir: $XDG_STATE_HOME/heal or ~/.local/state/heal
//  (macOS: ~/Library/Application Support/heal). Caller frees.
char *heal_default_state_dir (void);

//  This host's short name (borrowed, cached): the config's agent.host when
//  set (heal_hostname_set), else gethostname's first label.
const char *heal_hostname (void);

//  Use name as this host's name. Only the first call takes effect, and only
//  before anything read heal_hostname (heal_config_load calls it, before a
//  program starts its threads; later calls, e.g. a reload, are ignored).
//  Returns 0, or -1 when name is not [A-Za-z0-9_.-]{1,64} (not starting
//  with . or -).
int heal_hostname_set (const char *name);

//  Monotonic clock, milliseconds.
int64_t heal_monotonic_ms (void);

//  Levenshtein distance, for "did you mean" suggestions.
size_t heal_edit_distance (const char *a, const char *b);

#endif
