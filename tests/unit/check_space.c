/*
 * The space-file loader: every invalid case folder under tests/invalid_spaces
 * fails with exactly its expected.txt, and valid spaces fill struct space as
 * orchestrator/space.h documents.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"
#include "check_main.h"
#include "space.h"

static const char *const INVALID_DIR = HP_SOURCE_DIR "/tests/invalid_spaces";

/* Reads a whole small file into a new string, or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 8192);
    size_t n = buf ? fread(buf, 1, 8191, f) : 0;
    (void)n;
    fclose(f);
    return buf;
}

static int load(const char *text, struct space *s, struct hp_error *err)
{
    return space_load_text(text, strlen(text), "space.json", s, err);
}

/* Loads text that must be valid; fails the test with the message otherwise. */
static void load_ok(const char *text, struct space *s)
{
    struct hp_error err;
    char msg[2048];
    int rc = load(text, s, &err);
    ck_assert_msg(rc == 0, "unexpected error: %s",
                  hp_error_format(&err, msg, sizeof msg));
}

/* Loads text that must fail and returns the formatted message in msg. */
static void load_fails(const char *text, char *msg, size_t size)
{
    struct space s;
    struct hp_error err;
    ck_assert_int_eq(load(text, &s, &err), -1);
    ck_assert_ptr_null(s.name);
    ck_assert_ptr_null(s.document);
    hp_error_format(&err, msg, size);
    space_free(&s);
}

static void assert_empty(const struct space *s)
{
    ck_assert_ptr_null(s->name);
    ck_assert_ptr_null(s->command);
    ck_assert_uint_eq(s->command_len, 0);
    ck_assert_ptr_null(s->objective_metric);
    ck_assert_ptr_null(s->strategy);
    ck_assert_ptr_null(s->strategy_options);
    ck_assert_ptr_null(s->seeds);
    ck_assert_uint_eq(s->seed_count, 0);
    ck_assert_ptr_null(s->params.params);
    ck_assert_uint_eq(s->params.count, 0);
    ck_assert_ptr_null(s->document);
}

START_TEST(test_space_rejects_every_invalid_case_with_its_message)
{
    int home = open(".", O_RDONLY);
    ck_assert_int_ge(home, 0);
    DIR *dir = opendir(INVALID_DIR);
    ck_assert_msg(dir != NULL, "cannot open %s", INVALID_DIR);
    int cases = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", INVALID_DIR, entry->d_name);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        ck_assert_int_eq(chdir(path), 0);
        struct space s;
        struct hp_error err;
        int rc = space_load("space.json", &s, &err);
        char *expected = read_text("expected.txt");
        ck_assert_int_eq(fchdir(home), 0);
        ck_assert_msg(expected != NULL, "%s: no expected.txt", entry->d_name);
        ck_assert_msg(rc == -1, "%s: loaded, expected: %s", entry->d_name, expected);
        assert_empty(&s);
        char got[2048];
        hp_error_format(&err, got, sizeof got - 1);
        strcat(got, "\n");
        ck_assert_msg(strcmp(got, expected) == 0, "%s:\n  got      %s  expected %s",
                      entry->d_name, got, expected);
        free(expected);
        space_free(&s);
        cases++;
    }
    closedir(dir);
    close(home);
    ck_assert_int_ge(cases, 25);
}
END_TEST

START_TEST(test_space_fills_defaults_for_an_empty_object)
{
    struct space s;
    struct hp_error err;
    ck_assert_int_eq(space_load_text("{}", 2, "experiments/seed-study.json", &s, &err),
                     0);
    ck_assert_str_eq(s.name, "seed-study");
    ck_assert_int_eq(s.command_is_default, 1);
    ck_assert_uint_eq(s.command_len, 1);
    ck_assert_str_eq(s.command[0], "hpsearch-train");
    ck_assert_ptr_null(s.command[1]);
    ck_assert_str_eq(s.objective_metric, "val_accuracy");
    ck_assert_int_eq(s.maximize, 1);
    ck_assert_int_eq(s.score, SCORE_BEST);
    ck_assert_ptr_eq(s.strategy, strategy_find("grid"));
    ck_assert_str_eq(json_string_value(json_object_get(s.strategy_options, "type")),
                     "grid");
    ck_assert_uint_eq(s.seed_count, 1);
    ck_assert_uint_eq(s.seeds[0], 0);
    ck_assert_int_eq(s.parallel, 0);
    ck_assert_int_eq(s.threads_per_trial, 1);
    ck_assert(s.timeout_s == 0);
    ck_assert_int_eq(s.retries, 0);
    ck_assert_int_eq(s.max_failures, BUDGET_MAX_FAILURES_AUTO);
    ck_assert(s.max_time_s == 0);
    ck_assert(s.max_time_grace_s == BUDGET_DEFAULT_GRACE_S);
    ck_assert_int_eq(s.max_trials, 0);
    ck_assert_int_eq(s.keep, KEEP_BEST);
    ck_assert_uint_eq(s.params.count, 0);
    ck_assert(json_is_object(s.document));
    space_free(&s);
    assert_empty(&s);
    space_free(&s);
}
END_TEST

START_TEST(test_space_fills_every_field_as_given)
{
    static const char text[] =
        "{\"name\": \"full_1.0\","
        " \"command\": [\"python3\", \"train.py\", \"--lr\", \"{lr}\", \"--seed={seed}\","
        "  \"--out={trial_dir}/{trial_id}\"],"
        " \"objective\": {\"metric\": \"val_loss\", \"mode\": \"min\", \"score\": "
        "\"last\"},"
        " \"strategy\": {\"type\": \"random\", \"trials\": 9, \"seed\": 4},"
        " \"seeds\": [7, 3],"
        " \"parallel\": 3, \"threads_per_trial\": 2, \"timeout_s\": 90.5,"
        " \"retries\": 2, \"max_failures\": 5, \"keep_checkpoints\": \"all\","
        " \"params\": {\"lr\": {\"type\": \"uniform\", \"low\": 0.1, \"high\": 1,"
        "   \"log\": true, \"step\": 0.1}}}";
    struct space s;
    load_ok(text, &s);
    ck_assert_str_eq(s.name, "full_1.0");
    ck_assert_int_eq(s.command_is_default, 0);
    ck_assert_uint_eq(s.command_len, 6);
    ck_assert_str_eq(s.command[0], "python3");
    ck_assert_str_eq(s.command[3], "{lr}");
    ck_assert_str_eq(s.command[5], "--out={trial_dir}/{trial_id}");
    ck_assert_ptr_null(s.command[6]);
    ck_assert_str_eq(s.objective_metric, "val_loss");
    ck_assert_int_eq(s.maximize, 0);
    ck_assert_int_eq(s.score, SCORE_LAST);
    ck_assert_ptr_eq(s.strategy, strategy_find("random"));
    ck_assert_int_eq(json_integer_value(json_object_get(s.strategy_options, "trials")),
                     9);
    ck_assert_uint_eq(s.seed_count, 2);
    ck_assert_uint_eq(s.seeds[0], 7);
    ck_assert_uint_eq(s.seeds[1], 3);
    ck_assert_int_eq(s.parallel, 3);
    ck_assert_int_eq(s.threads_per_trial, 2);
    ck_assert_double_eq(s.timeout_s, 90.5);
    ck_assert_int_eq(s.retries, 2);
    ck_assert_int_eq(s.max_failures, 5);
    ck_assert_int_eq(s.keep, KEEP_ALL);
    ck_assert_uint_eq(s.params.count, 1);
    const struct param_spec *lr = &s.params.params[0];
    ck_assert_str_eq(lr->name, "lr");
    ck_assert_int_eq(lr->kind, PARAM_UNIFORM);
    ck_assert_double_eq(lr->low, 0.1);
    ck_assert_double_eq(lr->high, 1.0);
    ck_assert_double_eq(lr->step, 0.1);
    ck_assert_int_eq(lr->log, 1);
    ck_assert_ptr_null(lr->values);
    ck_assert_ptr_null(lr->value);
    ck_assert_ptr_eq(json_object_get(s.document, "strategy"), s.strategy_options);
    space_free(&s);
}
END_TEST

START_TEST(test_space_reads_seeds_as_a_count)
{
    struct space s;
    load_ok("{\"seeds\": 5}", &s);
    ck_assert_uint_eq(s.seed_count, 5);
    for (uint64_t i = 0; i < 5; i++)
        ck_assert_uint_eq(s.seeds[i], i);
    space_free(&s);
}
END_TEST

START_TEST(test_space_reads_seeds_as_a_list_in_order)
{
    struct space s;
    load_ok("{\"seeds\": [42, 0, 9000000000]}", &s);
    ck_assert_uint_eq(s.seed_count, 3);
    ck_assert_uint_eq(s.seeds[0], 42);
    ck_assert_uint_eq(s.seeds[1], 0);
    ck_assert_uint_eq(s.seeds[2], 9000000000ULL);
    space_free(&s);
}
END_TEST

START_TEST(test_space_keeps_constant_params_as_given)
{
    struct space s;
    load_ok("{\"params\": {\"optimizer\": \"adam\", \"epochs\": 3, \"wd\": 0.5,"
            " \"nesterov\": false}}",
            &s);
    ck_assert_uint_eq(s.params.count, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(s.params.params[i].kind, PARAM_CONSTANT);
        ck_assert_ptr_null(s.params.params[i].values);
    }
    ck_assert_str_eq(json_string_value(s.params.params[0].value), "adam");
    ck_assert(json_is_integer(s.params.params[1].value));
    ck_assert_int_eq(json_integer_value(s.params.params[1].value), 3);
    ck_assert(json_is_real(s.params.params[2].value));
    ck_assert(json_is_false(s.params.params[3].value));
    space_free(&s);
}
END_TEST

START_TEST(test_space_preserves_param_declaration_order)
{
    static const char *const names[] = {"zeta", "alpha", "mu", "beta", "_x", "a-b"};
    struct space s;
    load_ok("{\"params\": {\"zeta\": 1, \"alpha\": 2, \"mu\": 3, \"beta\": 4, \"_x\": 5,"
            " \"a-b\": 6}}",
            &s);
    ck_assert_uint_eq(s.params.count, 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(s.params.params[i].name, names[i]);
    space_free(&s);
}
END_TEST

START_TEST(test_space_loads_the_design_example)
{
    static const char text[] =
        "{\n"
        "  \"name\": \"fmnist-mlp\",\n"
        "  \"command\": [\"hpsearch-train\", \"--data\", \"fashion-mnist\", "
        "\"--epochs\", "
        "\"10\"],\n"
        "  \"objective\": {\"metric\": \"val_accuracy\", \"mode\": \"max\"},\n"
        "  \"strategy\": {\"type\": \"random\", \"trials\": 40, \"seed\": 7},\n"
        "  \"seeds\": [0, 1, 2],\n"
        "  \"parallel\": 2,\n"
        "  \"threads_per_trial\": 1,\n"
        "  \"timeout_s\": 1800,\n"
        "  \"retries\": 1,\n"
        "  \"keep_checkpoints\": \"best\",\n"
        "  \"params\": {\n"
        "    \"lr\":      {\"type\": \"loguniform\", \"low\": 1e-4, \"high\": 1e-1},\n"
        "    \"batch\":   {\"type\": \"int\", \"low\": 16, \"high\": 256, \"log\": "
        "true},\n"
        "    \"hidden\":  {\"type\": \"choice\", \"values\": [\"128\", \"256,128\", "
        "\"512,256\"]},\n"
        "    \"dropout\": {\"type\": \"uniform\", \"low\": 0.0, \"high\": 0.5},\n"
        "    \"optimizer\": \"adam\"\n"
        "  }\n"
        "}\n";
    struct space s;
    load_ok(text, &s);
    ck_assert_str_eq(s.name, "fmnist-mlp");
    /* Spelled out, "hpsearch-train" is still the trainer beside hpsearch, but
     * the command was given, so it is not the default. */
    ck_assert_int_eq(s.command_is_default, 0);
    ck_assert_uint_eq(s.command_len, 5);
    ck_assert_ptr_eq(s.strategy, strategy_find("random"));
    ck_assert_uint_eq(s.seed_count, 3);
    ck_assert_int_eq(s.parallel, 2);
    ck_assert_double_eq(s.timeout_s, 1800);
    ck_assert_int_eq(s.retries, 1);
    ck_assert_uint_eq(s.params.count, 5);
    const struct param_spec *p = s.params.params;
    ck_assert_int_eq(p[0].kind, PARAM_LOGUNIFORM);
    ck_assert_int_eq(p[0].log, 1);
    ck_assert_double_eq(p[0].low, 1e-4);
    ck_assert_double_eq(p[0].high, 1e-1);
    ck_assert_int_eq(p[1].kind, PARAM_INT);
    ck_assert_int_eq(p[1].log, 1);
    ck_assert_double_eq(p[1].low, 16);
    ck_assert_double_eq(p[1].high, 256);
    ck_assert_int_eq(p[2].kind, PARAM_CHOICE);
    ck_assert_uint_eq(json_array_size(p[2].values), 3);
    ck_assert_int_eq(p[3].kind, PARAM_UNIFORM);
    ck_assert_int_eq(p[3].log, 0);
    ck_assert_double_eq(p[3].step, 0);
    ck_assert_int_eq(p[4].kind, PARAM_CONSTANT);
    ck_assert_str_eq(json_string_value(p[4].value), "adam");
    space_free(&s);
}
END_TEST

START_TEST(test_space_accepts_every_builtin_placeholder)
{
    struct space s;
    load_ok("{\"command\": [\"t\", \"{seed}\", \"{trial_id}\", \"{trial_dir}/x\","
            " \"--a={a}:{b}\"], \"params\": {\"a\": 1, \"b\": \"x\"}}",
            &s);
    ck_assert_uint_eq(s.command_len, 5);
    space_free(&s);
}
END_TEST

START_TEST(test_space_rejects_unknown_placeholder)
{
    char msg[2048];
    load_fails(
        "{\"command\": [\"t\", \"--x={lr}\", \"{seeds}\"], \"params\": {\"lr\": 1}}", msg,
        sizeof msg);
    ck_assert_str_eq(msg, "space.json: command[2]: unknown placeholder {seeds}");
}
END_TEST

START_TEST(test_space_accepts_int_range_of_one_value_and_numeric_values)
{
    struct space s;
    load_ok(
        "{\"strategy\": {\"type\": \"random\", \"trials\": 2},"
        " \"params\": {\"n\": {\"type\": \"int\", \"low\": 4, \"high\": 4},"
        " \"lr\": {\"type\": \"loguniform\", \"low\": 1e-4, \"high\": 1e-1,"
        "  \"values\": [1e-4, 0.001, 0.1]},"
        " \"d\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1, \"values\": [0, 1]}}}",
        &s);
    ck_assert_uint_eq(s.params.count, 3);
    ck_assert_uint_eq(json_array_size(s.params.params[1].values), 3);
    ck_assert_uint_eq(json_array_size(s.params.params[2].values), 2);
    space_free(&s);
}
END_TEST

START_TEST(test_space_default_strategy_is_grid_and_checks_it)
{
    char msg[2048];
    load_fails("{\"params\": {\"d\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1}}}",
               msg, sizeof msg);
    ck_assert_str_eq(msg,
                     "space.json: params.d: grid search needs \"values\" or \"step\" "
                     "for a uniform range");
}
END_TEST

START_TEST(test_space_default_name_is_sanitised_base_name)
{
    struct space s;
    struct hp_error err;
    ck_assert_int_eq(space_load_text("{}", 2, "/tmp/a dir/my sweep(2).json", &s, &err),
                     0);
    ck_assert_str_eq(s.name, "my_sweep_2_");
    space_free(&s);
    ck_assert_int_eq(space_load_text("{}", 2, ".hidden.json", &s, &err), 0);
    ck_assert_str_eq(s.name, "_hidden");
    space_free(&s);
    ck_assert_int_eq(space_load_text("{}", 2, "space", &s, &err), 0);
    ck_assert_str_eq(s.name, "space");
    space_free(&s);
    ck_assert_int_eq(space_load_text("{}", 2, ".json", &s, &err), 0);
    ck_assert_str_eq(s.name, "_json");
    space_free(&s);
}
END_TEST

START_TEST(test_space_reports_missing_file_with_its_name)
{
    struct space s;
    struct hp_error err;
    char msg[2048];
    ck_assert_int_eq(space_load("/nonexistent/space.json", &s, &err), -1);
    assert_empty(&s);
    ck_assert_str_eq(hp_error_format(&err, msg, sizeof msg),
                     "/nonexistent/space.json: cannot open: No such file or directory");
    space_free(&s);
}
END_TEST

START_TEST(test_space_reports_syntax_errors_with_line_and_column)
{
    struct space s;
    struct hp_error err;
    const char *text = "{\n  \"seeds\": [0,\n    1,,\n  ]\n}\n";
    ck_assert_int_eq(space_load_text(text, strlen(text), "x.json", &s, &err), -1);
    ck_assert_str_eq(err.source, "x.json");
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 7);
    ck_assert_str_eq(err.path, "");
    space_free(&s);
}
END_TEST

START_TEST(test_space_error_path_and_message_are_separate_fields)
{
    struct space s;
    struct hp_error err;
    const char *text =
        "{\"params\": {\"lr\": {\"type\": \"loguniform\", \"low\": 0, \"high\": 1}}}";
    ck_assert_int_eq(space_load_text(text, strlen(text), "space.json", &s, &err), -1);
    ck_assert_str_eq(err.source, "space.json");
    ck_assert_str_eq(err.path, "params.lr.low");
    ck_assert_str_eq(err.message, "must be > 0 for loguniform (got 0)");
    ck_assert_int_eq(err.line, 0);
    space_free(&s);
}
END_TEST

START_TEST(test_space_accepts_null_error_pointer)
{
    struct space s;
    ck_assert_int_eq(space_load_text("[", 1, "x", &s, NULL), -1);
    ck_assert_int_eq(space_load_text("{\"x\": 1}", 8, "x", &s, NULL), -1);
    ck_assert_int_eq(space_load_text("{}", 2, "x", &s, NULL), 0);
    space_free(&s);
}
END_TEST

START_TEST(test_space_validates_grid_options_at_load)
{
    struct space s;
    load_ok("{\"strategy\": {\"type\": \"grid\"}, \"params\": {"
            "\"b\": {\"type\": \"int\", \"low\": 16, \"high\": 64, \"step\": 16},"
            "\"h\": {\"type\": \"choice\", \"values\": [\"64\", \"128\"]}}}",
            &s);
    struct strategy *g = NULL;
    struct hp_error err;
    ck_assert_int_eq(s.strategy->create(&s.params, s.strategy_options, &(struct strategy_context){1}, &g, &err), 0);
    ck_assert_uint_eq(strategy_planned(g), 8);
    strategy_destroy(g);
    space_free(&s);
}
END_TEST

/* Duplicates follow json_equal for choices (1 and 1.0 differ, -0.0 and 0.0
 * do not) and numeric equality for numeric values (1 and 1.0 are the same);
 * the first repeat from the left is the one reported. */
START_TEST(test_space_reports_the_first_repeated_value_by_type_and_value)
{
    struct space s;
    load_ok("{\"params\": {\"x\": {\"type\": \"choice\", \"values\": "
            "[1, 1.0, \"1\", true, false, \"ab\", \"a\"]}}}",
            &s);
    space_free(&s);
    char msg[512];
    load_fails("{\"params\": {\"x\": {\"type\": \"choice\", \"values\": "
               "[\"c\", 2, \"b\", 0.0, \"b\", -0.0, \"c\"]}}}",
               msg, sizeof msg);
    ck_assert_str_eq(msg, "space.json: params.x.values[4]: duplicate value \"b\"");
    load_fails("{\"params\": {\"x\": {\"type\": \"choice\", \"values\": "
               "[true, false, 5, false, true]}}}",
               msg, sizeof msg);
    ck_assert_str_eq(msg, "space.json: params.x.values[3]: duplicate value false");
    load_fails("{\"params\": {\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 9, "
               "\"values\": [3, 2.5, 1, 1.0]}}}",
               msg, sizeof msg);
    ck_assert_str_eq(msg, "space.json: params.x.values[3]: duplicate value 1.0");
}
END_TEST

/* 200,000 distinct values and a repeat of the first at the very end. Pairwise
 * comparison takes minutes here; ctest gives this case seconds
 * (tests/unit/space.cmake). */
START_TEST(test_space_finds_a_repeat_among_200000_choice_values_quickly)
{
    enum { N = 200000 };
    char *text = malloc((size_t)N * 12 + 128);
    ck_assert_ptr_nonnull(text);
    size_t len = (size_t)sprintf(text, "{\"params\": {\"x\": {\"type\": \"choice\", "
                                       "\"values\": [");
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(text + len, "\"v%d\", ", (i * 7919) % N);
    len += (size_t)sprintf(text + len, "\"v0\"]}}}");
    struct space s;
    struct hp_error err;
    ck_assert_int_eq(space_load_text(text, len, "space.json", &s, &err), -1);
    char msg[512];
    hp_error_format(&err, msg, sizeof msg);
    ck_assert_str_eq(msg, "space.json: params.x.values[200000]: duplicate value \"v0\"");
    space_free(&s);
    free(text);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("space");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_space_rejects_every_invalid_case_with_its_message);
    tcase_add_test(tc, test_space_fills_defaults_for_an_empty_object);
    tcase_add_test(tc, test_space_fills_every_field_as_given);
    tcase_add_test(tc, test_space_reads_seeds_as_a_count);
    tcase_add_test(tc, test_space_reads_seeds_as_a_list_in_order);
    tcase_add_test(tc, test_space_keeps_constant_params_as_given);
    tcase_add_test(tc, test_space_preserves_param_declaration_order);
    tcase_add_test(tc, test_space_loads_the_design_example);
    tcase_add_test(tc, test_space_accepts_every_builtin_placeholder);
    tcase_add_test(tc, test_space_rejects_unknown_placeholder);
    tcase_add_test(tc, test_space_accepts_int_range_of_one_value_and_numeric_values);
    tcase_add_test(tc, test_space_default_strategy_is_grid_and_checks_it);
    tcase_add_test(tc, test_space_default_name_is_sanitised_base_name);
    tcase_add_test(tc, test_space_reports_missing_file_with_its_name);
    tcase_add_test(tc, test_space_reports_syntax_errors_with_line_and_column);
    tcase_add_test(tc, test_space_error_path_and_message_are_separate_fields);
    tcase_add_test(tc, test_space_accepts_null_error_pointer);
    tcase_add_test(tc, test_space_validates_grid_options_at_load);
    tcase_add_test(tc, test_space_reports_the_first_repeated_value_by_type_and_value);
    suite_add_tcase(suite, tc);
    /* Tagged "large": ctest runs it as check_space_large, under a timeout
     * that only an n log n check meets. */
    TCase *large = tcase_create("large");
    tcase_set_tags(large, "large");
    tcase_set_timeout(large, 60);
    tcase_add_test(large, test_space_finds_a_repeat_among_200000_choice_values_quickly);
    suite_add_tcase(suite, large);
    return hp_check_run(suite);
}
