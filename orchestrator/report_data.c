/*
 * The HTML report's data. See report_data.h.
 */
#include "report_data.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "journal_line.h"
#include "state.h"
#include "trial.h"

/* One metric value of a curve point, in the scan's shared pool. */
struct pooled_value {
    unsigned short metric; /* index into scan.metrics */
    double value;
};

/* One metric line of a trial: its step and its values in the pool. */
struct point {
    long step;
    size_t first; /* into scan.pool */
    unsigned short count;
};

/* Everything a trial reported in its current line of attempts. */
struct curve {
    struct point *points;
    size_t count;
    size_t cap;
    int grad; /* worst gradient flag seen: 0 none, 1 ok, 2 vanishing,
                 3 exploding */
};

struct scan {
    const struct space *space;
    const struct sweep_state *state;
    size_t *trial_offset; /* (config_count + 1): first trial of each config */
    struct curve *curves; /* one per trial */
    size_t trial_count;
    char *metrics[REPORT_DATA_MAX_METRICS]; /* owned */
    size_t metric_count;
    struct pooled_value *pool;
    size_t pool_count;
    size_t pool_cap;
    json_t *history_score;
    json_t *history_units;
    json_t *history_sec;
    json_t *decisions;
};

/* A finite number as JSON, else null. */
static json_t *number_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

/* The trial of (config, seed value), or SIZE_MAX when the state has none. */
static size_t find_trial(const struct scan *scan, const json_t *record)
{
    json_t *c = json_object_get(record, "config");
    json_t *s = json_object_get(record, "seed");
    if (!json_is_integer(c) || !json_is_integer(s))
        return SIZE_MAX;
    json_int_t config = json_integer_value(c);
    if (config < 0 || (size_t)config >= scan->state->config_count)
        return SIZE_MAX;
    const struct config_record *record_config = &scan->state->configs[config];
    for (size_t i = 0; i < record_config->seed_count; i++)
        if (record_config->seeds[i].seed == (uint64_t)json_integer_value(s))
            return scan->trial_offset[config] + i;
    return SIZE_MAX;
}

/* The metric's index, adding it when there is room; -1 when there is not. */
static int metric_index(struct scan *scan, const char *name)
{
    for (size_t i = 0; i < scan->metric_count; i++)
        if (strcmp(scan->metrics[i], name) == 0)
            return (int)i;
    if (scan->metric_count == REPORT_DATA_MAX_METRICS)
        return -1;
    char *copy = strdup(name);
    if (!copy)
        return -1;
    scan->metrics[scan->metric_count] = copy;
    return (int)scan->metric_count++;
}

static int grad_rank(const char *flag)
{
    if (strcmp(flag, "exploding") == 0)
        return 3;
    if (strcmp(flag, "vanishing") == 0)
        return 2;
    return 1;
}

/* A metric line of a trial: a point of its curve when it has the resource
 * or any number; the final line and checkpoint lines are not points. */
static int scan_report(struct scan *scan, size_t trial, const json_t *line)
{
    if (!json_is_object(line) || json_object_get(line, "final") ||
        json_object_get(line, "checkpoint"))
        return 0;
    struct curve *curve = &scan->curves[trial];
    const char *resource =
        scan->space->resource_key ? scan->space->resource_key : "epoch";
    json_t *step_value = json_object_get(line, resource);
    long step = json_is_number(step_value) ? (long)json_number_value(step_value)
                : curve->count             ? curve->points[curve->count - 1].step + 1
                                           : 1;
    struct point point = {step, scan->pool_count, 0};
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)line, key, value)
    {
        if (strcmp(key, "grad_flag") == 0 && json_is_string(value)) {
            int rank = grad_rank(json_string_value(value));
            if (rank > curve->grad)
                curve->grad = rank;
            continue;
        }
        /* Timings differ between identical runs: not a curve. */
        if (!json_is_number(value) || strcmp(key, resource) == 0 ||
            strcmp(key, "seconds") == 0)
            continue;
        int metric = metric_index(scan, key);
        if (metric < 0)
            continue;
        struct pooled_value *pool =
            hp_grow(scan->pool, &scan->pool_cap, scan->pool_count + 1, sizeof *pool);
        if (!pool)
            return -1;
        scan->pool = pool;
        scan->pool[scan->pool_count++] =
            (struct pooled_value){(unsigned short)metric, json_number_value(value)};
        point.count++;
    }
    if (point.count == 0)
        return 0;
    struct point *points =
        hp_grow(curve->points, &curve->cap, curve->count + 1, sizeof *points);
    if (!points)
        return -1;
    curve->points = points;
    curve->points[curve->count++] = point;
    return 0;
}

static int scan_end(struct scan *scan, const json_t *record)
{
    const char *status = json_string_value(json_object_get(record, "status"));
    if (!status || strcmp(status, "interrupted") == 0)
        return 0;
    json_t *score = json_object_get(record, "score");
    double value = strcmp(status, "failed") != 0 && json_is_number(score)
                       ? json_number_value(score)
                       : NAN;
    double units = json_number_value(json_object_get(record, "units"));
    double seconds = json_number_value(json_object_get(record, "seconds"));
    if (json_array_append_new(scan->history_score, number_or_null(value)) < 0 ||
        json_array_append_new(scan->history_units, json_integer((json_int_t)units)) < 0 ||
        json_array_append_new(scan->history_sec, number_or_null(seconds)) < 0)
        return -1;
    return 0;
}

static int scan_decide(struct scan *scan, const json_t *record)
{
    json_t *decision = json_object();
    if (!decision)
        return -1;
    static const char *const keys[] = {"config", "action", "at", "budget"};
    static const char *const names[] = {"c", "action", "at", "budget"};
    for (size_t i = 0; i < 4; i++) {
        json_t *value = json_object_get(record, keys[i]);
        if (value)
            json_object_set(decision, names[i], value);
    }
    return json_array_append_new(scan->decisions, decision);
}

static int scan_record(struct scan *scan, const json_t *record)
{
    const char *event = json_string_value(json_object_get(record, "event"));
    if (!event)
        return 0;
    if (strcmp(event, "decide") == 0)
        return scan_decide(scan, record);
    if (strcmp(event, "end") == 0)
        return scan_end(scan, record);
    size_t trial = find_trial(scan, record);
    if (trial == SIZE_MAX)
        return 0;
    if (strcmp(event, "start") == 0) {
        /* A run from scratch starts the curve again; a run continued from a
         * checkpoint continues it. */
        json_t *from = json_object_get(record, "resume_from");
        if (!from || json_is_null(from)) {
            scan->curves[trial].count = 0;
            scan->curves[trial].grad = 0;
        }
        return 0;
    }
    if (strcmp(event, "report") == 0)
        return scan_report(scan, trial, json_object_get(record, "line"));
    return 0;
}

static int scan_journal(struct scan *scan, const char *dir, struct hp_error *err)
{
    struct journal_line_reader reader;
    int rc = journal_line_open(&reader, dir, err);
    if (rc < 0)
        return rc;
    while ((rc = journal_line_next(&reader, err)) == 1) {
        json_t *record = json_loadb(reader.line, reader.len, 0, NULL);
        if (!record)
            continue; /* replay read the same lines: it would have said */
        rc = scan_record(scan, record);
        json_decref(record);
        if (rc < 0) {
            hp_error_set(err, "", "out of memory while reading %s", reader.path);
            break;
        }
    }
    journal_line_close(&reader);
    return rc;
}

/* The value of `metric` at point p of the curve, or NaN. */
static double point_value(const struct scan *scan, const struct point *p, size_t metric)
{
    for (size_t i = 0; i < p->count; i++)
        if (scan->pool[p->first + i].metric == metric)
            return scan->pool[p->first + i].value;
    return NAN;
}

size_t report_data_downsample(size_t n, size_t cap, size_t best, size_t *keep)
{
    if (cap < 3)
        cap = 3;
    size_t count = 0;
    if (n <= cap) {
        for (size_t i = 0; i < n; i++)
            keep[count++] = i;
        return count;
    }
    for (size_t j = 0; j < cap; j++) {
        size_t i = (size_t)llround((double)j * (double)(n - 1) / (double)(cap - 1));
        if (count == 0 || keep[count - 1] != i)
            keep[count++] = i;
    }
    if (best >= n)
        return count;
    /* The best point is kept where it falls, unless it is already. */
    size_t at = 0;
    while (at < count && keep[at] < best)
        at++;
    if (at < count && keep[at] == best)
        return count;
    memmove(keep + at + 1, keep + at, (count - at) * sizeof *keep);
    keep[at] = best;
    return count + 1;
}

double report_data_epsilon_squared(const double *y, const size_t *group, size_t n,
                                   size_t groups)
{
    if (groups < 2 || n == 0)
        return NAN;
    double *sum = calloc(groups, sizeof *sum);
    size_t *count = calloc(groups, sizeof *count);
    double result = NAN;
    if (!sum || !count)
        goto out;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        sum[group[i]] += y[i];
        count[group[i]]++;
        total += y[i];
    }
    double mean = total / (double)n;
    double ss_total = 0;
    for (size_t i = 0; i < n; i++)
        ss_total += (y[i] - mean) * (y[i] - mean);
    double ss_between = 0;
    size_t k = 0;
    for (size_t g = 0; g < groups; g++) {
        if (!count[g])
            continue;
        double d = sum[g] / (double)count[g] - mean;
        ss_between += (double)count[g] * d * d;
        k++;
    }
    if (k < 2 || n <= k || !(ss_total > 0))
        goto out;
    double ms_within = (ss_total - ss_between) / (double)(n - k);
    if (ms_within < 0)
        ms_within = 0;
    result = (ss_between - (double)(k - 1) * ms_within) / (ss_total + ms_within);
    result = result < 0 ? 0 : result > 1 ? 1 : result;
out:
    free(sum);
    free(count);
    return result;
}

/* Configs whose mean is comparable: complete, at the full budget, with a
 * value. */
static int comparable(const struct config_record *config)
{
    return config->complete && !config->pruned && config->summary.n > 0 &&
           isfinite(config->summary.mean);
}

struct ranked_value {
    double value;
    size_t config;
};

static int compare_ranked(const void *pa, const void *pb)
{
    const struct ranked_value *a = pa;
    const struct ranked_value *b = pb;
    if (a->value != b->value)
        return a->value < b->value ? -1 : 1;
    return a->config < b->config ? -1 : (a->config > b->config);
}

/* Groups the comparable configs by one param: by value for a choice or for
 * at most five distinct numbers, else into bins of equal count by rank
 * (five, or fewer so that a bin holds about three configs; the same bins
 * on a log or a linear scale). Returns the number of
 * groups, 0 when the param cannot be grouped. */
static size_t group_param(const struct sweep_state *state, size_t param,
                          const size_t *configs, size_t n, size_t *group)
{
    const struct param_spec *spec = &state->space->params.params[param];
    json_t **values = calloc(n, sizeof *values);
    struct ranked_value *ranked = calloc(n, sizeof *ranked);
    size_t groups = 0;
    if (!values || !ranked)
        goto out;
    int numeric = spec->kind != PARAM_CHOICE;
    for (size_t i = 0; i < n; i++) {
        json_t *params = state_params(&state->configs[configs[i]]);
        values[i] = json_incref(json_object_get(params, spec->name));
        json_decref(params);
        if (!json_is_number(values[i]))
            numeric = 0;
    }
    /* Distinct values, by JSON equality, up to a few. */
    json_t *distinct[6];
    size_t distinct_count = 0;
    for (size_t i = 0; i < n && distinct_count <= 5; i++) {
        size_t d = 0;
        while (d < distinct_count && !json_equal(distinct[d], values[i]))
            d++;
        if (d == distinct_count)
            distinct[distinct_count++] = values[i];
        group[i] = d;
    }
    if (distinct_count <= 5 || !numeric) {
        if (distinct_count > 5) {
            /* A choice with many values: every value a group. */
            distinct_count = 0;
            for (size_t i = 0; i < n; i++) {
                size_t d = 0;
                while (d < i && !json_equal(values[d], values[i]))
                    d++;
                group[i] = d == i ? distinct_count++ : group[d];
            }
        }
        groups = distinct_count;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        ranked[i] = (struct ranked_value){json_number_value(values[i]), i};
    qsort(ranked, n, sizeof *ranked, compare_ranked);
    /* Five bins, or fewer so that each holds about three configs. */
    groups = n / 3 < 2 ? 2 : n / 3 > 5 ? 5 : n / 3;
    for (size_t r = 0; r < n; r++)
        group[ranked[r].config] = r * groups / n;
out:
    for (size_t i = 0; values && i < n; i++)
        json_decref(values[i]);
    free(values);
    free(ranked);
    return groups;
}

static json_t *importance_json(const struct sweep_state *state)
{
    json_t *list = json_array();
    size_t count = state->config_count;
    size_t *configs = malloc((count + 1) * sizeof *configs);
    size_t *group = malloc((count + 1) * sizeof *group);
    double *y = malloc((count + 1) * sizeof *y);
    if (!list || !configs || !group || !y)
        goto out;
    size_t n = 0;
    for (size_t c = 0; c < count; c++)
        if (comparable(&state->configs[c])) {
            y[n] = state->configs[c].summary.mean;
            configs[n++] = c;
        }
    const struct search_space *params = &state->space->params;
    for (size_t p = 0; p < params->count; p++) {
        if (params->params[p].kind == PARAM_CONSTANT)
            continue;
        size_t groups = n ? group_param(state, p, configs, n, group) : 0;
        double eps2 = groups ? report_data_epsilon_squared(y, group, n, groups) : NAN;
        json_array_append_new(list, json_pack("{s:s, s:o, s:I, s:I}", "name",
                                              params->params[p].name, "eps2",
                                              number_or_null(eps2), "groups",
                                              (json_int_t)groups, "n", (json_int_t)n));
    }
out:
    free(configs);
    free(group);
    free(y);
    return list;
}

static const char *param_kind_name(const struct param_spec *spec)
{
    switch (spec->kind) {
    case PARAM_CONSTANT:
        return "constant";
    case PARAM_CHOICE:
        return "choice";
    default:
        return spec->log ? "log" : "linear";
    }
}

static json_t *params_json(const struct space *space)
{
    json_t *list = json_array();
    for (size_t p = 0; list && p < space->params.count; p++) {
        const struct param_spec *spec = &space->params.params[p];
        json_t *entry = json_pack("{s:s, s:s, s:b}", "name", spec->name, "kind",
                                  param_kind_name(spec), "int", spec->kind == PARAM_INT);
        if (entry && spec->kind == PARAM_CHOICE)
            json_object_set(entry, "values", spec->values);
        json_array_append_new(list, entry);
    }
    return list;
}

static const char *config_status(const struct config_record *config)
{
    if (config->pruned)
        return "pruned";
    if (config->complete)
        return config->summary.n > 0 ? "ok" : "failed";
    for (size_t s = 0; s < config->seed_count; s++)
        if (config->seeds[s].status != SEED_PENDING)
            return "running";
    return "pending";
}

static json_t *configs_json(const struct sweep_state *state)
{
    json_t *list = json_array();
    size_t *order = malloc((state->config_count + 1) * sizeof *order);
    size_t *rank = calloc(state->config_count + 1, sizeof *rank);
    if (!list || !order || !rank) {
        json_decref(list);
        list = NULL;
        goto out;
    }
    size_t ranked =
        state_rank(state->configs, state->config_count, state->space->maximize, order);
    for (size_t r = 0; r < ranked; r++)
        rank[order[r]] = r + 1;
    const struct search_space *space = &state->space->params;
    for (size_t c = 0; c < state->config_count; c++) {
        const struct config_record *config = &state->configs[c];
        json_t *params = state_params(config);
        json_t *values = json_array();
        for (size_t p = 0; p < space->count; p++) {
            json_t *value = json_object_get(params, space->params[p].name);
            json_array_append(values, value ? value : json_null());
        }
        json_decref(params);
        const struct stats_summary *s = &config->summary;
        int summarised = config->complete && s->n > 0;
        json_t *entry = json_pack(
            "{s:o, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "p", values, "status",
            config_status(config), "n", (json_int_t)(config->complete ? s->n : 0),
            "failed", (json_int_t)config->failed, "mean",
            summarised ? number_or_null(s->mean) : json_null(), "std",
            summarised ? number_or_null(s->std) : json_null(), "lo",
            summarised ? number_or_null(s->ci_low) : json_null(), "hi",
            summarised ? number_or_null(s->ci_high) : json_null(), "rank",
            rank[c] ? json_integer((json_int_t)rank[c]) : json_null());
        if (entry && (config->settled || config->pruned))
            json_object_set_new(entry, "reached", json_integer(config->reached));
        if (entry && config->has_source) {
            json_object_set_new(entry, "source",
                                json_integer((json_int_t)config->source));
            json_object_set_new(entry, "exploited", json_boolean(config->exploited));
        }
        json_array_append_new(list, entry);
    }
out:
    free(order);
    free(rank);
    return list;
}

/* The objective's score of a curve by step `at` (by the score rule), or NaN. */
static double score_by(const struct scan *scan, const struct curve *curve, long at)
{
    double score = NAN;
    for (size_t i = 0; i < curve->count && curve->points[i].step <= at; i++) {
        double v = point_value(scan, &curve->points[i], 0);
        if (!isfinite(v))
            continue;
        if (scan->space->score == SCORE_LAST || !isfinite(score) ||
            state_better(v, score, scan->space->maximize))
            score = v;
    }
    return score;
}

static void decision_values(const struct scan *scan)
{
    size_t i;
    json_t *decision;
    json_array_foreach(scan->decisions, i, decision)
    {
        json_t *c = json_object_get(decision, "c");
        json_t *at = json_object_get(decision, "at");
        if (!json_is_integer(c) || !json_is_number(at) || json_integer_value(c) < 0 ||
            (size_t)json_integer_value(c) >= scan->state->config_count)
            continue;
        size_t config = (size_t)json_integer_value(c);
        double sum = 0;
        size_t n = 0;
        for (size_t s = 0; s < scan->state->configs[config].seed_count; s++) {
            double v = score_by(scan, &scan->curves[scan->trial_offset[config] + s],
                                (long)json_number_value(at));
            if (isfinite(v)) {
                sum += v;
                n++;
            }
        }
        json_object_set_new(decision, "value",
                            n ? number_or_null(sum / (double)n) : json_null());
    }
}

static const char *grad_name(int rank)
{
    static const char *const names[] = {NULL, "ok", "vanishing", "exploding"};
    return names[rank];
}

static void copy_string(json_t *to, const char *key, const json_t *from,
                        const char *from_key)
{
    json_t *value = json_object_get(from, from_key);
    if (json_is_string(value))
        json_object_set(to, key, value);
}

/* The trial's curve, downsampled: x (steps) and y (per metric, null where a
 * point lacks it). */
static int curve_json(const struct scan *scan, const struct curve *curve, size_t cap,
                      json_t *entry)
{
    size_t best = SIZE_MAX;
    double best_value = NAN;
    for (size_t i = 0; i < curve->count; i++) {
        double v = point_value(scan, &curve->points[i], 0);
        if (isfinite(v) && (!isfinite(best_value) ||
                            state_better(v, best_value, scan->space->maximize))) {
            best_value = v;
            best = i;
        }
    }
    size_t *keep = malloc((cap + 2) * sizeof *keep);
    if (!keep)
        return -1;
    size_t kept = report_data_downsample(curve->count, cap, best, keep);
    json_t *x = json_array();
    json_t *y = json_object();
    for (size_t m = 0; m < scan->metric_count; m++) {
        json_t *values = json_array();
        int any = 0;
        for (size_t k = 0; k < kept; k++) {
            double v = point_value(scan, &curve->points[keep[k]], m);
            any |= isfinite(v);
            json_array_append_new(values, number_or_null(v));
        }
        if (any)
            json_object_set_new(y, scan->metrics[m], values);
        else
            json_decref(values);
    }
    for (size_t k = 0; k < kept; k++)
        json_array_append_new(x, json_integer(curve->points[keep[k]].step));
    free(keep);
    json_object_set_new(entry, "x", x);
    json_object_set_new(entry, "y", y);
    return 0;
}

static json_t *trials_json(const struct scan *scan, size_t cap)
{
    json_t *list = json_array();
    const struct sweep_state *state = scan->state;
    for (size_t c = 0; list && c < state->config_count; c++) {
        const struct config_record *config = &state->configs[c];
        for (size_t s = 0; s < config->seed_count; s++) {
            const struct seed_record *seed = &config->seeds[s];
            const struct curve *curve = &scan->curves[scan->trial_offset[c] + s];
            if (seed->status == SEED_PENDING && curve->count == 0)
                continue;
            json_t *entry = json_pack(
                "{s:I, s:I, s:s}", "c", (json_int_t)c, "s", (json_int_t)seed->seed,
                "status", state_seed_status_name((enum seed_status)seed->status));
            if (!entry || curve_json(scan, curve, cap, entry) < 0) {
                json_decref(entry);
                json_decref(list);
                return NULL;
            }
            if (seed->status == SEED_OK || seed->status == SEED_PRUNED ||
                seed->status == SEED_PAUSED)
                json_object_set_new(entry, "score", number_or_null(seed->score));
            if (seed->status != SEED_PENDING && seed->status != SEED_RUNNING)
                json_object_set_new(entry, "sec", number_or_null(seed->seconds));
            if (seed->status == SEED_FAILED) {
                json_object_set_new(entry, "failure",
                                    json_string(trial_failure_name(seed->failure)));
                if (seed->reason)
                    json_object_set_new(entry, "reason", json_string(seed->reason));
            }
            if (curve->grad)
                json_object_set_new(entry, "grad", json_string(grad_name(curve->grad)));
            if (seed->final_line) {
                copy_string(entry, "fit", seed->final_line, "fit");
                copy_string(entry, "fit_reason", seed->final_line, "fit_reason");
                copy_string(entry, "stopped", seed->final_line, "stopped");
            }
            json_array_append_new(list, entry);
        }
    }
    return list;
}

static const char *sweep_state_name(const struct sweep_state *state)
{
    if (state->ended)
        return state->end_complete ? "finished" : "stopped";
    return "running";
}

static json_t *document_json(struct scan *scan)
{
    const struct sweep_state *state = scan->state;
    const struct space *space = scan->space;
    /* Each trial's share of the number budget, in points of 1 + metrics. */
    size_t per_point = 1 + (scan->metric_count ? scan->metric_count : 1);
    size_t cap = scan->trial_count
                     ? REPORT_DATA_NUMBER_BUDGET / (scan->trial_count * per_point)
                     : REPORT_DATA_MAX_POINTS;
    cap = cap < REPORT_DATA_MIN_POINTS   ? REPORT_DATA_MIN_POINTS
          : cap > REPORT_DATA_MAX_POINTS ? REPORT_DATA_MAX_POINTS
                                         : cap;
    decision_values(scan);
    json_t *metrics = json_array();
    for (size_t m = 0; m < scan->metric_count; m++)
        json_array_append_new(metrics, json_string(scan->metrics[m]));
    json_t *doc = json_pack(
        "{s:i, s:s, s:s, s:b, s:s, s:s, s:s, s:s?, s:s, s:I, s:o, s:o, s:o}", "version",
        1, "name", space->name, "metric", space->objective_metric, "maximize",
        space->maximize, "resource", space->resource_key ? space->resource_key : "epoch",
        "score_rule", space->score == SCORE_LAST ? "last" : "best", "strategy",
        space->strategy->name, "scheduler",
        space->scheduler ? space->scheduler->name : NULL, "state",
        sweep_state_name(state), "points_per_trial", (json_int_t)cap, "params",
        params_json(space), "metrics", metrics, "configs", configs_json(state));
    if (!doc)
        return NULL;
    json_object_set_new(doc, "counts",
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:I}", "planned",
                                  (json_int_t)state->trials_planned, "ok",
                                  (json_int_t)state->trials_ok, "failed",
                                  (json_int_t)state->trials_failed, "pruned",
                                  (json_int_t)state->trials_pruned, "running",
                                  (json_int_t)state->trials_running, "trainer_seconds",
                                  number_or_null(state->trainer_seconds), "units",
                                  (json_int_t)state->resource_units));
    json_object_set_new(doc, "best",
                        state->has_best ? json_integer((json_int_t)state->best_config)
                                        : json_null());
    json_t *trials = trials_json(scan, cap);
    if (!trials) {
        json_decref(doc);
        return NULL;
    }
    json_object_set_new(doc, "trials", trials);
    json_object_set_new(doc, "history",
                        json_pack("{s:O, s:O, s:O}", "score", scan->history_score,
                                  "units", scan->history_units, "sec",
                                  scan->history_sec));
    json_object_set(doc, "decisions", scan->decisions);
    json_object_set_new(doc, "importance", importance_json(state));
    return doc;
}

int report_data_build(const struct space *space, const char *dir, json_t **out,
                      struct hp_error *err)
{
    *out = NULL;
    struct sweep_state state;
    if (state_init(&state, space, dir, err) < 0)
        return -1;
    struct scan scan = {.space = space, .state = &state};
    int rc = state_replay(&state, dir, NULL, err);
    if (rc < 0)
        goto out;
    rc = -1;
    scan.trial_offset = malloc((state.config_count + 1) * sizeof *scan.trial_offset);
    if (!scan.trial_offset)
        goto oom;
    for (size_t c = 0; c < state.config_count; c++) {
        scan.trial_offset[c] = scan.trial_count;
        scan.trial_count += state.configs[c].seed_count;
    }
    scan.trial_offset[state.config_count] = scan.trial_count;
    scan.curves = calloc(scan.trial_count + 1, sizeof *scan.curves);
    scan.history_score = json_array();
    scan.history_units = json_array();
    scan.history_sec = json_array();
    scan.decisions = json_array();
    if (!scan.curves || !scan.history_score || !scan.history_units || !scan.history_sec ||
        !scan.decisions)
        goto oom;
    /* The objective is metric 0, whatever order the lines name it in. */
    if (metric_index(&scan, space->objective_metric) < 0)
        goto oom;
    rc = scan_journal(&scan, dir, err);
    if (rc < 0)
        goto out;
    *out = document_json(&scan);
    rc = *out ? 0 : -1;
    if (!*out)
        goto oom;
    goto out;
oom:
    hp_error_set(err, "", "out of memory while building the report of %s", dir);
    rc = -1;
out:
    for (size_t t = 0; scan.curves && t < scan.trial_count; t++)
        free(scan.curves[t].points);
    free(scan.curves);
    free(scan.trial_offset);
    for (size_t m = 0; m < scan.metric_count; m++)
        free(scan.metrics[m]);
    free(scan.pool);
    json_decref(scan.history_score);
    json_decref(scan.history_units);
    json_decref(scan.history_sec);
    json_decref(scan.decisions);
    state_free(&state);
    return rc;
}
