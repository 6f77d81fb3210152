/*
 * PCG32 against the published reference output, and the derived helpers.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "check_main.h"
#include "pcg32.h"

START_TEST(test_pcg32_matches_reference_output_for_42_54)
{
    /* The reference program's first six outputs for initstate 42, initseq 54. */
    static const uint32_t expected[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                        0x83d2f293, 0xbfa4784b, 0xcbed606e};
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 42, 54);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        ck_assert_uint_eq(hp_pcg32_next(&rng), expected[i]);
}
END_TEST

START_TEST(test_pcg32_bounded_stays_in_range_and_covers_it)
{
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 1, 2);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint32_t r = hp_pcg32_bounded(&rng, 7);
        ck_assert_uint_lt(r, 7);
        seen[r]++;
    }
    for (int b = 0; b < 7; b++)
        ck_assert_int_gt(seen[b], 800);
}
END_TEST

START_TEST(test_pcg32_double_and_float_are_in_unit_interval)
{
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 3, 4);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double d = hp_pcg32_double(&rng);
        float f = hp_pcg32_float(&rng);
        ck_assert(d >= 0.0 && d < 1.0);
        ck_assert(f >= 0.0f && f < 1.0f);
        sum += d;
    }
    ck_assert_double_eq_tol(sum / 100000, 0.5, 0.01);
}
END_TEST

START_TEST(test_pcg32_normal_has_unit_moments)
{
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 5, 6);
    double sum = 0, sq = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = hp_pcg32_normal(&rng);
        ck_assert(isfinite(x));
        sum += x;
        sq += x * x;
    }
    ck_assert_double_eq_tol(sum / n, 0.0, 0.01);
    ck_assert_double_eq_tol(sq / n, 1.0, 0.02);
}
END_TEST

START_TEST(test_pcg32_derive_separates_purposes_and_repeats)
{
    struct hp_pcg32 a, b, c;
    hp_pcg32_derive(&a, 7, 1);
    hp_pcg32_derive(&b, 7, 1);
    hp_pcg32_derive(&c, 7, 2);
    int same_as_c = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t x = hp_pcg32_next(&a);
        ck_assert_uint_eq(x, hp_pcg32_next(&b));
        same_as_c += x == hp_pcg32_next(&c);
    }
    ck_assert_int_lt(same_as_c, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pcg32");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_pcg32_matches_reference_output_for_42_54);
    tcase_add_test(tc, test_pcg32_bounded_stays_in_range_and_covers_it);
    tcase_add_test(tc, test_pcg32_double_and_float_are_in_unit_interval);
    tcase_add_test(tc, test_pcg32_normal_has_unit_moments);
    tcase_add_test(tc, test_pcg32_derive_separates_purposes_and_repeats);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
