/*
 * Checkpoint retention: which trial files stay on disk.
 *
 * When a config completes, the best seed of the best config so far has its
 * checkpoint placed in <out>/best/ (hard link or copy, atomically) with
 * best.json describing it. With keep_checkpoints "best", every other trial's
 * reported checkpoints are deleted as soon as they cannot be the best any
 * more, so an overnight sweep's disk use stays flat; with "all", they stay.
 * Only files that a trial reported through {"checkpoint": ...} lines and that
 * lie inside its own trial directory are ever deleted.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stddef.h>

#include "error.h"
#include "record.h"
#include "space.h"

struct retention {
    const struct space *space;
    char best_dir[4096];
    size_t best_config;        /* index into the configs array */
    int has_best;
    char *best_file;           /* the checkpoint now in best/ (owned), or NULL */
};

void retention_init(struct retention *r, const struct space *space, const char *out_dir);

/* configs[index] just completed: update best/ and delete what is no longer
 * needed. Returns 0, or -1 with `err` set (the sweep goes on; it is a warning). */
int retention_config_complete(struct retention *r, struct config_record *configs,
                              size_t index, struct hp_error *err);

/* The seed of `config` with the best score, or config->seed_count if none. */
size_t retention_best_seed(const struct config_record *config, int maximize);

void retention_free(struct retention *r);

#endif
