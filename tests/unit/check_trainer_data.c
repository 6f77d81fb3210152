/*
 * Data: the IDX reader accepts a good file and names what is wrong with a bad
 * one; the synthetic set is seeded and balanced; splits, imbalance on purpose,
 * subsets and balanced sampling do what they say.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check_main.h"
#include "data.h"
#include "idx.h"
#include "synthetic.h"

static char dir[256];
static char images[512];
static char labels[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_trainer_data.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(images, sizeof images, "%s/images.gz", dir);
    snprintf(labels, sizeof labels, "%s/labels.gz", dir);
}

static void teardown(void)
{
    unlink(images);
    unlink(labels);
    rmdir(dir);
}

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* Writes an IDX file: magic, dims, then `body` (gzip-compressed). */
static void write_idx(const char *path, uint32_t magic, const uint32_t *dims, int ndims,
                      const unsigned char *body, size_t size)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned char header[16];
    put_be32(header, magic);
    for (int i = 0; i < ndims; i++)
        put_be32(header + 4 * (i + 1), dims[i]);
    ck_assert_int_eq(gzwrite(f, header, 4u * (unsigned)(ndims + 1)), 4 * (ndims + 1));
    if (size)
        ck_assert_int_eq(gzwrite(f, body, (unsigned)size), (int)size);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

/* Three 2x2 images and their labels. */
static void write_good(void)
{
    const uint32_t idims[3] = {3, 2, 2};
    const unsigned char pixels[12] = {0, 1, 2, 3, 10, 11, 12, 13, 250, 251, 252, 255};
    write_idx(images, 0x803, idims, 3, pixels, sizeof pixels);
    const uint32_t ldims[1] = {3};
    const unsigned char y[3] = {2, 0, 9};
    write_idx(labels, 0x801, ldims, 1, y, sizeof y);
}

static void expect_failure(const char *file, const char *words)
{
    struct dataset set;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(idx_load(&set, images, labels, 10, &err), -1);
    ck_assert_str_eq(err.source, file);
    ck_assert_msg(strstr(err.message, words) != NULL, "message: %s", err.message);
    ck_assert_ptr_null(set.pixels);
}

START_TEST(test_idx_reads_a_good_pair)
{
    write_good();
    struct dataset set;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(idx_load(&set, images, labels, 10, &err), 0);
    ck_assert_uint_eq(set.n, 3);
    ck_assert_uint_eq(set.dim, 4);
    ck_assert_int_eq(set.width, 2);
    ck_assert_int_eq(set.height, 2);
    ck_assert_int_eq(set.pixels[4], 10);
    ck_assert_int_eq(set.pixels[11], 255);
    ck_assert_int_eq(set.labels[0], 2);
    ck_assert_int_eq(set.labels[2], 9);
    dataset_free(&set);
}
END_TEST

START_TEST(test_idx_refuses_bad_magic_truncation_and_bad_labels)
{
    const uint32_t idims[3] = {3, 2, 2};
    const uint32_t ldims[1] = {3};
    const unsigned char pixels[12] = {0};
    const unsigned char y[3] = {1, 2, 3};
    const unsigned char bad_y[3] = {1, 12, 3};

    write_good();
    write_idx(images, 0x801, idims, 3, pixels, 12);
    expect_failure(images, "bad magic number 0x00000801 (expected 0x00000803");

    write_idx(images, 0x803, idims, 3, pixels, 11);
    expect_failure(images, "file is truncated: expected 12 bytes of pixels, got 11");

    write_idx(images, 0x803, idims, 3, pixels, 12);
    write_idx(labels, 0x801, ldims, 1, bad_y, 3);
    expect_failure(labels, "label 12 of row 1 is out of range (0..9)");

    const uint32_t two[1] = {2};
    write_idx(labels, 0x801, two, 1, y, 2);
    expect_failure(labels, "has 2 labels but");

    const unsigned char longer[13] = {0};
    write_idx(labels, 0x801, ldims, 1, y, 3);
    write_idx(images, 0x803, idims, 3, longer, 13);
    expect_failure(images, "trailing bytes");

    unlink(images);
    expect_failure(images, "cannot open");
}
END_TEST

START_TEST(test_synthetic_is_seeded_and_balanced)
{
    struct dataset a;
    struct dataset b;
    struct dataset c;
    ck_assert_int_eq(synthetic_generate(&a, 0, NULL), 0);
    ck_assert_int_eq(synthetic_generate(&b, 0, NULL), 0);
    ck_assert_int_eq(synthetic_generate(&c, 1, NULL), 0);
    size_t bytes = a.n * a.dim * sizeof(float);
    ck_assert_int_eq(memcmp(a.features, b.features, bytes), 0);
    ck_assert_int_eq(memcmp(a.labels, b.labels, a.n * sizeof(int32_t)), 0);
    ck_assert_int_ne(memcmp(a.features, c.features, bytes), 0);
    size_t count[SYNTHETIC_CLASSES] = {0};
    for (size_t i = 0; i < a.n; i++)
        count[a.labels[i]]++;
    for (int k = 0; k < SYNTHETIC_CLASSES; k++)
        ck_assert_msg(count[k] > a.n / 25, "class %d has %zu of %zu rows", k, count[k],
                      a.n);
    dataset_free(&a);
    dataset_free(&b);
    dataset_free(&c);
}
END_TEST

static size_t count_class(const struct data_split *s, int k)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->set->labels[s->rows[i]] == k;
    return n;
}

START_TEST(test_data_splits_imbalance_and_subset)
{
    struct data d;
    struct data_config cfg = {.kind = DATA_SYNTHETIC};
    ck_assert_int_eq(data_load(&d, &cfg, NULL), 0);
    ck_assert_uint_eq(d.train.n, SYNTHETIC_TRAIN);
    ck_assert_uint_eq(d.val.n, SYNTHETIC_VAL);
    ck_assert_uint_eq(d.test.n, SYNTHETIC_TEST);
    ck_assert_uint_lt(d.train.rows[d.train.n - 1], d.val.rows[0]);
    size_t before[SYNTHETIC_CLASSES];
    for (int k = 0; k < SYNTHETIC_CLASSES; k++)
        before[k] = count_class(&d.train, k);
    size_t val0 = count_class(&d.val, 0);
    data_free(&d);

    const int listed[2] = {0, 3};
    cfg.imbalance_classes = listed;
    cfg.nimbalance = 2;
    cfg.imbalance_fraction = 0.1;
    ck_assert_int_eq(data_load(&d, &cfg, NULL), 0);
    for (int k = 0; k < SYNTHETIC_CLASSES; k++) {
        size_t want =
            (k == 0 || k == 3) ? (size_t)(0.1 * (double)before[k] + 0.5) : before[k];
        ck_assert_uint_eq(count_class(&d.train, k), want);
    }
    for (size_t i = 1; i < d.train.n; i++)
        ck_assert_uint_lt(d.train.rows[i - 1], d.train.rows[i]);
    ck_assert_uint_eq(count_class(&d.val, 0), val0);
    data_free(&d);

    cfg.nimbalance = 0;
    cfg.train_subset = 500;
    ck_assert_int_eq(data_load(&d, &cfg, NULL), 0);
    ck_assert_uint_eq(d.train.n, 500);
    for (size_t i = 1; i < d.train.n; i++)
        ck_assert_uint_lt(d.train.rows[i - 1], d.train.rows[i]);
    ck_assert_uint_lt(d.train.rows[499], SYNTHETIC_TRAIN);
    data_free(&d);

    struct hp_error err;
    hp_error_init(&err);
    cfg.train_subset = 5000;
    ck_assert_int_eq(data_load(&d, &cfg, &err), -2);
    ck_assert_str_eq(err.path, "option --train-subset");
    const int missing[1] = {12};
    cfg.train_subset = 0;
    cfg.imbalance_classes = missing;
    cfg.nimbalance = 1;
    ck_assert_int_eq(data_load(&d, &cfg, &err), -2);
    ck_assert_str_eq(err.path, "option --imbalance");
}
END_TEST

/* data_prefetch is a hint: whatever rows it is given (the last byte of the
 * pool included, a row width that is no multiple of a cache line, a set of
 * float features), the gather that follows converts exactly as without it. */
START_TEST(test_prefetch_changes_no_gathered_value)
{
    enum { ROWS = 3, DIM = 100 };
    uint8_t pixels[ROWS * DIM];
    for (int i = 0; i < ROWS * DIM; i++)
        pixels[i] = (uint8_t)(i * 7);
    int32_t row_labels[ROWS] = {2, 0, 1};
    struct dataset set = {.n = ROWS,
                          .dim = DIM,
                          .classes = 3,
                          .pixels = pixels,
                          .labels = row_labels,
                          .scale = 0.5f,
                          .shift = -1.0f};
    const uint32_t rows[2] = {2, 0};
    float x[2 * DIM];
    int32_t y[2];
    data_prefetch(&set, rows, 2);
    data_gather(&set, rows, 2, x, y);
    for (int k = 0; k < DIM; k++) {
        ck_assert_float_eq(x[k], (float)pixels[2 * DIM + k] * 0.5f - 1.0f);
        ck_assert_float_eq(x[DIM + k], (float)pixels[k] * 0.5f - 1.0f);
    }
    ck_assert_int_eq(y[0], 1);
    ck_assert_int_eq(y[1], 2);

    float features[ROWS * DIM] = {0};
    features[2 * DIM] = 3.5f;
    struct dataset floats = {
        .n = ROWS, .dim = DIM, .classes = 3, .features = features, .labels = row_labels};
    data_prefetch(&floats, rows, 2);
    data_gather(&floats, rows, 2, x, y);
    ck_assert_float_eq(x[0], 3.5f);
}
END_TEST

START_TEST(test_balanced_sample_draws_classes_equally)
{
    struct data d;
    const int listed[1] = {2};
    struct data_config cfg = {.kind = DATA_SYNTHETIC,
                              .imbalance_classes = listed,
                              .nimbalance = 1,
                              .imbalance_fraction = 0.05};
    ck_assert_int_eq(data_load(&d, &cfg, NULL), 0);
    struct class_rows c;
    ck_assert_int_eq(data_class_rows_init(&c, &d.train), 0);
    ck_assert_int_eq(c.npresent, SYNTHETIC_CLASSES);
    ck_assert_uint_eq(c.count[2], count_class(&d.train, 2));
    enum { N = 20000 };
    static uint32_t rows[N];
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 3, 4);
    data_balanced_sample(&c, rows, N, &rng);
    size_t count[SYNTHETIC_CLASSES] = {0};
    for (size_t i = 0; i < N; i++)
        count[d.pool.labels[rows[i]]]++;
    for (int k = 0; k < SYNTHETIC_CLASSES; k++)
        ck_assert_msg(count[k] > N / 10 - N / 50 && count[k] < N / 10 + N / 50,
                      "class %d drawn %zu times", k, count[k]);
    data_class_rows_free(&c);
    data_free(&d);
}
END_TEST

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *idx = tcase_create("idx");
    tcase_add_checked_fixture(idx, setup, teardown);
    tcase_set_timeout(idx, 10);
    tcase_add_test(idx, test_idx_reads_a_good_pair);
    tcase_add_test(idx, test_idx_refuses_bad_magic_truncation_and_bad_labels);
    suite_add_tcase(s, idx);
    TCase *sets = tcase_create("sets");
    tcase_set_timeout(sets, 30);
    tcase_add_test(sets, test_synthetic_is_seeded_and_balanced);
    tcase_add_test(sets, test_data_splits_imbalance_and_subset);
    tcase_add_test(sets, test_balanced_sample_draws_classes_equally);
    tcase_add_test(sets, test_prefetch_changes_no_gathered_value);
    suite_add_tcase(s, sets);
    return s;
}

int main(void)
{
    return hp_check_run(data_suite());
}
