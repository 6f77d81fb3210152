/*
 * The sweep state's naming of trial files: state_trial_dir joins the sweep
 * directory, "trials" and the trial id, and a sweep directory too long for
 * the buffer is an error that leaves the buffer empty, never a shorter path
 * that names another file.
 */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "path.h"
#include "state.h"

START_TEST(test_state_trial_dir_joins_sweep_dir_trials_and_id)
{
    struct sweep_state state = {.out_dir = "/runs/a"};
    struct seed_record seed = {.seed = 7};
    struct config_record config = {.index = 3};
    char buf[HP_PATH_MAX];
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(state_trial_dir(&state, &config, &seed, buf, sizeof buf, &err), 0);
    ck_assert_str_eq(buf, "/runs/a/trials/c0003-s7");
}
END_TEST

START_TEST(test_state_trial_dir_refuses_a_path_too_long_and_empties_the_buffer)
{
    char out_dir[HP_PATH_MAX];
    memset(out_dir, 'd', sizeof out_dir - 8);
    out_dir[0] = '/';
    out_dir[sizeof out_dir - 8] = '\0';
    struct sweep_state state = {.out_dir = out_dir};
    struct seed_record seed = {.seed = 1};
    struct config_record config = {.index = 12};
    char buf[HP_PATH_MAX];
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(state_trial_dir(&state, &config, &seed, buf, sizeof buf, &err), -1);
    ck_assert_str_eq(buf, "");
    ck_assert_msg(strstr(err.message, "path too long"), "got: %s", err.message);
    ck_assert_msg(strstr(err.message, "trials/c0012-s1"), "got: %s", err.message);
    /* Without an error struct the buffer is emptied all the same. */
    ck_assert_int_eq(state_trial_dir(&state, &config, &seed, buf, sizeof buf, NULL), -1);
    ck_assert_str_eq(buf, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_state_trial_dir_joins_sweep_dir_trials_and_id);
    tcase_add_test(tc,
                   test_state_trial_dir_refuses_a_path_too_long_and_empties_the_buffer);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
