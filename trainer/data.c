/*
 * Data sets, splits and batches. See data.h for the contracts.
 */
#include "data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "pcg32.h"
#include "synthetic.h"
#include "vectorize.h"

enum { PURPOSE_SPLIT = 0x73706c6974ULL }; /* "split" */

/* Fashion-MNIST's pixel mean and standard deviation on the [0, 1] scale,
 * measured on the 60k training images. */
static const float FMNIST_MEAN = 0.2860f;
static const float FMNIST_STD = 0.3530f;
static const int FMNIST_CLASSES = 10;

void dataset_free(struct dataset *s)
{
    free(s->pixels);
    free(s->features);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

static void split_free(struct data_split *s)
{
    free(s->rows);
    memset(s, 0, sizeof *s);
}

void data_free(struct data *d)
{
    split_free(&d->train);
    split_free(&d->val);
    split_free(&d->test);
    dataset_free(&d->pool);
    dataset_free(&d->test_set);
}

/* Makes `s` the rows [first, first + n) of `set`. */
static int split_range(struct data_split *s, const struct dataset *set, size_t first,
                       size_t n)
{
    s->set = set;
    s->n = n;
    s->rows = malloc((n ? n : 1) * sizeof *s->rows);
    if (!s->rows)
        return -1;
    for (size_t i = 0; i < n; i++)
        s->rows[i] = (uint32_t)(first + i);
    return 0;
}

/* Splits the rows of `set` into train and val by a permutation drawn from
 * split_seed: the permutation's first val_size rows are validation. Both lists
 * come out ascending, so they do not depend on anything but the seed. */
static int split_seeded(struct data *d, const struct dataset *set, size_t val_size,
                        uint64_t split_seed)
{
    size_t n = set->n;
    uint32_t *perm = malloc(n * sizeof *perm);
    unsigned char *is_val = calloc(n, 1);
    d->train.rows = malloc((n - val_size) * sizeof(uint32_t));
    d->val.rows = malloc(val_size * sizeof(uint32_t));
    if (!perm || !is_val || !d->train.rows || !d->val.rows) {
        free(perm);
        free(is_val);
        return -1;
    }
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, split_seed, PURPOSE_SPLIT);
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = hp_pcg32_bounded(&rng, (uint32_t)(i + 1));
        uint32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    for (size_t i = 0; i < val_size; i++)
        is_val[perm[i]] = 1;
    d->train.set = set;
    d->val.set = set;
    for (size_t i = 0; i < n; i++) {
        if (is_val[i])
            d->val.rows[d->val.n++] = (uint32_t)i;
        else
            d->train.rows[d->train.n++] = (uint32_t)i;
    }
    free(perm);
    free(is_val);
    return 0;
}

static int load_fashion_mnist(struct data *d, const struct data_config *cfg,
                              struct hp_error *err)
{
    char images[4096];
    char labels[4096];
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte.gz", cfg->dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte.gz", cfg->dir);
    if (idx_load(&d->pool, images, labels, FMNIST_CLASSES, err) < 0)
        return -1;
    snprintf(images, sizeof images, "%s/t10k-images-idx3-ubyte.gz", cfg->dir);
    snprintf(labels, sizeof labels, "%s/t10k-labels-idx1-ubyte.gz", cfg->dir);
    if (idx_load(&d->test_set, images, labels, FMNIST_CLASSES, err) < 0)
        return -1;
    if (d->test_set.dim != d->pool.dim) {
        snprintf(err->source, sizeof err->source, "%.511s", images);
        return hp_error_set(err, NULL, "images have %zu pixels, the training images %zu",
                            d->test_set.dim, d->pool.dim);
    }
    float scale = 1.0f / (255.0f * FMNIST_STD);
    float shift = -FMNIST_MEAN / FMNIST_STD;
    d->pool.scale = d->test_set.scale = scale;
    d->pool.shift = d->test_set.shift = shift;

    if (cfg->val_size < 1 || cfg->val_size >= d->pool.n) {
        snprintf(err->source, sizeof err->source, "hpsearch-train");
        hp_error_set(err, "option --val-size",
                     "must be between 1 and %zu (the training images less one), got %zu",
                     d->pool.n - 1, cfg->val_size);
        return -2;
    }
    if (split_seeded(d, &d->pool, cfg->val_size, cfg->split_seed) < 0 ||
        split_range(&d->test, &d->test_set, 0, d->test_set.n) < 0)
        return hp_error_set(err, NULL, "out of memory splitting the data");
    return 0;
}

static int load_synthetic(struct data *d, const struct data_config *cfg,
                          struct hp_error *err)
{
    if (synthetic_generate(&d->pool, cfg->data_seed, err) < 0)
        return -1;
    if (split_range(&d->train, &d->pool, 0, SYNTHETIC_TRAIN) < 0 ||
        split_range(&d->val, &d->pool, SYNTHETIC_TRAIN, SYNTHETIC_VAL) < 0 ||
        split_range(&d->test, &d->pool, SYNTHETIC_TRAIN + SYNTHETIC_VAL, SYNTHETIC_TEST) <
            0)
        return hp_error_set(err, NULL, "out of memory splitting the data");
    return 0;
}

int data_load(struct data *d, const struct data_config *cfg, struct hp_error *err)
{
    memset(d, 0, sizeof *d);
    d->kind = cfg->kind;
    int rc = cfg->kind == DATA_FASHION_MNIST ? load_fashion_mnist(d, cfg, err)
                                             : load_synthetic(d, cfg, err);
    if (rc < 0)
        data_free(d);
    return rc;
}

/* dst[k] = src[k] * scale + shift: one image row to standardized floats. */
VECTORIZE_CLONES
static void convert_row(float *restrict dst, const uint8_t *restrict src, size_t dim,
                        float scale, float shift)
{
    for (size_t k = 0; k < dim; k++)
        dst[k] = (float)src[k] * scale + shift;
}

void data_gather(const struct dataset *set, const uint32_t *rows, size_t count, float *x,
                 int32_t *y)
{
    size_t dim = set->dim;
    for (size_t i = 0; i < count; i++) {
        size_t r = rows[i];
        float *dst = x + i * dim;
        if (set->pixels) {
            convert_row(dst, set->pixels + r * dim, dim, set->scale, set->shift);
        } else {
            memcpy(dst, set->features + r * dim, dim * sizeof(float));
        }
        y[i] = set->labels[r];
    }
}
