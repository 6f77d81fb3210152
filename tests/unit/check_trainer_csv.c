/*
 * The CSV reader: fields, quotes, line ends, labels by id or by name, and
 * errors that name the line and the column.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "csv.h"

static char path[256];

static void write_file(const char *text)
{
    snprintf(path, sizeof path, "/tmp/check_trainer_csv.%ld.csv", (long)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static void teardown(void)
{
    unlink(path);
}

START_TEST(test_csv_reads_quotes_crlf_blank_lines_and_named_classes)
{
    write_file("\"size, cm\",kind,\"w\"\r\n"
               "1.5,dog,2\r\n"
               "\r\n"
               " 2.5 ,\"cat\",\"-3e1\"\r\n"
               "0,\"a \"\"quoted\"\" bird\",1\n");
    struct dataset set;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_msg(csv_load(&set, path, "kind", TASK_CLASSIFICATION, NULL, &err) == 0,
                  "%s", err.message);
    ck_assert_uint_eq(set.n, 3);
    ck_assert_uint_eq(set.dim, 2);
    ck_assert_int_eq(set.classes, 3);
    /* Sorted names: "a \"quoted\" bird" < "cat" < "dog". */
    ck_assert_str_eq(set.class_names[0], "a \"quoted\" bird");
    ck_assert_str_eq(set.class_names[2], "dog");
    ck_assert_int_eq(set.labels[0], 2);
    ck_assert_int_eq(set.labels[1], 1);
    ck_assert_int_eq(set.labels[2], 0);
    ck_assert_float_eq(set.features[0], 1.5f);
    ck_assert_float_eq(set.features[1], 2.0f);
    ck_assert_float_eq(set.features[3], -30.0f);
    ck_assert_str_eq(set.header, "size, cm,kind,w");
    dataset_free(&set);
}
END_TEST

START_TEST(test_csv_integer_labels_and_regression_targets)
{
    write_file("a,y\n1,0\n2,4\n3,2\n");
    struct dataset set;
    ck_assert_int_eq(csv_load(&set, path, "y", TASK_CLASSIFICATION, NULL, NULL), 0);
    ck_assert_int_eq(set.classes, 5);
    ck_assert_ptr_null(set.class_names);
    ck_assert_int_eq(set.labels[1], 4);
    dataset_free(&set);
    ck_assert_int_eq(csv_load(&set, path, "y", TASK_REGRESSION, NULL, NULL), 0);
    ck_assert_int_eq(set.classes, 1);
    ck_assert_ptr_null(set.labels);
    ck_assert_float_eq(set.targets[2], 2.0f);
    dataset_free(&set);
}
END_TEST

static void expect_error(const char *text, int line, int column, const char *words)
{
    write_file(text);
    struct dataset set;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(csv_load(&set, path, "y", TASK_CLASSIFICATION, NULL, &err), -1);
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.line, line);
    ck_assert_int_eq(err.column, column);
    ck_assert_msg(strstr(err.message, words) != NULL, "message: %s", err.message);
    ck_assert_ptr_null(set.features);
}

START_TEST(test_csv_errors_name_line_and_column)
{
    expect_error("a,b,y\n1,2,0\n1,,0\n", 3, 3,
                 "column \"b\": expected a number, got \"\"");
    expect_error("a,b,y\n1,2,0\n1,2,3,4\n", 3, 7,
                 "expected 3 fields as in the header, got 4");
    expect_error("a,b,y\n1,\"2,0\n", 2, 3, "unterminated quoted field");
    expect_error("a,b,y\n1,\"2\"x,0\n", 2, 6, "text after a closing quote");
    expect_error("a,b\n1,2\n", 1, 1, "no column named \"y\"");
    expect_error("a,b,y\n1,inf,0\n", 2, 3, "expected a number, got \"inf\"");
}
END_TEST

START_TEST(test_csv_refuses_a_header_that_names_a_column_twice)
{
    /* The first repeat from the left is reported, at its own column. */
    expect_error("w,a,y,b,a,w\n1,2,0,3,4,5\n", 1, 9,
                 "column \"a\" is named twice in the header (first at column 3)");
    expect_error("y,\"x\",x\n0,1,2\n", 1, 7,
                 "column \"x\" is named twice in the header (first at column 3)");
    /* The label's own name too. */
    expect_error("y,a,y\n0,1,2\n", 1, 5,
                 "column \"y\" is named twice in the header (first at column 1)");
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_csv_reads_quotes_crlf_blank_lines_and_named_classes);
    tcase_add_test(tc, test_csv_integer_labels_and_regression_targets);
    tcase_add_test(tc, test_csv_errors_name_line_and_column);
    tcase_add_test(tc, test_csv_refuses_a_header_that_names_a_column_twice);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return hp_check_run(csv_suite());
}
