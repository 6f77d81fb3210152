/*
 * Checkpoint retention. See retention.h.
 */
#include "retention.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

void retention_init(struct retention *r, const struct space *space, const char *out_dir)
{
    memset(r, 0, sizeof *r);
    r->space = space;
    snprintf(r->best_dir, sizeof r->best_dir, "%s/best", out_dir);
}

void retention_free(struct retention *r)
{
    free(r->best_file);
    r->best_file = NULL;
}

size_t retention_best_seed(const struct config_record *config, int maximize)
{
    size_t best = config->seed_count;
    for (size_t i = 0; i < config->seed_count; i++) {
        const struct seed_record *seed = &config->seeds[i];
        if (seed->status != SEED_OK)
            continue;
        if (best == config->seed_count ||
            record_better(seed->score, config->seeds[best].score, maximize))
            best = i;
    }
    return best;
}

/* Deletes the checkpoints a seed reported, except `keep` (may be NULL). */
static void drop_checkpoints(struct seed_record *seed, const char *keep)
{
    for (size_t c = 0; c < seed->checkpoint_count; c++) {
        const char *path = seed->checkpoints[c];
        if (keep && strcmp(path, keep) == 0)
            continue;
        if (fsutil_is_inside(path, seed->dir))
            unlink(path);
    }
}

static void drop_config(struct config_record *config, const char *keep)
{
    for (size_t i = 0; i < config->seed_count; i++)
        drop_checkpoints(&config->seeds[i], keep);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Makes best/ describe configs[index]'s best seed. */
static int publish_best(struct retention *r, const struct config_record *config,
                        const struct seed_record *seed, struct hp_error *err)
{
    if (fsutil_mkdirs(r->best_dir, err) < 0)
        return -1;
    char target[4400] = "";
    if (seed->best_checkpoint) {
        snprintf(target, sizeof target, "%s/%s", r->best_dir,
                 base_name(seed->best_checkpoint));
        if (fsutil_place(seed->best_checkpoint, target, err) < 0)
            return -1;
    }
    if (r->best_file && strcmp(r->best_file, target) != 0)
        unlink(r->best_file);
    free(r->best_file);
    r->best_file = target[0] ? strdup(target) : NULL;

    json_t *info = json_pack("{s:I, s:s, s:I, s:O, s:f, s:f, s:I}", "config",
                             (json_int_t)config->index, "trial", seed->trial_id, "seed",
                             (json_int_t)seed->seed, "params", config->params, "mean",
                             config->summary.mean, "score", seed->score, "n",
                             (json_int_t)config->summary.n);
    if (!info)
        return hp_error_set(err, "", "cannot encode best.json");
    json_object_set_new(info, "checkpoint",
                        target[0] ? json_string(base_name(target)) : json_null());
    json_object_set_new(info, "source", seed->best_checkpoint
                                            ? json_string(seed->best_checkpoint)
                                            : json_null());
    char *text = json_dumps(info, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(info);
    if (!text)
        return hp_error_set(err, "", "cannot encode best.json");
    char path[4200];
    snprintf(path, sizeof path, "%s/best.json", r->best_dir);
    size_t len = strlen(text);
    int rc = fsutil_write_atomic(path, text, len, err);
    free(text);
    return rc;
}

int retention_config_complete(struct retention *r, struct config_record *configs,
                              size_t index, struct hp_error *err)
{
    struct config_record *config = &configs[index];
    int keep_all = r->space->keep == KEEP_ALL;
    int maximize = r->space->maximize;
    int new_best = config->summary.n > 0 &&
                   (!r->has_best || record_better(config->summary.mean,
                                                  configs[r->best_config].summary.mean,
                                                  maximize));
    if (!new_best) {
        if (!keep_all)
            drop_config(config, NULL);
        return 0;
    }
    size_t previous = r->best_config;
    int had_best = r->has_best;
    r->best_config = index;
    r->has_best = 1;
    struct seed_record *seed = &config->seeds[retention_best_seed(config, maximize)];
    int rc = publish_best(r, config, seed, err);
    if (!keep_all) {
        if (had_best)
            drop_config(&configs[previous], NULL);
        drop_config(config, seed->best_checkpoint);
    }
    return rc;
}
