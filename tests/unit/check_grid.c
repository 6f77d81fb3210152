/*
 * The grid strategy and the registry: the count and order of a grid, step and
 * explicit-value ranges, the end of the search, and the registry's wrappers.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "strategy.h"

/* ---- building spaces by hand ------------------------------------------- */

static void add(struct search_space *s, struct param_spec p)
{
    s->params = realloc(s->params, (s->count + 1) * sizeof *s->params);
    ck_assert_ptr_nonnull(s->params);
    s->params[s->count++] = p;
}

static void add_constant(struct search_space *s, const char *name, json_t *value)
{
    add(s, (struct param_spec){
               .name = strdup(name), .kind = PARAM_CONSTANT, .value = value});
}

static void add_choice(struct search_space *s, const char *name, json_t *values)
{
    add(s, (struct param_spec){
               .name = strdup(name), .kind = PARAM_CHOICE, .values = values});
}

static void add_range(struct search_space *s, const char *name, enum param_kind kind,
                      double low, double high, double step, json_t *values)
{
    add(s, (struct param_spec){.name = strdup(name),
                               .kind = kind,
                               .low = low,
                               .high = high,
                               .step = step,
                               .log = kind == PARAM_LOGUNIFORM,
                               .values = values});
}

static struct strategy *create_grid(const struct search_space *s)
{
    struct strategy *g = NULL;
    struct hp_error err;
    hp_error_init(&err);
    json_t *options = json_pack("{s:s}", "type", "grid");
    int rc = grid_strategy_ops.create(s, options, &(struct strategy_context){1}, &g, &err);
    json_decref(options);
    ck_assert_msg(rc == 0, "create failed: %s: %s", err.path, err.message);
    return g;
}

/* Asks the next config, which must exist, and returns it (caller decrefs). */
static json_t *ask_config(struct strategy *g, size_t expected_index)
{
    struct ask_result r;
    ck_assert_int_eq(strategy_ask(g, &r), 0);
    ck_assert_int_eq(r.kind, ASK_CONFIG);
    ck_assert_uint_eq(r.config_index, expected_index);
    ck_assert_ptr_null(r.resume_from);
    ck_assert_int_eq(r.budget, 0);
    ck_assert(json_is_object(r.params));
    return r.params;
}

static void assert_done(struct strategy *g)
{
    struct ask_result r;
    ck_assert_int_eq(strategy_ask(g, &r), 0);
    ck_assert_int_eq(r.kind, ASK_DONE);
    ck_assert_ptr_null(r.params);
}

/* The grid's values of a one-parameter space as doubles, checked for count. */
static void assert_grid_doubles(struct search_space *s, const double *expected, size_t n)
{
    json_t *values = search_space_grid_values(&s->params[0]);
    ck_assert_ptr_nonnull(values);
    ck_assert_uint_eq(json_array_size(values), n);
    ck_assert_uint_eq(search_space_grid_count(&s->params[0]), n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(values, i);
        ck_assert_msg(json_number_value(v) == expected[i], "value %zu: %.17g != %.17g", i,
                      json_number_value(v), expected[i]);
    }
    json_decref(values);
}

/* ---- the grid ----------------------------------------------------------- */

START_TEST(test_grid_walks_the_product_in_itertools_order)
{
    struct search_space s = {0};
    add_choice(&s, "opt", json_pack("[ss]", "sgd", "adam"));
    add_range(&s, "batch", PARAM_INT, 16, 64, 0, json_pack("[iii]", 16, 32, 64));
    add_constant(&s, "epochs", json_integer(3));
    add_choice(&s, "nesterov", json_pack("[bb]", 1, 0));
    struct strategy *g = create_grid(&s);
    ck_assert_uint_eq(strategy_planned(g), 12);
    static const char *const opts[] = {"sgd", "adam"};
    static const int batches[] = {16, 32, 64};
    size_t index = 0;
    for (int o = 0; o < 2; o++) {
        for (int b = 0; b < 3; b++) {
            for (int n = 0; n < 2; n++) {
                json_t *c = ask_config(g, index++);
                json_t *want = json_pack("{s:s,s:i,s:i,s:b}", "opt", opts[o], "batch",
                                         batches[b], "epochs", 3, "nesterov", n == 0);
                ck_assert_msg(json_equal(c, want), "config %zu differs", index - 1);
                /* Keys come in declaration order. */
                void *it = json_object_iter(c);
                ck_assert_str_eq(json_object_iter_key(it), "opt");
                it = json_object_iter_next(c, it);
                ck_assert_str_eq(json_object_iter_key(it), "batch");
                it = json_object_iter_next(c, it);
                ck_assert_str_eq(json_object_iter_key(it), "epochs");
                json_decref(want);
                json_decref(c);
            }
        }
    }
    assert_done(g);
    assert_done(g);
    strategy_destroy(g);
    search_space_free(&s);
}
END_TEST

START_TEST(test_grid_of_an_empty_space_is_one_empty_config)
{
    struct search_space s = {0};
    struct strategy *g = create_grid(&s);
    ck_assert_uint_eq(strategy_planned(g), 1);
    json_t *c = ask_config(g, 0);
    ck_assert_uint_eq(json_object_size(c), 0);
    json_decref(c);
    assert_done(g);
    strategy_destroy(g);
}
END_TEST

START_TEST(test_grid_int_step_includes_high_only_on_the_step)
{
    struct search_space s = {0};
    add_range(&s, "b", PARAM_INT, 16, 64, 16, NULL);
    static const double on_step[] = {16, 32, 48, 64};
    assert_grid_doubles(&s, on_step, 4);
    s.params[0].high = 60;
    static const double off_step[] = {16, 32, 48};
    assert_grid_doubles(&s, off_step, 3);
    s.params[0].step = 100;
    static const double one[] = {16};
    assert_grid_doubles(&s, one, 1);
    json_t *v = search_space_grid_value(&s.params[0], 0);
    ck_assert(json_is_integer(v));
    json_decref(v);
    search_space_free(&s);
}
END_TEST

START_TEST(test_grid_float_step_is_robust_to_rounding)
{
    struct search_space s = {0};
    add_range(&s, "d", PARAM_UNIFORM, 0, 0.5, 0.1, NULL);
    static const double tenths[] = {0, 0.1, 0.2, 0.3, 0.4, 0.5};
    assert_grid_doubles(&s, tenths, 6);
    /* 0.7 - 0.1 is 0.59999999999999998, three steps of 0.2 is 0.6000000000000001. */
    s.params[0].low = 0.1;
    s.params[0].high = 0.7;
    s.params[0].step = 0.2;
    static const double odd[] = {0.1, 0.3, 0.5, 0.7};
    assert_grid_doubles(&s, odd, 4);
    s.params[0].low = 0;
    s.params[0].high = 1;
    s.params[0].step = 0.1;
    static const double eleven[] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};
    assert_grid_doubles(&s, eleven, 11);
    s.params[0].low = 1e-4;
    s.params[0].high = 5e-4;
    s.params[0].step = 1e-4;
    static const double small[] = {1e-4, 2e-4, 3e-4, 4e-4, 5e-4};
    assert_grid_doubles(&s, small, 5);
    s.params[0].low = 0;
    s.params[0].high = 0.95;
    s.params[0].step = 0.1;
    ck_assert_uint_eq(search_space_grid_count(&s.params[0]), 10);
    json_t *v = search_space_grid_value(&s.params[0], 9);
    ck_assert(json_is_real(v));
    ck_assert(json_real_value(v) == 0.9);
    json_decref(v);
    ck_assert_ptr_null(search_space_grid_value(&s.params[0], 10));
    search_space_free(&s);
}
END_TEST

START_TEST(test_grid_takes_explicit_values_in_the_kind_type)
{
    struct search_space s = {0};
    add_range(&s, "d", PARAM_UNIFORM, 0, 1, 0, json_pack("[if]", 0, 0.5));
    add_range(&s, "lr", PARAM_LOGUNIFORM, 1e-4, 1e-1, 0, json_pack("[ff]", 1e-3, 1e-2));
    add_range(&s, "n", PARAM_INT, 1, 9, 0, json_pack("[ii]", 9, 1));
    struct strategy *g = create_grid(&s);
    ck_assert_uint_eq(strategy_planned(g), 8);
    json_t *c = ask_config(g, 0);
    ck_assert(json_is_real(json_object_get(c, "d")));
    ck_assert(json_real_value(json_object_get(c, "d")) == 0.0);
    ck_assert(json_real_value(json_object_get(c, "lr")) == 1e-3);
    ck_assert(json_is_integer(json_object_get(c, "n")));
    ck_assert_int_eq(json_integer_value(json_object_get(c, "n")), 9);
    json_decref(c);
    c = ask_config(g, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "n")), 1);
    json_decref(c);
    strategy_destroy(g);
    search_space_free(&s);
}
END_TEST

START_TEST(test_grid_values_lists_every_kind)
{
    struct search_space s = {0};
    add_constant(&s, "c", json_string("x"));
    add_choice(&s, "h", json_pack("[ss]", "a", "b"));
    add_range(&s, "r", PARAM_UNIFORM, 0, 1, 0, NULL);
    json_t *v = search_space_grid_values(&s.params[0]);
    ck_assert_uint_eq(json_array_size(v), 1);
    ck_assert_str_eq(json_string_value(json_array_get(v, 0)), "x");
    json_decref(v);
    v = search_space_grid_values(&s.params[1]);
    ck_assert_uint_eq(json_array_size(v), 2);
    json_decref(v);
    ck_assert_ptr_null(search_space_grid_values(&s.params[2]));
    ck_assert_uint_eq(search_space_grid_count(&s.params[2]), 0);
    search_space_free(&s);
}
END_TEST

START_TEST(test_grid_rejects_a_range_without_values_or_step)
{
    struct search_space s = {0};
    add_choice(&s, "h", json_pack("[s]", "64"));
    add_range(&s, "lr", PARAM_LOGUNIFORM, 1e-4, 1e-1, 0, NULL);
    struct strategy *g = (struct strategy *)&s; /* must be reset to NULL */
    struct hp_error err;
    hp_error_init(&err);
    json_t *options = json_pack("{s:s}", "type", "grid");
    ck_assert_int_eq(grid_strategy_ops.create(&s, options, &(struct strategy_context){1}, &g, &err), -1);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(err.path, "params.lr");
    ck_assert_str_eq(err.message,
                     "grid search needs \"values\" or \"step\" for a loguniform range");
    json_decref(options);
    search_space_free(&s);
}
END_TEST

START_TEST(test_grid_rejects_more_than_a_billion_configs)
{
    struct search_space s = {0};
    add_range(&s, "a", PARAM_INT, 1, 1000, 1, NULL);
    add_range(&s, "b", PARAM_INT, 1, 1000, 1, NULL);
    add_range(&s, "c", PARAM_INT, 1, 1000, 1, NULL);
    /* Exactly 10^9 is allowed. */
    struct strategy *g = create_grid(&s);
    ck_assert_uint_eq(strategy_planned(g), 1000000000);
    json_t *c = ask_config(g, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "c")), 1);
    json_decref(c);
    c = ask_config(g, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "c")), 2);
    json_decref(c);
    strategy_destroy(g);
    add_choice(&s, "d", json_pack("[ii]", 1, 2));
    struct hp_error err;
    hp_error_init(&err);
    json_t *options = json_pack("{s:s}", "type", "grid");
    ck_assert_int_eq(grid_strategy_ops.create(&s, options, &(struct strategy_context){1}, &g, &err), -1);
    ck_assert_str_eq(err.path, "params");
    ck_assert_str_eq(err.message, "the grid has more than 1000000000 configurations");
    /* A single absurdly fine step saturates instead of overflowing. */
    search_space_free(&s);
    add_range(&s, "x", PARAM_UNIFORM, 0, 1, 1e-300, NULL);
    ck_assert_uint_eq(search_space_grid_count(&s.params[0]), SEARCH_SPACE_GRID_MAX + 1);
    ck_assert_int_eq(grid_strategy_ops.create(&s, options, &(struct strategy_context){1}, &g, &err), -1);
    json_decref(options);
    search_space_free(&s);
}
END_TEST

/* ---- the registry ------------------------------------------------------- */

START_TEST(test_registry_finds_strategies_by_name)
{
    ck_assert_ptr_eq(strategy_find("grid"), &grid_strategy_ops);
    ck_assert_ptr_eq(strategy_find("random"), &random_strategy_ops);
    ck_assert_ptr_null(strategy_find("bayes"));
    ck_assert_ptr_null(strategy_find(""));
    char names[64];
    strategy_names(names, sizeof names);
    ck_assert_str_eq(names, "grid, random, tpe");
    char tiny[6];
    strategy_names(tiny, sizeof tiny);
    ck_assert_str_eq(tiny, "grid,");
}
END_TEST

START_TEST(test_registry_wrappers_supply_default_noops)
{
    struct search_space s = {0};
    struct strategy *g = create_grid(&s);
    json_t *metrics = json_pack("{s:f}", "val_accuracy", 0.5);
    ck_assert_int_eq(strategy_report(g, 0, metrics), 0);
    struct config_outcome outcome = {.config_index = 0, .mean = 0.5, .n = 1};
    strategy_tell(g, &outcome);
    ck_assert_uint_eq(strategy_planned(g), 1);
    json_decref(metrics);
    strategy_destroy(g);
    strategy_destroy(NULL);

    /* A strategy without planned() answers 0 through the wrapper. */
    struct strategy_ops bare = grid_strategy_ops;
    bare.planned = NULL;
    struct strategy fake = {&bare};
    ck_assert_uint_eq(strategy_planned(&fake), 0);
}
END_TEST

/* "trials" bounds the grid to its first N configs, up to the grid's size:
 * growing it (resume --trials) continues the same product order. */
START_TEST(test_grid_trials_bound_takes_the_first_configs)
{
    struct search_space s = {0};
    add_choice(&s, "opt", json_pack("[ss]", "sgd", "adam"));
    add_choice(&s, "nesterov", json_pack("[bb]", 1, 0));
    struct strategy *whole = create_grid(&s);
    struct strategy *g = NULL;
    struct hp_error err;
    hp_error_init(&err);
    json_t *options = json_pack("{s:s, s:i}", "type", "grid", "trials", 3);
    ck_assert_int_eq(
        grid_strategy_ops.create(&s, options, &(struct strategy_context){1}, &g, &err), 0);
    ck_assert_uint_eq(strategy_planned(g), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *a = ask_config(g, i);
        json_t *b = ask_config(whole, i);
        ck_assert(json_equal(a, b));
        json_decref(a);
        json_decref(b);
    }
    assert_done(g);
    strategy_destroy(g);
    strategy_destroy(whole);
    json_decref(options);

    g = NULL;
    options = json_pack("{s:s, s:i}", "type", "grid", "trials", 5);
    ck_assert_int_eq(
        grid_strategy_ops.create(&s, options, &(struct strategy_context){1}, &g, &err), -1);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(err.path, "strategy.trials");
    ck_assert_str_eq(err.message, "the grid has only 4 configurations (got 5); a grid "
                                  "sweep cannot grow past its grid");
    json_decref(options);
    search_space_free(&s);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("grid");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_grid_walks_the_product_in_itertools_order);
    tcase_add_test(tc, test_grid_of_an_empty_space_is_one_empty_config);
    tcase_add_test(tc, test_grid_int_step_includes_high_only_on_the_step);
    tcase_add_test(tc, test_grid_float_step_is_robust_to_rounding);
    tcase_add_test(tc, test_grid_takes_explicit_values_in_the_kind_type);
    tcase_add_test(tc, test_grid_values_lists_every_kind);
    tcase_add_test(tc, test_grid_rejects_a_range_without_values_or_step);
    tcase_add_test(tc, test_grid_rejects_more_than_a_billion_configs);
    tcase_add_test(tc, test_grid_trials_bound_takes_the_first_configs);
    tcase_add_test(tc, test_registry_finds_strategies_by_name);
    tcase_add_test(tc, test_registry_wrappers_supply_default_noops);
    suite_add_tcase(suite, tc);
    return hp_check_run(suite);
}
