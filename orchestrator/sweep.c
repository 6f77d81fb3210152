/*
 * The sweep runner. See sweep.h.
 *
 * Every decision is a journal record, written (durably) before it is acted
 * on and then applied to the state through state_apply, the same function a
 * resume uses to replay the journal; so what the runner knows and what the
 * journal says cannot diverge. The runner itself only owns what is not in the
 * journal: the libuv loop, the running trial processes, signals and the
 * progress display. Trials point at their seed by (config, seed) index, never
 * by address, since the configs array grows.
 */
#include "sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "command.h"
#include "fsutil.h"
#include "growth.h"
#include "journal.h"
#include "metrics_scan.h"
#include "journal_line.h"
#include "launch.h"
#include "metric_line.h"
#include "path.h"
#include "proctree.h"
#include "progress.h"
#include "provenance.h"
#include "report_html.h"
#include "report_live.h"
#include "resources.h"
#include "results.h"
#include "retention.h"
#include "seedcheck.h"
#include "state.h"
#include "tensorboard.h"
#include "trial.h"
#include "trial_protocol.h"

/* A stdout line longer than this is dropped (and counted): bounded memory. */
static const size_t MAX_METRIC_LINE = 1u << 20;

struct sweep {
    const struct space *space;
    const struct sweep_options *opts;
    uv_loop_t loop;
    struct sweep_state state;
    struct trial **running;    /* (jobs) slots; NULL when free */
    size_t running_count;
    struct journal journal;
    struct retention retention;
    struct progress progress;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_signal_t sigwinch;      /* the terminal was resized: refit the live line */
    uv_timer_t tick;
    int handles_open;          /* signal and tick handles initialised */
    int stopping;              /* no new launches */
    int interrupted;           /* the signal that stopped us, or 0 */
    struct budget budget;      /* max_time, max_trials, max_failures (budget.h) */
    uv_timer_t deadline;       /* max_time, then its grace */
    int past_deadline;         /* max_time has passed: launch nothing more */
    char budget_stop[128];     /* why a budget stopped it, for the summary */
    int disk_full;             /* stopped because the sweep's disk is (nearly) full */
    int fatal;
    int deciding;              /* journaling the scheduler's decisions */
    struct hp_error fatal_err;
    uint64_t start_ms;
    struct launch_context launch;
    struct proctree tree;      /* every process of every trial */
    struct tensorboard *tb;    /* "tensorboard": true; NULL otherwise or after a failure */
    struct report_live report; /* report.html, refreshed while it runs */
    struct resource_pool pool; /* "resources": the CPUs and GPUs trials take */
};

/* The trial's owner data: which seed it runs. */
struct running_seed {
    struct sweep *sweep;
    struct seed_ref ref;
    int pinned; /* holds `grant` (the space has "resources") */
    struct resource_grant grant;
};

static void pump(struct sweep *sweep);
static void journal_decisions(struct sweep *sweep);
static void schedule_drops(struct sweep *sweep);

static void stop_all(struct sweep *sweep)
{
    sweep->stopping = 1;
    for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++)
        if (sweep->running[i])
            trial_stop(sweep->running[i]);
}

/* Stops the running trials of a config the scheduler pruned. */
static void stop_pruned(struct sweep *sweep, size_t config)
{
    for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++) {
        struct trial *trial = sweep->running[i];
        const struct running_seed *owner = trial ? trial->owner : NULL;
        if (owner && owner->ref.config == config)
            trial_stop(trial);
    }
}

/* Stops the sweep because something essential (the journal) failed. */
static void fail_sweep(struct sweep *sweep, const struct hp_error *err)
{
    if (!sweep->fatal) {
        sweep->fatal = 1;
        sweep->fatal_err = *err;
    }
    stop_all(sweep);
}

/* The live TensorBoard files are a view, not the sweep's truth: a failure to
 * write them is said once and ends them, never the sweep (`hpsearch report
 * DIR --format tensorboard` rebuilds them from the journal). */
static void drop_tensorboard(struct sweep *sweep, const struct hp_error *err)
{
    char text[2048];
    fprintf(stderr, "hpsearch: %s; no more TensorBoard files are written live\n",
            hp_error_format(err, text, sizeof text));
    tensorboard_free(sweep->tb);
    sweep->tb = NULL;
}

static void feed_tensorboard(struct sweep *sweep, const json_t *record)
{
    struct hp_error err;
    hp_error_init(&err);
    if (sweep->tb && tensorboard_record(sweep->tb, record, &err) < 0)
        drop_tensorboard(sweep, &err);
}

/* Starts the live TensorBoard files when the space asks for them; a resume
 * first rewrites them from the journal so far. */
static void open_tensorboard(struct sweep *sweep, int resume)
{
    if (!sweep->space->tensorboard)
        return;
    struct hp_error err;
    hp_error_init(&err);
    sweep->tb = tensorboard_new(sweep->space, sweep->opts->out_dir, 1);
    if (!sweep->tb)
        hp_error_set(&err, "", "out of memory");
    if (!sweep->tb || (resume && tensorboard_replay(sweep->tb, &err) < 0))
        drop_tensorboard(sweep, &err);
}

/* Writes the HParams experiment and closes the live files. */
static void close_tensorboard(struct sweep *sweep)
{
    struct hp_error err;
    hp_error_init(&err);
    if (sweep->tb && tensorboard_finish(sweep->tb, &err) < 0)
        drop_tensorboard(sweep, &err);
    tensorboard_free(sweep->tb);
    sweep->tb = NULL;
}

/* Journals `record` (stolen), then applies it. Returns 0, or -1 when the
 * journal could not take it: then nothing was applied and the sweep stops. */
static int commit(struct sweep *sweep, json_t *record)
{
    struct hp_error err;
    hp_error_init(&err);
    int rc = -1;
    if (!record)
        hp_error_set(&err, "", "out of memory building a journal record");
    else if (journal_append(&sweep->journal, record, &err) == 0 &&
             state_apply(&sweep->state, record, &err) == 0)
        rc = 0;
    if (rc < 0)
        fail_sweep(sweep, &err);
    else
        feed_tensorboard(sweep, record);
    json_decref(record);
    if (rc == 0)
        journal_decisions(sweep);
    return rc;
}

/* Informational records: journaled, changing nothing. */
static void note(struct sweep *sweep, json_t *record)
{
    if (!sweep->journal.failed)
        commit(sweep, record);
    else
        json_decref(record);
}

/* --- records ------------------------------------------------------------- */

static struct seed_record *seed_of(struct sweep *sweep, struct seed_ref ref)
{
    return &sweep->state.configs[ref.config].seeds[ref.seed];
}

/* {"event": E, "trial": id, "config": c, "seed": s}: the common head. */
static json_t *record_head(struct sweep *sweep, const char *event, struct seed_ref ref)
{
    const struct config_record *config = &sweep->state.configs[ref.config];
    const struct seed_record *seed = &config->seeds[ref.seed];
    char trial_id[48];
    state_trial_id(config, seed, trial_id, sizeof trial_id);
    return json_pack("{s:s, s:s, s:I, s:I}", "event", event, "trial", trial_id, "config",
                     (json_int_t)config->index, "seed", (json_int_t)seed->seed);
}

/* A checkpoint a trainer reports is taken only when it resolves, symlinks
 * followed, to a file inside the trial's own directory: retention later
 * deletes, links and moves it, and hpsearch touches nothing outside the
 * sweep. The verdict goes into the report record (checkpoint_path or
 * checkpoint_refused), so the journal says what was accepted and why not;
 * a refusal is also written to the trial's stderr.log. */
static void vet_checkpoint(struct sweep *sweep, struct trial *trial, struct seed_ref ref,
                           const json_t *object, json_t *record)
{
    const char *name = json_string_value(json_object_get(object, "checkpoint"));
    if (!name || !record)
        return;
    const struct config_record *config = &sweep->state.configs[ref.config];
    char dir[HP_PATH_MAX];
    char path[HP_PATH_MAX];
    char resolved[HP_PATH_MAX];
    int built =
        state_trial_dir(&sweep->state, config, &config->seeds[ref.seed], dir, sizeof dir,
                        NULL) == 0 &&
        (name[0] == '/' ? hp_path_join(path, sizeof path, NULL, name, NULL)
                        : hp_path_join(path, sizeof path, NULL, dir, name, NULL)) == 0;
    int rc = !built ? -ENAMETOOLONG
                    : fsutil_resolve_inside(path, dir, resolved, sizeof resolved);
    if (rc == 0) {
        json_object_set_new(record, "checkpoint_path", json_string(resolved));
        return;
    }
    char why[512];
    snprintf(why, sizeof why, "checkpoint %.200s refused: %s", name,
             rc == -EXDEV ? "it resolves outside the trial's directory"
                          : strerror(-rc));
    json_object_set_new(record, "checkpoint_refused", json_string(why));
    trial_log_note(trial, why);
    char trial_id[48];
    state_trial_id(config, &config->seeds[ref.seed], trial_id, sizeof trial_id);
    char message[640];
    snprintf(message, sizeof message, "trial %s: %s", trial_id, why);
    progress_note(&sweep->progress, message);
}

static void on_trial_object(struct trial *trial, json_t *object)
{
    struct running_seed *owner = trial->owner;
    struct sweep *sweep = owner->sweep;
    json_t *record = record_head(sweep, "report", owner->ref);
    if (record)
        json_object_set(record, "line", object);
    vet_checkpoint(sweep, trial, owner->ref, object, record);
    if (commit(sweep, record) < 0)
        return;
    const struct attempt *a = seed_of(sweep, owner->ref)->live;
    if (a && (a->saw_nonfinite || a->ran_ahead[0]))
        trial_stop(trial); /* a diverged run cannot recover, one past unrecorded
                              steps goes again from the start: free the slot */
}

/* The checkpoint that goes with the score: the first one whose latest report
 * names the scoring epoch (a trainer reports its best model before its
 * resumable last state), else the latest one reported; only files that
 * exist. A path re-reported for a later epoch was overwritten since. */
static const char *score_checkpoint(const struct attempt *a, long score_epoch)
{
    const char *latest = NULL;
    for (size_t c = 0; c < a->checkpoint_count; c++) {
        if (access(a->checkpoints[c], R_OK) != 0)
            continue;
        if (a->checkpoint_epochs[c] == score_epoch)
            return a->checkpoints[c];
        latest = a->checkpoints[c];
    }
    return latest;
}

/* Stops the sweep because its disk is (nearly) full: no new launches, the
 * running trials are stopped (they end "interrupted"), and the exit status
 * is 1 with a message that names the disk. `what` (may be NULL) says what
 * showed it. */
static void stop_for_disk(struct sweep *sweep, const char *what)
{
    if (sweep->disk_full)
        return;
    sweep->disk_full = 1;
    char mount[1024];
    char type[64];
    uint64_t free_bytes = 0;
    fsutil_mount_point(sweep->opts->out_dir, mount, sizeof mount, type, sizeof type);
    fsutil_free_space(sweep->opts->out_dir, &free_bytes);
    struct hp_error err;
    hp_error_init(&err);
    double free_mib = (double)free_bytes / 1048576.0;
    if (!what || free_mib < sweep->space->min_free_mb)
        hp_error_set(&err, "",
                     "the disk of %s is full: the %s file system at %s has %.1f MiB free "
                     "(min_free_mb is %g)%s%s; no trial is lost: free some space, then run "
                     "hpsearch resume %s",
                     sweep->opts->out_dir, type, mount, free_mib, sweep->space->min_free_mb,
                     what ? "; " : "", what ? what : "", sweep->opts->out_dir);
    else
        hp_error_set(&err, "",
                     "%s: it could not write; the %s file system at %s that holds %s has "
                     "%.1f MiB free; no trial is lost: free space or fix the disk (a quota, "
                     "a file-size limit, an I/O error), then run hpsearch resume %s",
                     what, type, mount, sweep->opts->out_dir, free_mib, sweep->opts->out_dir);
    progress_note(&sweep->progress, "stopping: the sweep's disk is full; waiting for the "
                                    "running trials");
    fail_sweep(sweep, &err);
}

/* Whether the sweep's disk still has min_free_mb to spare: checked before
 * every launch, so a sweep stops before the disk is full rather than after
 * its trials have failed for it. */
static int disk_has_room(struct sweep *sweep)
{
    uint64_t free_bytes;
    if (fsutil_free_space(sweep->opts->out_dir, &free_bytes) < 0)
        return 1; /* cannot tell: let the writes themselves say */
    if ((double)free_bytes >= sweep->space->min_free_mb * 1048576.0)
        return 1;
    stop_for_disk(sweep, NULL);
    return 0;
}

/* Whether the attempt failed because the sweep's disk filled up rather than
 * through any fault of its own: hpsearch-train's I/O-error status, a
 * file-size limit, or any failure while the disk is below min_free_mb. Such
 * an attempt is not a failed trial: it ends "interrupted" and runs again on
 * resume. */
static int failed_for_disk(struct sweep *sweep, const struct trial *trial)
{
    if (!trial->started || trial->timed_out)
        return 0;
    if (trial->exit_status == HP_TRIAL_EXIT_IO || trial->term_signal == SIGXFSZ)
        return 1;
    if (trial->exit_status == 0 && trial->term_signal == 0)
        return 0;
    uint64_t free_bytes;
    return fsutil_free_space(sweep->opts->out_dir, &free_bytes) == 0 &&
           (double)free_bytes < sweep->space->min_free_mb * 1048576.0;
}

/* "; the last lines of its stderr: ..." when there are any. */
static void append_stderr_tail(const struct trial *trial, char *reason, size_t size)
{
    char tail[TRIAL_STDERR_TAIL * (TRIAL_TAIL_LINE + 3)];
    trial_stderr_tail(trial, tail, sizeof tail);
    size_t used = strlen(reason);
    if (tail[0] && used < size)
        snprintf(reason + used, size - used, "; stderr ends: %s", tail);
}

/* Why a trial that exited cleanly has no score. */
static void explain_no_objective(const struct sweep *sweep, const struct trial *trial,
                                 const struct attempt *a, char *reason, size_t size)
{
    const char *metric = sweep->space->objective_metric;
    if (a->objective_misreport[0]) {
        snprintf(reason, size, "reported %s as %s, never as a number", metric,
                 a->objective_misreport);
        return;
    }
    int n = snprintf(reason, size, "never reported %s", metric);
    if (n < 0 || (size_t)n >= size)
        return;
    if (trial->object_like_lines > 0)
        snprintf(reason + n, size - (size_t)n,
                 "; %zu stdout line%s looked like JSON objects but did not parse "
                 "(JSON needs double quotes; in Python print json.dumps(d), not d), the "
                 "first: %s",
                 trial->object_like_lines, trial->object_like_lines == 1 ? "" : "s",
                 trial->first_non_object);
    else if (trial->non_object_lines > 0)
        snprintf(reason + n, size - (size_t)n,
                 "; %zu stdout line%s were not JSON objects, the first: %s",
                 trial->non_object_lines, trial->non_object_lines == 1 ? "" : "s",
                 trial->first_non_object);
    else
        snprintf(reason + n, size - (size_t)n, "; it printed nothing on stdout");
}

/* The attempt's checkpoints but `keep` and `keep2` (either may be NULL), as
 * the "drop" list of an end record; NULL when nothing is dropped. */
static json_t *drop_list(const struct sweep *sweep, const struct attempt *a,
                         const char *keep, const char *keep2)
{
    if (sweep->space->keep == KEEP_ALL || !a || a->checkpoint_count == 0)
        return NULL;
    json_t *drop = json_array();
    for (size_t c = 0; drop && c < a->checkpoint_count; c++) {
        const char *path = a->checkpoints[c];
        if ((!keep || strcmp(path, keep) != 0) && (!keep2 || strcmp(path, keep2) != 0))
            json_array_append_new(drop, json_string(path));
    }
    return drop;
}

/* The end record: how the attempt ended, from what it reported and how its
 * process finished. */
static json_t *end_record(struct sweep *sweep, struct seed_ref ref, const struct trial *trial)
{
    const struct space *space = sweep->space;
    const struct seed_record *seed = seed_of(sweep, ref);
    const struct attempt *a = seed->live;
    json_t *record = record_head(sweep, "end", ref);
    if (!record || !a)
        return record;
    json_object_set_new(record, "attempt", json_integer(seed->attempts + 1));
    json_object_set_new(record, "seconds",
                        json_real((double)(trial->end_ms - trial->start_ms) / 1000.0));
    if (trial->started && !trial->term_signal)
        json_object_set_new(record, "exit_status", json_integer(trial->exit_status));
    if (trial->term_signal)
        json_object_set_new(record, "signal", json_integer(trial->term_signal));
    if (trial->truncated_lines)
        json_object_set_new(record, "dropped_long_lines",
                            json_integer((json_int_t)trial->truncated_lines));
    json_object_set_new(record, "units", json_integer(a->units));
    if (seed->prune_pending) {
        /* Its config was pruned while it ran; the scheduler's decision, not
         * how the process ended, says what it is. */
        json_object_set_new(record, "status", json_string("pruned"));
        json_object_set_new(record, "drop", drop_list(sweep, a, NULL, NULL));
        return record;
    }

    char ahead[256];
    snprintf(ahead, sizeof ahead, "%s", a->ran_ahead);
    if (!ahead[0] && a->resumed_after >= 0 && !a->run_stepped && trial->started &&
        !trial->term_signal && trial->exit_status == 0) {
        /* Resumed, it had nothing left to train. Either its budget says
         * there was more, or the journal's lines stop at the step of the
         * checkpoint it resumed from: the file held later steps (it was
         * saved after the last line the journal got), whose lines are lost.
         * The second may also be a trainer killed after its last report,
         * just before it exited: training again costs time, not results. */
        if (sweep->state.scheduler && a->resumed_after < seed->budget)
            snprintf(ahead, sizeof ahead,
                     "its checkpoint was ahead of the journal: resumed, it reported "
                     "nothing, but the journal's lines stop at step %ld of %ld (hpsearch "
                     "was killed before reading the rest); it trains again from the start",
                     a->resumed_after, seed->budget);
        else if (a->resumed_at >= 0 && a->resumed_after <= a->resumed_at)
            snprintf(ahead, sizeof ahead,
                     "its checkpoint may be ahead of the journal: resumed from the "
                     "checkpoint of step %ld, it reported nothing more, so the lines of "
                     "later steps it held may be lost (hpsearch was killed before reading "
                     "them); it trains again from the start",
                     a->resumed_at);
    }
    if (ahead[0]) {
        json_object_set_new(record, "status", json_string("interrupted"));
        json_object_set_new(record, "resume_from", json_null());
        json_object_set_new(record, "reason", json_string(ahead));
        char trial_id[48];
        char message[400];
        state_trial_id(&sweep->state.configs[ref.config], seed, trial_id, sizeof trial_id);
        snprintf(message, sizeof message, "trial %s: %s", trial_id, ahead);
        progress_note(&sweep->progress, message);
        return record;
    }

    char reason[1024] = "";
    enum trial_failure failure = FAIL_NONE;
    int for_disk = failed_for_disk(sweep, trial);
    if (!trial->started) {
        failure = FAIL_SPAWN;
        snprintf(reason, sizeof reason, "could not start %s: %s", trial->program,
                 strerror(-trial->spawn_error));
    } else if (for_disk || (sweep->stopping && trial->killed_by_us && !trial->timed_out &&
                            !a->saw_nonfinite)) {
        /* Stopped by the sweep (a signal, max_failures, a full disk), or
         * failed for want of disk: not run to its end, it runs again on
         * resume, from its last checkpoint when it wrote one. */
        const char *latest = state_latest_checkpoint(a);
        json_object_set_new(record, "status", json_string("interrupted"));
        json_object_set_new(record, "resume_from", latest ? json_string(latest) : json_null());
        if (for_disk) {
            char trial_id[48];
            char what[160];
            state_trial_id(&sweep->state.configs[ref.config], seed, trial_id,
                           sizeof trial_id);
            if (trial->term_signal)
                snprintf(what, sizeof what, "trial %s was killed by signal %d (%s)", trial_id,
                         trial->term_signal, strsignal(trial->term_signal));
            else
                snprintf(what, sizeof what, "trial %s exited with status %lld%s", trial_id,
                         (long long)trial->exit_status,
                         trial->exit_status == HP_TRIAL_EXIT_IO ? " (an I/O error)" : "");
            json_object_set_new(record, "reason", json_string(what));
            stop_for_disk(sweep, what);
        }
        return record;
    } else if (trial->timed_out) {
        failure = FAIL_TIMEOUT;
        snprintf(reason, sizeof reason, "exceeded the timeout of %g s", space->timeout_s);
    } else if (a->saw_nonfinite) {
        failure = FAIL_NAN;
        snprintf(reason, sizeof reason, "reported a non-finite %s", a->nonfinite_key);
    } else if (trial->term_signal) {
        failure = FAIL_SIGNAL;
        snprintf(reason, sizeof reason, "killed by signal %d (%s)", trial->term_signal,
                 strsignal(trial->term_signal));
        append_stderr_tail(trial, reason, sizeof reason);
    } else if (trial->exit_status != 0) {
        failure = FAIL_EXIT_CODE;
        snprintf(reason, sizeof reason, "exited with status %lld",
                 (long long)trial->exit_status);
        append_stderr_tail(trial, reason, sizeof reason);
    } else if (!a->has_value) {
        failure = FAIL_NO_OBJECTIVE;
        explain_no_objective(sweep, trial, a, reason, sizeof reason);
    }
    const char *checkpoint = NULL;
    if (failure == FAIL_NONE) {
        int last = space->score == SCORE_LAST;
        long epoch = last ? a->last_epoch : a->best_epoch;
        checkpoint = score_checkpoint(a, epoch);
        json_object_set_new(record, "status", json_string("ok"));
        json_object_set_new(record, "score", json_real(last ? a->last : a->best));
        json_object_set_new(record, "score_epoch", json_integer(epoch));
        json_object_set_new(record, "checkpoint",
                            checkpoint ? json_string(checkpoint) : json_null());
    } else {
        /* A budget stops launching, not retrying: resume runs the retry. */
        int budget_stopped = sweep->budget.stop == BUDGET_STOP_TIME ||
                             sweep->budget.stop == BUDGET_STOP_TRIALS;
        int retry =
            (!sweep->stopping || budget_stopped) && seed->attempts + 1 <= space->retries;
        json_object_set_new(record, "status", json_string("failed"));
        json_object_set_new(record, "failure", json_string(trial_failure_name(failure)));
        json_object_set_new(record, "reason", json_string(reason));
        json_object_set_new(record, "will_retry", json_boolean(retry));
    }
    /* What the attempt no longer needs, decided here and deleted once this
     * record is durable; a resume finishes what a killed run left undone. A
     * run that waits for the scheduler keeps its latest checkpoint too: a
     * promotion continues from it. */
    const struct config_record *config = &sweep->state.configs[ref.config];
    const char *resumable = failure == FAIL_NONE && sweep->state.scheduler && !config->settled
                                ? state_latest_checkpoint(a)
                                : NULL;
    json_t *drop = drop_list(sweep, a, checkpoint, resumable);
    if (drop)
        json_object_set_new(record, "drop", drop);
    return record;
}

/* Deletes files that applied records made unneeded, once those records are
 * durable (journal_when_durable), each only if it still resolves inside its
 * trial's directory. */
struct drop_job {
    struct sweep *sweep;
    struct file_drop *drops;
    size_t count;
};

static void delete_drops(const struct sweep_state *state, struct file_drop *drops,
                         size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct config_record *config = &state->configs[drops[i].owner.config];
        char dir[HP_PATH_MAX];
        /* A directory too long to name deletes nothing: the file is kept. */
        if (state_trial_dir(state, config, &config->seeds[drops[i].owner.seed], dir,
                            sizeof dir, NULL) == 0)
            fsutil_unlink_inside(drops[i].path, dir);
    }
    state_drops_free(drops, count);
}

static void run_drops(void *data)
{
    struct drop_job *job = data;
    delete_drops(&job->sweep->state, job->drops, job->count);
    free(job);
}

/* The records never became durable: the files stay. */
static void discard_drops(void *data)
{
    struct drop_job *job = data;
    state_drops_free(job->drops, job->count);
    free(job);
}

static void schedule_drops(struct sweep *sweep)
{
    size_t count;
    struct file_drop *drops = state_take_drops(&sweep->state, &count);
    if (count == 0) {
        free(drops);
        return;
    }
    struct drop_job *job = malloc(sizeof *job);
    if (job)
        *job = (struct drop_job){sweep, drops, count};
    if (!job || journal_when_durable(&sweep->journal, run_drops, discard_drops, job) < 0) {
        state_drops_free(drops, count); /* out of memory: files are kept, which is safe */
        free(job);
    }
}

/* The record of a scheduler's decision, with the files it makes unneeded:
 * a pruned config's waiting seeds drop every checkpoint, a completed one's
 * keep the one that goes with their score (retention decides on that). */
static json_t *decision_record(struct sweep *sweep, const struct sched_decision *d)
{
    json_t *record = json_pack("{s:s, s:I, s:s, s:I}", "event", "decide", "config",
                               (json_int_t)d->config, "action",
                               scheduler_action_name(d->action), "at", (json_int_t)d->at);
    if (!record)
        return NULL;
    if (d->action == SCHED_PROMOTE) {
        json_object_set_new(record, "budget", json_integer(d->budget));
        return record;
    }
    if (d->action == SCHED_CONTINUE || d->action == SCHED_EXPLOIT) {
        /* The lineage: which config's checkpoints it continues, with what. */
        json_object_set_new(record, "budget", json_integer(d->budget));
        json_object_set_new(record, "source", json_integer((json_int_t)d->source));
        json_object_set(record, "params", d->params);
        return record;
    }
    const struct config_record *config = &sweep->state.configs[d->config];
    json_t *drops = json_array();
    for (size_t i = 0; drops && i < config->seed_count; i++) {
        const struct seed_record *seed = &config->seeds[i];
        if (seed->status != SEED_PAUSED && seed->status != SEED_PENDING)
            continue;
        json_t *paths = drop_list(sweep, seed->live,
                                  d->action == SCHED_COMPLETE ? seed->checkpoint : NULL, NULL);
        size_t j;
        json_t *path;
        json_array_foreach(paths, j, path)
            json_array_append_new(drops, json_pack("{s:I, s:O}", "seed",
                                                   (json_int_t)seed->seed, "path", path));
        json_decref(paths);
    }
    if (drops && json_array_size(drops) > 0)
        json_object_set_new(record, "drop", drops);
    else
        json_decref(drops);
    return record;
}

/* Journals, then applies, each decision the scheduler made from the records
 * applied so far, and acts on it: a pruned config's running trials are
 * stopped; a promoted one's seeds are queued by applying the record. */
static void journal_decisions(struct sweep *sweep)
{
    if (sweep->deciding)
        return;
    sweep->deciding = 1;
    const struct sched_decision *d;
    while (!sweep->fatal && (d = state_next_decision(&sweep->state)) != NULL) {
        struct sched_decision decision = *d;
        if (commit(sweep, decision_record(sweep, &decision)) < 0)
            break;
        progress_decision(&sweep->progress, &sweep->state, &decision);
        schedule_drops(sweep);
        if (decision.action == SCHED_PRUNE)
            stop_pruned(sweep, decision.config);
    }
    sweep->deciding = 0;
}

/* Counts a trial's end against max_failures; stops the sweep when it is
 * reached (budget.h). `record` is the trial's end record (borrowed). */
static void count_failures(struct sweep *sweep, const json_t *record)
{
    const char *status = json_string_value(json_object_get(record, "status"));
    if (!status || (strcmp(status, "ok") != 0 && strcmp(status, "failed") != 0))
        return;
    const char *failure = NULL;
    if (strcmp(status, "failed") == 0) {
        failure = json_string_value(json_object_get(record, "failure"));
        if (!failure)
            failure = "failed";
    }
    if (!budget_trial_ended(&sweep->budget, failure,
                            json_integer_value(json_object_get(record, "exit_status")),
                            (int)json_integer_value(json_object_get(record, "signal")),
                            json_string_value(json_object_get(record, "reason")),
                            json_string_value(json_object_get(record, "trial")),
                            sweep->state.trials_failed))
        return;
    budget_describe_stop(&sweep->budget, sweep->budget_stop, sizeof sweep->budget_stop);
    char message[1400];
    if (sweep->budget.auto_stop)
        snprintf(message, sizeof message,
                 "stopping: the first %d trials all failed the same way (%.1000s); "
                 "waiting for the running ones",
                 BUDGET_AUTO_FAILURES, sweep->budget.reason);
    else
        snprintf(message, sizeof message,
                 "stopping: %zu trials failed (max_failures is %d); waiting for the "
                 "running ones",
                 sweep->state.trials_failed, sweep->budget.limits.max_failures);
    progress_note(&sweep->progress, message);
    stop_all(sweep);
}

static void on_trial_done(struct trial *trial)
{
    struct running_seed *owner = trial->owner;
    struct sweep *sweep = owner->sweep;
    struct seed_ref ref = owner->ref;

    json_t *record = end_record(sweep, ref, trial);
    json_t *ended = record ? json_incref(record) : NULL;
    if (commit(sweep, record) == 0) {
        schedule_drops(sweep);
        count_failures(sweep, ended);
    }
    json_decref(ended);
    for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++)
        if (sweep->running[i] == trial)
            sweep->running[i] = NULL;
    sweep->running_count--;
    if (owner->pinned)
        resources_release(&sweep->pool, &owner->grant);
    trial_free(trial);
    free(owner);

    const struct sweep_state *state = &sweep->state;
    const struct config_record *config = &state->configs[ref.config];
    const struct seed_record *seed = &config->seeds[ref.seed];
    if (seed->status != SEED_PENDING)
        progress_trial_done(&sweep->progress, state, config, seed);
    else if (seed->queued && seed->attempts > 0 && seed->reason && !sweep->stopping)
        progress_trial_retried(&sweep->progress, config, seed);
    pump(sweep);
}

static const struct trial_callbacks TRIAL_CALLBACKS = {on_trial_object, on_trial_done};

/* --- launching ----------------------------------------------------------- */

static void launch(struct sweep *sweep, struct seed_ref ref)
{
    struct config_record *config = &sweep->state.configs[ref.config];
    struct seed_record *seed = &config->seeds[ref.seed];
    struct hp_error err;
    hp_error_init(&err);
    char trial_id[48];
    char dir[HP_PATH_MAX];
    state_trial_id(config, seed, trial_id, sizeof trial_id);
    if (state_trial_dir(&sweep->state, config, seed, dir, sizeof dir, &err) < 0 ||
        fsutil_mkdirs(dir, &err) < 0) {
        fail_sweep(sweep, &err);
        return;
    }
    /* A restart from scratch must not inherit an earlier attempt's files. */
    const char *resume_from = seed->resume_from;
    if (resume_from && access(resume_from, R_OK) != 0)
        resume_from = NULL;
    long budget = seed->budget;

    struct running_seed *owner = calloc(1, sizeof *owner);
    if (owner && sweep->space->resources.given) {
        if (resources_acquire(&sweep->pool, &owner->grant) < 0) {
            free(owner);
            hp_error_set(&err, "resources", "no free CPUs or GPUs for trial %s",
                         trial_id);
            fail_sweep(sweep, &err);
            return;
        }
        owner->pinned = 1;
    }
    json_t *params = state_params(config);
    json_t *start = params ? record_head(sweep, "start", ref) : NULL;
    if (start && owner && owner->pinned) {
        json_object_set_new(start, "cpus", resources_grant_cpus_json(&owner->grant));
        json_object_set_new(start, "gpus",
                            resources_grant_gpus_json(&sweep->pool, &owner->grant));
    }
    if (start) {
        json_object_set_new(start, "attempt", json_integer(seed->attempts + 1));
        json_object_set(start, "params", params);
        json_object_set_new(start, "resume_from",
                            resume_from ? json_string(resume_from) : json_null());
        if (sweep->state.scheduler)
            json_object_set_new(start, "budget", json_integer(budget));
        /* Promoted, but the trainer left nothing to continue from. */
        if (sweep->state.scheduler && seed->live && !resume_from)
            json_object_set_new(start, "restart",
                                json_string("no checkpoint to continue from: it trains "
                                            "again from the start to its new budget"));
    }
    /* Applying the start record may replace seed->resume_from: keep a copy. */
    char *resume_copy = resume_from ? strdup(resume_from) : NULL;
    if (commit(sweep, start) < 0) {
        if (owner && owner->pinned)
            resources_release(&sweep->pool, &owner->grant);
        free(owner);
        json_decref(params);
        free(resume_copy);
        return;
    }

    struct launch_spec spec;
    struct trial *trial = NULL;
    char cpus_text[RESOURCES_MAX_IDS * 6] = "";
    char gpus_text[RESOURCES_MAX_IDS * 8] = "";
    if (owner && owner->pinned) {
        resources_grant_cpus_text(&owner->grant, cpus_text, sizeof cpus_text);
        resources_grant_gpus_text(&sweep->pool, &owner->grant, gpus_text,
                                  sizeof gpus_text);
    }
    struct launch_run run = {budget, resume_copy,
                             owner && owner->pinned ? cpus_text : NULL,
                             owner && owner->pinned ? gpus_text : NULL};
    if (owner && launch_spec_build(&sweep->launch, params, config->params_text, seed->seed,
                                   trial_id, dir, &run, &spec, &err) == 0) {
        owner->sweep = sweep;
        owner->ref = ref;
        char note[4400];
        char budget_text[48] = "";
        if (sweep->state.scheduler && budget > 0)
            snprintf(budget_text, sizeof budget_text, ", budget %ld", budget);
        snprintf(note, sizeof note, "attempt %d%s%s%s starts here", seed->attempts + 1,
                 budget_text, resume_copy ? ", resumed from " : "",
                 resume_copy ? resume_copy : "");
        struct trial_spec trial_spec = {
            spec.argv,
            spec.env,
            dir,
            sweep->space->timeout_s,
            sweep->opts->kill_grace_s,
            MAX_METRIC_LINE,
            note,
            (uint64_t)(sweep->space->log_limit_mb * 1048576.0),
            &sweep->tree,
            sweep->space->workdir_trial ? dir : NULL,
            sweep->opts->executor,
            trial_id,
            {sweep->space->threads_per_trial, sweep->space->resources.gpus,
              owner->grant.cpu, owner->pinned ? owner->grant.cpu_count : 0}};
        trial = trial_start(&sweep->loop, &trial_spec, &TRIAL_CALLBACKS, owner);
        launch_spec_free(&spec);
    }
    if (trial) {
        for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++) {
            if (!sweep->running[i]) {
                sweep->running[i] = trial;
                break;
            }
        }
        sweep->running_count++;
    } else {
        if (!err.message[0])
            hp_error_set(&err, "", "out of memory starting trial %s", trial_id);
        fail_sweep(sweep, &err);
        if (owner && owner->pinned)
            resources_release(&sweep->pool, &owner->grant);
        free(owner);
    }
    json_decref(params);
    free(resume_copy);
}

static void close_loop_handles(struct sweep *sweep)
{
    if (!sweep->handles_open)
        return;
    sweep->handles_open = 0;
    trial_close_loop();
    report_live_close(&sweep->report);
    uv_close((uv_handle_t *)&sweep->tick, NULL);
    uv_close((uv_handle_t *)&sweep->deadline, NULL);
    uv_close((uv_handle_t *)&sweep->sigint, NULL);
    uv_close((uv_handle_t *)&sweep->sigterm, NULL);
    uv_close((uv_handle_t *)&sweep->sigwinch, NULL);
}

/* A budget (max_time, max_trials) forbids the next launch: launch nothing
 * more; the running trials go on (until max_time's grace ends). */
static void stop_for_budget(struct sweep *sweep)
{
    sweep->stopping = 1;
    budget_describe_stop(&sweep->budget, sweep->budget_stop, sizeof sweep->budget_stop);
    char message[HP_PATH_MAX + 256];
    snprintf(message, sizeof message,
             "%s: launching nothing more%s; hpsearch resume %s continues",
             sweep->budget_stop,
             sweep->running_count ? ", waiting for the running trials" : "",
             sweep->opts->out_dir);
    progress_note(&sweep->progress, message);
}

static void pump(struct sweep *sweep)
{
    struct seed_ref next;
    while (!sweep->stopping && sweep->running_count < (size_t)sweep->opts->jobs) {
        struct hp_error err;
        hp_error_init(&err);
        if (!disk_has_room(sweep))
            break;
        int rc = state_next(&sweep->state, &next, &err);
        if (rc < 0)
            fail_sweep(sweep, &err);
        if (rc <= 0)
            break;
        if (!budget_may_launch(&sweep->budget, sweep->past_deadline)) {
            stop_for_budget(sweep);
            break;
        }
        sweep->budget.launched++;
        char trial_id[48];
        state_trial_id(&sweep->state.configs[next.config],
                       &sweep->state.configs[next.config].seeds[next.seed], trial_id,
                       sizeof trial_id);
        budget_trial_launched(&sweep->budget, trial_id);
        launch(sweep, next);
    }
    if (sweep->running_count == 0)
        close_loop_handles(sweep); /* nothing runs and nothing can start: done */
    else
        progress_redraw(&sweep->progress, &sweep->state);
}

/* --- signals and the live line ------------------------------------------- */

static void on_signal(uv_signal_t *handle, int signum)
{
    struct sweep *sweep = handle->data;
    if (sweep->interrupted) {
        /* A second Ctrl-C: no more grace. */
        for (size_t i = 0; i < (size_t)sweep->opts->jobs; i++)
            trial_kill(sweep->running[i]);
        return;
    }
    sweep->interrupted = signum;
    const char *message = "stopping";
    if (sweep->running_count)
        message = signum == SIGINT
                      ? "stopping: asking running trials to exit (Ctrl-C again kills them now)"
                      : "stopping: asking running trials to exit";
    progress_note(&sweep->progress, message);
    stop_all(sweep);
    if (sweep->running_count == 0)
        pump(sweep);
}

/* max_time: at the deadline nothing more launches (pump asks the budget);
 * the running trials get the grace, then are stopped as on Ctrl-C and run
 * again on resume. */
static void on_deadline(uv_timer_t *timer)
{
    struct sweep *sweep = timer->data;
    if (!sweep->past_deadline) {
        sweep->past_deadline = 1;
        uv_timer_start(&sweep->deadline, on_deadline,
                       (uint64_t)(sweep->budget.limits.grace_s * 1000.0), 0);
        pump(sweep);
        return;
    }
    if (sweep->running_count == 0)
        return;
    if (sweep->budget.stop == BUDGET_RUNS_ON) {
        sweep->budget.stop = BUDGET_STOP_TIME;
        budget_describe_stop(&sweep->budget, sweep->budget_stop,
                             sizeof sweep->budget_stop);
    }
    char message[HP_PATH_MAX + 256];
    snprintf(message, sizeof message,
             "max_time's grace is over: stopping the running trials; hpsearch resume %s "
             "runs them again",
             sweep->opts->out_dir);
    progress_note(&sweep->progress, message);
    stop_all(sweep);
}

static void on_resize(uv_signal_t *handle, int signum)
{
    (void)signum;
    struct sweep *sweep = handle->data;
    progress_set_width(&sweep->progress, progress_terminal_width(STDOUT_FILENO));
    progress_redraw(&sweep->progress, &sweep->state);
}

static void on_tick(uv_timer_t *timer)
{
    struct sweep *sweep = timer->data;
    progress_redraw(&sweep->progress, &sweep->state);
}

/* --- the run ------------------------------------------------------------- */

/* Retention deletes files: it waits until the records that decided it are on
 * disk (see journal.h). */
struct retention_job {
    struct sweep *sweep;
    size_t index;
};

static void run_retention(void *data)
{
    struct retention_job *job = data;
    struct hp_error err;
    hp_error_init(&err);
    if (retention_config_complete(&job->sweep->retention, &job->sweep->state, job->index,
                                  &err) < 0)
        progress_warn(&job->sweep->progress, &err);
    free(job);
}

static void warn_report(void *data, const struct hp_error *err)
{
    struct sweep *sweep = data;
    struct hp_error warning = *err;
    snprintf(warning.source, sizeof warning.source, "report.html");
    progress_warn(&sweep->progress, &warning);
}

static void on_journal_failed(void *data, const struct hp_error *err)
{
    fail_sweep(data, err);
}

static void on_config_complete(struct sweep_state *state, size_t index, void *ctx)
{
    struct sweep *sweep = ctx;
    const struct config_record *config = &state->configs[index];
    json_t *record = json_pack("{s:s, s:I, s:I, s:I}", "event", "config", "config",
                               (json_int_t)config->index, "n", (json_int_t)config->summary.n,
                               "failed", (json_int_t)config->failed);
    if (record && config->summary.n > 0) {
        json_object_set_new(record, "mean", json_real(config->summary.mean));
        json_object_set_new(record, "std", json_real(config->summary.std));
    }
    note(sweep, record);
    report_live_config_done(&sweep->report);
    struct retention_job *job = malloc(sizeof *job);
    if (!job)
        return; /* out of memory: files are kept, which is safe */
    *job = (struct retention_job){sweep, index};
    if (journal_when_durable(&sweep->journal, run_retention, free, job) < 0)
        free(job);
}

static void close_any(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

/* The space as run, written once; its hash goes into the journal so that a
 * resume can tell whether it was edited since. */
static int write_space(const struct sweep *sweep, char hash[24], struct hp_error *err)
{
    char path[HP_PATH_MAX];
    if (hp_path_join(path, sizeof path, err, sweep->opts->out_dir, "trials", NULL) < 0 ||
        fsutil_mkdirs(path, err) < 0)
        return -1;
    char *text = hp_json_dumps(sweep->space->document, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        return hp_error_set(err, "", "cannot encode the space");
    size_t len = strlen(text);
    state_hash_text(text, len, hash);
    int rc =
        hp_path_join(path, sizeof path, err, sweep->opts->out_dir, "space.json", NULL);
    if (rc == 0)
        rc = fsutil_write_atomic(path, text, len, err);
    free(text);
    return rc;
}

static int results_exist(const char *dir)
{
    char path[HP_PATH_MAX];
    return hp_path_join(path, sizeof path, NULL, dir, "results.json", NULL) == 0 &&
           access(path, R_OK) == 0;
}

static double unix_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sweep_free(struct sweep *sweep)
{
    proctree_close(&sweep->tree); /* no trial runs: kill what they left */
    free(sweep->running);
    launch_context_free(&sweep->launch);
    journal_close(&sweep->journal);
    retention_free(&sweep->retention);
    state_free(&sweep->state);
}

/* Why the sweep ended before its end, for the summary; NULL when it ran to
 * its end. */
static const char *stop_reason(const struct sweep *sweep)
{
    if (sweep->interrupted == SIGINT)
        return "interrupted by Ctrl-C";
    if (sweep->interrupted)
        return "stopped by SIGTERM";
    if (sweep->disk_full)
        return "stopped: its disk is full";
    if (sweep->fatal)
        return "stopped by an error";
    if (sweep->budget_stop[0])
        return sweep->budget_stop;
    return NULL;
}

static enum hp_exit_code run_loop(struct sweep *sweep, struct hp_error *err)
{
    const struct space *space = sweep->space;
    uv_update_time(&sweep->loop);
    sweep->start_ms = uv_now(&sweep->loop);
    progress_init(&sweep->progress, sweep->opts->live_progress, space);
    sweep->progress.done_at_start = sweep->state.trials_ok + sweep->state.trials_failed;
    uv_signal_init(&sweep->loop, &sweep->sigint);
    uv_signal_init(&sweep->loop, &sweep->sigterm);
    uv_signal_init(&sweep->loop, &sweep->sigwinch);
    uv_timer_init(&sweep->loop, &sweep->tick);
    uv_timer_init(&sweep->loop, &sweep->deadline);
    sweep->handles_open = 1;
    sweep->sigint.data = sweep->sigterm.data = sweep->tick.data = sweep;
    sweep->deadline.data = sweep;
    sweep->sigwinch.data = sweep;
    budget_init(&sweep->budget, &sweep->opts->limits);
    if (sweep->budget.limits.max_time_s > 0)
        uv_timer_start(&sweep->deadline, on_deadline,
                       (uint64_t)(sweep->budget.limits.max_time_s * 1000.0), 0);
    uv_signal_start(&sweep->sigint, on_signal, SIGINT);
    uv_signal_start(&sweep->sigterm, on_signal, SIGTERM);
    trial_init_loop(&sweep->loop);
    if (sweep->opts->live_progress) {
        uv_timer_start(&sweep->tick, on_tick, 1000, 1000);
        uv_signal_start(&sweep->sigwinch, on_resize, SIGWINCH);
    }
    struct hp_error report_err;
    hp_error_init(&report_err);
    if (report_live_start(&sweep->report, &sweep->loop, space, sweep->opts->out_dir,
                          &report_err) < 0)
        progress_warn(&sweep->progress, &report_err);
    sweep->report.on_warn = warn_report;
    sweep->report.ctx = sweep;

    pump(sweep);
    uv_run(&sweep->loop, UV_RUN_DEFAULT);
    /* Nothing runs, nothing was stopped, and the sampler is not done: it
     * waits for results that no trial will bring. That would be a bug (a
     * sampler waits only for configs that are running or queued); say so
     * rather than pass the sweep off as finished. */
    if (!sweep->stopping && !sweep->fatal && !sweep->state.strategy_done) {
        struct hp_error stall;
        hp_error_init(&stall);
        hp_error_set(&stall, "",
                     "the %s strategy waits for results that no trial will bring (after "
                     "%zu configs); this is a bug in hpsearch, please report it",
                     sweep->space->strategy->name, sweep->state.config_count);
        fail_sweep(sweep, &stall);
    }
    progress_finish(&sweep->progress);

    const struct sweep_state *state = &sweep->state;
    uv_update_time(&sweep->loop);
    double elapsed = (double)(uv_now(&sweep->loop) - sweep->start_ms) / 1000.0;
    json_t *end = json_pack("{s:s, s:b, s:I, s:I, s:f}", "event", "sweep_end", "complete",
                            !sweep->stopping, "ok", (json_int_t)state->trials_ok, "failed",
                            (json_int_t)state->trials_failed, "elapsed_s", elapsed);
    if (end && stop_reason(sweep))
        json_object_set_new(end, "reason", json_string(stop_reason(sweep)));
    note(sweep, end);
    struct hp_error flush_err;
    hp_error_init(&flush_err);
    if (journal_flush(&sweep->journal, &flush_err) < 0)
        fail_sweep(sweep, &flush_err); /* what was on disk before stays valid */

    /* The journal's lines, read once for the results files, the summary's
     * Pareto front and the seed check; without it each reads them itself. */
    struct objective_spec one;
    size_t objective_count;
    const struct objective_spec *objectives =
        results_objectives(sweep->space, &one, &objective_count);
    struct metrics_scan scan;
    struct hp_error scan_err;
    hp_error_init(&scan_err);
    int scanned = metrics_scan_run(&scan, state, objectives, objective_count, &scan_err) == 0;
    struct results_view view = {state, elapsed, stop_reason(sweep), scanned ? &scan : NULL};
    struct hp_error results_err;
    hp_error_init(&results_err);
    int results_rc = results_write(&view, &results_err);
    results_print_summary(&view, stdout);
    seedcheck_warn(state, view.scan, stdout);
    if (scanned)
        metrics_scan_free(&scan);
    /* The page is for people: failing to write it does not fail the sweep. */
    hp_error_init(&report_err);
    if (report_html_write(space, sweep->opts->out_dir, sweep->report.path, NULL,
                          &report_err) < 0)
        warn_report(sweep, &report_err);
    else
        printf("report: %s\n", sweep->report.path);
    /* The first fatal error is the one to report: a full disk shows first in
     * the journal, and results.json failing after it says nothing new. */
    if (sweep->fatal) {
        *err = sweep->fatal_err;
        return HP_EXIT_RUNTIME;
    }
    if (results_rc < 0) {
        *err = results_err;
        return HP_EXIT_RUNTIME;
    }
    if (sweep->interrupted)
        return sweep->interrupted == SIGTERM ? HP_EXIT_TERMINATED : HP_EXIT_INTERRUPTED;
    if (sweep->budget.stop == BUDGET_STOP_FAILURES && sweep->budget.auto_stop) {
        char logs[600] = "";
        for (size_t i = 0; i < BUDGET_AUTO_FAILURES; i++) {
            size_t used = strlen(logs);
            snprintf(logs + used, sizeof logs - used, "%strials/%s/stderr.log",
                     i ? ", " : "", sweep->budget.logs[i]);
        }
        hp_error_set(err, "",
                     "the first %d trials all failed the same way, so the sweep stopped: "
                     "%.400s; their logs in %s: %s; fix the command, then run hpsearch "
                     "resume %s --retry-failed (\"max_failures\": null never stops)",
                     BUDGET_AUTO_FAILURES, sweep->budget.reason, sweep->opts->out_dir,
                     logs, sweep->opts->out_dir);
        return HP_EXIT_MAX_FAILURES;
    }
    if (sweep->budget.stop == BUDGET_STOP_FAILURES)
        return HP_EXIT_MAX_FAILURES;
    if (sweep->budget.stop == BUDGET_STOP_TIME ||
        sweep->budget.stop == BUDGET_STOP_TRIALS)
        return HP_EXIT_BUDGET;
    return state->trials_ok > 0 ? HP_EXIT_OK : HP_EXIT_ALL_FAILED;
}

/* resume --retry-failed: every failed trial runs again, whatever its
 * reason. Each is a journal record ("retry") before it is acted on, so a
 * replay sees the same sweep. */
static void retry_failed(struct sweep *sweep)
{
    size_t count = 0;
    for (size_t c = 0; c < sweep->state.config_count && !sweep->fatal; c++) {
        for (size_t s = 0; s < sweep->state.configs[c].seed_count && !sweep->fatal; s++) {
            struct seed_ref ref = {c, s};
            if (seed_of(sweep, ref)->status != SEED_FAILED)
                continue;
            commit(sweep, record_head(sweep, "retry", ref));
            count++;
        }
    }
    printf("retrying %zu failed trial%s\n", count, count == 1 ? "" : "s");
}

/* Journals what the sweep runs with now (provenance.h); on a resume, first
 * warns about what changed since the run before. */
static void record_provenance(struct sweep *sweep, int resumed)
{
    json_t *now = provenance_collect(sweep->space, sweep->opts->trainer_path, NULL);
    if (!now)
        return;
    if (resumed) {
        if (!sweep->state.provenance)
            fprintf(stderr, "hpsearch: note: this sweep's earlier runs recorded no "
                            "provenance (an older hpsearch); recording it from now on\n");
        else
            provenance_print_changes(sweep->state.provenance, now,
                                     "hpsearch: warning: what the sweep runs with changed "
                                     "since its last run (results may differ for these "
                                     "reasons):",
                                     stderr);
    }
    note(sweep, provenance_record(now));
}

static enum hp_exit_code sweep_main(const struct space *space,
                                    const struct sweep_options *opts, int resume,
                                    struct hp_error *err)
{
    struct sweep sweep;
    memset(&sweep, 0, sizeof sweep);
    sweep.space = space;
    /* "resources": no more trials at once than the pools hold. */
    struct sweep_options limited = *opts;
    if (space->resources.given) {
        if (resources_pool_init_local(&sweep.pool, &space->resources, err) < 0)
            return HP_EXIT_USAGE;
        int capacity = resources_pool_capacity(&sweep.pool);
        if (capacity < limited.jobs) {
            char gpus[64] = "";
            if (sweep.pool.gpus_per_trial)
                snprintf(gpus, sizeof gpus, " and %d of the %d GPUs",
                         sweep.pool.gpus_per_trial, sweep.pool.gpu_count);
            printf("resources: at most %d trial%s at once, not %d: each takes %d of the "
                   "%d CPUs%s\n",
                   capacity, capacity == 1 ? "" : "s", limited.jobs,
                   sweep.pool.cpus_per_trial, sweep.pool.cpu_count, gpus);
            limited.jobs = capacity;
        }
        opts = &limited;
    }
    sweep.opts = opts;
    sweep.journal.fd = -1;
    enum hp_exit_code code = HP_EXIT_RUNTIME;
    struct growth grow = {0};

    if (uv_loop_init(&sweep.loop) < 0) {
        hp_error_set(err, "", "cannot start the event loop");
        return HP_EXIT_RUNTIME;
    }
    sweep.running = calloc((size_t)opts->jobs, sizeof *sweep.running);
    if (!sweep.running ||
        launch_context_init(&sweep.launch, space, opts->trainer_path, opts->out_dir) < 0) {
        hp_error_set(err, "", "out of memory");
        goto out;
    }
    if (state_init(&sweep.state, space, opts->out_dir, err) < 0) {
        code = HP_EXIT_USAGE;
        goto out;
    }
    sweep.state.ctx = &sweep;
    if (retention_init(&sweep.retention, space) < 0) {
        hp_error_set(err, "", "out of memory");
        goto out;
    }

    if (resume) {
        long long good_bytes = 0;
        int rc = growth_check(opts->out_dir, space, &grow, err);
        if (rc < 0) {
            code = rc == JOURNAL_LINE_UNREADABLE ? HP_EXIT_JOURNAL : HP_EXIT_USAGE;
            goto out;
        }
        sweep.state.drops_on_replay = 1;
        rc = state_replay(&sweep.state, opts->out_dir, &good_bytes, err);
        sweep.state.drops_on_replay = 0;
        if (rc < 0) {
            if (rc == JOURNAL_LINE_UNREADABLE)
                code = HP_EXIT_JOURNAL;
            goto out;
        }
        if (state_requeue_running(&sweep.state, err) < 0 ||
            journal_open(&sweep.journal, opts->out_dir, good_bytes, &sweep.loop,
                         on_journal_failed, &sweep, err) < 0)
            goto out;
        open_tensorboard(&sweep, 1);
        /* Processes: once the journal's lock says no other hpsearch runs this
         * sweep, kill what a killed run's trials left behind (proctree.h). */
        int leftovers = proctree_kill_leftovers(opts->out_dir, err);
        if (leftovers < 0)
            goto out;
        if (leftovers > 0)
            printf("%s: killed %d processes that the interrupted run's trials left behind\n",
                   opts->out_dir, leftovers);
        if (grow.to > grow.from) {
            /* space.json already says the new size; the record makes it the
             * one a later resume checks against. */
            printf("growing %s from %zu to %zu configs\n", opts->out_dir, grow.from,
                   grow.to);
            note(&sweep, growth_record(&grow, space, unix_time()));
            if (sweep.fatal) {
                *err = sweep.fatal_err;
                goto out;
            }
        }
        /* Files that finished attempts no longer need but a killed run had no
         * time to delete: their records are on disk once the journal is
         * synced, and no trial runs. */
        struct hp_error warn;
        hp_error_init(&warn);
        if (journal_flush(&sweep.journal, &warn) == 0) {
            size_t count;
            struct file_drop *drops = state_take_drops(&sweep.state, &count);
            delete_drops(&sweep.state, drops, count);
        }
        if (retention_sync(&sweep.retention, &sweep.state, &warn) < 0) {
            char text[2048];
            fprintf(stderr, "hpsearch: %s\n", hp_error_format(&warn, text, sizeof text));
        }
        if (opts->retry_failed)
            retry_failed(&sweep);
        sweep.state.on_config_complete = on_config_complete;
        size_t done = state_trials_done(&sweep.state);
        if (sweep.state.ended && done == sweep.state.trials_planned &&
            results_exist(opts->out_dir)) {
            /* Finished before: nothing to run, and its results stand. */
            printf("%s: the sweep is complete (%zu trials done, %zu failed); nothing to "
                   "run\n",
                   opts->out_dir, done, sweep.state.trials_failed);
            struct results_view view = {&sweep.state, 0.0, NULL, NULL};
            results_print_summary(&view, stdout);
            seedcheck_warn(&sweep.state, NULL, stdout);
            code = HP_EXIT_OK;
            goto out;
        }
        printf("resuming %s: %zu trials done (%zu failed), %zu to run again\n",
               opts->out_dir, state_trials_done(&sweep.state),
               sweep.state.trials_failed, sweep.state.queue_len - sweep.state.queue_head);
        note(&sweep, json_pack("{s:s, s:i, s:f}", "event", "resume", "jobs", opts->jobs,
                               "time", unix_time()));
        record_provenance(&sweep, 1);
    } else {
        char hash[24];
        if (write_space(&sweep, hash, err) < 0 ||
            journal_open(&sweep.journal, opts->out_dir, -1, &sweep.loop, on_journal_failed,
                         &sweep, err) < 0)
            goto out;
        open_tensorboard(&sweep, 0);
        sweep.state.on_config_complete = on_config_complete;
        /* Version 2: every line carries its checksum (journal_line.h). */
        note(&sweep, json_pack("{s:s, s:i, s:s, s:s, s:i, s:I, s:f, s:o}", "event",
                               "sweep_start", "version", 2, "name", space->name,
                               "space_hash", hash, "jobs", opts->jobs, "planned_trials",
                               (json_int_t)sweep.state.trials_planned, "time",
                               unix_time(), "trials", growth_trials_value(space)));
        record_provenance(&sweep, 0);
    }
    if (sweep.fatal) {
        *err = sweep.fatal_err;
        goto out;
    }
    /* Processes: from here every trial runs in the tree's keeping; sweep_free
     * closes it. */
    if (proctree_open(&sweep.tree, opts->out_dir, err) < 0)
        goto out;
    code = run_loop(&sweep, err);
out:
    close_tensorboard(&sweep);
    journal_detach_loop(&sweep.journal);
    /* Handles still open after a failure need their close callbacks to run. */
    uv_walk(&sweep.loop, close_any, NULL);
    uv_run(&sweep.loop, UV_RUN_DEFAULT);
    uv_loop_close(&sweep.loop);
    sweep_free(&sweep);
    return code;
}

enum hp_exit_code sweep_run(const struct space *space, const struct sweep_options *opts,
                            struct hp_error *err)
{
    return sweep_main(space, opts, 0, err);
}

enum hp_exit_code sweep_resume(const struct space *space, const struct sweep_options *opts,
                               struct hp_error *err)
{
    return sweep_main(space, opts, 1, err);
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
    struct strategy_context strategy_context = {space->maximize};
    if (space->strategy->create(&space->params, space->strategy_options, &strategy_context,
                                &strategy, err) < 0)
        return HP_EXIT_USAGE;
    struct scheduler *scheduler = NULL;
    if (space->scheduler) {
        struct sched_context context = {strategy_planned(strategy), space->maximize,
                                        &space->params};
        if (space->scheduler->create(space->scheduler_options, &context, &scheduler, err) <
            0) {
            strategy_destroy(strategy);
            return HP_EXIT_USAGE;
        }
    }
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
        /* Under a scheduler each config starts with the budget it admits. */
        if (scheduler)
            json_object_set_new(ask.params, space->budget_param,
                                json_integer(scheduler_admit(scheduler, ask.config_index, ask.params)));
        for (size_t s = 0; s < space->seed_count && code == HP_EXIT_OK; s++) {
            char trial_id[48];
            snprintf(trial_id, sizeof trial_id, "c%04zu-s%" PRIu64, ask.config_index,
                     space->seeds[s]);
            char dir[HP_PATH_MAX];
            if (hp_path_join(dir, sizeof dir, err, opts->out_dir, "trials", trial_id,
                             NULL) < 0) {
                code = HP_EXIT_USAGE;
                break;
            }
            struct trial_identity who = {space->seeds[s], trial_id, dir, NULL, NULL};
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
    if (code == HP_EXIT_OK && scheduler && scheduler->extra_configs > 0)
        fprintf(out, "%zu configs x %zu seeds = %zu trials now; the %s scheduler adds %zu "
                     "configs (%zu trials) in later generations from results "
                     "(dry run: nothing started)\n",
                configs, space->seed_count, configs * space->seed_count,
                space->scheduler->name, scheduler->extra_configs,
                scheduler->extra_configs * space->seed_count);
    else if (code == HP_EXIT_OK)
        fprintf(out, "%zu configs x %zu seeds = %zu trials (dry run: nothing started)%s\n",
                configs, space->seed_count, configs * space->seed_count,
                scheduler ? "; the scheduler decides later budgets from results" : "");
    strategy_destroy(strategy);
    scheduler_destroy(scheduler);
    return code;
}
