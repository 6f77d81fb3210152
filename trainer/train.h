/*
 * The training run: build the model, run the epochs, report each one on the
 * metric channel, keep the best epoch's weights (in memory and in best.ckpt),
 * and evaluate the test set once at the end with them.
 *
 * This file owns the epoch loop and the metric lines. It does not parse the
 * command line (options.c), read data (data.c) or exit (main.c).
 */
#ifndef TRAIN_H
#define TRAIN_H

#include <stdio.h>

#include "data.h"
#include "exit_code.h"
#include "options.h"

/* Trains as `opt` says on `d`, writing the metric lines to `out` and
 * diagnostics to stderr. Returns TRAIN_EXIT_OK, TRAIN_EXIT_DIVERGED (after
 * the final "stopped": "nan" line) or TRAIN_EXIT_RUNTIME (after a message on
 * stderr: out of memory, cannot write a checkpoint or a metric line). */
enum train_exit train_run(const struct options *opt, const struct data *d, FILE *out);

#endif
