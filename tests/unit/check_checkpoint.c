/*
 * The checkpoint file: a round trip is bit-exact, and a truncated, corrupted
 * or incompatible file is refused with a clear error and changes nothing.
 * Saving is atomic: no temporary file is left behind.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "checkpoint.h"
#include "mlp.h"
#include "pcg32.h"
#include "progress.h"

static char dir[256];
static char path[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_checkpoint.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/best.ckpt", dir);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void make_model(struct mlp *m, const int *sizes, int nlayers, enum activation act,
                       uint64_t seed)
{
    ck_assert_int_eq(mlp_init(m, sizes, nlayers, act, 4, NULL), 0);
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, seed, 1);
    mlp_init_weights(m, &rng);
    for (int l = 0; l < nlayers; l++)
        for (int o = 0; o < m->layer[l].out; o++)
            m->layer[l].b[o] = (float)hp_pcg32_normal(&rng);
}

static void save_model(const struct mlp *m, const char *where)
{
    struct hp_error err;
    hp_error_init(&err);
    json_t *header = json_pack("{s:o, s:i}", "arch", checkpoint_arch_json(m), "epoch", 7);
    struct checkpoint_tensor t[2 * MLP_MAX_LAYERS];
    size_t n = checkpoint_model_tensors(m, m->params, "", t);
    int rc = checkpoint_save(where, header, t, n, &err);
    json_decref(header);
    ck_assert_msg(rc == 0, "save failed: %s", err.message);
}

/* Loads `where` into a model of the given shape. Returns the load's result
 * and leaves the error in `err`. */
static int load_into(struct mlp *m, const char *where, struct hp_error *err)
{
    hp_error_init(err);
    struct checkpoint ck;
    if (checkpoint_load(&ck, where, err) < 0)
        return -1;
    int rc = checkpoint_load_weights(&ck, m, "", m->params, err);
    checkpoint_free(&ck);
    return rc;
}

static long file_size(const char *p)
{
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    return (long)st.st_size;
}

static void flip_byte(const char *p, long offset)
{
    FILE *f = fopen(p, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
    int c = fgetc(f);
    ck_assert_int_ne(c, EOF);
    ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
    fputc(c ^ 0x10, f);
    ck_assert_int_eq(fclose(f), 0);
}

static const int SIZES[] = {5, 7, 3};

START_TEST(test_checkpoint_round_trip_is_bit_exact)
{
    struct mlp a;
    struct mlp b;
    make_model(&a, SIZES, 2, ACT_TANH, 1);
    make_model(&b, SIZES, 2, ACT_TANH, 2);
    ck_assert_int_ne(memcmp(a.params, b.params, a.nparams * sizeof(float)), 0);
    save_model(&a, path);
    struct hp_error err;
    ck_assert_msg(load_into(&b, path, &err) == 0, "load failed: %s", err.message);
    ck_assert_int_eq(memcmp(a.params, b.params, a.nparams * sizeof(float)), 0);

    struct checkpoint ck;
    ck_assert_int_eq(checkpoint_load(&ck, path, &err), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(ck.header, "epoch")), 7);
    ck_assert_uint_eq(ck.ntensors, 4);
    ck_assert_str_eq(ck.tensor[0].name, "layer0.weight");
    ck_assert_uint_eq(ck.tensor[0].count, 35);
    ck_assert_str_eq(ck.tensor[3].name, "layer1.bias");
    ck_assert_uint_eq(ck.tensor[3].count, 3);
    checkpoint_free(&ck);
    mlp_free(&a);
    mlp_free(&b);
}
END_TEST

START_TEST(test_checkpoint_file_layout_is_as_documented)
{
    struct mlp a;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    save_model(&a, path);
    FILE *f = fopen(path, "rb");
    unsigned char prefix[24];
    ck_assert_uint_eq(fread(prefix, 1, 24, f), 24);
    fclose(f);
    ck_assert_int_eq(memcmp(prefix, "HPTRCKPT", 8), 0);
    ck_assert_int_eq(prefix[8], CHECKPOINT_VERSION);
    unsigned header_len =
        prefix[12] | prefix[13] << 8 | prefix[14] << 16 | prefix[15] << 24;
    unsigned payload_len =
        prefix[16] | prefix[17] << 8 | prefix[18] << 16 | prefix[19] << 24;
    ck_assert_uint_eq(payload_len, (35 + 7 + 21 + 3) * 4);
    ck_assert_int_eq(file_size(path), 24 + (long)header_len + (long)payload_len + 4);
    mlp_free(&a);
}
END_TEST

START_TEST(test_checkpoint_truncated_file_is_refused)
{
    struct mlp a;
    struct mlp b;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    make_model(&b, SIZES, 2, ACT_RELU, 2);
    save_model(&a, path);
    float *before = malloc(b.nparams * sizeof *before);
    memcpy(before, b.params, b.nparams * sizeof *before);
    long size = file_size(path);
    const long cuts[] = {size - 1, size - 4, size / 2, 30, 10, 0};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        ck_assert_int_eq(truncate(path, cuts[i]), 0);
        struct hp_error err;
        ck_assert_int_eq(load_into(&b, path, &err), -1);
        ck_assert_msg(strstr(err.message, "truncated") != NULL, "cut %ld: %s", cuts[i],
                      err.message);
        ck_assert_str_eq(err.source, path);
        ck_assert_int_eq(memcmp(before, b.params, b.nparams * sizeof(float)), 0);
    }
    free(before);
    mlp_free(&a);
    mlp_free(&b);
}
END_TEST

/* Appends `count` zero bytes to the file, or cuts `-count` off its end. */
static void resize_by(const char *p, long count)
{
    ck_assert_int_eq(truncate(p, file_size(p) + count), 0);
}

/* Writes `value` little-endian at `offset`. */
static void put_u64_at(const char *p, long offset, uint64_t value)
{
    FILE *f = fopen(p, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, offset, SEEK_SET), 0);
    for (int i = 0; i < 8; i++)
        fputc((int)(value >> (8 * i)) & 0xff, f);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_checkpoint_size_check_names_the_real_byte_counts)
{
    struct mlp a;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    save_model(&a, path);
    long size = file_size(path);
    struct checkpoint ck;
    struct hp_error err;
    /* The payload: 5*7 + 7 + 7*3 + 3 floats. */
    const long payload = 4 * (35 + 7 + 21 + 3);
    const long header = size - 24 - payload - 4;
    char want[512];

    resize_by(path, 5);
    hp_error_init(&err);
    ck_assert_int_eq(checkpoint_load(&ck, path, &err), -1);
    snprintf(want, sizeof want,
             "file has 5 trailing bytes: the prefix promises %ld bytes (a 24-byte prefix, "
             "a %ld-byte header, a %ld-byte payload and a 4-byte checksum), the file has "
             "%ld",
             size, header, payload, size + 5);
    ck_assert_str_eq(err.message, want);

    resize_by(path, -5 - 3);
    hp_error_init(&err);
    ck_assert_int_eq(checkpoint_load(&ck, path, &err), -1);
    snprintf(want, sizeof want,
             "file is truncated: the prefix promises %ld bytes (a 24-byte prefix, a "
             "%ld-byte header, a %ld-byte payload and a 4-byte checksum), the file has %ld",
             size, header, payload, size - 3);
    ck_assert_str_eq(err.message, want);

    /* A corrupted payload_len so large that the promise passes 2^64: the
     * message must not print a wrapped-around small number. */
    put_u64_at(path, 16, UINT64_MAX - 10);
    hp_error_init(&err);
    ck_assert_int_eq(checkpoint_load(&ck, path, &err), -1);
    snprintf(want, sizeof want,
             "file is truncated: the prefix promises more than 2^64 bytes (a 24-byte "
             "prefix, a %ld-byte header, a 18446744073709551605-byte payload and a 4-byte "
             "checksum), the file has %ld",
             header, size - 3);
    ck_assert_str_eq(err.message, want);
    mlp_free(&a);
}
END_TEST

START_TEST(test_checkpoint_flipped_byte_is_refused_by_checksum)
{
    struct mlp a;
    struct mlp b;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    make_model(&b, SIZES, 2, ACT_RELU, 2);
    save_model(&a, path);
    long size = file_size(path);
    /* One byte in the JSON header, one in the payload, one in the checksum. */
    const long offsets[] = {30, size - 20, size - 2};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        save_model(&a, path);
        flip_byte(path, offsets[i]);
        struct hp_error err;
        ck_assert_int_eq(load_into(&b, path, &err), -1);
        ck_assert_msg(strstr(err.message, "checksum") != NULL, "offset %ld: %s",
                      offsets[i], err.message);
    }
    mlp_free(&a);
    mlp_free(&b);
}
END_TEST

START_TEST(test_checkpoint_bad_magic_and_version_are_refused)
{
    struct mlp a;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    save_model(&a, path);
    flip_byte(path, 0);
    struct hp_error err;
    ck_assert_int_eq(load_into(&a, path, &err), -1);
    ck_assert_msg(strstr(err.message, "magic") != NULL, "%s", err.message);
    save_model(&a, path);
    flip_byte(path, 8);
    ck_assert_int_eq(load_into(&a, path, &err), -1);
    ck_assert_msg(strstr(err.message, "version 17") != NULL, "%s", err.message);
    mlp_free(&a);
}
END_TEST

START_TEST(test_checkpoint_wrong_architecture_is_refused)
{
    struct mlp a;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    save_model(&a, path);
    const int wider[] = {5, 8, 3};
    const int deeper[] = {5, 7, 7, 3};
    struct mlp b;
    struct hp_error err;

    make_model(&b, wider, 2, ACT_RELU, 2);
    ck_assert_int_eq(load_into(&b, path, &err), -1);
    ck_assert_msg(strstr(err.message, "incompatible model") != NULL, "%s", err.message);
    ck_assert_msg(strstr(err.message, "5-7-3 relu") != NULL, "%s", err.message);
    ck_assert_msg(strstr(err.message, "5-8-3 relu") != NULL, "%s", err.message);
    mlp_free(&b);

    make_model(&b, deeper, 3, ACT_RELU, 2);
    ck_assert_int_eq(load_into(&b, path, &err), -1);
    mlp_free(&b);

    make_model(&b, SIZES, 2, ACT_TANH, 2);
    float *before = malloc(b.nparams * sizeof *before);
    memcpy(before, b.params, b.nparams * sizeof *before);
    ck_assert_int_eq(load_into(&b, path, &err), -1);
    ck_assert_msg(strstr(err.message, "tanh") != NULL, "%s", err.message);
    ck_assert_int_eq(memcmp(before, b.params, b.nparams * sizeof(float)), 0);
    free(before);
    mlp_free(&b);
    mlp_free(&a);
}
END_TEST

START_TEST(test_checkpoint_transfer_keeps_the_new_head)
{
    struct mlp a;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    save_model(&a, path);
    const int five[] = {5, 7, 5};
    struct mlp b;
    make_model(&b, five, 2, ACT_RELU, 2);
    float head_w[5 * 7];
    memcpy(head_w, b.layer[1].w, sizeof head_w);
    struct checkpoint ck;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(checkpoint_load(&ck, path, &err), 0);
    /* Without a new head the output widths must match. */
    ck_assert_int_eq(checkpoint_load_transfer(&ck, &b, 0, b.params, &err), -1);
    ck_assert_msg(strstr(err.message, "cannot transfer") != NULL, "%s", err.message);
    ck_assert_int_eq(memcmp(head_w, b.layer[1].w, sizeof head_w), 0);
    ck_assert_int_eq(checkpoint_load_transfer(&ck, &b, 1, b.params, &err), 0);
    ck_assert_int_eq(memcmp(a.layer[0].w, b.layer[0].w, 7 * 5 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(a.layer[0].b, b.layer[0].b, 7 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(head_w, b.layer[1].w, sizeof head_w), 0);
    checkpoint_free(&ck);
    mlp_free(&a);
    mlp_free(&b);
}
END_TEST

static int count_entries(const char *d)
{
    DIR *h = opendir(d);
    ck_assert_ptr_nonnull(h);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(h)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(h);
    return n;
}

START_TEST(test_checkpoint_atomic_save_leaves_no_temporary_file)
{
    struct mlp a;
    make_model(&a, SIZES, 2, ACT_RELU, 1);
    save_model(&a, path);
    save_model(&a, path); /* replacing an existing file */
    ck_assert_int_eq(count_entries(dir), 1);
    ck_assert_int_eq(access(path, R_OK), 0);

    /* A failed save (the folder is gone) reports the path and leaves nothing. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-folder/best.ckpt", dir);
    struct hp_error err;
    hp_error_init(&err);
    json_t *header = json_pack("{s:o}", "arch", checkpoint_arch_json(&a));
    struct checkpoint_tensor t[4];
    size_t n = checkpoint_model_tensors(&a, a.params, "", t);
    ck_assert_int_eq(checkpoint_save(missing, header, t, n, &err), CHECKPOINT_WRITE_FAILED);
    ck_assert_str_eq(err.source, missing);
    ck_assert_msg(strstr(err.message, "No such file or directory") != NULL, "%s",
                  err.message);
    json_decref(header);
    ck_assert_int_eq(count_entries(dir), 1);
    mlp_free(&a);
}
END_TEST

START_TEST(test_checkpoint_missing_file_is_reported)
{
    struct checkpoint ck;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(checkpoint_load(&ck, path, &err), -1);
    ck_assert_msg(strstr(err.message, "cannot open") != NULL, "%s", err.message);
}
END_TEST

static void make_progress(struct progress *p)
{
    ck_assert_int_eq(progress_init(p, 2, NULL), 0);
    p->batch = 17;
    p->seen = 1088;
    p->loss_sum = 0.1 + 0.2; /* not a short decimal */
    p->step = 123456789012LL;
    p->best_score = 1.0 / 3.0;
    p->train_rows = 4000;
    hp_pcg32_seed(&p->shuffle, 0xfedcba9876543210ULL, 0x8000000000000001ULL);
    hp_pcg32_seed(&p->dropout, 1, 2);
    hp_pcg32_seed(&p->augment, 3, 4);
    for (int e = 0; e < 5; e++) {
        struct epoch_record r = {1.0 / (e + 3), 2.0 / (e + 7), 0.5 + e / 11.0};
        ck_assert_int_eq(progress_complete_epoch(p, &r, NULL), 0);
    }
    p->best_epoch = 4;
    p->stale = 1;
}

START_TEST(test_progress_round_trips_bit_exactly_through_a_checkpoint)
{
    struct progress a;
    struct progress b;
    make_progress(&a);
    ck_assert_int_eq(progress_init(&b, 1, NULL), 0);
    json_t *header = json_pack("{s:o}", "state", progress_to_json(&a));
    float dummy = 0.0f;
    struct checkpoint_tensor t = {"x", &dummy, {1, 0}};
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(checkpoint_save(path, header, &t, 1, &err), 0);
    json_decref(header);
    struct checkpoint ck;
    ck_assert_int_eq(checkpoint_load(&ck, path, &err), 0);
    ck_assert_msg(progress_from_json(&b, json_object_get(ck.header, "state"), &err) == 0,
                  "%s: %s", err.path, err.message);
    checkpoint_free(&ck);
    ck_assert_int_eq(b.epoch, 5);
    ck_assert_uint_eq(b.batch, 17);
    ck_assert_uint_eq(b.seen, 1088);
    ck_assert_int_eq(memcmp(&a.loss_sum, &b.loss_sum, sizeof a.loss_sum), 0);
    ck_assert_int_eq(memcmp(&a.best_score, &b.best_score, sizeof(double)), 0);
    ck_assert_int_eq(b.step, 123456789012LL);
    ck_assert_int_eq(b.best_epoch, 4);
    ck_assert_int_eq(b.stale, 1);
    ck_assert_uint_eq(b.train_rows, 4000);
    ck_assert_int_eq(memcmp(&a.shuffle, &b.shuffle, sizeof a.shuffle), 0);
    ck_assert_int_eq(memcmp(&a.dropout, &b.dropout, sizeof a.dropout), 0);
    ck_assert_int_eq(memcmp(&a.augment, &b.augment, sizeof a.augment), 0);
    ck_assert_int_eq(memcmp(a.history, b.history, 5 * sizeof *a.history), 0);
    progress_free(&a);
    progress_free(&b);
}
END_TEST

START_TEST(test_progress_refuses_a_bad_state_and_stays_unchanged)
{
    struct progress a;
    struct progress b;
    make_progress(&a);
    make_progress(&b);
    struct hp_error err;
    const char *broken[][2] = {
        {"epoch", "state.history"},   /* history no longer one row per epoch */
        {"rng", "state.rng.shuffle"}, /* a generator gone */
        {"loss_sum", "state.loss_sum"},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        json_t *j = progress_to_json(&a);
        if (strcmp(broken[i][0], "epoch") == 0)
            json_object_set_new(j, "epoch", json_integer(4));
        else if (strcmp(broken[i][0], "rng") == 0)
            json_object_del(json_object_get(j, "rng"), "shuffle");
        else
            json_object_set_new(j, broken[i][0], json_string("x"));
        hp_error_init(&err);
        b.epoch = 99;
        ck_assert_int_eq(progress_from_json(&b, j, &err), -1);
        ck_assert_str_eq(err.path, broken[i][1]);
        ck_assert_int_eq(b.epoch, 99);
        json_decref(j);
    }
    progress_free(&a);
    progress_free(&b);
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_checkpoint_round_trip_is_bit_exact);
    tcase_add_test(tc, test_checkpoint_file_layout_is_as_documented);
    tcase_add_test(tc, test_checkpoint_truncated_file_is_refused);
    tcase_add_test(tc, test_checkpoint_size_check_names_the_real_byte_counts);
    tcase_add_test(tc, test_checkpoint_flipped_byte_is_refused_by_checksum);
    tcase_add_test(tc, test_checkpoint_bad_magic_and_version_are_refused);
    tcase_add_test(tc, test_checkpoint_wrong_architecture_is_refused);
    tcase_add_test(tc, test_checkpoint_atomic_save_leaves_no_temporary_file);
    tcase_add_test(tc, test_checkpoint_missing_file_is_reported);
    tcase_add_test(tc, test_checkpoint_transfer_keeps_the_new_head);
    tcase_add_test(tc, test_progress_round_trips_bit_exactly_through_a_checkpoint);
    tcase_add_test(tc, test_progress_refuses_a_bad_state_and_stays_unchanged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hp_check_run(checkpoint_suite());
}
