/*
 * The sweep's results, derived from its state (and so from its journal):
 * results.json (configs ranked, every seed's value, mean, std, 95% CI, n, min,
 * max), results.csv (one row per trial, for pandas and spreadsheets) and the
 * summary table printed at the end. Both files are written atomically.
 * Nothing in results.json depends on timing except "elapsed_s" and the
 * per-seed "seconds", so two runs of the same space give the same file apart
 * from those.
 */
#ifndef RESULTS_H
#define RESULTS_H

#include <jansson.h>
#include <stdio.h>

#include "error.h"
#include "metrics_scan.h"
#include "ranking.h"
#include "state.h"

struct results_view {
    const struct sweep_state *state;
    double elapsed_s;
    const char *stopped;     /* why the sweep stopped early ("interrupted by
                                Ctrl-C"), or NULL when it ran to its end */
    const struct metrics_scan *scan; /* the trials' lines by results_objectives(),
                                        or NULL: read from the journal when needed */
};

/* What the results files are written from: the view, the trials' metric
 * lines, and the Pareto front (NULL without a list of objectives). */
struct results_input {
    const struct results_view *view;
    const struct metrics_scan *scan;
    const struct pareto *pareto;
};

/* Writes results.json, results.csv and configs.csv into the state's out_dir,
 * reading the journal's metric lines for them. Returns 0 or -1. */
int results_write(const struct results_view *view, struct hp_error *err);

/* The objectives a scan of the space tracks: its list, or its one objective
 * copied into *one (borrowing its metric). Sets *count. */
const struct objective_spec *
results_objectives(const struct space *space, struct objective_spec *one, size_t *count);

/* Adds "pareto" (on the front or not) and "objectives" (each objective's
 * mean, std, ci95 and n) to a config's JSON object; nothing without a
 * front. */
void results_mark_pareto(json_t *config_json, const struct pareto *pareto,
                         const struct metrics_scan *scan, size_t config);

/* A number for tables: 5 significant digits ("0.88123", "1234.6", "1e-05");
 * full precision stays in results.json and the csv files. */
void results_format_short(char *buf, size_t size, double value);

/* Writes results.json's text to `out`, one config at a time. */
void results_write_json(const struct results_input *in, FILE *out);

/* Writes results.csv's text to `out`: a header, then one row per trial of
 * configs[count] (indices into the state's configs, in that order), or of
 * every config in order when `configs` is NULL. The columns (stable; see the
 * README): trial, config, seed, status, value, failure, reason, attempts,
 * seconds, pruned_at, epochs_run, param_<name> for each parameter, then
 * last_<m> for each key of the trials' last metric lines, best_<m> for each
 * key of their lines best by the objective, final_<m> for each key of their
 * {"final": true} lines. Arrays are written as one-line JSON. */
void results_write_csv(const struct sweep_state *state, const struct metrics_scan *scan,
                       const size_t *configs, size_t count, FILE *out);

/* Writes configs.csv's text to `out`: one row per config, ranked ones first
 * in rank order. Columns: rank, config, status, param_<name>..., mean, std,
 * ci_low, ci_high, n, failed (the objective), then under a list of
 * objectives <m>_mean, <m>_std, <m>_ci_low, <m>_ci_high, <m>_n for each
 * objective and pareto (1 on the front), then final_<m>_mean, _std, _ci_low,
 * _ci_high, _n for each numeric key of the final lines. */
void results_write_configs_csv(const struct results_input *in, FILE *out);

/* Prints the Pareto front for people: each member's seed means with the
 * half-width of their 95% CI, and its params. */
void results_print_front(const struct sweep_state *state, const struct metrics_scan *scan,
                         const struct pareto *pareto, FILE *out);

/* Prints the ranked summary table (the top configs) to `out`. */
void results_print_summary(const struct results_view *view, FILE *out);

/* One config as a JSON object (rank, config, params, mean, std, ci95, n, failed,
 * min, max, seeds). Returns a new object. */
/* "complete", "pruned" (stopped early by the scheduler) or "failed". */
const char *results_config_status(const struct config_record *config);

json_t *results_config_json(const struct config_record *config, size_t rank);

/* "lr=0.001 batch=64 hidden=256,128", cut to fit buf[size]. */
void results_params_text(const struct config_record *config, char *buf, size_t size);

/* Under pbt: prints the winning member's params per generation, oldest
 * first; nothing for other sweeps. */
void results_print_pbt_schedule(const struct sweep_state *state, FILE *out);

#endif
