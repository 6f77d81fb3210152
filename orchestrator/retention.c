/*
 * Checkpoint retention. See retention.h.
 */
#include "retention.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

static void drop_config(const struct config_record *config, const char *keep)
{
    for (size_t i = 0; i < config->seed_count; i++) {
        const char *path = config->seeds[i].checkpoint;
        if (path && (!keep || strcmp(path, keep) != 0))
            unlink(path);
    }
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Removes every file of best/ but best.json and `keep` (a base name or NULL). */
static void clear_best_dir(const char *best_dir, const char *keep)
{
    DIR *d = opendir(best_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "best.json") == 0 ||
            (keep && strcmp(e->d_name, keep) == 0))
            continue;
        char path[4608];
        snprintf(path, sizeof path, "%s/%s", best_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* Makes best/ describe `config`'s best seed. */
static int publish_best(const struct sweep_state *state, const struct config_record *config,
                        struct hp_error *err)
{
    const struct seed_record *seed =
        &config->seeds[state_best_seed(config, state->space->maximize)];
    char best_dir[4200];
    snprintf(best_dir, sizeof best_dir, "%s/best", state->out_dir);
    if (fsutil_mkdirs(best_dir, err) < 0)
        return -1;
    const char *name = seed->checkpoint ? base_name(seed->checkpoint) : NULL;
    if (name) {
        char target[4400];
        snprintf(target, sizeof target, "%s/%s", best_dir, name);
        if (fsutil_place(seed->checkpoint, target, err) < 0)
            return -1;
    }
    clear_best_dir(best_dir, name);

    char trial_id[48];
    state_trial_id(config, seed, trial_id, sizeof trial_id);
    json_t *params = state_params(config);
    json_t *info = json_pack("{s:I, s:s, s:I, s:o, s:f, s:f, s:I, s:o, s:o}", "config",
                             (json_int_t)config->index, "trial", trial_id, "seed",
                             (json_int_t)seed->seed, "params",
                             params ? params : json_null(), "mean", config->summary.mean,
                             "score", seed->score, "n", (json_int_t)config->summary.n,
                             "checkpoint", name ? json_string(name) : json_null(), "source",
                             seed->checkpoint ? json_string(seed->checkpoint) : json_null());
    char *text = info ? json_dumps(info, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(info);
    if (!text)
        return hp_error_set(err, "", "cannot encode best.json");
    char path[4400];
    snprintf(path, sizeof path, "%s/best.json", best_dir);
    int rc = fsutil_write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

int retention_config_complete(const struct sweep_state *state, size_t index, int new_best,
                              size_t previous_best, int had_best, struct hp_error *err)
{
    const struct config_record *config = &state->configs[index];
    int keep_all = state->space->keep == KEEP_ALL;
    if (!new_best) {
        if (!keep_all)
            drop_config(config, NULL);
        return 0;
    }
    const struct seed_record *seed =
        &config->seeds[state_best_seed(config, state->space->maximize)];
    int rc = publish_best(state, config, err);
    if (!keep_all) {
        if (had_best)
            drop_config(&state->configs[previous_best], NULL);
        drop_config(config, seed->checkpoint);
    }
    return rc;
}

int retention_sync(const struct sweep_state *state, struct hp_error *err)
{
    if (!state->has_best)
        return 0;
    const struct config_record *best = &state->configs[state->best_config];
    if (state->space->keep != KEEP_ALL) {
        for (size_t i = 0; i < state->config_count; i++)
            if (state->configs[i].complete && i != state->best_config)
                drop_config(&state->configs[i], NULL);
        const struct seed_record *seed =
            &best->seeds[state_best_seed(best, state->space->maximize)];
        drop_config(best, seed->checkpoint);
    }
    return publish_best(state, best, err);
}
