/*
 * What every trial reported, read back from the sweep's journal without
 * running anything: for each (config, seed) its last metric line, its line
 * best by the scan's first objective, its {"final": true} line (test and end
 * metrics), and for each objective the best and the last value reported.
 *
 * The journal holds every metric line a trial wrote (its "report" records),
 * so the trial logs are not read. A start record that begins from scratch
 * (no resume_from) forgets the lines of the attempts before it; one that
 * continues from a checkpoint adds to them, as rerun.c reads them too.
 *
 * The scan serves `report --metric` (re-ranking), results.csv's last_, best_
 * and final_ columns, and the per-objective values of a Pareto front. The
 * state's own scores (from the end records) are not touched here: see
 * ranking.h.
 */
#ifndef METRICS_SCAN_H
#define METRICS_SCAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "space.h"
#include "state.h"

/* One (config, seed) pair's lines. */
struct trial_metrics {
    json_t *last;       /* its last metric line, or NULL (owned) */
    json_t *best;       /* its line best by objective 0, or NULL (owned) */
    json_t *final;      /* its {"final": true} line, or NULL (owned) */
    double *best_value; /* (objective_count) best finite value of each; NaN if none */
    double *last_value; /* (objective_count) last value of each; NaN if none */
    uint64_t lines_hash; /* FNV-1a of its lines as the journal has them ("seconds"
                            dropped), each ended by a NUL: seedcheck.h */
    size_t line_count;
};

struct metrics_scan {
    const struct objective_spec *objectives; /* borrowed */
    size_t objective_count;
    struct trial_metrics **trials; /* [config][seed index], as the state's */
    size_t config_count;
    /* The keys of the trials' last, best and final lines and those that
     * hold numbers anywhere, each in the order first seen in the configs'
     * logical order (so at any -j), as objects {"name": true} (owned). */
    json_t *last_names;
    json_t *best_names;
    json_t *final_names;
    json_t *numeric_names;
};

/* Reads the journal of state->out_dir for the configs the (replayed) state
 * holds, tracking `objectives[count]` (borrowed; they must outlive the
 * scan). A "seconds" objective is not read from the lines but taken from
 * the state (seconds of the last attempt). Returns 0, or -1 with `err` set
 * (out of memory, an unreadable journal); the scan is then empty and
 * metrics_scan_free on it is safe. */
int metrics_scan_run(struct metrics_scan *scan, const struct sweep_state *state,
                     const struct objective_spec *objectives, size_t count,
                     struct hp_error *err);

void metrics_scan_free(struct metrics_scan *scan);

/* The trial's score by objective k under its rule (a "seconds" objective:
 * the trial's wall time); NaN when it has none. */
double metrics_scan_score(const struct metrics_scan *scan,
                          const struct sweep_state *state, size_t config, size_t seed,
                          size_t k);

/* Whether any line of the sweep reported `metric` as a number. */
int metrics_scan_has(const struct metrics_scan *scan, const char *metric);

/* The numeric metrics the lines hold, "a, b, c", into buf[size]. */
void metrics_scan_list(const struct metrics_scan *scan, char *buf, size_t size);

#endif
