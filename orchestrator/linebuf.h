/*
 * Bounded line framing for a child's output stream.
 *
 * A trainer's stdout arrives in reads of any size: a line may be split across
 * reads and a read may hold many lines. linebuf reassembles whole lines and
 * hands each to a callback. Memory is bounded by `max_line`: a line longer
 * than that is delivered once, truncated, with `truncated` set, and the rest
 * of it is skipped up to the next newline, so a misbehaving trainer never
 * grows the orchestrator's memory.
 */
#ifndef LINEBUF_H
#define LINEBUF_H

#include <stddef.h>

/* Called for each complete line, without its '\n' (a trailing '\r' is kept).
 * `line` is borrowed for the duration of the call. */
typedef void (*linebuf_line_fn)(void *ctx, const char *line, size_t len, int truncated);

struct linebuf {
    char *buf;       /* (max_line) bytes, allocated once by linebuf_init */
    size_t len;      /* bytes of the current partial line */
    size_t max_line;
    int skipping;    /* inside an over-long line already delivered */
    size_t truncated_lines;
};

/* Returns 0, or -1 when the buffer cannot be allocated. */
int linebuf_init(struct linebuf *lb, size_t max_line);
void linebuf_free(struct linebuf *lb);

/* Feeds `n` bytes; calls `fn` for each line completed by them. */
void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_line_fn fn,
                  void *ctx);

/* At end of stream: delivers a final line that had no newline, if any. */
void linebuf_finish(struct linebuf *lb, linebuf_line_fn fn, void *ctx);

#endif
