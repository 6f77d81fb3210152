/*
 * Data augmentation: shifts move the image and fill with the background,
 * flips mirror it, noise has the asked spread, and all of it comes from the
 * generator passed in.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "augment.h"
#include "check_main.h"

enum { W = 5, H = 4, DIM = W * H };

static void make_image(float *x)
{
    for (int i = 0; i < DIM; i++)
        x[i] = (float)(i + 1);
}

/* Whether `out` is `in` moved by (dx, dy), optionally flipped first. */
static int is_moved(const float *out, const float *in, int dx, int dy, int flip,
                    float background)
{
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            int sr = r - dy;
            int sc = c - dx;
            float want = background;
            if (sr >= 0 && sr < H && sc >= 0 && sc < W)
                want = in[sr * W + (flip ? W - 1 - sc : sc)];
            if (out[r * W + c] != want)
                return 0;
        }
    return 1;
}

START_TEST(test_augment_shift_moves_within_range_and_fills_background)
{
    struct augment a = {.shift = 1, .width = W, .height = H, .background = -7.0f};
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 5, 6);
    int seen[3][3] = {{0}};
    float in[DIM];
    float x[DIM];
    float scratch[DIM];
    make_image(in);
    for (int trial = 0; trial < 200; trial++) {
        memcpy(x, in, sizeof x);
        augment_batch(&a, x, 1, DIM, scratch, &rng);
        int found = 0;
        for (int dy = -1; dy <= 1 && !found; dy++)
            for (int dx = -1; dx <= 1 && !found; dx++)
                if (is_moved(x, in, dx, dy, 0, -7.0f)) {
                    seen[dy + 1][dx + 1]++;
                    found = 1;
                }
        ck_assert_msg(found, "trial %d: not a shift of the image by at most 1", trial);
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            ck_assert_int_gt(seen[i][j], 5);
}
END_TEST

START_TEST(test_augment_flip_mirrors_rows)
{
    struct augment a = {.flip = 1.0f, .width = W, .height = H};
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 1, 2);
    float in[DIM];
    float x[2 * DIM];
    float scratch[DIM];
    make_image(in);
    memcpy(x, in, sizeof in);
    memcpy(x + DIM, in, sizeof in);
    augment_batch(&a, x, 2, DIM, scratch, &rng);
    ck_assert(is_moved(x, in, 0, 0, 1, 0.0f));
    ck_assert(is_moved(x + DIM, in, 0, 0, 1, 0.0f));
    ck_assert_float_eq(x[0], in[W - 1]);
}
END_TEST

START_TEST(test_augment_noise_has_the_asked_spread_and_is_seeded)
{
    enum { N = 2000 };
    static float x[N * DIM];
    static float y[N * DIM];
    float scratch[DIM];
    struct augment a = {.noise = 0.5f};
    struct hp_pcg32 r1;
    struct hp_pcg32 r2;
    hp_pcg32_seed(&r1, 9, 10);
    r2 = r1;
    augment_batch(&a, x, N, DIM, scratch, &r1);
    augment_batch(&a, y, N, DIM, scratch, &r2);
    ck_assert_int_eq(memcmp(x, y, sizeof x), 0);
    double sum = 0.0;
    double sq = 0.0;
    for (int i = 0; i < N * DIM; i++) {
        ck_assert_float_le(fabsf(x[i]), 0.5f * sqrtf(3.0f));
        sum += x[i];
        sq += (double)x[i] * x[i];
    }
    double mean = sum / (N * DIM);
    double sd = sqrt(sq / (N * DIM) - mean * mean);
    ck_assert_double_eq_tol(mean, 0.0, 0.01);
    ck_assert_double_eq_tol(sd, 0.5, 0.01);
}
END_TEST

START_TEST(test_augment_inactive_draws_nothing)
{
    struct augment a = {.width = W, .height = H};
    ck_assert(!augment_active(&a));
    a.flip = 0.5f;
    ck_assert(augment_active(&a));
}
END_TEST

static Suite *augment_suite(void)
{
    Suite *s = suite_create("augment");
    TCase *tc = tcase_create("transforms");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_augment_shift_moves_within_range_and_fills_background);
    tcase_add_test(tc, test_augment_flip_mirrors_rows);
    tcase_add_test(tc, test_augment_noise_has_the_asked_spread_and_is_seeded);
    tcase_add_test(tc, test_augment_inactive_draws_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hp_check_run(augment_suite());
}
