/*
 * Indented JSON with one-line arrays. See json_pretty.h.
 */
#include "json_pretty.h"

#include <stdio.h>
#include <stdlib.h>

#include "metric_line.h"

/* Whether `json` is or holds an object, at any depth. */
static int holds_object(const json_t *json)
{
    if (json_is_object(json))
        return 1;
    size_t i;
    json_t *item;
    json_array_foreach((json_t *)json, i, item)
    {
        if (holds_object(item))
            return 1;
    }
    return 0;
}

/* Writes a value on one line, jansson's spacing ("[1, 2]", "{"a": 1}"). */
static int write_flat(FILE *out, const json_t *json)
{
    char *text = hp_json_dumps(json, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    if (!text)
        return -1;
    fputs(text, out);
    free(text);
    return 0;
}

static int write_value(FILE *out, const json_t *json, int indent)
{
    if (json_is_array(json) && json_array_size(json) > 0 && holds_object(json)) {
        fputs("[", out);
        size_t i;
        json_t *item;
        json_array_foreach((json_t *)json, i, item)
        {
            fprintf(out, "%s\n%*s", i ? "," : "", indent + 2, "");
            if (write_value(out, item, indent + 2) < 0)
                return -1;
        }
        fprintf(out, "\n%*s]", indent, "");
        return 0;
    }
    if (!json_is_object(json) || json_object_size(json) == 0)
        return write_flat(out, json);
    fputs("{", out);
    const char *key;
    json_t *value;
    int first = 1;
    json_object_foreach((json_t *)json, key, value)
    {
        json_t *name = json_string(key);
        fprintf(out, "%s\n%*s", first ? "" : ",", indent + 2, "");
        int rc = name ? write_flat(out, name) : -1;
        json_decref(name);
        if (rc < 0)
            return -1;
        fputs(": ", out);
        if (write_value(out, value, indent + 2) < 0)
            return -1;
        first = 0;
    }
    fprintf(out, "\n%*s}", indent, "");
    return 0;
}

char *json_pretty_dumps(const json_t *json)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    int rc = write_value(out, json, 0);
    if (fclose(out) != 0 || rc < 0) {
        free(text);
        return NULL;
    }
    return text;
}
