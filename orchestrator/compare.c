/*
 * Comparing two sweeps. See compare.h.
 *
 * The comparison is built once, as a JSON document; the table for people is
 * printed from that document, so the two formats cannot disagree.
 */
#include "compare.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypothesis.h"
#include "journal_line.h"
#include "metric_line.h"
#include "path.h"
#include "results.h"
#include "space.h"

/* Differences within this fraction of the values' magnitude are zeros (and
 * magnitudes this close are ties) for the Wilcoxon test: in doubles,
 * 0.9 - 0.8 and 0.8 - 0.7 differ in their last bits. */
#define COMPARE_TIE_RELATIVE 1e-12

/* One successful seed of a config. */
struct seed_value {
    uint64_t seed;
    double value;
};

/* A config being compared: its record and its successful seeds, in the
 * config's seed order. */
struct side {
    const char *label;
    const char *name; /* "A" or "B" */
    const struct sweep_state *state;
    const struct config_record *config;
    struct seed_value *values; /* (n), owned */
    size_t n;
};

static json_t *number_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static int by_seed(const void *pa, const void *pb)
{
    const struct seed_value *a = pa;
    const struct seed_value *b = pb;
    return a->seed < b->seed ? -1 : a->seed > b->seed;
}

/* Finds the config to compare and collects its successful seeds. Returns
 * HP_EXIT_OK or the failure's code with `err` set. */
static enum hp_exit_code side_pick(struct side *side, int given, size_t index,
                                   struct hp_error *err)
{
    const struct sweep_state *state = side->state;
    if (given) {
        if (index >= state->config_count) {
            if (state->config_count == 0)
                hp_error_set(err, "", "option --config: %s (%s) has no configs yet",
                             side->name, side->label);
            else
                hp_error_set(
                    err, "",
                    "option --config: %s (%s) has no config %zu (it has 0 to %zu)",
                    side->name, side->label, index, state->config_count - 1);
            return HP_EXIT_USAGE;
        }
        side->config = &state->configs[index];
    } else {
        if (!state->has_best) {
            hp_error_set(err, "",
                         "%s (%s): no configuration has succeeded yet, so it has no best",
                         side->name, side->label);
            return HP_EXIT_ALL_FAILED;
        }
        side->config = &state->configs[state->best_config];
    }
    const struct config_record *config = side->config;
    side->values = malloc((config->seed_count + 1) * sizeof *side->values);
    if (!side->values) {
        hp_error_set(err, "", "out of memory");
        return HP_EXIT_RUNTIME;
    }
    side->n = 0;
    /* The same seeds the report's mean is over: ok, and a pruned config's
     * partial scores. */
    for (size_t s = 0; s < config->seed_count; s++) {
        const struct seed_record *seed = &config->seeds[s];
        if ((seed->status == SEED_OK || seed->status == SEED_PRUNED) &&
            isfinite(seed->score))
            side->values[side->n++] = (struct seed_value){seed->seed, seed->score};
    }
    return HP_EXIT_OK;
}

/* {"dir", "name", "config", "chosen", "status", "params", "n", "mean", "std",
 *  "seeds": [{"seed", "value"}]} */
static json_t *side_json(const struct side *side, int given)
{
    const struct config_record *config = side->config;
    double mean = NAN;
    double std = NAN;
    if (side->n > 0) {
        double *v = malloc(side->n * sizeof *v);
        if (v) {
            struct stats_summary summary;
            for (size_t i = 0; i < side->n; i++)
                v[i] = side->values[i].value;
            stats_summarize(v, side->n, &summary);
            mean = summary.mean;
            std = side->n > 1 ? summary.std : NAN;
            free(v);
        }
    }
    json_t *seeds = json_array();
    for (size_t i = 0; i < side->n; i++)
        json_array_append_new(seeds, json_pack("{s:I, s:o}", "seed",
                                               (json_int_t)side->values[i].seed, "value",
                                               number_or_null(side->values[i].value)));
    json_t *params = state_params(config);
    json_t *obj = json_pack(
        "{s:s, s:s, s:I, s:s, s:s, s:o, s:I, s:o, s:o, s:o}", "dir", side->label, "name",
        side->state->space->name, "config", (json_int_t)config->index, "chosen",
        given ? "given" : "best", "status",
        config->complete ? results_config_status(config) : "unfinished", "params",
        params ? params : json_null(), "n", (json_int_t)side->n, "mean",
        number_or_null(mean), "std", number_or_null(std), "seeds", seeds);
    if (obj && config->pruned && config->reached > 0)
        json_object_set_new(obj, "pruned_at", json_integer(config->reached));
    return obj;
}

static json_t *seed_list(const uint64_t *seeds, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_integer((json_int_t)seeds[i]));
    return list;
}

/* {"difference", "std_error", "ci95": [lo, hi], "t", "df", "p"} */
static json_t *t_json(const struct hypothesis_t *t)
{
    return json_pack("{s:o, s:o, s:[o, o], s:o, s:o, s:o}", "mean_difference",
                     number_or_null(t->difference), "std_error",
                     number_or_null(t->std_error), "ci95", number_or_null(t->ci_low),
                     number_or_null(t->ci_high), "t", number_or_null(t->t), "df",
                     number_or_null(t->df), "p", number_or_null(t->p));
}

static json_t *wilcoxon_json(const struct hypothesis_wilcoxon *w)
{
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:s, s:o, s:o}", "n", (json_int_t)w->n,
                     "zeros", (json_int_t)w->zeros, "tie_groups",
                     (json_int_t)w->tie_groups, "w_plus", json_real(w->w_plus), "w_minus",
                     json_real(w->w_minus), "method",
                     hypothesis_wilcoxon_method_name(w->method), "z",
                     number_or_null(w->z), "p", json_real(w->p));
}

/* The verdict: {"alpha", "test", "p", "significant", "better", "a_beats_b",
 * "text"}. `t` is the test that decides. */
static json_t *verdict_json(const struct side *a, const struct side *b, int paired,
                            const struct hypothesis_t *t,
                            const struct hypothesis_wilcoxon *w, int maximize,
                            const char *metric, int given)
{
    const char *test = paired ? "paired t-test" : "Welch t-test";
    int significant = t->p < COMPARE_ALPHA;
    int a_better = maximize ? t->difference > 0 : t->difference < 0;
    int b_better = maximize ? t->difference < 0 : t->difference > 0;
    const char *better = !significant ? NULL : a_better ? "A" : b_better ? "B" : NULL;
    char who_a[64];
    char who_b[64];
    snprintf(who_a, sizeof who_a, given ? "A's config %zu" : "A's best config (%zu)",
             a->config->index);
    snprintf(who_b, sizeof who_b, given ? "B's config %zu" : "B's best config (%zu)",
             b->config->index);
    char p_text[32];
    snprintf(p_text, sizeof p_text, "%.3g", t->p);
    char by[64] = "the same as B's on average";
    if (t->difference != 0)
        snprintf(by, sizeof by, "%s than B's by %.6g on average",
                 t->difference > 0 ? "higher" : "lower", fabs(t->difference));
    char how[256];
    snprintf(how, sizeof how, "%s is %s, 95%% CI of A - B [%.6g, %.6g]; %s is better",
             metric, by, t->ci_low, t->ci_high, maximize ? "higher" : "lower");
    char text[768];
    if (better && better[0] == 'A')
        snprintf(text, sizeof text,
                 "%s beats %s beyond seed noise (%s, p = %s < %.2g): A's %s", who_a,
                 who_b, test, p_text, COMPARE_ALPHA, how);
    else if (better)
        snprintf(
            text, sizeof text,
            "%s does not beat %s: B is better beyond seed noise (%s, p = %s < %.2g): "
            "A's %s",
            who_a, who_b, test, p_text, COMPARE_ALPHA, how);
    else
        snprintf(
            text, sizeof text,
            "%s does not beat %s beyond seed noise (%s, p = %s >= %.2g): the difference "
            "could be seed noise; A's %s",
            who_a, who_b, test, p_text, COMPARE_ALPHA, how);
    /* The rank test can disagree, most often because a few seeds cannot
     * reach 5% at all: say so rather than hide it. */
    if (paired && w && (w->p < COMPARE_ALPHA) != significant) {
        size_t used = strlen(text);
        int n =
            snprintf(text + used, sizeof text - used,
                     ". The Wilcoxon signed-rank test %s (p = %.3g)",
                     significant ? "does not confirm it" : "finds a difference", w->p);
        if (n > 0 && (size_t)n < sizeof text - used && w->method == WILCOXON_EXACT &&
            significant) {
            used += (size_t)n;
            snprintf(text + used, sizeof text - used,
                     ": with %zu seeds its p can never be below %.3g", w->n,
                     2.0 / ldexp(1.0, (int)w->n));
        }
    }
    return json_pack("{s:f, s:s, s:o, s:b, s:o, s:b, s:s}", "alpha", COMPARE_ALPHA,
                     "test", test, "p", json_real(t->p), "significant", significant,
                     "better", better ? json_string(better) : json_null(), "a_beats_b",
                     better && better[0] == 'A', "text", text);
}

/* The seeds both sides ran (with their values, paired by index), and those
 * only one side ran; each list in increasing seed order. */
struct seed_split {
    uint64_t *shared;
    size_t shared_n;
    uint64_t *only_a;
    size_t only_a_n;
    uint64_t *only_b;
    size_t only_b_n;
    double *pair_a; /* the values of the shared seeds, paired by index */
    double *pair_b;
};

static void split_free(struct seed_split *s)
{
    free(s->shared);
    free(s->only_a);
    free(s->only_b);
    free(s->pair_a);
    free(s->pair_b);
}

/* Returns 0 or -1 (out of memory). n log n: both sides sorted by seed, then
 * merged. */
static int split_seeds(const struct side *a, const struct side *b, struct seed_split *s)
{
    memset(s, 0, sizeof *s);
    struct seed_value *sa = malloc((a->n + 1) * sizeof *sa);
    struct seed_value *sb = malloc((b->n + 1) * sizeof *sb);
    s->shared = malloc((a->n + 1) * sizeof *s->shared);
    s->only_a = malloc((a->n + 1) * sizeof *s->only_a);
    s->only_b = malloc((b->n + 1) * sizeof *s->only_b);
    s->pair_a = malloc((a->n + 1) * sizeof *s->pair_a);
    s->pair_b = malloc((a->n + 1) * sizeof *s->pair_b);
    int rc = -1;
    if (!sa || !sb || !s->shared || !s->only_a || !s->only_b || !s->pair_a || !s->pair_b)
        goto out;
    memcpy(sa, a->values, a->n * sizeof *sa);
    memcpy(sb, b->values, b->n * sizeof *sb);
    qsort(sa, a->n, sizeof *sa, by_seed);
    qsort(sb, b->n, sizeof *sb, by_seed);
    size_t i = 0;
    size_t j = 0;
    while (i < a->n || j < b->n) {
        if (j == b->n || (i < a->n && sa[i].seed < sb[j].seed)) {
            s->only_a[s->only_a_n++] = sa[i++].seed;
        } else if (i == a->n || sb[j].seed < sa[i].seed) {
            s->only_b[s->only_b_n++] = sb[j++].seed;
        } else {
            s->pair_a[s->shared_n] = sa[i].value;
            s->pair_b[s->shared_n] = sb[j].value;
            s->shared[s->shared_n++] = sa[i].seed;
            i++;
            j++;
        }
    }
    rc = 0;
out:
    free(sa);
    free(sb);
    if (rc < 0)
        split_free(s);
    return rc;
}

/* "seeds 0 1 2" for messages, cut to fit. */
static void seeds_text(const struct side *side, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < side->n && used + 24 < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%" PRIu64, i ? " " : "",
                         side->values[i].seed);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (side->n == 0)
        snprintf(buf, size, "none");
}

/* The paired section: {"n", "pairs": [{"seed", "a", "b", "difference"}], the
 * t fields, "wilcoxon"}. Fills *t and *w. Returns NULL when out of memory. */
static json_t *paired_json(const struct seed_split *s, double tolerance,
                           struct hypothesis_t *t, struct hypothesis_wilcoxon *w)
{
    double *d = malloc(s->shared_n * sizeof *d);
    if (!d)
        return NULL;
    json_t *pairs = json_array();
    for (size_t i = 0; i < s->shared_n; i++) {
        d[i] = s->pair_a[i] - s->pair_b[i];
        json_array_append_new(
            pairs, json_pack("{s:I, s:o, s:o, s:o}", "seed", (json_int_t)s->shared[i],
                             "a", json_real(s->pair_a[i]), "b", json_real(s->pair_b[i]),
                             "difference", json_real(d[i])));
    }
    json_t *obj = NULL;
    if (hypothesis_paired_t(d, s->shared_n, t) == 0 &&
        hypothesis_wilcoxon(d, s->shared_n, tolerance, w) == 0) {
        obj = json_pack("{s:I, s:O}", "n", (json_int_t)s->shared_n, "pairs", pairs);
        json_t *tests = t_json(t);
        if (obj && tests) {
            json_object_update(obj, tests);
            json_object_set_new(obj, "wilcoxon", wilcoxon_json(w));
        } else {
            json_decref(obj);
            obj = NULL;
        }
        json_decref(tests);
    }
    json_decref(pairs);
    free(d);
    return obj;
}

json_t *compare_states_json(const struct sweep_state *state_a, const char *label_a,
                            const struct sweep_state *state_b, const char *label_b,
                            const struct compare_pick *pick, enum hp_exit_code *code,
                            struct hp_error *err)
{
    const struct space *sa = state_a->space;
    const struct space *sb = state_b->space;
    if (strcmp(sa->objective_metric, sb->objective_metric) != 0 ||
        sa->maximize != sb->maximize) {
        hp_error_set(
            err, "",
            "cannot compare: A (%s) optimises %s (%s) but B (%s) optimises %s (%s); "
            "compare sweeps with the same objective",
            label_a, sa->objective_metric, sa->maximize ? "max" : "min", label_b,
            sb->objective_metric, sb->maximize ? "max" : "min");
        *code = HP_EXIT_USAGE;
        return NULL;
    }
    struct side a = {label_a, "A", state_a, NULL, NULL, 0};
    struct side b = {label_b, "B", state_b, NULL, NULL, 0};
    struct seed_split split = {0};
    json_t *doc = NULL;
    *code = side_pick(&a, pick->given, pick->config_a, err);
    if (*code == HP_EXIT_OK)
        *code = side_pick(&b, pick->given, pick->config_b, err);
    if (*code != HP_EXIT_OK)
        goto out;
    if (split_seeds(&a, &b, &split) < 0) {
        hp_error_set(err, "", "out of memory");
        *code = HP_EXIT_RUNTIME;
        goto out;
    }
    int same_seeds = split.only_a_n == 0 && split.only_b_n == 0;
    if ((same_seeds && split.shared_n < 2) || (!same_seeds && (a.n < 2 || b.n < 2))) {
        char seeds_a[256];
        char seeds_b[256];
        seeds_text(&a, seeds_a, sizeof seeds_a);
        seeds_text(&b, seeds_b, sizeof seeds_b);
        hp_error_set(
            err, "",
            "cannot compare A's config %zu (%s, successful seeds: %s) with B's config "
            "%zu (%s, successful seeds: %s): a paired comparison needs at least 2 "
            "seeds that succeeded in both, an unpaired one at least 2 on each side; "
            "run more seeds (a larger \"seeds\" in space.json)",
            a.config->index, label_a, seeds_a, b.config->index, label_b, seeds_b);
        *code = HP_EXIT_USAGE;
        goto out;
    }

    double scale = 0.0;
    for (size_t i = 0; i < a.n; i++)
        scale = fmax(scale, fabs(a.values[i].value));
    for (size_t i = 0; i < b.n; i++)
        scale = fmax(scale, fabs(b.values[i].value));
    struct hypothesis_t paired_t = {0};
    struct hypothesis_wilcoxon wilcoxon = {0};
    struct hypothesis_t welch_t = {0};
    json_t *paired = NULL;
    json_t *welch = NULL;
    if (split.shared_n >= 2) {
        paired = paired_json(&split, COMPARE_TIE_RELATIVE * scale, &paired_t, &wilcoxon);
        if (!paired)
            goto oom;
    }
    if (!same_seeds) {
        double *va = malloc((a.n + 1) * sizeof *va);
        double *vb = malloc((b.n + 1) * sizeof *vb);
        int ok = va && vb;
        for (size_t i = 0; ok && i < a.n; i++)
            va[i] = a.values[i].value;
        for (size_t i = 0; ok && i < b.n; i++)
            vb[i] = b.values[i].value;
        ok = ok && hypothesis_welch_t(va, a.n, vb, b.n, &welch_t) == 0;
        free(va);
        free(vb);
        welch = ok ? t_json(&welch_t) : NULL;
        if (!welch) {
            json_decref(paired);
            goto oom;
        }
        json_object_set_new(welch, "n_a", json_integer((json_int_t)a.n));
        json_object_set_new(welch, "n_b", json_integer((json_int_t)b.n));
    }

    doc = json_object();
    json_object_set_new(doc, "objective",
                        json_pack("{s:s, s:s}", "metric", sa->objective_metric, "mode",
                                  sa->maximize ? "max" : "min"));
    json_object_set_new(doc, "a", side_json(&a, pick->given));
    json_object_set_new(doc, "b", side_json(&b, pick->given));
    json_object_set_new(doc, "test", json_string(same_seeds ? "paired" : "welch"));
    json_object_set_new(doc, "seeds",
                        json_pack("{s:o, s:o, s:o}", "shared",
                                  seed_list(split.shared, split.shared_n), "only_a",
                                  seed_list(split.only_a, split.only_a_n), "only_b",
                                  seed_list(split.only_b, split.only_b_n)));
    json_object_set_new(doc, "paired", paired ? paired : json_null());
    json_object_set_new(doc, "welch", welch ? welch : json_null());
    json_object_set_new(doc, "verdict",
                        verdict_json(&a, &b, same_seeds,
                                     same_seeds ? &paired_t : &welch_t,
                                     paired ? &wilcoxon : NULL, sa->maximize,
                                     sa->objective_metric, pick->given));
    json_t *notes = json_array();
    if (sa->score != sb->score)
        json_array_append_new(
            notes, json_sprintf("A scores each trial by its %s value, B by its %s: the "
                                "numbers are not measured the same way",
                                sa->score == SCORE_LAST ? "last" : "best",
                                sb->score == SCORE_LAST ? "last" : "best"));
    if (paired && !same_seeds &&
        (paired_t.p < COMPARE_ALPHA) != (welch_t.p < COMPARE_ALPHA))
        json_array_append_new(
            notes,
            json_sprintf("on the %zu seeds both ran, the paired t-test %s (p = %.3g): "
                         "part of the unpaired difference may be which seeds each side "
                         "ran; the same seeds on both sides settle it",
                         split.shared_n,
                         paired_t.p < COMPARE_ALPHA ? "finds a difference" : "finds none",
                         paired_t.p));
    const struct side *sides[] = {&a, &b};
    for (size_t i = 0; i < 2; i++) {
        const struct config_record *config = sides[i]->config;
        if (!config->complete)
            json_array_append_new(
                notes, json_sprintf("%s's config %zu has not finished: only %zu of its "
                                    "%zu seeds have",
                                    sides[i]->name, config->index, config->finished,
                                    config->seed_count));
    }
    if (a.config->pruned || b.config->pruned)
        json_array_append_new(notes, json_string("a pruned config's values are partial "
                                                 "scores, from before its full budget"));
    json_object_set_new(doc, "notes", notes);
    goto out;
oom:
    hp_error_set(err, "", "out of memory");
    *code = HP_EXIT_RUNTIME;
out:
    split_free(&split);
    free(a.values);
    free(b.values);
    return doc;
}

/* Loads one sweep: space.json and the replayed journal. Returns HP_EXIT_OK
 * or the failure's code with `err` set; on failure nothing is left held. */
static enum hp_exit_code load_sweep(const char *label, const char *name, char **dir,
                                    struct space *space, struct sweep_state *state,
                                    struct hp_error *err)
{
    char path[HP_PATH_MAX];
    char cwd[HP_PATH_MAX];
    if (label[0] != '/' && !getcwd(cwd, sizeof cwd)) {
        hp_error_set(err, "", "cannot read the current directory: %s", strerror(errno));
        return HP_EXIT_RUNTIME;
    }
    if (hp_path_join(path, sizeof path, err, label[0] == '/' ? "" : cwd, label, NULL) < 0)
        return HP_EXIT_USAGE;
    *dir = strdup(path);
    if (!*dir) {
        hp_error_set(err, "", "out of memory");
        return HP_EXIT_RUNTIME;
    }
    if (hp_path_join(path, sizeof path, err, *dir, "journal.jsonl", NULL) < 0 ||
        access(path, F_OK) != 0) {
        hp_error_init(err);
        hp_error_set(err, "", "%s (%s): not a sweep directory (no journal.jsonl)", name,
                     label);
        free(*dir);
        *dir = NULL;
        return HP_EXIT_USAGE;
    }
    if (hp_path_join(path, sizeof path, err, *dir, "space.json", NULL) < 0 ||
        space_load(path, space, err) < 0) {
        space_free(space);
        free(*dir);
        *dir = NULL;
        return HP_EXIT_USAGE;
    }
    hp_error_init(err);
    if (state_init(state, space, *dir, err) < 0) {
        state_free(state);
        space_free(space);
        free(*dir);
        *dir = NULL;
        return HP_EXIT_RUNTIME;
    }
    int rc = state_replay(state, *dir, NULL, err);
    if (rc < 0) {
        state_free(state);
        space_free(space);
        free(*dir);
        *dir = NULL;
        return rc == JOURNAL_LINE_UNREADABLE ? HP_EXIT_JOURNAL : HP_EXIT_RUNTIME;
    }
    return HP_EXIT_OK;
}

json_t *compare_sweeps_json(const char *dir_a, const char *dir_b,
                            const struct compare_pick *pick, enum hp_exit_code *code,
                            struct hp_error *err)
{
    struct space space_a;
    struct space space_b;
    struct sweep_state state_a;
    struct sweep_state state_b;
    char *abs_a = NULL;
    char *abs_b = NULL;
    *code = load_sweep(dir_a, "A", &abs_a, &space_a, &state_a, err);
    if (*code != HP_EXIT_OK)
        return NULL;
    *code = load_sweep(dir_b, "B", &abs_b, &space_b, &state_b, err);
    json_t *doc = NULL;
    if (*code == HP_EXIT_OK) {
        doc = compare_states_json(&state_a, dir_a, &state_b, dir_b, pick, code, err);
        state_free(&state_b);
        space_free(&space_b);
        free(abs_b);
    }
    state_free(&state_a);
    space_free(&space_a);
    free(abs_a);
    return doc;
}

/* A number from the document for people: %.6g, "-" for null. */
static const char *num(const json_t *value, char *buf, size_t size)
{
    if (json_is_number(value))
        snprintf(buf, size, "%.6g", json_number_value(value));
    else
        snprintf(buf, size, "-");
    return buf;
}

static void print_side(FILE *out, const char *name, const json_t *side)
{
    char mean[32];
    char std[32];
    char params[512] = "";
    const char *key;
    json_t *value;
    size_t used = 0;
    json_object_foreach(json_object_get(side, "params"), key, value)
    {
        char text[128];
        if (json_is_string(value))
            snprintf(text, sizeof text, "%s", json_string_value(value));
        else if (json_is_number(value))
            hp_format_number(text, sizeof text, json_number_value(value));
        else
            snprintf(text, sizeof text, "%s",
                     json_is_true(value)    ? "true"
                     : json_is_false(value) ? "false"
                                            : "null");
        int n = snprintf(params + used, sizeof params - used, "%s%s=%s", used ? " " : "",
                         key, text);
        if (n < 0 || (size_t)n >= sizeof params - used)
            break;
        used += (size_t)n;
    }
    fprintf(out,
            "%s: %s, %s config %" JSON_INTEGER_FORMAT
            ": mean %s, std %s, n %" JSON_INTEGER_FORMAT "\n   %s\n",
            name, json_string_value(json_object_get(side, "dir")),
            strcmp(json_string_value(json_object_get(side, "chosen")), "best") == 0
                ? "best"
                : "given",
            json_integer_value(json_object_get(side, "config")),
            num(json_object_get(side, "mean"), mean, sizeof mean),
            num(json_object_get(side, "std"), std, sizeof std),
            json_integer_value(json_object_get(side, "n")), params);
}

static void print_seed_list(FILE *out, const json_t *list)
{
    size_t i;
    json_t *seed;
    if (json_array_size(list) == 0)
        fputs(" none", out);
    json_array_foreach(list, i, seed)
        fprintf(out, " %" JSON_INTEGER_FORMAT, json_integer_value(seed));
}

static void print_t(FILE *out, const char *title, const json_t *t)
{
    char diff[32], lo[32], hi[32], tv[32], df[32], p[32], se[32];
    const json_t *ci = json_object_get(t, "ci95");
    fprintf(out, "  mean difference A - B: %s, 95%% CI [%s, %s] (std error %s)\n",
            num(json_object_get(t, "mean_difference"), diff, sizeof diff),
            num(json_array_get(ci, 0), lo, sizeof lo),
            num(json_array_get(ci, 1), hi, sizeof hi),
            num(json_object_get(t, "std_error"), se, sizeof se));
    fprintf(out, "  %s: t = %s, df = %s, p = %s\n", title,
            num(json_object_get(t, "t"), tv, sizeof tv),
            num(json_object_get(t, "df"), df, sizeof df),
            num(json_object_get(t, "p"), p, sizeof p));
}

static void print_table(FILE *out, const json_t *doc)
{
    const json_t *objective = json_object_get(doc, "objective");
    fprintf(out, "objective: %s (%s)\n",
            json_string_value(json_object_get(objective, "metric")),
            json_string_value(json_object_get(objective, "mode")));
    print_side(out, "A", json_object_get(doc, "a"));
    print_side(out, "B", json_object_get(doc, "b"));
    const json_t *seeds = json_object_get(doc, "seeds");
    const json_t *paired = json_object_get(doc, "paired");
    const json_t *welch = json_object_get(doc, "welch");
    if (json_is_object(welch)) {
        fprintf(out, "\nunpaired (Welch): the seeds differ; A only:");
        print_seed_list(out, json_object_get(seeds, "only_a"));
        fprintf(out, ", B only:");
        print_seed_list(out, json_object_get(seeds, "only_b"));
        fprintf(out, ", shared:");
        print_seed_list(out, json_object_get(seeds, "shared"));
        fputc('\n', out);
        print_t(out, "Welch t-test", welch);
    }
    if (json_is_object(paired)) {
        fprintf(out, "\npaired over the %" JSON_INTEGER_FORMAT " seeds both ran%s:\n",
                json_integer_value(json_object_get(paired, "n")),
                json_is_object(welch) ? " (for reference: the verdict is Welch's)" : "");
        fprintf(out, "  %8s %12s %12s %12s\n", "seed", "A", "B", "A - B");
        size_t i;
        json_t *pair;
        json_array_foreach(json_object_get(paired, "pairs"), i, pair)
        {
            char va[32], vb[32], vd[32];
            fprintf(out, "  %8" JSON_INTEGER_FORMAT " %12s %12s %12s\n",
                    json_integer_value(json_object_get(pair, "seed")),
                    num(json_object_get(pair, "a"), va, sizeof va),
                    num(json_object_get(pair, "b"), vb, sizeof vb),
                    num(json_object_get(pair, "difference"), vd, sizeof vd));
        }
        print_t(out, "paired t-test", paired);
        const json_t *w = json_object_get(paired, "wilcoxon");
        const char *method = json_string_value(json_object_get(w, "method"));
        char wp[32], wm[32], p[32], z[32];
        fprintf(out,
                "  Wilcoxon signed-rank: W+ = %s, W- = %s, n = %" JSON_INTEGER_FORMAT,
                num(json_object_get(w, "w_plus"), wp, sizeof wp),
                num(json_object_get(w, "w_minus"), wm, sizeof wm),
                json_integer_value(json_object_get(w, "n")));
        json_int_t zeros = json_integer_value(json_object_get(w, "zeros"));
        if (zeros)
            fprintf(out, " (%" JSON_INTEGER_FORMAT " zero difference%s dropped)", zeros,
                    zeros == 1 ? "" : "s");
        fprintf(out, ", p = %s (%s", num(json_object_get(w, "p"), p, sizeof p), method);
        if (strcmp(method, "normal") == 0) {
            json_int_t ties = json_integer_value(json_object_get(w, "tie_groups"));
            fprintf(out, " approximation, z = %s, %" JSON_INTEGER_FORMAT " tie group%s",
                    num(json_object_get(w, "z"), z, sizeof z), ties,
                    ties == 1 ? "" : "s");
        } else if (strcmp(method, "none") == 0)
            fprintf(out, ": every difference is zero");
        fprintf(out, ")\n");
    }
    size_t i;
    json_t *note;
    json_array_foreach(json_object_get(doc, "notes"), i, note)
        fprintf(out, "note: %s\n", json_string_value(note));
    fprintf(out, "\nverdict: %s.\n",
            json_string_value(json_object_get(json_object_get(doc, "verdict"), "text")));
}

enum hp_exit_code compare_print(const char *dir_a, const char *dir_b,
                                const struct compare_pick *pick,
                                enum compare_format format, FILE *out,
                                struct hp_error *err)
{
    enum hp_exit_code code;
    json_t *doc = compare_sweeps_json(dir_a, dir_b, pick, &code, err);
    if (!doc)
        return code;
    if (format == COMPARE_JSON) {
        char *text = hp_json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fprintf(out, "%s\n", text ? text : "null");
        free(text);
    } else {
        print_table(out, doc);
    }
    json_decref(doc);
    return HP_EXIT_OK;
}
