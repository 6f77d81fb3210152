/*
 * JSON for people: objects indented by two spaces per level, as jansson's
 * JSON_INDENT(2) writes them, but an array that holds no object stays on one
 * line ([0.1, 0.2], a confusion matrix [[5, 1], [2, 7]]), so a results file
 * stays readable whatever a trainer reports. Key order is kept; numbers are
 * in their shortest exact form (hp_json_dumps).
 */
#ifndef JSON_PRETTY_H
#define JSON_PRETTY_H

#include <jansson.h>

/* Returns the text of `json` (any value) as a new string without a final
 * newline (free it), or NULL when out of memory. */
char *json_pretty_dumps(const json_t *json);

#endif
