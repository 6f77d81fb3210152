/*
 * Run control, end to end: growing a sweep (resume --trials N, or a raised
 * strategy.trials), budgets (max_trials, max_time) and max_failures, each
 * with the real hpsearch on fake trainers. The promise under test is that a
 * budget or a growth changes only when trials are launched: the results are
 * those of one sweep run straight through.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/run_control"

/* Writes <dir>/space.json: fake_trainer `mode` (with `args`, a JSON list
 * tail such as ", \"--ms=10\"") over x in [0, 1], the strategy object
 * `strategy`, 2 seeds, and `extra` top-level members (each ending ","). */
static void write_space(const char *dir, const char *mode, const char *args,
                        const char *strategy, const char *extra)
{
    fresh_dir(dir);
    char space[4096];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-run-control\",\n"
             " \"command\": [\"%s/fake_trainer\", \"%s\"%s],\n"
             " \"strategy\": %s,\n"
             " \"seeds\": 2, %s\n"
             " \"params\": {\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1}}}\n",
             BIN, mode, args, strategy, extra);
    char path[4096];
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
}

/* One line per config of <dir>/out/results.json, in config order: its
 * params, mean and seed values, exactly as written. The caller frees it. */
static char *results_by_config(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    json_t *results = load_json(path);
    json_t *configs = json_object_get(results, "configs");
    size_t n = json_array_size(configs);
    char **lines = calloc(n + 1, sizeof *lines);
    ck_assert_ptr_nonnull(lines);
    size_t i;
    json_t *config;
    json_array_foreach(configs, i, config)
    {
        size_t index = (size_t)json_integer_value(json_object_get(config, "config"));
        ck_assert_uint_lt(index, n);
        json_t *seeds = json_object_get(config, "seeds");
        json_t *values = json_array();
        size_t j;
        json_t *seed;
        json_array_foreach(seeds, j, seed)
            json_array_append(values, json_object_get(seed, "value"));
        json_t *line = json_pack("{s:I, s:O, s:O, s:o}", "config", (json_int_t)index,
                                 "params", json_object_get(config, "params"), "mean",
                                 json_object_get(config, "mean"), "values", values);
        lines[index] = json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(line);
    }
    size_t total = 1;
    for (i = 0; i < n; i++) {
        ck_assert_msg(lines[i] != NULL, "%s: config %zu missing", path, i);
        total += strlen(lines[i]) + 1;
    }
    char *text = calloc(total, 1);
    for (i = 0; i < n; i++) {
        strcat(text, lines[i]);
        strcat(text, "\n");
        free(lines[i]);
    }
    free(lines);
    json_decref(results);
    return text;
}

static void assert_same_results(const char *dir_a, const char *dir_b)
{
    char *a = results_by_config(dir_a);
    char *b = results_by_config(dir_b);
    ck_assert_msg(strcmp(a, b) == 0, "%s and %s differ:\n%s---\n%s", dir_a, dir_b, a, b);
    free(a);
    free(b);
}

static int hpsearch(const char *dir, const char *args)
{
    return run("cd '%s' && '%s/hpsearch' %s > out.txt 2> err.txt", dir, BIN, args);
}

static int has_text(const char *dir, const char *file, const char *text)
{
    return run("grep -qF -- '%s' '%s/%s'", text, dir, file) == 0;
}

static int journal_count(const char *dir, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/out/journal.jsonl", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[65536];
    int count = 0;
    while (fgets(line, sizeof line, f))
        count += strstr(line, text) != NULL;
    fclose(f);
    return count;
}

/* Grows a random and a tpe sweep from 3 to 6 configs, by the flag and by
 * editing space.json: each gives the configs and numbers of a sweep of 6
 * run from the start. tpe models configs from earlier outcomes, so this
 * also holds its sequence across the growth. */
START_TEST(test_grow_by_flag_and_by_edit_equals_a_sweep_of_n)
{
    static const char *const strategies[][2] = {
        {"{\"type\": \"random\", \"trials\": 3, \"seed\": 5}",
         "{\"type\": \"random\", \"trials\": 6, \"seed\": 5}"},
        {"{\"type\": \"tpe\", \"trials\": 3, \"seed\": 5, \"startup\": 2, \"lag\": 0}",
         "{\"type\": \"tpe\", \"trials\": 6, \"seed\": 5, \"startup\": 2, \"lag\": 0}"},
    };
    for (size_t s = 0; s < 2; s++) {
        write_space(WORK "/full", "ok", "", strategies[s][1], "\"parallel\": 2,");
        ck_assert_int_eq(hpsearch(WORK "/full", "run space.json --out out"), 0);

        write_space(WORK "/flag", "ok", "", strategies[s][0], "\"parallel\": 2,");
        ck_assert_int_eq(hpsearch(WORK "/flag", "run space.json --out out"), 0);
        ck_assert_int_eq(hpsearch(WORK "/flag", "resume out --trials 6"), 0);
        ck_assert(has_text(WORK "/flag", "out.txt", "from 3 to 6 configs"));
        ck_assert_int_eq(journal_count(WORK "/flag", "\"event\":\"grow\""), 1);
        assert_same_results(WORK "/flag", WORK "/full");
        /* The sweep knows its size: a later resume has nothing to run, and
         * rerun finds a grown config. */
        ck_assert_int_eq(hpsearch(WORK "/flag", "resume out"), 0);
        ck_assert(has_text(WORK "/flag", "out.txt", "the sweep is complete (12 trials"));
        ck_assert_int_eq(hpsearch(WORK "/flag", "rerun out c0005-s1"), 0);

        /* The edit: strategy.trials raised in the sweep's space.json, with
         * the file laid out anew, as an editor might. */
        write_space(WORK "/edit", "ok", "", strategies[s][0], "\"parallel\": 2,");
        ck_assert_int_eq(hpsearch(WORK "/edit", "run space.json --out out"), 0);
        ck_assert_int_eq(run("cd '%s/edit/out' && sed 's/\"trials\": 3/\"trials\": 6/' "
                             "space.json | tr -d '\\n' > grown && mv grown space.json",
                             WORK),
                         0);
        ck_assert_int_eq(hpsearch(WORK "/edit", "resume out"), 0);
        ck_assert_int_eq(journal_count(WORK "/edit", "\"event\":\"grow\""), 1);
        assert_same_results(WORK "/edit", WORK "/full");
    }
}
END_TEST

/* A sweep does not shrink, another edit is still refused, and a grid's
 * trials bound grows up to the grid and no further. */
START_TEST(test_grow_refuses_shrinking_other_edits_and_past_the_grid)
{
    const char *dir = WORK "/refuse";
    write_space(dir, "ok", "", "{\"type\": \"random\", \"trials\": 3, \"seed\": 5}", "");
    ck_assert_int_eq(hpsearch(dir, "run space.json --out out"), 0);
    ck_assert_int_eq(hpsearch(dir, "resume out --trials 2"), 2);
    ck_assert(
        has_text(dir, "err.txt",
                 "option --trials: a sweep cannot shrink: it has 3 configs (got 2)"));
    ck_assert_int_eq(
        run("cd '%s/out' && sed -i 's/\"trials\": 3/\"trials\": 2/' space.json", dir), 0);
    ck_assert_int_eq(hpsearch(dir, "resume out"), 2);
    ck_assert(has_text(dir, "err.txt", "strategy.trials: a sweep cannot shrink"));
    ck_assert_int_eq(run("cd '%s/out' && sed -i 's/\"trials\": 2/\"trials\": 4/; "
                         "s/\"seed\": 5/\"seed\": 6/' space.json",
                         dir),
                     0);
    ck_assert_int_eq(hpsearch(dir, "resume out"), 2);
    ck_assert(has_text(dir, "err.txt", "was edited since the sweep started"));
    ck_assert_int_eq(journal_count(dir, "\"event\":\"start\""), 6); /* nothing ran */

    /* A grid of 4 configs bounded to 2 grows to 4, as the whole grid. */
    const char *grid = "{\"type\": \"grid\", \"trials\": 2}";
    fresh_dir(WORK "/grid");
    char space[2048];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-grid\", \"command\": [\"%s/fake_trainer\", \"ok\"],\n"
             " \"strategy\": %s, \"seeds\": 1,\n"
             " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.2, 0.3, "
             "0.4]}}}\n",
             BIN, grid);
    write_text(WORK "/grid/space.json", space);
    ck_assert_int_eq(hpsearch(WORK "/grid", "run space.json --out out"), 0);
    ck_assert_int_eq(hpsearch(WORK "/grid", "resume out --trials 5"), 2);
    ck_assert(has_text(WORK "/grid", "err.txt",
                       "option --trials: strategy.trials: the grid has only 4 "
                       "configurations (got 5); a grid sweep cannot grow past its grid"));
    ck_assert_int_eq(hpsearch(WORK "/grid", "resume out --trials 4"), 0);
    ck_assert_int_eq(journal_count(WORK "/grid", "\"event\":\"end\""), 4);
}
END_TEST

/* max_trials stops launching (exit 7, said in the summary); resume goes
 * on, under the space's max_trials again, and finishes the same sweep. */
START_TEST(test_max_trials_stops_and_resume_finishes)
{
    const char *strategy = "{\"type\": \"random\", \"trials\": 4, \"seed\": 9}";
    write_space(WORK "/full", "ok", "", strategy, "\"parallel\": 2,");
    ck_assert_int_eq(hpsearch(WORK "/full", "run space.json --out out"), 0);

    const char *dir = WORK "/trials";
    write_space(dir, "ok", "", strategy, "\"parallel\": 2, \"max_trials\": 5,");
    ck_assert_int_eq(hpsearch(dir, "run space.json --out out"), 7);
    ck_assert(has_text(dir, "out.txt", "stopped at max_trials (5)"));
    ck_assert_int_eq(journal_count(dir, "\"event\":\"start\""), 5);
    /* The flag overrides the space for one run. */
    ck_assert_int_eq(hpsearch(dir, "resume out --max-trials 1"), 7);
    ck_assert_int_eq(journal_count(dir, "\"event\":\"start\""), 6);
    ck_assert_int_eq(hpsearch(dir, "resume out"), 0);
    ck_assert_int_eq(journal_count(dir, "\"event\":\"start\""), 8);
    assert_same_results(dir, WORK "/full");
}
END_TEST

/* max_time: trials slower than the deadline and its grace are stopped as on
 * Ctrl-C (ended "interrupted"), the sweep exits 7 and says why; resume runs
 * them again to the end. */
START_TEST(test_max_time_stops_slow_trials_and_resume_finishes)
{
    const char *dir = WORK "/time";
    write_space(dir, "slow", ", \"--ms=1500\"",
                "{\"type\": \"random\", \"trials\": 1, \"seed\": 9}",
                "\"parallel\": 2, \"max_time_grace\": \"0.5s\",");
    /* Each trial sleeps 4.5 s; the deadline and its grace end after 1.5 s. */
    ck_assert_int_eq(hpsearch(dir, "run space.json --out out --max-time 1s"), 7);
    ck_assert(has_text(dir, "out.txt", "stopped at max_time (1s)"));
    ck_assert(has_text(dir, "err.txt", "grace is over: stopping the running trials"));
    ck_assert_int_eq(journal_count(dir, "\"status\":\"interrupted\""), 2);
    ck_assert_int_eq(journal_count(dir, "\"status\":\"ok\""), 0);
    ck_assert_int_eq(hpsearch(dir, "resume out"), 0);
    ck_assert_int_eq(journal_count(dir, "\"status\":\"ok\""), 2);
}
END_TEST

/* max_failures "auto" (the default): a command that always fails the same
 * way stops after the first 3 trials, naming the reason and their logs. */
START_TEST(test_always_failing_command_stops_after_three)
{
    const char *dir = WORK "/broken";
    write_space(dir, "exit", "", "{\"type\": \"random\", \"trials\": 10, \"seed\": 1}",
                "\"parallel\": 1,");
    ck_assert_int_eq(hpsearch(dir, "run space.json --out out"), 4);
    ck_assert_int_eq(journal_count(dir, "\"event\":\"end\""), 3);
    ck_assert(has_text(dir, "err.txt", "the first 3 trials all failed the same way"));
    ck_assert(has_text(dir, "err.txt", "exited with status 7"));
    ck_assert(has_text(dir, "err.txt",
                       "trials/c0000-s0/stderr.log, trials/c0000-s1/stderr.log, "
                       "trials/c0001-s0/stderr.log"));
    ck_assert(
        has_text(dir, "out.txt", "stopped: the first 3 trials failed the same way"));
}
END_TEST

/* max_failures null (and --max-failures null) keeps the old behaviour: every
 * trial runs, and the sweep ends "every trial failed". */
START_TEST(test_max_failures_null_runs_on)
{
    const char *dir = WORK "/null";
    write_space(dir, "exit", "", "{\"type\": \"random\", \"trials\": 4, \"seed\": 1}",
                "\"parallel\": 1, \"max_failures\": null,");
    ck_assert_int_eq(hpsearch(dir, "run space.json --out out"), 3);
    ck_assert_int_eq(journal_count(dir, "\"event\":\"end\""), 8);

    write_space(dir, "exit", "", "{\"type\": \"random\", \"trials\": 4, \"seed\": 1}",
                "\"parallel\": 1,");
    ck_assert_int_eq(hpsearch(dir, "run space.json --out out --max-failures null"), 3);
    ck_assert_int_eq(journal_count(dir, "\"event\":\"end\""), 8);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_run_control");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_grow_by_flag_and_by_edit_equals_a_sweep_of_n);
    tcase_add_test(tc, test_grow_refuses_shrinking_other_edits_and_past_the_grid);
    tcase_add_test(tc, test_max_trials_stops_and_resume_finishes);
    tcase_add_test(tc, test_max_time_stops_slow_trials_and_resume_finishes);
    tcase_add_test(tc, test_always_failing_command_stops_after_three);
    tcase_add_test(tc, test_max_failures_null_runs_on);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
