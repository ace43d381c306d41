//  log_impl — the `log` kind's parts, private to agent/check_log*.c and
//  agent/log_*.c: the check's state (check_log.c: keys, setup, run),
//  its persisted position, window and evidence (log_state.c), the scanner
//  (log_scan.c) and the rotation remedy (log_rotate.c).

#ifndef HEAL_LOG_IMPL_H_INCLUDED
#define HEAL_LOG_IMPL_H_INCLUDED

#define PCRE2_CODE_UNIT_WIDTH 8

#include "check.h"
#include "check_log.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define LOG_STATE_VERSION 1

typedef struct {
    int64_t index;              //  absolute bucket number (ts / bucket_ms)
    uint64_t count;
} log_bucket_t;

typedef struct {
    char text [EVENT_MAX_EVIDENCE_LEN + 1];     //  raw bytes (made safe on output)
    size_t len;
    bool truncated;
} log_line_t;

typedef struct {
    //  Configuration
    char *name;
    char *path;
    char *rotated;              //  PATH.1
    char *pattern;              //  NULL = no pattern (size only)
    bool has_rate;
    heal_rate_t rate;           //  max_rate as parsed
    uint64_t max_rate;          //  matches allowed in the window
    int64_t window_ms;
    char *rate_text;
    bool has_size;
    uint64_t max_size;
    bool from_start;
    int64_t evidence_setting;   //  max_evidence as configured
    size_t max_evidence;
    bool rotate;
    bool copytruncate;
    int64_t keep_setting;       //  keep as configured
    int keep;
    char *reopen;               //  command, or NULL
    char *state_file;           //  NULL when there is no state_dir
    const heal_config_t *config;

    //  PCRE2
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
    bool jit;

    //  Position (persisted)
    bool state_loaded;
    bool known;                 //  we have a position in some file
    bool missing;               //  the file was absent last time we looked
    uint64_t dev, ino;
    uint64_t offset;
    uint64_t tail;              //  fingerprint of the LOG_TAIL_CHECK bytes before offset
    bool in_long_line;          //  offset is inside a line longer than the buffer
    bool dirty;                 //  state changed since last written

    //  Rate window (persisted)
    int64_t bucket_ms;
    log_bucket_t buckets [LOG_RATE_BUCKETS];

    //  Evidence ring (persisted)
    log_line_t *lines;          //  max_evidence slots
    size_t line_next;
    size_t line_count;

    //  Scratch
    char *buf;                  //  LOG_READ_BUFFER bytes, allocated once
} log_check_t;

//  Per-scan counters.
typedef struct {
    uint64_t matched;
    uint64_t bytes;
    uint64_t errors;
    bool partial;
} log_scan_t;

typedef enum {
    LOG_OPEN_OK = 0,
    LOG_OPEN_MISSING,
    LOG_OPEN_ERROR          //  message set
} log_open_t;

//  log_state.c
//  Fingerprint of the bytes [offset - LOG_TAIL_CHECK, offset) of fd.
//  Returns 0 and *hash, or -1 when they cannot be read in full.
int log_tail_hash (int fd, uint64_t offset, uint64_t *hash);
//  a + b, freshly allocated. Caller frees.
char *log_concat (const char *a, const char *b);
void log_window_add (log_check_t *self, int64_t now_ms, uint64_t count);
uint64_t log_window_sum (const log_check_t *self, int64_t now_ms);
void log_evidence_add (log_check_t *self, const char *line, size_t len, bool truncated);
//  The evidence lines, oldest first, made safe for the bus.
void log_evidence_emit (log_check_t *self, event_t *event);
void log_state_reset (log_check_t *self);
//  Load state_dir/log-<check>.json if present (see log_state.c).
void log_state_load (log_check_t *self, bool verbose);
//  Write the state if it changed; failures are logged.
void log_state_save (log_check_t *self);

//  log_scan.c
//  memrchr is a GNU extension: macOS lacks it.
const char *log_memrchr (const char *s, char c, size_t n);
//  Scan fd from offset to EOF or deadline_ms (0: none), complete lines only.
int log_scan_fd (log_check_t *self, int fd, uint64_t offset, int64_t deadline_ms,
                 uint64_t *end, bool *in_long_line, log_scan_t *scan);
//  Open path for reading without blocking; regular files only.
log_open_t log_open (const char *path, int *fd_p, struct stat *st, char *msg,
                     size_t msglen);
//  After a rotation, finish the previous file if PATH.1 is it.
void log_finish_rotated (log_check_t *self, int64_t deadline_ms, log_scan_t *scan);

//  log_rotate.c
//  The remedy: rotate or copytruncate PATH, then the reopen command.
remedy_status_t log_rotate_remedy (void *self_v, const check_ctx_t *ctx,
                                   const check_result_t *failed, event_remedy_t *out);

#endif
