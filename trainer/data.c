/*
 * Data sets, splits and batches. See data.h for the contracts.
 */
#include "data.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cache.h"
#include "csv.h"
#include "idx.h"
#include "path.h"
#include "pcg32.h"
#include "synthetic.h"
#include "vectorize.h"

enum {
    PURPOSE_SPLIT = 0x73706c6974ULL,     /* "split" */
    PURPOSE_IMBALANCE = 0x696d62616cULL, /* "imbal" */
    PURPOSE_SUBSET = 0x737562736574ULL,  /* "subset" */
};

/* Fashion-MNIST's pixel mean and standard deviation on the [0, 1] scale,
 * measured on the 60k training images. */
static const float FMNIST_MEAN = 0.2860f;
static const float FMNIST_STD = 0.3530f;
static const int FMNIST_CLASSES = 10;
static const size_t FMNIST_VAL_SIZE = 10000;
enum { PREFETCH_AHEAD = 4 }; /* rows fetched ahead by data_gather */

void dataset_free(struct dataset *s)
{
    for (int i = 0; s->class_names && i < s->classes; i++)
        free(s->class_names[i]);
    free(s->class_names);
    free(s->header);
    free(s->pixel_block);
    free(s->features);
    free(s->labels);
    free(s->targets);
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
    if (d->mapped)
        munmap(d->mapped, d->mapped_size);
    d->mapped = NULL;
    d->mapped_size = 0;
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

/* Splits the rows of `set` by a permutation drawn from split_seed: its
 * first val_size rows are validation, the next test_size rows (0: none, the
 * test set is elsewhere) test, the rest training. Every list comes out
 * ascending, so it depends on nothing but the seed. */
static int split_seeded(struct data *d, const struct dataset *set, size_t val_size,
                        size_t test_size, uint64_t split_seed)
{
    size_t n = set->n;
    uint32_t *perm = malloc(n * sizeof *perm);
    unsigned char *role = calloc(n, 1); /* 0 train, 1 val, 2 test */
    d->train.rows = malloc((n - val_size - test_size) * sizeof(uint32_t));
    d->val.rows = malloc(val_size * sizeof(uint32_t));
    if (test_size)
        d->test.rows = malloc(test_size * sizeof(uint32_t));
    if (!perm || !role || !d->train.rows || !d->val.rows ||
        (test_size && !d->test.rows)) {
        free(perm);
        free(role);
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
    for (size_t i = 0; i < val_size + test_size; i++)
        role[perm[i]] = i < val_size ? 1 : 2;
    d->train.set = set;
    d->val.set = set;
    if (test_size)
        d->test.set = set;
    for (size_t i = 0; i < n; i++) {
        struct data_split *s = role[i] == 1   ? &d->val
                               : role[i] == 2 ? &d->test
                                              : &d->train;
        s->rows[s->n++] = (uint32_t)i;
    }
    free(perm);
    free(role);
    return 0;
}

/* Reports a configured value that does not fit the data: a usage error. */
__attribute__((format(printf, 3, 4))) static int
usage(struct hp_error *err, const char *option, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(err->source, sizeof err->source, "hpsearch-train");
    hp_error_set(err, option, "%s", text);
    return -2;
}

static int load_fashion_mnist(struct data *d, const struct data_config *cfg,
                              struct hp_error *err)
{
    static const char *const names[2][2] = {
        {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
        {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
    };
    char paths[2][2][HP_PATH_MAX];
    struct cache_source src[2];
    struct dataset *sets[2] = {&d->pool, &d->test_set};
    snprintf(err->source, sizeof err->source, "option --data-dir");
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 2; k++)
            if (hp_path_join(paths[i][k], HP_PATH_MAX, err, cfg->dir, names[i][k], NULL) <
                0)
                return -1;
        src[i] = (struct cache_source){paths[i][0], paths[i][1]};
    }
    if (cfg->cache_dir) {
        struct cache_map map = {NULL, 0};
        if (cache_load_idx(cfg->cache_dir, src, 2, FMNIST_CLASSES, sets, &map, err) < 0)
            return -1;
        d->mapped = map.base;
        d->mapped_size = map.size;
    } else {
        for (int i = 0; i < 2; i++)
            if (idx_load(sets[i], src[i].images, src[i].labels, FMNIST_CLASSES, err) < 0)
                return -1;
    }
    const char *images = src[1].images;
    if (d->test_set.dim != d->pool.dim) {
        snprintf(err->source, sizeof err->source, "%.511s", images);
        return hp_error_set(err, NULL, "images have %zu pixels, the training images %zu",
                            d->test_set.dim, d->pool.dim);
    }
    float scale = 1.0f / (255.0f * FMNIST_STD);
    float shift = -FMNIST_MEAN / FMNIST_STD;
    d->pool.scale = d->test_set.scale = scale;
    d->pool.shift = d->test_set.shift = shift;

    size_t val_size = cfg->val_size ? cfg->val_size : FMNIST_VAL_SIZE;
    if (val_size >= d->pool.n)
        return usage(err, "option --val-size",
                     "must be below %zu (the training images), got %zu", d->pool.n,
                     val_size);
    if (split_seeded(d, &d->pool, val_size, 0, cfg->split_seed) < 0 ||
        split_range(&d->test, &d->test_set, 0, d->test_set.n) < 0)
        return hp_error_set(err, NULL, "out of memory splitting the data");
    return 0;
}

/* Standardizes every feature of `set` (and of `other`, when not NULL) with the
 * mean and standard deviation of the training rows, and the regression
 * targets' mean and standard deviation likewise. */
static void standardize(struct dataset *set, struct dataset *other,
                        const struct data_split *train)
{
    size_t dim = set->dim;
    for (size_t k = 0; k < dim; k++) {
        double sum = 0.0;
        double sq = 0.0;
        for (size_t i = 0; i < train->n; i++) {
            double v = set->features[(size_t)train->rows[i] * dim + k];
            sum += v;
            sq += v * v;
        }
        double mean = sum / (double)train->n;
        double var = sq / (double)train->n - mean * mean;
        double inv = var > 1e-24 ? 1.0 / sqrt(var) : 1.0;
        for (size_t i = 0; i < set->n; i++)
            set->features[i * dim + k] =
                (float)((set->features[i * dim + k] - mean) * inv);
        for (size_t i = 0; other && i < other->n; i++)
            other->features[i * dim + k] =
                (float)((other->features[i * dim + k] - mean) * inv);
    }
    if (!set->targets)
        return;
    double sum = 0.0;
    double sq = 0.0;
    for (size_t i = 0; i < train->n; i++) {
        double v = set->targets[train->rows[i]];
        sum += v;
        sq += v * v;
    }
    double mean = sum / (double)train->n;
    double var = sq / (double)train->n - mean * mean;
    set->target_mean = mean;
    set->target_std = var > 1e-24 ? sqrt(var) : 1.0;
    if (other) {
        other->target_mean = set->target_mean;
        other->target_std = set->target_std;
    }
}

static int load_csv(struct data *d, const struct data_config *cfg, struct hp_error *err)
{
    if (csv_load(&d->pool, cfg->csv_path, cfg->label, cfg->task, NULL, err) < 0)
        return -1;
    if (cfg->test_path &&
        csv_load(&d->test_set, cfg->test_path, cfg->label, cfg->task, &d->pool, err) < 0)
        return -1;
    size_t n = d->pool.n;
    size_t test_size = cfg->test_path ? 0 : (size_t)llround(0.2 * (double)n);
    size_t val_size = cfg->val_size ? cfg->val_size : (size_t)llround(0.2 * (double)n);
    if (val_size + test_size >= n || val_size == 0)
        return usage(err, "option --val-size",
                     "%zu validation rows (and %zu test rows) leave no training rows of "
                     "the %zu in %s",
                     val_size, test_size, n, cfg->csv_path);
    if (split_seeded(d, &d->pool, val_size, test_size, cfg->split_seed) < 0 ||
        (cfg->test_path && split_range(&d->test, &d->test_set, 0, d->test_set.n) < 0))
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

/* Sorts a few thousand to a few tens of thousands of row indices. */
static int compare_rows(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Keeps `keep` of the `n` rows in rows[], chosen by a partial Fisher-Yates
 * shuffle from `rng`, in ascending order at rows[0 .. keep). */
static void choose_rows(uint32_t *rows, size_t n, size_t keep, struct hp_pcg32 *rng)
{
    for (size_t i = 0; i < keep && i + 1 < n; i++) {
        size_t j = i + hp_pcg32_bounded(rng, (uint32_t)(n - i));
        uint32_t tmp = rows[i];
        rows[i] = rows[j];
        rows[j] = tmp;
    }
    qsort(rows, keep, sizeof *rows, compare_rows);
}

/* Drops the rows whose label is -1 (not selected) from a split. */
static void filter_split(struct data_split *s, const int32_t *labels)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++)
        if (labels[s->rows[i]] >= 0)
            s->rows[kept++] = s->rows[i];
    s->n = kept;
}

/* Relabels one data set in place: class select[i] becomes i, others -1. */
static void relabel(struct dataset *set, const int *select, int nselect)
{
    for (size_t r = 0; r < set->n; r++) {
        int label = set->labels[r];
        int id = -1;
        for (int i = 0; i < nselect; i++)
            if (select[i] == label)
                id = i;
        set->labels[r] = id;
    }
    set->classes = nselect;
}

/* --classes: keeps the rows of the chosen classes in every split, relabeled
 * in the order given. */
static int apply_selection(struct data *d, const struct data_config *cfg,
                           struct hp_error *err)
{
    struct dataset *pool = &d->pool;
    if (!pool->labels)
        return usage(err, "option --classes", "needs classification data");
    if (pool->class_names)
        return usage(err, "option --classes",
                     "needs class ids; this CSV names its classes");
    for (int i = 0; i < cfg->nselect; i++) {
        if (cfg->select_classes[i] >= pool->classes)
            return usage(err, "option --classes", "class %d does not exist (%d classes)",
                         cfg->select_classes[i], pool->classes);
        for (int j = 0; j < i; j++)
            if (cfg->select_classes[j] == cfg->select_classes[i])
                return usage(err, "option --classes", "class %d is listed twice",
                             cfg->select_classes[i]);
    }
    relabel(pool, cfg->select_classes, cfg->nselect);
    if (d->test_set.labels)
        relabel(&d->test_set, cfg->select_classes, cfg->nselect);
    filter_split(&d->train, pool->labels);
    filter_split(&d->val, pool->labels);
    filter_split(&d->test, d->test.set->labels);
    if (d->train.n == 0 || d->val.n == 0 || d->test.n == 0)
        return usage(err, "option --classes", "leaves a split without rows");
    return 0;
}

/* Makes the training split imbalanced on purpose: of each listed class,
 * keep round(fraction * rows); the choice comes from the split seed. */
static int apply_imbalance(struct data *d, const struct data_config *cfg,
                           struct hp_error *err)
{
    struct data_split *train = &d->train;
    int classes = train->set->classes;
    if (!train->set->labels)
        return usage(err, "option --imbalance", "needs classification data");
    for (int i = 0; i < cfg->nimbalance; i++)
        if (cfg->imbalance_classes[i] >= classes)
            return usage(err, "option --imbalance",
                         "class %d does not exist (%d classes)",
                         cfg->imbalance_classes[i], classes);
    uint32_t *kept = malloc((train->n ? train->n : 1) * sizeof *kept);
    uint32_t *rows = malloc((train->n ? train->n : 1) * sizeof *rows);
    if (!kept || !rows) {
        free(kept);
        free(rows);
        return hp_error_set(err, NULL, "out of memory");
    }
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, cfg->split_seed, PURPOSE_IMBALANCE);
    size_t nkept = 0;
    for (int c = 0; c < classes; c++) {
        int listed = 0;
        for (int i = 0; i < cfg->nimbalance; i++)
            listed |= cfg->imbalance_classes[i] == c;
        size_t n = 0;
        for (size_t r = 0; r < train->n; r++)
            if (train->set->labels[train->rows[r]] == c)
                rows[n++] = train->rows[r];
        size_t keep = listed ? (size_t)llround(cfg->imbalance_fraction * (double)n) : n;
        if (listed)
            choose_rows(rows, n, keep, &rng);
        memcpy(kept + nkept, rows, keep * sizeof *rows);
        nkept += keep;
    }
    qsort(kept, nkept, sizeof *kept, compare_rows);
    memcpy(train->rows, kept, nkept * sizeof *kept);
    train->n = nkept;
    free(kept);
    free(rows);
    if (train->n == 0)
        return usage(err, "option --imbalance", "leaves no training rows");
    return 0;
}

static int apply_subset(struct data *d, const struct data_config *cfg,
                        struct hp_error *err)
{
    struct data_split *train = &d->train;
    if (cfg->train_subset > train->n)
        return usage(err, "option --train-subset",
                     "asks for %zu rows; the training split has %zu", cfg->train_subset,
                     train->n);
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, cfg->split_seed, PURPOSE_SUBSET);
    choose_rows(train->rows, train->n, cfg->train_subset, &rng);
    train->n = cfg->train_subset;
    return 0;
}

int data_load(struct data *d, const struct data_config *cfg, struct hp_error *err)
{
    memset(d, 0, sizeof *d);
    d->kind = cfg->kind;
    int rc = cfg->kind == DATA_FASHION_MNIST ? load_fashion_mnist(d, cfg, err)
             : cfg->kind == DATA_CSV         ? load_csv(d, cfg, err)
                                             : load_synthetic(d, cfg, err);
    if (rc == 0 && cfg->nselect > 0)
        rc = apply_selection(d, cfg, err);
    if (rc == 0 && cfg->nimbalance > 0)
        rc = apply_imbalance(d, cfg, err);
    if (rc == 0 && cfg->train_subset > 0)
        rc = apply_subset(d, cfg, err);
    /* CSV features are standardized with the statistics of the training
     * rows actually trained on. */
    if (rc == 0 && cfg->kind == DATA_CSV)
        standardize(&d->pool, cfg->test_path ? &d->test_set : NULL, &d->train);
    if (rc < 0)
        data_free(d);
    return rc;
}

int data_class_rows_init(struct class_rows *c, const struct data_split *s)
{
    memset(c, 0, sizeof *c);
    if (!s->set->labels)
        return 0; /* regression: no classes */
    int k = s->set->classes;
    c->classes = k;
    c->count = calloc((size_t)k, sizeof *c->count);
    c->rows = calloc((size_t)k, sizeof *c->rows);
    c->present = calloc((size_t)k, sizeof *c->present);
    c->block = malloc((s->n ? s->n : 1) * sizeof *c->block);
    if (!c->count || !c->rows || !c->present || !c->block) {
        data_class_rows_free(c);
        return -1;
    }
    for (size_t i = 0; i < s->n; i++)
        c->count[s->set->labels[s->rows[i]]]++;
    size_t offset = 0;
    for (int j = 0; j < k; j++) {
        c->rows[j] = c->block + offset;
        offset += c->count[j];
        if (c->count[j] > 0)
            c->present[c->npresent++] = j;
        c->count[j] = 0;
    }
    for (size_t i = 0; i < s->n; i++) {
        int label = s->set->labels[s->rows[i]];
        c->rows[label][c->count[label]++] = s->rows[i];
    }
    return 0;
}

void data_class_rows_free(struct class_rows *c)
{
    free(c->count);
    free(c->rows);
    free(c->present);
    free(c->block);
    memset(c, 0, sizeof *c);
}

void data_balanced_sample(const struct class_rows *c, uint32_t *out, size_t n,
                          struct hp_pcg32 *rng)
{
    for (size_t i = 0; i < n; i++) {
        int k = c->present[hp_pcg32_bounded(rng, (uint32_t)c->npresent)];
        out[i] = c->rows[k][hp_pcg32_bounded(rng, (uint32_t)c->count[k])];
    }
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
        if (set->pixels && i + PREFETCH_AHEAD < count) {
            /* Rows come in shuffled order from a pool far larger than the
             * caches: ask for a later row's bytes while this one converts. */
            const uint8_t *ahead = set->pixels + (size_t)rows[i + PREFETCH_AHEAD] * dim;
            for (size_t off = 0; off < dim; off += 64)
                __builtin_prefetch(ahead + off);
        }
        if (set->pixels) {
            convert_row(dst, set->pixels + r * dim, dim, set->scale, set->shift);
        } else {
            memcpy(dst, set->features + r * dim, dim * sizeof(float));
        }
        if (set->labels)
            y[i] = set->labels[r];
    }
}

void data_prefetch(const struct dataset *set, const uint32_t *rows, size_t count)
{
    if (!set->pixels)
        return;
    size_t dim = set->dim;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *row = set->pixels + (size_t)rows[i] * dim;
        /* Read, moderate locality: into the outer caches, not L1, which the
         * products will have overwritten by then. */
        for (size_t off = 0; off < dim; off += 64)
            __builtin_prefetch(row + off, 0, 2);
        __builtin_prefetch(row + dim - 1, 0, 2);
    }
}

void data_gather_targets(const struct dataset *set, const uint32_t *rows, size_t count,
                         float *t)
{
    double inv = 1.0 / set->target_std;
    for (size_t i = 0; i < count; i++)
        t[i] = (float)((set->targets[rows[i]] - set->target_mean) * inv);
}
