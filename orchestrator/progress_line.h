/*
 * The live progress line's text, fitted to the terminal's width: it
 * shortens, it never wraps (a wrapped line cannot be redrawn in place and
 * scrolls the terminal full of copies). What the line says, in full:
 *
 *   done 12/40, running 2, failed 1, pruned 3, best val_accuracy 0.8712
 *   (c0003-s1), 1m02s elapsed, ETA 3m10s
 *
 * When that is wider than the terminal, it gives up, one step at a time and
 * in this order, until it fits: (1) the best trial's id, (2) the word
 * "elapsed", (3) the metric's name after "best", (4) the long labels ("done
 * 12/40" becomes "12/40", "running 2" "run 2", "failed 1" "fail 1", "pruned
 * 3" "prun 3"), then whole fields: (5) elapsed, (6) pruned, (7) running,
 * (8) failed, (9) best, (10) the ETA; what is left, "12/40" at the least, is
 * cut at the width. Progress (done/total) and the ETA stay longest: they are
 * what a person glancing at an overnight sweep wants to know.
 *
 * What this file does not own: when the line is drawn (progress.c) or how
 * the width is learnt (progress.c, on SIGWINCH).
 */
#ifndef PROGRESS_LINE_H
#define PROGRESS_LINE_H

#include <stddef.h>

struct progress_fields {
    size_t done;
    size_t planned; /* 0 when the strategy cannot say */
    size_t running;
    size_t failed;
    size_t pruned;
    int show_pruned;        /* a scheduler runs: the pruned count is shown */
    const char *metric;     /* the objective's name */
    double best;            /* NaN when nothing is known yet */
    const char *best_trial; /* "c0003-s1" */
    double elapsed_s;
    double eta_s; /* < 0 when unknown */
};

/* Writes the line into buf[size] (NUL-terminated), at most `width` - 1
 * columns wide so that the cursor never reaches the last column (some
 * terminals wrap there); `width` 0 means no limit (the full line). */
void progress_line_format(const struct progress_fields *fields, size_t width, char *buf,
                          size_t size);

#endif
