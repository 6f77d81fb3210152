/*
 * Choosing an executor: the slurm one refuses to run outside an allocation,
 * parallelism follows the allocation's CPUs, and srun's own stderr lines are
 * told from the trainer's. (The executors running real trials are tested end
 * to end: check_trial, check_e2e_*, and slurm.e2e on a real cluster.)
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "executor.h"

static void clear_slurm(void)
{
    unsetenv("SLURM_JOB_ID");
    unsetenv("SLURM_JOB_CPUS_PER_NODE");
    unsetenv("SLURM_CPUS_ON_NODE");
    unsetenv("SLURM_NTASKS");
}

START_TEST(test_executor_slurm_refuses_outside_an_allocation)
{
    clear_slurm();
    struct executor ex;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(executor_init(&ex, "slurm", NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "SLURM_JOB_ID is not set"));
    ck_assert_ptr_nonnull(strstr(err.message, "sbatch"));
    executor_free(&ex);
}
END_TEST

START_TEST(test_executor_local_is_the_default)
{
    struct executor ex;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(executor_init(&ex, NULL, NULL, &err), 0);
    ck_assert_str_eq(ex.ops->name, "local");
    ck_assert_int_eq(executor_init(&ex, "local", NULL, &err), 0);
    ck_assert_ptr_eq(ex.ops, executor_local()->ops);
    ck_assert_int_eq(executor_init(&ex, "kubernetes", NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "\"local\" or \"slurm\""));
}
END_TEST

START_TEST(test_executor_slurm_options_and_jobs)
{
    clear_slurm();
    setenv("SLURM_JOB_ID", "42", 1);
    setenv("SLURM_JOB_CPUS_PER_NODE", "4(x2),2", 1);
    setenv("SLURM_CPUS_ON_NODE", "4", 1);
    json_t *options = json_pack("{s:s, s:i, s:[s]}", "type", "slurm", "gpus", 1,
                                "srun_args", "--mem=2G");
    struct executor ex;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(executor_init(&ex, "slurm", options, &err), 0);
    ck_assert_str_eq(ex.ops->name, "slurm");
    ck_assert_str_eq(ex.job_id, "42");
    ck_assert_int_eq(ex.gpus, 1);
    ck_assert_str_eq(ex.extra_args[0], "--mem=2G");
    ck_assert_ptr_null(ex.extra_args[1]);
    /* 4 + 4 + 2 CPUs over the job's nodes. */
    ck_assert_int_eq(executor_default_jobs(&ex, 1), 10);
    ck_assert_int_eq(executor_default_jobs(&ex, 3), 3);
    ck_assert_int_eq(executor_default_jobs(&ex, 20), 1);
    unsetenv("SLURM_JOB_CPUS_PER_NODE");
    ck_assert_int_eq(executor_default_jobs(&ex, 2), 2);
    executor_free(&ex);
    json_decref(options);
    clear_slurm();
}
END_TEST

START_TEST(test_executor_srun_lines_are_not_the_trainers)
{
    const struct executor_ops *ops = &executor_slurm_ops;
    const char *own[] = {"srun: error: vm: task 0: Exited with exit code 7",
                         "slurmstepd-vm: error: *** STEP 6.0 ON vm CANCELLED AT x ***",
                         "slurmstepd: error: execve(): x: No such file or directory"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(ops->own_stderr_line(own[i], strlen(own[i])), 1);
    const char *mine = "Traceback (most recent call last):";
    ck_assert_int_eq(ops->own_stderr_line(mine, strlen(mine)), 0);
    ck_assert_ptr_null(executor_local_ops.own_stderr_line);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("executor");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_executor_slurm_refuses_outside_an_allocation);
    tcase_add_test(tc, test_executor_local_is_the_default);
    tcase_add_test(tc, test_executor_slurm_options_and_jobs);
    tcase_add_test(tc, test_executor_srun_lines_are_not_the_trainers);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
