/*
 * The live progress line fitted to a terminal's width: never wider than the
 * width allows, shortened in the documented order (progress_line.h), and
 * the full line unchanged where there is room (or no terminal).
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "check_main.h"
#include "progress_line.h"

static const struct progress_fields FIELDS = {
    12, 40, 2, 1, 3, 1, "val_accuracy", 0.8712, "c0003-s1", 62.0, 190.0};

static const char *FULL = "done 12/40, running 2, failed 1, pruned 3, best val_accuracy "
                          "0.8712 (c0003-s1), 1m02s elapsed, ETA 3m10s";

START_TEST(test_progress_line_is_the_full_line_without_a_width_or_with_room)
{
    char buf[320];
    progress_line_format(&FIELDS, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, FULL);
    progress_line_format(&FIELDS, strlen(FULL) + 1, buf, sizeof buf);
    ck_assert_str_eq(buf, FULL);
}
END_TEST

START_TEST(test_progress_line_never_reaches_the_last_column_at_any_width)
{
    char buf[320];
    size_t previous = strlen(FULL);
    for (size_t width = 200; width >= 1; width--) {
        progress_line_format(&FIELDS, width, buf, sizeof buf);
        ck_assert_msg(strlen(buf) < width, "width %zu: \"%s\" (%zu columns)", width, buf,
                      strlen(buf));
        ck_assert_msg(strlen(buf) <= previous, "width %zu: longer than at a wider one",
                      width);
        previous = strlen(buf);
    }
}
END_TEST

START_TEST(test_progress_line_gives_up_the_trial_id_first_and_progress_last)
{
    char buf[320];
    /* One column short of the full line: only the best trial's id goes. */
    progress_line_format(&FIELDS, strlen(FULL), buf, sizeof buf);
    ck_assert_str_eq(buf, "done 12/40, running 2, failed 1, pruned 3, best val_accuracy "
                          "0.8712, 1m02s elapsed, ETA 3m10s");
    /* 45 columns: short labels, no elapsed, no metric name. */
    progress_line_format(&FIELDS, 45, buf, sizeof buf);
    ck_assert_str_eq(buf, "12/40, run 2, fail 1, best 0.8712, ETA 3m10s");
    /* Narrow: progress and the ETA stay longest. */
    progress_line_format(&FIELDS, 17, buf, sizeof buf);
    ck_assert_str_eq(buf, "12/40, ETA 3m10s");
    progress_line_format(&FIELDS, 10, buf, sizeof buf);
    ck_assert_str_eq(buf, "12/40");
    progress_line_format(&FIELDS, 4, buf, sizeof buf);
    ck_assert_str_eq(buf, "12/");
}
END_TEST

START_TEST(test_progress_line_without_a_scheduler_best_or_eta_omits_them)
{
    struct progress_fields fields = FIELDS;
    fields.show_pruned = 0;
    fields.best = NAN;
    fields.eta_s = -1;
    fields.planned = 0;
    char buf[320];
    progress_line_format(&fields, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "done 12, running 2, failed 1, 1m02s elapsed");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_progress_line_is_the_full_line_without_a_width_or_with_room);
    tcase_add_test(tc, test_progress_line_never_reaches_the_last_column_at_any_width);
    tcase_add_test(tc, test_progress_line_gives_up_the_trial_id_first_and_progress_last);
    tcase_add_test(tc, test_progress_line_without_a_scheduler_best_or_eta_omits_them);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
