/*
 * Aggregation statistics against values computed by hand (and Student-t
 * quantiles against published table values).
 */
#include <check.h>
#include <math.h>

#include "check_main.h"
#include "state.h"
#include "stats.h"

START_TEST(test_stats_t_quantile_matches_published_table)
{
    /* Two-sided 95% critical values from standard t tables. */
    const double df[] = {1, 2, 4, 9, 29, 100};
    const double t975[] = {12.7062, 4.3027, 2.7764, 2.2622, 2.0452, 1.9840};
    for (size_t i = 0; i < sizeof df / sizeof df[0]; i++)
        ck_assert_double_eq_tol(stats_t_quantile(0.975, df[i]), t975[i], 5e-4);
    ck_assert_double_eq_tol(stats_t_cdf(0.0, 5), 0.5, 1e-12);
    ck_assert_double_eq_tol(stats_t_quantile(0.025, 4), -2.7764, 5e-4);
}
END_TEST

START_TEST(test_stats_summary_of_three_seeds_by_hand)
{
    /* values 0.80, 0.82, 0.84: mean 0.82; deviations -0.02, 0, 0.02;
     * s^2 = 0.0008 / 2 = 0.0004, s = 0.02; half-width = 4.302653 * 0.02 / sqrt(3)
     * = 0.049682. */
    const double values[] = {0.80, 0.82, 0.84};
    struct stats_summary s;
    stats_summarize(values, 3, &s);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_double_eq_tol(s.mean, 0.82, 1e-12);
    ck_assert_double_eq_tol(s.std, 0.02, 1e-12);
    ck_assert_double_eq_tol(s.ci_low, 0.82 - 0.049682, 1e-5);
    ck_assert_double_eq_tol(s.ci_high, 0.82 + 0.049682, 1e-5);
    ck_assert_double_eq(s.min, 0.80);
    ck_assert_double_eq(s.max, 0.84);
}
END_TEST

START_TEST(test_stats_one_value_claims_no_interval)
{
    const double one[] = {0.9};
    struct stats_summary s;
    stats_summarize(one, 1, &s);
    ck_assert_double_eq(s.mean, 0.9);
    ck_assert_double_eq(s.std, 0.0);
    ck_assert(isnan(s.ci_low) && isnan(s.ci_high));
    stats_summarize(one, 0, &s);
    ck_assert(isnan(s.mean));
    ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(test_stats_ranking_orders_by_mean_then_puts_failures_last)
{
    struct config_record configs[4] = {0};
    const double means[] = {0.7, NAN, 0.9, 0.8};
    for (size_t i = 0; i < 4; i++) {
        configs[i].index = i;
        configs[i].complete = 1;
        configs[i].summary.mean = means[i];
        configs[i].summary.n = isnan(means[i]) ? 0 : 3;
    }
    size_t order[4];
    ck_assert_uint_eq(state_rank(configs, 4, 1, order), 4);
    ck_assert_uint_eq(order[0], 2);
    ck_assert_uint_eq(order[1], 3);
    ck_assert_uint_eq(order[2], 0);
    ck_assert_uint_eq(order[3], 1);
    ck_assert_uint_eq(state_rank(configs, 4, 0, order), 4); /* minimise */
    ck_assert_uint_eq(order[0], 0);
    ck_assert_uint_eq(order[3], 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_stats_t_quantile_matches_published_table);
    tcase_add_test(tc, test_stats_summary_of_three_seeds_by_hand);
    tcase_add_test(tc, test_stats_one_value_claims_no_interval);
    tcase_add_test(tc, test_stats_ranking_orders_by_mean_then_puts_failures_last);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
