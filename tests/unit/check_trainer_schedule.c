/*
 * Learning-rate schedules against values computed by hand.
 */
#include <check.h>
#include <math.h>

#include "check_main.h"
#include "schedule.h"

static struct schedule make(enum schedule_kind kind)
{
    return (struct schedule){.kind = kind,
                             .lr = 0.1,
                             .lr_min = 0.001,
                             .gamma = 0.5,
                             .step_epochs = 3,
                             .warmup_epochs = 0,
                             .horizon = 10,
                             .batches_per_epoch = 4};
}

START_TEST(test_schedule_constant_stays_put)
{
    struct schedule s = make(SCHEDULE_CONSTANT);
    ck_assert_double_eq(schedule_lr(&s, 0, 0), 0.1);
    ck_assert_double_eq(schedule_lr(&s, 9, 3), 0.1);
}
END_TEST

START_TEST(test_schedule_step_decays_every_step_epochs)
{
    struct schedule s = make(SCHEDULE_STEP);
    ck_assert_double_eq(schedule_lr(&s, 0, 0), 0.1);
    ck_assert_double_eq(schedule_lr(&s, 2, 3), 0.1);
    ck_assert_double_eq_tol(schedule_lr(&s, 3, 0), 0.05, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&s, 5, 3), 0.05, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&s, 6, 0), 0.025, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&s, 9, 1), 0.0125, 1e-15);
}
END_TEST

START_TEST(test_schedule_cosine_runs_from_lr_to_lr_min)
{
    struct schedule s = make(SCHEDULE_COSINE);
    /* 40 updates: the first at lr, the 21st (u = 20) halfway, the end near lr_min. */
    ck_assert_double_eq_tol(schedule_lr(&s, 0, 0), 0.1, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&s, 5, 0), (0.1 + 0.001) / 2, 1e-15);
    double quarter = 0.001 + 0.099 * 0.5 * (1.0 + cos(3.14159265358979323846 / 4));
    ck_assert_double_eq_tol(schedule_lr(&s, 2, 2), quarter, 1e-15);
    ck_assert_double_lt(schedule_lr(&s, 9, 3), 0.0012);
    ck_assert_double_gt(schedule_lr(&s, 9, 3), 0.001);
}
END_TEST

START_TEST(test_schedule_warmup_climbs_linearly_then_hands_over)
{
    struct schedule s = make(SCHEDULE_COSINE);
    s.warmup_epochs = 2; /* 8 warm-up updates */
    ck_assert_double_eq_tol(schedule_lr(&s, 0, 0), 0.1 / 8, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&s, 0, 3), 0.1 * 4 / 8, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&s, 1, 3), 0.1, 1e-15);
    /* Cosine over the 32 updates after the warm-up: u = 16 is halfway. */
    ck_assert_double_eq_tol(schedule_lr(&s, 2, 0), 0.1, 1e-15);
    ck_assert_double_eq_tol(schedule_lr(&s, 6, 0), (0.1 + 0.001) / 2, 1e-15);
    struct schedule c = make(SCHEDULE_CONSTANT);
    c.warmup_epochs = 1;
    ck_assert_double_eq_tol(schedule_lr(&c, 0, 1), 0.05, 1e-15);
    ck_assert_double_eq(schedule_lr(&c, 1, 0), 0.1);
}
END_TEST

START_TEST(test_schedule_cosine_follows_its_horizon_not_the_run)
{
    /* The rate at a position depends on the horizon only: a run of 3 epochs
     * on a horizon of 10 sees the first 3 epochs of the 10-epoch curve, and
     * past the horizon the rate stays at lr_min. */
    struct schedule s = make(SCHEDULE_COSINE);
    ck_assert_double_eq_tol(schedule_lr(&s, 5, 0), (0.1 + 0.001) / 2, 1e-15);
    ck_assert_double_eq(schedule_lr(&s, 10, 0), 0.001);
    ck_assert_double_eq(schedule_lr(&s, 14, 3), 0.001);
    s.horizon = 20;
    ck_assert_double_eq_tol(schedule_lr(&s, 10, 0), (0.1 + 0.001) / 2, 1e-15);
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("formulas");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_schedule_constant_stays_put);
    tcase_add_test(tc, test_schedule_step_decays_every_step_epochs);
    tcase_add_test(tc, test_schedule_cosine_runs_from_lr_to_lr_min);
    tcase_add_test(tc, test_schedule_warmup_climbs_linearly_then_hands_over);
    tcase_add_test(tc, test_schedule_cosine_follows_its_horizon_not_the_run);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hp_check_run(schedule_suite());
}
