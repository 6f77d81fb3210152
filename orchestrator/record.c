/*
 * The sweep's data model helpers. See record.h.
 */
#include "record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void record_config_free(struct config_record *config)
{
    json_decref(config->params);
    config->params = NULL;
    for (size_t i = 0; config->seeds && i < config->seed_count; i++) {
        struct seed_record *seed = &config->seeds[i];
        free(seed->dir);
        for (size_t c = 0; c < seed->checkpoint_count; c++)
            free(seed->checkpoints[c]);
        free(seed->checkpoints);
        free(seed->checkpoint_epochs);
        free(seed->best_checkpoint);
        json_decref(seed->final_line);
    }
    free(config->seeds);
    config->seeds = NULL;
}

int record_add_checkpoint(struct seed_record *seed, const char *path, long epoch)
{
    for (size_t c = 0; c < seed->checkpoint_count; c++) {
        if (strcmp(seed->checkpoints[c], path) == 0) {
            seed->checkpoint_epochs[c] = epoch;
            return 0;
        }
    }
    size_t n = seed->checkpoint_count + 1;
    char **paths = realloc(seed->checkpoints, n * sizeof *paths);
    if (!paths)
        return -1;
    seed->checkpoints = paths;
    long *epochs = realloc(seed->checkpoint_epochs, n * sizeof *epochs);
    if (!epochs)
        return -1;
    seed->checkpoint_epochs = epochs;
    paths[n - 1] = strdup(path);
    if (!paths[n - 1])
        return -1;
    epochs[n - 1] = epoch;
    seed->checkpoint_count = n;
    return 0;
}

int record_better(double a, double b, int maximize)
{
    if (isnan(a))
        return 0;
    if (isnan(b))
        return 1;
    return maximize ? a > b : a < b;
}

/* qsort has no context argument in C11: the comparison reads these. */
static const struct config_record *rank_configs;
static int rank_maximize;

static int compare_configs(const void *pa, const void *pb)
{
    const struct config_record *a = &rank_configs[*(const size_t *)pa];
    const struct config_record *b = &rank_configs[*(const size_t *)pb];
    int a_ok = a->summary.n > 0;
    int b_ok = b->summary.n > 0;
    if (a_ok != b_ok)
        return a_ok ? -1 : 1;
    if (a_ok && a->summary.mean != b->summary.mean)
        return record_better(a->summary.mean, b->summary.mean, rank_maximize) ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

size_t record_rank(const struct config_record *configs, size_t count, int maximize,
                   size_t *order)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (configs[i].complete)
            order[n++] = i;
    rank_configs = configs;
    rank_maximize = maximize;
    qsort(order, n, sizeof *order, compare_configs);
    return n;
}
