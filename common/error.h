/*
 * Errors as values with a story: a caller-owned struct that a failing function
 * fills with where the problem is (source file, JSON path, line, column) and
 * what it is. Functions return 0 or a negative code; the struct carries the
 * words. Formatting for the user is hp_error_format's job, so every message in
 * both programs has the same shape:
 *
 *   space.json: params.lr.low: must be > 0 for loguniform (got 0)
 *   space.json:3:14: syntax error: unexpected token
 */
#ifndef HP_ERROR_H
#define HP_ERROR_H

#include <stddef.h>

struct hp_error {
    char source[512];  /* file name or program/flag name; may be empty */
    char path[256];    /* JSON path such as params.lr.low; may be empty */
    int line;          /* 1-based; 0 when not a syntax position */
    int column;        /* 1-based; 0 when not a syntax position */
    char message[1024];
};

/* Clears every field. */
void hp_error_init(struct hp_error *err);

/* Sets path and message (printf-style); keeps `source`. Returns -1 so callers
 * can write `return hp_error_set(err, ...)`. `err` may be NULL. */
int hp_error_set(struct hp_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a syntax position (line, column) and message; keeps `source`. Returns -1. */
int hp_error_set_at(struct hp_error *err, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "source: path: message", "source:line:column: message" or shorter
 * forms when fields are empty, into buf[size]. Returns buf. */
char *hp_error_format(const struct hp_error *err, char *buf, size_t size);

#endif
