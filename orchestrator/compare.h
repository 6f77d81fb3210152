/*
 * `hpsearch compare DIR_A DIR_B`: does one sweep's configuration beat
 * another's beyond seed noise?
 *
 * By default each sweep's best config, or with --config I J config I of A
 * against config J of B. On the seeds both ran (and that succeeded in both)
 * the comparison is paired: the per-seed differences A - B, their mean with
 * a 95% Student-t interval, the paired t-test and the Wilcoxon signed-rank
 * test. When the two sets of seeds differ it is Welch's unpaired t-test on
 * each side's values, and it says so; the paired tests on the shared seeds
 * are still shown when at least 2 are shared. The verdict, at 5% two-sided,
 * comes from the t-test that applies and respects the objective's mode.
 *
 * Both sweeps are read by replaying their journals, as `report` does, so
 * this works during a sweep too. Nothing is written anywhere.
 *
 * What it refuses (exit 2, a message naming the sweep): a directory that is
 * not a sweep, sweeps whose objectives (metric or mode) differ, a --config
 * index that the sweep does not have, and fewer than 2 values to compare
 * (2 seeds shared when the seed sets match, 2 on each side when not).
 */
#ifndef COMPARE_H
#define COMPARE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "exit_codes.h"
#include "state.h"

/* Which configs to compare. */
struct compare_pick {
    int given; /* 0: each sweep's best; 1: config_a of A against config_b of B */
    size_t config_a;
    size_t config_b;
};

enum compare_format {
    COMPARE_TABLE,
    COMPARE_JSON,
};

/* The level of every verdict: 5%, two-sided. */
#define COMPARE_ALPHA 0.05

/* Compares two replayed sweeps (each state's space says its objective).
 * `label_a` and `label_b` name them in the result and in errors (the
 * directories as the user wrote them). Returns a new JSON object (the
 * document `compare --format json` prints, for the HTML report too), or NULL
 * with *code and `err` set. Borrows everything. */
json_t *compare_states_json(const struct sweep_state *a, const char *label_a,
                            const struct sweep_state *b, const char *label_b,
                            const struct compare_pick *pick, enum hp_exit_code *code,
                            struct hp_error *err);

/* Loads the sweeps in dir_a and dir_b (their space.json and journal) and
 * returns compare_states_json's document, or NULL with *code and `err` set. */
json_t *compare_sweeps_json(const char *dir_a, const char *dir_b,
                            const struct compare_pick *pick, enum hp_exit_code *code,
                            struct hp_error *err);

/* The `compare` command: the comparison of dir_a and dir_b written to `out`
 * as a table for people or as JSON. Returns HP_EXIT_OK or the failure's code
 * with `err` set. */
enum hp_exit_code compare_print(const char *dir_a, const char *dir_b,
                                const struct compare_pick *pick,
                                enum compare_format format, FILE *out,
                                struct hp_error *err);

#endif
