/*
 * The progress of a training run: everything that changes as training goes and
 * that a resume must restore, apart from the tensors (weights, the best
 * epoch's weights, the optimizer's moments), which the checkpoint holds as
 * tensors of their own.
 *
 * It is kept so that a run stopped anywhere at a batch boundary and resumed
 * gives the very same bits as a run that never stopped: the position inside
 * the epoch, the partial sums of its training loss, every random stream, the
 * best epoch so far and the history of every completed epoch.
 *
 * This file owns the struct and its JSON form (the "state" object of a
 * last.ckpt header). It does not train and does not touch files.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "mlp.h"
#include "pcg32.h"

/* What one completed epoch measured. */
struct epoch_record {
    double train_loss;
    double val_loss;
    double val_score; /* val_accuracy, or -val_loss for regression: higher is better */
};

struct progress {
    int epoch;       /* epochs completed */
    size_t batch;    /* batches done of epoch + 1 (0 at an epoch boundary) */
    size_t seen;     /* training rows in those batches */
    double loss_sum; /* their training loss, summed in batch order */
    double grad_norm_sum[MLP_MAX_LAYERS]; /* their per-layer gradient norms, summed */
    size_t clipped;                       /* their batches whose gradient was clipped */
    long long step;                       /* optimizer updates so far */
    int best_epoch;                       /* 0 while there is none */
    double best_score; /* the best val_score; -inf while there is none */
    int stale;         /* epochs since the last improvement (early stopping) */
    double stale_ref;  /* the val_score an improvement must beat by min_delta */
    size_t train_rows; /* the training split's size: a resume must see the same */
    /* The random streams. `shuffle` is the stream as it was at the start of
     * epoch + 1, before that epoch's order was drawn, so that the order can be
     * drawn again on resume; the others are where they are now. */
    struct hp_pcg32 shuffle;
    struct hp_pcg32 dropout;
    struct hp_pcg32 augment;
    struct epoch_record *history; /* (epoch) one per completed epoch. Owned. */
    int capacity;
};

/* Zeroes `p` and reserves history for `capacity` epochs. Returns 0, or -1 with
 * `err` set (out of memory). */
int progress_init(struct progress *p, int capacity, struct hp_error *err);

void progress_free(struct progress *p);

/* Appends a completed epoch's record and advances p->epoch. Returns 0, or -1
 * with `err` set (out of memory). */
int progress_complete_epoch(struct progress *p, const struct epoch_record *r,
                            struct hp_error *err);

/* Returns a new JSON object holding all of `p` (numbers written so that they
 * read back to the same bits), or NULL when out of memory. */
json_t *progress_to_json(const struct progress *p);

/* Replaces `p`'s contents with those of `j` (borrowed), keeping p's history
 * storage (grown as needed). Every field is checked; on failure `p` is
 * unchanged and -1 is returned with `err` naming the JSON path. */
int progress_from_json(struct progress *p, const json_t *j, struct hp_error *err);

#endif
