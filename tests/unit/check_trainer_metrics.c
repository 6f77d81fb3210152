/*
 * Confusion matrices, recall and macro-F1, the gradient flag and the fit
 * verdict against values worked out by hand.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "metrics.h"

/* Adds one row predicted as `predicted` with true class `truth`. */
static void add_row(struct confusion *c, int truth, int predicted)
{
    float logits[8] = {0};
    logits[predicted] = 1.0f;
    int32_t y = truth;
    metrics_confusion_add(c, logits, &y, 1);
}

/* rows = true class:  [[5, 1, 0], [2, 3, 1], [0, 0, 0]] */
static void make_example(struct confusion *c)
{
    ck_assert_int_eq(metrics_confusion_init(c, 3), 0);
    const int counts[3][3] = {{5, 1, 0}, {2, 3, 1}, {0, 0, 0}};
    for (int t = 0; t < 3; t++)
        for (int p = 0; p < 3; p++)
            for (int k = 0; k < counts[t][p]; k++)
                add_row(c, t, p);
}

START_TEST(test_confusion_counts_true_rows_by_predicted_columns)
{
    struct confusion c;
    make_example(&c);
    const uint64_t want[9] = {5, 1, 0, 2, 3, 1, 0, 0, 0};
    for (int i = 0; i < 9; i++)
        ck_assert_uint_eq(c.counts[i], want[i]);
    char text[256];
    ck_assert_int_eq(metrics_json_confusion(text, sizeof text, &c), 0);
    ck_assert_str_eq(text, "[[5, 1, 0], [2, 3, 1], [0, 0, 0]]");
    ck_assert_int_eq(metrics_json_confusion(text, 10, &c), -1);
    metrics_confusion_clear(&c);
    ck_assert_uint_eq(c.counts[0], 0);
    metrics_confusion_free(&c);
}
END_TEST

START_TEST(test_recall_and_macro_f1_match_hand_computed_values)
{
    struct confusion c;
    make_example(&c);
    double recall[3];
    metrics_recall(&c, recall);
    ck_assert_double_eq_tol(recall[0], 5.0 / 6.0, 1e-15);
    ck_assert_double_eq_tol(recall[1], 0.5, 1e-15);
    ck_assert_double_eq(recall[2], 0.0); /* no rows of class 2 */
    /* F1: class 0 = 10 / 13, class 1 = 6 / 10, class 2 = 0 (one false
     * positive, no true positive). */
    ck_assert_double_eq_tol(metrics_macro_f1(&c), (10.0 / 13.0 + 0.6 + 0.0) / 3.0, 1e-15);
    metrics_confusion_free(&c);
}
END_TEST

START_TEST(test_grad_flag_thresholds)
{
    const double ok[] = {0.3, 1.0};
    const double tiny[] = {1e-7, 1.0};
    const double ratio[] = {1e-4, 1.0};
    const double fine_ratio[] = {2e-3, 1.0};
    const double big[] = {1.0, 200.0};
    const double nan[] = {NAN, 1.0};
    const double single[] = {1e-5};
    ck_assert_str_eq(metrics_grad_flag(ok, 2), "ok");
    ck_assert_str_eq(metrics_grad_flag(tiny, 2), "vanishing");
    ck_assert_str_eq(metrics_grad_flag(ratio, 2), "vanishing");
    ck_assert_str_eq(metrics_grad_flag(fine_ratio, 2), "ok");
    ck_assert_str_eq(metrics_grad_flag(big, 2), "exploding");
    ck_assert_str_eq(metrics_grad_flag(nan, 2), "exploding");
    ck_assert_str_eq(metrics_grad_flag(single, 1), "ok");
}
END_TEST

START_TEST(test_fit_verdicts)
{
    char reason[512];
    const struct epoch_record overfit[] = {
        {1.0, 1.0, 0.5}, {0.7, 0.8, 0.6}, {0.5, 0.9, 0.6}};
    ck_assert_str_eq(metrics_fit(overfit, 3, reason, sizeof reason), "overfit");
    ck_assert_msg(strstr(reason, "val_loss rose from 0.8 (epoch 2) to 0.9") != NULL, "%s",
                  reason);
    const struct epoch_record underfit[] = {{1.0, 1.0, 0.5}, {0.95, 0.9, 0.6}};
    ck_assert_str_eq(metrics_fit(underfit, 2, reason, sizeof reason), "underfit");
    const struct epoch_record good[] = {
        {1.0, 1.0, 0.5}, {0.7, 0.8, 0.6}, {0.69, 0.81, 0.6}};
    ck_assert_str_eq(metrics_fit(good, 3, reason, sizeof reason), "good");
    /* Converged: still at its lowest, but the training loss barely moves. */
    const struct epoch_record flat[] = {{1.0, 1.0, 0.5}, {0.999, 0.9, 0.6}};
    ck_assert_str_eq(metrics_fit(flat, 2, reason, sizeof reason), "good");
    ck_assert_str_eq(metrics_fit(good, 1, reason, sizeof reason), "unknown");
}
END_TEST

START_TEST(test_json_numbers_are_shortest_round_trip)
{
    const double values[] = {0.1, 2.0, NAN, 1e-300};
    char text[128];
    ck_assert_int_eq(metrics_json_numbers(text, sizeof text, values, 4), 0);
    ck_assert_str_eq(text, "[0.1, 2, NaN, 1e-300]");
    ck_assert_int_eq(metrics_json_numbers(text, sizeof text, values, 0), 0);
    ck_assert_str_eq(text, "[]");
    ck_assert_int_eq(metrics_json_numbers(text, 8, values, 4), -1);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("formulas");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_confusion_counts_true_rows_by_predicted_columns);
    tcase_add_test(tc, test_recall_and_macro_f1_match_hand_computed_values);
    tcase_add_test(tc, test_grad_flag_thresholds);
    tcase_add_test(tc, test_fit_verdicts);
    tcase_add_test(tc, test_json_numbers_are_shortest_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hp_check_run(metrics_suite());
}
