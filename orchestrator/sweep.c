/*
 * The sweep loop. See sweep.h.
 *
 * Scheduling: slots are filled from, in order, the retry queue, the seeds of
 * the config being launched, and a fresh config from the strategy. A config's
 * seeds are launched together so that its aggregate (and the strategy's tell)
 * comes as early as possible. Every decision is journaled before it is acted
 * on. Configs live in one array indexed by ask order; running trials point at
 * them by index, never by address, since the array grows.
 */
#include "sweep.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "command.h"
#include "fsutil.h"
#include "journal.h"
#include "metric_line.h"
#include "progress.h"
#include "record.h"
#include "results.h"
#include "retention.h"
#include "trial.h"

extern char **environ;

/* A stdout line longer than this is dropped (and counted): bounded memory. */
static const size_t MAX_METRIC_LINE = 1u << 20;

struct pending {
    size_t config;
    size_t seed;
};

/* What the sweep knows about one running attempt. */
struct attempt {
    struct sweep *sweep;
    size_t config;
    size_t seed;
    int has_value;
    double best;
    long best_epoch;
    double last;
    long last_epoch;
    int saw_nan;
    char nan_key[64];
};

struct sweep {
    const struct space *space;
    const struct sweep_options *opts;
    uv_loop_t loop;
    struct strategy *strategy;
    int strategy_done;
    struct config_record *configs;
    size_t config_count;
    size_t config_cap;
    size_t launching;          /* config whose seeds are being launched */
    struct pending *retries;   /* FIFO of attempts to run again */
    size_t retry_count;
    size_t retry_cap;
    struct trial **running;    /* (jobs) slots; NULL when free */
    size_t running_count;
    size_t trials_ok;
    size_t trials_failed;
    size_t trials_planned;     /* 0 when the strategy cannot say */
    struct retention retention;
    struct journal journal;
    struct progress progress;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_timer_t tick;
    int stopping;              /* no new launches: interrupted or fatal */
    int loop_handles_closed;   /* tick and signal handles closed: loop ends */
    int interrupted;
    int fatal;
    struct hp_error fatal_err;
    uint64_t start_ms;         /* uv_now when the sweep began */
    char **base_env;           /* environ without the variables we set */
    size_t base_env_count;
};

static void pump(struct sweep *sweep);

/* Stops the sweep because something essential (the journal) failed. */
static void fail_sweep(struct sweep *sweep, const struct hp_error *err)
{
    if (!sweep->fatal) {
        sweep->fatal = 1;
        sweep->fatal_err = *err;
    }
    sweep->stopping = 1;
    for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++)
        if (sweep->running[i])
            trial_stop(sweep->running[i]);
}

static void record_event(struct sweep *sweep, json_t *record)
{
    struct hp_error err;
    hp_error_init(&err);
    if (record && journal_append(&sweep->journal, record, &err) < 0)
        fail_sweep(sweep, &err);
    json_decref(record);
}

static double now_s(struct sweep *sweep)
{
    uv_update_time(&sweep->loop);
    return (double)(uv_now(&sweep->loop) - sweep->start_ms) / 1000.0;
}

/* --- the child's environment ------------------------------------------- */

static int is_our_variable(const char *entry)
{
    static const char *const prefixes[] = {"HPSEARCH_TRIAL_ID=", "HPSEARCH_SEED=",
                                           "HPSEARCH_TRIAL_DIR=", "HPSEARCH_PARAMS=",
                                           "HPSEARCH_RESUME_FROM=",
                                           "OPENBLAS_NUM_THREADS=", "OMP_NUM_THREADS="};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

static int capture_base_env(struct sweep *sweep)
{
    size_t n = 0;
    while (environ[n])
        n++;
    sweep->base_env = calloc(n + 1, sizeof *sweep->base_env);
    if (!sweep->base_env)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!is_our_variable(environ[i]))
            sweep->base_env[sweep->base_env_count++] = environ[i];
    return 0;
}

static char *env_entry(const char *name, const char *value)
{
    size_t size = strlen(name) + strlen(value) + 2;
    char *entry = malloc(size);
    if (entry)
        snprintf(entry, size, "%s=%s", name, value);
    return entry;
}

enum { TRIAL_ENV_VARS = 6 };

/* Fills env (base entries borrowed, ours in owned[]) for one trial. */
static int build_env(struct sweep *sweep, const struct config_record *config,
                     const struct seed_record *seed, char **env, char **owned)
{
    char seed_text[32];
    char threads[16];
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed->seed);
    snprintf(threads, sizeof threads, "%d", sweep->space->threads_per_trial);
    char *params = json_dumps(config->params, JSON_COMPACT | JSON_PRESERVE_ORDER);
    owned[0] = env_entry("HPSEARCH_TRIAL_ID", seed->trial_id);
    owned[1] = env_entry("HPSEARCH_SEED", seed_text);
    owned[2] = env_entry("HPSEARCH_TRIAL_DIR", seed->dir);
    owned[3] = params ? env_entry("HPSEARCH_PARAMS", params) : NULL;
    owned[4] = env_entry("OPENBLAS_NUM_THREADS", threads);
    owned[5] = env_entry("OMP_NUM_THREADS", threads);
    free(params);
    memcpy(env, sweep->base_env, sweep->base_env_count * sizeof *env);
    for (size_t i = 0; i < TRIAL_ENV_VARS; i++) {
        if (!owned[i])
            return -1;
        env[sweep->base_env_count + i] = owned[i];
    }
    env[sweep->base_env_count + TRIAL_ENV_VARS] = NULL;
    return 0;
}

/* --- trial callbacks ----------------------------------------------------- */

static struct seed_record *attempt_seed(const struct attempt *a)
{
    return &a->sweep->configs[a->config].seeds[a->seed];
}

/* A reported value that is not finite means the run diverged: the objective
 * itself, or any loss. */
static void check_nonfinite(struct attempt *a, json_t *object)
{
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value) {
        size_t len = strlen(key);
        int watched = strcmp(key, a->sweep->space->objective_metric) == 0 ||
                      (len >= 4 && strcmp(key + len - 4, "loss") == 0);
        double v;
        if (watched && hp_metric_line_number(object, key, &v) == 0 && !isfinite(v)) {
            a->saw_nan = 1;
            snprintf(a->nan_key, sizeof a->nan_key, "%s", key);
            return;
        }
    }
}

static void on_trial_object(struct trial *trial, json_t *object)
{
    struct attempt *a = trial->owner;
    struct sweep *sweep = a->sweep;
    struct seed_record *seed = attempt_seed(a);

    json_t *record = json_pack("{s:s, s:s, s:O}", "event", "report", "trial",
                               seed->trial_id, "line", object);
    record_event(sweep, record);

    json_int_t epoch = -1;
    json_t *epoch_value = json_object_get(object, "epoch");
    if (json_is_integer(epoch_value))
        epoch = json_integer_value(epoch_value);

    json_t *checkpoint = json_object_get(object, "checkpoint");
    if (json_is_string(checkpoint)) {
        const char *name = json_string_value(checkpoint);
        char path[4096];
        if (name[0] == '/')
            snprintf(path, sizeof path, "%s", name);
        else
            snprintf(path, sizeof path, "%s/%s", seed->dir, name);
        record_add_checkpoint(seed, path, (long)epoch);
    }

    if (json_is_true(json_object_get(object, "final"))) {
        /* Kept without its timing, so results.json stays reproducible. */
        json_decref(seed->final_line);
        seed->final_line = json_deep_copy(object);
        json_object_del(seed->final_line, "seconds");
    }

    check_nonfinite(a, object);
    if (a->saw_nan) {
        trial_stop(trial); /* a diverged run cannot recover: free the slot */
        return;
    }
    double value;
    if (hp_metric_line_number(object, sweep->space->objective_metric, &value) == 0) {
        if (!a->has_value || record_better(value, a->best, sweep->space->maximize)) {
            a->best = value;
            a->best_epoch = (long)epoch;
        }
        a->last = value;
        a->last_epoch = (long)epoch;
        a->has_value = 1;
    }
}

/* Decides the attempt's outcome from what the trial saw and how it ended. */
static void classify(const struct attempt *a, const struct trial *trial,
                     struct seed_record *seed)
{
    const struct space *space = a->sweep->space;
    seed->failure = FAIL_NONE;
    seed->reason[0] = '\0';
    seed->exit_status = trial->exit_status;
    seed->term_signal = trial->term_signal;
    seed->seconds = (double)(trial->end_ms - trial->start_ms) / 1000.0;
    if (!trial->started) {
        seed->failure = FAIL_SPAWN;
        snprintf(seed->reason, sizeof seed->reason, "could not start: %s",
                 uv_strerror(trial->spawn_error));
    } else if (a->sweep->interrupted && trial->killed_by_us && !trial->timed_out) {
        seed->failure = FAIL_INTERRUPTED;
        snprintf(seed->reason, sizeof seed->reason, "stopped: the sweep was interrupted");
    } else if (trial->timed_out) {
        seed->failure = FAIL_TIMEOUT;
        snprintf(seed->reason, sizeof seed->reason, "exceeded the timeout of %g s",
                 space->timeout_s);
    } else if (a->saw_nan) {
        seed->failure = FAIL_NAN;
        snprintf(seed->reason, sizeof seed->reason, "reported a non-finite %s",
                 a->nan_key);
    } else if (trial->term_signal) {
        seed->failure = FAIL_SIGNAL;
        snprintf(seed->reason, sizeof seed->reason, "killed by signal %d (%s)",
                 trial->term_signal, strsignal(trial->term_signal));
    } else if (trial->exit_status != 0) {
        seed->failure = FAIL_EXIT_CODE;
        snprintf(seed->reason, sizeof seed->reason, "exited with status %lld",
                 (long long)trial->exit_status);
    } else if (!a->has_value) {
        seed->failure = FAIL_NO_OBJECTIVE;
        snprintf(seed->reason, sizeof seed->reason, "never reported %s",
                 space->objective_metric);
    }
    if (seed->failure == FAIL_NONE) {
        int last = space->score == SCORE_LAST;
        seed->score = last ? a->last : a->best;
        seed->score_epoch = last ? a->last_epoch : a->best_epoch;
    } else {
        seed->score = NAN;
        seed->score_epoch = -1;
    }
}

static void complete_config(struct sweep *sweep, size_t index)
{
    struct config_record *config = &sweep->configs[index];
    double *values = malloc(config->seed_count * sizeof *values);
    size_t n = 0;
    for (size_t i = 0; values && i < config->seed_count; i++)
        if (config->seeds[i].status == SEED_OK)
            values[n++] = config->seeds[i].score;
    stats_summarize(values, n, &config->summary);
    free(values);
    config->failed = config->seed_count - n;
    config->complete = 1;

    struct config_outcome outcome = {config->index, config->summary.mean,
                                     config->summary.std, n, config->failed};
    strategy_tell(sweep->strategy, &outcome);

    json_t *record = json_pack("{s:s, s:I, s:I, s:I}", "event", "config", "config",
                               (json_int_t)config->index, "n", (json_int_t)n, "failed",
                               (json_int_t)config->failed);
    if (record && n > 0) {
        json_object_set_new(record, "mean", json_real(config->summary.mean));
        json_object_set_new(record, "std", json_real(config->summary.std));
    }
    record_event(sweep, record);

    struct hp_error err;
    hp_error_init(&err);
    if (retention_config_complete(&sweep->retention, sweep->configs, index, &err) < 0)
        progress_warn(&sweep->progress, &err);
}

static json_t *end_record(const struct seed_record *seed, const struct trial *trial,
                          int retry)
{
    int ok = seed->failure == FAIL_NONE;
    json_t *record = json_pack("{s:s, s:s, s:i, s:s, s:f}", "event", "end", "trial",
                               seed->trial_id, "attempt", seed->attempts, "status",
                               ok ? "ok" : "failed", "seconds", seed->seconds);
    if (!record)
        return NULL;
    if (ok) {
        json_object_set_new(record, "score", json_real(seed->score));
    } else {
        json_object_set_new(record, "failure",
                            json_string(trial_failure_name(seed->failure)));
        json_object_set_new(record, "reason", json_string(seed->reason));
        json_object_set_new(record, "will_retry", json_boolean(retry));
    }
    if (trial->started && trial->exited && !trial->term_signal)
        json_object_set_new(record, "exit_status", json_integer(trial->exit_status));
    if (trial->term_signal)
        json_object_set_new(record, "signal", json_integer(trial->term_signal));
    if (trial->truncated_lines)
        json_object_set_new(record, "dropped_long_lines",
                            json_integer((json_int_t)trial->truncated_lines));
    return record;
}

static int queue_retry(struct sweep *sweep, size_t config, size_t seed)
{
    if (sweep->retry_count == sweep->retry_cap) {
        size_t cap = sweep->retry_cap ? sweep->retry_cap * 2 : 8;
        struct pending *grown = realloc(sweep->retries, cap * sizeof *grown);
        if (!grown)
            return -1;
        sweep->retries = grown;
        sweep->retry_cap = cap;
    }
    sweep->retries[sweep->retry_count++] = (struct pending){config, seed};
    return 0;
}

/* The checkpoint that belongs with the score: the one reported with the
 * scoring epoch, else the latest one reported; only files that exist. */
static void choose_checkpoint(struct seed_record *seed)
{
    free(seed->best_checkpoint);
    seed->best_checkpoint = NULL;
    const char *chosen = NULL;
    for (size_t c = 0; c < seed->checkpoint_count; c++) {
        if (access(seed->checkpoints[c], F_OK) != 0)
            continue;
        if (!chosen || seed->checkpoint_epochs[c] == seed->score_epoch)
            chosen = seed->checkpoints[c];
    }
    if (chosen)
        seed->best_checkpoint = strdup(chosen);
}

static void on_trial_done(struct trial *trial)
{
    struct attempt *a = trial->owner;
    struct sweep *sweep = a->sweep;
    size_t config_index = a->config;
    size_t seed_index = a->seed;
    struct config_record *config = &sweep->configs[config_index];
    struct seed_record *seed = &config->seeds[seed_index];

    classify(a, trial, seed);
    int ok = seed->failure == FAIL_NONE;
    int retry = !ok && seed->failure != FAIL_INTERRUPTED && !sweep->stopping &&
                seed->attempts <= sweep->space->retries;
    record_event(sweep, end_record(seed, trial, retry));

    for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++)
        if (sweep->running[i] == trial)
            sweep->running[i] = NULL;
    sweep->running_count--;
    trial_free(trial);
    free(a);

    if (retry && queue_retry(sweep, config_index, seed_index) == 0) {
        seed->status = SEED_PENDING;
        progress_trial_retried(&sweep->progress, seed);
    } else if (seed->failure == FAIL_INTERRUPTED) {
        seed->status = SEED_PENDING; /* not run to the end: resume runs it again */
    } else {
        seed->status = ok ? SEED_OK : SEED_FAILED;
        if (ok) {
            sweep->trials_ok++;
            choose_checkpoint(seed);
        } else {
            sweep->trials_failed++;
        }
        progress_trial_done(&sweep->progress, seed, sweep->trials_ok,
                            sweep->trials_failed, sweep->running_count,
                            sweep->trials_planned);
        if (++config->finished == config->seed_count)
            complete_config(sweep, config_index);
    }
    pump(sweep);
}

static const struct trial_callbacks TRIAL_CALLBACKS = {on_trial_object, on_trial_done};

/* --- launching ----------------------------------------------------------- */

static int add_config(struct sweep *sweep, struct ask_result *ask)
{
    if (sweep->config_count == sweep->config_cap) {
        size_t cap = sweep->config_cap ? sweep->config_cap * 2 : 16;
        struct config_record *grown = realloc(sweep->configs, cap * sizeof *grown);
        if (!grown)
            return -1;
        sweep->configs = grown;
        sweep->config_cap = cap;
    }
    const struct space *space = sweep->space;
    struct config_record *config = &sweep->configs[sweep->config_count];
    memset(config, 0, sizeof *config);
    config->index = ask->config_index;
    config->params = ask->params; /* the record takes the reference */
    ask->params = NULL;
    config->seed_count = space->seed_count;
    config->seeds = calloc(space->seed_count, sizeof *config->seeds);
    if (!config->seeds) {
        json_decref(config->params);
        return -1;
    }
    for (size_t i = 0; i < space->seed_count; i++) {
        struct seed_record *seed = &config->seeds[i];
        seed->seed = space->seeds[i];
        seed->score = NAN;
        seed->score_epoch = -1;
        snprintf(seed->trial_id, sizeof seed->trial_id, "c%04zu-s%llu", config->index,
                 (unsigned long long)seed->seed);
        size_t size = strlen(sweep->opts->out_dir) + strlen(seed->trial_id) + 16;
        seed->dir = malloc(size);
        if (!seed->dir) {
            config->seed_count = i + 1;
            record_config_free(config);
            return -1;
        }
        snprintf(seed->dir, size, "%s/trials/%s", sweep->opts->out_dir, seed->trial_id);
    }
    sweep->config_count++;
    return 0;
}

/* Picks the next (config, seed) to run. Returns 1 with *next set, 0 when
 * nothing can start now. */
static int next_pending(struct sweep *sweep, struct pending *next)
{
    if (sweep->retry_count > 0) {
        *next = sweep->retries[0];
        memmove(sweep->retries, sweep->retries + 1,
                --sweep->retry_count * sizeof *sweep->retries);
        return 1;
    }
    if (sweep->launching < sweep->config_count) {
        struct config_record *config = &sweep->configs[sweep->launching];
        *next = (struct pending){sweep->launching, config->launched++};
        if (config->launched == config->seed_count)
            sweep->launching++;
        return 1;
    }
    if (sweep->strategy_done)
        return 0;
    struct ask_result ask;
    memset(&ask, 0, sizeof ask);
    if (strategy_ask(sweep->strategy, &ask) < 0) {
        struct hp_error err;
        hp_error_init(&err);
        hp_error_set(&err, "strategy", "the %s strategy failed to propose a config",
                     sweep->space->strategy->name);
        fail_sweep(sweep, &err);
        return 0;
    }
    free(ask.resume_from);
    if (ask.kind == ASK_DONE) {
        sweep->strategy_done = 1;
        return 0;
    }
    if (ask.kind == ASK_WAIT)
        return 0;
    if (add_config(sweep, &ask) < 0) {
        json_decref(ask.params);
        return 0;
    }
    return next_pending(sweep, next);
}

static void launch(struct sweep *sweep, struct pending job)
{
    struct config_record *config = &sweep->configs[job.config];
    struct seed_record *seed = &config->seeds[job.seed];
    struct hp_error err;
    hp_error_init(&err);
    seed->attempts++;
    json_decref(seed->final_line); /* an earlier attempt's final line is void */
    seed->final_line = NULL;
    seed->status = SEED_RUNNING;

    if (fsutil_mkdirs(seed->dir, &err) < 0) {
        fail_sweep(sweep, &err);
        return;
    }
    json_t *start = json_pack("{s:s, s:s, s:I, s:I, s:i, s:O}", "event", "start",
                              "trial", seed->trial_id, "config",
                              (json_int_t)config->index, "seed", (json_int_t)seed->seed,
                              "attempt", seed->attempts, "params", config->params);
    record_event(sweep, start);
    if (sweep->fatal)
        return;

    struct trial_identity who = {seed->seed, seed->trial_id, seed->dir};
    char **argv = NULL;
    char **env = calloc(sweep->base_env_count + TRIAL_ENV_VARS + 1, sizeof *env);
    char *owned[TRIAL_ENV_VARS] = {0};
    struct attempt *a = calloc(1, sizeof *a);
    if (!env || !a ||
        command_build(sweep->space->command, config->params, &who,
                      sweep->opts->trainer_path, &argv, &err) < 0 ||
        build_env(sweep, config, seed, env, owned) < 0) {
        if (!err.message[0])
            hp_error_set(&err, "", "out of memory starting trial %s", seed->trial_id);
        fail_sweep(sweep, &err);
        free(a);
        goto out;
    }
    a->sweep = sweep;
    a->config = job.config;
    a->seed = job.seed;
    a->best_epoch = a->last_epoch = -1;

    struct trial_spec spec = {argv,
                              env,
                              seed->dir,
                              sweep->space->timeout_s,
                              sweep->opts->kill_grace_s,
                              MAX_METRIC_LINE};
    struct trial *trial = trial_start(&sweep->loop, &spec, &TRIAL_CALLBACKS, a);
    if (!trial) {
        hp_error_set(&err, "", "out of memory starting trial %s", seed->trial_id);
        fail_sweep(sweep, &err);
        free(a);
        goto out;
    }
    for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++) {
        if (!sweep->running[i]) {
            sweep->running[i] = trial;
            break;
        }
    }
    sweep->running_count++;
out:
    command_argv_free(argv);
    for (size_t i = 0; i < TRIAL_ENV_VARS; i++)
        free(owned[i]);
    free(env);
}

static void pump(struct sweep *sweep)
{
    struct pending job;
    while (!sweep->stopping && sweep->running_count < (size_t)sweep->opts->jobs &&
           next_pending(sweep, &job))
        launch(sweep, job);
    if (sweep->running_count == 0 && (sweep->stopping || sweep->strategy_done)) {
        /* Nothing left to wait for: let the loop end. */
        if (sweep->loop_handles_closed)
            return;
        sweep->loop_handles_closed = 1;
        uv_close((uv_handle_t *)&sweep->tick, NULL);
        uv_close((uv_handle_t *)&sweep->sigint, NULL);
        uv_close((uv_handle_t *)&sweep->sigterm, NULL);
    } else {
        progress_redraw(&sweep->progress, sweep->trials_ok, sweep->trials_failed,
                        sweep->running_count, sweep->trials_planned);
    }
}

/* --- signals and the live line ------------------------------------------- */

static void on_signal(uv_signal_t *handle, int signum)
{
    struct sweep *sweep = handle->data;
    if (sweep->interrupted) {
        /* A second Ctrl-C: no more grace. */
        for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++)
            if (sweep->running[i] && sweep->running[i]->started)
                kill(-sweep->running[i]->process.pid, SIGKILL);
        return;
    }
    sweep->interrupted = signum;
    sweep->stopping = 1;
    progress_note(&sweep->progress, "stopping: waiting for running trials to exit "
                                    "(press Ctrl-C again to kill them now)");
    for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++)
        if (sweep->running[i])
            trial_stop(sweep->running[i]);
    if (sweep->running_count == 0)
        pump(sweep);
}

static void on_tick(uv_timer_t *timer)
{
    struct sweep *sweep = timer->data;
    progress_redraw(&sweep->progress, sweep->trials_ok, sweep->trials_failed,
                    sweep->running_count, sweep->trials_planned);
}

/* --- the run ------------------------------------------------------------- */

static int prepare_out_dir(const struct sweep *sweep, struct hp_error *err)
{
    const char *out = sweep->opts->out_dir;
    char path[4200];
    snprintf(path, sizeof path, "%s/trials", out);
    if (fsutil_mkdirs(path, err) < 0)
        return -1;
    char *text = json_dumps(sweep->space->document, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        return hp_error_set(err, "", "cannot encode the space");
    snprintf(path, sizeof path, "%s/space.json", out);
    int rc = fsutil_write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

static void close_any(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

static void sweep_free(struct sweep *sweep)
{
    for (size_t i = 0; i < sweep->config_count; i++)
        record_config_free(&sweep->configs[i]);
    free(sweep->configs);
    free(sweep->retries);
    free(sweep->running);
    free(sweep->base_env);
    if (sweep->strategy)
        strategy_destroy(sweep->strategy);
    journal_close(&sweep->journal);
    retention_free(&sweep->retention);
}

enum hp_exit_code sweep_run(const struct space *space, const struct sweep_options *opts,
                            struct hp_error *err)
{
    struct sweep sweep;
    memset(&sweep, 0, sizeof sweep);
    sweep.space = space;
    sweep.opts = opts;
    sweep.journal.fd = -1;
    enum hp_exit_code code = HP_EXIT_RUNTIME;

    if (uv_loop_init(&sweep.loop) < 0) {
        hp_error_set(err, "", "cannot start the event loop");
        return HP_EXIT_RUNTIME;
    }
    sweep.running = calloc((size_t)opts->jobs, sizeof *sweep.running);
    if (!sweep.running || capture_base_env(&sweep) < 0) {
        hp_error_set(err, "", "out of memory");
        goto out;
    }
    if (prepare_out_dir(&sweep, err) < 0 || journal_open(&sweep.journal, opts->out_dir, err) < 0)
        goto out;
    if (space->strategy->create(&space->params, space->strategy_options, &sweep.strategy,
                                err) < 0)
        goto out;
    size_t planned = strategy_planned(sweep.strategy);
    sweep.trials_planned = planned * space->seed_count;
    retention_init(&sweep.retention, space, opts->out_dir);

    json_t *begin = json_pack("{s:s, s:s, s:i, s:I}", "event", "sweep_start", "name",
                              space->name, "jobs", opts->jobs, "planned_trials",
                              (json_int_t)sweep.trials_planned);
    record_event(&sweep, begin);
    if (sweep.fatal) {
        *err = sweep.fatal_err;
        goto out;
    }

    uv_update_time(&sweep.loop);
    sweep.start_ms = uv_now(&sweep.loop);
    progress_init(&sweep.progress, opts->live_progress, space);
    uv_signal_init(&sweep.loop, &sweep.sigint);
    uv_signal_init(&sweep.loop, &sweep.sigterm);
    sweep.sigint.data = sweep.sigterm.data = &sweep;
    uv_signal_start(&sweep.sigint, on_signal, SIGINT);
    uv_signal_start(&sweep.sigterm, on_signal, SIGTERM);
    uv_timer_init(&sweep.loop, &sweep.tick);
    sweep.tick.data = &sweep;
    if (opts->live_progress)
        uv_timer_start(&sweep.tick, on_tick, 1000, 1000);

    pump(&sweep);
    uv_run(&sweep.loop, UV_RUN_DEFAULT);
    progress_finish(&sweep.progress);

    double elapsed = now_s(&sweep);
    json_t *finish = json_pack("{s:s, s:b, s:I, s:I}", "event", "sweep_end", "complete",
                               !sweep.stopping, "ok", (json_int_t)sweep.trials_ok,
                               "failed", (json_int_t)sweep.trials_failed);
    if (!sweep.fatal)
        record_event(&sweep, finish);
    else
        json_decref(finish);

    struct results_view view = {space,         sweep.configs, sweep.config_count,
                                opts->out_dir, elapsed,       sweep.retention.best_config,
                                sweep.retention.has_best};
    if (results_write(&view, err) < 0)
        goto out;
    results_print_summary(&view, stdout);
    if (sweep.fatal) {
        *err = sweep.fatal_err;
        code = HP_EXIT_RUNTIME;
    } else if (sweep.interrupted) {
        code = HP_EXIT_INTERRUPTED;
    } else {
        code = sweep.trials_ok > 0 ? HP_EXIT_OK : HP_EXIT_ALL_FAILED;
    }
out:
    /* Handles still open after a failure need their close callbacks to run. */
    uv_walk(&sweep.loop, close_any, NULL);
    uv_run(&sweep.loop, UV_RUN_DEFAULT);
    uv_loop_close(&sweep.loop);
    sweep_free(&sweep);
    return code;
}

/* --- dry run ------------------------------------------------------------- */

static void print_argv(FILE *out, char **argv)
{
    for (char **p = argv; *p; p++) {
        int plain = **p != '\0' && strpbrk(*p, " \t\n'\"\\$`;&|<>(){}*?!#~") == NULL;
        fputs(p == argv ? "" : " ", out);
        if (plain) {
            fputs(*p, out);
            continue;
        }
        /* Shell single quotes, only so that a person can read or paste it. */
        fputc('\'', out);
        for (const char *c = *p; *c; c++) {
            if (*c == '\'')
                fputs("'\\''", out);
            else
                fputc(*c, out);
        }
        fputc('\'', out);
    }
    fputc('\n', out);
}

enum hp_exit_code sweep_dry_run(const struct space *space,
                                const struct sweep_options *opts, FILE *out,
                                struct hp_error *err)
{
    struct strategy *strategy = NULL;
    if (space->strategy->create(&space->params, space->strategy_options, &strategy, err) <
        0)
        return HP_EXIT_USAGE;
    size_t configs = 0;
    enum hp_exit_code code = HP_EXIT_OK;
    for (;;) {
        struct ask_result ask;
        memset(&ask, 0, sizeof ask);
        if (strategy_ask(strategy, &ask) < 0) {
            hp_error_set(err, "strategy", "failed to propose a config");
            code = HP_EXIT_RUNTIME;
            break;
        }
        free(ask.resume_from);
        if (ask.kind != ASK_CONFIG) {
            if (ask.kind == ASK_WAIT)
                fprintf(out, "(the %s strategy waits for results before proposing more)\n",
                        space->strategy->name);
            break;
        }
        configs++;
        for (size_t s = 0; s < space->seed_count && code == HP_EXIT_OK; s++) {
            char trial_id[48];
            snprintf(trial_id, sizeof trial_id, "c%04zu-s%llu", ask.config_index,
                     (unsigned long long)space->seeds[s]);
            char dir[4200];
            snprintf(dir, sizeof dir, "%s/trials/%s", opts->out_dir, trial_id);
            struct trial_identity who = {space->seeds[s], trial_id, dir};
            char **argv = NULL;
            if (command_build(space->command, ask.params, &who, opts->trainer_path, &argv,
                              err) < 0) {
                code = HP_EXIT_USAGE;
                break;
            }
            fprintf(out, "%s  ", trial_id);
            print_argv(out, argv);
            command_argv_free(argv);
        }
        json_decref(ask.params);
        if (code != HP_EXIT_OK)
            break;
    }
    if (code == HP_EXIT_OK)
        fprintf(out, "%zu configs x %zu seeds = %zu trials (dry run: nothing started)\n",
                configs, space->seed_count, configs * space->seed_count);
    strategy_destroy(strategy);
    return code;
}
