/*
 * Looking at a sweep from the outside, while it runs or after: `status`,
 * `report` and `best`. All three replay the journal (read only, never taking
 * the writer's lock), so they work from another terminal during a sweep and
 * always agree with what `resume` would do.
 */
#ifndef INSPECT_H
#define INSPECT_H

#include <stdio.h>

#include "error.h"
#include "exit_codes.h"
#include "space.h"

enum report_format {
    REPORT_TABLE,
    REPORT_CSV,
    REPORT_JSON,
    REPORT_MARKDOWN,
    REPORT_TENSORBOARD, /* event files under DIR/tensorboard (tensorboard.h) */
    REPORT_HTML, /* report_html.h: a page written to a file, not to `out` */
};

/* Counts, each running trial's latest metrics, the best config so far with
 * its mean and CI, elapsed time and ETA. */
enum hp_exit_code inspect_status(const struct space *space, const char *dir, FILE *out,
                                 struct hp_error *err);

/* How report and best rank: the space's objective(s) unless `metric`,
 * `mode` or `score` is given, in which case the ranking is recomputed from
 * the journal's metric lines by that one metric (nothing is run). */
struct inspect_ranking {
    const char *metric; /* NULL: the space's objective metric */
    int mode;           /* -1: the space's (for its own metrics); 1 max, 0 min */
    int score;          /* -1: the space's; else enum score_rule */
};

/* The ranked configs (all, or the top `top` when > 0) in `format`; under a
 * list of objectives, the Pareto front too. */
enum hp_exit_code inspect_report(const struct space *space, const char *dir, size_t top,
                                 enum report_format format,
                                 const struct inspect_ranking *by, FILE *out,
                                 struct hp_error *err);

/* The best config as JSON, with the path of its checkpoint; under a list of
 * objectives, every config of the Pareto front. */
enum hp_exit_code inspect_best(const struct space *space, const char *dir,
                               const struct inspect_ranking *by, FILE *out,
                               struct hp_error *err);

#endif
