/*
 * Reproducibility check of one trial. See rerun.h.
 */
#include "rerun.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "fsutil.h"
#include "launch.h"
#include "path.h"
#include "provenance.h"
#include "state.h"
#include "trial.h"
#include "metric_line.h"

/* Lines are compared without their timing. */
static json_t *without_timing(const json_t *line)
{
    json_t *copy = json_deep_copy(line);
    json_object_del(copy, "seconds");
    return copy;
}

/* The metric lines the journal holds for the trial's final attempt: from its
 * last start that began from scratch (a start with resume_from continues the
 * same attempt) to its end. Returns a new array. */
static json_t *recorded_lines(const char *dir, const char *trial_id, struct hp_error *err)
{
    char path[HP_PATH_MAX];
    if (hp_path_join(path, sizeof path, err, dir, "journal.jsonl", NULL) < 0)
        return NULL;
    FILE *in = fopen(path, "r");
    if (!in) {
        hp_error_set(err, "", "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    json_t *lines = json_array();
    char *text = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&text, &cap, in)) > 0) {
        if (text[len - 1] != '\n' || !strstr(text, trial_id))
            continue;
        json_t *record = json_loadb(text, (size_t)len, 0, NULL);
        const char *event = json_string_value(json_object_get(record, "event"));
        const char *trial = json_string_value(json_object_get(record, "trial"));
        if (event && trial && strcmp(trial, trial_id) == 0) {
            if (strcmp(event, "start") == 0 &&
                !json_is_string(json_object_get(record, "resume_from")))
                json_array_clear(lines);
            else if (strcmp(event, "report") == 0)
                json_array_append_new(lines, without_timing(json_object_get(record, "line")));
        }
        json_decref(record);
    }
    free(text);
    fclose(in);
    return lines;
}

struct rerun {
    json_t *lines;   /* what the rerun reported */
    int done;
    int exit_status;
    int term_signal;
    int started;
};

static void on_object(struct trial *trial, json_t *object)
{
    struct rerun *r = trial->owner;
    json_array_append_new(r->lines, without_timing(object));
}

static void on_done(struct trial *trial)
{
    struct rerun *r = trial->owner;
    r->done = 1;
    r->started = trial->started;
    r->exit_status = (int)trial->exit_status;
    r->term_signal = trial->term_signal;
    trial_free(trial);
}

static const struct trial_callbacks CALLBACKS = {on_object, on_done};

/* Runs the trial to its end in `rerun_dir`. Returns 0 or -1. */
static int run_again(const struct launch_spec *spec, const char *rerun_dir,
                     const struct space *space, const struct executor *executor,
                     const struct resource_grant *grant, struct rerun *r,
                     struct hp_error *err)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) < 0 || trial_init_loop(&loop) < 0)
        return hp_error_set(err, "", "cannot start the event loop");
    struct trial_spec trial_spec = {spec->argv,
                                    spec->env,
                                    rerun_dir,
                                    space->timeout_s,
                                    10.0,
                                    1u << 20,
                                    NULL,
                                    (uint64_t)64 << 20,
                                    NULL,
                                    space->workdir_trial ? rerun_dir : NULL,
                                    executor,
                                    NULL,
                                    {space->threads_per_trial, space->resources.gpus,
                                     grant->cpu, grant->cpu_count}};
    struct trial *trial = trial_start(&loop, &trial_spec, &CALLBACKS, r);
    int rc = trial ? 0 : hp_error_set(err, "", "out of memory");
    while (trial && !r->done)
        uv_run(&loop, UV_RUN_ONCE);
    trial_close_loop();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return rc;
}

static void print_line(FILE *out, const char *label, const json_t *line)
{
    char *text = line ? hp_json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    fprintf(out, "  %s %s\n", label, text ? text : "(no line)");
    free(text);
}

/* Says what the rerun runs with that differs from the sweep's latest run
 * (provenance.h), so that a difference below is explained. */
static void report_provenance(const struct sweep_state *state, const struct space *space,
                              const char *trainer_path, FILE *out)
{
    json_t *now = provenance_collect(space, trainer_path, NULL);
    if (!state->provenance)
        fprintf(out, "provenance: the sweep recorded none (an older hpsearch); cannot tell "
                     "what changed since\n");
    else if (now && provenance_print_changes(state->provenance, now,
                                             "provenance: changed since the sweep ran:",
                                             out) == 0)
        fprintf(out, "provenance: unchanged since the sweep ran (hpsearch version, host, "
                     "trainer files, git commit and diff, numerics environment)\n");
    json_decref(now);
}

enum hp_exit_code rerun_trial(const struct space *space, const char *dir,
                              const char *trial_id, const char *trainer_path,
                              const struct executor *executor, FILE *out,
                              struct hp_error *err)
{
    size_t config_index;
    uint64_t seed_value;
    if (state_parse_trial_id(trial_id, &config_index, &seed_value) < 0) {
        hp_error_set(err, "", "\"%s\" is not a trial id (they look like c0003-s1)", trial_id);
        return HP_EXIT_USAGE;
    }
    struct sweep_state state;
    if (state_init(&state, space, dir, err) < 0)
        return HP_EXIT_USAGE;
    enum hp_exit_code code = HP_EXIT_RUNTIME;
    struct launch_context ctx = {0};
    struct launch_spec spec = {0};
    json_t *params = NULL;
    json_t *recorded = NULL;
    struct rerun r = {json_array(), 0, 0, 0, 0};
    if (state_replay(&state, dir, NULL, err) < 0)
        goto out;
    const struct config_record *config =
        config_index < state.config_count ? &state.configs[config_index] : NULL;
    const struct seed_record *seed = NULL;
    for (size_t i = 0; config && i < config->seed_count; i++)
        if (config->seeds[i].seed == seed_value)
            seed = &config->seeds[i];
    if (!seed || (seed->status != SEED_OK && seed->status != SEED_FAILED)) {
        hp_error_set(err, "", "%s: trial %s has not finished in this sweep", dir, trial_id);
        code = HP_EXIT_USAGE;
        goto out;
    }
    recorded = recorded_lines(dir, trial_id, err);
    if (!recorded)
        goto out;
    report_provenance(&state, space, trainer_path, out);

    /* A fresh directory beside the original: rerun-1, rerun-2, ... */
    char rerun_dir[HP_PATH_MAX];
    char trial_dir[HP_PATH_MAX];
    if (state_trial_dir(&state, config, seed, trial_dir, sizeof trial_dir, err) < 0)
        goto out;
    for (int n = 1;; n++) {
        if (hp_path_format(rerun_dir, sizeof rerun_dir, err, "%s/rerun-%d", trial_dir, n) <
            0)
            goto out;
        if (access(rerun_dir, F_OK) != 0)
            break;
    }
    /* "resources": the lowest ids of the pools, as the sweep's first trial. */
    struct resource_pool pool;
    struct resource_grant grant = {0};
    char cpus_text[RESOURCES_MAX_IDS * 6] = "";
    char gpus_text[RESOURCES_MAX_IDS * 8] = "";
    if (space->resources.given) {
        if (resources_pool_init_local(&pool, &space->resources, err) < 0)
            goto out;
        if (resources_acquire(&pool, &grant) < 0) {
            hp_error_set(err, "resources", "no free CPUs or GPUs");
            goto out;
        }
        resources_grant_cpus_text(&grant, cpus_text, sizeof cpus_text);
        resources_grant_gpus_text(&pool, &grant, gpus_text, sizeof gpus_text);
    }
    int pinned = space->resources.given;
    /* From scratch to the budget the trial last ran to: a promoted trial's
     * segments, rerun in one go, must give the same lines. */
    struct launch_run run = {seed->budget, NULL, pinned ? cpus_text : NULL,
                             pinned ? gpus_text : NULL};
    params = state_params(config);
    if (!params || fsutil_mkdirs(rerun_dir, err) < 0 ||
        launch_context_init(&ctx, space, trainer_path, dir) < 0 ||
        launch_spec_build(&ctx, params, config->params_text, seed->seed, trial_id,
                          rerun_dir, &run, &spec, err) < 0 ||
        run_again(&spec, rerun_dir, space, executor, &grant, &r, err) < 0)
        goto out;

    size_t n_recorded = json_array_size(recorded);
    size_t n_rerun = json_array_size(r.lines);
    size_t first_difference = SIZE_MAX;
    for (size_t i = 0; i < n_recorded || i < n_rerun; i++) {
        json_t *a = json_array_get(recorded, i);
        json_t *b = json_array_get(r.lines, i);
        if (!a || !b || !json_equal(a, b)) {
            first_difference = i;
            break;
        }
    }
    fprintf(out, "rerun of %s in %s: exit status %d%s\n", trial_id, rerun_dir, r.exit_status,
            r.term_signal ? " (killed by a signal)" : "");
    if (first_difference == SIZE_MAX) {
        fprintf(out, "identical: all %zu metric lines are bit-identical to the sweep's "
                     "(\"seconds\" ignored)\n",
                n_recorded);
        code = HP_EXIT_OK;
    } else {
        fprintf(out, "DIFFERENT: metric line %zu of %zu differs (\"seconds\" ignored)\n",
                first_difference + 1, n_recorded);
        print_line(out, "sweep:", json_array_get(recorded, first_difference));
        print_line(out, "rerun:", json_array_get(r.lines, first_difference));
        code = HP_EXIT_DIFFERENT;
    }
out:
    launch_spec_free(&spec);
    launch_context_free(&ctx);
    json_decref(params);
    json_decref(recorded);
    json_decref(r.lines);
    state_free(&state);
    return code;
}
