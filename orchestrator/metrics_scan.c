/*
 * The journal's metric lines, per trial. See metrics_scan.h.
 */
#include "metrics_scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fnv1a.h"
#include "journal_line.h"
#include "metric_line.h"

static int is_seconds(const struct objective_spec *o)
{
    return strcmp(o->metric, "seconds") == 0;
}

static void trial_reset(struct trial_metrics *t, size_t count)
{
    json_decref(t->last);
    json_decref(t->best);
    json_decref(t->final);
    t->last = t->best = t->final = NULL;
    t->lines_hash = HP_FNV1A64_OFFSET;
    t->line_count = 0;
    for (size_t k = 0; k < count; k++)
        t->best_value[k] = t->last_value[k] = NAN;
}

/* The seed index of the record's (config, seed) in `state`, or NULL. */
static struct trial_metrics *
trial_of(struct metrics_scan *scan, const struct sweep_state *state, const json_t *record)
{
    json_t *config = json_object_get(record, "config");
    json_t *seed = json_object_get(record, "seed");
    if (!json_is_integer(config) || !json_is_integer(seed) ||
        json_integer_value(config) < 0 ||
        (size_t)json_integer_value(config) >= scan->config_count)
        return NULL;
    size_t c = (size_t)json_integer_value(config);
    const struct config_record *rec = &state->configs[c];
    for (size_t s = 0; s < rec->seed_count; s++)
        if (rec->seeds[s].seed == (uint64_t)json_integer_value(seed))
            return &scan->trials[c][s];
    return NULL;
}

/* Folds `line`, "seconds" dropped (the one field that differs between
 * identical runs), into the trial's hash of its lines. */
static void hash_line(struct trial_metrics *t, const json_t *line)
{
    json_t *copy = json_deep_copy(line);
    json_object_del(copy, "seconds");
    char *text = copy ? hp_json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(copy);
    if (!text)
        return;
    t->lines_hash = hp_fnv1a64(t->lines_hash, text, strlen(text) + 1);
    t->line_count++;
    free(text);
}

/* One metric line of a trial: a {"final": true} line is kept as its final
 * line; any other (but a checkpoint report) is its latest line and may be
 * its best. */
static void take_line(struct metrics_scan *scan, struct trial_metrics *t, json_t *line)
{
    hash_line(t, line);
    if (json_is_true(json_object_get(line, "final"))) {
        json_decref(t->final);
        t->final = json_incref(line);
        return;
    }
    if (json_object_get(line, "checkpoint"))
        return;
    json_decref(t->last);
    t->last = json_incref(line);
    for (size_t k = 0; k < scan->objective_count; k++) {
        const struct objective_spec *o = &scan->objectives[k];
        double value;
        if (is_seconds(o) || hp_metric_line_number(line, o->metric, &value) < 0)
            continue;
        t->last_value[k] = value;
        if (!isfinite(value) || (!isnan(t->best_value[k]) &&
                                 !state_better(value, t->best_value[k], o->maximize)))
            continue;
        t->best_value[k] = value;
        if (k == 0) {
            json_decref(t->best);
            t->best = json_incref(line);
        }
    }
}

static int apply_record(struct metrics_scan *scan, const struct sweep_state *state,
                        const json_t *record)
{
    const char *event = json_string_value(json_object_get(record, "event"));
    if (!event || (strcmp(event, "start") != 0 && strcmp(event, "report") != 0))
        return 0;
    struct trial_metrics *t = trial_of(scan, state, record);
    if (!t)
        return 0;
    if (strcmp(event, "start") == 0) {
        if (!json_is_string(json_object_get(record, "resume_from")))
            trial_reset(t, scan->objective_count);
        return 0;
    }
    json_t *line = json_object_get(record, "line");
    if (json_is_object(line))
        take_line(scan, t, line);
    return 0;
}

/* Adds the keys of `line` to `names` (all, or only numeric ones). */
static void add_names(json_t *names, const json_t *line, int numeric_only)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)line, key, value)
    {
        if (strcmp(key, "final") == 0 || (numeric_only && !json_is_number(value)))
            continue;
        if (!json_object_get(names, key))
            json_object_set_new(names, key, json_true());
    }
}

static void collect_names(struct metrics_scan *scan, const struct sweep_state *state)
{
    for (size_t c = 0; c < scan->config_count; c++) {
        for (size_t s = 0; s < state->configs[c].seed_count; s++) {
            const struct trial_metrics *t = &scan->trials[c][s];
            if (t->last) {
                add_names(scan->last_names, t->last, 0);
                add_names(scan->numeric_names, t->last, 1);
            }
            if (t->best)
                add_names(scan->best_names, t->best, 0);
            if (t->final) {
                add_names(scan->final_names, t->final, 0);
                add_names(scan->numeric_names, t->final, 1);
            }
        }
    }
}

/* Allocates a trial_metrics for every seed of every config. */
static int scan_alloc(struct metrics_scan *scan, const struct sweep_state *state)
{
    scan->trials = calloc(state->config_count + 1, sizeof *scan->trials);
    if (!scan->trials)
        return -1;
    scan->config_count = state->config_count;
    size_t k = scan->objective_count;
    for (size_t c = 0; c < state->config_count; c++) {
        size_t n = state->configs[c].seed_count;
        scan->trials[c] = calloc(n + 1, sizeof **scan->trials);
        if (!scan->trials[c])
            return -1;
        for (size_t s = 0; s < n; s++) {
            struct trial_metrics *t = &scan->trials[c][s];
            t->best_value = malloc((k + 1) * sizeof *t->best_value);
            t->last_value = malloc((k + 1) * sizeof *t->last_value);
            if (!t->best_value || !t->last_value)
                return -1;
            trial_reset(t, k);
        }
    }
    scan->last_names = json_object();
    scan->best_names = json_object();
    scan->final_names = json_object();
    scan->numeric_names = json_object();
    return scan->last_names && scan->best_names && scan->final_names &&
                   scan->numeric_names
               ? 0
               : -1;
}

int metrics_scan_run(struct metrics_scan *scan, const struct sweep_state *state,
                     const struct objective_spec *objectives, size_t count,
                     struct hp_error *err)
{
    memset(scan, 0, sizeof *scan);
    scan->objectives = objectives;
    scan->objective_count = count;
    if (scan_alloc(scan, state) < 0) {
        metrics_scan_free(scan);
        return hp_error_set(err, "", "out of memory reading the journal's metric lines");
    }
    struct journal_line_reader reader;
    int rc = journal_line_open(&reader, state->out_dir, err);
    if (rc < 0) {
        metrics_scan_free(scan);
        return -1;
    }
    while ((rc = journal_line_next(&reader, err)) == 1) {
        /* Only starts and reports matter: skip the rest unparsed. */
        if (!strstr(reader.line, "\"event\":\"report\"") &&
            !strstr(reader.line, "\"event\":\"start\""))
            continue;
        json_t *record = json_loadb(reader.line, reader.len, 0, NULL);
        if (record)
            apply_record(scan, state, record);
        json_decref(record);
    }
    journal_line_close(&reader);
    if (rc < 0) {
        metrics_scan_free(scan);
        return -1;
    }
    collect_names(scan, state);
    return 0;
}

void metrics_scan_free(struct metrics_scan *scan)
{
    for (size_t c = 0; scan->trials && c < scan->config_count; c++) {
        for (struct trial_metrics *t = scan->trials[c]; t && t->best_value; t++) {
            trial_reset(t, 0);
            free(t->best_value);
            free(t->last_value);
        }
        free(scan->trials[c]);
    }
    free(scan->trials);
    json_decref(scan->last_names);
    json_decref(scan->best_names);
    json_decref(scan->final_names);
    json_decref(scan->numeric_names);
    memset(scan, 0, sizeof *scan);
}

double metrics_scan_score(const struct metrics_scan *scan,
                          const struct sweep_state *state, size_t config, size_t seed,
                          size_t k)
{
    const struct objective_spec *o = &scan->objectives[k];
    if (is_seconds(o))
        return state->configs[config].seeds[seed].seconds;
    const struct trial_metrics *t = &scan->trials[config][seed];
    return o->score == SCORE_LAST ? t->last_value[k] : t->best_value[k];
}

int metrics_scan_has(const struct metrics_scan *scan, const char *metric)
{
    return strcmp(metric, "seconds") == 0 || json_object_get(scan->numeric_names, metric);
}

void metrics_scan_list(const struct metrics_scan *scan, char *buf, size_t size)
{
    size_t used = 0;
    const char *key;
    json_t *value;
    buf[0] = '\0';
    json_object_foreach(scan->numeric_names, key, value)
    {
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", key);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
    snprintf(buf + used, size - used, "%sseconds", used ? ", " : "");
}
