/*
 * What the person running a sweep sees while it runs. On a terminal: one live
 * line, redrawn in place (done/running/failed, best so far, elapsed, ETA).
 * Otherwise (a log file, CI): one plain line per finished trial. Warnings go
 * to stderr either way, without garbling the live line.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "record.h"
#include "space.h"

struct progress {
    int live;                  /* 1: redraw one line on a terminal */
    int line_shown;            /* a live line is on screen */
    uint64_t start_ms;
    const struct space *space;
    double best;               /* best single-trial score so far */
    char best_trial[48];
    double trial_seconds_sum;  /* for the ETA */
    size_t trials_timed;
};

void progress_init(struct progress *p, int live, const struct space *space);

/* A trial finished for good (ok or failed). */
void progress_trial_done(struct progress *p, const struct seed_record *seed,
                         size_t ok, size_t failed, size_t running, size_t planned);

/* A failed attempt that will run again. */
void progress_trial_retried(struct progress *p, const struct seed_record *seed);

/* Redraws the live line (no-op when not live). */
void progress_redraw(struct progress *p, size_t ok, size_t failed, size_t running,
                     size_t planned);

/* A message for the person, on stderr. */
void progress_note(struct progress *p, const char *message);
void progress_warn(struct progress *p, const struct hp_error *err);

/* Ends the live line. */
void progress_finish(struct progress *p);

#endif
