/*
 * The tpe strategy and its Parzen estimator: the windowed sums against the
 * naive ones, better than random on a 1-D function, every parameter kind in
 * bounds and on its grid, the random strategy's startup configs, the same
 * configs whatever the order of tell(), waiting for configs older than the
 * lag, the ranking of pruned and failed configs, and option errors.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "parzen.h"
#include "strategy.h"

/* ---- building spaces and strategies -------------------------------------- */

static void add(struct search_space *s, struct param_spec p)
{
    s->params = realloc(s->params, (s->count + 1) * sizeof *s->params);
    ck_assert_ptr_nonnull(s->params);
    s->params[s->count++] = p;
}

static void add_range(struct search_space *s, const char *name, enum param_kind kind,
                      double low, double high, int log, double step)
{
    add(s, (struct param_spec){.name = strdup(name),
                               .kind = kind,
                               .low = low,
                               .high = high,
                               .step = step,
                               .log = log || kind == PARAM_LOGUNIFORM});
}

static struct strategy *create(const struct strategy_ops *ops,
                               const struct search_space *s, json_t *options,
                               int maximize)
{
    struct strategy *r = NULL;
    struct hp_error err;
    hp_error_init(&err);
    int rc = ops->create(s, options, &(struct strategy_context){maximize}, &r, &err);
    json_decref(options);
    ck_assert_msg(rc == 0, "create failed: %s: %s", err.path, err.message);
    return r;
}

/* A tpe strategy; `extra` holds options besides type, trials and seed. */
static struct strategy *create_tpe(const struct search_space *s, int trials, int seed,
                                   json_t *extra, int maximize)
{
    json_t *o = json_pack("{s:s,s:i,s:i}", "type", "tpe", "trials", trials, "seed", seed);
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    return create(&tpe_strategy_ops, s, o, maximize);
}

static json_t *ask_config(struct strategy *r, size_t expected_index)
{
    struct ask_result res;
    ck_assert_int_eq(strategy_ask(r, &res), 0);
    ck_assert_int_eq(res.kind, ASK_CONFIG);
    ck_assert_uint_eq(res.config_index, expected_index);
    return res.params;
}

static void tell(struct strategy *r, size_t index, double value)
{
    struct config_outcome o = {index, value, 0, 1, 0, 0, 0};
    strategy_tell(r, &o);
}

/* ---- the Parzen estimator ------------------------------------------------ */

START_TEST(test_parzen_windowed_sums_match_the_naive_ones)
{
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 5, 6);
    enum { N = 3000 };
    static struct parzen_obs obs[N];
    /* Clustered points, as a search that has found its region leaves them. */
    for (int i = 0; i < N; i++) {
        double x = i % 3 ? 0.3 + 0.02 * hp_pcg32_normal(&rng) : hp_pcg32_double(&rng);
        obs[i] =
            (struct parzen_obs){fmin(fmax(x, 0), 1), 0.1 + hp_pcg32_double(&rng), 0, 0};
    }
    for (int i = 1; i < N; i++) {
        for (int j = i; j > 0 && obs[j - 1].mu > obs[j].mu; j--) {
            struct parzen_obs tmp = obs[j];
            obs[j] = obs[j - 1];
            obs[j - 1] = tmp;
        }
    }
    struct parzen p;
    parzen_init(&p);
    ck_assert_int_eq(parzen_fit(&p, 0, 1, obs, N, 1.0, 0), 0);
    for (int i = 0; i < 2000; i++) {
        double x = parzen_sample(&p, &rng);
        ck_assert(x >= 0 && x <= 1);
        ck_assert_double_eq_tol(parzen_log_density(&p, x),
                                parzen_log_density_naive(&p, x), 1e-9);
        double a = fmax(0, x - 0.001);
        ck_assert_double_eq_tol(parzen_log_mass(&p, a, x),
                                parzen_log_mass_naive(&p, a, x), 1e-9);
    }
    /* A second fit with the bandwidths kept reuses them and agrees. */
    struct parzen q;
    parzen_init(&q);
    ck_assert_int_eq(parzen_fit(&q, 0, 1, obs, N, 1.0, 0), 0);
    ck_assert_double_eq(parzen_log_density(&p, 0.31), parzen_log_density(&q, 0.31));
    /* The density integrates to 1 over the interval. */
    double sum = 0;
    for (int i = 0; i < 100000; i++)
        sum += exp(parzen_log_density(&p, (i + 0.5) / 100000)) / 100000;
    ck_assert_double_eq_tol(sum, 1.0, 1e-3);
    parzen_free(&p);
    parzen_free(&q);
}
END_TEST

START_TEST(test_parzen_bandwidths_follow_optuna)
{
    /* Observations 0.2 and 0.9 on [0, 1] with the prior at 0.5: the first uses
     * its inner gap (0.3), the last its inner gap (0.4), clipped to
     * [1/min(100, 4), 1]. */
    struct parzen_obs obs[2] = {{0.2, 1, 0, 0}, {0.9, 1, 0, 0}};
    struct parzen p;
    parzen_init(&p);
    ck_assert_int_eq(parzen_fit(&p, 0, 1, obs, 2, 1.0, 1), 0);
    ck_assert_double_eq_tol(obs[0].sigma, 0.3, 1e-12);
    ck_assert_double_eq_tol(obs[1].sigma, 0.4, 1e-12);
    ck_assert_double_eq_tol(p.floor, 0.25, 1e-12);
    double expected = parzen_normal_mass(-0.2 / 0.3, 0.8 / 0.3);
    ck_assert_double_eq_tol(obs[0].z, expected, 1e-15);
    parzen_free(&p);
}
END_TEST

START_TEST(test_parzen_matches_optuna_31_log_pdf)
{
    /* Thirty observations in trial order on [-1, 3] (the oldest five on the
     * weight ramp); the expected values are what Optuna 3.1.0's
     * _ParzenEstimator.log_pdf printed for the same observations (prior on,
     * magic clip on, endpoints off, default weights). */
    static const double xs[30] = {0.05, 0.2,  0.21, 0.51, 0.7,  0.72, 0.9,  0.33,
                                  0.41, 0.66, 0.12, 0.95, 0.8,  0.3,  0.31, 0.6,
                                  0.55, 0.44, 0.02, 0.99, 0.25, 0.26, 0.27, 0.28,
                                  0.29, 0.35, 0.36, 0.37, 0.38, 0.39};
    static const double at[5] = {-0.9, 0.1, 0.5, 1.3, 2.9};
    static const double expected[5] = {-2.821375215984, -2.052852207769, -2.099871180545,
                                       -2.596398548149, -2.469498574062};
    struct parzen_obs obs[30];
    for (int i = 0; i < 30; i++) {
        /* default_weights(30): a ramp from 1/30 to 1 over the oldest 5. */
        double w = i < 5 ? 1.0 / 30 + (1 - 1.0 / 30) * i / 4.0 : 1.0;
        obs[i] = (struct parzen_obs){xs[i] * 4 - 1, w, 0, 0};
    }
    for (int i = 1; i < 30; i++) {
        for (int j = i; j > 0 && obs[j - 1].mu > obs[j].mu; j--) {
            struct parzen_obs tmp = obs[j];
            obs[j] = obs[j - 1];
            obs[j - 1] = tmp;
        }
    }
    struct parzen p;
    parzen_init(&p);
    ck_assert_int_eq(parzen_fit(&p, -1, 3, obs, 30, 1.0, 1), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq_tol(parzen_log_density(&p, at[i]), expected[i], 1e-9);
    parzen_free(&p);
}
END_TEST

/* ---- better than random -------------------------------------------------- */

static double bowl(const json_t *config)
{
    double x = json_real_value(json_object_get(config, "x"));
    return (x - 0.731) * (x - 0.731);
}

/* The best of `n` configs of `r` on the bowl, told at once (lag 0). */
static double best_after(struct strategy *r, size_t n)
{
    double best = INFINITY;
    for (size_t i = 0; i < n; i++) {
        json_t *c = ask_config(r, i);
        double y = bowl(c);
        best = fmin(best, y);
        tell(r, i, y);
        json_decref(c);
    }
    return best;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(test_tpe_beats_random_on_a_bowl)
{
    struct search_space s = {0};
    add_range(&s, "x", PARAM_UNIFORM, 0, 1, 0, 0);
    enum { SEEDS = 30, CONFIGS = 30 };
    double tpe[SEEDS], rnd[SEEDS];
    for (int seed = 0; seed < SEEDS; seed++) {
        struct strategy *t =
            create_tpe(&s, CONFIGS, seed, json_pack("{s:i}", "lag", 0), 0);
        struct strategy *r = create(&random_strategy_ops, &s,
                                    json_pack("{s:s,s:i,s:i}", "type", "random", "trials",
                                              CONFIGS, "seed", seed + 1000),
                                    0);
        tpe[seed] = best_after(t, CONFIGS);
        rnd[seed] = best_after(r, CONFIGS);
        strategy_destroy(t);
        strategy_destroy(r);
    }
    qsort(tpe, SEEDS, sizeof tpe[0], compare_doubles);
    qsort(rnd, SEEDS, sizeof rnd[0], compare_doubles);
    double tpe_median = 0.5 * (tpe[SEEDS / 2 - 1] + tpe[SEEDS / 2]);
    double rnd_median = 0.5 * (rnd[SEEDS / 2 - 1] + rnd[SEEDS / 2]);
    ck_assert_msg(tpe_median < rnd_median / 4, "median best: tpe %g, random %g",
                  tpe_median, rnd_median);
    search_space_free(&s);
}
END_TEST

/* ---- every parameter kind ------------------------------------------------ */

static void kinds_space(struct search_space *s)
{
    add(s, (struct param_spec){.name = strdup("opt"),
                               .kind = PARAM_CONSTANT,
                               .value = json_string("adam")});
    add_range(s, "lr", PARAM_LOGUNIFORM, 1e-5, 1e-1, 1, 0);
    add_range(s, "wd", PARAM_UNIFORM, 1e-6, 1e-2, 1, 0);
    add_range(s, "units", PARAM_INT, 3, 17, 0, 0);
    add_range(s, "batch", PARAM_INT, 16, 512, 1, 0);
    add_range(s, "width", PARAM_INT, 8, 100, 0, 8);
    add_range(s, "drop", PARAM_UNIFORM, 0, 0.5, 0, 0.1);
    add_range(s, "decay", PARAM_LOGUNIFORM, 0.001, 1, 1, 0.001);
    add_range(s, "layers", PARAM_INT, 1, 100, 0, 0);
    s->params[s->count - 1].values = json_pack("[iii]", 1, 50, 100);
    add(s, (struct param_spec){.name = strdup("act"),
                               .kind = PARAM_CHOICE,
                               .values = json_pack("[ssfi]", "relu", "gelu", 0.5, 7)});
    add_range(s, "x", PARAM_UNIFORM, -2, 3, 0, 0);
}

/* Whether `v` is one of the parameter's grid values. */
static int on_grid(const struct param_spec *p, const json_t *v)
{
    size_t n = search_space_grid_count(p);
    for (size_t k = 0; k < n; k++) {
        json_t *g = search_space_grid_value(p, k);
        int same = json_equal(g, v);
        json_decref(g);
        if (same)
            return 1;
    }
    return 0;
}

static double kinds_objective(const json_t *c)
{
    double y = pow(log10(json_real_value(json_object_get(c, "lr"))) + 3, 2);
    y += fabs((double)json_integer_value(json_object_get(c, "units")) - 11);
    y += fabs(json_real_value(json_object_get(c, "drop")) - 0.2);
    y += json_is_string(json_object_get(c, "act")) ? 0 : 1;
    return y;
}

START_TEST(test_tpe_keeps_every_kind_in_bounds_and_on_its_grid)
{
    struct search_space s = {0};
    kinds_space(&s);
    struct strategy *t = create_tpe(&s, 120, 3, json_pack("{s:i}", "lag", 1), 0);
    for (size_t i = 0; i < 120; i++) {
        struct ask_result res;
        ck_assert_int_eq(strategy_ask(t, &res), 0);
        if (res.kind == ASK_WAIT) {
            /* Tell the oldest untold config. */
            tell(t, i - 2, -1);
            i--;
            continue;
        }
        json_t *c = res.params;
        ck_assert_uint_eq(res.config_index, i);
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach(c, key, v)
        {
            const struct param_spec *p = &s.params[k++];
            ck_assert_str_eq(key, p->name);
            if (p->kind == PARAM_CONSTANT) {
                ck_assert(json_equal(v, p->value));
            } else if (p->kind == PARAM_INT) {
                ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
            } else if (p->kind != PARAM_CHOICE) {
                ck_assert_msg(json_is_real(v), "%s is not a real", key);
            }
            if (p->kind != PARAM_CONSTANT && p->kind != PARAM_CHOICE) {
                double x = json_number_value(v);
                ck_assert_msg(x >= p->low && x <= p->high, "%s = %.17g", key, x);
            }
            if (p->step > 0 || p->values || p->kind == PARAM_CHOICE)
                ck_assert_msg(on_grid(p, v), "%s = %.17g is off the grid", key,
                              json_number_value(v));
        }
        ck_assert_uint_eq(k, s.count);
        /* Tell them two configs late, so that the model sees pending configs. */
        if (i >= 1)
            tell(t, i - 1, kinds_objective(c) + (i % 7 == 0 ? NAN : 0));
        json_decref(c);
    }
    strategy_destroy(t);
    search_space_free(&s);
}
END_TEST

START_TEST(test_tpe_startup_configs_are_the_random_strategys)
{
    struct search_space s = {0};
    kinds_space(&s);
    struct strategy *t = create_tpe(&s, 50, 11, json_pack("{s:i}", "startup", 7), 1);
    struct strategy *r =
        create(&random_strategy_ops, &s,
               json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 50, "seed", 11), 1);
    for (size_t i = 0; i < 7; i++) {
        json_t *x = ask_config(t, i);
        json_t *y = ask_config(r, i);
        char *a = json_dumps(x, 0);
        char *b = json_dumps(y, 0);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
        json_decref(x);
        json_decref(y);
    }
    /* Not told yet: config 7 waits for configs 0 .. 4 (lag 2). */
    struct ask_result res;
    ck_assert_int_eq(strategy_ask(t, &res), 0);
    ck_assert_int_eq(res.kind, ASK_WAIT);
    strategy_destroy(t);
    strategy_destroy(r);
    search_space_free(&s);
}
END_TEST

/* ---- determinism --------------------------------------------------------- */

enum { ORDER_CONFIGS = 60 };

/* Runs tpe (lag 3) with results told in an order drawn from `order_seed`,
 * asking whenever a worker is free (at most 4 running); writes each config's
 * JSON text into out[]. */
static void run_in_order(const struct search_space *s, uint64_t order_seed,
                         char *out[ORDER_CONFIGS])
{
    struct strategy *t = create_tpe(s, ORDER_CONFIGS, 9, json_pack("{s:i}", "lag", 3), 1);
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, order_seed, 1);
    size_t running[ORDER_CONFIGS];
    double values[ORDER_CONFIGS];
    size_t nrun = 0, asked = 0;
    while (asked < ORDER_CONFIGS || nrun > 0) {
        int want_ask =
            asked < ORDER_CONFIGS && (nrun < 4) && hp_pcg32_bounded(&rng, 3) != 0;
        if (want_ask) {
            struct ask_result res;
            ck_assert_int_eq(strategy_ask(t, &res), 0);
            if (res.kind == ASK_CONFIG) {
                ck_assert_uint_eq(res.config_index, asked);
                out[asked] = json_dumps(res.params, JSON_REAL_PRECISION(17));
                values[asked] = kinds_objective(res.params);
                running[nrun++] = asked++;
                json_decref(res.params);
                continue;
            }
            ck_assert_int_eq(res.kind, ASK_WAIT);
        }
        if (nrun == 0)
            continue;
        size_t pick = hp_pcg32_bounded(&rng, (uint32_t)nrun);
        size_t k = running[pick];
        running[pick] = running[--nrun];
        tell(t, k, values[k]);
    }
    strategy_destroy(t);
}

START_TEST(test_tpe_same_outcomes_in_any_order_give_the_same_configs)
{
    struct search_space s = {0};
    kinds_space(&s);
    char *first[ORDER_CONFIGS];
    run_in_order(&s, 1, first);
    for (uint64_t order = 2; order < 6; order++) {
        char *again[ORDER_CONFIGS];
        run_in_order(&s, order, again);
        for (size_t i = 0; i < ORDER_CONFIGS; i++) {
            ck_assert_msg(strcmp(first[i], again[i]) == 0, "config %zu: %s vs %s", i,
                          first[i], again[i]);
            free(again[i]);
        }
    }
    for (size_t i = 0; i < ORDER_CONFIGS; i++)
        free(first[i]);
    search_space_free(&s);
}
END_TEST

START_TEST(test_tpe_waits_for_configs_older_than_the_lag)
{
    struct search_space s = {0};
    add_range(&s, "x", PARAM_UNIFORM, 0, 1, 0, 0);
    struct strategy *t =
        create_tpe(&s, 10, 1, json_pack("{s:i,s:i}", "startup", 3, "lag", 2), 0);
    for (size_t i = 0; i < 3; i++)
        json_decref(ask_config(t, i));
    struct ask_result res;
    /* Config 3 needs config 0; later results do not help. */
    tell(t, 2, 0.5);
    tell(t, 1, 0.5);
    ck_assert_int_eq(strategy_ask(t, &res), 0);
    ck_assert_int_eq(res.kind, ASK_WAIT);
    ck_assert_uint_eq(res.config_index, 3);
    ck_assert_ptr_null(res.params);
    tell(t, 0, 0.1);
    json_decref(ask_config(t, 3));
    /* Config 4 needs 0 .. 1, told; config 5 needs 2, told; config 6 needs 3. */
    json_decref(ask_config(t, 4));
    json_decref(ask_config(t, 5));
    ck_assert_int_eq(strategy_ask(t, &res), 0);
    ck_assert_int_eq(res.kind, ASK_WAIT);
    tell(t, 3, 0.2);
    json_decref(ask_config(t, 6));
    strategy_destroy(t);
    search_space_free(&s);
}
END_TEST

START_TEST(test_tpe_ignores_outcomes_beyond_the_lag)
{
    /* Config 5 (lag 2) uses configs 0 .. 2 only: telling 3 and 4 first, with
     * any values, changes nothing. */
    struct search_space s = {0};
    add_range(&s, "x", PARAM_UNIFORM, 0, 1, 0, 0);
    char *text[2];
    for (int run = 0; run < 2; run++) {
        struct strategy *t =
            create_tpe(&s, 10, 4, json_pack("{s:i,s:i}", "startup", 5, "lag", 2), 0);
        for (size_t i = 0; i < 5; i++)
            json_decref(ask_config(t, i));
        for (size_t i = 0; i < 3; i++)
            tell(t, i, (double)i);
        if (run == 1) {
            tell(t, 3, -100);
            tell(t, 4, 100);
        }
        json_t *c = ask_config(t, 5);
        text[run] = json_dumps(c, JSON_REAL_PRECISION(17));
        json_decref(c);
        strategy_destroy(t);
    }
    ck_assert_str_eq(text[0], text[1]);
    free(text[0]);
    free(text[1]);
    search_space_free(&s);
}
END_TEST

/* ---- pruned and failed configs ------------------------------------------- */

START_TEST(test_tpe_prefers_configs_pruned_at_a_higher_rung)
{
    /* Left of 0.5 every config is pruned at rung 1 with a fine value; right
     * of it pruned at rung 9 with a worse one; every tenth config fails. The
     * right half must draw the model's configs. */
    struct search_space s = {0};
    add_range(&s, "x", PARAM_UNIFORM, 0, 1, 0, 0);
    int right = 0, modelled = 0;
    for (int seed = 0; seed < 5; seed++) {
        struct strategy *t = create_tpe(&s, 60, seed, json_pack("{s:i}", "lag", 0), 1);
        for (size_t i = 0; i < 60; i++) {
            json_t *c = ask_config(t, i);
            double x = json_real_value(json_object_get(c, "x"));
            struct config_outcome o = {i, x < 0.5 ? 0.9 : 0.1, 0, 1, 0,
                                       1, x < 0.5 ? 1 : 9};
            if (i % 10 == 3)
                o = (struct config_outcome){i, NAN, 0, 0, 1, 0, 0};
            strategy_tell(t, &o);
            if (i >= 10) {
                modelled++;
                right += x >= 0.5;
            }
            json_decref(c);
        }
        strategy_destroy(t);
    }
    ck_assert_msg(right > modelled * 8 / 10, "%d of %d on the right", right, modelled);
    search_space_free(&s);
}
END_TEST

START_TEST(test_tpe_ranks_completed_before_pruned_and_follows_the_mode)
{
    /* Completed configs on the left beat pruned ones on the right with a
     * great value; the best completed ones lie near 0 in either mode. */
    struct search_space s = {0};
    add_range(&s, "x", PARAM_UNIFORM, 0, 1, 0, 0);
    for (int maximize = 0; maximize < 2; maximize++) {
        int left = 0, modelled = 0;
        for (int seed = 0; seed < 5; seed++) {
            struct strategy *t =
                create_tpe(&s, 50, seed, json_pack("{s:i}", "lag", 0), maximize);
            for (size_t i = 0; i < 50; i++) {
                json_t *c = ask_config(t, i);
                double x = json_real_value(json_object_get(c, "x"));
                struct config_outcome o = {i, maximize ? -x : x, 0, 1, 0, 0, 0};
                if (x >= 0.5)
                    o = (struct config_outcome){i, maximize ? 100 : -100, 0, 1, 0, 1, 3};
                strategy_tell(t, &o);
                if (i >= 10) {
                    modelled++;
                    left += x < 0.25;
                }
                json_decref(c);
            }
            strategy_destroy(t);
        }
        ck_assert_msg(left > modelled * 6 / 10, "maximize %d: %d of %d", maximize, left,
                      modelled);
    }
    search_space_free(&s);
}
END_TEST

/* ---- options ------------------------------------------------------------- */

static void assert_create_fails(json_t *options, const char *path, const char *message)
{
    struct search_space s = {0};
    struct strategy *r = NULL;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(
        tpe_strategy_ops.create(&s, options, &(struct strategy_context){1}, &r, &err),
        -1);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.path, path);
    ck_assert_str_eq(err.message, message);
    json_decref(options);
}

START_TEST(test_tpe_rejects_bad_options)
{
    /* The "strategy" object (without "type"), the error's path and message. */
    static const char *const cases[][3] = {
        {"{}", "strategy", "missing required key \"trials\""},
        {"{\"trials\": 0}", "strategy.trials", "must be an integer >= 1 (got 0)"},
        {"{\"trials\": 3, \"seed\": -1}", "strategy.seed",
         "must be a non-negative integer (got -1)"},
        {"{\"trials\": 3, \"startup\": 2.0}", "strategy.startup",
         "must be an integer >= 0 (got 2.0)"},
        {"{\"trials\": 3, \"candidates\": 0}", "strategy.candidates",
         "must be an integer >= 1 (got 0)"},
        {"{\"trials\": 3, \"candidates\": 1000000}", "strategy.candidates",
         "must be at most 100000 (got 1000000)"},
        {"{\"trials\": 3, \"gamma\": 0.0}", "strategy.gamma",
         "must be a number > 0 and <= 1 (got 0.0)"},
        {"{\"trials\": 3, \"gamma\": 1.5}", "strategy.gamma",
         "must be a number > 0 and <= 1 (got 1.5)"},
        {"{\"trials\": 3, \"gamma_max\": 0}", "strategy.gamma_max",
         "must be an integer >= 1 (got 0)"},
        {"{\"trials\": 3, \"prior_weight\": \"1\"}", "strategy.prior_weight",
         "must be a number > 0 (got \"1\")"},
        {"{\"trials\": 3, \"prior_weight\": -1.0}", "strategy.prior_weight",
         "must be a number > 0 (got -1.0)"},
        {"{\"trials\": 3, \"equal_heights\": 1}", "strategy.equal_heights",
         "must be true or false (got 1)"},
        {"{\"trials\": 3, \"lag\": -1}", "strategy.lag",
         "must be an integer >= 0 (got -1)"},
        {"{\"trials\": 3, \"lag\": 5000}", "strategy.lag",
         "must be at most 1000 (got 5000)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *options = json_loads(cases[i][0], 0, NULL);
        ck_assert_ptr_nonnull(options);
        json_object_set_new(options, "type", json_string("tpe"));
        assert_create_fails(options, cases[i][1], cases[i][2]);
    }
}
END_TEST

START_TEST(test_tpe_is_registered_with_its_keys)
{
    const struct strategy_ops *ops = strategy_find("tpe");
    ck_assert_ptr_eq(ops, &tpe_strategy_ops);
    static const char *const keys[] = {"trials",       "seed",  "startup",
                                       "candidates",   "gamma", "gamma_max",
                                       "prior_weight", "lag",   "equal_heights"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_str_eq(ops->option_keys[i], keys[i]);
    ck_assert_ptr_null(ops->option_keys[sizeof keys / sizeof keys[0]]);
    struct search_space s = {0};
    struct strategy *t = create_tpe(&s, 3, 0, NULL, 0);
    ck_assert_uint_eq(strategy_planned(t), 3);
    for (size_t i = 0; i < 3; i++)
        json_decref(ask_config(t, i));
    struct ask_result res;
    ck_assert_int_eq(strategy_ask(t, &res), 0);
    ck_assert_int_eq(res.kind, ASK_DONE);
    strategy_destroy(t);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("tpe");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_parzen_windowed_sums_match_the_naive_ones);
    tcase_add_test(tc, test_parzen_bandwidths_follow_optuna);
    tcase_add_test(tc, test_parzen_matches_optuna_31_log_pdf);
    tcase_add_test(tc, test_tpe_beats_random_on_a_bowl);
    tcase_add_test(tc, test_tpe_keeps_every_kind_in_bounds_and_on_its_grid);
    tcase_add_test(tc, test_tpe_startup_configs_are_the_random_strategys);
    tcase_add_test(tc, test_tpe_same_outcomes_in_any_order_give_the_same_configs);
    tcase_add_test(tc, test_tpe_waits_for_configs_older_than_the_lag);
    tcase_add_test(tc, test_tpe_ignores_outcomes_beyond_the_lag);
    tcase_add_test(tc, test_tpe_prefers_configs_pruned_at_a_higher_rung);
    tcase_add_test(tc, test_tpe_ranks_completed_before_pruned_and_follows_the_mode);
    tcase_add_test(tc, test_tpe_rejects_bad_options);
    tcase_add_test(tc, test_tpe_is_registered_with_its_keys);
    suite_add_tcase(suite, tc);
    return hp_check_run(suite);
}
