/*
 * `hpsearch report DIR --format html` and the report.html every sweep
 * writes, end to end: real sweeps of the fake trainer, the data in the page,
 * the same bytes from the same journal, the refresh while a sweep runs, bad
 * flags, and a generated journal of 10,000 trials for size and build time.
 * (That the page draws is report_browser.sh's job.)
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#include "check_main.h"
#include "e2e_helpers.h"
#include "journal_line.h"
#include "space.h"
#include "state.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/report_html"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)size;
    return text;
}

/* The data blob of a report page, parsed. */
static json_t *page_data(const char *path)
{
    char *page = read_file(path, NULL);
    const char *open = "id=\"hpsearch-data\">";
    char *start = strstr(page, open);
    ck_assert_msg(start != NULL, "%s: no data element", path);
    start += strlen(open);
    char *end = strstr(start, "</script>");
    ck_assert_ptr_nonnull(end);
    json_error_t error;
    json_t *data = json_loadb(start, (size_t)(end - start), 0, &error);
    ck_assert_msg(data != NULL, "%s: data: %s", path, error.text);
    free(page);
    return data;
}

/* Six configs of x, two seeds; `mode` picks the fake trainer's behaviour. */
static void write_space(const char *dir, const char *mode_values)
{
    char space[2048];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-report-html\",\n"
             " \"command\": [\"%s/fake_trainer\", \"{mode}\"],\n"
             " \"strategy\": {\"type\": \"random\", \"trials\": 6, \"seed\": 4},\n"
             " \"seeds\": [0, 1],\n"
             " \"parallel\": 2,\n"
             " \"params\": {\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1},\n"
             "            \"mode\": {\"type\": \"choice\", \"values\": %s}}}\n",
             BIN, mode_values);
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
}

START_TEST(test_report_html_holds_every_trial_of_a_real_sweep)
{
    const char *dir = WORK "/small";
    fresh_dir(dir);
    write_space(dir, "[\"ok\", \"slow\", \"exit\"]");
    /* Some configs fail: the sweep still writes its report (exit 0 or 1). */
    int rc =
        run("cd '%s' && '%s/hpsearch' run space.json --out out > run.log 2>&1", dir, BIN);
    ck_assert_msg(rc == 0 || rc == 1, "sweep exited %d", rc);
    ck_assert_int_eq(run("grep -q '^report: %s/out/report.html$' '%s/run.log'", dir, dir),
                     0);

    /* The command prints the path it wrote; the same journal gives the
     * same bytes as the sweep's own. */
    ck_assert_int_eq(
        run("cd '%s' && cp out/report.html sweep.html && '%s/hpsearch' report out "
            "--format html > printed.txt && cmp sweep.html out/report.html",
            dir, BIN),
        0);
    ck_assert_int_eq(run("grep -qx '%s/out/report.html' '%s/printed.txt'", dir, dir), 0);

    char path[512];
    snprintf(path, sizeof path, "%s/out/report.html", dir);
    json_t *data = page_data(path);
    ck_assert_str_eq(json_string_value(json_object_get(data, "metric")), "val_accuracy");
    ck_assert_str_eq(json_string_value(json_object_get(data, "state")), "finished");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(data, "metrics"), 0)),
        "val_accuracy");
    json_t *trials = json_object_get(data, "trials");
    json_t *configs = json_object_get(data, "configs");
    ck_assert_uint_eq(json_array_size(configs), 6);
    ck_assert_uint_eq(json_array_size(trials), 12);
    ck_assert_uint_eq(
        json_array_size(json_object_get(json_object_get(data, "history"), "score")), 12);
    size_t i;
    json_t *t;
    size_t ok = 0, failed = 0;
    json_array_foreach(trials, i, t)
    {
        const char *status = json_string_value(json_object_get(t, "status"));
        json_t *x = json_object_get(t, "x");
        json_t *y = json_object_get(json_object_get(t, "y"), "val_accuracy");
        if (strcmp(status, "ok") == 0) { /* "ok" or "slow" (0.1 s epochs) */
            ok++;
            /* The fake trainer's three epochs, each with its value; the
             * score is the best of them. */
            ck_assert_uint_eq(json_array_size(x), 3);
            ck_assert_uint_eq(json_array_size(y), 3);
            ck_assert_int_eq(json_integer_value(json_array_get(x, 2)), 3);
            double best = -1;
            for (size_t k = 0; k < 3; k++)
                best = fmax(best, json_number_value(json_array_get(y, k)));
            ck_assert_double_eq_tol(json_number_value(json_object_get(t, "score")), best,
                                    1e-5);
        } else {
            ck_assert_str_eq(status, "failed");
            failed++;
            ck_assert_str_eq(json_string_value(json_object_get(t, "failure")),
                             "exit_code");
            ck_assert_ptr_nonnull(
                strstr(json_string_value(json_object_get(t, "reason")), "status 7"));
        }
    }
    ck_assert_uint_eq(ok + failed, 12);
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(failed, 0);
    /* The best config is an ok one, with its interval. */
    json_t *best = json_array_get(
        configs, (size_t)json_integer_value(json_object_get(data, "best")));
    ck_assert_str_eq(json_string_value(json_object_get(best, "status")), "ok");
    ck_assert(json_is_number(json_object_get(best, "lo")));
    ck_assert_int_eq(json_integer_value(json_object_get(best, "rank")), 1);
    /* x and mode each have an importance entry. */
    ck_assert_uint_eq(json_array_size(json_object_get(data, "importance")), 2);
    json_decref(data);
}
END_TEST

START_TEST(test_report_html_output_flag_and_bad_uses)
{
    const char *dir = WORK "/flags";
    fresh_dir(dir);
    write_space(dir, "[\"ok\"]");
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out > run.log 2>&1", dir, BIN),
        0);
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' report out --format html -o elsewhere.html "
            "> printed.txt && grep -qx elsewhere.html printed.txt && "
            "cmp elsewhere.html out/report.html",
            dir, BIN),
        0);
    /* --output only with html; a directory that does not exist is named. */
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' report out --output x.html 2> err.txt", dir, BIN),
        2);
    ck_assert_int_eq(
        run("grep -q -- '--output: only with --format html' '%s/err.txt'", dir), 0);
    ck_assert_int_ne(run("cd '%s' && '%s/hpsearch' report out --format html "
                         "--output no/such/dir/r.html 2> err.txt",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("grep -q 'no/such/dir' '%s/err.txt'", dir), 0);
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' report out --format pdf 2> err.txt", dir, BIN), 2);
    ck_assert_int_eq(run("grep -q 'markdown, tensorboard or html' '%s/err.txt'", dir), 0);
}
END_TEST

START_TEST(test_report_html_is_refreshed_while_the_sweep_runs)
{
    /* Grid order: config 0 finishes at once, config 1 takes 3 x 1.5 s: the
     * first finished config writes report.html while the sweep still runs. */
    const char *dir = WORK "/live";
    fresh_dir(dir);
    char space[1024];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-report-live\",\n"
             " \"command\": [\"%s/fake_trainer\", \"{mode}\"],\n"
             " \"strategy\": {\"type\": \"grid\"},\n"
             " \"seeds\": [0],\n"
             " \"parallel\": 1,\n"
             " \"params\": {\"mode\": {\"type\": \"choice\", \"values\": [\"ok\", "
             "\"slow\"]},\n"
             "            \"ms\": 1500}}\n",
             BIN);
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
    ck_assert_int_eq(
        run("cd '%s' && ('%s/hpsearch' run space.json --out out > run.log 2>&1; "
            "touch done) &",
            dir, BIN),
        0);
    char report[512];
    char done[512];
    snprintf(report, sizeof report, "%s/out/report.html", dir);
    snprintf(done, sizeof done, "%s/done", dir);
    int seen_running = 0;
    for (int i = 0; i < 400 && access(done, F_OK) != 0; i++) {
        if (access(report, F_OK) == 0) {
            json_t *data = page_data(report);
            seen_running =
                strcmp(json_string_value(json_object_get(data, "state")), "running") == 0;
            json_decref(data);
            break;
        }
        sleep_ms(25);
    }
    for (int i = 0; i < 800 && access(done, F_OK) != 0; i++)
        sleep_ms(25);
    ck_assert_msg(seen_running, "no report.html while the sweep ran");
    json_t *data = page_data(report);
    ck_assert_str_eq(json_string_value(json_object_get(data, "state")), "finished");
    ck_assert_uint_eq(json_array_size(json_object_get(data, "trials")), 2);
    json_decref(data);
}
END_TEST

/* Appends `record` (a compact JSON object's text) to `out` sealed as the
 * journal seals it. */
static void put_record(FILE *out, const char *record)
{
    size_t len = 0;
    char *line = journal_line_seal(record, strlen(record), &len);
    ck_assert_ptr_nonnull(line);
    ck_assert_uint_eq(fwrite(line, 1, len, out), len);
    free(line);
}

/* A journal of `trials` configs of one seed, 40 epochs each, every 50th
 * failed, with the params the space's own random strategy asks for (so a
 * replay accepts them). */
static void generate_journal(const char *dir, size_t trials)
{
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    char space_text[1024];
    snprintf(space_text, sizeof space_text,
             "{\"name\": \"e2e-report-large\",\n"
             " \"command\": [\"%s/fake_trainer\", \"ok\"],\n"
             " \"strategy\": {\"type\": \"random\", \"trials\": %zu, \"seed\": 9},\n"
             " \"seeds\": [0],\n"
             " \"params\": {\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1},\n"
             "   \"lr\": {\"type\": \"loguniform\", \"low\": 0.0001, \"high\": 0.1},\n"
             "   \"act\": {\"type\": \"choice\", \"values\": [\"relu\", \"tanh\"]}}}\n",
             BIN, trials);
    write_text(path, space_text);
    struct space space;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(space_load(path, &space, &err), 0);
    struct sweep_state state;
    ck_assert_int_eq(state_init(&state, &space, dir, &err), 0);
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    char record[4096];
    snprintf(record, sizeof record,
             "{\"event\":\"sweep_start\",\"version\":2,\"name\":\"e2e-report-large\","
             "\"jobs\":4,\"planned_trials\":%zu,\"time\":1796500000.0}",
             trials);
    put_record(out, record);
    size_t failed = 0;
    for (size_t c = 0; c < trials; c++) {
        struct ask_result ask;
        memset(&ask, 0, sizeof ask);
        ck_assert_int_eq(strategy_ask(state.strategy, &ask), 0);
        ck_assert_int_eq(ask.kind, ASK_CONFIG);
        char *params = json_dumps(ask.params, JSON_COMPACT | JSON_PRESERVE_ORDER);
        double x = json_number_value(json_object_get(ask.params, "x"));
        json_decref(ask.params);
        free(ask.resume_from);
        snprintf(record, sizeof record,
                 "{\"event\":\"start\",\"trial\":\"c%04zu-s0\",\"config\":%zu,\"seed\":0,"
                 "\"attempt\":1,\"params\":%s,\"resume_from\":null}",
                 c, c, params);
        free(params);
        put_record(out, record);
        int fails = c % 50 == 49;
        int epochs = fails ? 5 : 40;
        double best = -1;
        for (int e = 1; e <= epochs; e++) {
            double acc =
                1 - (x - 0.3) * (x - 0.3) - 0.4 / e + 0.01 * sin((double)(c * 7 + e));
            best = fmax(best, acc);
            snprintf(
                record, sizeof record,
                "{\"event\":\"report\",\"trial\":\"c%04zu-s0\",\"config\":%zu,\"seed\":0,"
                "\"line\":{\"epoch\":%d,\"train_loss\":%.17g,\"val_loss\":%.17g,"
                "\"val_accuracy\":%.17g,\"seconds\":0.25}}",
                c, c, e, 1.0 / e + x, 1.2 / e + x, acc);
            put_record(out, record);
        }
        if (fails) {
            failed++;
            snprintf(
                record, sizeof record,
                "{\"event\":\"end\",\"trial\":\"c%04zu-s0\",\"config\":%zu,\"seed\":0,"
                "\"attempt\":1,\"seconds\":1.25,\"exit_status\":7,\"units\":5,"
                "\"status\":\"failed\",\"failure\":\"exit_code\","
                "\"reason\":\"exited with status 7\"}",
                c, c);
        } else {
            snprintf(
                record, sizeof record,
                "{\"event\":\"end\",\"trial\":\"c%04zu-s0\",\"config\":%zu,\"seed\":0,"
                "\"attempt\":1,\"seconds\":10.5,\"exit_status\":0,\"units\":40,"
                "\"status\":\"ok\",\"score\":%.17g,\"score_epoch\":40}",
                c, c, best);
        }
        put_record(out, record);
    }
    snprintf(record, sizeof record,
             "{\"event\":\"sweep_end\",\"complete\":true,\"ok\":%zu,\"failed\":%zu,"
             "\"elapsed_s\":2500.0}",
             trials - failed, failed);
    put_record(out, record);
    ck_assert_int_eq(fclose(out), 0);
    state_free(&state);
    space_free(&space);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_report_html_of_10000_trials_stays_a_few_mb)
{
    const char *dir = WORK "/large";
    fresh_dir(dir);
    double start = now_s();
    generate_journal(dir, 10000);
    double generated = now_s() - start;
    struct stat journal;
    ck_assert_int_eq(stat(WORK "/large/journal.jsonl", &journal), 0);

    start = now_s();
    ck_assert_int_eq(run("'%s/hpsearch' report '%s' --format html > /dev/null", BIN, dir),
                     0);
    double built = now_s() - start;
    struct stat page;
    ck_assert_int_eq(stat(WORK "/large/report.html", &page), 0);
    printf(
        "report.html of 10,000 trials x 40 epochs: %.2f MB from a %.1f MB journal, built "
        "in %.2f s (journal generated in %.2f s)\n",
        (double)page.st_size / 1e6, (double)journal.st_size / 1e6, built, generated);
    ck_assert_int_lt(page.st_size, 5 * 1000 * 1000);

    json_t *data = page_data(WORK "/large/report.html");
    json_t *trials = json_object_get(data, "trials");
    ck_assert_uint_eq(json_array_size(trials), 10000);
    json_int_t cap = json_integer_value(json_object_get(data, "points_per_trial"));
    ck_assert_int_ge(cap, 4);
    size_t i;
    json_t *t;
    json_array_foreach(trials, i, t)
    {
        json_t *x = json_object_get(t, "x");
        ck_assert_uint_le(json_array_size(x), (size_t)cap + 1);
        ck_assert_uint_ge(json_array_size(x), 2);
        /* The first and last epochs are kept. */
        ck_assert_int_eq(json_integer_value(json_array_get(x, 0)), 1);
        ck_assert_int_eq(json_integer_value(json_array_get(x, json_array_size(x) - 1)),
                         i % 50 == 49 ? 5 : 40);
    }
    /* The history has every trial; the importance finds x (the objective's
     * only cause) far ahead of act (no effect). */
    ck_assert_uint_eq(
        json_array_size(json_object_get(json_object_get(data, "history"), "score")),
        10000);
    json_t *importance = json_object_get(data, "importance");
    double x_share =
        json_number_value(json_object_get(json_array_get(importance, 0), "eps2"));
    double act_share =
        json_number_value(json_object_get(json_array_get(importance, 2), "eps2"));
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(importance, 0), "name")), "x");
    ck_assert_double_gt(x_share, 0.5);
    ck_assert_double_lt(act_share, 0.05);
    json_decref(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_report_html");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_report_html_holds_every_trial_of_a_real_sweep);
    tcase_add_test(tc, test_report_html_output_flag_and_bad_uses);
    tcase_add_test(tc, test_report_html_is_refreshed_while_the_sweep_runs);
    tcase_add_test(tc, test_report_html_of_10000_trials_stays_a_few_mb);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
