/*
 * The metric-line format: the trial protocol's one channel from trainer to
 * orchestrator. A trainer writes one JSON object per line on stdout; anything
 * else on stdout is log text.
 *
 * Numbers are written in the shortest decimal form that reads back to the same
 * double, so a line compares bit for bit across runs. Non-finite values are
 * written as the bare tokens NaN, Infinity and -Infinity, as Python's json
 * module does; the parser accepts those tokens (and the strings "NaN",
 * "Infinity", "-Infinity") so that a trainer in any language can report a
 * diverged loss and have it recognised as one.
 *
 * This file owns formatting and parsing of single lines. Splitting a byte
 * stream into lines (with caps) is the orchestrator's job, not this file's.
 */
#ifndef HP_METRIC_LINE_H
#define HP_METRIC_LINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

enum { HP_METRIC_LINE_MAX = 8192 };

/* A line under construction, in caller storage. Adding past the buffer's
 * capacity sets `overflow`; hp_metric_line_finish then fails. */
struct hp_metric_line {
    char buf[HP_METRIC_LINE_MAX];
    size_t len;
    int fields;
    int overflow;
};

void hp_metric_line_init(struct hp_metric_line *m);
void hp_metric_line_add_int(struct hp_metric_line *m, const char *key, long long value);
void hp_metric_line_add_number(struct hp_metric_line *m, const char *key, double value);
/* Adds a string value; `value` is escaped as JSON requires. */
void hp_metric_line_add_string(struct hp_metric_line *m, const char *key,
                               const char *value);
/* Adds `raw` verbatim as the value (it must already be valid JSON: an array or
 * object built by the caller). */
void hp_metric_line_add_raw(struct hp_metric_line *m, const char *key, const char *raw);

/* Closes the object and writes it with its newline to `out`, then flushes.
 * Returns 0, or -1 on overflow or a write error. */
int hp_metric_line_finish(struct hp_metric_line *m, FILE *out);

/* Formats `value` in the shortest form that parses back to the same double
 * (or NaN / Infinity / -Infinity) into buf[size]. Returns the length. */
int hp_format_number(char *buf, size_t size, double value);

/* json_dumps(json, flags), but with every real number in its shortest form
 * that reads back to the same double (0.3, not jansson's 0.29999999999999999):
 * the same values, written for people. Returns a new string (free it), or
 * NULL when out of memory. */
char *hp_json_dumps(const json_t *json, size_t flags);

/* Parses one line (without its newline; need not be NUL-terminated). Returns a
 * new reference to a JSON object, or NULL when the line is not a JSON object
 * (such lines are log text, not an error). */
json_t *hp_metric_line_parse(const char *line, size_t len);

/* Reads `key` of a parsed line as a number, accepting the non-finite spellings
 * above. Returns 0 and sets *out, or -1 when the key is absent or not numeric. */
int hp_metric_line_number(const json_t *obj, const char *key, double *out);

#endif
