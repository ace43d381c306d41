//  check_ollama — the `ollama` check kind's named bounds. The kind itself is
//  the check_kind_t descriptor `check_kind_ollama` (agent/check.h).

#ifndef HEAL_CHECK_OLLAMA_H_INCLUDED
#define HEAL_CHECK_OLLAMA_H_INCLUDED

#include "heal/ollama.h"

#define OLLAMA_DEFAULT_URL         HEAL_OLLAMA_DEFAULT_URL
#define OLLAMA_MAX_URL             2048
#define OLLAMA_MAX_MODELS          32             //  models per check
#define OLLAMA_MAX_MODEL_NAME      256            //  bytes per model name
#define OLLAMA_MAX_BODY            (4 * 1024 * 1024)  //  /api/version, /api/tags body
#define OLLAMA_MAX_LINE            (64 * 1024)    //  one NDJSON line of /api/pull
#define OLLAMA_DEFAULT_PULL_TIMEOUT "1h"             //  a whole pull
#define OLLAMA_PULL_STALL_S        300            //  no byte for this long: give up
#define OLLAMA_PROGRESS_EVERY_MS   1000           //  at most one progress event per
                                                  //  second (plus status changes)
#define OLLAMA_RESTART_WAIT_MS     200            //  poll period after a restart

#endif
