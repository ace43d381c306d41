//  check_log — the `log` check kind's named bounds. The kind itself is the
//  check_kind_t descriptor `check_kind_log` (agent/check.h); the benchmark
//  (bench/log_scan.c) drives it through that descriptor too.

#ifndef HEAL_CHECK_LOG_H_INCLUDED
#define HEAL_CHECK_LOG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_READ_BUFFER       (1024 * 1024)  //  bytes per read(); also the longest
                                             //  line matched in full (longer: its
                                             //  first LOG_READ_BUFFER bytes count)
#define LOG_RATE_BUCKETS      60             //  sliding window resolution
#define LOG_DEFAULT_EVIDENCE  5              //  matching lines kept as evidence
#define LOG_DEFAULT_KEEP      5              //  rotated files kept (remedy)
#define LOG_MAX_KEEP          100
#define LOG_STATE_MAX         (64 * 1024)    //  state file, bytes
#define LOG_TAIL_CHECK        64             //  bytes before the offset that must
                                             //  be unchanged for it to stay valid
#define LOG_MAX_PATTERN       4096           //  pattern text, bytes
#define LOG_JIT_STACK_MAX     (1024 * 1024)  //  PCRE2 JIT stack, bytes

#endif
