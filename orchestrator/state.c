/*
 * The sweep's state and how journal records change it. See state.h.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fnv1a.h"
#include "fsutil.h"
#include "grow.h"
#include "journal_line.h"
#include "metric_line.h"
#include "path.h"
#include "ranking.h"
#include "search_space.h"

const char *state_seed_status_name(enum seed_status status)
{
    switch (status) {
    case SEED_OK:
        return "ok";
    case SEED_FAILED:
        return "failed";
    case SEED_RUNNING:
        return "running";
    case SEED_PAUSED:
        return "paused";
    case SEED_PRUNED:
        return "pruned";
    case SEED_PENDING:
        break;
    }
    return "pending";
}

int state_better(double a, double b, int maximize)
{
    return scheduler_better(a, b, maximize);
}

size_t state_trials_done(const struct sweep_state *state)
{
    return state->trials_ok + state->trials_failed + state->trials_pruned;
}

void state_trial_id(const struct config_record *config, const struct seed_record *seed,
                    char *buf, size_t size)
{
    snprintf(buf, size, "c%04zu-s%" PRIu64, config->index, seed->seed);
}

int state_trial_dir(const struct sweep_state *state, const struct config_record *config,
                    const struct seed_record *seed, char *buf, size_t size,
                    struct hp_error *err)
{
    char id[48];
    state_trial_id(config, seed, id, sizeof id);
    return hp_path_join(buf, size, err, state->out_dir, "trials", id, NULL);
}

int state_parse_trial_id(const char *trial_id, size_t *config, uint64_t *seed)
{
    char *end;
    if (trial_id[0] != 'c')
        return -1;
    errno = 0;
    unsigned long long c = strtoull(trial_id + 1, &end, 10);
    if (errno || end == trial_id + 1 || strncmp(end, "-s", 2) != 0)
        return -1;
    const char *s = end + 2;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *config = (size_t)c;
    *seed = (uint64_t)v;
    return 0;
}

json_t *state_params(const struct config_record *config)
{
    return json_loads(config->params_text, 0, NULL);
}

/* --- lifetime ------------------------------------------------------------ */

static void attempt_free(struct attempt *a)
{
    if (!a)
        return;
    for (size_t c = 0; c < a->checkpoint_count; c++)
        free(a->checkpoints[c]);
    free(a->checkpoints);
    free(a->checkpoint_epochs);
    for (size_t i = 0; i < a->step_count; i++)
        json_decref(a->steps[i].line);
    free(a->steps);
    json_decref(a->last_line);
    free(a->deferred);
    free(a);
}

static struct attempt *attempt_new(void)
{
    struct attempt *a = calloc(1, sizeof *a);
    if (a) {
        a->best_epoch = a->last_epoch = -1;
        a->best = a->last = NAN;
        a->last_step = a->resumed_after = a->resumed_at = -1;
        a->step_gap = 1;
    }
    return a;
}

static void config_free(struct config_record *config)
{
    free(config->params_text);
    for (size_t i = 0; config->seeds && i < config->seed_count; i++) {
        struct seed_record *seed = &config->seeds[i];
        free(seed->reason);
        free(seed->checkpoint);
        free(seed->resume_from);
        json_decref(seed->final_line);
        attempt_free(seed->live);
    }
    free(config->seeds);
}

int state_init(struct sweep_state *state, const struct space *space, const char *out_dir,
               struct hp_error *err)
{
    memset(state, 0, sizeof *state);
    state->space = space;
    state->out_dir = out_dir;
    struct strategy_context strategy_context = {space->maximize};
    if (space->strategy->create(&space->params, space->strategy_options, &strategy_context,
                                &state->strategy, err) < 0)
        return -1;
    state->trials_planned = strategy_planned(state->strategy) * space->seed_count;
    if (space->scheduler) {
        struct sched_context context = {strategy_planned(state->strategy), space->maximize,
                                        &space->params};
        if (space->scheduler->create(space->scheduler_options, &context, &state->scheduler,
                                     err) < 0)
            return -1;
        state->trials_planned += state->scheduler->extra_configs * space->seed_count;
    }
    return 0;
}

void state_free(struct sweep_state *state)
{
    for (size_t i = 0; i < state->config_count; i++)
        config_free(&state->configs[i]);
    free(state->configs);
    free(state->queue);
    state_drops_free(state->drops, state->drop_count);
    if (state->strategy)
        strategy_destroy(state->strategy);
    scheduler_destroy(state->scheduler);
    for (size_t i = 0; i < state->decision_count; i++)
        sched_decision_clear(&state->decisions[i]);
    free(state->decisions);
    json_decref(state->provenance);
    memset(state, 0, sizeof *state);
}

/* --- lookups ------------------------------------------------------------- */

static int add_config(struct sweep_state *state, size_t index, const json_t *params,
                      struct hp_error *err)
{
    if (index != state->config_count)
        return hp_error_set(err, "", "config %zu arrived out of order (expected %zu)", index,
                            state->config_count);
    struct config_record *grown = hp_grow(state->configs, &state->config_cap,
                                          state->config_count + 1, sizeof *grown);
    if (!grown)
        return hp_error_set(err, "", "out of memory");
    state->configs = grown;
    const struct space *space = state->space;
    struct config_record *config = &state->configs[state->config_count];
    memset(config, 0, sizeof *config);
    config->index = index;
    config->params_text = hp_json_dumps(params, JSON_COMPACT | JSON_PRESERVE_ORDER);
    config->seeds = calloc(space->seed_count, sizeof *config->seeds);
    if (!config->params_text || !config->seeds) {
        free(config->params_text);
        free(config->seeds);
        return hp_error_set(err, "", "out of memory");
    }
    config->seed_count = space->seed_count;
    /* The scheduler admits configs in index order, on every replay alike. */
    long budget = state->scheduler ? scheduler_admit(state->scheduler, index, params) : 0;
    if (budget < 0) {
        free(config->params_text);
        free(config->seeds);
        return hp_error_set(err, "", "out of memory");
    }
    config->budget = budget;
    for (size_t i = 0; i < space->seed_count; i++) {
        config->seeds[i].seed = space->seeds[i];
        config->seeds[i].score = NAN;
        config->seeds[i].score_epoch = -1;
        config->seeds[i].budget = budget;
    }
    state->config_count++;
    return 0;
}

/* Finds the seed a record is about, from its "config" and "seed" fields. */
static int find_seed(struct sweep_state *state, const json_t *record, struct seed_ref *ref,
                     struct hp_error *err)
{
    json_t *config = json_object_get(record, "config");
    json_t *seed = json_object_get(record, "seed");
    if (!json_is_integer(config) || !json_is_integer(seed))
        return hp_error_set(err, "", "record without config and seed");
    json_int_t c = json_integer_value(config);
    if (c < 0 || (size_t)c >= state->config_count)
        return hp_error_set(err, "", "record for unknown config %lld", (long long)c);
    const struct config_record *record_config = &state->configs[c];
    for (size_t i = 0; i < record_config->seed_count; i++) {
        if ((json_int_t)record_config->seeds[i].seed == json_integer_value(seed)) {
            ref->config = (size_t)c;
            ref->seed = i;
            return 0;
        }
    }
    return hp_error_set(err, "", "record for seed %lld, which the space does not list",
                        (long long)json_integer_value(seed));
}

static int enqueue(struct sweep_state *state, struct seed_ref ref)
{
    if (state->queue_head > 0 && state->queue_head == state->queue_len)
        state->queue_head = state->queue_len = 0;
    struct seed_ref *grown = hp_grow(state->queue, &state->queue_cap, state->queue_len + 1,
                                     sizeof *grown);
    if (!grown)
        return -1;
    state->queue = grown;
    state->queue[state->queue_len++] = ref;
    state->configs[ref.config].seeds[ref.seed].queued = 1;
    return 0;
}

/* --- applying records ---------------------------------------------------- */

/* The step `path` was reported at by attempt `a`, or -1. */
static long checkpoint_epoch(const struct attempt *a, const char *path)
{
    for (size_t c = 0; a && c < a->checkpoint_count; c++)
        if (strcmp(a->checkpoints[c], path) == 0)
            return a->checkpoint_epochs[c];
    return -1;
}

static int apply_start(struct sweep_state *state, const json_t *record, struct hp_error *err)
{
    json_t *config = json_object_get(record, "config");
    json_t *params = json_object_get(record, "params");
    if (!json_is_integer(config) || !json_is_object(params))
        return hp_error_set(err, "", "start record without config or params");
    size_t index = (size_t)json_integer_value(config);
    if (index == state->config_count) {
        /* A config the runner asked for before the journal was replayed: ask
         * the strategy again so that it stands where it stood, and check that
         * it proposes the same config (the journal belongs to this space). */
        struct ask_result ask;
        memset(&ask, 0, sizeof ask);
        if (strategy_ask(state->strategy, &ask) < 0 || ask.kind != ASK_CONFIG ||
            ask.config_index != index || !json_equal(ask.params, params)) {
            json_decref(ask.params);
            free(ask.resume_from);
            return hp_error_set(err, "",
                                "config %zu in the journal is not what the %s strategy "
                                "proposes for this space",
                                index, state->space->strategy->name);
        }
        free(ask.resume_from);
        int rc = add_config(state, index, ask.params, err);
        json_decref(ask.params);
        if (rc < 0)
            return -1;
    }
    struct seed_ref ref;
    if (find_seed(state, record, &ref, err) < 0)
        return -1;
    struct seed_record *seed = &state->configs[ref.config].seeds[ref.seed];
    /* A restart from a checkpoint continues what the attempt reported before;
     * a restart from scratch begins again. */
    json_t *resume = json_object_get(record, "resume_from");
    if (!json_is_string(resume) || !seed->live) {
        attempt_free(seed->live);
        seed->live = attempt_new();
        if (!seed->live)
            return hp_error_set(err, "", "out of memory");
        /* A config continuing another's checkpoint (pbt) trains only the
         * steps after it: those before were counted for the source. */
        const struct config_record *config = &state->configs[ref.config];
        if (json_is_string(resume) && config->has_source) {
            const struct seed_record *from = &state->configs[config->source].seeds[ref.seed];
            long epoch = checkpoint_epoch(from->live, json_string_value(resume));
            if (epoch > 0)
                seed->live->counted_step = epoch;
        }
    } else {
        /* The trainer goes back to the checkpoint's epoch: what it trains
         * from there counts again, since it is trained again. */
        struct attempt *a = seed->live;
        for (size_t c = 0; c < a->checkpoint_count; c++)
            if (strcmp(a->checkpoints[c], json_string_value(resume)) == 0 &&
                a->checkpoint_epochs[c] >= 0 && a->checkpoint_epochs[c] < a->counted_step)
                a->counted_step = a->checkpoint_epochs[c];
        a->resumed_after = a->last_step;
        a->resumed_at = checkpoint_epoch(a, json_string_value(resume));
    }
    seed->live->run_stepped = 0;
    seed->live->ran_ahead[0] = '\0';
    seed->live->units = 0;
    json_t *budget = json_object_get(record, "budget");
    if (json_is_integer(budget))
        seed->budget = (long)json_integer_value(budget);
    json_decref(seed->final_line);
    seed->final_line = NULL;
    seed->queued = 0;
    if (seed->status != SEED_RUNNING)
        state->trials_running++;
    seed->status = SEED_RUNNING;
    return 0;
}

static int add_checkpoint(struct attempt *a, const char *path, long epoch)
{
    for (size_t c = 0; c < a->checkpoint_count; c++) {
        if (strcmp(a->checkpoints[c], path) == 0) {
            a->checkpoint_epochs[c] = epoch;
            /* Move it last: the latest report names the freshest file. */
            char *moved = a->checkpoints[c];
            memmove(a->checkpoints + c, a->checkpoints + c + 1,
                    (a->checkpoint_count - c - 1) * sizeof *a->checkpoints);
            memmove(a->checkpoint_epochs + c, a->checkpoint_epochs + c + 1,
                    (a->checkpoint_count - c - 1) * sizeof *a->checkpoint_epochs);
            a->checkpoints[a->checkpoint_count - 1] = moved;
            a->checkpoint_epochs[a->checkpoint_count - 1] = epoch;
            return 0;
        }
    }
    size_t n = a->checkpoint_count + 1;
    char **paths = realloc(a->checkpoints, n * sizeof *paths);
    if (!paths)
        return -1;
    a->checkpoints = paths;
    long *epochs = realloc(a->checkpoint_epochs, n * sizeof *epochs);
    if (!epochs)
        return -1;
    a->checkpoint_epochs = epochs;
    paths[n - 1] = strdup(path);
    if (!paths[n - 1])
        return -1;
    epochs[n - 1] = epoch;
    a->checkpoint_count = n;
    return 0;
}

/* A reported value that is not finite means the run diverged: the objective
 * itself, or any loss. */
static void check_nonfinite(struct attempt *a, const json_t *line, const char *objective)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)line, key, value) {
        size_t len = strlen(key);
        int watched = strcmp(key, objective) == 0 ||
                      (len >= 4 && strcmp(key + len - 4, "loss") == 0);
        double v;
        if (watched && hp_metric_line_number(line, key, &v) == 0 && !isfinite(v)) {
            a->saw_nonfinite = 1;
            snprintf(a->nonfinite_key, sizeof a->nonfinite_key, "%s", key);
            return;
        }
    }
}

/* The checkpoint a report record names, as the runner vetted it: the runner
 * resolves what the trainer reported and records "checkpoint_path" (a file
 * inside the trial's own directory, symlinks resolved) or "checkpoint_refused".
 * Records written before that rule carry neither: their path is taken only
 * when it is lexically inside the trial directory. Returns 1 with path
 * filled, or 0 when the report names no usable checkpoint. */
static int checkpoint_of_report(const struct sweep_state *state,
                                const struct config_record *config,
                                const struct seed_record *seed, const json_t *record,
                                const json_t *line, char *path, size_t size)
{
    const char *name = json_string_value(json_object_get(line, "checkpoint"));
    if (!name || json_object_get(record, "checkpoint_refused"))
        return 0;
    const char *vetted = json_string_value(json_object_get(record, "checkpoint_path"));
    if (vetted)
        return hp_path_join(path, size, NULL, vetted, NULL) == 0 && path[0];
    /* A path too long for its buffer names no checkpoint: never a shorter,
     * different file that retention would later delete or move. */
    char dir[HP_PATH_MAX];
    if (state_trial_dir(state, config, seed, dir, sizeof dir, NULL) < 0)
        return 0;
    if (fsutil_stays_below(name))
        return hp_path_join(path, size, NULL, dir, name, NULL) == 0;
    if (name[0] == '/' && fsutil_is_inside(name, dir))
        return hp_path_join(path, size, NULL, name, NULL) == 0 && path[0];
    return 0;
}

/* The objective, reported but not as a number: remembered (the first time)
 * so that the trial's reason can say so instead of "never reported". */
static void check_objective_type(struct attempt *a, const json_t *line, const char *objective)
{
    const json_t *value = json_object_get(line, objective);
    double ignored;
    if (!value || a->objective_misreport[0] || hp_metric_line_number(line, objective, &ignored) == 0)
        return;
    char got[96];
    search_space_describe(value, got, sizeof got);
    const char *kind = json_is_string(value) ? "a string"
                       : json_is_null(value) ? "null"
                       : json_is_boolean(value) ? "a boolean"
                       : json_is_array(value) ? "an array"
                                              : "an object";
    if (json_is_string(value) || json_is_boolean(value))
        snprintf(a->objective_misreport, sizeof a->objective_misreport, "%s (%s)", got, kind);
    else
        snprintf(a->objective_misreport, sizeof a->objective_misreport, "%s", kind);
}

/* The resource (progress) a metric line reports, as a whole number. */
static int line_step(const struct sweep_state *state, const json_t *line, long *step)
{
    const char *key = state->space->resource_key ? state->space->resource_key : "epoch";
    double v;
    if (hp_metric_line_number(line, key, &v) < 0 || !isfinite(v) || v < 0 || v > 1e15)
        return 0;
    *step = (long)v;
    return 1;
}

/* For a run resumed from a checkpoint: 1 when `line` shows it went on past
 * steps the journal never recorded (its first step lies further beyond the
 * last recorded one than the trainer's own reporting interval), noted in
 * a->ran_ahead; then, and for every later line of the run, 1. Else 0, and
 * the step is taken into the attempt's continuity. */
static int skips_unrecorded_steps(const struct sweep_state *state, struct attempt *a,
                                  const json_t *line)
{
    if (a->ran_ahead[0])
        return 1;
    long step;
    if (json_object_get(line, "checkpoint") || !line_step(state, line, &step))
        return 0;
    if (!a->run_stepped && a->resumed_after >= 0 && step > a->resumed_after + a->step_gap) {
        snprintf(a->ran_ahead, sizeof a->ran_ahead,
                 "its checkpoint was ahead of the journal: resumed, it reported step %ld, "
                 "but the journal's lines stop at step %ld (hpsearch was killed before "
                 "reading the rest); it trains again from the start",
                 step, a->resumed_after);
        return 1;
    }
    a->run_stepped = 1;
    /* The interval counts from step 0: a trainer whose first report is at
     * step 100 reports every 100. */
    long since = a->last_step >= 0 ? a->last_step : 0;
    if (step > since)
        a->step_gap = step - since;
    if (step > a->last_step)
        a->last_step = step;
    return 0;
}

static int remember_step(struct attempt *a, long step, double value, const json_t *line)
{
    struct step_line *grown = hp_grow(a->steps, &a->step_cap, a->step_count + 1,
                                      sizeof *grown);
    if (!grown)
        return -1;
    a->steps = grown;
    json_t *copy = json_deep_copy(line);
    if (!copy)
        return -1;
    json_object_del(copy, "seconds"); /* timings are not results */
    a->steps[a->step_count++] = (struct step_line){step, value, copy};
    return 0;
}

/* The furthest step an attempt's lines reached, 0 if none. */
static long attempt_reached(const struct attempt *a)
{
    long reached = 0;
    for (size_t i = 0; a && i < a->step_count; i++)
        if (a->steps[i].step > reached)
            reached = a->steps[i].step;
    return reached;
}

/* The objective by the score rule over the attempt's lines up to `step`;
 * NaN when none has it. *score_step (may be NULL) gets the step it was
 * reported at, -1 if none. */
static double attempt_score_at(const struct attempt *a, long step, int last, int maximize,
                               long *score_step)
{
    double score = NAN;
    long at = -1;
    for (size_t i = 0; a && i < a->step_count; i++) {
        const struct step_line *l = &a->steps[i];
        if (l->step > step || isnan(l->value))
            continue;
        if (last || isnan(score) || state_better(l->value, score, maximize)) {
            score = l->value;
            at = l->step;
        }
    }
    if (score_step)
        *score_step = at;
    return score;
}

double state_score_at(const struct sweep_state *state, const struct seed_record *seed,
                      long step, long *score_epoch)
{
    if (!seed->live || seed->live->step_count == 0) {
        if (score_epoch)
            *score_epoch = seed->score_epoch;
        return seed->score;
    }
    return attempt_score_at(seed->live, step, state->space->score == SCORE_LAST,
                            state->space->maximize, score_epoch);
}

/* The config's seeds that can still report: not failed, not pruned. When
 * every one of them has reached a step beyond what the scheduler was told,
 * tells it the config's value at each such step (the mean over those seeds
 * of their score up to the step), in order. */
static void tell_progress(struct sweep_state *state, struct config_record *config)
{
    long reached = LONG_MAX;
    const struct attempt *slowest = NULL;
    for (size_t i = 0; i < config->seed_count; i++) {
        const struct seed_record *seed = &config->seeds[i];
        if (seed->status == SEED_FAILED || seed->status == SEED_PRUNED)
            continue;
        long r = seed->live ? attempt_reached(seed->live) : 0;
        if (r < reached) {
            reached = r;
            slowest = seed->live;
        }
    }
    if (reached == LONG_MAX || !slowest || reached <= config->progress_step)
        return;
    int last = state->space->score == SCORE_LAST;
    for (size_t l = 0; l < slowest->step_count; l++) {
        long step = slowest->steps[l].step;
        if (step <= config->progress_step || step > reached)
            continue;
        double sum = 0.0;
        size_t n = 0;
        for (size_t i = 0; i < config->seed_count; i++) {
            const struct seed_record *seed = &config->seeds[i];
            if (seed->status == SEED_FAILED || seed->status == SEED_PRUNED)
                continue;
            double v = attempt_score_at(seed->live, step, last, state->space->maximize, NULL);
            if (!isnan(v)) {
                sum += v;
                n++;
            }
        }
        config->progress_step = step;
        scheduler_progress(state->scheduler, config->index, step, n ? sum / (double)n : NAN);
    }
}

static int apply_report(struct sweep_state *state, const json_t *record,
                        struct hp_error *err)
{
    struct seed_ref ref;
    if (find_seed(state, record, &ref, err) < 0)
        return -1;
    struct config_record *config = &state->configs[ref.config];
    struct seed_record *seed = &config->seeds[ref.seed];
    struct attempt *a = seed->live;
    const json_t *line = json_object_get(record, "line");
    if (!a || !json_is_object(line))
        return 0; /* a report outside an attempt changes nothing */

    if (skips_unrecorded_steps(state, a, line))
        return 0; /* the run goes again from the start: its lines count for nothing */

    long epoch = -1;
    json_t *epoch_value = json_object_get(line, "epoch");
    if (json_is_integer(epoch_value))
        epoch = (long)json_integer_value(epoch_value);

    char path[HP_PATH_MAX];
    if (checkpoint_of_report(state, config, seed, record, line, path, sizeof path) &&
        add_checkpoint(a, path, epoch) < 0)
        return hp_error_set(err, "", "out of memory");
    if (json_is_true(json_object_get(line, "final"))) {
        /* Kept without its timing, so results.json stays reproducible. */
        json_decref(seed->final_line);
        seed->final_line = json_deep_copy(line);
        json_object_del(seed->final_line, "seconds");
    }
    if (json_object_get(line, "epoch") && !json_object_get(line, "checkpoint")) {
        json_decref(a->last_line);
        a->last_line = json_incref((json_t *)line);
    }
    const char *objective = state->space->objective_metric;
    check_nonfinite(a, line, objective);
    check_objective_type(a, line, objective);
    double value;
    int has_value = !a->saw_nonfinite && hp_metric_line_number(line, objective, &value) == 0;
    if (has_value) {
        if (!a->has_value || state_better(value, a->best, state->space->maximize)) {
            a->best = value;
            a->best_epoch = epoch;
        }
        a->last = value;
        a->last_epoch = epoch;
        a->has_value = 1;
    }
    long step;
    if (json_object_get(line, "checkpoint") || !line_step(state, line, &step))
        return 0;
    if (step > a->counted_step) {
        a->units += step - a->counted_step;
        a->counted_step = step;
    }
    if (state->scheduler && remember_step(a, step, has_value ? value : NAN, line) < 0)
        return hp_error_set(err, "", "out of memory");
    if (scheduler_wants_progress(state->scheduler) && seed->status == SEED_RUNNING &&
        !config->settled)
        tell_progress(state, config);
    return 0;
}

static enum trial_failure failure_from_name(const char *name)
{
    for (int f = FAIL_NONE; f <= FAIL_INTERRUPTED; f++)
        if (name && strcmp(trial_failure_name((enum trial_failure)f), name) == 0)
            return (enum trial_failure)f;
    return FAIL_EXIT_CODE;
}

void state_drops_free(struct file_drop *drops, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(drops[i].path);
    free(drops);
}

struct file_drop *state_take_drops(struct sweep_state *state, size_t *count)
{
    struct file_drop *drops = state->drops;
    *count = state->drop_count;
    state->drops = NULL;
    state->drop_count = state->drop_cap = 0;
    return drops;
}

static void list_drop(struct sweep_state *state, struct seed_ref ref, const char *path,
                      size_t len)
{
    struct file_drop *grown =
        hp_grow(state->drops, &state->drop_cap, state->drop_count + 1, sizeof *grown);
    if (!grown)
        return;
    state->drops = grown;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, path, len);
    copy[len] = '\0';
    /* Replayed: most were deleted long ago; only what a killed run left
     * behind is listed, so the list stays small. */
    if (state->replaying && access(copy, F_OK) != 0) {
        free(copy);
        return;
    }
    state->drops[state->drop_count++] = (struct file_drop){copy, ref};
}

static void complete_config(struct sweep_state *state, size_t index)
{
    struct config_record *config = &state->configs[index];
    double *values = malloc((config->seed_count + 1) * sizeof *values);
    size_t n = 0;
    config->failed = 0;
    /* A pruned config's summary is over its partial scores: shown, never
     * ranked with configs that ran their full budget. */
    for (size_t i = 0; values && i < config->seed_count; i++) {
        const struct seed_record *seed = &config->seeds[i];
        if (seed->status == SEED_OK || seed->status == SEED_PRUNED)
            values[n++] = seed->score;
        config->failed += seed->status == SEED_FAILED;
    }
    stats_summarize(values, n, &config->summary);
    free(values);
    config->complete = 1;

    struct config_outcome outcome = {config->index, config->summary.mean,
                                     config->summary.std, n, config->failed,
                                     config->pruned, config->reached};
    strategy_tell(state->strategy, &outcome);

    if (n > 0 && !config->pruned && (!state->has_best ||
                  state_better(config->summary.mean,
                               state->configs[state->best_config].summary.mean,
                               state->space->maximize))) {
        state->best_config = index;
        state->has_best = 1;
    }
    if (state->on_config_complete && !state->replaying)
        state->on_config_complete(state, index, state->ctx);
}

static void check_segment(struct sweep_state *state, struct config_record *config);
static void finish_pruned(struct sweep_state *state, struct config_record *config,
                          struct seed_record *seed);
static int poll_decisions(struct sweep_state *state);

/* An end record, read either from a parsed object or, on replay, straight
 * from a journal line without escapes (every quote in such a line delimits a
 * string, so "key": can only be a key): end records are a third of a
 * journal, and reading them this way keeps a 100,000-trial replay fast. */
struct record_view {
    const json_t *json; /* the parsed record, or NULL */
    const char *line;   /* the raw line when json is NULL */
};

/* The raw value after "key":, or NULL. */
static const char *raw_value(const char *line, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(line, pattern);
    return at ? at + strlen(pattern) : NULL;
}

static double view_number(const struct record_view *v, const char *key, double fallback)
{
    if (v->json) {
        const json_t *value = json_object_get(v->json, key);
        return json_is_number(value) ? json_number_value(value) : fallback;
    }
    const char *p = raw_value(v->line, key);
    char *end;
    double value = p ? strtod(p, &end) : 0.0;
    return p && end != p ? value : fallback;
}

static int view_true(const struct record_view *v, const char *key)
{
    if (v->json)
        return json_is_true(json_object_get(v->json, key));
    const char *p = raw_value(v->line, key);
    return p && strncmp(p, "true", 4) == 0;
}

/* A new copy of the string at `key`, or NULL when absent or not a string. */
static char *view_strdup(const struct record_view *v, const char *key)
{
    if (v->json) {
        const char *text = json_string_value(json_object_get(v->json, key));
        return text ? strdup(text) : NULL;
    }
    const char *p = raw_value(v->line, key);
    if (!p || *p != '"')
        return NULL;
    const char *close = strchr(p + 1, '"');
    if (!close)
        return NULL;
    size_t n = (size_t)(close - p - 1);
    char *text = malloc(n + 1);
    if (text) {
        memcpy(text, p + 1, n);
        text[n] = '\0';
    }
    return text;
}

/* Lists the files a finished attempt no longer needs, from its end record's
 * "drop" (the runner's list: every checkpoint the attempt reported but the
 * one kept with its score). Applying a record only changes memory: the
 * runner deletes them once the record is durable (state_take_drops). A
 * replay lists them only with drops_on_replay, and only those still there
 * (what a killed run had no time to delete). Records written before "drop"
 * existed fall back to what the attempt reported, when its reports were
 * applied. Out of memory, a file is kept, which is safe. */
static void list_end_drops(struct sweep_state *state, const struct record_view *v,
                           struct seed_ref ref, const struct attempt *a, const char *keep)
{
    if (state->space->keep == KEEP_ALL || (state->replaying && !state->drops_on_replay))
        return;
    if (v->json) {
        const json_t *drop = json_object_get(v->json, "drop");
        if (json_is_array(drop)) {
            size_t i;
            const json_t *path;
            json_array_foreach(drop, i, path)
                if (json_is_string(path))
                    list_drop(state, ref, json_string_value(path),
                              json_string_length(path));
            return;
        }
    } else {
        const char *p = raw_value(v->line, "drop");
        if (p && *p == '[') {
            /* Without escapes, each element is a quote, text, a quote. */
            for (p++; *p == '"';) {
                const char *close = strchr(p + 1, '"');
                if (!close)
                    return;
                list_drop(state, ref, p + 1, (size_t)(close - p - 1));
                p = close + 1;
                p += *p == ',';
            }
            return;
        }
    }
    for (size_t c = 0; a && c < a->checkpoint_count; c++)
        if (!keep || strcmp(a->checkpoints[c], keep) != 0)
            list_drop(state, ref, a->checkpoints[c], strlen(a->checkpoints[c]));
}

static int view_find_seed(struct sweep_state *state, const struct record_view *v,
                          struct seed_ref *ref, struct hp_error *err)
{
    if (v->json)
        return find_seed(state, v->json, ref, err);
    double config = view_number(v, "config", -1);
    double seed = view_number(v, "seed", -1);
    if (config < 0 || seed < 0 || (size_t)config >= state->config_count)
        return hp_error_set(err, "", "record for unknown config %.0f", config);
    const struct config_record *c = &state->configs[(size_t)config];
    for (size_t i = 0; i < c->seed_count; i++) {
        if ((double)c->seeds[i].seed == seed) {
            ref->config = (size_t)config;
            ref->seed = i;
            return 0;
        }
    }
    return hp_error_set(err, "", "record for seed %.0f, which the space does not list", seed);
}

static int apply_end(struct sweep_state *state, const struct record_view *v,
                     struct hp_error *err)
{
    struct seed_ref ref;
    if (view_find_seed(state, v, &ref, err) < 0)
        return -1;
    struct config_record *config = &state->configs[ref.config];
    struct seed_record *seed = &config->seeds[ref.seed];
    if (seed->status != SEED_RUNNING)
        return hp_error_set(err, "", "end record for a trial that is not running");
    char *status = view_strdup(v, "status");
    if (!status)
        return hp_error_set(err, "", "end record without status");
    state->trials_running--;

    seed->seconds = view_number(v, "seconds", 0.0);
    seed->exit_status = (int)view_number(v, "exit_status", 0);
    seed->term_signal = (int)view_number(v, "signal", 0);
    state->trainer_seconds += seed->seconds;
    state->resource_units += (long long)view_number(v, "units", 0.0);
    seed->prune_pending = 0;

    if (strcmp(status, "pruned") == 0) {
        /* Stopped because its config was pruned (a decide record before). */
        free(status);
        list_end_drops(state, v, ref, seed->live, NULL);
        finish_pruned(state, config, seed);
        return 0;
    }

    if (strcmp(status, "interrupted") == 0) {
        /* Not run to its end: it runs again, from its last checkpoint when it
         * wrote one, with the same attempt number. */
        free(status);
        seed->status = SEED_PENDING;
        free(seed->resume_from);
        seed->resume_from = view_strdup(v, "resume_from");
        return enqueue(state, ref) < 0 ? hp_error_set(err, "", "out of memory") : 0;
    }

    /* A run to its budget that waits for the scheduler is not an attempt
     * used up: the retries stay for failures. */
    if (strcmp(status, "ok") != 0 || !state->scheduler || config->settled)
        seed->attempts++;
    free(seed->reason);
    seed->reason = NULL;
    free(seed->checkpoint);
    seed->checkpoint = NULL;
    free(seed->resume_from);
    seed->resume_from = NULL;
    if (strcmp(status, "ok") == 0) {
        seed->status = SEED_OK;
        seed->failure = FAIL_NONE;
        seed->score = view_number(v, "score", NAN);
        seed->score_epoch = (long)view_number(v, "score_epoch", -1);
        seed->checkpoint = view_strdup(v, "checkpoint");
    } else {
        char *failure = view_strdup(v, "failure");
        seed->failure = failure_from_name(failure);
        free(failure);
        seed->reason = view_strdup(v, "reason");
        if (!seed->reason)
            seed->reason = strdup("");
        seed->score = NAN;
        seed->score_epoch = -1;
        seed->status = view_true(v, "will_retry") ? SEED_PENDING : SEED_FAILED;
    }
    free(status);
    list_end_drops(state, v, ref, seed->live, seed->checkpoint);
    /* Under a scheduler a run to its budget waits for the decision on its
     * config: the attempt stays, with the checkpoints it continues from. */
    if (seed->status == SEED_OK && state->scheduler && !config->settled) {
        seed->status = SEED_PAUSED;
        check_segment(state, config);
        return 0;
    }
    attempt_free(seed->live);
    seed->live = NULL;

    if (seed->status == SEED_PENDING)
        return enqueue(state, ref) < 0 ? hp_error_set(err, "", "out of memory") : 0;
    if (seed->status == SEED_OK)
        state->trials_ok++;
    else
        state->trials_failed++;
    if (++config->finished == config->seed_count)
        complete_config(state, ref.config);
    else
        check_segment(state, config);
    return 0;
}

/* --- scheduler decisions ------------------------------------------------- */

/* When none of the config's seeds runs or waits to run, its run to the
 * budget is over: the scheduler is told the mean of the seeds that made it
 * (once per run). */
static void check_segment(struct sweep_state *state, struct config_record *config)
{
    if (!state->scheduler || config->settled || config->segment_told)
        return;
    double sum = 0.0;
    size_t n_ok = 0;
    for (size_t i = 0; i < config->seed_count; i++) {
        const struct seed_record *seed = &config->seeds[i];
        if (seed->status == SEED_RUNNING || seed->status == SEED_PENDING)
            return;
        if (seed->status == SEED_PAUSED) {
            sum += seed->score;
            n_ok++;
        }
    }
    config->segment_told = 1;
    if (n_ok == 0)
        config->settled = 1; /* every seed failed: nothing left to decide */
    scheduler_segment_end(state->scheduler, config->index, config->budget,
                          n_ok ? sum / (double)n_ok : NAN, n_ok);
}

/* A seed of a pruned config: its results are cut back to where the config
 * was pruned (it may have run on while the decision waited for earlier
 * configs), and it is final. */
static void finish_pruned(struct sweep_state *state, struct config_record *config,
                          struct seed_record *seed)
{
    const struct attempt *a = seed->live;
    seed->score = state_score_at(state, seed, config->reached, &seed->score_epoch);
    free(seed->checkpoint);
    seed->checkpoint = NULL;
    free(seed->resume_from);
    seed->resume_from = NULL;
    seed->queued = 0;
    /* A seed that ended its run right where it was pruned (a rung) keeps the
     * trainer's own final line. Any other was stopped mid-run, at a moment
     * that depends on timing, or ran past the step while the decision waited:
     * it gets its last line at or before the step, whatever came after. */
    size_t at = SIZE_MAX;
    for (size_t i = 0; a && i < a->step_count; i++)
        if (a->steps[i].step <= config->reached)
            at = i;
    int ended_there = seed->status == SEED_PAUSED && attempt_reached(a) == config->reached;
    if (a && a->step_count > 0 && !ended_there) {
        json_decref(seed->final_line);
        seed->final_line = at == SIZE_MAX ? NULL : json_incref(a->steps[at].line);
    }
    attempt_free(seed->live);
    seed->live = NULL;
    seed->status = SEED_PRUNED;
    seed->attempts++; /* its attempt ended here */
    state->trials_pruned++;
    if (++config->finished == config->seed_count)
        complete_config(state, config->index);
}

/* Takes the scheduler's new decisions into the queue the runner journals. */
static int poll_decisions(struct sweep_state *state)
{
    struct sched_decision d;
    int rc;
    while (state->scheduler && (rc = scheduler_decide(state->scheduler, &d)) == 1) {
        struct sched_decision *grown = hp_grow(state->decisions, &state->decision_cap,
                                               state->decision_count + 1, sizeof *grown);
        if (!grown)
            return -1;
        state->decisions = grown;
        state->decisions[state->decision_count++] = d;
    }
    return state->scheduler && rc < 0 ? -1 : 0;
}

const struct sched_decision *state_next_decision(const struct sweep_state *state)
{
    return state->decision_count > 0 ? &state->decisions[0] : NULL;
}

/* Lists the files a decide record drops: "drop": [{"seed": S, "path": P}]. */
static void list_decision_drops(struct sweep_state *state, const json_t *record,
                                size_t config)
{
    if (state->space->keep == KEEP_ALL || (state->replaying && !state->drops_on_replay))
        return;
    size_t i;
    const json_t *entry;
    json_array_foreach(json_object_get(record, "drop"), i, entry)
    {
        const json_t *seed = json_object_get(entry, "seed");
        const json_t *path = json_object_get(entry, "path");
        const struct config_record *c = &state->configs[config];
        for (size_t s = 0; json_is_integer(seed) && json_is_string(path) && s < c->seed_count;
             s++)
            if ((json_int_t)c->seeds[s].seed == json_integer_value(seed))
                list_drop(state, (struct seed_ref){config, s}, json_string_value(path),
                          json_string_length(path));
    }
}

/* A population scheduler's new config (SCHED_CONTINUE or _EXPLOIT): each
 * seed continues from the latest checkpoint of the same seed of the source,
 * which waits (paused) until the scheduler retires it; a seed whose source
 * failed has nothing to continue and starts afresh. */
static int spawn_config(struct sweep_state *state, const struct sched_decision *d,
                        struct hp_error *err)
{
    if (d->config != state->config_count || d->source >= state->config_count ||
        !json_is_object(d->params))
        return hp_error_set(err, "", "a %s decision for config %zu from %zu is out of order",
                            scheduler_action_name(d->action), d->config, d->source);
    if (add_config(state, d->config, d->params, err) < 0)
        return -1;
    struct config_record *config = &state->configs[d->config];
    const struct config_record *source = &state->configs[d->source];
    config->source = d->source;
    config->has_source = 1;
    config->exploited = d->action == SCHED_EXPLOIT;
    for (size_t i = 0; i < config->seed_count; i++) {
        const struct seed_record *from = &source->seeds[i];
        const char *latest =
            from->status == SEED_PAUSED ? state_latest_checkpoint(from->live) : NULL;
        config->seeds[i].resume_from = latest ? strdup(latest) : NULL;
        if (latest && !config->seeds[i].resume_from)
            return hp_error_set(err, "", "out of memory");
    }
    return 0;
}

/* {"event": "decide", config, action, at, budget}: the scheduler's decision,
 * which must be the one it makes now from the same results (else the
 * journal belongs to another space or another version of the scheduler). */
static int apply_decision(struct sweep_state *state, const json_t *record,
                          struct hp_error *err)
{
    const char *action = json_string_value(json_object_get(record, "action"));
    json_t *config_value = json_object_get(record, "config");
    long at = (long)json_integer_value(json_object_get(record, "at"));
    long budget = (long)json_integer_value(json_object_get(record, "budget"));
    if (!state->scheduler || !action || !json_is_integer(config_value))
        return hp_error_set(err, "", "a decide record without a scheduler, action or config");
    if (poll_decisions(state) < 0)
        return hp_error_set(err, "", "out of memory");
    const struct sched_decision *d = state_next_decision(state);
    size_t index = (size_t)json_integer_value(config_value);
    int spawns = d && (d->action == SCHED_CONTINUE || d->action == SCHED_EXPLOIT);
    json_t *source_value = json_object_get(record, "source");
    if (!d || strcmp(scheduler_action_name(d->action), action) != 0 || d->config != index ||
        d->at != at || d->budget != budget ||
        (spawns && (!json_is_integer(source_value) ||
                    (size_t)json_integer_value(source_value) != d->source ||
                    !json_equal(d->params, json_object_get(record, "params"))))) {
        char expected[128] = "no decision";
        if (d)
            snprintf(expected, sizeof expected, "%s config %zu at %ld",
                     scheduler_action_name(d->action), d->config, d->at);
        return hp_error_set(err, "",
                            "the journal's decision (%s config %zu at %ld) is not what the "
                            "%s scheduler decides from the same results (%s)",
                            action, index, at, state->space->scheduler->name, expected);
    }
    struct sched_decision taken = *d;
    memmove(state->decisions, state->decisions + 1,
            (state->decision_count - 1) * sizeof *state->decisions);
    state->decision_count--;
    if (spawns) {
        int rc = spawn_config(state, &taken, err);
        sched_decision_clear(&taken);
        return rc;
    }
    enum sched_action act = taken.action;
    if (index >= state->config_count)
        return hp_error_set(err, "", "a decision for unknown config %zu", index);
    struct config_record *config = &state->configs[index];
    if (act == SCHED_RETIRE && config->complete) {
        config->retired = 1; /* every seed failed: it was over already */
        return 0;
    }
    list_decision_drops(state, record, index);
    if (act == SCHED_PROMOTE) {
        config->budget = budget;
        config->segment_told = 0;
        for (size_t i = 0; i < config->seed_count; i++) {
            struct seed_record *seed = &config->seeds[i];
            if (seed->status != SEED_PAUSED)
                continue;
            seed->status = SEED_PENDING;
            seed->budget = budget;
            free(seed->resume_from);
            /* Each seed continues from its own latest checkpoint; without one
             * it runs again from the start (the start record says so). */
            const char *latest = state_latest_checkpoint(seed->live);
            seed->resume_from = latest ? strdup(latest) : NULL;
            if (enqueue(state, (struct seed_ref){index, i}) < 0)
                return hp_error_set(err, "", "out of memory");
        }
        return 0;
    }
    config->settled = 1;
    config->reached = at;
    if (act == SCHED_RETIRE) {
        /* A stage of a member that later configs continue: its runs were
         * whole and stand, but it is not ranked with the final stages. */
        config->retired = 1;
        config->pruned = 1;
    }
    if (act == SCHED_PRUNE) {
        config->pruned = 1;
        for (size_t i = 0; i < config->seed_count && !config->complete; i++) {
            struct seed_record *seed = &config->seeds[i];
            if (seed->status == SEED_RUNNING)
                seed->prune_pending = 1; /* the runner stops it */
            else if (seed->status == SEED_PAUSED || seed->status == SEED_PENDING)
                finish_pruned(state, config, seed);
        }
        return 0;
    }
    for (size_t i = 0; i < config->seed_count; i++) {
        struct seed_record *seed = &config->seeds[i];
        if (seed->status != SEED_PAUSED)
            continue;
        attempt_free(seed->live);
        seed->live = NULL;
        seed->status = SEED_OK;
        seed->attempts++; /* its attempt ended here, run to the full budget */
        state->trials_ok++;
        if (++config->finished == config->seed_count)
            complete_config(state, index);
    }
    return 0;
}

/* The best config among the complete ones, after a config stopped being
 * complete (a retry). */
static void recompute_best(struct sweep_state *state)
{
    state->has_best = 0;
    for (size_t i = 0; i < state->config_count; i++) {
        const struct config_record *c = &state->configs[i];
        if (!c->complete || c->summary.n == 0)
            continue;
        if (!state->has_best ||
            state_better(c->summary.mean, state->configs[state->best_config].summary.mean,
                         state->space->maximize)) {
            state->best_config = i;
            state->has_best = 1;
        }
    }
}

/* {"event": "retry", trial, config, seed}: a failed seed runs again (resume
 * --retry-failed). Its config is no longer complete until it has. */
static int apply_retry(struct sweep_state *state, const json_t *record, struct hp_error *err)
{
    struct seed_ref ref;
    if (find_seed(state, record, &ref, err) < 0)
        return -1;
    struct config_record *config = &state->configs[ref.config];
    struct seed_record *seed = &config->seeds[ref.seed];
    if (seed->status != SEED_FAILED)
        return hp_error_set(err, "", "retry record for a trial that has not failed");
    seed->status = SEED_PENDING;
    seed->failure = FAIL_NONE;
    free(seed->reason);
    seed->reason = NULL;
    state->trials_failed--;
    config->finished--;
    if (config->complete) {
        config->complete = 0;
        config->failed = 0;
        memset(&config->summary, 0, sizeof config->summary);
        if (state->has_best && state->best_config == ref.config)
            recompute_best(state);
    }
    return enqueue(state, ref) < 0 ? hp_error_set(err, "", "out of memory") : 0;
}

/* Applies a record that changes trials, then takes what the scheduler
 * decided from it: decisions follow the records that made them, on every
 * replay alike. */
static int apply_trial_record(struct sweep_state *state, const char *event,
                              const json_t *record, struct hp_error *err)
{
    int rc;
    if (strcmp(event, "start") == 0) {
        rc = apply_start(state, record, err);
    } else if (strcmp(event, "report") == 0) {
        rc = apply_report(state, record, err);
    } else if (strcmp(event, "end") == 0) {
        struct record_view view = {record, NULL};
        rc = apply_end(state, &view, err);
    } else if (strcmp(event, "retry") == 0) {
        rc = apply_retry(state, record, err);
    } else {
        rc = apply_decision(state, record, err);
    }
    if (rc == 0 && poll_decisions(state) < 0)
        rc = hp_error_set(err, "", "out of memory");
    return rc;
}

int state_apply(struct sweep_state *state, const json_t *record, struct hp_error *err)
{
    static const char *const trial_events[] = {"start", "report", "end", "retry", "decide"};
    const char *event = json_string_value(json_object_get(record, "event"));
    if (!event)
        return hp_error_set(err, "", "record without \"event\"");
    for (size_t i = 0; i < sizeof trial_events / sizeof *trial_events; i++)
        if (strcmp(event, trial_events[i]) == 0)
            return apply_trial_record(state, event, record, err);
    if (strcmp(event, "sweep_start") == 0) {
        state->started_at = json_number_value(json_object_get(record, "time"));
        state->ended = 0;
    } else if (strcmp(event, "resume") == 0) {
        state->resumed_at = json_number_value(json_object_get(record, "time"));
        state->done_at_resume = state_trials_done(state);
        state->ended = 0;
    } else if (strcmp(event, "sweep_end") == 0) {
        state->ended = 1;
        state->end_complete = json_is_true(json_object_get(record, "complete"));
        const char *why = json_string_value(json_object_get(record, "reason"));
        snprintf(state->end_reason, sizeof state->end_reason, "%s", why ? why : "");
        state->elapsed_closed += json_number_value(json_object_get(record, "elapsed_s"));
    } else if (strcmp(event, "provenance") == 0) {
        json_t *provenance = json_object_get(record, "provenance");
        json_decref(state->provenance);
        state->provenance = json_is_object(provenance) ? json_incref(provenance) : NULL;
    }
    return 0; /* resume, config, sweep_end: for people and tools */
}

const char *state_latest_checkpoint(const struct attempt *a)
{
    for (size_t c = a ? a->checkpoint_count : 0; c > 0; c--)
        if (access(a->checkpoints[c - 1], R_OK) == 0)
            return a->checkpoints[c - 1];
    return NULL;
}

int state_requeue_running(struct sweep_state *state, struct hp_error *err)
{
    for (size_t c = 0; c < state->config_count; c++) {
        struct config_record *config = &state->configs[c];
        for (size_t s = 0; s < config->seed_count; s++) {
            struct seed_record *seed = &config->seeds[s];
            if (seed->status != SEED_RUNNING)
                continue;
            seed->status = SEED_PENDING;
            state->trials_running--;
            /* What the killed run trained was spent, though no end record
             * says so. */
            if (seed->live)
                state->resource_units += seed->live->units;
            free(seed->resume_from);
            const char *latest = state_latest_checkpoint(seed->live);
            seed->resume_from = latest ? strdup(latest) : NULL;
            if (enqueue(state, (struct seed_ref){c, s}) < 0)
                return hp_error_set(err, "", "out of memory");
        }
    }
    return 0;
}

void state_hash_text(const char *data, size_t len, char out[24])
{
    uint64_t h = hp_fnv1a64(HP_FNV1A64_OFFSET, data, len);
    snprintf(out, 24, "%016" PRIx64, h);
}

/* --- choosing what runs next --------------------------------------------- */

static int fresh(const struct seed_record *seed)
{
    return seed->status == SEED_PENDING && !seed->queued && !seed->live &&
           seed->attempts == 0;
}

int state_next(struct sweep_state *state, struct seed_ref *next, struct hp_error *err)
{
    while (state->queue_head < state->queue_len) {
        struct seed_ref ref = state->queue[state->queue_head++];
        struct seed_record *seed = &state->configs[ref.config].seeds[ref.seed];
        if (seed->queued && seed->status == SEED_PENDING) {
            *next = ref;
            return 1;
        }
    }
    for (size_t c = state->cursor; c < state->config_count; c++) {
        struct config_record *config = &state->configs[c];
        for (size_t s = 0; s < config->seed_count; s++) {
            if (fresh(&config->seeds[s])) {
                *next = (struct seed_ref){c, s};
                return 1;
            }
        }
        if (c == state->cursor)
            state->cursor = c + 1; /* every seed started: never look here again */
    }
    if (state->strategy_done)
        return 0;
    struct ask_result ask;
    memset(&ask, 0, sizeof ask);
    if (strategy_ask(state->strategy, &ask) < 0)
        return hp_error_set(err, "strategy", "the %s strategy failed to propose a config",
                            state->space->strategy->name);
    free(ask.resume_from);
    if (ask.kind == ASK_DONE)
        state->strategy_done = 1;
    if (ask.kind != ASK_CONFIG)
        return 0;
    int rc = add_config(state, ask.config_index, ask.params, err);
    json_decref(ask.params);
    if (rc < 0)
        return -1;
    *next = (struct seed_ref){state->config_count - 1, 0};
    return 1;
}

/* --- replay -------------------------------------------------------------- */

/* Replay avoids parsing what cannot matter: records are written by
 * journal_append with "event" first, so informational ones are skipped by
 * their prefix, and a report line is parsed only if it is a final line or
 * its attempt turns out to be unfinished at the end of the journal (then it
 * is needed to resume from, and for `status`). A 100,000-trial journal
 * replays in well under a second this way. */

static int has_prefix(const char *line, const char *prefix)
{
    return strncmp(line, prefix, strlen(prefix)) == 0;
}

/* Reads the integer after "key": in the record's head (before "line"). */
static int peek_int(const char *line, const char *key, unsigned long long *out)
{
    const char *stop = strstr(line, "\"line\":");
    const char *at = strstr(line, key);
    if (!at || (stop && at > stop))
        return -1;
    char *end;
    errno = 0;
    *out = strtoull(at + strlen(key), &end, 10);
    return errno || end == at + strlen(key) ? -1 : 0;
}

/* Remembers where a report of a running attempt is, to apply it later if the
 * attempt never ends. Returns 0, 1 when the line must be applied now, -1. */
static int defer_report(struct sweep_state *state, const char *line, long long offset)
{
    if (strstr(line, "\"final\":true"))
        return 1;
    unsigned long long config, seed_value;
    if (peek_int(line, "\"config\":", &config) < 0 || peek_int(line, "\"seed\":", &seed_value) < 0 ||
        config >= state->config_count)
        return 1; /* not our usual shape: the full path reports the problem */
    struct config_record *c = &state->configs[config];
    for (size_t s = 0; s < c->seed_count; s++) {
        struct attempt *a = c->seeds[s].live;
        if (c->seeds[s].seed != seed_value)
            continue;
        if (!a)
            return 0; /* outside an attempt: changes nothing */
        long long *grown = hp_grow(a->deferred, &a->deferred_cap, a->deferred_count + 1,
                                   sizeof *grown);
        if (!grown)
            return -1;
        a->deferred = grown;
        a->deferred[a->deferred_count++] = offset;
        return 0;
    }
    return 1;
}

static int apply_text(struct sweep_state *state, const char *line, size_t len,
                      const char *path, long line_number, struct hp_error *err)
{
    json_error_t jerr;
    json_t *record = json_loadb(line, len, 0, &jerr);
    if (!record)
        return hp_error_set(err, "", "%s:%ld: not a JSON record (%s)", path, line_number,
                            jerr.text);
    struct hp_error apply_err;
    hp_error_init(&apply_err);
    int rc = state_apply(state, record, &apply_err);
    json_decref(record);
    if (rc < 0)
        return hp_error_set(err, "", "%s:%ld: %s", path, line_number, apply_err.message);
    return 0;
}

/* Applies the deferred reports of attempts still running at the journal's
 * end, in order. */
static int apply_deferred(struct sweep_state *state, FILE *in, const char *path,
                          struct hp_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t c = 0; c < state->config_count && rc == 0; c++) {
        struct config_record *config = &state->configs[c];
        for (size_t s = 0; s < config->seed_count && rc == 0; s++) {
            struct attempt *a = config->seeds[s].live;
            if (!a || a->deferred_count == 0)
                continue;
            long long *offsets = a->deferred;
            size_t count = a->deferred_count;
            a->deferred = NULL;
            a->deferred_count = a->deferred_cap = 0;
            for (size_t i = 0; i < count && rc == 0; i++) {
                ssize_t len;
                if (fseeko(in, (off_t)offsets[i], SEEK_SET) != 0 ||
                    (len = getline(&line, &cap, in)) <= 0)
                    rc = hp_error_set(err, "", "%s: cannot read it again", path);
                else
                    rc = apply_text(state, line, (size_t)len, path, 0, err);
            }
            free(offsets);
        }
    }
    free(line);
    return rc;
}

int state_replay(struct sweep_state *state, const char *dir, long long *good_bytes,
                 struct hp_error *err)
{
    /* Every line the reader returns passed its checksum (version-1 journals
     * have none to pass), before anything below reads a byte of it. */
    struct journal_line_reader reader;
    int rc = journal_line_open(&reader, dir, err);
    if (rc < 0)
        return rc;
    const char *path = reader.path;
    state->replaying = 1;
    while ((rc = journal_line_next(&reader, err)) == 1) {
        const char *line = reader.line;
        size_t len = reader.len;
        rc = 0;
        int now = 1;
        if (has_prefix(line, "{\"event\":\"config\"")) {
            now = 0;
        } else if (has_prefix(line, "{\"event\":\"report\"")) {
            /* A scheduler needs every report, in order. */
            now = state->scheduler ? 1 : defer_report(state, line, reader.offset);
        } else if (has_prefix(line, "{\"event\":\"end\"") && !memchr(line, '\\', len)) {
            struct record_view view = {NULL, line};
            struct hp_error apply_err;
            hp_error_init(&apply_err);
            now = 0;
            if (apply_end(state, &view, &apply_err) < 0 || poll_decisions(state) < 0)
                rc = hp_error_set(err, "", "%s:%ld: %s", path, reader.number,
                                  apply_err.message[0] ? apply_err.message : "out of memory");
        }
        if (now < 0)
            rc = hp_error_set(err, "", "out of memory");
        else if (now)
            rc = apply_text(state, line, len, path, reader.number, err);
        if (rc < 0)
            break;
    }
    if (rc == 0)
        rc = apply_deferred(state, reader.in, path, err);
    state->replaying = 0;
    if (good_bytes)
        *good_bytes = reader.intact;
    journal_line_close(&reader);
    return rc;
}

/* --- ranking ------------------------------------------------------------- */

size_t state_best_seed(const struct config_record *config, int maximize)
{
    size_t best = config->seed_count;
    for (size_t i = 0; i < config->seed_count; i++) {
        const struct seed_record *seed = &config->seeds[i];
        if (seed->status != SEED_OK)
            continue;
        if (best == config->seed_count ||
            state_better(seed->score, config->seeds[best].score, maximize))
            best = i;
    }
    return best;
}

size_t state_rank(const struct config_record *configs, size_t count, int maximize,
                  size_t *order)
{
    return ranking_order(configs, count, maximize, order);
}
