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
    REPORT_HTML, /* report_html.h: a page written to a file, not to `out` */
};

/* Counts, each running trial's latest metrics, the best config so far with
 * its mean and CI, elapsed time and ETA. */
enum hp_exit_code inspect_status(const struct space *space, const char *dir, FILE *out,
                                 struct hp_error *err);

/* The ranked configs (all, or the top `top` when > 0) in `format`. */
enum hp_exit_code inspect_report(const struct space *space, const char *dir, size_t top,
                                 enum report_format format, FILE *out, struct hp_error *err);

/* The best config as JSON, with the path of its checkpoint. */
enum hp_exit_code inspect_best(const struct space *space, const char *dir, FILE *out,
                               struct hp_error *err);

#endif
