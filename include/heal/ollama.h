//  ollama — what heal knows of Ollama's API that both the `ollama` check kind
//  and the diagnoser need: the default URL and model names (a name without a
//  tag means `name:latest`, as in Ollama).

#ifndef HEAL_OLLAMA_H_INCLUDED
#define HEAL_OLLAMA_H_INCLUDED

#include <stdbool.h>
#include <jansson.h>

#define HEAL_OLLAMA_DEFAULT_URL    "http://127.0.0.1:11434"

//  "qwen2.5" -> "qwen2.5:latest"; "ns/m:7b" and "host:5000/ns/m:7b" unchanged
//  (the tag is a ':' in the last path segment). Caller frees; NULL when out
//  of memory.
char *heal_ollama_full_name (const char *name);

//  Are a and b the same model once both are full names?
bool heal_ollama_same_model (const char *a, const char *b);

//  Does the "models" array of an /api/tags reply list model (by an entry's "name"
//  or its "model")?
bool heal_ollama_listed (const json_t *models, const char *model);

#endif
