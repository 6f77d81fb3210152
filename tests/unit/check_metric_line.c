/*
 * The metric-line format: writing, parsing, and the non-finite spellings.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "metric_line.h"

/* Writes a line through hp_metric_line_finish into a string. */
static char *render(struct hp_metric_line *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(hp_metric_line_finish(m, out), 0);
    fclose(out);
    return text;
}

START_TEST(test_metric_line_writes_one_json_object_per_line)
{
    struct hp_metric_line m;
    hp_metric_line_init(&m);
    hp_metric_line_add_int(&m, "epoch", 3);
    hp_metric_line_add_number(&m, "val_accuracy", 0.861);
    hp_metric_line_add_string(&m, "note", "a \"quoted\"\nname");
    char *text = render(&m);
    ck_assert_str_eq(text,
                     "{\"epoch\": 3, \"val_accuracy\": 0.861, \"note\": \"a \\\"quoted\\\"\\u000aname\"}\n");
    free(text);
}
END_TEST

START_TEST(test_metric_line_numbers_round_trip_exactly)
{
    const double values[] = {0.1, 1.0 / 3.0, 2.5e-300, 123456789.123456789, -0.0, 1e22};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buf[40];
        hp_format_number(buf, sizeof buf, values[i]);
        ck_assert(strtod(buf, NULL) == values[i]);
    }
    char buf[40];
    hp_format_number(buf, sizeof buf, 0.861);
    ck_assert_str_eq(buf, "0.861");
}
END_TEST

START_TEST(test_metric_line_parses_objects_and_rejects_log_text)
{
    const char *line = "{\"epoch\": 2, \"val_loss\": 0.45}";
    json_t *obj = hp_metric_line_parse(line, strlen(line));
    ck_assert_ptr_nonnull(obj);
    double v = 0;
    ck_assert_int_eq(hp_metric_line_number(obj, "val_loss", &v), 0);
    ck_assert(v == 0.45);
    ck_assert_int_eq(hp_metric_line_number(obj, "missing", &v), -1);
    json_decref(obj);

    const char *garbage[] = {"Epoch 1/10 ....", "", "[1, 2]", "{\"a\": 1", "{broken}",
                             "\"just a string\"", "{\"a\": 1, \"a\": 2}"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        ck_assert_ptr_null(hp_metric_line_parse(garbage[i], strlen(garbage[i])));
}
END_TEST

START_TEST(test_metric_line_understands_non_finite_spellings)
{
    const char *line = "{\"train_loss\": NaN, \"a\": Infinity, \"b\": -Infinity, "
                       "\"c\": \"NaN\", \"text\": \"NaN inside a string stays\"}";
    json_t *obj = hp_metric_line_parse(line, strlen(line));
    ck_assert_ptr_nonnull(obj);
    double v;
    ck_assert_int_eq(hp_metric_line_number(obj, "train_loss", &v), 0);
    ck_assert(isnan(v));
    ck_assert_int_eq(hp_metric_line_number(obj, "a", &v), 0);
    ck_assert(isinf(v) && v > 0);
    ck_assert_int_eq(hp_metric_line_number(obj, "b", &v), 0);
    ck_assert(isinf(v) && v < 0);
    ck_assert_int_eq(hp_metric_line_number(obj, "c", &v), 0);
    ck_assert(isnan(v));
    ck_assert_str_eq(json_string_value(json_object_get(obj, "text")),
                     "NaN inside a string stays");
    ck_assert_int_eq(hp_metric_line_number(obj, "text", &v), -1);
    json_decref(obj);

    struct hp_metric_line m;
    hp_metric_line_init(&m);
    hp_metric_line_add_number(&m, "loss", NAN);
    char *text = render(&m);
    ck_assert_str_eq(text, "{\"loss\": NaN}\n");
    free(text);
}
END_TEST

START_TEST(test_metric_line_refuses_an_overflowing_line)
{
    struct hp_metric_line m;
    hp_metric_line_init(&m);
    char big[HP_METRIC_LINE_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hp_metric_line_add_string(&m, "big", big);
    FILE *out = fopen("/dev/null", "w");
    ck_assert_int_eq(hp_metric_line_finish(&m, out), -1);
    fclose(out);
}
END_TEST

START_TEST(test_json_dumps_writes_reals_in_shortest_form)
{
    json_t *doc = json_pack("{s:f, s:f, s:f, s:i, s:s, s:f}", "a", 0.3, "b", 1.0, "c", 1e-300,
                            "n", 42, "text", "0.29999999999999999 stays", "d", -2.5e10);
    char *text = hp_json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(text, "{\"a\":0.3,\"b\":1.0,\"c\":1e-300,\"n\":42,"
                           "\"text\":\"0.29999999999999999 stays\",\"d\":-2.5e+10}");
    json_t *back = json_loads(text, 0, NULL);
    ck_assert(json_equal(doc, back)); /* the same values, bit for bit */
    json_decref(back);
    free(text);
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metric_line");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_metric_line_writes_one_json_object_per_line);
    tcase_add_test(tc, test_metric_line_numbers_round_trip_exactly);
    tcase_add_test(tc, test_metric_line_parses_objects_and_rejects_log_text);
    tcase_add_test(tc, test_metric_line_understands_non_finite_spellings);
    tcase_add_test(tc, test_metric_line_refuses_an_overflowing_line);
    tcase_add_test(tc, test_json_dumps_writes_reals_in_shortest_form);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
