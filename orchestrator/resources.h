/*
 * Per-trial CPUs and GPUs on the local machine: the space's "resources" and
 * "env" keys, and the pools a sweep hands them out from.
 *
 * The CPU pool is hpsearch's own affinity mask (sched_getaffinity); the GPU
 * pool is "resources.gpu_ids" when given, else CUDA_VISIBLE_DEVICES, else
 * what `nvidia-smi -L` lists, else empty. A trial takes the lowest free ids
 * of each pool and gives them back when it ends, so no two running trials
 * share a CPU or a GPU, and the assignment depends only on the order of
 * launches and ends. The pools bound how many trials run at once.
 */
#ifndef RESOURCES_H
#define RESOURCES_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

enum { RESOURCES_MAX_IDS = 1024 };

/* What the space asks for; filled by resources_load. */
struct resources_spec {
    int given;      /* the space has "resources": trials are pinned */
    int cpus;       /* per trial; default threads_per_trial */
    int gpus;       /* per trial; default 0 */
    char **gpu_ids; /* the GPU pool, strings as CUDA_VISIBLE_DEVICES holds
                       them; owned, gpu_count entries */
    size_t gpu_count;
    char **env; /* "env": NAME=value entries, owned, NULL-terminated */
    size_t env_count;
};

/* Loads "resources" (`v`, NULL when absent, at `path`) into `out`, with
 * `threads` (threads_per_trial) as the default cpus; refuses more GPUs per
 * trial than "gpu_ids" holds. Returns 0 or -1 with `err` set at the JSON
 * path. */
int resources_load(const json_t *v, const char *path, int threads,
                   struct resources_spec *out, struct hp_error *err);

/* Fills the GPU pool of a spec that asks for GPUs without "gpu_ids" (from
 * CUDA_VISIBLE_DEVICES, else `nvidia-smi -L`) and refuses, at
 * "resources.gpus", a request the pool cannot hold. For the commands that
 * start trials (run, resume, rerun), right after the space loads: `report`
 * or `status` on another machine need no GPU. Returns 0 or -1. */
int resources_find_gpus(struct resources_spec *spec, struct hp_error *err);

/* Loads "env": an object of strings; names non-empty, without '=', not
 * HPSEARCH_*, OMP_NUM_THREADS or OPENBLAS_NUM_THREADS (threads_per_trial sets
 * them), nor CUDA_VISIBLE_DEVICES when trials get GPUs (load "resources"
 * first). Returns 0 or -1 with `err` set. */
int resources_load_env(const json_t *v, const char *path, struct resources_spec *out,
                       struct hp_error *err);

void resources_spec_free(struct resources_spec *spec);

/* The GPU ids of CUDA_VISIBLE_DEVICES-style text ("0,1", "GPU-ab..,GPU-cd..")
 * into ids[] (new strings), up to an id that begins with '-' ("-1": none).
 * Returns the count, or -1 (out of memory). */
int resources_parse_id_list(const char *text, char **ids, size_t max);

/* One trial's share. */
struct resource_grant {
    int cpu[RESOURCES_MAX_IDS];
    int cpu_count;
    int gpu[RESOURCES_MAX_IDS]; /* indexes into the pool's gpu ids */
    int gpu_count;
};

struct resource_pool {
    int cpu[RESOURCES_MAX_IDS]; /* the CPU ids, ascending */
    unsigned char cpu_busy[RESOURCES_MAX_IDS];
    int cpu_count;
    char *const *gpu_ids; /* borrowed from the spec */
    unsigned char gpu_busy[RESOURCES_MAX_IDS];
    int gpu_count;
    int cpus_per_trial;
    int gpus_per_trial;
};

/* A pool of the given CPU ids (any order) and GPU ids (borrowed). Returns 0,
 * or -1 with `err` set when one trial asks for more than the pool holds. */
int resources_pool_init(struct resource_pool *pool, const int *cpus, int cpu_count,
                        char *const *gpu_ids, int gpu_count, int cpus_per_trial,
                        int gpus_per_trial, struct hp_error *err);

/* A pool of hpsearch's affinity mask and the spec's GPUs. */
int resources_pool_init_local(struct resource_pool *pool,
                              const struct resources_spec *spec, struct hp_error *err);

/* How many trials the pool can run at once (>= 1 after a successful init). */
int resources_pool_capacity(const struct resource_pool *pool);

/* Takes the lowest free ids for one trial. Returns 0, or -1 when the pool
 * cannot hold one more trial now (nothing is taken). */
int resources_acquire(struct resource_pool *pool, struct resource_grant *out);

/* Gives a grant's ids back. */
void resources_release(struct resource_pool *pool, const struct resource_grant *grant);

/* The grant's CPU ids / GPU ids, comma-separated ("0,1"), into buf. */
void resources_grant_cpus_text(const struct resource_grant *grant, char *buf,
                               size_t size);
void resources_grant_gpus_text(const struct resource_pool *pool,
                               const struct resource_grant *grant, char *buf,
                               size_t size);

/* The grant as JSON arrays for the journal: CPU ids as integers, GPU ids as
 * integers when they are numbers, else strings. New references. */
json_t *resources_grant_cpus_json(const struct resource_grant *grant);
json_t *resources_grant_gpus_json(const struct resource_pool *pool,
                                  const struct resource_grant *grant);

#endif
