/*
 * The trial runner against misbehaving trainers (real processes, the modes of
 * tests/helpers/fake_trainer.c): each outcome is seen as it happened, and
 * afterwards no handle, no file descriptor and no child process is left.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "check_main.h"
#include "trial.h"

#define FAKE HP_BINARY_DIR "/bin/fake_trainer"
#define WORK HP_BINARY_DIR "/trial-work"

struct outcome {
    int done;
    int objects;
    int started;
    int exit_status;
    int term_signal;
    int timed_out;
    size_t truncated_lines;
    int spawn_error;
    size_t non_object_lines;
    size_t object_like_lines;
    char stderr_tail[1024];
};

static void on_object(struct trial *trial, json_t *object)
{
    struct outcome *o = trial->owner;
    (void)object;
    o->objects++;
}

static void on_done(struct trial *trial)
{
    struct outcome *o = trial->owner;
    o->done++;
    o->started = trial->started;
    o->exit_status = (int)trial->exit_status;
    o->term_signal = trial->term_signal;
    o->timed_out = trial->timed_out;
    o->truncated_lines = trial->truncated_lines;
    o->spawn_error = trial->spawn_error;
    o->non_object_lines = trial->non_object_lines;
    o->object_like_lines = trial->object_like_lines;
    trial_stderr_tail(trial, o->stderr_tail, sizeof o->stderr_tail);
    trial_free(trial);
}

static const struct trial_callbacks CALLBACKS = {on_object, on_done};

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* Runs one trial of fake_trainer in `mode` to its end on a fresh loop, its
 * logs capped at log_cap bytes (0: no cap). */
static struct outcome run_mode_capped(const char *mode, double timeout_s, uint64_t log_cap)
{
    mkdir(WORK, 0755);
    char dir[512];
    snprintf(dir, sizeof dir, WORK "/%s", mode);
    mkdir(dir, 0755);
    /* Logs append: an earlier run's would be counted too. */
    char old_log[600];
    snprintf(old_log, sizeof old_log, "%s/stdout.log", dir);
    unlink(old_log);
    char *argv[] = {FAKE, (char *)mode, NULL};
    if (strcmp(mode, "missing") == 0)
        argv[0] = HP_BINARY_DIR "/bin/no-such-trainer";
    char *env[] = {"HPSEARCH_SEED=0", NULL};
    struct trial_spec spec = {
        argv, env,  dir,  timeout_s,         0.5, 4096, NULL, log_cap, NULL,
        NULL, NULL, NULL, {0, 0, NULL, 0}};
    struct outcome o = {0};

    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    ck_assert_int_eq(trial_init_loop(&loop), 0);
    /* libuv opens a reserve descriptor with a loop's first stream: let it. */
    uv_pipe_t warm;
    uv_pipe_init(&loop, &warm, 0);
    uv_close((uv_handle_t *)&warm, NULL);
    int fds_before = count_fds(); /* the loop's own descriptors included */
    struct trial *trial = trial_start(&loop, &spec, &CALLBACKS, &o);
    ck_assert_ptr_nonnull(trial);
    while (!o.done)
        uv_run(&loop, UV_RUN_ONCE);
    /* Every pipe and log of the trial is closed. */
    ck_assert_int_eq(count_fds(), fds_before);
    trial_close_loop();
    uv_run(&loop, UV_RUN_DEFAULT);
    /* Every handle closed: the loop can be closed. */
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    ck_assert_int_eq(o.done, 1);
    /* No zombie and no other child left behind. */
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
    return o;
}

static struct outcome run_mode(const char *mode, double timeout_s)
{
    return run_mode_capped(mode, timeout_s, 0);
}

/* Whether `path` holds `text`. */
static int file_contains(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, f) > 0)
        found = strstr(line, text) != NULL;
    free(line);
    fclose(f);
    return found;
}

START_TEST(test_trial_ok_reports_objects_and_exits_zero)
{
    struct outcome o = run_mode("ok", 0);
    ck_assert_int_eq(o.started, 1);
    ck_assert_int_eq(o.exit_status, 0);
    ck_assert_int_eq(o.objects, 6); /* three epochs, three checkpoints */
}
END_TEST

START_TEST(test_trial_crash_is_a_signal)
{
    struct outcome o = run_mode("crash", 0);
    ck_assert_int_eq(o.term_signal, SIGABRT);
}
END_TEST

START_TEST(test_trial_exit_code_is_seen)
{
    struct outcome o = run_mode("exit", 0);
    ck_assert_int_eq(o.exit_status, 7);
}
END_TEST

START_TEST(test_trial_hang_times_out_and_is_killed)
{
    struct outcome o = run_mode("hang", 0.3);
    ck_assert_int_eq(o.timed_out, 1);
    ck_assert_int_eq(o.term_signal, SIGTERM);
}
END_TEST

START_TEST(test_trial_garbage_lines_are_not_objects)
{
    struct outcome o = run_mode("garbage", 0);
    ck_assert_int_eq(o.exit_status, 0);
    ck_assert_int_eq(o.objects, 6);
}
END_TEST

START_TEST(test_trial_ten_megabyte_line_is_dropped_and_bounded)
{
    struct outcome o = run_mode("longline", 0);
    ck_assert_int_eq(o.exit_status, 0);
    ck_assert_uint_eq(o.truncated_lines, 1);
    ck_assert_int_eq(o.objects, 6);
    struct stat st;
    ck_assert_int_eq(stat(WORK "/longline/stdout.log", &st), 0);
    ck_assert_int_lt(st.st_size, 64 * 1024); /* the log holds the cut line, not 10 MB */
}
END_TEST

START_TEST(test_trial_progress_bar_log_stays_readable)
{
    struct outcome o = run_mode("progress", 0);
    ck_assert_int_eq(o.objects, 6);
    FILE *f = fopen(WORK "/progress/stdout.log", "r");
    ck_assert_ptr_nonnull(f);
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_str_eq(line, "[##########] 100%\n");
}
END_TEST

START_TEST(test_trial_closing_stdout_early_still_waits_for_exit)
{
    struct outcome o = run_mode("closeout", 0);
    ck_assert_int_eq(o.exit_status, 0);
    ck_assert_int_eq(o.objects, 1);
}
END_TEST

START_TEST(test_trial_grandchild_holding_the_pipe_does_not_hold_the_trial)
{
    struct outcome o = run_mode("forkpipe", 0);
    ck_assert_int_eq(o.exit_status, 0);
    ck_assert_int_eq(o.objects, 1);
}
END_TEST

START_TEST(test_trial_missing_program_could_not_start)
{
    struct outcome o = run_mode("missing", 0);
    ck_assert_int_eq(o.started, 0);
    ck_assert_int_eq(o.spawn_error, -ENOENT);
}
END_TEST

/* A metric line after progress text redrawn with \r on the same line is read,
 * exactly as the log shows it. */
START_TEST(test_trial_metric_line_after_carriage_returns_is_read)
{
    struct outcome o = run_mode("crline", 0);
    ck_assert_int_eq(o.exit_status, 0);
    ck_assert_int_eq(o.objects, 1);
    ck_assert(file_contains(WORK "/crline/stdout.log", "{\"epoch\": 1, \"val_accuracy\""));
}
END_TEST

/* 2 MB of output under a 256 KiB cap: the log keeps the head and the tail
 * with a marker between, stays under the cap, and leaves no segment behind. */
START_TEST(test_trial_log_over_its_cap_keeps_head_and_tail)
{
    unlink(WORK "/flood/stdout.log");
    struct outcome o = run_mode_capped("flood", 0, 256 * 1024);
    ck_assert_int_eq(o.exit_status, 0);
    ck_assert_int_eq(o.objects, 6);
    struct stat st;
    ck_assert_int_eq(stat(WORK "/flood/stdout.log", &st), 0);
    ck_assert_int_le(st.st_size, 256 * 1024 + 512);
    ck_assert_int_gt(st.st_size, 128 * 1024);
    ck_assert(file_contains(WORK "/flood/stdout.log", "flood line 0000000 "));
    ck_assert(file_contains(WORK "/flood/stdout.log", "flood line 0019999 "));
    ck_assert(file_contains(WORK "/flood/stdout.log", "cut here"));
    ck_assert(file_contains(WORK "/flood/stdout.log", "\"val_accuracy\""));
    ck_assert(!file_contains(WORK "/flood/stdout.log", "flood line 0010000 "));
    ck_assert_int_ne(access(WORK "/flood/stdout.log.tail0", F_OK), 0);
    ck_assert_int_ne(access(WORK "/flood/stdout.log.tail1", F_OK), 0);
}
END_TEST

/* A trainer's last stderr lines are kept for the failure's reason. */
START_TEST(test_trial_remembers_the_last_stderr_lines)
{
    struct outcome o = run_mode("exit", 0);
    ck_assert_str_eq(o.stderr_tail, "usage: fake_trainer MODE | fake_trainer: error: "
                                    "unrecognized arguments: --lr=0.1");
}
END_TEST

/* print(dict) in Python: single quotes, not JSON; counted as such. */
START_TEST(test_trial_counts_lines_that_are_not_json_objects)
{
    struct outcome o = run_mode("pydict", 0);
    ck_assert_int_eq(o.objects, 0);
    ck_assert_uint_eq(o.non_object_lines, 2);
    ck_assert_uint_eq(o.object_like_lines, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trial");
    TCase *tc = tcase_create("modes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_trial_ok_reports_objects_and_exits_zero);
    tcase_add_test(tc, test_trial_crash_is_a_signal);
    tcase_add_test(tc, test_trial_exit_code_is_seen);
    tcase_add_test(tc, test_trial_hang_times_out_and_is_killed);
    tcase_add_test(tc, test_trial_garbage_lines_are_not_objects);
    tcase_add_test(tc, test_trial_ten_megabyte_line_is_dropped_and_bounded);
    tcase_add_test(tc, test_trial_progress_bar_log_stays_readable);
    tcase_add_test(tc, test_trial_closing_stdout_early_still_waits_for_exit);
    tcase_add_test(tc, test_trial_grandchild_holding_the_pipe_does_not_hold_the_trial);
    tcase_add_test(tc, test_trial_missing_program_could_not_start);
    tcase_add_test(tc, test_trial_metric_line_after_carriage_returns_is_read);
    tcase_add_test(tc, test_trial_log_over_its_cap_keeps_head_and_tail);
    tcase_add_test(tc, test_trial_remembers_the_last_stderr_lines);
    tcase_add_test(tc, test_trial_counts_lines_that_are_not_json_objects);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
