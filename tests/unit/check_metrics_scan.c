/*
 * The journal's metric lines per trial (metrics_scan.c): the last line, the
 * line best by the first objective, the {"final": true} line, each
 * objective's best and last value; a fresh start forgets an earlier
 * attempt's lines, a start from a checkpoint continues them; "seconds" is
 * the trial's wall time; the metric names in their first-seen order.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "journal.h"
#include "metrics_scan.h"
#include "space.h"
#include "state.h"

#define WORK HP_BINARY_DIR "/metrics-scan-work"

static const char SPACE[] =
    "{\"name\": \"scan\", \"seeds\": 2, \"strategy\": {\"type\": \"grid\"},\n"
    " \"objective\": [{\"metric\": \"val_accuracy\", \"mode\": \"max\"},\n"
    "               {\"metric\": \"val_loss\", \"mode\": \"min\", \"score\": \"last\"},\n"
    "               {\"metric\": \"seconds\", \"mode\": \"min\"}],\n"
    " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0, 1]}}}\n";

#define START(c, s, resume)                                                              \
    "{\"event\":\"start\",\"trial\":\"c000" #c "-s" #s "\",\"config\":" #c               \
    ",\"seed\":" #s ",\"attempt\":1,\"params\":{\"x\":" #c "},\"resume_from\":" resume   \
    "}"
#define REPORT(c, s, line)                                                               \
    "{\"event\":\"report\",\"trial\":\"c000" #c "-s" #s "\",\"config\":" #c              \
    ",\"seed\":" #s ",\"line\":" line "}"
#define END(c, s, status, seconds, extra)                                                \
    "{\"event\":\"end\",\"trial\":\"c000" #c "-s" #s "\",\"config\":" #c ",\"seed\":" #s \
    ",\"attempt\":1,\"seconds\":" #seconds ",\"exit_status\":0,\"status\":\"" status     \
    "\"" extra "}"

static const char *const RECORDS[] = {
    /* c0000-s0: best val_accuracy at epoch 2, a checkpoint line (not a
     * metric line), a last line, a final line with a confusion matrix. */
    START(0, 0, "null"),
    REPORT(0, 0, "{\"epoch\":1,\"val_accuracy\":0.5,\"val_loss\":0.9}"),
    REPORT(0, 0, "{\"epoch\":2,\"val_accuracy\":0.7,\"val_loss\":0.6}"),
    REPORT(0, 0, "{\"checkpoint\":\"best.ckpt\",\"epoch\":2}"),
    REPORT(0, 0, "{\"epoch\":3,\"val_accuracy\":0.6,\"val_loss\":0.8}"),
    REPORT(0, 0, "{\"final\":true,\"test_accuracy\":0.65,\"confusion\":[[1,2],[3,4]]}"),
    END(0, 0, "ok", 2.0, ",\"score\":0.7,\"score_epoch\":2"),
    /* c0000-s1: an attempt that failed and was retried from scratch. */
    START(0, 1, "null"),
    REPORT(0, 1, "{\"epoch\":1,\"val_accuracy\":0.99}"),
    END(0, 1, "failed", 1.0,
        ",\"failure\":\"exit_code\",\"reason\":\"exit 1\","
        "\"will_retry\":true"),
    START(0, 1, "null"),
    REPORT(0, 1, "{\"epoch\":1,\"val_accuracy\":0.4,\"val_loss\":1.0}"),
    END(0, 1, "ok", 3.0, ",\"score\":0.4,\"score_epoch\":1"),
    /* c0001-s0: interrupted, then continued from its checkpoint. */
    START(1, 0, "null"),
    REPORT(1, 0, "{\"epoch\":1,\"val_accuracy\":0.3,\"val_loss\":0.5}"),
    END(1, 0, "interrupted", 1.0, ""),
    START(1, 0, "\"" WORK "/trials/c0001-s0/last.ckpt\""),
    REPORT(1, 0, "{\"epoch\":2,\"val_accuracy\":0.2,\"val_loss\":0.4}"),
    END(1, 0, "ok", 1.5, ",\"score\":0.3,\"score_epoch\":1"),
};
enum { RECORD_COUNT = sizeof RECORDS / sizeof RECORDS[0] };

static struct space space;
static struct sweep_state state;
static struct metrics_scan scan;

static void setup(void)
{
    ck_assert_int_eq(system("rm -rf '" WORK "' && mkdir -p '" WORK "'"), 0);
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(space_load_text(SPACE, strlen(SPACE), "space.json", &space, &err),
                     0);
    ck_assert_int_eq(state_init(&state, &space, WORK, &err), 0);
    struct journal journal;
    ck_assert_int_eq(journal_open(&journal, WORK, -1, NULL, NULL, NULL, &err), 0);
    for (size_t i = 0; i < RECORD_COUNT; i++) {
        json_error_t jerr;
        json_t *record = json_loads(RECORDS[i], 0, &jerr);
        ck_assert_msg(record != NULL, "record %zu: %s", i, jerr.text);
        ck_assert_int_eq(journal_append(&journal, record, &err), 0);
        json_decref(record);
    }
    journal_close(&journal);
    ck_assert_msg(state_replay(&state, WORK, NULL, &err) == 0, "%s", err.message);
    ck_assert_msg(metrics_scan_run(&scan, &state, space.objectives, space.objective_count,
                                   &err) == 0,
                  "%s", err.message);
}

static void teardown(void)
{
    metrics_scan_free(&scan);
    state_free(&state);
    space_free(&space);
}

static double number(const json_t *line, const char *key)
{
    ck_assert_ptr_nonnull(line);
    ck_assert_msg(json_is_number(json_object_get(line, key)), "no %s", key);
    return json_number_value(json_object_get(line, key));
}

START_TEST(test_metrics_scan_keeps_last_best_and_final_lines)
{
    const struct trial_metrics *t = &scan.trials[0][0];
    ck_assert_double_eq(number(t->last, "epoch"), 3);
    ck_assert_double_eq(number(t->best, "epoch"), 2); /* best by val_accuracy */
    ck_assert_double_eq(number(t->best, "val_loss"), 0.6);
    ck_assert_double_eq(number(t->final, "test_accuracy"), 0.65);
    ck_assert_uint_eq(json_array_size(json_object_get(t->final, "confusion")), 2);
    ck_assert_double_eq(t->best_value[0], 0.7);
    ck_assert_double_eq(t->last_value[0], 0.6);
    ck_assert_double_eq(t->best_value[1], 0.6); /* val_loss is minimised */
    ck_assert_double_eq(t->last_value[1], 0.8);
}
END_TEST

START_TEST(test_metrics_scan_scores_by_each_objectives_rule)
{
    ck_assert_double_eq(metrics_scan_score(&scan, &state, 0, 0, 0), 0.7); /* best */
    ck_assert_double_eq(metrics_scan_score(&scan, &state, 0, 0, 1), 0.8); /* last */
    ck_assert_double_eq(metrics_scan_score(&scan, &state, 0, 0, 2), 2.0); /* seconds */
    ck_assert_double_eq(metrics_scan_score(&scan, &state, 0, 1, 2), 3.0);
}
END_TEST

START_TEST(test_metrics_scan_forgets_an_attempt_restarted_from_scratch)
{
    const struct trial_metrics *t = &scan.trials[0][1];
    ck_assert_double_eq(t->best_value[0], 0.4);
    ck_assert_ptr_null(t->final);
}
END_TEST

START_TEST(test_metrics_scan_continues_an_attempt_resumed_from_a_checkpoint)
{
    const struct trial_metrics *t = &scan.trials[1][0];
    ck_assert_double_eq(t->best_value[0], 0.3);
    ck_assert_double_eq(t->last_value[0], 0.2);
    ck_assert_double_eq(t->best_value[1], 0.4);
    ck_assert_double_eq(number(t->best, "epoch"), 1);
    ck_assert_double_eq(number(t->last, "epoch"), 2);
}
END_TEST

START_TEST(test_metrics_scan_names_metrics_in_first_seen_order)
{
    char list[256];
    metrics_scan_list(&scan, list, sizeof list);
    ck_assert_str_eq(list, "epoch, val_accuracy, val_loss, test_accuracy, seconds");
    ck_assert(metrics_scan_has(&scan, "val_loss"));
    ck_assert(metrics_scan_has(&scan, "seconds"));
    ck_assert(!metrics_scan_has(&scan, "confusion")); /* not a number */
    ck_assert(!metrics_scan_has(&scan, "val_los"));
    ck_assert_ptr_nonnull(json_object_get(scan.final_names, "confusion"));
    ck_assert_ptr_null(json_object_get(scan.final_names, "final"));
    ck_assert_ptr_null(json_object_get(scan.last_names, "checkpoint"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics_scan");
    TCase *tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_metrics_scan_keeps_last_best_and_final_lines);
    tcase_add_test(tc, test_metrics_scan_scores_by_each_objectives_rule);
    tcase_add_test(tc, test_metrics_scan_forgets_an_attempt_restarted_from_scratch);
    tcase_add_test(tc, test_metrics_scan_continues_an_attempt_resumed_from_a_checkpoint);
    tcase_add_test(tc, test_metrics_scan_names_metrics_in_first_seen_order);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
