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
static json_t *results_head(const struct results_view *view, size_t ranked)
{
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
 * json_dumps with JSON_INDENT(2) would write for the whole document. */
void results_write_json(const struct results_view *view, FILE *out)
{
    const struct sweep_state *state = view->state;
    size_t *order = malloc((state->config_count + 1) * sizeof *order);
    if (!order)
        return;
    size_t ranked = state_rank(state->configs, state->config_count,
                               state->space->maximize, order);
    json_t *head = results_head(view, ranked);
    char *head_text = head ? hp_json_dumps(head, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
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
        char *text = config ? hp_json_dumps(config, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
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

static void csv_row(FILE *out, const struct search_space *space_params,
                    const struct config_record *config, const json_t *params,
                    const struct seed_record *seed)
{
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
    for (size_t p = 0; p < space_params->count; p++) {
        json_t *value = json_object_get(params, space_params->params[p].name);
        char *value_text = value ? command_format_value(value) : NULL;
        csv_field(out, value_text ? value_text : "", 0);
        free(value_text);
    }
    fputc('\n', out);
}

void results_write_csv(const struct sweep_state *state, FILE *out)
{
    static const char *const columns[] = {"trial",  "config",   "seed",
                                          "status", "value",    "failure",
                                          "reason", "attempts", "seconds",
                                          "pruned_at"};
    for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++)
        csv_field(out, columns[c], c == 0);
    const struct search_space *space_params = &state->space->params;
    for (size_t p = 0; p < space_params->count; p++)
        csv_field(out, space_params->params[p].name, 0);
    fputc('\n', out);
    for (size_t i = 0; i < state->config_count; i++) {
        const struct config_record *config = &state->configs[i];
        json_t *params = state_params(config);
        for (size_t s = 0; s < config->seed_count; s++)
            csv_row(out, space_params, config, params, &config->seeds[s]);
        json_decref(params);
    }
}

static void write_csv(const struct results_view *view, FILE *out)
{
    results_write_csv(view->state, out);
}

/* Writes one results file, `name` in the sweep's directory, durably, its
 * contents by `write`. Returns 0 or -1 with `err` set. */
static int write_one(const struct results_view *view, const char *name,
                     void (*write)(const struct results_view *, FILE *),
                     struct hp_error *err)
{
    struct hp_durable *d = malloc(sizeof *d);
    if (!d)
        return hp_error_set(err, "", "out of memory writing %s", name);
    char path[HP_PATH_MAX];
    int rc = -1;
    if (hp_path_join(path, sizeof path, err, view->state->out_dir, name, NULL) == 0 &&
        hp_durable_open(d, path, err) == 0) {
        write(view, d->stream);
        rc = hp_durable_commit(d, err);
    }
    free(d);
    return rc;
}

int results_write(const struct results_view *view, struct hp_error *err)
{
    if (write_one(view, "results.json", results_write_json, err) < 0)
        return -1;
    return write_one(view, "results.csv", write_csv, err);
}

void results_params_text(const struct config_record *config, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    json_t *params = state_params(config);
    const char *key;
    json_t *value;
    json_object_foreach(params, key, value) {
        char *v = command_format_value(value);
        int n = snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "", key,
                         v ? v : "?");
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
        char ci[64] = "-";
        results_params_text(config, params, sizeof params);
        if (isfinite(s->ci_low))
            snprintf(ci, sizeof ci, "[%.4f, %.4f]", s->ci_low, s->ci_high);
        if (config->pruned)
            fprintf(out, "%4zu %6zu %10.4f %10.4f %22s %3zu %6zu  %s at %s %ld: %s\n",
                    r + 1, config->index, s->mean, s->std, ci, s->n, config->failed,
                    config->retired ? "retired" : "pruned", space->resource_key,
                    config->reached, params);
        else if (s->n > 0)
            fprintf(out, "%4zu %6zu %10.4f %10.4f %22s %3zu %6zu  %s\n", r + 1,
                    config->index, s->mean, s->std, ci, s->n, config->failed, params);
        else
            fprintf(out, "%4zu %6zu %10s %10s %22s %3zu %6zu  %s\n", r + 1, config->index,
                    "-", "-", "-", s->n, config->failed, params);
    }
    if (ranked > SHOWN)
        fprintf(out, "... %zu more in %s/results.json\n", ranked - SHOWN, state->out_dir);
    if (state->has_best) {
        const struct config_record *best = &state->configs[state->best_config];
        const struct seed_record *seed = &best->seeds[state_best_seed(best, space->maximize)];
        char trial_id[48];
        state_trial_id(best, seed, trial_id, sizeof trial_id);
        fprintf(out, "best: config %zu, trial %s (%s %.4f); checkpoint in %s/best/\n",
                best->index, trial_id, space->objective_metric, seed->score, state->out_dir);
    } else if (view->stopped && ranked == 0) {
        fprintf(out, "no configuration has finished all its seeds yet\n");
    } else if (state->trials_ok == 0) {
        print_first_failure(state, out);
    }
    results_print_pbt_schedule(state, out);
    double mib = (double)fsutil_disk_usage(state->out_dir) / (1024.0 * 1024.0);
    fprintf(out, "results: %s/results.json, results.csv; the sweep directory uses %.1f MiB\n",
            state->out_dir, mib);
    free(order);
}
