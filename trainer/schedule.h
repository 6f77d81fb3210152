/*
 * Learning-rate schedules: constant, step decay and cosine, each with an
 * optional linear warm-up. The rate is a pure function of the position in
 * training (epoch and batch), so a resumed run needs nothing more than its
 * position to continue the schedule.
 *
 * This file owns the formulas only.
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <stddef.h>

/* The order matches the --lr-schedule choices. */
enum schedule_kind { SCHEDULE_CONSTANT, SCHEDULE_STEP, SCHEDULE_COSINE };

struct schedule {
    enum schedule_kind kind;
    double lr;                /* the base rate */
    double lr_min;            /* cosine: the rate it ends at */
    double gamma;             /* step: the factor applied every step_epochs */
    long step_epochs;         /* step: epochs between decays */
    long warmup_epochs;       /* linear warm-up from lr / warmup steps to lr */
    long horizon;             /* cosine: epochs the curve spans (--schedule-epochs) */
    size_t batches_per_epoch; /* updates per epoch */
};

/* The learning rate for update `batch` (0-based) of epoch `epoch` (0-based):
 *   warm-up (the first warmup_epochs * batches_per_epoch updates, counted by
 *   t from 0): lr * (t + 1) / warmup_updates
 *   then constant: lr
 *        step:     lr * gamma^floor(epoch / step_epochs)
 *        cosine:   lr_min + (lr - lr_min) * (1 + cos(pi * u / U)) / 2, where u
 *                  counts updates after the warm-up and U their total up to
 *                  the horizon (lr_min past it). The horizon, not the run's
 *                  --epochs, sets U, so that a run stopped early and resumed
 *                  with more epochs follows the one curve. */
double schedule_lr(const struct schedule *s, long epoch, size_t batch);

#endif
