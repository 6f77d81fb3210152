/*
 * The synthetic data set: a classification task generated from a seed, small
 * enough that a run of ten epochs takes a fraction of a second, and hard
 * enough that hidden layers and hyperparameters matter.
 *
 * Inputs are standard normal vectors; labels come from a fixed random teacher
 * network (two tanh layers) plus a little label noise. Everything is drawn from
 * PCG32 streams derived from the seed, so every trial seed and every config of
 * a sweep sees the same data when --data-seed is the same.
 */
#ifndef SYNTHETIC_H
#define SYNTHETIC_H

#include <stdint.h>

#include "data.h"

enum {
    SYNTHETIC_FEATURES = 20,
    SYNTHETIC_CLASSES = 10,
    SYNTHETIC_TRAIN = 4000,
    SYNTHETIC_VAL = 1000,
    SYNTHETIC_TEST = 1000,
    SYNTHETIC_ROWS = SYNTHETIC_TRAIN + SYNTHETIC_VAL + SYNTHETIC_TEST,
};

/* Generates SYNTHETIC_ROWS rows into `set` (features and labels): the first
 * SYNTHETIC_TRAIN are for training, then validation, then test. Returns 0, or
 * -1 with `err` set (out of memory); on failure `set` holds nothing. */
int synthetic_generate(struct dataset *set, uint64_t seed, struct hp_error *err);

#endif
