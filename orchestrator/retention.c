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
#include "metric_line.h"
#include "path.h"

/* Deletes the config's kept checkpoints but `keep`; each only if it still
 * resolves inside its own trial's directory (a trainer may have swapped it
 * for a symlink since). */
static void drop_config(const struct sweep_state *state, const struct config_record *config,
                        const char *keep)
{
    for (size_t i = 0; i < config->seed_count; i++) {
        const char *path = config->seeds[i].checkpoint;
        if (!path || (keep && strcmp(path, keep) == 0))
            continue;
        char dir[HP_PATH_MAX];
        /* A directory too long to name deletes nothing: the file is kept. */
        if (state_trial_dir(state, config, &config->seeds[i], dir, sizeof dir, NULL) == 0)
            fsutil_unlink_inside(path, dir);
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
        char path[HP_PATH_MAX];
        if (hp_path_join(path, sizeof path, NULL, best_dir, e->d_name, NULL) == 0)
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
    char best_dir[HP_PATH_MAX];
    if (hp_path_join(best_dir, sizeof best_dir, err, state->out_dir, "best", NULL) < 0 ||
        fsutil_mkdirs(best_dir, err) < 0)
        return -1;
    /* Only a file of the seed's own trial is linked into best/. */
    char trial_dir[HP_PATH_MAX];
    if (state_trial_dir(state, config, seed, trial_dir, sizeof trial_dir, err) < 0)
        return -1;
    const char *source = seed->checkpoint;
    if (source && fsutil_resolve_inside(source, trial_dir, NULL, 0) < 0)
        source = NULL;
    const char *name = source ? base_name(source) : NULL;
    if (name) {
        char target[HP_PATH_MAX];
        if (hp_path_join(target, sizeof target, err, best_dir, name, NULL) < 0 ||
            fsutil_place(source, target, err) < 0)
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
                             source ? json_string(source) : json_null());
    char *text = info ? hp_json_dumps(info, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(info);
    if (!text)
        return hp_error_set(err, "", "cannot encode best.json");
    char path[HP_PATH_MAX];
    int rc = hp_path_join(path, sizeof path, err, best_dir, "best.json", NULL);
    if (rc == 0)
        rc = fsutil_write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

int retention_init(struct retention *r, const struct space *space)
{
    r->top = NULL;
    r->top_count = 0;
    r->k = space->keep == KEEP_ALL ? 0 : (size_t)space->keep_top;
    if (r->k > 0) {
        r->top = calloc(r->k + 1, sizeof *r->top);
        if (!r->top)
            return -1;
    }
    return 0;
}

void retention_free(struct retention *r)
{
    free(r->top);
    r->top = NULL;
    r->top_count = 0;
}

/* Whether configs[a] ranks before configs[b]: better mean, then lower index. */
static int ranks_before(const struct sweep_state *state, size_t a, size_t b)
{
    double ma = state->configs[a].summary.mean;
    double mb = state->configs[b].summary.mean;
    if (ma != mb)
        return state_better(ma, mb, state->space->maximize);
    return a < b;
}

/* The kept checkpoint of a config: its best seed's. */
static const char *kept_checkpoint(const struct sweep_state *state,
                                   const struct config_record *config)
{
    size_t best = state_best_seed(config, state->space->maximize);
    return best < config->seed_count ? config->seeds[best].checkpoint : NULL;
}

int retention_config_complete(struct retention *r, const struct sweep_state *state,
                              size_t index, struct hp_error *err)
{
    const struct config_record *config = &state->configs[index];
    int rc = 0;
    if (state->has_best && state->best_config == index)
        rc = publish_best(state, config, err);
    /* A retired stage's files went with its decide record. */
    if (r->k == 0 || config->retired)
        return rc;
    /* A config keeps at most its best seed's checkpoint. */
    drop_config(state, config, kept_checkpoint(state, config));
    if (config->summary.n == 0)
        return rc;
    /* Insert into the top K (kept sorted); what falls out loses its file. */
    size_t pos = r->top_count;
    while (pos > 0 && ranks_before(state, index, r->top[pos - 1]))
        pos--;
    if (pos >= r->k) {
        drop_config(state, config, NULL);
        return rc;
    }
    memmove(r->top + pos + 1, r->top + pos, (r->top_count - pos) * sizeof *r->top);
    r->top[pos] = index;
    if (++r->top_count > r->k) {
        drop_config(state, &state->configs[r->top[r->k]], NULL);
        r->top_count = r->k;
    }
    return rc;
}

int retention_sync(struct retention *r, const struct sweep_state *state,
                   struct hp_error *err)
{
    if (r->k > 0) {
        size_t *order = malloc((state->config_count + 1) * sizeof *order);
        if (!order)
            return hp_error_set(err, "", "out of memory");
        size_t ranked = state_rank(state->configs, state->config_count,
                                   state->space->maximize, order);
        r->top_count = 0;
        for (size_t i = 0; i < ranked; i++) {
            const struct config_record *config = &state->configs[order[i]];
            if (config->summary.n > 0 && r->top_count < r->k) {
                r->top[r->top_count++] = order[i];
                drop_config(state, config, kept_checkpoint(state, config));
            } else {
                drop_config(state, config, NULL);
            }
        }
        free(order);
    }
    if (!state->has_best)
        return 0;
    return publish_best(state, &state->configs[state->best_config], err);
}
