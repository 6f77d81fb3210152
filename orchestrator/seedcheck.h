/*
 * Does the trainer use its seed? A config whose seeds all report
 * bit-identical metric lines was almost certainly run by a trainer that
 * ignores HPSEARCH_SEED and {seed}: its "seed variance" is zero and every
 * interval it shows is a lie. This file finds such configs from the journal
 * (the final attempt's lines of each trial, "seconds" ignored, as `rerun`
 * compares them) and words the warning the summary prints.
 *
 * What it does not own: the summary table (results.c) or when the warning is
 * printed (sweep.c).
 */
#ifndef SEEDCHECK_H
#define SEEDCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "metrics_scan.h"
#include "state.h"

/* The configs of `state` (replayed or run) that
 * have at least two seeds finished ok and whose ok seeds all reported the
 * same metric lines, bit for bit, in the same order (at least one line).
 * Fills a new array of config indices, ascending, into *configs (free()
 * it; NULL when *count is 0). Returns 0, or -1 with `err` set when the
 * journal cannot be read or memory runs out. */
int seedcheck_find(const struct sweep_state *state, const struct metrics_scan *scan,
                   size_t **configs, size_t *count, struct hp_error *err);

/* Prints the warning for `count` configs (nothing when 0): which configs (the
 * first few), and what to do about it. */
void seedcheck_print_warning(const size_t *configs, size_t count, FILE *out);

/* Both of the above for a sweep's summary: a journal that cannot be read is
 * a note on `out`, never a failure. */
void seedcheck_warn(const struct sweep_state *state, const struct metrics_scan *scan,
                    FILE *out);

#endif
