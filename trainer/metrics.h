/*
 * What the trainer reports beyond loss and accuracy: confusion matrices and
 * the per-class recall and macro-F1 drawn from them, the vanishing/exploding
 * flag of the gradient norms, and the overfit/underfit verdict of a run's
 * history; plus the formatting of number lists for the metric lines.
 *
 * This file owns the formulas and the thresholds. It does not train and does
 * not write lines.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "progress.h"

/* Gradient-norm thresholds of metrics_grad_flag (documented in --help). */
#define METRICS_VANISHING_NORM 1e-6  /* a layer's mean gradient norm below this */
#define METRICS_VANISHING_RATIO 1e-3 /* first layer's norm / last layer's below this */
#define METRICS_EXPLODING_NORM 1e2   /* a layer's mean gradient norm above this */

/* Overfit/underfit thresholds of metrics_fit (documented in --help). */
#define METRICS_OVERFIT_RISE 0.05  /* val_loss 5% above its minimum ... */
#define METRICS_UNDERFIT_GAIN 0.01 /* train_loss still falling 1% per epoch ... */

/* counts[true * classes + predicted], in caller storage. */
struct confusion {
    int classes;
    uint64_t *counts; /* (classes, classes) owned */
};

/* Allocates a zeroed matrix. Returns 0 or -1 (out of memory). */
int metrics_confusion_init(struct confusion *c, int classes);
void metrics_confusion_free(struct confusion *c);
void metrics_confusion_clear(struct confusion *c);

/* Adds n rows: the predicted class is each row's largest logit (the first on
 * ties), as accuracy counts it. */
void metrics_confusion_add(struct confusion *c, const float *logits, const int32_t *y,
                           size_t n);

/* recall[k] = TP_k / (TP_k + FN_k) for each class k; 0 for a class with no
 * rows (as scikit-learn's zero_division=0). */
void metrics_recall(const struct confusion *c, double *recall);

/* The mean over classes of F1_k = 2 TP_k / (2 TP_k + FP_k + FN_k), a class
 * with neither rows nor predictions counting 0 (scikit-learn's macro F1 with
 * zero_division=0). */
double metrics_macro_f1(const struct confusion *c);

/* "exploding" when a layer's norm is above METRICS_EXPLODING_NORM or not
 * finite; else "vanishing" when a layer's norm is below
 * METRICS_VANISHING_NORM, or, with two layers or more, the first layer's norm
 * is below METRICS_VANISHING_RATIO times the last layer's; else "ok". `norms`
 * are per dense layer, input side first. */
const char *metrics_grad_flag(const double *norms, int nlayers);

/* The verdict on a run's history of n epochs, written to `reason` (a
 * sentence with the numbers):
 *   "overfit"  the validation loss ended more than METRICS_OVERFIT_RISE above
 *              its minimum, while the training loss fell since that minimum;
 *   "underfit" the validation loss was still at its minimum at the last epoch
 *              and the training loss still fell by more than
 *              METRICS_UNDERFIT_GAIN over it: more training or capacity helps;
 *   "good"     neither;
 *   "unknown"  fewer than two epochs. */
const char *metrics_fit(const struct epoch_record *history, int n, char *reason,
                        size_t size);

/* Formats values as a JSON array ("[0.1, 2, NaN]", numbers in the metric
 * line's shortest round-trip form) into buf[size]. Returns 0, or -1 when it
 * does not fit. */
int metrics_json_numbers(char *buf, size_t size, const double *values, int n);

/* Formats the matrix as a JSON array of rows of counts. Returns 0, or -1 when
 * it does not fit. */
int metrics_json_confusion(char *buf, size_t size, const struct confusion *c);

#endif
