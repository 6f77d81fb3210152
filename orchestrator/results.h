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
#include "state.h"

struct results_view {
    const struct sweep_state *state;
    double elapsed_s;
    const char *stopped;     /* why the sweep stopped early ("interrupted by
                                Ctrl-C"), or NULL when it ran to its end */
};

/* Writes results.json and results.csv into the state's out_dir. Returns 0 or -1. */
int results_write(const struct results_view *view, struct hp_error *err);

/* Writes results.json's text to `out`, one config at a time. */
void results_write_json(const struct results_view *view, FILE *out);

/* Writes results.csv's text to `out`. */
void results_write_csv(const struct sweep_state *state, FILE *out);

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
