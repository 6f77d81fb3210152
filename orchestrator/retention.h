/*
 * Checkpoint retention: which trial files stay on disk.
 *
 * The best seed of the best config so far has its checkpoint placed in
 * <out>/best/ (hard link or copy, atomically) with best.json describing it.
 * With keep_checkpoints "best", a finished attempt keeps only the checkpoint
 * that goes with its score (state.c drops the rest), and a completed config
 * that is not the best drops that one too, so an overnight sweep's disk use
 * stays flat; with "all", everything stays. Only files that a trial reported
 * through {"checkpoint": ...} lines are ever deleted.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include "error.h"
#include "state.h"

/* configs[index] just completed (see struct sweep_state's on_config_complete).
 * Returns 0, or -1 with `err` set (a warning: the sweep goes on). */
int retention_config_complete(const struct sweep_state *state, size_t index, int new_best,
                              size_t previous_best, int had_best, struct hp_error *err);

/* Makes best/ and the trial files agree with `state` after a replay: best/
 * describes the best config, and every other complete config's checkpoints are
 * gone (with "best"). Idempotent. Returns 0 or -1. */
int retention_sync(const struct sweep_state *state, struct hp_error *err);

#endif
