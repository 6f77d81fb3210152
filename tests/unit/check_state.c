/*
 * The sweep state and the files of trials: state_trial_dir joins the sweep
 * directory, "trials" and the trial id, and a directory too long for the
 * buffer is an error that leaves it empty, never a shorter path that names
 * another file; applying a record only
 * changes memory (the files it makes unneeded are listed, never deleted), a
 * replay never touches files, and a checkpoint outside its trial's directory
 * is never taken, so it can never be listed for deletion.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "journal.h"
#include "path.h"
#include "space.h"
#include "state.h"

#define WORK HP_BINARY_DIR "/state-work"
#define TRIAL WORK "/trials/c0000-s0"

static const char SPACE[] =
    "{\"name\": \"state\", \"seeds\": 1, \"strategy\": {\"type\": \"grid\"},\n"
    " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [1]}}}\n";

static struct space space;
static struct sweep_state state;

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "%s: cannot create", path);
    fputs("checkpoint\n", f);
    fclose(f);
}

static void setup(void)
{
    ck_assert_int_eq(system("rm -rf '" WORK "' && mkdir -p '" TRIAL "'"), 0);
    touch(TRIAL "/best.ckpt");
    touch(TRIAL "/last.ckpt");
    touch(WORK "/outside.ckpt");
    struct hp_error err;
    ck_assert_int_eq(space_load_text(SPACE, strlen(SPACE), "space.json", &space, &err), 0);
    ck_assert_int_eq(state_init(&state, &space, WORK, &err), 0);
}

static void teardown(void)
{
    state_free(&state);
    space_free(&space);
}

/* The records of one trial that reported best.ckpt, last.ckpt and, in the
 * old record shape without the runner's verdict, a path outside its
 * directory; then ended ok keeping best.ckpt. */
static const char *const RECORDS[] = {
    "{\"event\":\"start\",\"trial\":\"c0000-s0\",\"config\":0,\"seed\":0,\"attempt\":1,"
    "\"params\":{\"x\":1},\"resume_from\":null}",
    "{\"event\":\"report\",\"trial\":\"c0000-s0\",\"config\":0,\"seed\":0,\"line\":"
    "{\"epoch\":1,\"val_accuracy\":0.5}}",
    "{\"event\":\"report\",\"trial\":\"c0000-s0\",\"config\":0,\"seed\":0,\"line\":"
    "{\"checkpoint\":\"best.ckpt\",\"epoch\":1},\"checkpoint_path\":\"" TRIAL "/best.ckpt\"}",
    "{\"event\":\"report\",\"trial\":\"c0000-s0\",\"config\":0,\"seed\":0,\"line\":"
    "{\"checkpoint\":\"last.ckpt\",\"epoch\":1},\"checkpoint_path\":\"" TRIAL "/last.ckpt\"}",
    "{\"event\":\"report\",\"trial\":\"c0000-s0\",\"config\":0,\"seed\":0,\"line\":"
    "{\"checkpoint\":\"../../outside.ckpt\",\"epoch\":1}}",
    "{\"event\":\"report\",\"trial\":\"c0000-s0\",\"config\":0,\"seed\":0,\"line\":"
    "{\"checkpoint\":\"" WORK "/outside.ckpt\",\"epoch\":1}}",
    "{\"event\":\"end\",\"trial\":\"c0000-s0\",\"config\":0,\"seed\":0,\"attempt\":1,"
    "\"seconds\":0.1,\"exit_status\":0,\"status\":\"ok\",\"score\":0.5,\"score_epoch\":1,"
    "\"checkpoint\":\"" TRIAL "/best.ckpt\"}",
};
enum { RECORD_COUNT = sizeof RECORDS / sizeof RECORDS[0] };

static void apply_all(void)
{
    for (size_t i = 0; i < RECORD_COUNT; i++) {
        json_error_t jerr;
        json_t *record = json_loads(RECORDS[i], 0, &jerr);
        ck_assert_msg(record != NULL, "record %zu: %s", i, jerr.text);
        struct hp_error err;
        hp_error_init(&err);
        ck_assert_msg(state_apply(&state, record, &err) == 0, "record %zu: %s", i, err.message);
        json_decref(record);
    }
}

START_TEST(test_state_applying_an_end_record_lists_files_and_deletes_none)
{
    apply_all();
    ck_assert_int_eq(state.trials_ok, 1);
    /* Nothing deleted while applying: the record may not be durable yet. */
    ck_assert_int_eq(access(TRIAL "/last.ckpt", F_OK), 0);
    ck_assert_int_eq(access(TRIAL "/best.ckpt", F_OK), 0);
    ck_assert_int_eq(access(WORK "/outside.ckpt", F_OK), 0);
    /* last.ckpt is listed for the runner; the kept one and the outside ones
     * are not. */
    size_t count = 0;
    struct file_drop *drops = state_take_drops(&state, &count);
    ck_assert_uint_eq(count, 1);
    ck_assert_str_eq(drops[0].path, TRIAL "/last.ckpt");
    ck_assert_uint_eq(drops[0].owner.config, 0);
    state_drops_free(drops, count);
}
END_TEST

/* The same records through the journal: a replay touches no file; only a
 * resume's replay (drops_on_replay) lists what is still there. */
START_TEST(test_state_replay_touches_no_file)
{
    struct journal journal;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(journal_open(&journal, WORK, -1, NULL, NULL, NULL, &err), 0);
    for (size_t i = 0; i < RECORD_COUNT; i++) {
        json_t *record = json_loads(RECORDS[i], 0, NULL);
        ck_assert_int_eq(journal_append(&journal, record, &err), 0);
        json_decref(record);
    }
    journal_close(&journal);

    ck_assert_int_eq(state_replay(&state, WORK, NULL, &err), 0);
    ck_assert_int_eq(state.trials_ok, 1);
    size_t count = 7;
    struct file_drop *drops = state_take_drops(&state, &count);
    ck_assert_uint_eq(count, 0);
    state_drops_free(drops, count);
    ck_assert_int_eq(access(TRIAL "/last.ckpt", F_OK), 0);
    ck_assert_int_eq(access(WORK "/outside.ckpt", F_OK), 0);

    struct sweep_state again;
    ck_assert_int_eq(state_init(&again, &space, WORK, &err), 0);
    again.drops_on_replay = 1;
    ck_assert_int_eq(state_replay(&again, WORK, NULL, &err), 0);
    ck_assert_int_eq(access(TRIAL "/last.ckpt", F_OK), 0);
    state_free(&again);
}
END_TEST

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
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_state_applying_an_end_record_lists_files_and_deletes_none);
    tcase_add_test(tc, test_state_replay_touches_no_file);
    suite_add_tcase(s, tc);
    TCase *paths = tcase_create("paths");
    tcase_add_test(paths, test_state_trial_dir_joins_sweep_dir_trials_and_id);
    tcase_add_test(paths, test_state_trial_dir_refuses_a_path_too_long_and_empties_the_buffer);
    suite_add_tcase(s, paths);
    return hp_check_run(s);
}
