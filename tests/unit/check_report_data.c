/*
 * The HTML report's pieces that can be checked without a sweep: curve
 * downsampling, the importance measure against values worked out by hand,
 * and the page's embedding of its data.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "report_data.h"
#include "report_html.h"

START_TEST(test_report_downsample_keeps_short_curves_whole)
{
    size_t keep[8];
    ck_assert_uint_eq(report_data_downsample(5, 6, 2, keep), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_uint_eq(keep[i], i);
    ck_assert_uint_eq(report_data_downsample(0, 6, SIZE_MAX, keep), 0);
}
END_TEST

START_TEST(test_report_downsample_keeps_first_last_and_best_in_order)
{
    size_t keep[51];
    for (size_t best = 0; best < 1000; best += 37) {
        size_t n = report_data_downsample(1000, 50, best, keep);
        ck_assert_uint_le(n, 51);
        ck_assert_uint_ge(n, 50);
        ck_assert_uint_eq(keep[0], 0);
        ck_assert_uint_eq(keep[n - 1], 999);
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            found |= keep[i] == best;
            if (i)
                ck_assert_uint_gt(keep[i], keep[i - 1]);
        }
        ck_assert_msg(found, "best point %zu dropped", best);
    }
    /* No best: evenly spaced only. */
    ck_assert_uint_eq(report_data_downsample(1000, 50, SIZE_MAX, keep), 50);
}
END_TEST

START_TEST(test_report_epsilon_squared_by_hand)
{
    /* Groups {1, 2, 3} and {5, 6, 7}: mean 4, SS_total = 2 * (9+4+1) = 28,
     * SS_between = 3 * 4 + 3 * 4 = 24, SS_within = 4, MS_within = 4 / 4 = 1,
     * eps2 = (24 - 1 * 1) / (28 + 1) = 23 / 29. */
    const double y[] = {1, 2, 3, 5, 6, 7};
    const size_t g[] = {0, 0, 0, 1, 1, 1};
    ck_assert_double_eq_tol(report_data_epsilon_squared(y, g, 6, 2), 23.0 / 29.0, 1e-12);
    /* A grouping that explains nothing is clipped to 0, not negative. */
    const size_t mixed[] = {0, 1, 0, 1, 0, 1};
    const double flat[] = {1, 1, 5, 5, 3, 3};
    ck_assert_double_eq(report_data_epsilon_squared(flat, mixed, 6, 2), 0.0);
    /* Perfectly explained: 1. */
    const double two[] = {1, 1, 1, 4, 4, 4};
    ck_assert_double_eq_tol(report_data_epsilon_squared(two, g, 6, 2), 1.0, 1e-12);
}
END_TEST

START_TEST(test_report_epsilon_squared_says_nan_when_it_cannot_tell)
{
    const double y[] = {1, 2, 3};
    const size_t one[] = {0, 0, 0};
    const size_t each[] = {0, 1, 2};
    ck_assert(isnan(report_data_epsilon_squared(y, one, 3, 1)));  /* one group */
    ck_assert(isnan(report_data_epsilon_squared(y, each, 3, 3))); /* n <= k */
    const double same[] = {2, 2, 2, 2};
    const size_t g[] = {0, 0, 1, 1};
    ck_assert(isnan(report_data_epsilon_squared(same, g, 4, 2))); /* no variance */
}
END_TEST

START_TEST(test_report_html_embeds_the_data_so_no_string_can_end_the_script)
{
    json_t *data =
        json_pack("{s:s, s:f}", "name", "</script><script>alert(1)</script>", "x", 0.25);
    size_t len = 0;
    char *page = report_html_render(data, &len);
    ck_assert_ptr_nonnull(page);
    ck_assert_uint_eq(len, strlen(page));
    ck_assert_ptr_null(strstr(page, "@HPSEARCH_DATA@"));
    ck_assert_ptr_null(strstr(page, "alert(1)</script>"));
    /* The blob sits in its element and reads back to the same data. */
    const char *open = "<script type=\"application/json\" id=\"hpsearch-data\">";
    char *start = strstr(page, open);
    ck_assert_ptr_nonnull(start);
    start += strlen(open);
    char *end = strstr(start, "</script>");
    ck_assert_ptr_nonnull(end);
    json_error_t error;
    json_t *back = json_loadb(start, (size_t)(end - start), 0, &error);
    ck_assert_msg(back != NULL, "%s", error.text);
    ck_assert(json_equal(back, data));
    /* One page, closed. */
    ck_assert_ptr_nonnull(strstr(page, "</html>"));
    json_decref(back);
    json_decref(data);
    free(page);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("report_data");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_report_downsample_keeps_short_curves_whole);
    tcase_add_test(tc, test_report_downsample_keeps_first_last_and_best_in_order);
    tcase_add_test(tc, test_report_epsilon_squared_by_hand);
    tcase_add_test(tc, test_report_epsilon_squared_says_nan_when_it_cannot_tell);
    tcase_add_test(tc, test_report_html_embeds_the_data_so_no_string_can_end_the_script);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
