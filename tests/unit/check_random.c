/*
 * The random strategy and search_space_sample: bounds and scales of every
 * parameter kind over many draws, determinism per seed, configs independent of
 * one another, and the trials count.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "strategy.h"

enum { DRAWS = 20000 };

/* ---- building spaces by hand ------------------------------------------- */

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

static struct strategy *create_random(const struct search_space *s, json_t *options)
{
    struct strategy *r = NULL;
    struct hp_error err;
    hp_error_init(&err);
    int rc = random_strategy_ops.create(s, options, &(struct strategy_context){1}, &r, &err);
    json_decref(options);
    ck_assert_msg(rc == 0, "create failed: %s: %s", err.path, err.message);
    return r;
}

/* Creation must fail with exactly this path and message. */
static void assert_create_fails(json_t *options, const char *path, const char *message)
{
    struct search_space s = {0};
    struct strategy *r = NULL;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(random_strategy_ops.create(&s, options, &(struct strategy_context){1}, &r, &err), -1);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(err.path, path);
    ck_assert_str_eq(err.message, message);
    json_decref(options);
}

static json_t *ask_config(struct strategy *r, size_t expected_index)
{
    struct ask_result res;
    ck_assert_int_eq(strategy_ask(r, &res), 0);
    ck_assert_int_eq(res.kind, ASK_CONFIG);
    ck_assert_uint_eq(res.config_index, expected_index);
    ck_assert_ptr_null(res.resume_from);
    return res.params;
}

/* Draws DRAWS values of the space's only parameter into out[]. */
static void draw_many(const struct search_space *s, double *out, int want_integer)
{
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 12345, 6789);
    for (int i = 0; i < DRAWS; i++) {
        json_t *c = search_space_sample(s, &rng);
        json_t *v = json_object_get(c, s->params[0].name);
        ck_assert(want_integer ? json_is_integer(v) : json_is_real(v));
        out[i] = json_number_value(v);
        json_decref(c);
    }
}

/* ---- sampling ----------------------------------------------------------- */

START_TEST(test_sample_uniform_stays_in_bounds_and_spreads)
{
    struct search_space s = {0};
    add_range(&s, "d", PARAM_UNIFORM, 0.1, 0.5, 0, 0);
    static double x[DRAWS];
    draw_many(&s, x, 0);
    int below_mid = 0;
    double lo = 1, hi = 0;
    for (int i = 0; i < DRAWS; i++) {
        ck_assert(x[i] >= 0.1 && x[i] <= 0.5);
        below_mid += x[i] < 0.3;
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
    }
    ck_assert_double_eq_tol((double)below_mid / DRAWS, 0.5, 0.02);
    ck_assert(lo < 0.101 && hi > 0.499);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_loguniform_puts_a_third_below_each_decade)
{
    struct search_space s = {0};
    add_range(&s, "lr", PARAM_LOGUNIFORM, 1e-4, 1e-1, 1, 0);
    static double x[DRAWS];
    draw_many(&s, x, 0);
    int decade[3] = {0};
    for (int i = 0; i < DRAWS; i++) {
        ck_assert(x[i] >= 1e-4 && x[i] <= 1e-1);
        decade[x[i] < 1e-3 ? 0 : x[i] < 1e-2 ? 1 : 2]++;
    }
    for (int d = 0; d < 3; d++)
        ck_assert_double_eq_tol((double)decade[d] / DRAWS, 1.0 / 3, 0.02);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_uniform_with_log_is_log_scaled)
{
    struct search_space s = {0};
    add_range(&s, "wd", PARAM_UNIFORM, 1e-6, 1e-2, 1, 0);
    static double x[DRAWS];
    draw_many(&s, x, 0);
    int below = 0;
    for (int i = 0; i < DRAWS; i++) {
        ck_assert(x[i] >= 1e-6 && x[i] <= 1e-2);
        below += x[i] < 1e-4;
    }
    ck_assert_double_eq_tol((double)below / DRAWS, 0.5, 0.02);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_int_is_inclusive_of_both_ends)
{
    struct search_space s = {0};
    add_range(&s, "n", PARAM_INT, 3, 7, 0, 0);
    static double x[DRAWS];
    draw_many(&s, x, 1);
    int seen[5] = {0};
    for (int i = 0; i < DRAWS; i++) {
        ck_assert(x[i] >= 3 && x[i] <= 7 && x[i] == floor(x[i]));
        seen[(int)x[i] - 3]++;
    }
    for (int k = 0; k < 5; k++)
        ck_assert_double_eq_tol((double)seen[k] / DRAWS, 0.2, 0.02);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_int_with_log_is_log_scaled_and_inclusive)
{
    struct search_space s = {0};
    add_range(&s, "batch", PARAM_INT, 16, 256, 1, 0);
    static double x[DRAWS];
    draw_many(&s, x, 1);
    int below_64 = 0, at_low = 0, at_high = 0;
    for (int i = 0; i < DRAWS; i++) {
        ck_assert(x[i] >= 16 && x[i] <= 256 && x[i] == floor(x[i]));
        below_64 += x[i] < 64;
        at_low += x[i] == 16;
        at_high += x[i] == 256;
    }
    /* P(x < 64) = ln(64/16) / ln(257/16). */
    ck_assert_double_eq_tol((double)below_64 / DRAWS, log(4.0) / log(257.0 / 16), 0.02);
    ck_assert_int_gt(at_low, 0);
    ck_assert_int_gt(at_high, 0);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_int_covers_ranges_beyond_32_bits)
{
    struct search_space s = {0};
    add_range(&s, "n", PARAM_INT, 0, 1e12, 0, 0);
    static double x[DRAWS];
    draw_many(&s, x, 1);
    int above_32_bits = 0;
    for (int i = 0; i < DRAWS; i++) {
        ck_assert(x[i] >= 0 && x[i] <= 1e12);
        above_32_bits += x[i] > 4294967296.0;
    }
    ck_assert_int_gt(above_32_bits, DRAWS * 9 / 10);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_step_ranges_land_on_the_grid)
{
    struct search_space s = {0};
    add_range(&s, "d", PARAM_UNIFORM, 0, 0.5, 0, 0.1);
    static double x[DRAWS];
    draw_many(&s, x, 0);
    static const double grid[] = {0, 0.1, 0.2, 0.3, 0.4, 0.5};
    int seen[6] = {0};
    for (int i = 0; i < DRAWS; i++) {
        int hit = -1;
        for (int k = 0; k < 6; k++) {
            if (x[i] == grid[k])
                hit = k;
        }
        ck_assert_msg(hit >= 0, "%.17g is not on the grid", x[i]);
        seen[hit]++;
    }
    /* The ends are as likely as the middle. */
    for (int k = 0; k < 6; k++)
        ck_assert_double_eq_tol((double)seen[k] / DRAWS, 1.0 / 6, 0.02);
    search_space_free(&s);

    add_range(&s, "b", PARAM_INT, 16, 256, 1, 16);
    draw_many(&s, x, 1);
    for (int i = 0; i < DRAWS; i++)
        ck_assert(x[i] >= 16 && x[i] <= 256 && fmod(x[i], 16) == 0);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_choice_and_values_cover_every_value)
{
    struct search_space s = {0};
    add(&s, (struct param_spec){.name = strdup("h"),
                                .kind = PARAM_CHOICE,
                                .values = json_pack("[sifb]", "128", 7, 0.5, 1)});
    add_range(&s, "n", PARAM_INT, 1, 100, 0, 0);
    s.params[1].values = json_pack("[iii]", 1, 50, 100);
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 1, 1);
    int seen_choice[4] = {0}, seen_values[3] = {0};
    for (int i = 0; i < 4000; i++) {
        json_t *c = search_space_sample(&s, &rng);
        json_t *h = json_object_get(c, "h");
        size_t k;
        json_t *v;
        json_array_foreach(s.params[0].values, k, v)
        {
            if (json_equal(h, v))
                seen_choice[k]++;
        }
        json_t *n = json_object_get(c, "n");
        ck_assert(json_is_integer(n));
        json_int_t nv = json_integer_value(n);
        ck_assert(nv == 1 || nv == 50 || nv == 100);
        seen_values[nv == 1 ? 0 : nv == 50 ? 1 : 2]++;
        json_decref(c);
    }
    for (int k = 0; k < 4; k++)
        ck_assert_int_gt(seen_choice[k], 850);
    for (int k = 0; k < 3; k++)
        ck_assert_int_gt(seen_values[k], 1150);
    search_space_free(&s);
}
END_TEST

START_TEST(test_sample_keeps_constants_and_declaration_order)
{
    struct search_space s = {0};
    add(&s, (struct param_spec){.name = strdup("z"),
                                .kind = PARAM_CONSTANT,
                                .value = json_string("adam")});
    add_range(&s, "a", PARAM_UNIFORM, 0, 1, 0, 0);
    add(&s, (struct param_spec){
                .name = strdup("m"), .kind = PARAM_CONSTANT, .value = json_integer(3)});
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 2, 2);
    json_t *c = search_space_sample(&s, &rng);
    ck_assert_str_eq(json_string_value(json_object_get(c, "z")), "adam");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "m")), 3);
    static const char *const order[] = {"z", "a", "m"};
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(c, key, v)
    {
        ck_assert_str_eq(key, order[i++]);
    }
    ck_assert_uint_eq(i, 3);
    json_decref(c);
    search_space_free(&s);
}
END_TEST

/* ---- the strategy ------------------------------------------------------- */

static void example_space(struct search_space *s)
{
    add_range(s, "lr", PARAM_LOGUNIFORM, 1e-4, 1e-1, 1, 0);
    add_range(s, "batch", PARAM_INT, 16, 256, 1, 0);
    add_range(s, "dropout", PARAM_UNIFORM, 0, 0.5, 0, 0);
}

START_TEST(test_random_asks_trials_configs_then_done)
{
    struct search_space s = {0};
    example_space(&s);
    struct strategy *r =
        create_random(&s, json_pack("{s:s,s:i}", "type", "random", "trials", 5));
    ck_assert_uint_eq(strategy_planned(r), 5);
    for (size_t i = 0; i < 5; i++)
        json_decref(ask_config(r, i));
    struct ask_result res;
    ck_assert_int_eq(strategy_ask(r, &res), 0);
    ck_assert_int_eq(res.kind, ASK_DONE);
    ck_assert_ptr_null(res.params);
    ck_assert_int_eq(strategy_ask(r, &res), 0);
    ck_assert_int_eq(res.kind, ASK_DONE);
    strategy_destroy(r);
    search_space_free(&s);
}
END_TEST

START_TEST(test_random_same_seed_same_sequence_other_seed_other)
{
    struct search_space s = {0};
    example_space(&s);
    struct strategy *a = create_random(
        &s, json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 50, "seed", 7));
    struct strategy *b = create_random(
        &s, json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 50, "seed", 7));
    struct strategy *c = create_random(
        &s, json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 50, "seed", 8));
    int same_as_other_seed = 0;
    for (size_t i = 0; i < 50; i++) {
        json_t *x = ask_config(a, i);
        json_t *y = ask_config(b, i);
        json_t *z = ask_config(c, i);
        ck_assert(json_equal(x, y));
        same_as_other_seed += json_equal(x, z);
        json_decref(x);
        json_decref(y);
        json_decref(z);
    }
    ck_assert_int_eq(same_as_other_seed, 0);
    strategy_destroy(a);
    strategy_destroy(b);
    strategy_destroy(c);
    search_space_free(&s);
}
END_TEST

START_TEST(test_random_default_seed_is_zero)
{
    struct search_space s = {0};
    example_space(&s);
    struct strategy *a =
        create_random(&s, json_pack("{s:s,s:i}", "type", "random", "trials", 3));
    struct strategy *b = create_random(
        &s, json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 3, "seed", 0));
    for (size_t i = 0; i < 3; i++) {
        json_t *x = ask_config(a, i);
        json_t *y = ask_config(b, i);
        ck_assert(json_equal(x, y));
        json_decref(x);
        json_decref(y);
    }
    strategy_destroy(a);
    strategy_destroy(b);
    search_space_free(&s);
}
END_TEST

START_TEST(test_random_config_i_does_not_depend_on_earlier_configs)
{
    /* Config 7 is the same whether asked after configs 0..6 of this space, of
     * a space whose extra parameter draws more numbers, or drawn directly. */
    struct search_space small = {0}, big = {0};
    example_space(&small);
    example_space(&big);
    add_range(&big, "extra", PARAM_INT, 0, 1000000, 0, 0);
    struct strategy *a = create_random(
        &small, json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 8, "seed", 3));
    struct strategy *b = create_random(
        &big, json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 8, "seed", 3));
    json_t *x = NULL, *y = NULL;
    for (size_t i = 0; i < 8; i++) {
        json_decref(x);
        json_decref(y);
        x = ask_config(a, i);
        y = ask_config(b, i);
    }
    ck_assert_int_eq(json_object_del(y, "extra"), 0);
    ck_assert(json_equal(x, y));
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, 3, 7);
    json_t *direct = search_space_sample(&small, &rng);
    ck_assert(json_equal(x, direct));
    json_decref(direct);
    json_decref(x);
    json_decref(y);
    strategy_destroy(a);
    strategy_destroy(b);
    search_space_free(&small);
    search_space_free(&big);
}
END_TEST

START_TEST(test_random_rejects_bad_options)
{
    assert_create_fails(json_pack("{s:s}", "type", "random"), "strategy",
                        "missing required key \"trials\"");
    assert_create_fails(json_pack("{s:s,s:i}", "type", "random", "trials", 0),
                        "strategy.trials", "must be an integer >= 1 (got 0)");
    assert_create_fails(json_pack("{s:s,s:f}", "type", "random", "trials", 10.0),
                        "strategy.trials", "must be an integer >= 1 (got 10.0)");
    assert_create_fails(json_pack("{s:s,s:s}", "type", "random", "trials", "10"),
                        "strategy.trials", "must be an integer >= 1 (got \"10\")");
    assert_create_fails(
        json_pack("{s:s,s:I}", "type", "random", "trials", (json_int_t)2000000000),
        "strategy.trials", "must be at most 1000000000 (got 2000000000)");
    assert_create_fails(
        json_pack("{s:s,s:i,s:i}", "type", "random", "trials", 3, "seed", -1),
        "strategy.seed", "must be a non-negative integer (got -1)");
    assert_create_fails(json_pack("{s:s,s:i,s:n}", "type", "random", "trials", 3, "seed"),
                        "strategy.seed", "must be a non-negative integer (got null)");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("random");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_sample_uniform_stays_in_bounds_and_spreads);
    tcase_add_test(tc, test_sample_loguniform_puts_a_third_below_each_decade);
    tcase_add_test(tc, test_sample_uniform_with_log_is_log_scaled);
    tcase_add_test(tc, test_sample_int_is_inclusive_of_both_ends);
    tcase_add_test(tc, test_sample_int_with_log_is_log_scaled_and_inclusive);
    tcase_add_test(tc, test_sample_int_covers_ranges_beyond_32_bits);
    tcase_add_test(tc, test_sample_step_ranges_land_on_the_grid);
    tcase_add_test(tc, test_sample_choice_and_values_cover_every_value);
    tcase_add_test(tc, test_sample_keeps_constants_and_declaration_order);
    tcase_add_test(tc, test_random_asks_trials_configs_then_done);
    tcase_add_test(tc, test_random_same_seed_same_sequence_other_seed_other);
    tcase_add_test(tc, test_random_default_seed_is_zero);
    tcase_add_test(tc, test_random_config_i_does_not_depend_on_earlier_configs);
    tcase_add_test(tc, test_random_rejects_bad_options);
    suite_add_tcase(suite, tc);
    return hp_check_run(suite);
}
