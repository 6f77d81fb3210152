/*
 * Ranking (ranking.c): the order of complete configs (by mean under the
 * objective's mode, pruned ones after those that ran their full budget,
 * failed ones last, ties by index), re-scoring a state by another metric,
 * and the Pareto front of several objectives on seed means.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "ranking.h"

enum { CONFIGS = 6, SEEDS = 2, OBJECTIVES = 2 };

/* A hand-made state of CONFIGS configs of SEEDS ok seeds each, and a scan
 * whose two objectives (a max, b min) take the values set by set_values. */
static struct config_record configs[CONFIGS];
static struct seed_record seeds[CONFIGS][SEEDS];
static struct trial_metrics trials[CONFIGS][SEEDS];
static struct trial_metrics *trial_rows[CONFIGS];
static double best_values[CONFIGS][SEEDS][OBJECTIVES];
static double last_values[CONFIGS][SEEDS][OBJECTIVES];
static struct objective_spec objectives[OBJECTIVES] = {
    {"a", 1, SCORE_BEST},
    {"b", 0, SCORE_BEST},
};
static struct sweep_state state;
static struct metrics_scan scan;

static void setup(void)
{
    memset(&state, 0, sizeof state);
    memset(&scan, 0, sizeof scan);
    for (size_t c = 0; c < CONFIGS; c++) {
        configs[c] = (struct config_record){
            .index = c, .seeds = seeds[c], .seed_count = SEEDS, .complete = 1};
        for (size_t s = 0; s < SEEDS; s++) {
            seeds[c][s] =
                (struct seed_record){.seed = s, .status = SEED_OK, .score = NAN};
            trials[c][s] = (struct trial_metrics){.best_value = best_values[c][s],
                                                  .last_value = last_values[c][s]};
            for (size_t k = 0; k < OBJECTIVES; k++)
                best_values[c][s][k] = last_values[c][s][k] = NAN;
        }
        trial_rows[c] = trials[c];
    }
    state.configs = configs;
    state.config_count = CONFIGS;
    scan.objectives = objectives;
    scan.objective_count = OBJECTIVES;
    scan.trials = trial_rows;
    scan.config_count = CONFIGS;
}

/* Both seeds of config c get a ± 0.01 around the means given. */
static void set_values(size_t c, double a, double b)
{
    for (size_t s = 0; s < SEEDS; s++) {
        double wobble = s ? 0.01 : -0.01;
        best_values[c][s][0] = last_values[c][s][0] = a + wobble;
        best_values[c][s][1] = last_values[c][s][1] = b + wobble;
    }
}

static void set_mean(size_t c, double mean)
{
    configs[c].summary = (struct stats_summary){.n = 2, .mean = mean};
}

START_TEST(test_ranking_orders_by_mean_under_the_mode_ties_by_index)
{
    double means[CONFIGS] = {0.5, 0.9, 0.7, 0.9, 0.1, 0.3};
    for (size_t c = 0; c < CONFIGS; c++)
        set_mean(c, means[c]);
    size_t order[CONFIGS];
    ck_assert_uint_eq(ranking_order(configs, CONFIGS, 1, order), CONFIGS);
    size_t want_max[CONFIGS] = {1, 3, 2, 0, 5, 4};
    for (size_t r = 0; r < CONFIGS; r++)
        ck_assert_uint_eq(order[r], want_max[r]);
    ranking_order(configs, CONFIGS, 0, order);
    size_t want_min[CONFIGS] = {4, 5, 0, 2, 1, 3};
    for (size_t r = 0; r < CONFIGS; r++)
        ck_assert_uint_eq(order[r], want_min[r]);
}
END_TEST

START_TEST(test_ranking_puts_pruned_after_full_and_failed_last_skips_incomplete)
{
    set_mean(0, 0.5);
    set_mean(1, 0.99); /* pruned early: its value is over a partial run */
    configs[1].pruned = 1;
    configs[1].reached = 1;
    set_mean(2, 0.2);
    set_mean(3, 0.3); /* pruned later: before config 1 */
    configs[3].pruned = 1;
    configs[3].reached = 3;
    configs[4].summary = (struct stats_summary){.n = 0, .mean = NAN}; /* all failed */
    configs[5].complete = 0;
    size_t order[CONFIGS];
    ck_assert_uint_eq(ranking_order(configs, CONFIGS, 1, order), 5);
    size_t want[5] = {0, 2, 3, 1, 4};
    for (size_t r = 0; r < 5; r++)
        ck_assert_uint_eq(order[r], want[r]);
}
END_TEST

START_TEST(test_ranking_rescore_ranks_by_the_scans_first_objective)
{
    /* By the sweep's own scores config 0 leads; by metric b (min) config 2. */
    double a[CONFIGS] = {0.9, 0.5, 0.1, 0.4, 0.3, 0.2};
    double b[CONFIGS] = {0.8, 0.5, 0.1, 0.4, 0.3, 0.2};
    for (size_t c = 0; c < CONFIGS; c++) {
        set_mean(c, a[c]);
        set_values(c, b[c], 0.0);
    }
    scan.objective_count = 1;
    ranking_rescore(&state, &scan, 0);
    ck_assert_int_eq(state.has_best, 1);
    ck_assert_uint_eq(state.best_config, 2);
    ck_assert_double_eq_tol(configs[0].summary.mean, 0.8, 1e-12);
    ck_assert_double_eq_tol(configs[0].seeds[1].score, 0.81, 1e-12);
    ck_assert_uint_eq(configs[0].summary.n, 2);
    /* The same statistics as the sweep's own: a t interval over two seeds. */
    ck_assert(isfinite(configs[0].summary.ci_low));
    size_t order[CONFIGS];
    ranking_order(configs, CONFIGS, 0, order);
    ck_assert_uint_eq(order[0], 2);
    ck_assert_uint_eq(order[CONFIGS - 1], 0);
}
END_TEST

START_TEST(test_ranking_rescore_leaves_out_seeds_without_the_metric)
{
    set_values(0, 0.5, 0.0);
    best_values[0][1][0] = NAN;
    scan.objective_count = 1;
    ranking_rescore(&state, &scan, 1);
    ck_assert_uint_eq(configs[0].summary.n, 1);
    ck_assert_double_eq_tol(configs[0].summary.mean, 0.49, 1e-12);
}
END_TEST

START_TEST(test_ranking_pareto_front_holds_exactly_the_undominated)
{
    /* (a max, b min): 0 and 4 are dominated (by 1 and by 3), 1, 2, 3 trade
     * a against b, 5 failed every seed. */
    set_values(0, 0.96, 0.36);
    set_values(1, 1.00, 0.16);
    set_values(2, 0.9775, 0.0625);
    set_values(3, 0.84, 0.0);
    set_values(4, 0.64, 0.04);
    seeds[5][0].status = seeds[5][1].status = SEED_FAILED;
    struct pareto p;
    ck_assert_int_eq(ranking_pareto(&p, &state, &scan), 0);
    ck_assert_uint_eq(p.front_count, 3);
    /* Best first by the first objective. */
    ck_assert_uint_eq(p.front[0], 1);
    ck_assert_uint_eq(p.front[1], 2);
    ck_assert_uint_eq(p.front[2], 3);
    ck_assert_int_eq(p.on_front[0], 0);
    ck_assert_int_eq(p.on_front[4], 0);
    ck_assert_int_eq(p.on_front[5], 0);
    /* Each member's seed mean and CI per objective. */
    ck_assert_double_eq_tol(p.summaries[3 * OBJECTIVES + 1].mean, 0.0, 1e-12);
    ck_assert_uint_eq(p.summaries[3 * OBJECTIVES + 1].n, 2);
    ck_assert(isfinite(p.summaries[3 * OBJECTIVES + 1].ci_high));
    ranking_pareto_free(&p);
}
END_TEST

START_TEST(test_ranking_pareto_keeps_ties_and_drops_pruned_and_incomplete)
{
    set_values(0, 0.5, 0.5);
    set_values(1, 0.5, 0.5); /* the same point: neither dominates */
    set_values(2, 0.9, 0.0); /* would dominate all, but pruned */
    configs[2].pruned = 1;
    set_values(3, 0.95, 0.0); /* not complete */
    configs[3].complete = 0;
    set_values(4, 0.5, 0.6); /* dominated by 0 and 1: worse b, same a */
    set_values(5, 0.4, 0.5); /* dominated: worse a, same b */
    struct pareto p;
    ck_assert_int_eq(ranking_pareto(&p, &state, &scan), 0);
    ck_assert_uint_eq(p.front_count, 2);
    ck_assert_uint_eq(p.front[0], 0);
    ck_assert_uint_eq(p.front[1], 1);
    ranking_pareto_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ranking");
    TCase *tc = tcase_create("ranking");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_ranking_orders_by_mean_under_the_mode_ties_by_index);
    tcase_add_test(tc,
                   test_ranking_puts_pruned_after_full_and_failed_last_skips_incomplete);
    tcase_add_test(tc, test_ranking_rescore_ranks_by_the_scans_first_objective);
    tcase_add_test(tc, test_ranking_rescore_leaves_out_seeds_without_the_metric);
    tcase_add_test(tc, test_ranking_pareto_front_holds_exactly_the_undominated);
    tcase_add_test(tc, test_ranking_pareto_keeps_ties_and_drops_pruned_and_incomplete);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
