/*
 * The sweep's budgets (orchestrator/budget.c): duration syntax and its
 * errors, max_failures values, and the rules that stop launching.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "budget.h"
#include "check_main.h"

static double parsed(const char *text)
{
    double seconds = -1;
    char why[256];
    ck_assert_msg(budget_parse_duration(text, &seconds, why, sizeof why) == 0, "%s: %s",
                  text, why);
    return seconds;
}

static const char *refused(const char *text)
{
    static char why[256];
    double seconds = -1;
    why[0] = '\0';
    ck_assert_msg(budget_parse_duration(text, &seconds, why, sizeof why) < 0,
                  "\"%s\" was accepted as %g s", text, seconds);
    ck_assert(seconds == -1);
    return why;
}

START_TEST(test_budget_parses_durations)
{
    ck_assert(parsed("8h") == 8 * 3600.0);
    ck_assert(parsed("90m") == 5400.0);
    ck_assert(parsed("45s") == 45.0);
    ck_assert(parsed("1h30m") == 5400.0);
    ck_assert(parsed("1d2h3m4s") == 86400.0 + 7200.0 + 180.0 + 4.0);
    ck_assert(parsed("2.5h") == 9000.0);
    ck_assert(parsed("0.5s") == 0.5);
    ck_assert(parsed("0s") == 0.0);
}
END_TEST

START_TEST(test_budget_refuses_bad_durations_with_reasons)
{
    ck_assert_ptr_nonnull(strstr(refused("90"), "needs a unit"));
    ck_assert_ptr_nonnull(strstr(refused("8x"), "unknown unit 'x'"));
    ck_assert_ptr_nonnull(strstr(refused("30m1h"), "largest first"));
    ck_assert_ptr_nonnull(strstr(refused("1h1h"), "largest first"));
    ck_assert_ptr_nonnull(strstr(refused(""), "expected a duration"));
    ck_assert_ptr_nonnull(strstr(refused("h"), "expected a duration"));
    ck_assert_ptr_nonnull(strstr(refused("-1h"), "expected a duration"));
    ck_assert_ptr_nonnull(strstr(refused("1h "), "expected a duration"));
    ck_assert_ptr_nonnull(strstr(refused("99999999999d"), "more than"));
}
END_TEST

START_TEST(test_budget_loads_durations_from_json_with_paths)
{
    struct hp_error err;
    double seconds = -1;
    json_t *v = json_string("1h30m");
    hp_error_init(&err);
    ck_assert_int_eq(budget_load_duration(v, "max_time", 1, &seconds, &err), 0);
    ck_assert(seconds == 5400.0);
    json_decref(v);

    v = json_integer(120); /* a number is seconds */
    ck_assert_int_eq(budget_load_duration(v, "max_time", 1, &seconds, &err), 0);
    ck_assert(seconds == 120.0);
    json_decref(v);

    v = json_integer(0);
    hp_error_init(&err);
    ck_assert_int_eq(budget_load_duration(v, "max_time", 1, &seconds, &err), -1);
    ck_assert_str_eq(err.path, "max_time");
    ck_assert_str_eq(err.message, "must be longer than 0 s (got 0)");
    /* A grace may be zero. */
    ck_assert_int_eq(budget_load_duration(v, "max_time_grace", 0, &seconds, &err), 0);
    ck_assert(seconds == 0.0);
    json_decref(v);

    v = json_true();
    hp_error_init(&err);
    ck_assert_int_eq(budget_load_duration(v, "max_time", 1, &seconds, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "(got true)"));
    json_decref(v);
}
END_TEST

START_TEST(test_budget_max_failures_values)
{
    struct hp_error err;
    int n = 99;
    hp_error_init(&err);
    json_t *v = json_string("auto");
    ck_assert_int_eq(budget_load_max_failures(v, "max_failures", &n, &err), 0);
    ck_assert_int_eq(n, BUDGET_MAX_FAILURES_AUTO);
    json_decref(v);
    ck_assert_int_eq(budget_load_max_failures(json_null(), "max_failures", &n, &err), 0);
    ck_assert_int_eq(n, 0);
    v = json_integer(5);
    ck_assert_int_eq(budget_load_max_failures(v, "max_failures", &n, &err), 0);
    ck_assert_int_eq(n, 5);
    json_decref(v);
    v = json_string("sometimes");
    ck_assert_int_eq(budget_load_max_failures(v, "max_failures", &n, &err), -1);
    ck_assert_str_eq(err.message,
                     "must be \"auto\", null or an integer >= 0 (got \"sometimes\")");
    json_decref(v);

    char why[256];
    ck_assert_int_eq(budget_parse_max_failures("null", &n, why, sizeof why), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(budget_parse_max_failures("auto", &n, why, sizeof why), 0);
    ck_assert_int_eq(n, BUDGET_MAX_FAILURES_AUTO);
    ck_assert_int_eq(budget_parse_max_failures("7", &n, why, sizeof why), 0);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(budget_parse_max_failures("-1", &n, why, sizeof why), -1);
    ck_assert_int_eq(budget_parse_max_failures("3x", &n, why, sizeof why), -1);
}
END_TEST

START_TEST(test_budget_max_trials_stops_launching)
{
    struct budget_limits limits = {0, 60, 2, 0};
    struct budget b;
    budget_init(&b, &limits);
    ck_assert_int_eq(budget_may_launch(&b, 0), 1);
    b.launched++;
    ck_assert_int_eq(budget_may_launch(&b, 0), 1);
    b.launched++;
    ck_assert_int_eq(budget_may_launch(&b, 0), 0);
    ck_assert_int_eq(b.stop, BUDGET_STOP_TRIALS);
    char text[128];
    budget_describe_stop(&b, text, sizeof text);
    ck_assert_str_eq(text, "stopped at max_trials (2)");
}
END_TEST

START_TEST(test_budget_deadline_stops_launching)
{
    struct budget_limits limits = {5400, 60, 0, 0};
    struct budget b;
    budget_init(&b, &limits);
    ck_assert_int_eq(budget_may_launch(&b, 0), 1);
    ck_assert_int_eq(budget_may_launch(&b, 1), 0);
    ck_assert_int_eq(b.stop, BUDGET_STOP_TIME);
    char text[128];
    budget_describe_stop(&b, text, sizeof text);
    ck_assert_str_eq(text, "stopped at max_time (1h30m)");
}
END_TEST

/* Launches c0000-s0, c0001-s0, c0002-s0 and c0003-s0 under auto. */
static void launch_four(struct budget *b)
{
    struct budget_limits limits = {0, 60, 0, BUDGET_MAX_FAILURES_AUTO};
    budget_init(b, &limits);
    const char *ids[] = {"c0000-s0", "c0001-s0", "c0002-s0", "c0003-s0"};
    for (int i = 0; i < 4; i++)
        budget_trial_launched(b, ids[i]);
}

START_TEST(test_budget_auto_stops_after_three_same_failures)
{
    struct budget b;
    launch_four(&b);
    /* The reasons' words differ (each trial's own stderr); the failure does
     * not. They end in another order than they started: the verdict and the
     * reason named are those of the first three launched. */
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "exited with status 2; c",
                                        "c0002-s0", 1),
                     0);
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "exited with status 2; a",
                                        "c0000-s0", 2),
                     0);
    /* A trial past the first three does not count. */
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "d", "c0003-s0", 3), 0);
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "exited with status 2; b",
                                        "c0001-s0", 4),
                     1);
    ck_assert_int_eq(b.stop, BUDGET_STOP_FAILURES);
    ck_assert_str_eq(b.reason, "exited with status 2; a");
    ck_assert_str_eq(b.logs[2], "c0002-s0");
}
END_TEST

START_TEST(test_budget_auto_runs_on_after_a_success_or_another_failure)
{
    struct budget b;
    launch_four(&b);
    budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0000-s0", 1);
    budget_trial_ended(&b, NULL, 0, 0, NULL, "c0001-s0", 1);
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0002-s0", 2), 0);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0003-s0", 3 + i),
                         0);
    ck_assert_int_eq(b.stop, BUDGET_RUNS_ON);

    launch_four(&b);
    budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0000-s0", 1);
    budget_trial_ended(&b, "signal", 0, 9, "x", "c0001-s0", 2);
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0002-s0", 3), 0);
    ck_assert_int_eq(b.stop, BUDGET_RUNS_ON);

    /* NaN comes from a config's params, not from a broken command. */
    launch_four(&b);
    const char *ids[] = {"c0000-s0", "c0001-s0", "c0002-s0"};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(budget_trial_ended(&b, "nan", 3, 0, "x", ids[i], (size_t)i + 1), 0);

    /* A retried trial's second failure is not a fourth watched one. */
    launch_four(&b);
    budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0000-s0", 1);
    budget_trial_launched(&b, "c0000-s0");
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0000-s0", 2), 0);
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 2, 0, "x", "c0001-s0", 3), 0);
    ck_assert_int_eq(b.stop, BUDGET_RUNS_ON);
}
END_TEST

START_TEST(test_budget_max_failures_count_and_null)
{
    struct budget_limits limits = {0, 60, 0, 2};
    struct budget b;
    budget_init(&b, &limits);
    ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 1, 0, "x", "a", 1), 0);
    ck_assert_int_eq(budget_trial_ended(&b, NULL, 0, 0, NULL, "b", 1), 0);
    ck_assert_int_eq(budget_trial_ended(&b, "signal", 0, 6, "y", "c", 2), 1);
    ck_assert_int_eq(b.auto_stop, 0);

    limits.max_failures = 0; /* null: never */
    budget_init(&b, &limits);
    for (size_t i = 0; i < 20; i++)
        ck_assert_int_eq(budget_trial_ended(&b, "exit_code", 7, 0, "x", "c", i + 1), 0);
}
END_TEST

START_TEST(test_budget_formats_durations)
{
    char text[32];
    budget_format_duration(28800, text, sizeof text);
    ck_assert_str_eq(text, "8h");
    budget_format_duration(5400, text, sizeof text);
    ck_assert_str_eq(text, "1h30m");
    budget_format_duration(45, text, sizeof text);
    ck_assert_str_eq(text, "45s");
    budget_format_duration(90061, text, sizeof text);
    ck_assert_str_eq(text, "1d1h1m1s");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("budget");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_budget_parses_durations);
    tcase_add_test(tc, test_budget_refuses_bad_durations_with_reasons);
    tcase_add_test(tc, test_budget_loads_durations_from_json_with_paths);
    tcase_add_test(tc, test_budget_max_failures_values);
    tcase_add_test(tc, test_budget_max_trials_stops_launching);
    tcase_add_test(tc, test_budget_deadline_stops_launching);
    tcase_add_test(tc, test_budget_auto_stops_after_three_same_failures);
    tcase_add_test(tc, test_budget_auto_runs_on_after_a_success_or_another_failure);
    tcase_add_test(tc, test_budget_max_failures_count_and_null);
    tcase_add_test(tc, test_budget_formats_durations);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
