/*
 * End-to-end sweeps: the real hpsearch running the real hpsearch-train (and
 * the fake trainers of tests/helpers) on small synthetic data, checked
 * through the files a user would read: results.json, best/, trials/.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work"

/* Counts files under dir whose names end in `suffix`, recursively. */
static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            count += count_files(path, suffix);
        } else {
            size_t n = strlen(e->d_name), m = strlen(suffix);
            count += n >= m && strcmp(e->d_name + n - m, suffix) == 0;
        }
    }
    closedir(d);
    return count;
}

/* A small sweep of the real trainer where one config diverges (lr 1e5 on
 * plain SGD gives a NaN loss, and the trainer exits 3). */
static const char *FAILING_SPACE =
    "{\n"
    "  \"name\": \"e2e-fail\",\n"
    "  \"command\": [\"hpsearch-train\", \"--data\", \"synthetic\", \"--epochs\", \"4\"],\n"
    "  \"objective\": {\"metric\": \"val_accuracy\", \"mode\": \"max\"},\n"
    "  \"strategy\": {\"type\": \"grid\"},\n"
    "  \"seeds\": [0, 1, 2],\n"
    "  \"parallel\": 2,\n"
    "  \"params\": {\n"
    "    \"optimizer\": \"sgd\",\n"
    "    \"lr\": {\"type\": \"choice\", \"values\": [0.01, 0.1, 100000.0]},\n"
    "    \"hidden\": \"32\"\n"
    "  }\n"
    "}\n";

START_TEST(test_sweep_records_failure_ranks_configs_and_keeps_only_the_best_checkpoint)
{
    const char *dir = WORK "/fail";
    fresh_dir(dir);
    write_text(WORK "/fail/space.json", FAILING_SPACE);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out > log.txt 2>&1",
                         dir, BIN),
                     0);
    json_t *results = load_json(WORK "/fail/out/results.json");
    json_t *configs = json_object_get(results, "configs");
    ck_assert_uint_eq(json_array_size(configs), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_failed")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_ok")), 6);

    /* Ranked by mean, best first; the diverged config last, with its reason. */
    double previous = INFINITY;
    for (size_t r = 0; r < 2; r++) {
        json_t *c = json_array_get(configs, r);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "rank")), (json_int_t)r + 1);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "n")), 3);
        double mean = json_number_value(json_object_get(c, "mean"));
        ck_assert(mean <= previous);
        previous = mean;
        json_t *ci = json_object_get(c, "ci95");
        ck_assert(json_number_value(json_array_get(ci, 0)) <= mean);
        ck_assert(json_number_value(json_array_get(ci, 1)) >= mean);
    }
    json_t *failed = json_array_get(configs, 2);
    ck_assert(json_real_value(json_object_get(json_object_get(failed, "params"), "lr")) ==
              100000.0);
    ck_assert_int_eq(json_integer_value(json_object_get(failed, "n")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(failed, "failed")), 3);
    json_t *seed0 = json_array_get(json_object_get(failed, "seeds"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(seed0, "failure")), "nan");

    /* best/ holds the best config's best seed; every other checkpoint is gone. */
    json_t *top = json_array_get(configs, 0);
    json_t *best = load_json(WORK "/fail/out/best/best.json");
    ck_assert_int_eq(json_integer_value(json_object_get(best, "config")),
                     json_integer_value(json_object_get(top, "config")));
    ck_assert(json_number_value(json_object_get(best, "score")) ==
              json_number_value(json_object_get(top, "max")));
    ck_assert_int_eq(access(WORK "/fail/out/best/best.ckpt", R_OK), 0);
    ck_assert_int_eq(count_files(WORK "/fail/out/best", ".ckpt"), 1);
    ck_assert_int_eq(count_files(WORK "/fail/out/trials", ".ckpt"), 1);
    char kept[4096];
    snprintf(kept, sizeof kept, "%s/out/trials/%s/best.ckpt", dir,
             json_string_value(json_object_get(best, "trial")));
    ck_assert_int_eq(access(kept, R_OK), 0);

    /* The journal recorded every start and end; the CSV has one row per trial. */
    ck_assert_int_eq(run("test $(grep -c '\"event\":\"start\"' '%s/out/journal.jsonl') -eq 9",
                         dir),
                     0);
    ck_assert_int_eq(run("test $(wc -l < '%s/out/results.csv') -eq 10", dir), 0);
    json_decref(best);
    json_decref(results);
}
END_TEST

/* Every seed's value of every config, in ranked order, as text. */
static char *objective_values(const char *path)
{
    json_t *results = load_json(path);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(results, "configs"), i, config) {
        size_t j;
        json_t *seed;
        json_array_foreach(json_object_get(config, "seeds"), j, seed)
            fprintf(out, "%zu %s %.17g\n", i, json_string_value(json_object_get(seed, "trial")),
                    json_number_value(json_object_get(seed, "value")));
    }
    fclose(out);
    json_decref(results);
    return text;
}

START_TEST(test_same_space_twice_gives_bit_identical_objectives)
{
    const char *dir = WORK "/twice";
    fresh_dir(dir);
    write_text(WORK "/twice/space.json",
               "{\"name\": \"e2e-twice\",\n"
               " \"command\": [\"hpsearch-train\", \"--epochs\", \"3\"],\n"
               " \"strategy\": {\"type\": \"random\", \"trials\": 3, \"seed\": 11},\n"
               " \"seeds\": 2,\n"
               " \"params\": {\"lr\": {\"type\": \"loguniform\", \"low\": 0.0003, \"high\": 0.03},\n"
               "            \"batch\": {\"type\": \"int\", \"low\": 16, \"high\": 128, \"log\": true},\n"
               "            \"hidden\": {\"type\": \"choice\", \"values\": [\"16\", \"32,16\"]}}}\n");
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out a -j 2 > a.log 2>&1 && "
                         "'%s/hpsearch' run space.json --out b -j 1 > b.log 2>&1",
                         dir, BIN, BIN),
                     0);
    char *a = objective_values(WORK "/twice/a/results.json");
    char *b = objective_values(WORK "/twice/b/results.json");
    ck_assert_uint_gt(strlen(a), 0);
    ck_assert_str_eq(a, b);
    /* And the whole files agree apart from timings. */
    ck_assert_int_eq(run("cd '%s' && grep -v -e elapsed_s -e trainer_seconds -e resource_units a/results.json > a.json && "
                         "grep -v -e elapsed_s -e trainer_seconds -e resource_units b/results.json > b.json && cmp -s a.json b.json",
                         dir),
                     0);
    free(a);
    free(b);
}
END_TEST

/* Each misbehaving trainer is classified with its reason; the sweep goes on. */
START_TEST(test_sweep_classifies_every_kind_of_trial_failure)
{
    const char *dir = WORK "/faults";
    fresh_dir(dir);
    char space[2048];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-faults\", \"command\": [\"%s/fake_trainer\", \"{mode}\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1, \"timeout_s\": 2,\n"
             " \"max_failures\": null,\n"
             " \"params\": {\"mode\": {\"type\": \"choice\", \"values\": [\"ok\", \"crash\", "
             "\"exit\", \"nan\", \"silent\", \"garbage\", \"longline\", \"progress\", "
             "\"hang\"]}}}\n",
             BIN);
    write_text(WORK "/faults/space.json", space);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 > log.txt 2>&1",
                         dir, BIN),
                     0);
    json_t *results = load_json(WORK "/faults/out/results.json");
    const char *expected[][2] = {{"ok", "ok"},           {"crash", "signal"},
                                 {"exit", "exit_code"},  {"nan", "nan"},
                                 {"silent", "no_objective"}, {"garbage", "ok"},
                                 {"longline", "ok"},     {"progress", "ok"},
                                 {"hang", "timeout"}};
    size_t found = 0;
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(results, "configs"), i, config) {
        const char *mode =
            json_string_value(json_object_get(json_object_get(config, "params"), "mode"));
        json_t *seed = json_array_get(json_object_get(config, "seeds"), 0);
        const char *status = json_string_value(json_object_get(seed, "status"));
        const char *failure = json_string_value(json_object_get(seed, "failure"));
        for (size_t e = 0; e < sizeof expected / sizeof expected[0]; e++) {
            if (strcmp(expected[e][0], mode) != 0)
                continue;
            found++;
            if (strcmp(expected[e][1], "ok") == 0) {
                ck_assert_msg(strcmp(status, "ok") == 0, "%s: %s", mode, status);
                ck_assert(json_number_value(json_object_get(seed, "value")) > 0.9);
            } else {
                ck_assert_msg(failure && strcmp(failure, expected[e][1]) == 0,
                              "%s: expected %s, got %s", mode, expected[e][1],
                              failure ? failure : "(none)");
            }
        }
    }
    ck_assert_uint_eq(found, 9);
    /* The over-long line was dropped, and the good lines after it still counted. */
    ck_assert_int_eq(run("grep -q '\"dropped_long_lines\":1' '%s/out/journal.jsonl'", dir), 0);
    json_decref(results);
}
END_TEST

START_TEST(test_dry_run_lists_every_trial_and_starts_nothing)
{
    const char *dir = WORK "/dry";
    fresh_dir(dir);
    write_text(WORK "/dry/space.json", FAILING_SPACE);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run --dry-run space.json --out out > list.txt",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("grep -q '3 configs x 3 seeds = 9 trials' '%s/list.txt'", dir), 0);
    ck_assert_int_eq(run("test $(grep -c -- '--lr=' '%s/list.txt') -eq 9", dir), 0);
    ck_assert_int_ne(access(WORK "/dry/out", F_OK), 0);
}
END_TEST

START_TEST(test_refuses_to_overwrite_an_existing_sweep)
{
    const char *dir = WORK "/again";
    fresh_dir(dir);
    write_text(WORK "/again/space.json",
               "{\"command\": [\"hpsearch-train\", \"--epochs\", \"1\"], \"params\": {}}\n");
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out > /dev/null", dir,
                         BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out 2> err.txt", dir,
                         BIN),
                     2);
    ck_assert_int_eq(run("grep -q 'already holds a sweep' '%s/err.txt'", dir), 0);
}
END_TEST

/* A journal write that fails (here: the file-size limit, as a full disk would)
 * stops the sweep with a clear message; what was recorded stays valid and a
 * resume finishes the sweep. */
START_TEST(test_full_disk_stops_the_sweep_and_loses_nothing)
{
    const char *dir = WORK "/full";
    fresh_dir(dir);
    char space[1024];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-full\", \"command\": [\"%s/fake_trainer\", \"ok\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1,\n"
             " \"params\": {\"x\": {\"type\": \"int\", \"low\": 0, \"high\": 39, "
             "\"step\": 1}}}\n",
             BIN);
    write_text(WORK "/full/space.json", space);
    ck_assert_int_eq(run("cd '%s' && sh -c 'ulimit -f 8; exec \"$0\" run space.json --out out' "
                         "'%s/hpsearch' > log.txt 2> err.txt",
                         dir, BIN),
                     1);
    ck_assert_int_eq(run("grep -q 'journal.jsonl: write failed: File too large' '%s/err.txt'",
                         dir),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' status out > status.txt", dir, BIN), 0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' resume out > resume.txt 2>&1", dir, BIN), 0);
    json_t *results = load_json(WORK "/full/out/results.json");
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_ok")), 40);
    ck_assert_uint_eq(json_array_size(json_object_get(results, "configs")), 40);
    json_decref(results);
}
END_TEST

/* keep_checkpoints "top-2": the best seed of each of the two best configs. */
START_TEST(test_keep_top_k_keeps_the_best_seed_of_the_k_best_configs)
{
    const char *dir = WORK "/topk";
    fresh_dir(dir);
    char space[1024];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-topk\", \"command\": [\"%s/fake_trainer\", \"ok\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 2, \"keep_checkpoints\": \"top-2\",\n"
             " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.9, 0.3, 0.6, 0.0, 0.5]}}}\n",
             BIN);
    write_text(WORK "/topk/space.json", space);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 > log.txt 2>&1",
                         dir, BIN),
                     0);
    /* x = 0.3 (config 1) is best, x = 0.5 (config 4) second; seed 1 scores higher. */
    ck_assert_int_eq(count_files(WORK "/topk/out/trials", ".ckpt"), 2);
    ck_assert_int_eq(access(WORK "/topk/out/trials/c0001-s1/best.ckpt", R_OK), 0);
    ck_assert_int_eq(access(WORK "/topk/out/trials/c0004-s1/best.ckpt", R_OK), 0);
    ck_assert_int_eq(count_files(WORK "/topk/out/best", ".ckpt"), 1);
    /* This trainer writes nothing on stderr: no empty log is kept. */
    ck_assert_int_eq(count_files(WORK "/topk/out/trials", "stderr.log"), 0);
    ck_assert_int_eq(count_files(WORK "/topk/out/trials", "stdout.log"), 10);
}
END_TEST

/* max_failures stops launching once reached: exit status 4, and the
 * remaining trials are left for a resume. */
START_TEST(test_max_failures_stops_the_sweep_cleanly)
{
    const char *dir = WORK "/maxfail";
    fresh_dir(dir);
    char space[1024];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-maxfail\", \"command\": [\"%s/fake_trainer\", \"crash\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1, \"max_failures\": 3,\n"
             " \"retries\": 1, \"parallel\": 1,\n"
             " \"params\": {\"x\": {\"type\": \"int\", \"low\": 0, \"high\": 9, \"step\": 1}}}\n",
             BIN);
    write_text(WORK "/maxfail/space.json", space);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out > log.txt 2> err.txt",
                         dir, BIN),
                     4);
    ck_assert_int_eq(run("grep -q 'max_failures is 3' '%s/err.txt'", dir), 0);
    json_t *results = load_json(WORK "/maxfail/out/results.json");
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_failed")), 3);
    /* Each failed trial ran twice (one retry), each attempt's reason recorded. */
    json_t *seed = json_array_get(json_object_get(json_array_get(json_object_get(results,
                                                                                 "configs"),
                                                                 0),
                                                  "seeds"),
                                  0);
    ck_assert_int_eq(json_integer_value(json_object_get(seed, "attempts")), 2);
    ck_assert_int_eq(run("test $(grep -c '\"will_retry\":true' '%s/out/journal.jsonl') -eq 3",
                         dir),
                     0);
    json_decref(results);
}
END_TEST

/* Ctrl-C: the running trials are asked to stop, the journal stays
 * consistent, the exit status is 130, and a resume finishes the sweep. */
START_TEST(test_interrupt_stops_trials_and_resume_finishes)
{
    const char *dir = WORK "/sigint";
    fresh_dir(dir);
    char space[1024];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-sigint\", \"command\": [\"%s/fake_trainer\", \"slow\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 2, \"parallel\": 2,\n"
             " \"params\": {\"ms\": 400, \"x\": {\"type\": \"choice\", \"values\": [0.1, 0.2, "
             "0.3]}}}\n",
             BIN);
    write_text(WORK "/sigint/space.json", space);
    /* status is polled until both trials have reported an epoch (a loaded
     * machine may take a while to start them), then the sweep is interrupted. */
    ck_assert_int_eq(run("cd '%s' && { '%s/hpsearch' run space.json --out out > log.txt 2>&1 & "
                         "pid=$!; for i in $(seq 100); do sleep 0.1; "
                         "'%s/hpsearch' status out > live.txt 2>&1; "
                         "test $(grep -c '    c000[0-9]-s[01]  epoch=' live.txt) -ge 2 && break; "
                         "done; kill -INT $pid; wait $pid; echo $? > status.txt; }",
                         dir, BIN, BIN),
                     0);
    ck_assert_int_eq(run("grep -qx 130 '%s/status.txt'", dir), 0);
    /* status, from another process while the sweep ran: who runs, and the
     * running trials' latest metric lines. */
    ck_assert_int_eq(run("grep -q 'e2e-sigint: running' '%s/live.txt' && "
                         "grep -q 'hpsearch pid' '%s/live.txt' && "
                         "grep -q '2 running' '%s/live.txt' && "
                         "grep -q '    c000[0-9]-s[01]  epoch=[0-9] train_loss=' '%s/live.txt'",
                         dir, dir, dir, dir),
                     0);
    ck_assert_int_eq(run("grep -q '\"status\":\"interrupted\"' '%s/out/journal.jsonl'", dir),
                     0);
    /* The summary says the sweep was interrupted, what finished, and how to go
     * on; status says the same afterwards. */
    ck_assert_int_eq(run("cd '%s' && grep -q 'Ctrl-C again kills them now' log.txt && "
                         "grep -q 'e2e-sigint: interrupted by Ctrl-C after .* trials\\? finished' "
                         "log.txt && grep -q 'hpsearch resume .*out continues it' log.txt && "
                         "! grep -q 'no configuration succeeded' log.txt",
                         dir),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' status out > after.txt && "
                         "grep -q 'e2e-sigint: interrupted by Ctrl-C (hpsearch resume' after.txt",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' resume out > resume.txt 2>&1", dir, BIN), 0);
    /* An interrupted trial's log keeps its first part, then says where the
     * resumed attempt starts. */
    ck_assert_int_eq(run("grep -q -- '---- hpsearch: attempt 1, resumed from .*best.ckpt starts here "
                         "----' '%s'/out/trials/*/stdout.log",
                         dir),
                     0);
    json_t *results = load_json(WORK "/sigint/out/results.json");
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_ok")), 6);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_failed")), 0);
    json_decref(results);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_sweep");
    TCase *tc = tcase_create("sweeps");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_sweep_records_failure_ranks_configs_and_keeps_only_the_best_checkpoint);
    tcase_add_test(tc, test_same_space_twice_gives_bit_identical_objectives);
    tcase_add_test(tc, test_sweep_classifies_every_kind_of_trial_failure);
    tcase_add_test(tc, test_dry_run_lists_every_trial_and_starts_nothing);
    tcase_add_test(tc, test_refuses_to_overwrite_an_existing_sweep);
    tcase_add_test(tc, test_full_disk_stops_the_sweep_and_loses_nothing);
    tcase_add_test(tc, test_keep_top_k_keeps_the_best_seed_of_the_k_best_configs);
    tcase_add_test(tc, test_max_failures_stops_the_sweep_cleanly);
    tcase_add_test(tc, test_interrupt_stops_trials_and_resume_finishes);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
