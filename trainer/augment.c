/*
 * Data augmentation. See augment.h for the contract.
 */
#include "augment.h"

#include <math.h>
#include <string.h>

int augment_active(const struct augment *a)
{
    return a->shift > 0 || a->flip > 0.0f || a->noise > 0.0f;
}

/* Moves one image by (dx, dy), flipping it first when asked. */
static void transform(const struct augment *a, float *restrict out,
                      const float *restrict in, int dx, int dy, int flip)
{
    int w = a->width;
    int h = a->height;
    for (int r = 0; r < h; r++) {
        int sr = r - dy;
        float *row = out + (size_t)r * w;
        if (sr < 0 || sr >= h) {
            for (int c = 0; c < w; c++)
                row[c] = a->background;
            continue;
        }
        const float *src = in + (size_t)sr * w;
        for (int c = 0; c < w; c++) {
            int sc = c - dx;
            if (sc < 0 || sc >= w)
                row[c] = a->background;
            else
                row[c] = src[flip ? w - 1 - sc : sc];
        }
    }
}

void augment_batch(const struct augment *a, float *x, size_t n, size_t dim,
                   float *scratch, struct hp_pcg32 *rng)
{
    /* Uniform on [-h, h) has standard deviation h / sqrt(3). */
    float half = a->noise * sqrtf(3.0f);
    for (size_t i = 0; i < n; i++) {
        float *row = x + i * dim;
        int dx = 0;
        int dy = 0;
        int flip = 0;
        if (a->shift > 0) {
            uint32_t span = (uint32_t)(2 * a->shift + 1);
            dx = (int)hp_pcg32_bounded(rng, span) - a->shift;
            dy = (int)hp_pcg32_bounded(rng, span) - a->shift;
        }
        if (a->flip > 0.0f)
            flip = hp_pcg32_float(rng) < a->flip;
        if (dx != 0 || dy != 0 || flip) {
            memcpy(scratch, row, dim * sizeof *row);
            transform(a, row, scratch, dx, dy, flip);
        }
        if (a->noise > 0.0f)
            for (size_t k = 0; k < dim; k++)
                row[k] += (2.0f * hp_pcg32_float(rng) - 1.0f) * half;
    }
}
