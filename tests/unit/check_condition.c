/*
 * Conditional parameters (strategies/condition.c) and how each sampler
 * handles them: activity and its evaluation order, the grid's count and
 * order, random's determinism and untouched draws, and TPE modelling each
 * parameter only from the configs where it was active.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "space.h"

/* Loads a space that must be valid. */
static void load_ok(const char *text, struct space *s)
{
    struct hp_error err;
    char msg[2048];
    int rc = space_load_text(text, strlen(text), "space.json", s, &err);
    ck_assert_msg(rc == 0, "unexpected error: %s",
                  hp_error_format(&err, msg, sizeof msg));
}

/* The space's own strategy, created from its "strategy" object. */
static struct strategy *create(const struct space *s)
{
    struct strategy *out = NULL;
    struct hp_error err;
    hp_error_init(&err);
    struct strategy_context context = {s->maximize};
    int rc = s->strategy->create(&s->params, s->strategy_options, &context, &out, &err);
    ck_assert_msg(rc == 0, "create failed: %s: %s", err.path, err.message);
    return out;
}

/* The next config, which must exist (caller decrefs). */
static json_t *ask(struct strategy *st)
{
    struct ask_result r;
    ck_assert_int_eq(strategy_ask(st, &r), 0);
    ck_assert_int_eq(r.kind, ASK_CONFIG);
    return r.params;
}

static void assert_config(json_t *config, const char *expected)
{
    json_t *want = json_loads(expected, 0, NULL);
    ck_assert_ptr_nonnull(want);
    char *got = json_dumps(config, JSON_COMPACT);
    ck_assert_msg(json_equal(config, want), "got %s, expected %s", got, expected);
    /* Keys in declaration order, as the trainer's flags are. */
    char *want_text = json_dumps(want, JSON_COMPACT);
    ck_assert_str_eq(got, want_text);
    free(got);
    free(want_text);
    json_decref(want);
    json_decref(config);
}

static void assert_done(struct strategy *st)
{
    struct ask_result r;
    ck_assert_int_eq(strategy_ask(st, &r), 0);
    ck_assert_int_eq(r.kind, ASK_DONE);
}

/* Whether config's keys are exactly its active params. */
static void assert_consistent(const struct space *s, const json_t *config)
{
    unsigned char active[16];
    ck_assert_uint_le(s->params.count, 16);
    condition_activity(&s->params, config, active);
    size_t want = 0;
    for (size_t i = 0; i < s->params.count; i++) {
        int has = json_object_get(config, s->params.params[i].name) != NULL;
        ck_assert_msg(has == active[i], "%s: present %d, active %d",
                      s->params.params[i].name, has, active[i]);
        want += active[i];
    }
    ck_assert_uint_eq(json_object_size(config), want);
}

/* ---- the model ----------------------------------------------------------- */

/* nesterov depends on momentum, which depends on optimizer; declared child
 * first. */
static const char *const NESTED =
    "{\"strategy\": {\"type\": \"grid\"}, \"params\": {"
    " \"nesterov\": {\"type\": \"choice\", \"values\": [true, false],"
    "              \"when\": {\"momentum\": [0.9, 0.95]}},"
    " \"momentum\": {\"type\": \"uniform\", \"low\": 0.5, \"high\": 0.99,"
    "              \"values\": [0.8, 0.9, 0.95], \"when\": {\"optimizer\": \"sgd\"}},"
    " \"lr\": {\"type\": \"choice\", \"values\": [0.1, 0.01]},"
    " \"optimizer\": {\"type\": \"choice\", \"values\": [\"sgd\", \"adam\"]}}}";

START_TEST(test_condition_orders_params_after_those_they_name)
{
    struct space s;
    load_ok(NESTED, &s);
    ck_assert(condition_any(&s.params));
    /* lr (2) and optimizer (3) are ready first; then momentum (1), then
     * nesterov (0). */
    const size_t expected[] = {2, 3, 1, 0};
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(condition_order(&s.params, i), expected[i]);
    space_free(&s);
}
END_TEST

START_TEST(test_condition_activity_nests_to_any_depth)
{
    struct space s;
    load_ok(NESTED, &s);
    unsigned char active[4];
    json_t *c =
        json_pack("{s:s, s:f, s:b}", "optimizer", "sgd", "momentum", 0.9, "nesterov", 1);
    condition_activity(&s.params, c, active);
    ck_assert(active[0] && active[1] && active[2] && active[3]);
    json_object_set_new(c, "momentum", json_real(0.8));
    condition_activity(&s.params, c, active);
    ck_assert(!active[0] && active[1]);
    /* adam: momentum off, and so nesterov, whatever momentum says. */
    json_object_set_new(c, "optimizer", json_string("adam"));
    json_object_set_new(c, "momentum", json_real(0.9));
    condition_activity(&s.params, c, active);
    ck_assert(!active[0] && !active[1] && active[2] && active[3]);
    json_decref(c);
    /* Every param but the unconditional ones can be inactive. */
    ck_assert(condition_can_be_inactive(&s.params, 0));
    ck_assert(condition_can_be_inactive(&s.params, 1));
    ck_assert(!condition_can_be_inactive(&s.params, 2));
    ck_assert(!condition_can_be_inactive(&s.params, 3));
    space_free(&s);
}
END_TEST

START_TEST(test_condition_covering_every_value_is_always_active)
{
    struct space s;
    load_ok("{\"command\": [\"t\", \"--w={w}\"], \"params\": {"
            " \"opt\": {\"type\": \"choice\", \"values\": [\"a\", \"b\"]},"
            " \"w\": {\"type\": \"choice\", \"values\": [1, 2],"
            "         \"when\": {\"opt\": [\"a\", \"b\"]}}}}",
            &s);
    ck_assert(!condition_can_be_inactive(&s.params, 1));
    space_free(&s);
}
END_TEST

START_TEST(test_condition_matches_numbers_as_the_named_param_compares_them)
{
    struct space s;
    /* A numeric range with values: 2.0 names 2. A choice: 1.0 is not 1. */
    load_ok(
        "{\"params\": {"
        " \"layers\": {\"type\": \"int\", \"low\": 1, \"high\": 4, \"values\": [1, 2]},"
        " \"w\": {\"type\": \"choice\", \"values\": [8], \"when\": {\"layers\": 2.0}}}}",
        &s);
    unsigned char active[2];
    json_t *c = json_pack("{s:i}", "layers", 2);
    condition_activity(&s.params, c, active);
    ck_assert(active[1]);
    json_decref(c);
    space_free(&s);
    struct hp_error err;
    const char *text = "{\"params\": {"
                       " \"k\": {\"type\": \"choice\", \"values\": [1, 2]},"
                       " \"w\": {\"type\": \"choice\", \"values\": [8], "
                       "\"when\": {\"k\": 1.0}}}}";
    ck_assert_int_eq(space_load_text(text, strlen(text), "space.json", &s, &err), -1);
    ck_assert_str_eq(err.path, "params.w.when.k");
    space_free(&s);
}
END_TEST

START_TEST(test_condition_apply_fills_newly_active_params_in_declaration_order)
{
    struct space s;
    load_ok(NESTED, &s);
    json_t *fill = json_pack("{s:b, s:f, s:f, s:s}", "nesterov", 0, "momentum", 0.95,
                             "lr", 0.1, "optimizer", "sgd");
    json_t *c = json_pack("{s:f, s:s, s:i}", "lr", 0.01, "optimizer", "sgd", "epochs", 3);
    ck_assert_int_eq(condition_apply(&s.params, c, fill), 0);
    /* momentum and then nesterov become active, from fill; a key that is not
     * a param stays, after the params. */
    assert_config(c, "{\"nesterov\": false, \"momentum\": 0.95, \"lr\": 0.01, "
                     "\"optimizer\": \"sgd\", \"epochs\": 3}");
    c = json_pack("{s:b, s:f, s:f, s:s}", "nesterov", 1, "momentum", 0.9, "lr", 0.1,
                  "optimizer", "adam");
    ck_assert_int_eq(condition_apply(&s.params, c, NULL), 0);
    assert_config(c, "{\"lr\": 0.1, \"optimizer\": \"adam\"}");
    json_decref(fill);
    space_free(&s);
}
END_TEST

/* ---- grid ---------------------------------------------------------------- */

START_TEST(test_grid_counts_only_active_combinations)
{
    struct space s;
    load_ok("{\"params\": {"
            " \"optimizer\": {\"type\": \"choice\", \"values\": [\"sgd\", \"adam\"]},"
            " \"momentum\": {\"type\": \"uniform\", \"low\": 0.5, \"high\": 0.99,"
            "   \"values\": [0.8, 0.9, 0.95], \"when\": {\"optimizer\": \"sgd\"}}}}",
            &s);
    struct strategy *g = create(&s);
    /* 3 under sgd + 1 under adam, not 2 x 3. */
    ck_assert_uint_eq(strategy_planned(g), 4);
    assert_config(ask(g), "{\"optimizer\": \"sgd\", \"momentum\": 0.8}");
    assert_config(ask(g), "{\"optimizer\": \"sgd\", \"momentum\": 0.9}");
    assert_config(ask(g), "{\"optimizer\": \"sgd\", \"momentum\": 0.95}");
    assert_config(ask(g), "{\"optimizer\": \"adam\"}");
    assert_done(g);
    strategy_destroy(g);
    space_free(&s);
}
END_TEST

START_TEST(test_grid_nests_conditions_in_evaluation_order)
{
    struct space s;
    load_ok(NESTED, &s);
    struct strategy *g = create(&s);
    /* Per lr: sgd 0.8, sgd 0.9 x 2, sgd 0.95 x 2, adam = 6; lr varies
     * slowest (it comes first in evaluation order). */
    ck_assert_uint_eq(strategy_planned(g), 12);
    const char *const expected[] = {
        "{\"momentum\": 0.8, \"lr\": 0.1, \"optimizer\": \"sgd\"}",
        "{\"nesterov\": true, \"momentum\": 0.9, \"lr\": 0.1, \"optimizer\": \"sgd\"}",
        "{\"nesterov\": false, \"momentum\": 0.9, \"lr\": 0.1, \"optimizer\": \"sgd\"}",
        "{\"nesterov\": true, \"momentum\": 0.95, \"lr\": 0.1, \"optimizer\": \"sgd\"}",
        "{\"nesterov\": false, \"momentum\": 0.95, \"lr\": 0.1, \"optimizer\": \"sgd\"}",
        "{\"lr\": 0.1, \"optimizer\": \"adam\"}",
        "{\"momentum\": 0.8, \"lr\": 0.01, \"optimizer\": \"sgd\"}",
    };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        assert_config(ask(g), expected[i]);
    json_t *seen = json_array();
    for (size_t i = 7; i < 12; i++) {
        json_t *c = ask(g);
        assert_consistent(&s, c);
        json_array_append_new(seen, c);
    }
    assert_config(json_incref(json_array_get(seen, 4)),
                  "{\"lr\": 0.01, \"optimizer\": \"adam\"}");
    json_decref(seen);
    assert_done(g);
    strategy_destroy(g);
    space_free(&s);
}
END_TEST

START_TEST(test_grid_is_sized_by_its_configs_not_its_full_product)
{
    struct space s;
    /* The full product is 3 x 100000 x 100000 = 3e10, over the grid's limit;
     * the configs are 100000 + 100000 + 1. */
    load_ok(
        "{\"params\": {"
        " \"arch\": {\"type\": \"choice\", \"values\": [\"cnn\", \"mlp\", \"linear\"]},"
        " \"kernel\": {\"type\": \"int\", \"low\": 1, \"high\": 100000, \"step\": 1,"
        "   \"when\": {\"arch\": \"cnn\"}},"
        " \"hidden\": {\"type\": \"int\", \"low\": 1, \"high\": 100000, \"step\": 1,"
        "   \"when\": {\"arch\": \"mlp\"}}}}",
        &s);
    struct strategy *g = create(&s);
    ck_assert_uint_eq(strategy_planned(g), 200001);
    size_t asked = 0;
    for (;;) {
        struct ask_result r;
        ck_assert_int_eq(strategy_ask(g, &r), 0);
        if (r.kind == ASK_DONE)
            break;
        if (asked == 100000)
            assert_config(r.params, "{\"arch\": \"mlp\", \"hidden\": 1}");
        else if (asked == 200000)
            assert_config(r.params, "{\"arch\": \"linear\"}");
        else
            json_decref(r.params);
        asked++;
    }
    ck_assert_uint_eq(asked, 200001);
    strategy_destroy(g);
    space_free(&s);
}
END_TEST

/* ---- random -------------------------------------------------------------- */

static const char *const RANDOM_SPACE =
    "{\"strategy\": {\"type\": \"random\", \"trials\": 60, \"seed\": 7}, \"params\": {"
    " \"optimizer\": {\"type\": \"choice\", \"values\": [\"sgd\", \"adam\"]},"
    " \"momentum\": {\"type\": \"uniform\", \"low\": 0.5, \"high\": 0.99%s},"
    " \"lr\": {\"type\": \"loguniform\", \"low\": 1e-4, \"high\": 0.1}}}";

START_TEST(test_random_drops_inactive_params_and_keeps_the_other_draws)
{
    char text[1024];
    struct space plain, cond, again;
    snprintf(text, sizeof text, RANDOM_SPACE, "");
    load_ok(text, &plain);
    snprintf(text, sizeof text, RANDOM_SPACE, ", \"when\": {\"optimizer\": \"sgd\"}");
    load_ok(text, &cond);
    load_ok(text, &again);
    struct strategy *a = create(&plain);
    struct strategy *b = create(&cond);
    struct strategy *c = create(&again);
    int dropped = 0;
    for (int i = 0; i < 60; i++) {
        json_t *x = ask(a);
        json_t *y = ask(b);
        json_t *z = ask(c);
        /* Same seed, same configs. */
        ck_assert(json_equal(y, z));
        assert_consistent(&cond, y);
        /* The condition only removes momentum: lr and optimizer draw as
         * without it. */
        if (strcmp(json_string_value(json_object_get(x, "optimizer")), "adam") == 0) {
            json_object_del(x, "momentum");
            dropped++;
        }
        ck_assert(json_equal(x, y));
        json_decref(x);
        json_decref(y);
        json_decref(z);
    }
    ck_assert_int_gt(dropped, 10);
    strategy_destroy(a);
    strategy_destroy(b);
    strategy_destroy(c);
    space_free(&plain);
    space_free(&cond);
    space_free(&again);
}
END_TEST

/* ---- tpe ----------------------------------------------------------------- */

/* x is active only under opt "a"; x is declared first so that its stream is
 * its own. */
static const char *const TPE_SPACE =
    "{\"strategy\": {\"type\": \"tpe\", \"trials\": 40, \"seed\": %d, \"startup\": 10,"
    "               \"lag\": 0, \"gamma\": 0.3},"
    " \"params\": {"
    " \"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1, \"when\": {\"opt\": "
    "\"a\"}},"
    " \"opt\": {\"type\": \"choice\", \"values\": [\"a\", \"b\"]}}}";

/* Asks the 10 startup configs of seed `seed` and tells each one's outcome:
 * under "a", 1 - (x - 0.3)^2; under "b", 0, except the first "b" config, which
 * gets `first_b`. Returns the strategy, ready to ask config 10. */
static struct strategy *tpe_after_startup(struct space *s, int seed, double first_b)
{
    char text[1024];
    snprintf(text, sizeof text, TPE_SPACE, seed);
    load_ok(text, s);
    struct strategy *t = create(s);
    int seen_b = 0;
    for (size_t k = 0; k < 10; k++) {
        json_t *c = ask(t);
        assert_consistent(s, c);
        double mean = 0;
        if (strcmp(json_string_value(json_object_get(c, "opt")), "a") == 0) {
            double x = json_real_value(json_object_get(c, "x"));
            mean = 1 - (x - 0.3) * (x - 0.3);
        } else if (!seen_b++) {
            mean = first_b;
        }
        struct config_outcome o = {.config_index = k, .mean = mean, .n = 2};
        strategy_tell(t, &o);
        json_decref(c);
    }
    return t;
}

START_TEST(test_tpe_models_a_param_only_from_configs_where_it_was_active)
{
    /* Two histories that differ only in where one "b" config ranks: first or
     * last. With l taken over all configs, x's l would lose an "a" config to
     * it in the first; modelled from the "a" configs alone, x's l and g are
     * the same, so config 10's x is the same whenever both choose "a". */
    int compared = 0;
    for (int seed = 0; seed < 30; seed++) {
        struct space s1, s2;
        struct strategy *first = tpe_after_startup(&s1, seed, 2.0);
        struct strategy *last = tpe_after_startup(&s2, seed, -1.0);
        json_t *c1 = ask(first);
        json_t *c2 = ask(last);
        assert_consistent(&s1, c1);
        assert_consistent(&s2, c2);
        const json_t *x1 = json_object_get(c1, "x");
        const json_t *x2 = json_object_get(c2, "x");
        if (x1 && x2) {
            ck_assert_msg(json_real_value(x1) == json_real_value(x2),
                          "seed %d: x %.17g vs %.17g", seed, json_real_value(x1),
                          json_real_value(x2));
            compared++;
        }
        json_decref(c1);
        json_decref(c2);
        strategy_destroy(first);
        strategy_destroy(last);
        space_free(&s1);
        space_free(&s2);
    }
    ck_assert_int_ge(compared, 5);
}
END_TEST

START_TEST(test_tpe_proposes_only_active_params_and_is_deterministic)
{
    struct space s1, s2;
    char text[1024];
    snprintf(text, sizeof text, TPE_SPACE, 11);
    load_ok(text, &s1);
    load_ok(text, &s2);
    struct strategy *t1 = create(&s1);
    struct strategy *t2 = create(&s2);
    int with_x = 0;
    for (size_t k = 0; k < 40; k++) {
        json_t *c1 = ask(t1);
        json_t *c2 = ask(t2);
        ck_assert(json_equal(c1, c2));
        assert_consistent(&s1, c1);
        const json_t *x = json_object_get(c1, "x");
        with_x += x != NULL;
        double mean = x ? 1 - pow(json_real_value(x) - 0.3, 2) : 0.5;
        struct config_outcome o = {.config_index = k, .mean = mean, .n = 1};
        strategy_tell(t1, &o);
        strategy_tell(t2, &o);
        json_decref(c1);
        json_decref(c2);
    }
    /* "a" does better than "b" on the whole, and TPE notices. */
    ck_assert_int_gt(with_x, 20);
    strategy_destroy(t1);
    strategy_destroy(t2);
    space_free(&s1);
    space_free(&s2);
}
END_TEST

static Suite *condition_suite(void)
{
    Suite *suite = suite_create("condition");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_condition_orders_params_after_those_they_name);
    tcase_add_test(tc, test_condition_activity_nests_to_any_depth);
    tcase_add_test(tc, test_condition_covering_every_value_is_always_active);
    tcase_add_test(tc, test_condition_matches_numbers_as_the_named_param_compares_them);
    tcase_add_test(tc,
                   test_condition_apply_fills_newly_active_params_in_declaration_order);
    tcase_add_test(tc, test_grid_counts_only_active_combinations);
    tcase_add_test(tc, test_grid_nests_conditions_in_evaluation_order);
    tcase_add_test(tc, test_grid_is_sized_by_its_configs_not_its_full_product);
    tcase_add_test(tc, test_random_drops_inactive_params_and_keeps_the_other_draws);
    tcase_add_test(tc, test_tpe_models_a_param_only_from_configs_where_it_was_active);
    tcase_add_test(tc, test_tpe_proposes_only_active_params_and_is_deterministic);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return hp_check_run(condition_suite());
}
