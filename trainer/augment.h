/*
 * Data augmentation of training batches: random shifts by a few pixels,
 * horizontal flips (images only) and additive noise (any data), drawn from the
 * run's augment stream so that runs stay bit-identical. Validation and test
 * batches are never augmented.
 *
 * This file owns the transformations. Which batches get them is train.c's
 * business.
 */
#ifndef AUGMENT_H
#define AUGMENT_H

#include <stddef.h>

#include "pcg32.h"

struct augment {
    int shift;         /* images: shift by -shift..shift pixels on each axis */
    float flip;        /* images: probability of a horizontal flip */
    float noise;       /* standard deviation of the additive noise */
    int width, height; /* the image size; 0 for data that is not an image */
    float background;  /* the value shifted-in pixels take (a 0 pixel, standardized) */
};

/* Whether `a` changes anything. */
int augment_active(const struct augment *a);

/* Augments n rows of x (n, dim) in place, dim = width * height for images.
 * Per row, in this order: dx and dy (two hp_pcg32_bounded draws) when
 * shift > 0, one hp_pcg32_float for the flip when flip > 0, then one
 * hp_pcg32_float per value for the noise when noise > 0 (uniform noise of
 * standard deviation `noise`: cheaper than Gaussian and as good a
 * regularizer). The output pixel (r, c) is the input pixel (r - dy, c - dx)
 * of the (flipped) image, or `background` outside it. `scratch` holds dim
 * floats. */
void augment_batch(const struct augment *a, float *x, size_t n, size_t dim,
                   float *scratch, struct hp_pcg32 *rng);

#endif
