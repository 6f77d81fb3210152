/*
 * The data cache: a load through the cache gives the very data a load of the
 * .gz files gives, whether it builds the cache or maps it; a cache damaged in
 * any way, or made from other versions of the sources, is rebuilt rather than
 * trusted; trials racing to build it all succeed and leave one whole file.
 *
 * The data is a small Fashion-MNIST look-alike (the four file names, 10
 * classes) written to a temporary folder.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cache.h"
#include "check_main.h"
#include "data.h"

enum { TRAIN_N = 120, TEST_N = 30, HEIGHT = 6, WIDTH = 5, DIM = HEIGHT * WIDTH };

static char dir[256];
static char cache_dir[320];

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* Writes <dir>/<name>: an IDX header (magic, dims) and `body`, gzip'd. */
static void write_idx(const char *name, uint32_t magic, const uint32_t *dims, int ndims,
                      const unsigned char *body, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    unsigned char header[16];
    put_be32(header, magic);
    for (int i = 0; i < ndims; i++)
        put_be32(header + 4 * (i + 1), dims[i]);
    ck_assert_int_eq(gzwrite(f, header, 4u * (unsigned)(ndims + 1)), 4 * (ndims + 1));
    ck_assert_int_eq(gzwrite(f, body, (unsigned)size), (int)size);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

/* One pair of files: n images whose bytes depend on `salt`, labels too. */
static void write_pair(const char *prefix, uint32_t n, unsigned salt)
{
    unsigned char pixels[TRAIN_N * DIM];
    unsigned char labels[TRAIN_N];
    for (uint32_t i = 0; i < n * DIM; i++)
        pixels[i] = (unsigned char)(i * 37u + salt);
    for (uint32_t i = 0; i < n; i++)
        labels[i] = (unsigned char)((i * 7u + salt) % 10u);
    char name[128];
    const uint32_t idims[3] = {n, HEIGHT, WIDTH};
    snprintf(name, sizeof name, "%s-images-idx3-ubyte.gz", prefix);
    write_idx(name, 0x803, idims, 3, pixels, (size_t)n * DIM);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte.gz", prefix);
    write_idx(name, 0x801, &n, 1, labels, n);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_trainer_cache.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", dir);
    write_pair("train", TRAIN_N, 0);
    write_pair("t10k", TEST_N, 1);
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Loads the data, through the cache when `cached`. */
static void load(struct data *d, int cached)
{
    struct data_config cfg = {
        .kind = DATA_FASHION_MNIST,
        .dir = dir,
        .cache_dir = cached ? cache_dir : NULL,
        .val_size = 20,
        .split_seed = 3,
    };
    struct hp_error err;
    hp_error_init(&err);
    int rc = data_load(d, &cfg, &err);
    ck_assert_msg(rc == 0, "data_load: %s: %s", err.source, err.message);
}

static void expect_same_set(const struct dataset *a, const struct dataset *b)
{
    ck_assert_uint_eq(a->n, b->n);
    ck_assert_uint_eq(a->dim, b->dim);
    ck_assert_int_eq(a->width, b->width);
    ck_assert_int_eq(a->height, b->height);
    ck_assert_int_eq(a->classes, b->classes);
    ck_assert(a->scale == b->scale && a->shift == b->shift);
    ck_assert_int_eq(memcmp(a->pixels, b->pixels, a->n * a->dim), 0);
    ck_assert_int_eq(memcmp(a->labels, b->labels, a->n * sizeof *a->labels), 0);
}

static void expect_same_split(const struct data_split *a, const struct data_split *b)
{
    ck_assert_uint_eq(a->n, b->n);
    ck_assert_int_eq(memcmp(a->rows, b->rows, a->n * sizeof *a->rows), 0);
}

/* The data a load without the cache gives. */
static void expect_same_data(const struct data *a, const struct data *b)
{
    expect_same_set(&a->pool, &b->pool);
    expect_same_set(&a->test_set, &b->test_set);
    expect_same_split(&a->train, &b->train);
    expect_same_split(&a->val, &b->val);
    expect_same_split(&a->test, &b->test);
}

/* The cache folder's files: the cache's path into `bin` (when given);
 * returns the number of .bin files and fails on a temporary file. */
static int cache_files(char *bin, size_t size)
{
    DIR *d = opendir(cache_dir);
    ck_assert_ptr_nonnull(d);
    int bins = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        ck_assert_msg(strstr(e->d_name, ".tmp") == NULL, "temporary file left: %s",
                      e->d_name);
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".bin") == 0) {
            bins++;
            if (bin)
                snprintf(bin, size, "%s/%s", cache_dir, e->d_name);
        }
    }
    closedir(d);
    return bins;
}

START_TEST(test_cache_builds_then_maps_the_same_data)
{
    struct data plain;
    struct data built;
    struct data mapped;
    load(&plain, 0);
    ck_assert_ptr_null(plain.mapped);
    load(&built, 1);
    ck_assert_ptr_null(built.mapped); /* built from the .gz files */
    ck_assert_int_eq(cache_files(NULL, 0), 1);
    load(&mapped, 1);
    ck_assert_ptr_nonnull(mapped.mapped); /* and now mapped */
    ck_assert_ptr_null(mapped.pool.pixel_block);
    ck_assert(mapped.pool.pixels >= (const uint8_t *)mapped.mapped &&
              mapped.pool.pixels < (const uint8_t *)mapped.mapped + mapped.mapped_size);
    ck_assert_uint_eq((uintptr_t)mapped.pool.pixels % 4096, 0);
    expect_same_data(&plain, &built);
    expect_same_data(&plain, &mapped);
    data_free(&plain);
    data_free(&built);
    data_free(&mapped);
}
END_TEST

/* How a cache file gets damaged. */
enum damage { FLIP_PIXEL, FLIP_LABEL, FLIP_HEADER, TRUNCATE, EXTEND, EMPTY, GARBAGE };

static void damage_file(const char *path, enum damage how)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    unsigned char byte = 0;
    off_t at = 0;
    switch (how) {
    case FLIP_PIXEL:
        at = 4096 + 7 * DIM + 3; /* a byte of the first set's eighth image */
        break;
    case FLIP_LABEL:
        at = 4096 + TRAIN_N * DIM + 5; /* the first set's sixth label */
        break;
    case FLIP_HEADER:
        at = 20; /* the recorded file size */
        break;
    case TRUNCATE:
        ck_assert_int_eq(ftruncate(fd, st.st_size - 1), 0);
        break;
    case EXTEND:
        ck_assert_int_eq(ftruncate(fd, st.st_size + 1), 0);
        break;
    case EMPTY:
        ck_assert_int_eq(ftruncate(fd, 0), 0);
        break;
    case GARBAGE:
        ck_assert_int_eq(pwrite(fd, "not a cache at all", 18, 0), 18);
        break;
    }
    if (how == FLIP_PIXEL || how == FLIP_LABEL || how == FLIP_HEADER) {
        ck_assert_int_eq(pread(fd, &byte, 1, at), 1);
        byte ^= 0x10;
        ck_assert_int_eq(pwrite(fd, &byte, 1, at), 1);
    }
    close(fd);
}

START_TEST(test_cache_damaged_in_any_way_is_rebuilt)
{
    struct data plain;
    load(&plain, 0);
    struct data d;
    load(&d, 1);
    data_free(&d);
    char bin[600];
    ck_assert_int_eq(cache_files(bin, sizeof bin), 1);
    for (int how = FLIP_PIXEL; how <= GARBAGE; how++) {
        damage_file(bin, (enum damage)how);
        load(&d, 1);
        ck_assert_msg(d.mapped == NULL, "damage %d: the damaged cache was used", how);
        expect_same_data(&plain, &d);
        data_free(&d);
        load(&d, 1); /* rebuilt whole: mapped again */
        ck_assert_msg(d.mapped != NULL, "damage %d: not rebuilt", how);
        expect_same_data(&plain, &d);
        data_free(&d);
    }
    ck_assert_int_eq(cache_files(NULL, 0), 1);
    data_free(&plain);
}
END_TEST

START_TEST(test_cache_of_changed_sources_is_rebuilt)
{
    struct data d;
    load(&d, 1);
    data_free(&d);
    /* New labels of the same size: only the modification time tells. */
    write_pair("train", TRAIN_N, 5);
    char path[512];
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    struct timespec later[2] = {{0, UTIME_OMIT}, {time(NULL) + 5, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, later, 0), 0);
    struct data plain;
    load(&plain, 0);
    load(&d, 1);
    ck_assert_ptr_null(d.mapped);
    expect_same_data(&plain, &d);
    data_free(&d);
    load(&d, 1);
    ck_assert_ptr_nonnull(d.mapped);
    expect_same_data(&plain, &d);
    data_free(&d);
    data_free(&plain);
}
END_TEST

START_TEST(test_cache_racing_builders_all_succeed)
{
    enum { RACERS = 4 };
    struct data plain;
    load(&plain, 0);
    uint64_t want = cache_hash(plain.pool.pixels, plain.pool.n * plain.pool.dim);
    pid_t pid[RACERS];
    for (int i = 0; i < RACERS; i++) {
        pid[i] = fork();
        ck_assert_int_ge(pid[i], 0);
        if (pid[i] == 0) {
            struct data d;
            struct data_config cfg = {.kind = DATA_FASHION_MNIST,
                                      .dir = dir,
                                      .cache_dir = cache_dir,
                                      .val_size = 20,
                                      .split_seed = 3};
            struct hp_error err;
            hp_error_init(&err);
            if (data_load(&d, &cfg, &err) != 0)
                _exit(2);
            int same = cache_hash(d.pool.pixels, d.pool.n * d.pool.dim) == want &&
                       d.train.n == plain.train.n &&
                       memcmp(d.train.rows, plain.train.rows,
                              d.train.n * sizeof *d.train.rows) == 0;
            _exit(same ? 0 : 3);
        }
    }
    for (int i = 0; i < RACERS; i++) {
        int status = 0;
        ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "racer %d: %d", i,
                      status);
    }
    ck_assert_int_eq(cache_files(NULL, 0), 1);
    struct data d;
    load(&d, 1);
    ck_assert_ptr_nonnull(d.mapped);
    expect_same_data(&plain, &d);
    data_free(&d);
    data_free(&plain);
}
END_TEST

START_TEST(test_cache_keeps_the_sources_errors_and_survives_no_folder)
{
    /* A missing source reads as it does without a cache. */
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", dir);
    ck_assert_int_eq(unlink(path), 0);
    struct data_config cfg = {
        .kind = DATA_FASHION_MNIST, .dir = dir, .cache_dir = cache_dir, .val_size = 20};
    struct data d;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(data_load(&d, &cfg, &err), -1);
    ck_assert_str_eq(err.source, path);
    ck_assert_msg(strstr(err.message, "cannot open") != NULL, "%s", err.message);
    write_pair("t10k", TEST_N, 1);
    /* A cache folder that cannot be made (its parent is missing) is no
     * error: the run goes on without a cache and writes nothing. */
    char deep[600];
    snprintf(deep, sizeof deep, "%s/no/such/cache", dir);
    cfg.cache_dir = deep;
    hp_error_init(&err);
    ck_assert_int_eq(data_load(&d, &cfg, &err), 0);
    ck_assert_ptr_null(d.mapped);
    data_free(&d);
    snprintf(deep, sizeof deep, "%s/no", dir);
    ck_assert_int_ne(access(deep, F_OK), 0);
}
END_TEST

START_TEST(test_cache_hash_sees_every_byte)
{
    unsigned char buf[100];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)i;
    for (size_t len = 0; len <= sizeof buf; len++) {
        uint64_t h = cache_hash(buf, len);
        ck_assert(len == 0 || h != cache_hash(buf, len - 1));
        for (size_t i = 0; i < len; i++) {
            buf[i] ^= 1;
            ck_assert_msg(cache_hash(buf, len) != h, "byte %zu of %zu", i, len);
            buf[i] ^= 1;
        }
    }
}
END_TEST

static Suite *cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cache_builds_then_maps_the_same_data);
    tcase_add_test(tc, test_cache_damaged_in_any_way_is_rebuilt);
    tcase_add_test(tc, test_cache_of_changed_sources_is_rebuilt);
    tcase_add_test(tc, test_cache_racing_builders_all_succeed);
    tcase_add_test(tc, test_cache_keeps_the_sources_errors_and_survives_no_folder);
    tcase_add_test(tc, test_cache_hash_sees_every_byte);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hp_check_run(cache_suite());
}
