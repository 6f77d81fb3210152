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

/* Makes SIGTERM and SIGINT ask a running train_run to stop at the next batch
 * boundary (it then writes last.ckpt and returns TRAIN_EXIT_INTERRUPTED).
 * Returns 0, or -1 when the handlers cannot be installed. */
int train_catch_signals(void);

/* Checks the options that depend on the data (image augmentations need
 * images). Returns 0, or -1 with `err` set: a usage error. */
int train_check(const struct options *opt, const struct data *d, struct hp_error *err);

/* Trains as `opt` says on `d` (resuming from opt->resume when set), writing
 * the metric lines to `out` and diagnostics to stderr. Returns TRAIN_EXIT_OK,
 * TRAIN_EXIT_DIVERGED (after the final "stopped": "nan" line),
 * TRAIN_EXIT_INTERRUPTED (after last.ckpt and the final "stopped": "signal"
 * line) or TRAIN_EXIT_RUNTIME (after a message on stderr: out of memory, an
 * unusable --resume checkpoint, cannot write a checkpoint or a metric line). */
enum train_exit train_run(const struct options *opt, const struct data *d, FILE *out);

#endif
