//  ollama — Ollama's model names (include/heal/ollama.h).

#include "heal/ollama.h"

#include <stdlib.h>
#include <string.h>

char *
heal_ollama_full_name (const char *name)
{
    const char *slash = strrchr (name, '/');
    const char *last = slash ? slash + 1 : name;
    size_t len = strlen (name);
    bool tagged = strchr (last, ':') != NULL;
    char *out = (char *) malloc (len + (tagged ? 1 : sizeof ":latest"));
    if (!out)
        return NULL;
    memcpy (out, name, len + 1);
    if (!tagged)
        memcpy (out + len, ":latest", sizeof ":latest");
    return out;
}

//  Length of name without its tag, and the tag ("latest" when none).
static size_t
s_split (const char *name, const char **tag)
{
    const char *slash = strrchr (name, '/');
    const char *colon = strchr (slash ? slash + 1 : name, ':');
    *tag = colon ? colon + 1 : "latest";
    return colon ? (size_t) (colon - name) : strlen (name);
}

bool
heal_ollama_same_model (const char *a, const char *b)
{
    const char *tag_a, *tag_b;
    size_t len_a = s_split (a, &tag_a), len_b = s_split (b, &tag_b);
    return len_a == len_b && memcmp (a, b, len_a) == 0 && strcmp (tag_a, tag_b) == 0;
}

bool
heal_ollama_listed (const json_t *models, const char *model)
{
    if (!json_is_array (models))
        return false;
    for (size_t i = 0; i < json_array_size (models); i++) {
        json_t *entry = json_array_get (models, i);
        const char *keys [] = { "name", "model" };
        for (size_t k = 0; k < 2; k++) {
            const char *name = json_string_value (json_object_get (entry, keys [k]));
            if (name && heal_ollama_same_model (name, model))
                return true;
        }
    }
    return false;
}
