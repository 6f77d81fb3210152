/*
 * The paired t, Welch t and Wilcoxon signed-rank tests against published
 * results and values worked out by hand. Each expected value says where it
 * comes from.
 */
#include <check.h>
#include <math.h>

#include "check_main.h"
#include "hypothesis.h"

/* Student's (1908) sleep data as in R's `sleep` data set: extra hours of
 * sleep of 10 patients under two drugs. */
static const double SLEEP_1[] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
static const double SLEEP_2[] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};

START_TEST(test_hypothesis_paired_t_matches_student_sleep_data)
{
    /* R: t.test(extra ~ group, data = sleep, paired = TRUE) prints
     * t = -4.0621, df = 9, p-value = 0.002833,
     * 95 percent CI -2.4598858 -0.7001142, mean difference -1.58. */
    double d[10];
    for (size_t i = 0; i < 10; i++)
        d[i] = SLEEP_1[i] - SLEEP_2[i];
    struct hypothesis_t t;
    ck_assert_int_eq(hypothesis_paired_t(d, 10, &t), 0);
    ck_assert_uint_eq(t.n, 10);
    ck_assert_double_eq_tol(t.difference, -1.58, 1e-12);
    ck_assert_double_eq_tol(t.t, -4.0621, 5e-5);
    ck_assert_double_eq(t.df, 9.0);
    ck_assert_double_eq_tol(t.p, 0.002833, 5e-7);
    ck_assert_double_eq_tol(t.ci_low, -2.4598858, 5e-7);
    ck_assert_double_eq_tol(t.ci_high, -0.7001142, 5e-7);
}
END_TEST

START_TEST(test_hypothesis_welch_t_matches_student_sleep_data)
{
    /* R: t.test(extra ~ group, data = sleep) (Welch by default) prints
     * t = -1.8608, df = 17.776, p-value = 0.07939,
     * 95 percent CI -3.3654832 0.2054832. */
    struct hypothesis_t t;
    ck_assert_int_eq(hypothesis_welch_t(SLEEP_1, 10, SLEEP_2, 10, &t), 0);
    ck_assert_uint_eq(t.n, 20);
    ck_assert_double_eq_tol(t.difference, -1.58, 1e-12);
    ck_assert_double_eq_tol(t.t, -1.8608, 5e-5);
    ck_assert_double_eq_tol(t.df, 17.776, 5e-4);
    ck_assert_double_eq_tol(t.p, 0.07939, 5e-6);
    ck_assert_double_eq_tol(t.ci_low, -3.3654832, 5e-7);
    ck_assert_double_eq_tol(t.ci_high, 0.2054832, 5e-7);
}
END_TEST

START_TEST(test_hypothesis_welch_t_with_unequal_sizes_by_hand)
{
    /* a = 1, 2, 3 (mean 2, s^2 1); b = 2, 4, 6, 8 (mean 5, s^2 20/3).
     * va = 1/3, vb = 5/3, se = sqrt(2), t = -3 / sqrt(2) = -2.1213203;
     * df = 4 / ((1/9) / 2 + (25/9) / 3) = 4 / (1/18 + 25/27) = 216 / 53
     * = 4.0754717. */
    const double a[] = {1, 2, 3};
    const double b[] = {2, 4, 6, 8};
    struct hypothesis_t t;
    ck_assert_int_eq(hypothesis_welch_t(a, 3, b, 4, &t), 0);
    ck_assert_double_eq_tol(t.difference, -3.0, 1e-12);
    ck_assert_double_eq_tol(t.std_error, sqrt(2.0), 1e-12);
    ck_assert_double_eq_tol(t.t, -2.1213203, 1e-7);
    ck_assert_double_eq_tol(t.df, 216.0 / 53.0, 1e-12);
    ck_assert(t.p > 0.05 && t.p < 0.2);
}
END_TEST

START_TEST(test_hypothesis_t_tests_refuse_fewer_than_two_values)
{
    const double one[] = {0.5};
    const double two[] = {0.5, NAN};
    struct hypothesis_t t;
    ck_assert_int_eq(hypothesis_paired_t(one, 1, &t), -1);
    ck_assert_int_eq(hypothesis_paired_t(two, 2, &t), -1);
    ck_assert_int_eq(hypothesis_welch_t(one, 1, SLEEP_1, 10, &t), -1);
    ck_assert_int_eq(hypothesis_welch_t(SLEEP_1, 10, one, 1, &t), -1);
}
END_TEST

START_TEST(test_hypothesis_paired_t_without_spread_is_certain)
{
    /* Every seed gains exactly 0.01: no noise, so the interval is the point
     * and the difference is certain (p = 0); no difference at all gives p = 1. */
    const double same[] = {0.01, 0.01, 0.01};
    const double none[] = {0, 0, 0};
    struct hypothesis_t t;
    ck_assert_int_eq(hypothesis_paired_t(same, 3, &t), 0);
    ck_assert_double_eq(t.p, 0.0);
    ck_assert(isinf(t.t) && t.t > 0);
    ck_assert_double_eq(t.ci_low, 0.01);
    ck_assert_double_eq(t.ci_high, 0.01);
    ck_assert_int_eq(hypothesis_paired_t(none, 3, &t), 0);
    ck_assert_double_eq(t.p, 1.0);
    ck_assert(isnan(t.t));
}
END_TEST

START_TEST(test_hypothesis_signed_rank_cdf_counts_subsets)
{
    /* n = 3: the 8 subsets of {1, 2, 3} have sums 0 1 2 3 3 4 5 6, so
     * P(W <= 0) = 1/8, P(W <= 3) = 5/8, P(W <= 6) = 1. */
    ck_assert_double_eq_tol(hypothesis_signed_rank_cdf(0, 3), 1.0 / 8, 1e-15);
    ck_assert_double_eq_tol(hypothesis_signed_rank_cdf(3, 3), 5.0 / 8, 1e-15);
    ck_assert_double_eq_tol(hypothesis_signed_rank_cdf(6, 3), 1.0, 1e-15);
    ck_assert_double_eq(hypothesis_signed_rank_cdf(-1, 3), 0.0);
    /* n = 9: the subsets with sums <= 5 are {}, 1, 2, 3, 12, 4, 13, 5, 14, 23:
     * 10 of 512. */
    ck_assert_double_eq_tol(hypothesis_signed_rank_cdf(5, 9), 10.0 / 512, 1e-15);
    /* Symmetry: P(W <= k) = P(W >= n(n+1)/2 - k) = 1 - P(W <= n(n+1)/2 - k - 1). */
    for (int k = 0; k < 100; k++)
        ck_assert_double_eq_tol(hypothesis_signed_rank_cdf(k, 20),
                                1.0 - hypothesis_signed_rank_cdf(210 - k - 1, 20), 1e-12);
}
END_TEST

START_TEST(test_hypothesis_wilcoxon_exact_matches_hollander_wolfe)
{
    /* Hollander & Wolfe (1973), p. 29: Hamilton depression scale before (x)
     * and after (y) a tranquilizer, the example of R's wilcox.test, where
     * wilcox.test(x, y, paired = TRUE, alternative = "greater") prints
     * V = 40, p-value = 0.01953 (= 10/512); two-sided it is 20/512. By hand:
     * the negative differences -0.08 and -0.147 have ranks 2 and 3, W- = 5. */
    const double x[] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    const double y[] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    double d[9];
    for (size_t i = 0; i < 9; i++)
        d[i] = x[i] - y[i];
    struct hypothesis_wilcoxon w;
    ck_assert_int_eq(hypothesis_wilcoxon(d, 9, 1e-9, &w), 0);
    ck_assert_int_eq(w.method, WILCOXON_EXACT);
    ck_assert_uint_eq(w.n, 9);
    ck_assert_uint_eq(w.zeros, 0);
    ck_assert_uint_eq(w.tie_groups, 0);
    ck_assert_double_eq(w.w_plus, 40);
    ck_assert_double_eq(w.w_minus, 5);
    ck_assert_double_eq_tol(w.p, 20.0 / 512, 1e-15);
    ck_assert(isnan(w.z));
    ck_assert_str_eq(hypothesis_wilcoxon_method_name(w.method), "exact");
}
END_TEST

START_TEST(test_hypothesis_wilcoxon_with_ties_and_a_zero_matches_sleep_data)
{
    /* R: wilcox.test(extra ~ group, data = sleep, paired = TRUE) prints
     * V = 0, p-value = 0.009091 (normal approximation, with warnings that
     * ties and zeroes rule out the exact p). By hand: the zero difference
     * (patient 5) is dropped, n = 9, |d| 1.3 twice shares rank 4.5, so
     * var = 9*10*19/24 - (8 - 2)/48 = 71.125, z = (0 - 22.5 + 0.5) / sqrt(var)
     * = -2.60862. */
    double d[10];
    for (size_t i = 0; i < 10; i++)
        d[i] = SLEEP_1[i] - SLEEP_2[i];
    struct hypothesis_wilcoxon w;
    ck_assert_int_eq(hypothesis_wilcoxon(d, 10, 1e-9, &w), 0);
    ck_assert_int_eq(w.method, WILCOXON_NORMAL);
    ck_assert_uint_eq(w.n, 9);
    ck_assert_uint_eq(w.zeros, 1);
    ck_assert_uint_eq(w.tie_groups, 1);
    ck_assert_double_eq(w.w_plus, 0);
    ck_assert_double_eq(w.w_minus, 45);
    ck_assert_double_eq_tol(w.z, -2.60862, 5e-6);
    ck_assert_double_eq_tol(w.p, 0.009091, 5e-7);
}
END_TEST

START_TEST(test_hypothesis_wilcoxon_tolerance_decides_zeros_and_ties)
{
    /* 0.3 - 0.1 - 0.2 is -2.8e-17 in doubles, and 0.7 - 0.2 differs from 0.5
     * in the last bit: within a tolerance they are a zero and a tie; with
     * none, neither, and the exact distribution applies. */
    const double d[] = {0.3 - 0.1 - 0.2, 0.5, -(0.7 - 0.2), 1.0};
    struct hypothesis_wilcoxon w;
    ck_assert_int_eq(hypothesis_wilcoxon(d, 4, 1e-12, &w), 0);
    ck_assert_uint_eq(w.zeros, 1);
    ck_assert_uint_eq(w.n, 3);
    ck_assert_uint_eq(w.tie_groups, 1);
    ck_assert_double_eq(w.w_plus, 1.5 + 3); /* 0.5 and 1.0 */
    ck_assert_double_eq(w.w_minus, 1.5);
    ck_assert_int_eq(w.method, WILCOXON_NORMAL);
    ck_assert_int_eq(hypothesis_wilcoxon(d, 4, 0, &w), 0);
    ck_assert_uint_eq(w.zeros, 0);
    ck_assert_uint_eq(w.n, 4);
    ck_assert_int_eq(w.method, WILCOXON_EXACT);
}
END_TEST

START_TEST(test_hypothesis_wilcoxon_all_zero_differences_is_no_evidence)
{
    const double d[] = {0, 0, 0};
    struct hypothesis_wilcoxon w;
    ck_assert_int_eq(hypothesis_wilcoxon(d, 3, 0, &w), 0);
    ck_assert_int_eq(w.method, WILCOXON_NONE);
    ck_assert_uint_eq(w.n, 0);
    ck_assert_uint_eq(w.zeros, 3);
    ck_assert_double_eq(w.p, 1.0);
    ck_assert_str_eq(hypothesis_wilcoxon_method_name(w.method), "none");
    ck_assert_int_eq(hypothesis_wilcoxon(d, 0, 0, &w), -1);
}
END_TEST

START_TEST(test_hypothesis_wilcoxon_all_one_sign_by_hand)
{
    /* Five positive differences: W+ = 15, and only the empty subset has
     * W- <= 0, so p = 2 * 1/32 = 0.0625: five seeds can never reach 5%. */
    const double d[] = {0.05, 0.01, 0.04, 0.02, 0.03};
    struct hypothesis_wilcoxon w;
    ck_assert_int_eq(hypothesis_wilcoxon(d, 5, 0, &w), 0);
    ck_assert_int_eq(w.method, WILCOXON_EXACT);
    ck_assert_double_eq(w.w_plus, 15);
    ck_assert_double_eq_tol(w.p, 0.0625, 1e-15);
}
END_TEST

START_TEST(test_hypothesis_wilcoxon_normal_from_fifty_pairs_by_hand)
{
    /* d = 1, -2, 3, -4, ..., 49, -50: no ties, but n = 50 is past the exact
     * range. W+ = 1 + 3 + ... + 49 = 625, mean 50*51/4 = 637.5,
     * var = 50*51*101/24 = 10731.25, z = (625 - 637.5 + 0.5) / sqrt(var)
     * = -0.1158393, p = erfc(0.1158393 / sqrt 2) = 0.9077799. */
    double d[50];
    for (int i = 0; i < 50; i++)
        d[i] = (i % 2 == 0 ? 1 : -1) * (double)(i + 1);
    struct hypothesis_wilcoxon w;
    ck_assert_int_eq(hypothesis_wilcoxon(d, 50, 0, &w), 0);
    ck_assert_int_eq(w.method, WILCOXON_NORMAL);
    ck_assert_double_eq(w.w_plus, 625);
    ck_assert_double_eq(w.w_minus, 650);
    ck_assert_double_eq_tol(w.z, -0.1158393, 1e-7);
    ck_assert_double_eq_tol(w.p, 0.9077799, 1e-7);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hypothesis");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_hypothesis_paired_t_matches_student_sleep_data);
    tcase_add_test(tc, test_hypothesis_welch_t_matches_student_sleep_data);
    tcase_add_test(tc, test_hypothesis_welch_t_with_unequal_sizes_by_hand);
    tcase_add_test(tc, test_hypothesis_t_tests_refuse_fewer_than_two_values);
    tcase_add_test(tc, test_hypothesis_paired_t_without_spread_is_certain);
    tcase_add_test(tc, test_hypothesis_signed_rank_cdf_counts_subsets);
    tcase_add_test(tc, test_hypothesis_wilcoxon_exact_matches_hollander_wolfe);
    tcase_add_test(tc, test_hypothesis_wilcoxon_with_ties_and_a_zero_matches_sleep_data);
    tcase_add_test(tc, test_hypothesis_wilcoxon_tolerance_decides_zeros_and_ties);
    tcase_add_test(tc, test_hypothesis_wilcoxon_all_zero_differences_is_no_evidence);
    tcase_add_test(tc, test_hypothesis_wilcoxon_all_one_sign_by_hand);
    tcase_add_test(tc, test_hypothesis_wilcoxon_normal_from_fifty_pairs_by_hand);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
