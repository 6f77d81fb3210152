/*
 * Conditional parameters end to end, with the fake trainer: an inactive
 * parameter reaches the trainer neither as a flag nor in HPSEARCH_PARAMS, is
 * absent from the journal and results, and does not multiply the grid; the
 * samplers and PBT keep every config's parameters consistent with their
 * conditions; and the same space gives the same configs on every run.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/when"

/* optimizer [sgd, adam]; momentum (3 values) only under sgd; nesterov only
 * where momentum is 0.9 or 0.95. Declared child first, to show that the
 * order of declaration does not matter. */
static const char *const NESTED_PARAMS =
    "{\"momentum\": {\"type\": \"uniform\", \"low\": 0.5, \"high\": 0.99,"
    "                \"values\": [0.8, 0.9, 0.95], \"when\": {\"optimizer\": \"sgd\"}},"
    " \"optimizer\": {\"type\": \"choice\", \"values\": [\"sgd\", \"adam\"]},"
    " \"nesterov\": {\"type\": \"choice\", \"values\": [true, false],"
    "                \"when\": {\"momentum\": [0.9, 0.95]}}}";

static void write_space(const char *dir, const char *mode, const char *strategy,
                        const char *scheduler, const char *params)
{
    char space[4096];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-when\",\n"
             " \"command\": [\"%s/fake_trainer\", \"%s\"],\n"
             " \"strategy\": %s,\n"
             "%s%s%s"
             " \"seeds\": [0, 1],\n"
             " \"params\": %s}\n",
             BIN, mode, strategy, scheduler ? " \"scheduler\": " : "",
             scheduler ? scheduler : "", scheduler ? ",\n" : "", params);
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
}

/* Whether `params` holds exactly the parameters NESTED_PARAMS makes active. */
static void assert_nested_consistent(const json_t *params)
{
    const char *opt = json_string_value(json_object_get(params, "optimizer"));
    ck_assert_ptr_nonnull(opt);
    const json_t *m = json_object_get(params, "momentum");
    int sgd = strcmp(opt, "sgd") == 0;
    ck_assert_msg(sgd == (m != NULL), "momentum present iff optimizer is sgd");
    int nesterov_on = m && json_real_value(m) > 0.85;
    ck_assert_msg(nesterov_on == (json_object_get(params, "nesterov") != NULL),
                  "nesterov present iff momentum is 0.9 or 0.95");
}

/* The "params" of every config in results.json, checked by `check`; returns
 * how many configs there were. */
static size_t check_results(const char *out, void (*check)(const json_t *))
{
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", out);
    json_t *doc = load_json(path);
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(doc, "configs"), i, config)
        check(json_object_get(config, "params"));
    size_t n = json_array_size(json_object_get(doc, "configs"));
    json_decref(doc);
    return n;
}

/* The same for every "params" object in the journal (start and decide
 * records); returns how many were seen. */
static size_t check_journal(const char *out, void (*check)(const json_t *))
{
    char path[512];
    snprintf(path, sizeof path, "%s/journal.jsonl", out);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    size_t seen = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *record = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(record);
        const json_t *params = json_object_get(record, "params");
        if (json_is_object(params)) {
            check(params);
            seen++;
        }
        json_decref(record);
    }
    free(line);
    fclose(f);
    return seen;
}

START_TEST(test_grid_sweep_passes_only_active_params_to_the_trainer)
{
    const char *dir = WORK "/grid";
    fresh_dir(dir);
    write_space(dir, "argv", "{\"type\": \"grid\"}", NULL, NESTED_PARAMS);
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 > log.txt 2>&1", dir,
            BIN),
        0);
    /* sgd: 0.8 (1) + 0.9 (2 nesterov) + 0.95 (2) = 5; adam: 1. Not 2 x 3 x 2. */
    ck_assert_uint_eq(check_results(WORK "/grid/out", assert_nested_consistent), 6);
    ck_assert_uint_ge(check_journal(WORK "/grid/out", assert_nested_consistent), 12);
    /* The trainer's own argv: adam trials get no --momentum and no --nesterov,
     * the 0.8 trials no --nesterov. */
    ck_assert_int_eq(run("cd '%s/out/trials' && test $(ls | wc -l) -eq 12", dir), 0);
    ck_assert_int_eq(
        run("cd '%s/out/trials' && for t in *; do "
            "  if grep -qx -- '--optimizer=adam' $t/argv.txt; then "
            "    ! grep -q -- '--momentum\\|--nesterov' $t/argv.txt || exit 1; "
            "  else grep -q -- '^--momentum=' $t/argv.txt || exit 1; fi; "
            "  if grep -qx -- '--momentum=0.8' $t/argv.txt; then "
            "    ! grep -q -- '--nesterov' $t/argv.txt || exit 1; fi; "
            "done",
            dir),
        0);
    /* nesterov is a boolean: a bare --nesterov where true (4 of its 8
     * active trials), nothing where false. */
    ck_assert_int_eq(run("cd '%s/out/trials' && test $(cat */argv.txt | grep -cx -e "
                         "'--nesterov') -eq 4 && test $(cat */argv.txt | grep -c "
                         "'^--momentum=') -eq 10",
                         dir),
                     0);
    /* results.csv: the adam rows leave momentum and nesterov empty. */
    ck_assert_int_eq(run("cd '%s/out' && head -1 results.csv | grep -q "
                         "',param_momentum,param_optimizer,param_nesterov,' && "
                         "test $(grep -c ',,adam,,' results.csv) -eq 2",
                         dir),
                     0);
}
END_TEST

/* A config of {x, opt, m}: m present iff opt is "a". */
static void assert_xm_consistent(const json_t *params)
{
    const char *opt = json_string_value(json_object_get(params, "opt"));
    ck_assert_ptr_nonnull(opt);
    ck_assert_ptr_nonnull(json_object_get(params, "x"));
    ck_assert_msg((strcmp(opt, "a") == 0) == (json_object_get(params, "m") != NULL),
                  "m present iff opt is a");
}

static const char *const XM_PARAMS =
    "{\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1},"
    " \"opt\": {\"type\": \"choice\", \"values\": [\"a\", \"b\", \"c\"]},"
    " \"m\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1, \"when\": {\"opt\": "
    "\"a\"}}}";

/* Runs the sweep in dir/<sub> at -j `jobs` and returns results.json's configs
 * as text, without timings. */
static char *run_configs(const char *dir, const char *sub, int jobs)
{
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out %s -j %d > "
                         "%s.log 2>&1",
                         dir, BIN, sub, jobs, sub),
                     0);
    char path[512];
    snprintf(path, sizeof path, "%s/%s/results.json", dir, sub);
    json_t *doc = load_json(path);
    json_t *params = json_array();
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(doc, "configs"), i, config)
        json_array_append(params, json_object_get(config, "params"));
    char *text = json_dumps(params, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(params);
    json_decref(doc);
    return text;
}

START_TEST(test_tpe_with_asha_keeps_conditions_and_is_deterministic)
{
    const char *dir = WORK "/tpe";
    fresh_dir(dir);
    write_space(dir, "budget",
                "{\"type\": \"tpe\", \"trials\": 16, \"seed\": 3, \"startup\": 4}",
                "{\"type\": \"asha\", \"min\": 1, \"max\": 4, \"eta\": 2}", XM_PARAMS);
    char *first = run_configs(dir, "j1", 1);
    char *second = run_configs(dir, "j3", 3);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    ck_assert_uint_eq(check_results(WORK "/tpe/j1", assert_xm_consistent), 16);
    check_journal(WORK "/tpe/j1", assert_xm_consistent);
    /* Both branches were tried. */
    ck_assert_int_eq(run("grep -q '\"m\":' '%s/j1/journal.jsonl' && "
                         "grep -q '\"opt\":\"b\"' '%s/j1/journal.jsonl'",
                         dir, dir),
                     0);
}
END_TEST

/* Counts PBT's exploits whose new params turn m on, and those that turn it
 * off, against the params of the member they copy. */
static void count_activity_changes(const char *journal, int *on, int *off)
{
    json_t *started = json_object();
    FILE *f = fopen(journal, "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    *on = *off = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *record = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(record);
        const char *event = json_string_value(json_object_get(record, "event"));
        const char *action = json_string_value(json_object_get(record, "action"));
        char key[32];
        if (event && strcmp(event, "start") == 0) {
            snprintf(key, sizeof key, "%lld",
                     (long long)json_integer_value(json_object_get(record, "config")));
            json_object_set(started, key, json_object_get(record, "params"));
        } else if (action && strcmp(action, "exploit") == 0) {
            snprintf(key, sizeof key, "%lld",
                     (long long)json_integer_value(json_object_get(record, "source")));
            const json_t *from = json_object_get(started, key);
            ck_assert_ptr_nonnull(from);
            int had = json_object_get(from, "m") != NULL;
            int has = json_object_get(json_object_get(record, "params"), "m") != NULL;
            *on += !had && has;
            *off += had && !has;
        }
        json_decref(record);
    }
    free(line);
    fclose(f);
    json_decref(started);
}

START_TEST(test_tpe_kill_and_resume_gives_the_same_configs)
{
    const char *dir = WORK "/resume";
    fresh_dir(dir);
    /* The mode's string carries a jitter, so that trials finish out of order. */
    write_space(dir, "budget\", \"--jitter=20",
                "{\"type\": \"tpe\", \"trials\": 12, \"seed\": 5, \"startup\": 4}",
                "{\"type\": \"asha\", \"min\": 1, \"max\": 4, \"eta\": 2}", XM_PARAMS);
    char *whole = run_configs(dir, "whole", 2);
    ck_assert_int_eq(
        run("cd '%s' && { '%s/hpsearch' run space.json --out cut -j 2 > cut.log "
            "2>&1 & pid=$!; for i in $(seq 300); do sleep 0.02; "
            "n=$(grep -c '\"event\":\"end\"' cut/journal.jsonl 2>/dev/null); "
            "test \"${n:-0}\" -ge 6 && break; done; kill -9 $pid; wait $pid; "
            "true; }",
            dir, BIN),
        0);
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' resume cut -j 3 > resume.log 2>&1", dir, BIN), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/cut/results.json", dir);
    json_t *doc = load_json(path);
    json_t *params = json_array();
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(doc, "configs"), i, config)
        json_array_append(params, json_object_get(config, "params"));
    char *cut = json_dumps(params, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_str_eq(cut, whole);
    free(cut);
    free(whole);
    json_decref(params);
    json_decref(doc);
    check_journal(WORK "/resume/cut", assert_xm_consistent);
}
END_TEST

START_TEST(test_pbt_explore_keeps_conditions)
{
    const char *dir = WORK "/pbt";
    fresh_dir(dir);
    write_space(dir, "budget", "{\"type\": \"random\", \"trials\": 6, \"seed\": 4}",
                "{\"type\": \"pbt\", \"population\": 6, \"interval\": 1, "
                "\"generations\": 4, \"resample_probability\": 0.5, \"seed\": 2}",
                XM_PARAMS);
    char *first = run_configs(dir, "j1", 1);
    char *second = run_configs(dir, "j2", 2);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    ck_assert_uint_ge(check_journal(WORK "/pbt/j1", assert_xm_consistent), 24);
    check_results(WORK "/pbt/j1", assert_xm_consistent);
    /* Explore changed opt both ways: m was dropped, and m was drawn afresh. */
    int on = 0;
    int off = 0;
    count_activity_changes(WORK "/pbt/j1/journal.jsonl", &on, &off);
    ck_assert_int_ge(on, 1);
    ck_assert_int_ge(off, 1);
}
END_TEST

START_TEST(test_median_and_hyperband_run_conditional_configs)
{
    const char *const schedulers[] = {
        "{\"type\": \"median\", \"max\": 4, \"warmup_configs\": 2}",
        "{\"type\": \"hyperband\", \"min\": 1, \"max\": 4, \"eta\": 2}",
    };
    for (int i = 0; i < 2; i++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/scheduler%d", WORK, i);
        fresh_dir(dir);
        write_space(dir, "budget", "{\"type\": \"random\", \"trials\": 8, \"seed\": 9}",
                    schedulers[i], XM_PARAMS);
        char *first = run_configs(dir, "j1", 1);
        char *second = run_configs(dir, "j3", 3);
        ck_assert_str_eq(first, second);
        free(first);
        free(second);
        char out[600];
        snprintf(out, sizeof out, "%s/j1", dir);
        ck_assert_uint_ge(check_results(out, assert_xm_consistent), 8);
        check_journal(out, assert_xm_consistent);
    }
}
END_TEST

START_TEST(test_dry_run_lists_the_conditional_grid)
{
    const char *dir = WORK "/dry";
    fresh_dir(dir);
    write_space(dir, "argv", "{\"type\": \"grid\"}", NULL, NESTED_PARAMS);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out --dry-run > "
                         "dry.txt 2>&1",
                         dir, BIN),
                     0);
    ck_assert_int_eq(
        run("cd '%s' && grep -q '^6 configs x 2 seeds = 12 trials' dry.txt && "
            "test $(grep -c -- '--optimizer=adam$' dry.txt) -eq 2",
            dir),
        0);
}
END_TEST

static Suite *when_suite(void)
{
    Suite *suite = suite_create("e2e_when");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_grid_sweep_passes_only_active_params_to_the_trainer);
    tcase_add_test(tc, test_tpe_with_asha_keeps_conditions_and_is_deterministic);
    tcase_add_test(tc, test_tpe_kill_and_resume_gives_the_same_configs);
    tcase_add_test(tc, test_pbt_explore_keeps_conditions);
    tcase_add_test(tc, test_median_and_hyperband_run_conditional_configs);
    tcase_add_test(tc, test_dry_run_lists_the_conditional_grid);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return hp_check_run(when_suite());
}
