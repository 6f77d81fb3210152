/*
 * Bounded line framing. See linebuf.h.
 */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

int linebuf_init(struct linebuf *lb, size_t max_line)
{
    memset(lb, 0, sizeof *lb);
    lb->buf = malloc(max_line);
    if (!lb->buf)
        return -1;
    lb->max_line = max_line;
    return 0;
}

void linebuf_free(struct linebuf *lb)
{
    free(lb->buf);
    lb->buf = NULL;
    lb->len = 0;
}

void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_line_fn fn,
                  void *ctx)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t chunk = nl ? (size_t)(nl - data) : n;
        if (lb->skipping) {
            /* The rest of an over-long line: drop it up to the newline. */
        } else if (lb->len + chunk <= lb->max_line) {
            memcpy(lb->buf + lb->len, data, chunk);
            lb->len += chunk;
        } else {
            size_t room = lb->max_line - lb->len;
            memcpy(lb->buf + lb->len, data, room);
            lb->len = lb->max_line;
            fn(ctx, lb->buf, lb->len, 1);
            lb->truncated_lines++;
            lb->len = 0;
            lb->skipping = 1;
        }
        if (!nl)
            return;
        if (!lb->skipping)
            fn(ctx, lb->buf, lb->len, 0);
        lb->len = 0;
        lb->skipping = 0;
        data += chunk + 1;
        n -= chunk + 1;
    }
}

void linebuf_finish(struct linebuf *lb, linebuf_line_fn fn, void *ctx)
{
    if (!lb->skipping && lb->len > 0)
        fn(ctx, lb->buf, lb->len, 0);
    lb->len = 0;
    lb->skipping = 0;
}
