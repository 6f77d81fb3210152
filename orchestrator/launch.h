/*
 * What a trial is started with: its argv (the space's command template,
 * command.c) and its environment (the trial protocol's variables on top of
 * hpsearch's own environment). Shared by the sweep and by `rerun`, so a rerun
 * starts exactly what the sweep started.
 */
#ifndef LAUNCH_H
#define LAUNCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "space.h"

enum { LAUNCH_OWN_VARS = 11 };

struct launch_context {
    const struct space *space;   /* borrowed */
    const char *trainer_path;    /* hpsearch-train beside hpsearch, or NULL; borrowed */
    const char *sweep_dir;       /* absolute; borrowed */
    char **base_env;             /* environ minus the protocol's variables (borrowed entries) */
    size_t base_env_count;
    char *cwd;                   /* hpsearch's directory at init (owned), for workdir trial */
};

struct launch_spec {
    char **argv;                     /* NULL-terminated, owned */
    char **env;                      /* NULL-terminated; entries borrowed or in own[] */
    char *own[LAUNCH_OWN_VARS];      /* the protocol's variables, owned */
};

/* Captures the environment once. Returns 0 or -1 (out of memory). */
int launch_context_init(struct launch_context *ctx, const struct space *space,
                        const char *trainer_path, const char *sweep_dir);
void launch_context_free(struct launch_context *ctx);

/* What one run of a trial is: its budget (0: the trainer's default) and the
 * checkpoint it continues from (NULL: from scratch). */
struct launch_run {
    long budget;
    const char *resume_from;
    const char *cpus; /* the trial's CPU ids, "0,1", for {cpus}; NULL: none */
    const char *gpus; /* its GPU ids for {gpu} and CUDA_VISIBLE_DEVICES; NULL: none */
};

/* Builds argv and env for one trial. `params` is the config (borrowed) and
 * `params_text` its compact JSON. Under a scheduler the budget reaches the
 * trainer as the budget parameter (a {epochs} placeholder, else
 * --epochs=N), in HPSEARCH_PARAMS, and as HPSEARCH_BUDGET, with the
 * scheduler's full budget in HPSEARCH_BUDGET_MAX. The space's "env" is
 * added to every trial's environment (replacing hpsearch's own values), and
 * with "resources.gpus" the trial's GPUs are its CUDA_VISIBLE_DEVICES.
 * Under "workdir": "trial" the trainer runs in `dir`, so each literal
 * element of the command (one without placeholders) that is a relative path
 * naming an existing file or directory in hpsearch's directory, whole or as
 * the VALUE of --name=VALUE, is made absolute (launch_absolute_paths). Returns 0 or -1 with `err`
 * set; on failure `out` holds nothing. */
int launch_spec_build(const struct launch_context *ctx, const json_t *params,
                      const char *params_text, uint64_t seed, const char *trial_id,
                      const char *dir, const struct launch_run *run,
                      struct launch_spec *out, struct hp_error *err);
void launch_spec_free(struct launch_spec *spec);

/* workdir trial: rewrites, in `argv` (built from `template`, element for
 * element up to the template's end), each literal template element that is a
 * relative path naming an existing file or directory under `cwd`, or a
 * --name=VALUE element whose VALUE is one, into the absolute path. Params
 * (appended or from placeholders) are never touched, nor a program name
 * without a '/' (PATH finds it). Returns 0 or -1 (out of
 * memory). */
int launch_absolute_paths(char *const *template_argv, char **argv, const char *cwd);

#endif
