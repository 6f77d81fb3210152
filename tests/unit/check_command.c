/*
 * Command templates: placeholders, appended params, and values that would be
 * dangerous in a shell staying single argv entries.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "command.h"

START_TEST(test_command_expands_placeholders_and_appends_the_rest)
{
    char *tmpl[] = {"train.py", "--lr", "{lr}", "--out={trial_dir}/m", "{seed}", NULL};
    json_t *params = json_pack("{s:f, s:i, s:s, s:b}", "lr", 0.001, "batch", 64, "hidden",
                               "256,128", "augment", 1);
    struct trial_identity who = {7, "c0001-s7", "/runs/x/trials/c0001-s7", NULL, NULL};
    char **argv = NULL;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(command_build(tmpl, params, &who, NULL, &argv, &err), 0);
    const char *expected[] = {"train.py", "--lr", "0.001", "--out=/runs/x/trials/c0001-s7/m",
                              "7", "--batch=64", "--hidden=256,128", "--augment", NULL};
    for (size_t i = 0; expected[i]; i++)
        ck_assert_str_eq(argv[i], expected[i]);
    ck_assert_ptr_null(argv[8]);
    command_argv_free(argv);
    json_decref(params);
}
END_TEST

START_TEST(test_command_booleans_are_store_true_flags_unless_a_placeholder_uses_them)
{
    char *tmpl[] = {"train.py", "--amp={amp}", NULL};
    json_t *params = json_pack("{s:b, s:b, s:b, s:i}", "augment", 1, "nesterov", 0, "amp", 0,
                               "batch", 8);
    struct trial_identity who = {0, "t", "/d", NULL, NULL};
    char **argv = NULL;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(command_build(tmpl, params, &who, NULL, &argv, &err), 0);
    const char *expected[] = {"train.py", "--amp=false", "--augment", "--batch=8", NULL};
    for (size_t i = 0; expected[i]; i++)
        ck_assert_str_eq(argv[i], expected[i]);
    ck_assert_ptr_null(argv[4]);
    command_argv_free(argv);
    json_decref(params);
}
END_TEST

START_TEST(test_command_never_resplits_a_value)
{
    char *tmpl[] = {"prog", "{name}", NULL};
    json_t *params = json_pack("{s:s, s:s}", "name", "a b \"c\" ;rm -rf /", "other",
                               "x'y $HOME");
    struct trial_identity who = {0, "t", "/d", NULL, NULL};
    char **argv = NULL;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(command_build(tmpl, params, &who, NULL, &argv, &err), 0);
    ck_assert_str_eq(argv[1], "a b \"c\" ;rm -rf /");
    ck_assert_str_eq(argv[2], "--other=x'y $HOME");
    ck_assert_ptr_null(argv[3]);
    command_argv_free(argv);
    json_decref(params);
}
END_TEST

START_TEST(test_command_replaces_bare_trainer_name_and_rejects_unknown_placeholder)
{
    char *tmpl[] = {"hpsearch-train", "--epochs", "3", NULL};
    json_t *params = json_object();
    struct trial_identity who = {0, "t", "/d", NULL, NULL};
    char **argv = NULL;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(command_build(tmpl, params, &who, "/opt/bin/hpsearch-train", &argv, &err),
                     0);
    ck_assert_str_eq(argv[0], "/opt/bin/hpsearch-train");
    command_argv_free(argv);

    char *bad[] = {"prog", "--lr={lrr}", NULL};
    ck_assert_int_eq(command_build(bad, params, &who, NULL, &argv, &err), -1);
    ck_assert_str_eq(err.path, "command[1]");
    ck_assert_str_eq(err.message, "unknown placeholder {lrr}");
    ck_assert_ptr_null(argv);
    json_decref(params);
}
END_TEST

START_TEST(test_command_doubled_braces_are_literal)
{
    char *tmpl[] = {"prog", "--config={{\"lr\": {lr}}}", NULL};
    json_t *params = json_pack("{s:f}", "lr", 0.5);
    struct trial_identity who = {0, "t", "/d", NULL, NULL};
    char **argv = NULL;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(command_build(tmpl, params, &who, NULL, &argv, &err), 0);
    ck_assert_str_eq(argv[1], "--config={\"lr\": 0.5}");
    ck_assert_ptr_null(argv[2]);
    command_argv_free(argv);
    json_decref(params);
}
END_TEST

START_TEST(test_command_formats_reals_in_shortest_round_trip_form)
{
    json_t *v = json_real(0.1);
    char *text = command_format_value(v);
    ck_assert_str_eq(text, "0.1");
    free(text);
    json_decref(v);
    v = json_real(1e-4);
    text = command_format_value(v);
    ck_assert_str_eq(text, "0.0001");
    free(text);
    json_decref(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("command");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_command_expands_placeholders_and_appends_the_rest);
    tcase_add_test(tc, test_command_never_resplits_a_value);
    tcase_add_test(tc, test_command_booleans_are_store_true_flags_unless_a_placeholder_uses_them);
    tcase_add_test(tc, test_command_replaces_bare_trainer_name_and_rejects_unknown_placeholder);
    tcase_add_test(tc, test_command_formats_reals_in_shortest_round_trip_form);
    tcase_add_test(tc, test_command_doubled_braces_are_literal);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
