/*
 * Results files and the summary table. See results.h.
 */
#include "results.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "durable.h"
#include "fsutil.h"
#include "json_pretty.h"
#include "metric_line.h"
#include "path.h"

/* A real number, or null when it is not finite (JSON has no NaN). */
static json_t *number_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *seed_to_json(const struct config_record *config,
                            const struct seed_record *seed)
{
    char trial_id[48];
    state_trial_id(config, seed, trial_id, sizeof trial_id);
    json_t *obj = json_pack("{s:I, s:s, s:s, s:o, s:i}", "seed", (json_int_t)seed->seed,
                            "trial", trial_id, "status",
                            state_seed_status_name((enum seed_status)seed->status), "value",
                            number_or_null(seed->score), "attempts", seed->attempts);
    if (!obj)
        return NULL;
    if (seed->status == SEED_PRUNED)
        json_object_set_new(obj, "pruned_at", json_integer(config->reached));
    if (seed->budget > 0)
        json_object_set_new(obj, "budget", json_integer(seed->budget));
    if (seed->final_line)
        json_object_set(obj, "final", seed->final_line);
    if (seed->status == SEED_FAILED) {
        json_object_set_new(obj, "failure",
                            json_string(trial_failure_name((enum trial_failure)seed->failure)));
        json_object_set_new(obj, "reason", json_string(seed->reason ? seed->reason : ""));
    }
    return obj;
}

const char *results_config_status(const struct config_record *config)
{
    if (config->retired)
        return "retired";
    if (config->pruned)
        return "pruned";
    return config->summary.n > 0 ? "complete" : "failed";
}

json_t *results_config_json(const struct config_record *config, size_t rank)
{
    const struct stats_summary *s = &config->summary;
    json_t *seeds = json_array();
    for (size_t i = 0; i < config->seed_count; i++)
        json_array_append_new(seeds, seed_to_json(config, &config->seeds[i]));
    json_t *params = state_params(config);
    json_t *obj = json_pack(
        "{s:I, s:I, s:s, s:o, s:o, s:o, s:[o, o], s:I, s:I, s:o, s:o}", "rank",
        (json_int_t)rank, "config", (json_int_t)config->index, "status",
        results_config_status(config), "params", params ? params : json_null(), "mean",
        number_or_null(s->mean), "std", number_or_null(s->n > 0 ? s->std : NAN), "ci95",
        number_or_null(s->ci_low), number_or_null(s->ci_high), "n", (json_int_t)s->n,
        "failed", (json_int_t)config->failed, "min", number_or_null(s->min), "max",
        number_or_null(s->max));
    /* Under a scheduler: the budget or step it got to (a pruned config's
     * mean is over partial runs, so it ranks after every complete one). */
    if (obj && config->settled && config->reached > 0)
        json_object_set_new(obj, "reached", json_integer(config->reached));
    /* Under pbt: the config whose checkpoints it continued, and how. */
    if (obj && config->has_source) {
        json_object_set_new(obj, "source", json_integer((json_int_t)config->source));
        json_object_set_new(obj, "exploited", json_boolean(config->exploited));
    }
    if (obj)
        json_object_set_new(obj, "seeds", seeds);
    else
        json_decref(seeds);
    return obj;
}

/* Under pbt, the best config's line back to generation 0 (configs[] holds
 * it, newest first, up to cap); returns its length, 0 without one. */
static size_t winner_line(const struct sweep_state *state, size_t *line, size_t cap)
{
    if (!state->has_best || !state->configs[state->best_config].has_source)
        return 0;
    size_t n = 0;
    size_t at = state->best_config;
    for (;;) {
        if (n == cap)
            return 0;
        line[n++] = at;
        const struct config_record *config = &state->configs[at];
        if (!config->has_source || config->source >= at)
            break;
        at = config->source;
    }
    return n;
}

/* {"winner", "generations": [{config, exploited, params}], "replay": [params]}:
 * the winning member's params per generation; "replay" is what a space's
 * "scheduler": {"type": "pbt", "schedule": ...} takes to retrain it. */
static json_t *pbt_schedule_json(const struct sweep_state *state)
{
    size_t line[4096];
    size_t n = winner_line(state, line, sizeof line / sizeof line[0]);
    if (n == 0)
        return NULL;
    json_t *generations = json_array();
    json_t *replay = json_array();
    for (size_t i = n; i-- > 0;) {
        const struct config_record *config = &state->configs[line[i]];
        json_t *params = state_params(config);
        json_array_append_new(
            generations,
            json_pack("{s:I, s:I, s:b, s:O*}", "generation", (json_int_t)(n - 1 - i),
                      "config", (json_int_t)config->index, "exploited",
                      config->has_source && config->exploited, "params", params));
        json_array_append_new(replay, params ? params : json_null());
    }
    return json_pack("{s:I, s:o, s:o}", "winner", (json_int_t)state->best_config,
                     "generations", generations, "replay", replay);
}

void results_print_pbt_schedule(const struct sweep_state *state, FILE *out)
{
    size_t line[4096];
    size_t n = winner_line(state, line, sizeof line / sizeof line[0]);
    if (n == 0)
        return;
    fprintf(out, "pbt: the winner's schedule (results.json's pbt_schedule.replay retrains "
                 "it as a \"schedule\"):\n");
    for (size_t i = n; i-- > 0;) {
        const struct config_record *config = &state->configs[line[i]];
        char params[512];
        results_params_text(config, params, sizeof params);
        char how[48] = "";
        if (config->has_source && config->exploited)
            snprintf(how, sizeof how, " (exploited config %zu)", config->source);
        fprintf(out, "  generation %zu: config %zu%s: %s\n", n - 1 - i, config->index, how,
                params);
    }
}

/* The document's head: everything but the configs. Returns a new object. */
static json_t *results_head(const struct results_input *in, size_t ranked)
{
    const struct results_view *view = in->view;
    const struct sweep_state *state = view->state;
    const struct space *space = state->space;
    json_t *best = json_null();
    if (state->has_best) {
        const struct config_record *config = &state->configs[state->best_config];
        const struct seed_record *seed = &config->seeds[state_best_seed(config, space->maximize)];
        char trial_id[48];
        state_trial_id(config, seed, trial_id, sizeof trial_id);
        json_t *params = state_params(config);
        best = json_pack("{s:I, s:o, s:f, s:s, s:f}", "config", (json_int_t)config->index,
                         "params", params ? params : json_null(), "mean",
                         config->summary.mean, "best_trial", trial_id, "best_trial_value",
                         seed->score);
    }
    /* Compute spent, so that strategies can be compared on cost: resource
     * units (epochs) trained over every attempt, and trainer wall time. */
    json_t *compute = json_pack("{s:s, s:I, s:f}", "resource",
                                space->resource_key ? space->resource_key : "epoch",
                                "resource_units", (json_int_t)state->resource_units,
                                "trainer_seconds", state->trainer_seconds);
    json_t *head = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:f}",
                     "name", space->name, "objective", "metric", space->objective_metric,
                     "mode", space->maximize ? "max" : "min", "score",
                     space->score == SCORE_LAST ? "last" : "best", "strategy",
                     space->strategy->name, "scheduler",
                     space->scheduler ? space->scheduler->name : "none", "configs_complete",
                     (json_int_t)ranked, "trials_ok", (json_int_t)state->trials_ok,
                     "trials_failed", (json_int_t)state->trials_failed, "trials_pruned",
                     (json_int_t)state->trials_pruned, "best", best, "compute", compute,
                     "elapsed_s", view->elapsed_s);
    json_t *schedule = head ? pbt_schedule_json(state) : NULL;
    if (schedule)
        json_object_set_new(head, "pbt_schedule", schedule);
    if (head && state->provenance) /* of the latest run: provenance.h */
        json_object_set(head, "provenance", state->provenance);
    if (head && space->objective_count > 0) {
        json_t *list = json_array();
        for (size_t k = 0; k < space->objective_count; k++) {
            const struct objective_spec *o = &space->objectives[k];
            json_array_append_new(list,
                                  json_pack("{s:s, s:s, s:s}", "metric", o->metric,
                                            "mode", o->maximize ? "max" : "min", "score",
                                            o->score == SCORE_LAST ? "last" : "best"));
        }
        json_object_set_new(head, "objective", list);
    }
    if (head && in->pareto) {
        json_t *front = json_array();
        for (size_t f = 0; f < in->pareto->front_count; f++)
            json_array_append_new(front, json_integer((json_int_t)in->pareto->front[f]));
        json_object_set_new(head, "pareto_front", front);
    }
    return head;
}

/* Writes `text` with every line but the first indented by `indent` spaces. */
static void write_indented(FILE *out, const char *text, int indent)
{
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        fwrite(line, 1, n, out);
        if (nl)
            fprintf(out, "%*s", indent, "");
        line += n;
    }
}

/* results.json, streamed one config at a time so that a sweep of 100,000
 * configs never holds the whole document in memory. The layout is what
 * json_pretty_dumps would write for the whole document: indented, with
 * arrays of numbers (a CI, a confusion matrix) on one line. */
void results_write_json(const struct results_input *in, FILE *out)
{
    const struct sweep_state *state = in->view->state;
    size_t *order = malloc((state->config_count + 1) * sizeof *order);
    if (!order)
        return;
    size_t ranked = state_rank(state->configs, state->config_count,
                               state->space->maximize, order);
    json_t *head = results_head(in, ranked);
    char *head_text = head ? json_pretty_dumps(head) : NULL;
    json_decref(head);
    if (!head_text) {
        free(order);
        return;
    }
    /* The head without its closing brace, then the configs array. */
    size_t head_len = strlen(head_text);
    while (head_len > 0 && head_text[head_len - 1] != '}')
        head_len--;
    if (head_len > 0)
        head_len--; /* the document's own brace, and only it */
    while (head_len > 0 && head_text[head_len - 1] == '\n')
        head_len--;
    fwrite(head_text, 1, head_len, out);
    free(head_text);
    fputs(",\n  \"configs\": [", out);
    for (size_t r = 0; r < ranked; r++) {
        json_t *config = results_config_json(&state->configs[order[r]], r + 1);
        if (config)
            results_mark_pareto(config, in->pareto, in->scan, order[r]);
        char *text = config ? json_pretty_dumps(config) : NULL;
        json_decref(config);
        fputs(r ? ",\n    " : "\n    ", out);
        write_indented(out, text ? text : "null", 4);
        free(text);
    }
    fputs(ranked ? "\n  ]\n}\n" : "]\n}\n", out);
    free(order);
}

/* Writes a CSV field, quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *out, const char *text, int first)
{
    if (!first)
        fputc(',', out);
    if (!strpbrk(text, ",\"\n\r")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

static void csv_number(FILE *out, double value)
{
    char buf[40] = "";
    if (isfinite(value))
        hp_format_number(buf, sizeof buf, value);
    csv_field(out, buf, 0);
}

/* A line's value as a CSV field's text: numbers in their shortest exact
 * form, strings as they are, arrays and objects as one-line JSON. Returns a
 * new string, or NULL for none. */
static char *value_text(const json_t *value)
{
    if (!value || json_is_null(value))
        return NULL;
    if (json_is_string(value))
        return strdup(json_string_value(value));
    if (json_is_real(value)) {
        char buf[40];
        hp_format_number(buf, sizeof buf, json_real_value(value));
        return strdup(buf);
    }
    return hp_json_dumps(value, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_COMPACT);
}

static void csv_value(FILE *out, const json_t *value)
{
    char *text = value_text(value);
    csv_field(out, text ? text : "", 0);
    free(text);
}

/* A header column "<prefix><name><suffix>". */
static void csv_column(FILE *out, const char *prefix, const char *name,
                       const char *suffix)
{
    size_t size = strlen(prefix) + strlen(name) + strlen(suffix) + 1;
    char *text = malloc(size);
    if (!text)
        return;
    snprintf(text, size, "%s%s%s", prefix, name, suffix);
    csv_field(out, text, 0);
    free(text);
}

/* One value per key of `names`, taken from `line` (may be NULL). */
static void csv_line_values(FILE *out, const json_t *names, const json_t *line)
{
    const char *key;
    json_t *unused;
    json_object_foreach((json_t *)names, key, unused)
    {
        csv_value(out, line ? json_object_get(line, key) : NULL);
    }
}

static void csv_line_columns(FILE *out, const json_t *names, const char *prefix)
{
    const char *key;
    json_t *unused;
    json_object_foreach((json_t *)names, key, unused)
    {
        csv_column(out, prefix, key, "");
    }
}

static void csv_params(FILE *out, const struct search_space *space_params,
                       const json_t *params)
{
    for (size_t p = 0; p < space_params->count; p++)
        csv_value(out, json_object_get(params, space_params->params[p].name));
}

static void csv_row(FILE *out, const struct sweep_state *state,
                    const struct metrics_scan *scan, size_t c, const json_t *params,
                    size_t s)
{
    const struct config_record *config = &state->configs[c];
    const struct seed_record *seed = &config->seeds[s];
    const struct trial_metrics *t = &scan->trials[c][s];
    char text[48];
    state_trial_id(config, seed, text, sizeof text);
    csv_field(out, text, 1);
    snprintf(text, sizeof text, "%zu", config->index);
    csv_field(out, text, 0);
    snprintf(text, sizeof text, "%" PRIu64, seed->seed);
    csv_field(out, text, 0);
    csv_field(out, state_seed_status_name((enum seed_status)seed->status), 0);
    csv_number(out, seed->score);
    int failed = seed->status == SEED_FAILED;
    csv_field(out, failed ? trial_failure_name((enum trial_failure)seed->failure) : "", 0);
    csv_field(out, failed && seed->reason ? seed->reason : "", 0);
    snprintf(text, sizeof text, "%d", seed->attempts);
    csv_field(out, text, 0);
    csv_number(out, seed->seconds);
    snprintf(text, sizeof text, "%ld", config->reached);
    csv_field(out, seed->status == SEED_PRUNED ? text : "", 0);
    const char *resource =
        state->space->resource_key ? state->space->resource_key : "epoch";
    csv_value(out, t->last ? json_object_get(t->last, resource) : NULL);
    csv_params(out, &state->space->params, params);
    csv_line_values(out, scan->last_names, t->last);
    csv_line_values(out, scan->best_names, t->best);
    csv_line_values(out, scan->final_names, t->final);
    fputc('\n', out);
}

void results_write_csv(const struct sweep_state *state, const struct metrics_scan *scan,
                       const size_t *configs, size_t count, FILE *out)
{
    static const char *const columns[] = {"trial",   "config",    "seed",      "status",
                                          "value",   "failure",   "reason",    "attempts",
                                          "seconds", "pruned_at", "epochs_run"};
    for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++)
        csv_field(out, columns[c], c == 0);
    const struct search_space *space_params = &state->space->params;
    for (size_t p = 0; p < space_params->count; p++)
        csv_column(out, "param_", space_params->params[p].name, "");
    csv_line_columns(out, scan->last_names, "last_");
    csv_line_columns(out, scan->best_names, "best_");
    csv_line_columns(out, scan->final_names, "final_");
    fputc('\n', out);
    size_t n = configs ? count : state->config_count;
    for (size_t i = 0; i < n; i++) {
        size_t c = configs ? configs[i] : i;
        json_t *params = state_params(&state->configs[c]);
        for (size_t s = 0; s < state->configs[c].seed_count; s++)
            csv_row(out, state, scan, c, params, s);
        json_decref(params);
    }
}

static void write_csv(const struct results_input *in, FILE *out)
{
    results_write_csv(in->view->state, in->scan, NULL, 0, out);
}

/* mean, std, ci_low, ci_high and n of a summary ("" where there is none). */
static void csv_summary(FILE *out, const struct stats_summary *s)
{
    char text[32];
    csv_number(out, s->n > 0 ? s->mean : NAN);
    csv_number(out, s->n > 0 ? s->std : NAN);
    csv_number(out, s->ci_low);
    csv_number(out, s->ci_high);
    snprintf(text, sizeof text, "%zu", s->n);
    csv_field(out, text, 0);
}

/* The summary of a final line's numeric key over a config's ok seeds. */
static void final_summary(const struct sweep_state *state,
                          const struct metrics_scan *scan, size_t c, const char *key,
                          struct stats_summary *out)
{
    const struct config_record *config = &state->configs[c];
    double *values = malloc((config->seed_count + 1) * sizeof *values);
    size_t n = 0;
    for (size_t s = 0; values && s < config->seed_count; s++) {
        double v;
        const json_t *line = scan->trials[c][s].final;
        if (config->seeds[s].status == SEED_OK && line &&
            hp_metric_line_number(line, key, &v) == 0 && isfinite(v))
            values[n++] = v;
    }
    stats_summarize(values, n, out);
    free(values);
}

static void configs_csv_row(FILE *out, const struct results_input *in, size_t c,
                            size_t rank, const json_t *final_numeric)
{
    const struct sweep_state *state = in->view->state;
    const struct config_record *config = &state->configs[c];
    const struct pareto *pareto = in->pareto;
    char text[32] = "";
    if (rank > 0)
        snprintf(text, sizeof text, "%zu", rank);
    csv_field(out, text, 1);
    snprintf(text, sizeof text, "%zu", config->index);
    csv_field(out, text, 0);
    csv_field(out, config->complete ? results_config_status(config) : "incomplete", 0);
    json_t *params = state_params(config);
    csv_params(out, &state->space->params, params);
    json_decref(params);
    struct stats_summary none;
    stats_summarize(NULL, 0, &none);
    csv_summary(out, config->complete ? &config->summary : &none);
    snprintf(text, sizeof text, "%zu", config->failed);
    csv_field(out, text, 0);
    for (size_t k = 0; pareto && k < pareto->objective_count; k++)
        csv_summary(out, config->complete
                             ? &pareto->summaries[c * pareto->objective_count + k]
                             : &none);
    if (pareto)
        csv_field(out, pareto->on_front[c] ? "1" : "0", 0);
    const char *key;
    json_t *unused;
    json_object_foreach((json_t *)final_numeric, key, unused)
    {
        struct stats_summary s;
        final_summary(state, in->scan, c, key, &s);
        csv_summary(out, &s);
    }
    fputc('\n', out);
}

/* The keys of the final lines that hold a number in some trial, in their
 * column order. Returns a new object {"name": true}. */
static json_t *final_numeric_names(const struct metrics_scan *scan,
                                   const struct sweep_state *state)
{
    json_t *names = json_object();
    const char *key;
    json_t *unused;
    json_object_foreach(scan->final_names, key, unused)
    {
        for (size_t c = 0; names && c < state->config_count; c++)
            for (size_t s = 0; s < state->configs[c].seed_count; s++)
                if (json_is_number(json_object_get(scan->trials[c][s].final, key)))
                    json_object_set_new(names, key, json_true());
    }
    return names;
}

void results_write_configs_csv(const struct results_input *in, FILE *out)
{
    static const char *const stats[] = {"_mean", "_std", "_ci_low", "_ci_high", "_n"};
    const struct sweep_state *state = in->view->state;
    const struct pareto *pareto = in->pareto;
    size_t *order = malloc((state->config_count + 1) * sizeof *order);
    json_t *final_numeric = final_numeric_names(in->scan, state);
    if (!order || !final_numeric) {
        free(order);
        json_decref(final_numeric);
        return;
    }
    csv_field(out, "rank", 1);
    csv_field(out, "config", 0);
    csv_field(out, "status", 0);
    for (size_t p = 0; p < state->space->params.count; p++)
        csv_column(out, "param_", state->space->params.params[p].name, "");
    for (size_t i = 0; i < 5; i++)
        csv_field(out, stats[i] + 1, 0);
    csv_field(out, "failed", 0);
    for (size_t k = 0; pareto && k < pareto->objective_count; k++)
        for (size_t i = 0; i < 5; i++)
            csv_column(out, "", in->scan->objectives[k].metric, stats[i]);
    if (pareto)
        csv_field(out, "pareto", 0);
    const char *key;
    json_t *unused;
    json_object_foreach(final_numeric, key, unused)
    {
        for (size_t i = 0; i < 5; i++)
            csv_column(out, "final_", key, stats[i]);
    }
    fputc('\n', out);
    size_t ranked =
        state_rank(state->configs, state->config_count, state->space->maximize, order);
    for (size_t r = 0; r < ranked; r++)
        configs_csv_row(out, in, order[r], r + 1, final_numeric);
    for (size_t c = 0; c < state->config_count; c++)
        if (!state->configs[c].complete)
            configs_csv_row(out, in, c, 0, final_numeric);
    json_decref(final_numeric);
    free(order);
}

const struct objective_spec *results_objectives(const struct space *space,
                                                struct objective_spec *one, size_t *count)
{
    if (space->objective_count > 0) {
        *count = space->objective_count;
        return space->objectives;
    }
    *one =
        (struct objective_spec){space->objective_metric, space->maximize, space->score};
    *count = 1;
    return one;
}

void results_mark_pareto(json_t *config_json, const struct pareto *pareto,
                         const struct metrics_scan *scan, size_t config)
{
    if (!pareto || !scan)
        return;
    json_t *objectives = json_object();
    for (size_t k = 0; k < pareto->objective_count; k++) {
        const struct stats_summary *s =
            &pareto->summaries[config * pareto->objective_count + k];
        json_object_set_new(objectives, scan->objectives[k].metric,
                            json_pack("{s:o, s:o, s:[o, o], s:I}", "mean",
                                      number_or_null(s->n > 0 ? s->mean : NAN), "std",
                                      number_or_null(s->n > 0 ? s->std : NAN), "ci95",
                                      number_or_null(s->ci_low),
                                      number_or_null(s->ci_high), "n", (json_int_t)s->n));
    }
    json_object_set_new(config_json, "pareto", json_boolean(pareto->on_front[config]));
    json_object_set_new(config_json, "objectives", objectives);
}

/* Writes one results file, `name` in the sweep's directory, durably, its
 * contents by `write`. Returns 0 or -1 with `err` set. */
static int write_one(const struct results_input *in, const char *name,
                     void (*write)(const struct results_input *, FILE *),
                     struct hp_error *err)
{
    struct hp_durable *d = malloc(sizeof *d);
    if (!d)
        return hp_error_set(err, "", "out of memory writing %s", name);
    char path[HP_PATH_MAX];
    int rc = -1;
    if (hp_path_join(path, sizeof path, err, in->view->state->out_dir, name, NULL) == 0 &&
        hp_durable_open(d, path, err) == 0) {
        write(in, d->stream);
        rc = hp_durable_commit(d, err);
    }
    free(d);
    return rc;
}

int results_write(const struct results_view *view, struct hp_error *err)
{
    const struct space *space = view->state->space;
    struct metrics_scan own;
    struct pareto pareto;
    struct objective_spec one;
    size_t count;
    const struct objective_spec *objectives = results_objectives(space, &one, &count);
    memset(&pareto, 0, sizeof pareto);
    memset(&own, 0, sizeof own);
    const struct metrics_scan *scan = view->scan;
    int rc = 0;
    if (!scan) {
        rc = metrics_scan_run(&own, view->state, objectives, count, err);
        scan = &own;
    }
    struct results_input full = {view, scan, NULL};
    if (rc == 0 && count > 1) {
        rc = ranking_pareto(&pareto, view->state, scan);
        if (rc < 0)
            hp_error_set(err, "", "out of memory computing the Pareto front");
        full.pareto = &pareto;
    }
    if (rc == 0)
        rc = write_one(&full, "results.json", results_write_json, err);
    if (rc == 0)
        rc = write_one(&full, "results.csv", write_csv, err);
    if (rc == 0)
        rc = write_one(&full, "configs.csv", results_write_configs_csv, err);
    ranking_pareto_free(&pareto);
    metrics_scan_free(&own);
    return rc;
}

void results_format_short(char *buf, size_t size, double value)
{
    if (!isfinite(value))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.5g", value);
}

void results_params_text(const struct config_record *config, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    json_t *params = state_params(config);
    const char *key;
    json_t *value;
    json_object_foreach(params, key, value) {
        char short_number[32];
        char *v = json_is_real(value) ? NULL : command_format_value(value);
        if (json_is_real(value))
            results_format_short(short_number, sizeof short_number,
                                 json_real_value(value));
        int n = snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "", key,
                         json_is_real(value) ? short_number
                         : v                 ? v
                                             : "?");
        free(v);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    json_decref(params);
}

/* "no configuration succeeded", with the first failed trial's reason and,
 * only where the trial left one, its stderr.log. */
static void print_first_failure(const struct sweep_state *state, FILE *out)
{
    for (size_t c = 0; c < state->config_count; c++) {
        const struct config_record *config = &state->configs[c];
        for (size_t s = 0; s < config->seed_count; s++) {
            const struct seed_record *seed = &config->seeds[s];
            if (seed->status != SEED_FAILED)
                continue;
            char trial_id[48];
            char log[HP_PATH_MAX];
            state_trial_id(config, seed, trial_id, sizeof trial_id);
            int has_log = hp_path_join(log, sizeof log, NULL, state->out_dir, "trials",
                                       trial_id, "stderr.log", NULL) == 0 &&
                          access(log, R_OK) == 0;
            fprintf(out, "no configuration succeeded; the first failure, trial %s: %s\n",
                    trial_id, seed->reason ? seed->reason : "?");
            if (has_log)
                fprintf(out, "its stderr: %s\n", log);
            return;
        }
    }
    fprintf(out, "no configuration succeeded\n");
}

/* "val_accuracy 0.88123 ± 0.012345" for each objective of the front. */
static void describe_objectives(const struct metrics_scan *scan,
                                const struct pareto *pareto, size_t config, char *buf,
                                size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < pareto->objective_count; k++) {
        const struct stats_summary *s =
            &pareto->summaries[config * pareto->objective_count + k];
        char mean[32], half[32] = "-";
        results_format_short(mean, sizeof mean, s->mean);
        results_format_short(half, sizeof half, (s->ci_high - s->ci_low) / 2);
        int n = snprintf(buf + used, size - used, "%s%s %s ± %s", k ? ", " : "",
                         scan->objectives[k].metric, mean, half);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

void results_print_front(const struct sweep_state *state, const struct metrics_scan *scan,
                         const struct pareto *pareto, FILE *out)
{
    fprintf(out, "\nPareto front (%zu config%s, seed means ± 95%% CI half-width; ",
            pareto->front_count, pareto->front_count == 1 ? "" : "s");
    for (size_t k = 0; k < pareto->objective_count; k++)
        fprintf(out, "%s%s %s", k ? ", " : "", scan->objectives[k].metric,
                scan->objectives[k].maximize ? "max" : "min");
    fprintf(out, "):\n");
    for (size_t f = 0; f < pareto->front_count; f++) {
        const struct config_record *config = &state->configs[pareto->front[f]];
        char values[512];
        char params[512];
        describe_objectives(scan, pareto, config->index, values, sizeof values);
        results_params_text(config, params, sizeof params);
        fprintf(out, "  config %zu: %s  %s\n", config->index, values, params);
    }
}

/* Under a list of objectives: the Pareto front, from the journal's lines
 * (the view's scan when it has one). */
static void print_summary_front(const struct results_view *view, FILE *out)
{
    const struct sweep_state *state = view->state;
    const struct space *space = state->space;
    if (space->objective_count < 2)
        return;
    struct metrics_scan own;
    memset(&own, 0, sizeof own);
    const struct metrics_scan *scan = view->scan;
    if (!scan) {
        if (metrics_scan_run(&own, state, space->objectives, space->objective_count,
                             NULL) < 0)
            return;
        scan = &own;
    }
    struct pareto pareto;
    if (ranking_pareto(&pareto, state, scan) == 0) {
        results_print_front(state, scan, &pareto, out);
        ranking_pareto_free(&pareto);
    }
    metrics_scan_free(&own);
}

void results_print_summary(const struct results_view *view, FILE *out)
{
    enum { SHOWN = 10 };
    const struct sweep_state *state = view->state;
    const struct space *space = state->space;
    size_t *order = malloc((state->config_count + 1) * sizeof *order);
    if (!order)
        return;
    size_t ranked = state_rank(state->configs, state->config_count, space->maximize, order);
    size_t done = state_trials_done(state);
    if (view->stopped) {
        /* A stopped sweep is not a finished one: say what happened, what is
         * done, and how to go on. */
        fprintf(out, "\n%s: %s after %.1f s: %zu trial%s finished (%zu failed)", space->name,
                view->stopped, view->elapsed_s, done, done == 1 ? "" : "s",
                state->trials_failed);
        if (state->trials_planned)
            fprintf(out, " of %zu planned", state->trials_planned);
        fprintf(out, ", %zu config%s complete; hpsearch resume %s continues it\n", ranked,
                ranked == 1 ? "" : "s", state->out_dir);
    } else {
        fprintf(out, "\n%s: %zu configs x %zu seeds, %s %s (%s per trial), %.1f s\n",
                space->name, ranked, space->seed_count, space->maximize ? "max" : "min",
                space->objective_metric, space->score == SCORE_LAST ? "last" : "best",
                view->elapsed_s);
    }
    if (space->scheduler) {
        size_t pruned = 0, retired = 0, exploits = 0;
        for (size_t i = 0; i < state->config_count; i++) {
            retired += state->configs[i].retired;
            pruned += state->configs[i].pruned && !state->configs[i].retired;
            exploits += state->configs[i].exploited;
        }
        char what[128];
        if (state->scheduler && state->scheduler->extra_configs > 0)
            snprintf(what, sizeof what, "%zu stage%s of members retired, %zu exploit%s",
                     retired, retired == 1 ? "" : "s", exploits, exploits == 1 ? "" : "s");
        else
            snprintf(what, sizeof what, "%zu config%s pruned early (%zu trials)", pruned,
                     pruned == 1 ? "" : "s", state->trials_pruned);
        fprintf(out, "%s scheduler: %s; trained %lld %s%s in %.1f trainer-seconds\n",
                space->scheduler->name, what, state->resource_units, space->resource_key,
                state->resource_units == 1 ? "" : "s", state->trainer_seconds);
    }
    if (ranked > 0)
        fprintf(out, "%4s %6s %10s %10s %22s %3s %6s  %s\n", "rank", "config", "mean", "std",
                "95% CI", "n", "failed", "params");
    for (size_t r = 0; r < ranked && r < SHOWN; r++) {
        const struct config_record *config = &state->configs[order[r]];
        const struct stats_summary *s = &config->summary;
        char params[512];
        char ci[80] = "-";
        char mean[32], std[32], lo[32], hi[32];
        results_params_text(config, params, sizeof params);
        results_format_short(mean, sizeof mean, s->n > 0 ? s->mean : NAN);
        results_format_short(std, sizeof std, s->n > 0 ? s->std : NAN);
        results_format_short(lo, sizeof lo, s->ci_low);
        results_format_short(hi, sizeof hi, s->ci_high);
        if (isfinite(s->ci_low))
            snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        if (config->pruned)
            fprintf(out, "%4zu %6zu %10s %10s %22s %3zu %6zu  %s at %s %ld: %s\n", r + 1,
                    config->index, mean, std, ci, s->n, config->failed,
                    config->retired ? "retired" : "pruned", space->resource_key,
                    config->reached, params);
        else
            fprintf(out, "%4zu %6zu %10s %10s %22s %3zu %6zu  %s\n", r + 1, config->index,
                    mean, std, ci, s->n, config->failed, params);
    }
    if (ranked > SHOWN)
        fprintf(out, "... %zu more in %s/results.json\n", ranked - SHOWN, state->out_dir);
    if (state->has_best) {
        const struct config_record *best = &state->configs[state->best_config];
        const struct seed_record *seed = &best->seeds[state_best_seed(best, space->maximize)];
        char trial_id[48];
        state_trial_id(best, seed, trial_id, sizeof trial_id);
        char score[32];
        results_format_short(score, sizeof score, seed->score);
        fprintf(out, "best: config %zu, trial %s (%s %s); checkpoint in %s/best/\n",
                best->index, trial_id, space->objective_metric, score, state->out_dir);
    } else if (view->stopped && ranked == 0) {
        fprintf(out, "no configuration has finished all its seeds yet\n");
    } else if (state->trials_ok == 0) {
        print_first_failure(state, out);
    }
    results_print_pbt_schedule(state, out);
    print_summary_front(view, out);
    double mib = (double)fsutil_disk_usage(state->out_dir) / (1024.0 * 1024.0);
    fprintf(
        out,
        "results: %s/results.json, results.csv, configs.csv; the sweep directory uses "
        "%.1f MiB\n",
        state->out_dir, mib);
    free(order);
}
