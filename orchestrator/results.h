/*
 * The sweep's results, derived from its records: results.json (configs
 * ranked, every seed's value, mean, std, 95% CI, n), results.csv (one row per
 * trial, for pandas and spreadsheets) and the summary table printed at the
 * end. Both files are written atomically. Nothing here depends on timing
 * except the fields named "seconds" and "elapsed_s", so two runs of the same
 * space give the same files apart from those.
 */
#ifndef RESULTS_H
#define RESULTS_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "record.h"
#include "space.h"

struct results_view {
    const struct space *space;
    const struct config_record *configs;
    size_t config_count;
    const char *out_dir;
    double elapsed_s;
    size_t best_config;    /* index into configs, valid when has_best */
    int has_best;
};

/* Writes results.json and results.csv into out_dir. Returns 0 or -1. */
int results_write(const struct results_view *view, struct hp_error *err);

/* Builds the results.json document. Returns a new object. */
json_t *results_to_json(const struct results_view *view);

/* Prints the ranked summary table (top configs) to `out`. */
void results_print_summary(const struct results_view *view, FILE *out);

#endif
