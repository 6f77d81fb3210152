/*
 * Checked path building. See path.h.
 */
#include "path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of each end of a path too long to print whole the message shows. */
enum { SHOWN_HEAD = 48, SHOWN_TAIL = 40 };

/* Fails for a path of `len` bytes that did not fit in buf[size] (size > 0).
 * `whole` is the whole path, or NULL when there was no memory to build it
 * (the message then shows only the start, from buf). Empties buf. Returns
 * -1. */
static int too_long(char *buf, size_t size, struct hp_error *err, size_t len,
                    const char *whole)
{
    char head[SHOWN_HEAD + 1];
    snprintf(head, sizeof head, "%s", whole ? whole : buf);
    buf[0] = '\0';
    if (whole && len <= SHOWN_HEAD + SHOWN_TAIL)
        return hp_error_set(err, "", "path too long: %s (%zu bytes, limit %zu)", whole,
                            len, size - 1);
    const char *tail = whole ? whole + len - SHOWN_TAIL : "";
    return hp_error_set(err, "", "path too long: %s...%s (%zu bytes, limit %zu)", head,
                        tail, len, size - 1);
}

/* Joins `first` and the components in `ap` into buf[size], writing what fits.
 * Returns the length of the whole path (which fits when it is < size). */
static size_t join_into(char *buf, size_t size, const char *first, va_list ap)
{
    size_t len = 0;
    int slash = 1; /* the path so far is empty or ends with '/' */
    for (const char *part = first; part; part = va_arg(ap, const char *)) {
        if (!slash) {
            if (len < size)
                buf[len] = '/';
            len++;
        }
        size_t n = strlen(part);
        if (len < size)
            memcpy(buf + len, part, len + n < size ? n : size - len);
        len += n;
        if (n > 0)
            slash = part[n - 1] == '/';
    }
    if (size > 0)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}

int hp_path_join(char *buf, size_t size, struct hp_error *err, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    va_list again;
    va_copy(again, ap);
    size_t len = join_into(buf, size, first, ap);
    va_end(ap);
    int rc = 0;
    if (size == 0) {
        rc = hp_error_set(err, "", "path too long: no room for any path");
    } else if (len >= size) {
        char *whole = malloc(len + 1);
        if (whole)
            join_into(whole, len + 1, first, again);
        rc = too_long(buf, size, err, len, whole);
        free(whole);
    }
    va_end(again);
    return rc;
}

int hp_path_format(char *buf, size_t size, struct hp_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    int rc = 0;
    if (size == 0) {
        rc = hp_error_set(err, "", "path too long: no room for any path");
    } else if (n < 0) {
        buf[0] = '\0';
        rc = hp_error_set(err, "", "cannot build a path from \"%s\"", fmt);
    } else if ((size_t)n >= size) {
        char *whole = malloc((size_t)n + 1);
        if (whole)
            vsnprintf(whole, (size_t)n + 1, fmt, again);
        rc = too_long(buf, size, err, (size_t)n, whole);
        free(whole);
    }
    va_end(again);
    return rc;
}
