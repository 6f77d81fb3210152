/*
 * What an unattended night promises, end to end with the real hpsearch and
 * misbehaving fake trainers: nothing outside the sweep is touched, a full
 * disk loses no trial, failures say what went wrong, and failed trials can be
 * run again on demand.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-safety"

/* The reason recorded for the one seed of the config whose `param` is
 * `value`, or "" (borrowed from `results`). */
static const char *reason_of(json_t *results, const char *param, const char *value)
{
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(results, "configs"), i, config) {
        const char *v =
            json_string_value(json_object_get(json_object_get(config, "params"), param));
        if (!v || strcmp(v, value) != 0)
            continue;
        json_t *seed = json_array_get(json_object_get(config, "seeds"), 0);
        const char *reason = json_string_value(json_object_get(seed, "reason"));
        return reason ? reason : "";
    }
    return "";
}

/* A trainer reports checkpoints outside its trial directory: an absolute
 * path, a relative one through ../, and a symlink inside that points out.
 * With keep_checkpoints "best", retention deletes and links checkpoints; the
 * outside files must survive untouched, each refusal logged. */
START_TEST(test_checkpoints_outside_the_trial_are_refused_and_never_touched)
{
    const char *dir = WORK "/outside";
    fresh_dir(dir);
    write_text(WORK "/outside/victim.txt", "a user's file\n");
    write_text(WORK "/outside/victim-relative", "another user's file\n");
    char space[2048];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-outside\", \"command\": [\"%s/fake_trainer\", \"{mode}\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1, \"keep_checkpoints\": \"best\",\n"
             " \"params\": {\"target\": \"%s/victim.txt\",\n"
             "   \"mode\": {\"type\": \"choice\", \"values\": [\"outside\", \"linkout\", "
             "\"ok\"]}}}\n",
             BIN, dir);
    write_text(WORK "/outside/space.json", space);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out > log.txt 2>&1", dir,
                         BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && grep -qx \"a user's file\" victim.txt && "
                         "grep -qx \"another user's file\" victim-relative",
                         dir),
                     0);
    /* Each refusal is in the journal and in the trial's own stderr.log. */
    ck_assert_int_eq(run("test $(grep -c checkpoint_refused '%s/out/journal.jsonl') -eq 3", dir),
                     0);
    ck_assert_int_eq(run("grep -q 'refused: it resolves outside the trial' "
                         "'%s/out/trials/c0000-s0/stderr.log' && "
                         "grep -q 'link.ckpt refused' '%s/out/trials/c0001-s0/stderr.log'",
                         dir, dir),
                     0);
    /* best/ holds the real checkpoint of the best trial, never a victim. */
    ck_assert_int_eq(run("cd '%s/out/best' && ls | sort | tr '\\n' ' ' | grep -qx 'best.ckpt "
                         "best.json ' && grep -q 'fake checkpoint' best.ckpt",
                         dir),
                     0);
}
END_TEST

/* Failures name their cause: a Python-style print(dict), the objective as a
 * string, a non-zero exit with its stderr, a program that cannot start. */
START_TEST(test_failure_reasons_name_the_cause)
{
    const char *dir = WORK "/reasons";
    fresh_dir(dir);
    char space[2048];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-reasons\", \"command\": [\"%s/fake_trainer\", \"{mode}\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1, \"max_failures\": null,\n"
             " \"params\": {\"mode\": {\"type\": \"choice\", \"values\": [\"pydict\", "
             "\"strobj\", \"exit\", \"silent\", \"ok\"]}}}\n",
             BIN);
    write_text(WORK "/reasons/space.json", space);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out > log.txt 2>&1", dir,
                         BIN),
                     0);
    json_t *results = load_json(WORK "/reasons/out/results.json");
    const char *pydict = reason_of(results, "mode", "pydict");
    ck_assert_msg(strstr(pydict, "never reported val_accuracy; 1 stdout line looked like JSON "
                                 "objects but did not parse") &&
                      strstr(pydict, "the first: {'epoch': 1, 'val_accuracy': "),
                  "pydict: %s", pydict);
    const char *strobj = reason_of(results, "mode", "strobj");
    ck_assert_msg(strstr(strobj, "reported val_accuracy as \"0.") &&
                      strstr(strobj, "(a string), never as a number"),
                  "strobj: %s", strobj);
    ck_assert_str_eq(reason_of(results, "mode", "exit"),
                     "exited with status 7; stderr ends: usage: fake_trainer MODE | "
                     "fake_trainer: error: unrecognized arguments: --lr=0.1");
    ck_assert_str_eq(reason_of(results, "mode", "silent"),
                     "never reported val_accuracy; 1 stdout line were not JSON objects, the "
                     "first: training without reporting anything");
    json_decref(results);

    /* A program that cannot start is named; the summary gives the first
     * failure instead of pointing at logs. */
    const char *missing = WORK "/missing";
    fresh_dir(missing);
    write_text(WORK "/missing/space.json",
               "{\"name\": \"e2e-missing\", \"command\": [\"/nonexistent/pythn\", \"train.py\"],\n"
               " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1,\n"
               " \"params\": {\"lr\": {\"type\": \"choice\", \"values\": [0.1]}}}\n");
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out > log.txt 2>&1", missing,
                         BIN),
                     3);
    ck_assert_int_eq(run("grep -q 'no configuration succeeded; the first failure, trial c0000-s0: "
                         "could not start /nonexistent/pythn: No such file or directory' "
                         "'%s/log.txt'",
                         missing),
                     0);
}
END_TEST

/* resume --retry-failed runs failed trials again, whatever their reason;
 * the retry is a journal record, so status and report agree afterwards. */
START_TEST(test_resume_retry_failed_runs_failed_trials_again)
{
    const char *dir = WORK "/retry";
    fresh_dir(dir);
    char space[2048];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-retry\", \"command\": [\"%s/fake_trainer\", \"failwhile\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 2, \"max_failures\": null,\n"
             " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.3]}}}\n",
             BIN);
    write_text(WORK "/retry/space.json", space);
    write_text(WORK "/retry/marker", "fail\n");
    ck_assert_int_eq(run("cd '%s' && FAKE_TRAINER_FAIL_WHILE='%s/marker' '%s/hpsearch' run "
                         "space.json --out out > log.txt 2>&1",
                         dir, dir, BIN),
                     3);
    ck_assert_int_eq(run("rm '%s/marker'", dir), 0);
    /* A plain resume keeps finished trials, failed ones included. */
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' resume out > plain.txt 2>&1", dir, BIN), 0);
    ck_assert_int_eq(run("grep -q 'the sweep is complete (4 trials done, 4 failed)' "
                         "'%s/plain.txt'",
                         dir),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' resume out --retry-failed > retry.txt 2>&1",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("grep -q 'retrying 4 failed trials' '%s/retry.txt'", dir), 0);
    json_t *results = load_json(WORK "/retry/out/results.json");
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_ok")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_failed")), 0);
    json_decref(results);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' status out > status.txt && "
                         "grep -q '4/4 done (4 ok, 0 failed)' status.txt",
                         dir, BIN),
                     0);
}
END_TEST

/* A trainer that cannot write (exit 74, as hpsearch-train on a full disk) is
 * not a failed trial: the sweep stops with exit 1 naming the disk, and a
 * resume runs the trial again. */
START_TEST(test_trainer_io_failure_stops_the_sweep_and_resume_reruns_it)
{
    const char *dir = WORK "/ioerror";
    fresh_dir(dir);
    char space[2048];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-io\", \"command\": [\"%s/fake_trainer\", \"{mode}\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1, \"parallel\": 1,\n"
             " \"params\": {\"mode\": {\"type\": \"choice\", \"values\": [\"ok\", "
             "\"ioerror\", \"slow\"]}}}\n",
             BIN);
    write_text(WORK "/ioerror/space.json", space);
    write_text(WORK "/ioerror/marker", "disk full\n");
    ck_assert_int_eq(run("cd '%s' && FAKE_TRAINER_FAIL_WHILE='%s/marker' '%s/hpsearch' run "
                         "space.json --out out > log.txt 2> err.txt",
                         dir, dir, BIN),
                     1);
    ck_assert_int_eq(run("grep -q 'hpsearch: trial c0001-s0 exited with status 74 (an I/O "
                         "error): it could not write; the .* file system at .* that holds "
                         ".*out has .* MiB free; no trial is lost' '%s/err.txt'",
                         dir),
                     0);
    /* Not a failure: the trial ended interrupted, and the third never ran. */
    ck_assert_int_eq(run("grep -q '\"failure\"' '%s/out/journal.jsonl'", dir), 1);
    ck_assert_int_eq(run("grep -q 'c0002' '%s/out/journal.jsonl'", dir), 1);
    ck_assert_int_eq(run("grep -q 'stopped: its disk is full after' '%s/log.txt'", dir), 0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' status out | grep -q 'stopped: its disk is "
                         "full (hpsearch resume'",
                         dir, BIN),
                     0);
    /* Space again: resume runs the interrupted trial and the rest. */
    ck_assert_int_eq(run("cd '%s' && rm marker && FAKE_TRAINER_FAIL_WHILE='%s/marker' "
                         "'%s/hpsearch' resume out > resume.txt 2>&1",
                         dir, dir, BIN),
                     0);
    json_t *results = load_json(WORK "/ioerror/out/results.json");
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_ok")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_failed")), 0);
    json_decref(results);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_safety");
    TCase *tc = tcase_create("safety");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_checkpoints_outside_the_trial_are_refused_and_never_touched);
    tcase_add_test(tc, test_failure_reasons_name_the_cause);
    tcase_add_test(tc, test_resume_retry_failed_runs_failed_trials_again);
    tcase_add_test(tc, test_trainer_io_failure_stops_the_sweep_and_resume_reruns_it);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
