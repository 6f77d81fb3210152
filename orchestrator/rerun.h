/*
 * `hpsearch rerun DIR TRIAL`: runs a finished trial again with the same
 * config, seed and command, in a fresh directory beside the original
 * (trials/<id>/rerun-N/), and says whether every metric line is
 * bit-identical to what the journal recorded for the trial's final attempt,
 * showing the first difference if not. Timing fields ("seconds") are
 * ignored; nothing else is. It runs through `executor` (NULL: the local
 * one), so inside a Slurm allocation the rerun is a job step on a compute
 * node, as the sweep's trials were.
 */
#ifndef RERUN_H
#define RERUN_H

#include <stdio.h>

#include "error.h"
#include "executor.h"
#include "exit_codes.h"
#include "space.h"

enum hp_exit_code rerun_trial(const struct space *space, const char *dir,
                              const char *trial_id, const char *trainer_path,
                              const struct executor *executor, FILE *out,
                              struct hp_error *err);

#endif
