/*
 * The data behind the HTML report: one JSON document describing a sweep,
 * built from its journal and nothing else.
 *
 * Configs, seeds, statuses, scores, means and confidence intervals come from
 * a replay through state.c (so the page agrees with `report` and `resume`);
 * what the state does not keep (every metric line of every trial, the order
 * in which trials ended, the scheduler's decisions) comes from one pass over
 * the journal's records here. The curves are downsampled so that the
 * document stays a few MB at 10,000 trials.
 *
 * What this file does not own: the page (report_html.c), when a running
 * sweep refreshes it (report_live.c).
 *
 * The document (keys of the top-level object):
 *   name, metric, maximize, resource, score_rule, strategy, scheduler,
 *   state ("finished", "running", "stopped"), counts {planned, ok, failed,
 *   pruned, running, trainer_seconds, units}, points_per_trial,
 *   params   [{name, kind: "log"|"linear"|"choice"|"constant", int, values}]
 *   metrics  [names]: the objective first, then the others in order of
 *            first appearance
 *   configs  [{p: [value per param], status, n, failed, mean, std, lo, hi,
 *            rank, reached, source, exploited}] indexed by config
 *   best     the best config's index, or null
 *   trials   [{c, s (seed value), status, score, sec, units, failure,
 *            reason, fit, fit_reason, stopped, grad, x: [steps],
 *            y: {metric: [values]}}]
 *   history  {score, units, sec}: one entry per ended attempt, in journal
 *            order (score null when it failed)
 *   decisions [{c, action, at, budget, value}]: value is the mean over the
 *            config's seeds of its score reached by step `at`
 *   importance [{name, eps2, groups, n}] (see report_data_epsilon_squared)
 * Non-finite numbers are null.
 */
#ifndef REPORT_DATA_H
#define REPORT_DATA_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "space.h"

/* The most numbers (steps and metric values) all curves together carry,
 * and the bounds on points per trial it is shared into. */
enum {
    REPORT_DATA_NUMBER_BUDGET = 200000,
    REPORT_DATA_MAX_POINTS = 50,
    REPORT_DATA_MIN_POINTS = 4,
    REPORT_DATA_MAX_METRICS = 24,
};

/* Builds the document of the sweep in `dir` (absolute) run with `space`.
 * Returns 0 with a new document in *out; JOURNAL_LINE_UNREADABLE when the
 * journal is damaged, empty or missing; -1 on other failures (`err` says
 * which). Reads only; safe to call from another thread than the sweep's
 * own, on a journal being appended to (a torn last line is ignored). */
int report_data_build(const struct space *space, const char *dir, json_t **out,
                      struct hp_error *err);

/* Chooses which of n points to keep, at most about `cap` (>= 3): the first,
 * the last, the one at index `best` (ignored when >= n) and evenly spaced
 * ones between. Writes the kept indices in increasing order into keep[]
 * (room for cap + 1) and returns how many. */
size_t report_data_downsample(size_t n, size_t cap, size_t best, size_t *keep);

/* The share of the variance of y[n] explained by the grouping group[n]
 * (values 0..groups-1), as epsilon-squared: (SS_between - (k-1) MS_within) /
 * (SS_total + MS_within), with k the groups that occur, clipped to [0, 1].
 * Unlike the raw ratio SS_between / SS_total it is not inflated by the
 * number of groups. Returns NaN when it cannot be told (fewer than two
 * groups, n <= k, or no variance at all). */
double report_data_epsilon_squared(const double *y, const size_t *group, size_t n,
                                   size_t groups);

#endif
