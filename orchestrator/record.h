/*
 * The sweep's data model: what is known about each configuration and each of
 * its seeds. sweep.c fills it; ranking, results and retention read it. It is
 * what the journal records, in memory.
 */
#ifndef RECORD_H
#define RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "trial.h"

enum seed_status {
    SEED_PENDING,
    SEED_RUNNING,
    SEED_OK,
    SEED_FAILED,
};

/* One (config, seed) pair: the trial that runs it, over all its attempts. */
struct seed_record {
    char trial_id[48];
    char *dir;                 /* absolute trial directory (owned) */
    uint64_t seed;
    enum seed_status status;
    int attempts;
    double score;              /* the objective by the score rule; NaN if none */
    long score_epoch;          /* the "epoch" of the line that gave the score, -1 */
    enum trial_failure failure;
    char reason[256];          /* human words for a failure */
    int64_t exit_status;
    int term_signal;
    double seconds;            /* wall time of the last attempt */
    char **checkpoints;        /* absolute paths reported by the trial (owned) */
    long *checkpoint_epochs;   /* (checkpoint_count) the epoch each came with */
    size_t checkpoint_count;
    char *best_checkpoint;     /* chosen for best/ when the trial finished (owned) */
    json_t *final_line;        /* the trainer's last {"final": true, ...} line, or
                                  NULL (owned reference): held-out test metrics */
};

struct config_record {
    size_t index;              /* the strategy's config index */
    json_t *params;            /* the config (owned reference) */
    struct seed_record *seeds; /* (seed_count) */
    size_t seed_count;
    size_t launched;           /* seeds handed to a trial so far */
    size_t finished;           /* seeds done, ok or failed */
    int complete;              /* every seed finished; `summary` is valid */
    struct stats_summary summary;
    size_t failed;
};

/* Frees what a config record owns (not the record itself). */
void record_config_free(struct config_record *config);

/* Appends `path` (copied) with its epoch to the seed's checkpoints, once. */
int record_add_checkpoint(struct seed_record *seed, const char *path, long epoch);

/* Returns 1 when `a` is strictly better than `b` under the objective's mode. */
int record_better(double a, double b, int maximize);

/* Orders complete configs: those with successes by mean (best first; ties by
 * config index), then the ones where every seed failed. Fills order[count]
 * with indices into configs[] and returns how many are complete. */
size_t record_rank(const struct config_record *configs, size_t count, int maximize,
                   size_t *order);

#endif
