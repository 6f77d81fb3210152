/*
 * What the person running a sweep sees while it runs. On a terminal: one live
 * line, redrawn in place (done/running/failed, best so far, elapsed, ETA).
 * Otherwise (a log file, CI): one plain line per finished trial. Notes and
 * warnings go to stderr either way, without garbling the live line.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>

#include "error.h"
#include "space.h"
#include "state.h"

struct progress {
    int live;                  /* 1: redraw one line on a terminal */
    int line_shown;            /* a live line is on screen */
    uint64_t start_ms;
    size_t done_at_start;      /* trials already done when this run began */
    const struct space *space;
    double best;               /* best single-trial score so far */
    char best_trial[48];
    size_t width;              /* the terminal's columns; 0: unknown, no limit */
};

void progress_init(struct progress *p, int live, const struct space *space);

/* A trial finished for good (ok or failed). */
void progress_trial_done(struct progress *p, const struct sweep_state *state,
                         const struct config_record *config, const struct seed_record *seed);

/* A failed attempt that will run again. */
/* A scheduler's decision, just applied: a line of its own (no live line), and
 * the best so far when a config completed. */
void progress_decision(struct progress *p, const struct sweep_state *state,
                       const struct sched_decision *d);

void progress_trial_retried(struct progress *p, const struct config_record *config,
                            const struct seed_record *seed);

/* Redraws the live line (no-op when not live). */
void progress_redraw(struct progress *p, const struct sweep_state *state);

/* A message for the person, on stderr. */
void progress_note(struct progress *p, const char *message);
void progress_warn(struct progress *p, const struct hp_error *err);

/* The live line fits `width` columns from its next redraw on
 * (progress_line.h); 0: no limit. */
void progress_set_width(struct progress *p, size_t width);

/* The columns of the terminal on `fd`, or 0 when it is not one. */
size_t progress_terminal_width(int fd);

/* Ends the live line. */
void progress_finish(struct progress *p);

/* "1h02m", "3m10s", "42s". */
void progress_format_duration(double seconds, char *buf, size_t size);

#endif
