/*
 * Checkpoint retention: which trial files stay on disk.
 *
 * The best seed of the best config so far has its checkpoint placed in
 * <out>/best/ (hard link or copy, atomically) with best.json describing it.
 * keep_checkpoints decides the rest: with "best" (top-1) or "top-K", a
 * finished attempt keeps only the checkpoint that goes with its score (state.c
 * drops the others), a config keeps only its best seed's, and only the K best
 * configs keep theirs, so an overnight sweep's disk use stays flat; with
 * "all", everything stays. Only files that a trial reported through
 * {"checkpoint": ...} lines are ever deleted.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stddef.h>

#include "error.h"
#include "state.h"

struct retention {
    size_t *top;        /* (capacity k) config indices, best first */
    size_t top_count;
    size_t k;           /* 0: keep everything */
};

/* Prepares for `space`'s keep_checkpoints. Returns 0 or -1. */
int retention_init(struct retention *r, const struct space *space);
void retention_free(struct retention *r);

/* configs[index] just completed, and the records that say so are durable.
 * Updates best/ when it is the new best and deletes what is no longer kept.
 * Returns 0, or -1 with `err` set (a warning: the sweep goes on). */
int retention_config_complete(struct retention *r, const struct sweep_state *state,
                              size_t index, struct hp_error *err);

/* Makes best/, the top-K set and the trial files agree with `state` after a
 * replay. Idempotent. Returns 0 or -1. */
int retention_sync(struct retention *r, const struct sweep_state *state,
                   struct hp_error *err);

#endif
