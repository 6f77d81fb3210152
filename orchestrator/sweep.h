/*
 * A sweep: the libuv loop that asks the strategy for configs, fans each out
 * over its seeds, runs the trials in parallel slots, records everything in
 * the journal, aggregates each finished config, keeps the best checkpoint and
 * writes the results. sweep_dry_run lists what sweep_run would start.
 */
#ifndef SWEEP_H
#define SWEEP_H

#include <stdio.h>

#include "budget.h"
#include "error.h"
#include "executor.h"
#include "exit_codes.h"
#include "space.h"

struct sweep_options {
    const char *out_dir;       /* absolute path of runs/<name> */
    int jobs;                  /* parallel slots, >= 1 */
    const char *trainer_path;  /* hpsearch-train beside hpsearch, or NULL */
    int live_progress;         /* 1: one live line on a terminal; 0: log lines */
    double kill_grace_s;       /* SIGTERM to SIGKILL, for timeouts and stops */
    int retry_failed;          /* resume: failed trials run again */
    struct budget_limits limits; /* max_time, max_trials, max_failures (budget.h) */
    const struct executor *executor; /* where trials run (executor.h); NULL: locally */
};

/* Runs the sweep to completion. Returns an exit code (exit_codes.h); on
 * HP_EXIT_RUNTIME `err` says what failed. */
enum hp_exit_code sweep_run(const struct space *space, const struct sweep_options *opts,
                            struct hp_error *err);

/* Continues the sweep in opts->out_dir from its journal: finished trials are
 * kept, trials that were running run again (from their last checkpoint when
 * they wrote one), and the rest runs. `space` must be loaded from
 * <out_dir>/space.json; a file edited since the sweep began is refused. */
enum hp_exit_code sweep_resume(const struct space *space, const struct sweep_options *opts,
                               struct hp_error *err);

/* Prints every trial the sweep would start, with its argv, to `out`. Returns
 * HP_EXIT_OK or HP_EXIT_RUNTIME. */
enum hp_exit_code sweep_dry_run(const struct space *space,
                                const struct sweep_options *opts, FILE *out,
                                struct hp_error *err);

#endif
