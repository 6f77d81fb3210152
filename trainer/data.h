/*
 * The data the trainer learns from: a data set is rows of features and a label
 * per row, and a split (train, validation, test) is a list of row indices into
 * a data set. Splits never copy rows, so the train/validation split of
 * Fashion-MNIST costs two index arrays, not a second copy of the images.
 *
 * Image data stays in memory as uint8 (one byte per pixel) and is converted to
 * float one batch at a time by data_gather; real-valued data is kept as float.
 *
 * This file owns the in-memory layout, the splits and the per-batch
 * conversion. The file readers (idx.c) and the synthetic generator
 * (synthetic.c) fill a struct dataset; they live in their own files.
 */
#ifndef DATA_H
#define DATA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pcg32.h"

/* The order matches the --data choices. */
enum data_kind { DATA_SYNTHETIC, DATA_FASHION_MNIST, DATA_CSV };

/* The order matches the --task choices. */
enum task { TASK_CLASSIFICATION, TASK_REGRESSION };

struct dataset {
    size_t n;        /* rows */
    size_t dim;      /* features per row */
    int classes;     /* classification: labels are 0 .. classes-1; regression: 1 */
    const uint8_t *pixels; /* (n, dim) image bytes, or NULL: pixel_block, or a
                            * part of the cache mapping in struct data */
    uint8_t *pixel_block;  /* the storage pixels points into, or NULL. Owned. */
    float *features; /* (n, dim) real values, or NULL. Owned. */
    int32_t *labels; /* (n) classification labels, or NULL. Owned. */
    float *targets;  /* (n) regression targets, or NULL. Owned. */
    /* Image bytes become pixel * scale + shift (standardized). */
    float scale, shift;
    int width, height; /* images: dim = width * height; 0 for other data */
    /* Regression targets are learned as (target - target_mean) / target_std. */
    double target_mean, target_std;
    char **class_names; /* CSV: the names of classes given by name, or NULL. Owned. */
    char *header;       /* CSV: the header line, to match a second file. Owned. */
};

/* Rows of one data set that play one role. */
struct data_split {
    const struct dataset *set; /* borrowed */
    uint32_t *rows;            /* (n) ascending row indices into set. Owned. */
    size_t n;
};

/* Everything a run learns from and is judged on. `pool` holds the rows that
 * train and val index; `test_set` holds the test rows (for synthetic data it
 * is unused: test indexes into pool). */
struct data {
    enum data_kind kind;
    struct dataset pool;
    struct dataset test_set;
    struct data_split train, val, test;
    /* The read-only mapping of the data cache (cache.h) that the image bytes
     * of pool and test_set point into, or NULL. Owned (munmap). */
    void *mapped;
    size_t mapped_size;
};

/* What data_load needs to know; filled from the options by the caller. */
struct data_config {
    enum data_kind kind;
    const char *dir;     /* Fashion-MNIST: the folder of the four .gz files */
    const char *cache_dir; /* Fashion-MNIST: the data cache's folder, or NULL */
    size_t val_size;     /* Fashion-MNIST: rows of the 60k moved to validation */
    uint64_t split_seed; /* Fashion-MNIST: seed of the train/validation permutation */
    uint64_t data_seed;  /* synthetic: seed of the generator */
    /* Imbalance on purpose: of the training rows of each class listed in
     * imbalance_classes, keep imbalance_fraction (a seeded choice, the same
     * for every trial seed). nimbalance 0: none. */
    const int *imbalance_classes;
    int nimbalance;
    double imbalance_fraction;
    size_t train_subset; /* keep this many training rows (seeded); 0: all */
    /* Keep only the rows of these classes (in every split), relabeled 0, 1, ...
     * in this order; nselect 0: all classes. Applied before the imbalance. */
    const int *select_classes;
    int nselect;
    /* CSV: the file to split into train, validation (val_size rows, or 20%
     * when 0) and test (20%, unless test_path gives a file of its own). */
    const char *csv_path;
    const char *test_path;
    const char *label;
    enum task task;
};

/* Loads or generates the data and makes the three splits. Returns 0; -1 with
 * `err` set for a runtime failure (missing or malformed file, out of memory);
 * or -2 with `err` set when a configured value does not fit the data (a
 * val_size as large as the data set): a usage error. On failure nothing needs
 * freeing. */
int data_load(struct data *d, const struct data_config *cfg, struct hp_error *err);

/* Releases everything data_load allocated; safe on a zeroed struct. */
void data_free(struct data *d);

/* Releases one data set's arrays; safe on a zeroed struct. */
void dataset_free(struct dataset *s);

/* The training rows of each class, for balanced sampling. */
struct class_rows {
    int classes;
    size_t *count;   /* (classes) rows of each class */
    uint32_t **rows; /* (classes) each class's rows, into one block */
    uint32_t *block; /* owned */
    int *present;    /* (npresent) the classes with rows, ascending */
    int npresent;
};

/* Groups the split's rows by class (nothing for regression data). Returns 0
 * or -1 (out of memory). */
int data_class_rows_init(struct class_rows *c, const struct data_split *s);
void data_class_rows_free(struct class_rows *c);

/* Draws n rows with replacement so that every class with rows is equally
 * likely: per row, a class (hp_pcg32_bounded over the classes present), then
 * a row of it (hp_pcg32_bounded over its rows). */
void data_balanced_sample(const struct class_rows *c, uint32_t *out, size_t n,
                          struct hp_pcg32 *rng);

/* Copies `count` rows of `set`, the rows named by rows[0..count), into x
 * (count, dim) as floats and their labels into y (count; not written when
 * the set has no labels). Never allocates. */
void data_gather(const struct dataset *set, const uint32_t *rows, size_t count, float *x,
                 int32_t *y);

/* A hint, changing no result: asks the caches for the bytes of the rows
 * named by rows[0..count) (image pixels only; a no-op for float features),
 * so that a data_gather of them a little later finds them near. The trainer
 * calls it for the next batch before it trains on the current one: the
 * shuffled rows of a pool far larger than the caches then arrive while the
 * products run, rather than stalling the gather. */
void data_prefetch(const struct dataset *set, const uint32_t *rows, size_t count);

/* Copies the standardized regression targets of the rows into t (count). */
void data_gather_targets(const struct dataset *set, const uint32_t *rows, size_t count,
                         float *t);

#endif
