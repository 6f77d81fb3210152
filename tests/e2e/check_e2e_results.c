/*
 * Results for analysis, end to end, on crafted sweeps of the fake trainer's
 * "metrics" mode (val_accuracy best at x = 0.3, val_loss best at x = 0.7 and
 * last at x = 0.45, a final line with test_accuracy and a confusion matrix):
 * results.csv's and configs.csv's columns and rows, `report --format csv
 * --top`, re-ranking by another metric, mode and score rule without running
 * anything, tables with short numbers, and the Pareto front of a list of
 * objectives in report, results.json and best.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/results"

/* x = 0.1, 0.3, 0.45, 0.7, 0.9 are configs 0..4; lr is a constant with more
 * digits than a table shows. */
static void write_space(const char *dir, const char *objective)
{
    char space[2048];
    snprintf(
        space, sizeof space,
        "{\"name\": \"e2e-results\",\n"
        " \"command\": [\"%s/fake_trainer\", \"metrics\"],\n"
        " \"objective\": %s,\n"
        " \"strategy\": {\"type\": \"grid\"},\n"
        " \"seeds\": [0, 1, 2],\n"
        " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.3, 0.45, 0.7, "
        "0.9]},\n"
        "            \"lr\": {\"type\": \"choice\", \"values\": [0.000123456789]}}}\n",
        BIN, objective);
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
}

/* Runs the sweep of `objective` into <WORK>/<name>/out. */
static void run_sweep(const char *name, const char *objective, char *dir, size_t size)
{
    snprintf(dir, size, "%s/%s", WORK, name);
    fresh_dir(dir);
    write_space(dir, objective);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 "
                         "> run.log 2>&1",
                         dir, BIN),
                     0);
}

/* The whole text of a file (free it). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: cannot open", path);
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    ck_assert_int_ge(n, 0);
    return text;
}

/* A CSV table: rows of fields, quotes resolved. */
struct csv {
    char *fields[64][64];
    size_t columns[64];
    size_t rows;
};

static void csv_parse(struct csv *csv, const char *path)
{
    char *text = read_text(path);
    memset(csv, 0, sizeof *csv);
    const char *c = text;
    while (*c && csv->rows < 64) {
        size_t r = csv->rows++;
        for (;;) {
            char field[1024];
            size_t n = 0;
            if (*c == '"') {
                for (c++; *c && !(*c == '"' && c[1] != '"'); c++) {
                    if (*c == '"')
                        c++;
                    field[n++] = *c;
                }
                c++;
            } else {
                while (*c && *c != ',' && *c != '\n')
                    field[n++] = *c++;
            }
            field[n] = '\0';
            ck_assert_uint_lt(csv->columns[r], 64);
            csv->fields[r][csv->columns[r]++] = strdup(field);
            if (*c == ',') {
                c++;
                continue;
            }
            if (*c == '\n')
                c++;
            break;
        }
    }
    free(text);
}

static void csv_free(struct csv *csv)
{
    for (size_t r = 0; r < csv->rows; r++)
        for (size_t i = 0; i < csv->columns[r]; i++)
            free(csv->fields[r][i]);
}

/* The field of row `row` under the header's column `name`. */
static const char *csv_get(const struct csv *csv, size_t row, const char *name)
{
    for (size_t i = 0; i < csv->columns[0]; i++)
        if (strcmp(csv->fields[0][i], name) == 0) {
            ck_assert_uint_lt(i, csv->columns[row]);
            return csv->fields[row][i];
        }
    ck_abort_msg("no column %s", name);
    return NULL;
}

/* The header as one line, "a,b,c". */
static void csv_header(const struct csv *csv, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < csv->columns[0]; i++) {
        strncat(buf, i ? "," : "", size - strlen(buf) - 1);
        strncat(buf, csv->fields[0][i], size - strlen(buf) - 1);
    }
}

/* The "config" of each element of a JSON array, "1 2 3". */
static void configs_of(const json_t *array, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        char one[32];
        json_t *config = json_is_integer(item) ? item : json_object_get(item, "config");
        snprintf(one, sizeof one, "%s%lld", i ? " " : "", json_integer_value(config));
        strncat(buf, one, size - strlen(buf) - 1);
    }
}

/* The configs `hpsearch report DIR --format json ARGS` ranks, "3 4 2 1 0". */
static void report_order(const char *dir, const char *args, char *buf, size_t size)
{
    ck_assert_int_eq(
        run("'%s/hpsearch' report '%s/out' --format json %s > '%s/report.json'", BIN, dir,
            args, dir),
        0);
    char path[512];
    snprintf(path, sizeof path, "%s/report.json", dir);
    json_t *doc = load_json(path);
    configs_of(doc, buf, size);
    json_decref(doc);
}

static const char ONE_OBJECTIVE[] = "{\"metric\": \"val_accuracy\", \"mode\": \"max\"}";

START_TEST(test_results_csv_has_stable_columns_and_one_row_per_trial)
{
    char dir[512];
    run_sweep("csv", ONE_OBJECTIVE, dir, sizeof dir);
    char path[600];
    snprintf(path, sizeof path, "%s/out/results.csv", dir);
    struct csv csv;
    csv_parse(&csv, path);
    char header[2048];
    csv_header(&csv, header, sizeof header);
    ck_assert_str_eq(header,
                     "trial,config,seed,status,value,failure,reason,attempts,seconds,"
                     "pruned_at,epochs_run,param_x,param_lr,last_epoch,"
                     "last_val_accuracy,last_val_loss,best_epoch,best_val_accuracy,"
                     "best_val_loss,final_test_accuracy,final_confusion");
    ck_assert_uint_eq(csv.rows, 1 + 15);
    /* c0003-s1: x = 0.7, seed 1. */
    size_t row = 1 + 3 * 3 + 1;
    ck_assert_str_eq(csv_get(&csv, row, "trial"), "c0003-s1");
    ck_assert_str_eq(csv_get(&csv, row, "status"), "ok");
    ck_assert_str_eq(csv_get(&csv, row, "epochs_run"), "3");
    ck_assert_str_eq(csv_get(&csv, row, "param_x"), "0.7");
    ck_assert_str_eq(csv_get(&csv, row, "param_lr"),
                     "0.000123456789"); /* full precision */
    ck_assert_str_eq(csv_get(&csv, row, "best_epoch"), "3");
    ck_assert_str_eq(csv_get(&csv, row, "final_confusion"), "[[9,1],[2,8]]");
    ck_assert_double_eq_tol(strtod(csv_get(&csv, row, "last_val_loss"), NULL),
                            0.0 + 0.001 + 0.35, 1e-12);
    ck_assert_double_eq_tol(strtod(csv_get(&csv, row, "final_test_accuracy"), NULL),
                            0.84 + 0.001 - 0.01, 1e-12);
    ck_assert(strtod(csv_get(&csv, row, "seconds"), NULL) > 0);
    csv_free(&csv);

    /* configs.csv: one row per config, best first, with the final metric's
     * statistics. */
    snprintf(path, sizeof path, "%s/out/configs.csv", dir);
    csv_parse(&csv, path);
    csv_header(&csv, header, sizeof header);
    ck_assert_str_eq(header,
                     "rank,config,status,param_x,param_lr,mean,std,ci_low,ci_high,n,"
                     "failed,final_test_accuracy_mean,final_test_accuracy_std,"
                     "final_test_accuracy_ci_low,final_test_accuracy_ci_high,"
                     "final_test_accuracy_n");
    ck_assert_uint_eq(csv.rows, 1 + 5);
    ck_assert_str_eq(csv_get(&csv, 1, "rank"), "1");
    ck_assert_str_eq(csv_get(&csv, 1, "config"), "1");
    ck_assert_str_eq(csv_get(&csv, 1, "n"), "3");
    ck_assert_str_eq(csv_get(&csv, 1, "final_test_accuracy_n"), "3");
    ck_assert_double_eq_tol(strtod(csv_get(&csv, 1, "final_test_accuracy_mean"), NULL),
                            0.991, 1e-12);
    ck_assert_double_eq_tol(strtod(csv_get(&csv, 1, "std"), NULL), 0.001, 1e-12);
    ck_assert(strtod(csv_get(&csv, 1, "ci_low"), NULL) < 1.001);
    ck_assert_str_eq(csv_get(&csv, 5, "config"), "4");
    csv_free(&csv);

    /* The confusion matrix stays on one line in results.json. */
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    char *json = read_text(path);
    ck_assert_msg(strstr(json, "\"confusion\": [[9, 1], [2, 8]]"), "%s", json);
    ck_assert_msg(strstr(json, "\"ci95\": ["), "%s", json);
    free(json);

    /* report --format csv --top 2: the trials of the two best configs. */
    ck_assert_int_eq(
        run("'%s/hpsearch' report '%s/out' --format csv --top 2 > '%s/top.csv'", BIN, dir,
            dir),
        0);
    snprintf(path, sizeof path, "%s/top.csv", dir);
    csv_parse(&csv, path);
    ck_assert_uint_eq(csv.rows, 1 + 6);
    ck_assert_str_eq(csv_get(&csv, 1, "trial"), "c0001-s0");
    ck_assert_str_eq(csv_get(&csv, 4, "trial"), "c0002-s0");
    csv_free(&csv);
}
END_TEST

START_TEST(test_results_report_reranks_by_another_metric_without_running)
{
    char dir[512];
    run_sweep("rerank", ONE_OBJECTIVE, dir, sizeof dir);
    ck_assert_int_eq(run("cp '%s/out/journal.jsonl' '%s/journal.before'", dir, dir), 0);
    char order[128];
    report_order(dir, "", order, sizeof order);
    ck_assert_str_eq(order, "1 2 0 3 4");
    /* val_loss, minimised, each trial's best: x = 0.7 first. */
    report_order(dir, "--metric val_loss --mode min", order, sizeof order);
    ck_assert_str_eq(order, "3 4 2 1 0");
    /* ... each trial's last (epoch 3 adds 0.5 x): x = 0.45 first. */
    report_order(dir, "--metric val_loss --mode min --score last", order, sizeof order);
    ck_assert_str_eq(order, "2 1 3 0 4");
    /* --mode alone turns the sweep's own objective around. */
    report_order(dir, "--mode min", order, sizeof order);
    ck_assert_str_eq(order, "4 3 0 2 1");
    /* The re-ranked values are the seed means of the chosen metric. */
    char path[600];
    snprintf(path, sizeof path, "%s/report.json", dir);
    ck_assert_int_eq(run("'%s/hpsearch' report '%s/out' --format json --metric val_loss "
                         "--mode min --top 1 > '%s'",
                         BIN, dir, path),
                     0);
    json_t *doc = load_json(path);
    ck_assert_uint_eq(json_array_size(doc), 1);
    ck_assert_double_eq_tol(
        json_real_value(json_object_get(json_array_get(doc, 0), "mean")), 0.001, 1e-12);
    json_decref(doc);

    /* best takes the same options. */
    ck_assert_int_eq(run("'%s/hpsearch' best '%s/out' --metric val_loss --mode min "
                         "> '%s/best.json'",
                         BIN, dir, dir),
                     0);
    snprintf(path, sizeof path, "%s/best.json", dir);
    doc = load_json(path);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "config")), 3);
    json_decref(doc);

    /* An unknown metric: exit 2, naming the metrics there are. */
    ck_assert_int_eq(run("'%s/hpsearch' report '%s/out' --metric val_los --mode min "
                         "2> '%s/err.txt'",
                         BIN, dir, dir),
                     2);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    char *err = read_text(path);
    ck_assert_msg(strstr(err, "--metric val_los: no trial reported it; the metrics are: "
                              "epoch, val_accuracy, val_loss, test_accuracy, seconds"),
                  "%s", err);
    free(err);
    /* Another metric without a direction is refused rather than guessed. */
    ck_assert_int_eq(
        run("'%s/hpsearch' report '%s/out' --metric val_loss 2>/dev/null", BIN, dir), 2);
    /* Nothing ran: the journal is as it was. */
    ck_assert_int_eq(run("cmp -s '%s/out/journal.jsonl' '%s/journal.before'", dir, dir),
                     0);
}
END_TEST

START_TEST(test_results_tables_print_short_numbers_and_status_names_the_interval)
{
    char dir[512];
    run_sweep("tables", ONE_OBJECTIVE, dir, sizeof dir);
    ck_assert_int_eq(run("grep -q 'x=0.3 lr=0.00012346$' '%s/run.log'", dir), 0);
    ck_assert_int_eq(
        run("'%s/hpsearch' report '%s/out' > '%s/report.txt'", BIN, dir, dir), 0);
    ck_assert_int_eq(run("grep -q '1.001 .* x=0.3 lr=0.00012346$' '%s/report.txt'", dir),
                     0);
    ck_assert_int_ne(run("grep -q '0.000123456789' '%s/report.txt'", dir), 0);
    ck_assert_int_eq(
        run("'%s/hpsearch' status '%s/out' > '%s/status.txt'", BIN, dir, dir), 0);
    ck_assert_int_eq(run("grep -q 'val_accuracy mean 1.001, 95%% CI ± 0.0024841 "
                         "\\[0.99852, 1.0035\\], "
                         "n=3' '%s/status.txt'",
                         dir),
                     0);
}
END_TEST

START_TEST(test_results_pareto_front_of_two_objectives)
{
    char dir[512];
    run_sweep("pareto",
              "[{\"metric\": \"val_accuracy\", \"mode\": \"max\"},"
              " {\"metric\": \"val_loss\", \"mode\": \"min\"}]",
              dir, sizeof dir);
    /* (val_accuracy, val_loss) means: x = 0.1 (0.961, 0.361) is dominated
     * by x = 0.3 (1.001, 0.161), and x = 0.9 (0.641, 0.041) by x = 0.7
     * (0.841, 0.001); x = 0.3, 0.45, 0.7 trade one against the other. */
    char path[600];
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    json_t *doc = load_json(path);
    char front[64];
    configs_of(json_object_get(doc, "pareto_front"), front, sizeof front);
    ck_assert_str_eq(front, "1 2 3");
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(doc, "configs"), i, config)
    {
        json_int_t index = json_integer_value(json_object_get(config, "config"));
        ck_assert_int_eq(json_is_true(json_object_get(config, "pareto")),
                         index >= 1 && index <= 3);
        json_t *loss = json_object_get(json_object_get(config, "objectives"), "val_loss");
        ck_assert_int_eq(json_integer_value(json_object_get(loss, "n")), 3);
        ck_assert_uint_eq(json_array_size(json_object_get(loss, "ci95")), 2);
    }
    json_decref(doc);

    /* best lists the front; report shows it with each member's CI. */
    ck_assert_int_eq(run("'%s/hpsearch' best '%s/out' > '%s/best.json'", BIN, dir, dir),
                     0);
    snprintf(path, sizeof path, "%s/best.json", dir);
    doc = load_json(path);
    configs_of(json_object_get(doc, "pareto_front"), front, sizeof front);
    ck_assert_str_eq(front, "1 2 3");
    json_decref(doc);
    ck_assert_int_eq(
        run("'%s/hpsearch' report '%s/out' > '%s/report.txt'", BIN, dir, dir), 0);
    ck_assert_int_eq(run("grep -q '^Pareto front (3 configs' '%s/report.txt'", dir), 0);
    ck_assert_int_eq(run("grep -q '^  config 3: val_accuracy 0.841 ± 0.0024841, val_loss "
                         "0.001 ± 0.0024841  x=0.7' '%s/report.txt'",
                         dir),
                     0);
    /* configs.csv marks the front too. */
    ck_assert_int_eq(run("grep -q '^1,1,complete,.*,1,0.991,' '%s/out/configs.csv'", dir),
                     0);
}
END_TEST

START_TEST(test_results_pareto_front_with_seconds_from_the_end_records)
{
    char dir[512];
    run_sweep("seconds",
              "[{\"metric\": \"val_accuracy\", \"mode\": \"max\"},"
              " {\"metric\": \"seconds\", \"mode\": \"min\"}]",
              dir, sizeof dir);
    char path[600];
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    json_t *doc = load_json(path);
    /* Which configs are fastest is timing: only that the best by
     * val_accuracy is on the front, and every config has its seconds. */
    json_t *front = json_object_get(doc, "pareto_front");
    ck_assert_uint_ge(json_array_size(front), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(front, 0)), 1);
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(doc, "configs"), i, config)
    {
        json_t *seconds =
            json_object_get(json_object_get(config, "objectives"), "seconds");
        ck_assert_int_eq(json_integer_value(json_object_get(seconds, "n")), 3);
        ck_assert(json_real_value(json_object_get(seconds, "mean")) > 0);
    }
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_results");
    TCase *tc = tcase_create("results");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_results_csv_has_stable_columns_and_one_row_per_trial);
    tcase_add_test(tc, test_results_report_reranks_by_another_metric_without_running);
    tcase_add_test(tc,
                   test_results_tables_print_short_numbers_and_status_names_the_interval);
    tcase_add_test(tc, test_results_pareto_front_of_two_objectives);
    tcase_add_test(tc, test_results_pareto_front_with_seconds_from_the_end_records);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
