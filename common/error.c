/*
 * The shared error value. See error.h.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hp_error_init(struct hp_error *err)
{
    memset(err, 0, sizeof *err);
}

int hp_error_set(struct hp_error *err, const char *path, const char *fmt, ...)
{
    if (!err)
        return -1;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    err->line = 0;
    err->column = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

int hp_error_set_at(struct hp_error *err, int line, int column, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->path[0] = '\0';
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

char *hp_error_format(const struct hp_error *err, char *buf, size_t size)
{
    char where[800] = "";
    if (err->source[0] && err->line > 0)
        snprintf(where, sizeof where, "%s:%d:%d: ", err->source, err->line, err->column);
    else if (err->source[0])
        snprintf(where, sizeof where, "%s: ", err->source);
    if (err->path[0])
        snprintf(buf, size, "%s%s: %s", where, err->path, err->message);
    else
        snprintf(buf, size, "%s%s", where, err->message);
    return buf;
}
