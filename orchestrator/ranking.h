/*
 * Ranking configs: the order of complete configs by their seed mean, the
 * same ranking recomputed from the journal's metric lines under another
 * metric, mode or score rule (`report --metric`), and the Pareto front of a
 * list of objectives.
 *
 * Statistics are those of results.json everywhere (stats.h: the mean over a
 * config's seeds, sample std, Student's t 95% CI, n), so a re-ranked report
 * reads like the sweep's own. What a line holds is metrics_scan.h's.
 */
#ifndef RANKING_H
#define RANKING_H

#include <stddef.h>

#include "metrics_scan.h"
#include "state.h"
#include "stats.h"

/* Orders the complete configs of configs[count]: those with a value first,
 * configs that ran their full budget before pruned ones (the furthest
 * first), by mean (best first under `maximize`), ties by config index; then
 * those where every seed failed. Fills order[] with indices into configs and
 * returns how many are complete. */
size_t ranking_order(const struct config_record *configs, size_t count, int maximize,
                     size_t *order);

/* Summarises objective k of the scan over a config's seeds that ended ok or
 * pruned and have a value for it. */
void ranking_summarize(const struct sweep_state *state, const struct metrics_scan *scan,
                       size_t config, size_t k, struct stats_summary *out);

/* Re-scores the state by objective 0 of the scan: every ok or pruned seed's
 * score becomes its value there (NaN where it never reported the metric),
 * every complete config's summary is recomputed from those, and the best
 * config is chosen again under `maximize`. Changes memory only. */
void ranking_rescore(struct sweep_state *state, const struct metrics_scan *scan,
                     int maximize);

/* The Pareto front of the complete, unpruned configs over every objective of
 * the scan, on their seed means. */
struct pareto {
    size_t objective_count;
    struct stats_summary *summaries; /* (config_count, objective_count) */
    unsigned char *on_front;         /* (config_count): 1 for a front member */
    size_t *front;                   /* the members, best first by objective 0 */
    size_t front_count;
};

/* Computes the front into `out` (caller storage). A config is on it when no
 * other is at least as good on every objective and better on one; configs
 * missing an objective's value are not candidates. Returns 0, or -1 when out
 * of memory (`out` is then empty). */
int ranking_pareto(struct pareto *out, const struct sweep_state *state,
                   const struct metrics_scan *scan);

void ranking_pareto_free(struct pareto *p);

#endif
