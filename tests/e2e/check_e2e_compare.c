/*
 * `hpsearch compare` end to end: real sweeps of the fake trainer (with
 * --noise, so that seeds differ by a different amount under each config),
 * compared paired on the same seeds and unpaired (Welch) on different ones.
 * Every number the command prints is recomputed here from the two sweeps'
 * results.json files; the error cases exit 2 with a message that says what
 * is wrong and what is needed.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "e2e_helpers.h"
#include "stats.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/compare"

/* Runs a grid sweep of the fake trainer in `trainer` mode over x in `xs` (a
 * JSON array's text) on `seeds`, with objective mode `mode`, into
 * WORK/<name>; hpsearch must exit with `status`. */
static void sweep_as(const char *name, const char *trainer, const char *xs,
                     const char *seeds, const char *mode, int status)
{
    char dir[512];
    char path[600];
    char space[2048];
    snprintf(dir, sizeof dir, "%s/%s", WORK, name);
    fresh_dir(dir);
    snprintf(space, sizeof space,
             "{\"name\": \"%s\",\n"
             " \"command\": [\"%s/fake_trainer\", \"%s\", \"--noise=0.01\"],\n"
             " \"objective\": {\"metric\": \"val_accuracy\", \"mode\": \"%s\"},\n"
             " \"strategy\": {\"type\": \"grid\"},\n"
             " \"seeds\": %s,\n"
             " \"params\": {\"x\": {\"type\": \"choice\", \"values\": %s}}}\n",
             name, BIN, trainer, mode, seeds, xs);
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 "
                         ">run.log 2>&1",
                         dir, BIN),
                     status);
}

static void sweep(const char *name, const char *xs, const char *seeds, const char *mode)
{
    sweep_as(name, "ok", xs, seeds, mode, 0);
}

/* The sweeps every test reads, run once. */
static void setup_sweeps(void)
{
    fresh_dir(WORK);
    sweep("a", "[0.3, 0.6]", "[0, 1, 2, 3, 4, 5]", "max");
    sweep("b", "[0.35, 0.7]", "[0, 1, 2, 3, 4, 5]", "max");
    sweep("c", "[0.32]", "[6, 7, 8, 9]", "max");      /* other seeds: Welch */
    sweep("half", "[0.3]", "[3, 4, 5, 6, 7]", "max"); /* 3 shared with a */
    sweep("one", "[0.3]", "[0]", "max");
    sweep("amin", "[0.3, 0.6]", "[0, 1, 2]", "min");
    sweep("bmin", "[0.35, 0.7]", "[0, 1, 2]", "min");
    sweep_as("failed", "exit", "[0.3]", "[0, 1]", "max", 3); /* every trial fails */
    /* a, as a sweep killed after the third of config 0's seeds ended (which
     * three depends on timing at -j 2): its journal up to that record (a
     * journal's prefix is what a kill leaves). */
    ck_assert_int_eq(run("cd '%s' && mkdir -p cut && cp -r a/out cut/out && "
                         "awk '{ print } /\"event\":\"end\",\"trial\":\"c0000-/ "
                         "{ if (++n == 3) exit }' a/out/journal.jsonl >cut/out/journal.jsonl",
                         WORK),
                     0);
}

/* Runs `hpsearch compare ARGS` in WORK; stdout to WORK/out.txt, stderr to
 * WORK/err.txt. Returns its exit status. */
static int compare(const char *args)
{
    return run("cd '%s' && '%s/hpsearch' compare %s >out.txt 2>err.txt", WORK, BIN, args);
}

static char *slurp(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", WORK, name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static json_t *compare_json(const char *args)
{
    char full[512];
    snprintf(full, sizeof full, "%s --format json", args);
    ck_assert_int_eq(compare(full), 0);
    return load_json(WORK "/out.txt");
}

/* One config's successful seeds from a sweep's results.json. */
struct values {
    long seed[16];
    double value[16];
    size_t n;
};

/* The config with index `config` (or, when config < 0, the first ranked:
 * the best) of WORK/<name>/out/results.json. */
static void values_of(const char *name, long config, struct values *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/out/results.json", WORK, name);
    json_t *doc = load_json(path);
    json_t *configs = json_object_get(doc, "configs");
    json_t *found = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(configs, i, c)
    {
        if ((config < 0 && i == 0) ||
            json_integer_value(json_object_get(c, "config")) == (json_int_t)config) {
            found = c;
            break;
        }
    }
    ck_assert_ptr_nonnull(found);
    out->n = 0;
    json_t *seed;
    json_array_foreach(json_object_get(found, "seeds"), i, seed)
    {
        if (strcmp(json_string_value(json_object_get(seed, "status")), "ok") != 0)
            continue;
        ck_assert_uint_lt(out->n, 16);
        out->seed[out->n] = (long)json_integer_value(json_object_get(seed, "seed"));
        out->value[out->n] = json_number_value(json_object_get(seed, "value"));
        out->n++;
    }
    json_decref(doc);
}

static double mean_of(const double *v, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    return sum / (double)n;
}

static double var_of(const double *v, size_t n)
{
    double m = mean_of(v, n);
    double sq = 0;
    for (size_t i = 0; i < n; i++)
        sq += (v[i] - m) * (v[i] - m);
    return sq / (double)(n - 1);
}

static double num(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

#define CLOSE(a, b) ck_assert_double_eq_tol((a), (b), 1e-9 * (1 + fabs(b)))

/* Checks a t section (paired or Welch) against the difference, its standard
 * error and df computed here, and Student's t. */
static void check_t(const json_t *t, double diff, double se, double df)
{
    CLOSE(num(t, "mean_difference"), diff);
    CLOSE(num(t, "std_error"), se);
    CLOSE(num(t, "df"), df);
    CLOSE(num(t, "t"), diff / se);
    CLOSE(num(t, "p"), 2 * stats_t_cdf(-fabs(diff / se), df));
    double half = stats_t_quantile(0.975, df) * se;
    CLOSE(json_number_value(json_array_get(json_object_get(t, "ci95"), 0)), diff - half);
    CLOSE(json_number_value(json_array_get(json_object_get(t, "ci95"), 1)), diff + half);
}

/* Checks the paired section of `doc` against the values of A and B (the
 * same seeds in the same order), and returns its paired t p-value. */
static double check_paired(const json_t *doc, const struct values *a,
                           const struct values *b)
{
    ck_assert_uint_eq(a->n, b->n);
    const json_t *paired = json_object_get(doc, "paired");
    ck_assert(json_is_object(paired));
    ck_assert_int_eq(json_integer_value(json_object_get(paired, "n")), (json_int_t)a->n);
    double d[16];
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_int_eq(a->seed[i], b->seed[i]);
        d[i] = a->value[i] - b->value[i];
        const json_t *pair = json_array_get(json_object_get(paired, "pairs"), i);
        ck_assert_int_eq(json_integer_value(json_object_get(pair, "seed")), a->seed[i]);
        ck_assert_double_eq(num(pair, "a"), a->value[i]);
        ck_assert_double_eq(num(pair, "b"), b->value[i]);
        CLOSE(num(pair, "difference"), d[i]);
    }
    check_t(paired, mean_of(d, a->n), sqrt(var_of(d, a->n) / (double)a->n),
            (double)a->n - 1);
    /* Wilcoxon by hand: the rank of |d_i| is 1 + the number of smaller
     * magnitudes (the noise leaves no ties or zeros here). */
    double w_plus = 0;
    double w_minus = 0;
    for (size_t i = 0; i < a->n; i++) {
        double rank = 1;
        for (size_t j = 0; j < a->n; j++)
            rank += fabs(d[j]) < fabs(d[i]);
        if (d[i] > 0)
            w_plus += rank;
        else
            w_minus += rank;
    }
    const json_t *w = json_object_get(paired, "wilcoxon");
    ck_assert_str_eq(json_string_value(json_object_get(w, "method")), "exact");
    ck_assert_int_eq(json_integer_value(json_object_get(w, "zeros")), 0);
    ck_assert_double_eq(num(w, "w_plus"), w_plus);
    ck_assert_double_eq(num(w, "w_minus"), w_minus);
    /* Exact two-sided p: 2 * (subsets of ranks 1..n summing to at most
     * min(W+, W-)) / 2^n, counted here by brute force over all 2^n subsets. */
    double smaller = fmin(w_plus, w_minus);
    size_t count = 0;
    for (unsigned mask = 0; mask < (1u << a->n); mask++) {
        unsigned sum = 0;
        for (unsigned k = 0; k < a->n; k++)
            sum += (mask >> k & 1u) ? k + 1 : 0;
        count += sum <= smaller;
    }
    CLOSE(num(w, "p"), fmin(1.0, 2.0 * (double)count / (double)(1u << a->n)));
    return num(paired, "p");
}

static const json_t *verdict(const json_t *doc)
{
    return json_object_get(doc, "verdict");
}

START_TEST(test_compare_best_configs_paired_matches_results_json)
{
    json_t *doc = compare_json("a/out b/out");
    struct values a, b;
    values_of("a", -1, &a);
    values_of("b", -1, &b);
    ck_assert_uint_eq(a.n, 6);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "test")), "paired");
    ck_assert(json_is_null(json_object_get(doc, "welch")));
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(doc, "a"), "chosen")), "best");
    CLOSE(num(json_object_get(doc, "a"), "mean"), mean_of(a.value, a.n));
    CLOSE(num(json_object_get(doc, "b"), "mean"), mean_of(b.value, b.n));
    double p = check_paired(doc, &a, &b);
    const json_t *v = verdict(doc);
    ck_assert_str_eq(json_string_value(json_object_get(v, "test")), "paired t-test");
    ck_assert_double_eq(num(v, "p"), p);
    ck_assert_int_eq(json_is_true(json_object_get(v, "significant")), p < 0.05);
    json_decref(doc);
}
END_TEST

START_TEST(test_compare_given_configs_says_who_is_better_in_both_orders)
{
    /* A's config 1 (x = 0.6) is far from the optimum at 0.3; B's config 0
     * (x = 0.35) is near it: B wins beyond any seed noise, in both orders. */
    json_t *doc = compare_json("a/out b/out --config 1 0");
    struct values a, b;
    values_of("a", 1, &a);
    values_of("b", 0, &b);
    double p = check_paired(doc, &a, &b);
    ck_assert_double_lt(p, 0.05);
    const json_t *v = verdict(doc);
    ck_assert_str_eq(json_string_value(json_object_get(v, "better")), "B");
    ck_assert(json_is_false(json_object_get(v, "a_beats_b")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(v, "text")),
                                 "A's config 1 does not beat B's config 0: B is better"));
    json_decref(doc);

    doc = compare_json("b/out a/out --config 0 1");
    v = verdict(doc);
    ck_assert_str_eq(json_string_value(json_object_get(v, "better")), "A");
    ck_assert(json_is_true(json_object_get(v, "a_beats_b")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(v, "text")),
                                 "A's config 0 beats B's config 1 beyond seed noise"));
    /* Six seeds: the exact Wilcoxon p can reach 2/64 < 5%, and it agrees. */
    ck_assert_double_eq_tol(
        num(json_object_get(json_object_get(doc, "paired"), "wilcoxon"), "p"), 2.0 / 64,
        1e-15);
    json_decref(doc);
}
END_TEST

START_TEST(test_compare_respects_a_minimised_objective)
{
    /* The same configs under "mode": "min": A's config 0 (higher values) now
     * loses to B's config 1 (x = 0.7, lower values). */
    json_t *doc = compare_json("amin/out bmin/out --config 0 1");
    struct values a, b;
    values_of("amin", 0, &a);
    values_of("bmin", 1, &b);
    check_paired(doc, &a, &b);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(doc, "objective"), "mode")),
        "min");
    ck_assert_double_gt(num(json_object_get(doc, "paired"), "mean_difference"), 0);
    const json_t *v = verdict(doc);
    ck_assert_double_lt(num(v, "p"), 0.05);
    ck_assert_str_eq(json_string_value(json_object_get(v, "better")), "B");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(v, "text")), "lower is better"));
    json_decref(doc);
}
END_TEST

START_TEST(test_compare_different_seeds_is_welch_and_says_so)
{
    json_t *doc = compare_json("a/out c/out");
    struct values a, c;
    values_of("a", -1, &a);
    values_of("c", -1, &c);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "test")), "welch");
    ck_assert(json_is_null(json_object_get(doc, "paired"))); /* no seed shared */
    ck_assert_uint_eq(
        json_array_size(json_object_get(json_object_get(doc, "seeds"), "only_a")), 6);
    const json_t *welch = json_object_get(doc, "welch");
    double va = var_of(a.value, a.n) / (double)a.n;
    double vc = var_of(c.value, c.n) / (double)c.n;
    double df = (va + vc) * (va + vc) /
                (va * va / (double)(a.n - 1) + vc * vc / (double)(c.n - 1));
    check_t(welch, mean_of(a.value, a.n) - mean_of(c.value, c.n), sqrt(va + vc), df);
    ck_assert_str_eq(json_string_value(json_object_get(verdict(doc), "test")),
                     "Welch t-test");
    json_decref(doc);

    ck_assert_int_eq(compare("a/out c/out"), 0);
    ck_assert_ptr_nonnull(strstr(slurp("out.txt"), "unpaired (Welch): the seeds differ"));
}
END_TEST

START_TEST(test_compare_partly_shared_seeds_shows_paired_for_reference)
{
    /* a ran seeds 0-5, half 3-7: Welch decides; the 3 shared seeds are
     * also compared paired. */
    json_t *doc = compare_json("a/out half/out --config 0 0");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "test")), "welch");
    const json_t *paired = json_object_get(doc, "paired");
    ck_assert(json_is_object(paired));
    ck_assert_int_eq(json_integer_value(json_object_get(paired, "n")), 3);
    ck_assert_int_eq(json_integer_value(json_array_get(
                         json_object_get(json_object_get(doc, "seeds"), "shared"), 0)),
                     3);
    ck_assert_str_eq(json_string_value(json_object_get(verdict(doc), "test")),
                     "Welch t-test");
    /* Both ran x = 0.3, so the shared seeds agree exactly, while Welch sees
     * half's higher seeds (+ seed / 1000): the note says so. */
    ck_assert_double_eq(num(paired, "mean_difference"), 0);
    ck_assert_double_lt(num(json_object_get(doc, "welch"), "p"), 0.05);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_array_get(json_object_get(doc, "notes"), 0)),
               "on the 3 seeds both ran, the paired t-test finds none"));
    json_decref(doc);
}
END_TEST

START_TEST(test_compare_an_unfinished_config_says_so)
{
    /* Config 0 of the cut sweep has 3 seeds (others were running or not
     * started): the seed sets differ, so Welch, with a note. */
    json_t *doc = compare_json("cut/out b/out --config 0 0");
    const json_t *a = json_object_get(doc, "a");
    ck_assert_str_eq(json_string_value(json_object_get(a, "status")), "unfinished");
    ck_assert_int_eq(json_integer_value(json_object_get(a, "n")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "test")), "welch");
    const json_t *notes = json_object_get(doc, "notes");
    int found = 0;
    for (size_t i = 0; i < json_array_size(notes); i++)
        found |=
            strstr(json_string_value(json_array_get(notes, i)),
                   "A's config 0 has not finished: only 3 of its 6 seeds have") != NULL;
    ck_assert_msg(found, "no note on the unfinished config");
    json_decref(doc);
}
END_TEST

START_TEST(test_compare_table_shows_every_number_and_the_verdict)
{
    ck_assert_int_eq(compare("a/out b/out --config 1 0"), 0);
    const char *text = slurp("out.txt");
    const char *expected[] = {
        "objective: val_accuracy (max)",
        "A: a/out, given config 1",
        "B: b/out, given config 0",
        "paired over the 6 seeds both ran",
        "mean difference A - B: ",
        "95% CI [",
        "paired t-test: t = ",
        "df = 5",
        "Wilcoxon signed-rank: W+ = 0, W- = 21, n = 6, p = 0.03125 (exact)",
        "verdict: A's config 1 does not beat B's config 0"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        ck_assert_msg(strstr(text, expected[i]), "missing \"%s\" in:\n%s", expected[i],
                      text);
    /* The same sweeps give the same bytes. */
    char first[1 << 16];
    snprintf(first, sizeof first, "%s", text);
    ck_assert_int_eq(compare("a/out b/out --config 1 0"), 0);
    ck_assert_str_eq(slurp("out.txt"), first);
}
END_TEST

/* Runs compare with `args`, expects exit 2 and every one of `needles` in
 * its stderr, and nothing on stdout. */
static void expect_refusal(const char *args, const char *const *needles, size_t count)
{
    ck_assert_int_eq(compare(args), 2);
    const char *err = slurp("err.txt");
    for (size_t i = 0; i < count; i++)
        ck_assert_msg(strstr(err, needles[i]), "%s: missing \"%s\" in: %s", args,
                      needles[i], err);
    ck_assert_str_eq(slurp("out.txt"), "");
}

START_TEST(test_compare_refuses_different_objectives)
{
    const char *needles[] = {"cannot compare", "A (a/out) optimises val_accuracy (max)",
                             "B (amin/out) optimises val_accuracy (min)"};
    expect_refusal("a/out amin/out", needles, 3);
}
END_TEST

START_TEST(test_compare_refuses_fewer_than_two_seeds)
{
    const char *needles[] = {"cannot compare", "successful seeds: 0)", "at least 2",
                             "run more seeds"};
    expect_refusal("a/out one/out", needles, 4);
    expect_refusal("one/out one/out", needles, 4);
}
END_TEST

START_TEST(test_compare_refuses_bad_arguments)
{
    const char *config[] = {"option --config: B (b/out) has no config 9 (it has 0 to 1)"};
    expect_refusal("a/out b/out --config 0 9", config, 1);
    const char *index[] = {"option --config: expected two config indices"};
    expect_refusal("a/out b/out --config 0 x", index, 1);
    const char *missing[] = {"option --config: missing value J"};
    expect_refusal("a/out b/out --config 0", missing, 1);
    const char *not_sweep[] = {"B (nowhere): not a sweep directory (no journal.jsonl)"};
    expect_refusal("a/out nowhere", not_sweep, 1);
    const char *format[] = {"option --format: compare writes table or json"};
    expect_refusal("a/out b/out --format csv", format, 1);
    const char *operands[] = {"compare: missing DIR_A DIR_B"};
    expect_refusal("a/out", operands, 1);
}
END_TEST

START_TEST(test_compare_a_sweep_without_a_success_has_no_best)
{
    ck_assert_int_eq(compare("a/out failed/out"), 3);
    ck_assert_ptr_nonnull(strstr(slurp("err.txt"), "B (failed/out): no configuration has "
                                                   "succeeded yet, so it has no best"));
    /* Given explicitly, its config has no successful seed to compare. */
    const char *needles[] = {"successful seeds: none", "at least 2"};
    expect_refusal("a/out failed/out --config 0 0", needles, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_compare");
    TCase *tc = tcase_create("compare");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup_sweeps, NULL);
    tcase_add_test(tc, test_compare_best_configs_paired_matches_results_json);
    tcase_add_test(tc, test_compare_given_configs_says_who_is_better_in_both_orders);
    tcase_add_test(tc, test_compare_respects_a_minimised_objective);
    tcase_add_test(tc, test_compare_different_seeds_is_welch_and_says_so);
    tcase_add_test(tc, test_compare_partly_shared_seeds_shows_paired_for_reference);
    tcase_add_test(tc, test_compare_table_shows_every_number_and_the_verdict);
    tcase_add_test(tc, test_compare_an_unfinished_config_says_so);
    tcase_add_test(tc, test_compare_refuses_different_objectives);
    tcase_add_test(tc, test_compare_refuses_fewer_than_two_seeds);
    tcase_add_test(tc, test_compare_refuses_bad_arguments);
    tcase_add_test(tc, test_compare_a_sweep_without_a_success_has_no_best);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
