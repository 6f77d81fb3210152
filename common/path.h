/*
 * Building a file path into a fixed buffer, checked: a path that does not fit
 * is an error that names it, never a truncated path that names another file.
 * Written once for both programs; every path made of a directory and names
 * goes through here.
 *
 * This file owns only the arithmetic of building paths. It does not touch
 * the file system.
 */
#ifndef HP_PATH_H
#define HP_PATH_H

#include <stddef.h>

#include "error.h"

/* The size of a buffer that holds any path the kernel accepts (PATH_MAX on
 * Linux, the terminating NUL included). */
enum { HP_PATH_MAX = 4096 };

/* Joins the components `first`, ... up to a NULL with single '/' between
 * them (none after a component that already ends with '/' or is empty)
 * into buf[size]. Example: hp_path_join(buf, sizeof buf, err, dir, "trials", id,
 * NULL). Returns 0 with the path in buf, or -1 when it would need more than
 * size - 1 bytes: `err` then says "path too long: <its start>...<its end>
 * (N bytes, limit M)" (N the length the path would have had, M = size - 1)
 * and buf holds the empty string, so a caller that ignores the error opens
 * nothing rather than the wrong file. `err` may be NULL. */
int hp_path_join(char *buf, size_t size, struct hp_error *err, const char *first, ...)
    __attribute__((sentinel));

/* Like snprintf into buf[size], for paths that are not a plain join (a
 * temporary name beside a file, "rerun-%d"): returns 0, or -1 with `err` set
 * and buf emptied exactly as hp_path_join when the result does not fit. */
int hp_path_format(char *buf, size_t size, struct hp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
