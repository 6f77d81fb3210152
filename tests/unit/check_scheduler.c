/*
 * The schedulers against hand-worked examples: rung arithmetic, who is
 * promoted and pruned where, the median rule's decisions, and that every
 * decision is the same whatever order the results arrive in.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "pcg32.h"
#include "scheduler.h"
#include "search_space.h"
#include "successive_halving.h"

static struct scheduler *create(const char *type, const char *options_text, int maximize,
                                size_t planned)
{
    json_t *options = json_loads(options_text, 0, NULL);
    ck_assert_ptr_nonnull(options);
    const struct scheduler_ops *ops = scheduler_find(type);
    ck_assert_ptr_nonnull(ops);
    struct sched_context context = {planned, maximize, NULL};
    struct scheduler *s = NULL;
    struct hp_error err;
    hp_error_init(&err);
    int rc = ops->create(options, &context, &s, &err);
    ck_assert_msg(rc == 0, "create %s %s: %s", type, options_text, err.message);
    json_decref(options);
    return s;
}

/* The error create() gives, as "path: message". */
static const char *create_error(const char *type, const char *options_text)
{
    static char text[2048];
    json_t *options = json_loads(options_text, 0, NULL);
    struct sched_context context = {0, 1, NULL};
    struct scheduler *s = NULL;
    struct hp_error err;
    hp_error_init(&err);
    int rc = scheduler_find(type)->create(options, &context, &s, &err);
    json_decref(options);
    ck_assert_int_eq(rc, -1);
    snprintf(text, sizeof text, "%s: %s", err.path, err.message);
    return text;
}

/* Every decision the scheduler has now, as "action config at budget; ...". */
static void drain(struct scheduler *s, char *log, size_t size)
{
    struct sched_decision d;
    while (scheduler_decide(s, &d) == 1) {
        size_t used = strlen(log);
        snprintf(log + used, size - used, "%s %zu %ld %ld; ",
                 scheduler_action_name(d.action), d.config, d.at, d.budget);
    }
}

START_TEST(rungs_are_min_times_eta_powers_then_max)
{
    struct sh_bracket b;
    ck_assert_int_eq(sh_bracket_init(&b, 1, 27, 3, 1), 0);
    ck_assert_uint_eq(b.rung_count, 4);
    ck_assert_int_eq(b.rungs[0], 1);
    ck_assert_int_eq(b.rungs[1], 3);
    ck_assert_int_eq(b.rungs[2], 9);
    ck_assert_int_eq(b.rungs[3], 27);
    sh_bracket_free(&b);
    /* max not a power of eta times min: the last rung is max itself */
    ck_assert_int_eq(sh_bracket_init(&b, 2, 20, 3, 1), 0);
    ck_assert_uint_eq(b.rung_count, 4);
    ck_assert_int_eq(b.rungs[2], 18);
    ck_assert_int_eq(b.rungs[3], 20);
    sh_bracket_free(&b);
    /* min == max: one rung, no early stopping */
    ck_assert_int_eq(sh_bracket_init(&b, 5, 5, 3, 1), 0);
    ck_assert_uint_eq(b.rung_count, 1);
    sh_bracket_free(&b);
}
END_TEST

/* Six configs at rung 1 (of 1, 3, 9), eta 3, maximising, values
 * 0.5 0.6 0.4 0.7 0.3 0.65. Worked by hand, config k against configs <= k:
 *   c0: 1 entrant, slots max(1, 0) = 1, rank 0 -> promote
 *   c1: 2 entrants, slots 1, rank 0 (0.6 beats 0.5) -> promote
 *   c2: 3 entrants, slots 1, rank 2 -> prune
 *   c3: 4 entrants, slots 1, rank 0 -> promote
 *   c4: 5 entrants, slots 1, rank 4 -> prune
 *   c5: 6 entrants, slots 2, rank 1 (only 0.7 beats 0.65) -> promote */
static const double RUNG0[] = {0.5, 0.6, 0.4, 0.7, 0.3, 0.65};
static const char *const RUNG0_DECISIONS =
    "promote 0 1 3; promote 1 1 3; prune 2 1 0; promote 3 1 3; prune 4 1 0; "
    "promote 5 1 3; ";

START_TEST(asha_promotes_the_top_third_of_each_prefix)
{
    struct scheduler *s = create("asha", "{\"min\":1,\"max\":9,\"eta\":3}", 1, 6);
    char log[1024] = "";
    for (size_t k = 0; k < 6; k++)
        ck_assert_int_eq(scheduler_admit(s, k, NULL), 1);
    for (size_t k = 0; k < 6; k++) {
        scheduler_segment_end(s, k, 1, RUNG0[k], 3);
        drain(s, log, sizeof log);
    }
    ck_assert_str_eq(log, RUNG0_DECISIONS);
    scheduler_destroy(s);
}
END_TEST

START_TEST(asha_decisions_do_not_depend_on_arrival_order)
{
    static const size_t orders[][6] = {
        {5, 4, 3, 2, 1, 0}, {2, 0, 5, 1, 4, 3}, {1, 3, 5, 0, 2, 4}};
    for (size_t o = 0; o < 3; o++) {
        struct scheduler *s = create("asha", "{\"min\":1,\"max\":9,\"eta\":3}", 1, 6);
        char log[1024] = "";
        for (size_t k = 0; k < 6; k++)
            scheduler_admit(s, k, NULL);
        for (size_t i = 0; i < 6; i++) {
            size_t k = orders[o][i];
            scheduler_segment_end(s, k, 1, RUNG0[k], 3);
            drain(s, log, sizeof log);
            /* nothing about a config is decided before every earlier one is in */
            if (k != 0 && strstr(log, "0 1") == NULL)
                ck_assert_str_eq(log, "");
        }
        ck_assert_str_eq(log, RUNG0_DECISIONS);
        scheduler_destroy(s);
    }
}
END_TEST

START_TEST(asha_runs_promoted_configs_through_the_rungs)
{
    /* minimising this time: smaller is better */
    struct scheduler *s = create("asha", "{\"min\":1,\"max\":9,\"eta\":3}", 0, 4);
    char log[1024] = "";
    for (size_t k = 0; k < 4; k++)
        scheduler_admit(s, k, NULL);
    /* rung 1: c0 promote (first), c1 0.9 > 0.8 prune, c2 0.5 best promote,
     * c3 0.6: 4 entrants, slots 1, rank 1 -> prune */
    const double rung1[] = {0.8, 0.9, 0.5, 0.6};
    for (size_t k = 0; k < 4; k++)
        scheduler_segment_end(s, k, 1, rung1[k], 1);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "promote 0 1 3; prune 1 1 0; promote 2 1 3; prune 3 1 0; ");
    log[0] = '\0';
    /* rung 3: c2 arrives first but waits for c0 */
    scheduler_segment_end(s, 2, 3, 0.3, 1);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "");
    scheduler_segment_end(s, 0, 3, 0.4, 1);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "promote 0 3 9; promote 2 3 9; ");
    log[0] = '\0';
    /* the top rung completes, nothing to compare */
    scheduler_segment_end(s, 2, 9, 0.2, 1);
    scheduler_segment_end(s, 0, 9, 0.25, 1);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "complete 2 9 0; complete 0 9 0; ");
    scheduler_destroy(s);
}
END_TEST

START_TEST(asha_skips_failed_configs)
{
    struct scheduler *s = create("asha", "{\"min\":1,\"max\":3,\"eta\":3}", 1, 3);
    char log[512] = "";
    for (size_t k = 0; k < 3; k++)
        scheduler_admit(s, k, NULL);
    scheduler_segment_end(s, 1, 1, 0.9, 2);
    scheduler_segment_end(s, 0, 1, NAN, 0); /* every seed failed */
    scheduler_segment_end(s, 2, 1, 0.95, 2);
    drain(s, log, sizeof log);
    /* c1 is the first entrant; c2 (2 entrants, slots 1) beats it */
    ck_assert_str_eq(log, "promote 1 1 3; promote 2 1 3; ");
    scheduler_destroy(s);
}
END_TEST

START_TEST(hyperband_deals_configs_in_bracket_proportion)
{
    /* min 1, max 27, eta 3: s_max 3, brackets start at 1, 3, 9, 27 with
     * n_s = 27, 12, 6, 4 configs per cycle of 49 */
    struct scheduler *s = create("hyperband", "{\"min\":1,\"max\":27,\"eta\":3}", 1, 49);
    size_t counts[28] = {0};
    for (size_t k = 0; k < 49; k++) {
        long budget = scheduler_admit(s, k, NULL);
        ck_assert(budget == 1 || budget == 3 || budget == 9 || budget == 27);
        counts[budget]++;
    }
    ck_assert_uint_eq(counts[1], 27);
    ck_assert_uint_eq(counts[3], 12);
    ck_assert_uint_eq(counts[9], 6);
    ck_assert_uint_eq(counts[27], 4);
    /* the next cycle deals the same way */
    struct scheduler *t = create("hyperband", "{\"min\":1,\"max\":27,\"eta\":3}", 1, 98);
    for (size_t k = 0; k < 49; k++)
        scheduler_admit(t, k, NULL);
    for (size_t k = 49; k < 98; k++)
        ck_assert_int_eq(scheduler_admit(s, k, NULL), scheduler_admit(t, k, NULL));
    scheduler_destroy(s);
    scheduler_destroy(t);
}
END_TEST

START_TEST(hyperband_full_budget_bracket_completes_without_decisions)
{
    struct scheduler *s = create("hyperband", "{\"min\":3,\"max\":3,\"eta\":3}", 1, 2);
    char log[256] = "";
    ck_assert_int_eq(scheduler_admit(s, 0, NULL), 3);
    scheduler_segment_end(s, 0, 3, 0.5, 1);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "complete 0 3 0; ");
    scheduler_destroy(s);
}
END_TEST

/* Median, maximising, warmup_configs 2: c0 and c1 are references.
 *   c0: steps 1 2 3 -> 0.5 0.6 0.7 ; c1: 0.4 0.5 0.6
 *   c2 step 1: 0.3 vs median(0.5, 0.4) = 0.45 -> prune at 1
 *   c3 step 1: 0.46 vs median(0.5, 0.4, 0.3) = 0.4 -> go on
 *   c3 step 2: 0.55 vs median(0.6, 0.5) = 0.55 (c2 never reached 2) -> not
 *              strictly worse: go on; step 3: 0.66 vs 0.65 -> go on */
START_TEST(median_stops_below_the_median_of_earlier_configs)
{
    struct scheduler *s = create("median", "{\"max\":3,\"warmup_configs\":2}", 1, 4);
    char log[1024] = "";
    for (size_t k = 0; k < 4; k++)
        ck_assert_int_eq(scheduler_admit(s, k, NULL), 3);
    const double c0[] = {0.5, 0.6, 0.7}, c1[] = {0.4, 0.5, 0.6};
    for (long step = 1; step <= 3; step++) {
        scheduler_progress(s, 0, step, c0[step - 1]);
        scheduler_progress(s, 1, step, c1[step - 1]);
    }
    scheduler_segment_end(s, 0, 3, 0.7, 2);
    scheduler_segment_end(s, 1, 3, 0.6, 2);
    scheduler_progress(s, 2, 1, 0.3);
    scheduler_progress(s, 3, 1, 0.46);
    scheduler_progress(s, 3, 2, 0.55);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "complete 0 3 0; complete 1 3 0; prune 2 1 0; ");
    log[0] = '\0';
    scheduler_progress(s, 3, 3, 0.66);
    scheduler_segment_end(s, 3, 3, 0.66, 2);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "complete 3 3 0; ");
    scheduler_destroy(s);
}
END_TEST

START_TEST(median_waits_for_earlier_configs_to_reach_the_step)
{
    struct scheduler *s = create("median", "{\"max\":10,\"warmup_configs\":1}", 0, 3);
    char log[512] = "";
    for (size_t k = 0; k < 3; k++)
        scheduler_admit(s, k, NULL);
    scheduler_progress(s, 0, 1, 1.0);
    /* c1 has run ahead to step 3; c0 is at step 1 */
    scheduler_progress(s, 1, 1, 0.9);
    scheduler_progress(s, 1, 2, 2.0);
    scheduler_progress(s, 1, 3, 2.5);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, ""); /* step 1 went on; step 2 waits for c0 */
    scheduler_progress(s, 0, 2, 1.5);
    drain(s, log, sizeof log);
    ck_assert_str_eq(log, "prune 1 2 0; "); /* 2.0 is worse than 1.5 (minimising) */
    log[0] = '\0';
    /* c1 reported step 3, but it stopped at 2: it is no reference at 3 */
    scheduler_progress(s, 2, 3, 9.0);
    scheduler_progress(s, 0, 3, 1.2);
    drain(s, log, sizeof log);
    /* c2's steps 1 and 2 are missing: only step 3 is judged, against c0 */
    ck_assert_str_eq(log, "prune 2 3 0; ");
    scheduler_destroy(s);
}
END_TEST

START_TEST(options_are_checked_with_their_path)
{
    ck_assert_str_eq(create_error("asha", "{\"min\":1}"),
                     "scheduler: missing required key \"max\" (the full budget, in the "
                     "trainer's resource units)");
    ck_assert_str_eq(create_error("asha", "{\"max\":9,\"eta\":1}"),
                     "scheduler.eta: must be an integer from 2 to 1000 (got 1)");
    ck_assert_str_eq(create_error("hyperband", "{\"max\":9,\"min\":10}"),
                     "scheduler.min: must be at most max (9), got 10");
    ck_assert_str_eq(
        create_error("median", "{\"interval\":0}"),
        "scheduler.interval: must be an integer from 1 to 4611686018427387903 "
        "(got 0)");
    ck_assert_ptr_null(scheduler_find("none"));
    char names[128];
    scheduler_names(names, sizeof names);
    ck_assert_str_eq(names, "none, median, asha, hyperband, pbt");
}
END_TEST

/* --- pbt ------------------------------------------------------------------ */

/* x uniform [0, 1], k int [1, 8], lr log [1e-4, 0.1], s stepped 0..1 by 0.25,
 * c a choice of "a".."d", and a constant. */
static struct search_space pbt_space(void)
{
    static struct param_spec specs[6];
    specs[0] = (struct param_spec){.name = "x", .kind = PARAM_UNIFORM, .high = 1.0};
    specs[1] =
        (struct param_spec){.name = "k", .kind = PARAM_INT, .low = 1.0, .high = 8.0};
    specs[2] = (struct param_spec){
        .name = "lr", .kind = PARAM_LOGUNIFORM, .low = 1e-4, .high = 0.1, .log = 1};
    specs[3] = (struct param_spec){
        .name = "s", .kind = PARAM_UNIFORM, .high = 1.0, .step = 0.25};
    specs[4] = (struct param_spec){
        .name = "c",
        .kind = PARAM_CHOICE,
        .values = json_pack("[s, s, s, s]", "a", "b", "c", "d"),
    };
    specs[5] = (struct param_spec){
        .name = "fixed", .kind = PARAM_CONSTANT, .value = json_integer(7)};
    return (struct search_space){.params = specs, .count = 6};
}

static struct scheduler *create_pbt(const struct search_space *space,
                                    const char *options_text)
{
    json_t *options = json_loads(options_text, 0, NULL);
    ck_assert_ptr_nonnull(options);
    struct sched_context context = {0, 1, space};
    struct scheduler *s = NULL;
    struct hp_error err;
    hp_error_init(&err);
    int rc = pbt_scheduler_ops.create(options, &context, &s, &err);
    ck_assert_msg(rc == 0, "create pbt %s: %s", options_text, err.message);
    json_decref(options);
    return s;
}

static void assert_pbt_params_in_space(const json_t *params)
{
    const json_t *x = json_object_get(params, "x");
    ck_assert(json_is_real(x) && json_real_value(x) >= 0.0 && json_real_value(x) <= 1.0);
    const json_t *k = json_object_get(params, "k");
    ck_assert(json_is_integer(k) && json_integer_value(k) >= 1 &&
              json_integer_value(k) <= 8);
    double lr = json_real_value(json_object_get(params, "lr"));
    ck_assert(lr >= 1e-4 && lr <= 0.1);
    double steps = json_real_value(json_object_get(params, "s")) / 0.25;
    ck_assert(steps >= 0.0 && steps <= 4.0 && steps == round(steps));
    const char *c = json_string_value(json_object_get(params, "c"));
    ck_assert(c && strlen(c) == 1 && c[0] >= 'a' && c[0] <= 'd');
    ck_assert_int_eq(json_integer_value(json_object_get(params, "fixed")), 7);
}

/* Runs a pbt of 4 members over `generations`, member 2 of generation 0
 * failing, each generation's results told in an order `shuffle` picks;
 * returns every decision as text. */
static char *run_pbt(const struct search_space *space, int generations, unsigned shuffle)
{
    char options[256];
    snprintf(options, sizeof options,
             "{\"population\": 4, \"generations\": %d, \"interval\": 2, \"seed\": 11}",
             generations);
    struct scheduler *s = create_pbt(space, options);
    size_t cap = 1 << 20, used = 0;
    char *log = calloc(cap, 1);
    json_t *params[4];
    struct hp_pcg32 rng;
    for (size_t m = 0; m < 4; m++) {
        hp_pcg32_derive(&rng, 5, m);
        params[m] = search_space_sample(space, &rng);
        ck_assert_int_eq(scheduler_admit(s, m, params[m]), 2);
    }
    for (int g = 0; g < generations; g++) {
        for (size_t i = 0; i < 4; i++) {
            size_t m = (i + shuffle * (size_t)(g + 1)) % 4;
            double x = json_real_value(json_object_get(params[m], "x"));
            int failed = g == 0 && m == 2;
            scheduler_segment_end(s, (size_t)g * 4 + m, 2L * (g + 1),
                                  failed ? NAN : 1.0 - (x - 0.3) * (x - 0.3),
                                  failed ? 0 : 2);
        }
        struct sched_decision d;
        while (scheduler_decide(s, &d) == 1) {
            char *text = d.params ? json_dumps(d.params, JSON_COMPACT) : NULL;
            used += (size_t)snprintf(log + used, cap - used,
                                     "%s %zu from %zu at %ld to %ld %s\n",
                                     scheduler_action_name(d.action), d.config, d.source,
                                     d.at, d.budget, text ? text : "");
            free(text);
            if (d.params) {
                assert_pbt_params_in_space(d.params);
                size_t m = d.config % 4;
                json_decref(params[m]);
                params[m] = json_incref(d.params);
                ck_assert_int_eq(scheduler_admit(s, d.config, d.params), 2L * (g + 2));
                /* A failed member always takes over a working one. */
                if (g == 0 && m == 2)
                    ck_assert(d.action == SCHED_EXPLOIT && d.source != 2);
            }
            sched_decision_clear(&d);
        }
    }
    for (size_t m = 0; m < 4; m++)
        json_decref(params[m]);
    scheduler_destroy(s);
    return log;
}

START_TEST(pbt_exploits_explores_in_bounds_and_ignores_arrival_order)
{
    struct search_space space = pbt_space();
    char *a = run_pbt(&space, 40, 0);
    char *b = run_pbt(&space, 40, 3);
    ck_assert_str_eq(a, b);
    /* 40 generations of 4: 39 barriers add a generation, each with one
     * exploit (quantile 0.25: the failed member is generation 0's bottom
     * one); retire and complete close each generation. */
    int exploits = 0, retires = 0, completes = 0;
    for (const char *p = strstr(a, "exploit "); p; p = strstr(p + 1, "exploit "))
        exploits++;
    for (const char *p = strstr(a, "retire "); p; p = strstr(p + 1, "retire "))
        retires++;
    for (const char *p = strstr(a, "complete "); p; p = strstr(p + 1, "complete "))
        completes++;
    ck_assert_int_eq(exploits, 39);
    ck_assert_int_eq(retires, 39 * 4);
    ck_assert_int_eq(completes, 4);
    free(a);
    free(b);
    json_decref(space.params[4].values);
    json_decref(space.params[5].value);
}
END_TEST

START_TEST(pbt_options_are_checked_with_their_path)
{
    ck_assert_str_eq(create_error("pbt", "{\"population\": 4}"),
                     "scheduler: pbt needs \"generations\"");
    ck_assert_str_eq(create_error("pbt", "{\"population\": 4, \"generations\": 2, "
                                         "\"quantile\": 0.6}"),
                     "scheduler.quantile: must be a number from 0 to 0.5 (got 0.6)");
    ck_assert_str_eq(create_error("pbt", "{\"population\": 4, \"generations\": 2, "
                                         "\"factors\": [1.2, 0]}"),
                     "scheduler.factors[1]: must be a number > 0");
}
END_TEST

static Suite *scheduler_suite(void)
{
    Suite *suite = suite_create("scheduler");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rungs_are_min_times_eta_powers_then_max);
    tcase_add_test(tc, asha_promotes_the_top_third_of_each_prefix);
    tcase_add_test(tc, asha_decisions_do_not_depend_on_arrival_order);
    tcase_add_test(tc, asha_runs_promoted_configs_through_the_rungs);
    tcase_add_test(tc, asha_skips_failed_configs);
    tcase_add_test(tc, hyperband_deals_configs_in_bracket_proportion);
    tcase_add_test(tc, hyperband_full_budget_bracket_completes_without_decisions);
    tcase_add_test(tc, median_stops_below_the_median_of_earlier_configs);
    tcase_add_test(tc, median_waits_for_earlier_configs_to_reach_the_step);
    tcase_add_test(tc, options_are_checked_with_their_path);
    tcase_add_test(tc, pbt_exploits_explores_in_bounds_and_ignores_arrival_order);
    tcase_add_test(tc, pbt_options_are_checked_with_their_path);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return hp_check_run(scheduler_suite());
}
