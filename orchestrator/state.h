/*
 * The sweep's state: what is known about each configuration and each of its
 * seeds, rebuilt from journal records and nothing else.
 *
 * Every change goes through state_apply(record): the runner writes a record to
 * the journal and then applies it; a resume, `status` or `report` replays the
 * same records through the same function. So the journal is the truth and
 * the in-memory state can never say something the journal does not.
 *
 * Records (one JSON object each, "event" says which):
 *   start   {trial, config, seed, attempt, params, resume_from}
 *   report  {trial, config, seed, line}             one metric line of a trial
 *   end     {trial, config, seed, attempt, status: ok|failed|interrupted|pruned,
 *            seconds, units, score, score_epoch, checkpoint, failure, reason,
 *            will_retry, exit_status, signal, dropped_long_lines, drop}
 *   decide  {config, action: promote|prune|complete, at, budget, drop}
 *           a scheduler's decision, journaled before it is acted on
 *   retry   {trial, config, seed}                   resume --retry-failed
 * and informational ones (sweep_start, resume, config, sweep_end, grow) that
 * state_apply accepts and ignores (grow: growth.h).
 *
 * Memory is kept small per trial (a 100,000-trial sweep must fit in tens of
 * MB): params are held as compact JSON text, trial ids and directories are
 * derived on demand, and what a running attempt has reported lives in a
 * struct attempt that exists only while the attempt runs.
 */
#ifndef STATE_H
#define STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "space.h"
#include "stats.h"
#include "scheduler.h"
#include "strategy.h"
#include "trial.h"

enum seed_status {
    SEED_PENDING,
    SEED_RUNNING,
    SEED_OK,
    SEED_FAILED,
    SEED_PAUSED, /* ran to its budget; the scheduler has not decided on its config */
    SEED_PRUNED, /* its config was stopped early by the scheduler */
};

/* One metric line of an attempt that a scheduler may need again: its step
 * (the resource), the objective in it (NaN if none) and the line. */
struct step_line {
    long step;
    double value;
    json_t *line; /* owned */
};

/* What one running attempt has reported so far. */
struct attempt {
    int has_value;
    double best;           /* best objective value reported */
    long best_epoch;
    double last;           /* last objective value reported */
    long last_epoch;
    int saw_nonfinite;     /* the objective or a loss was NaN or infinite */
    char nonfinite_key[64];
    char objective_misreport[128]; /* the objective reported as a non-number, e.g.
                                      "\"0.7\" (a string)"; empty if never */
    json_t *last_line;     /* the latest metric line with an "epoch" (owned) */
    char **checkpoints;    /* absolute paths the attempt reported (owned) */
    long *checkpoint_epochs;
    size_t checkpoint_count;
    long counted_step;     /* the resource units up to here are counted as trained */
    /* Continuity of a run resumed from a checkpoint: a trainer killed with
     * hpsearch may have saved past the last line the journal holds (lines
     * still in the pipe are lost); resumed from that checkpoint, it would go
     * on after epochs that were never recorded. */
    long last_step;        /* the furthest step its lines reported, -1 none */
    long step_gap;         /* the latest gap between two steps it reported (>= 1) */
    long resumed_after;    /* this run resumed from a checkpoint: last_step then; else -1 */
    long resumed_at;       /* and the step the journal says its checkpoint holds, -1 */
    int run_stepped;       /* this run has reported a step */
    char ran_ahead[256];   /* non-empty: this run skipped unrecorded steps (why) */
    long units;            /* resource units this run trained (for the end record) */
    struct step_line *steps; /* under a scheduler: every line with the resource */
    size_t step_count;
    size_t step_cap;
    long long *deferred;   /* replay: journal offsets of reports not yet applied */
    size_t deferred_count;
    size_t deferred_cap;
};

/* One (config, seed) pair over all its attempts. */
struct seed_record {
    uint64_t seed;
    double score;          /* the objective by the score rule; NaN if none */
    double seconds;        /* wall time of the last attempt */
    long score_epoch;
    long budget;           /* the budget of its latest run (0: the trainer's default) */
    int attempts;          /* attempts that ended ok or failed (not interrupted) */
    int exit_status;
    int term_signal;
    unsigned char status;  /* enum seed_status */
    unsigned char failure; /* enum trial_failure */
    unsigned char queued;  /* in the pending queue */
    unsigned char prune_pending; /* running when its config was pruned: being stopped */
    char *reason;          /* failure words (owned), or NULL */
    char *checkpoint;      /* the checkpoint kept with the score (owned), or NULL */
    char *resume_from;     /* an interrupted attempt's last checkpoint (owned) */
    json_t *final_line;    /* the trainer's {"final": true} line, no timing (owned) */
    struct attempt *live;  /* while an attempt runs (owned) */
};

struct config_record {
    size_t index;          /* the strategy's config index == position in the array */
    char *params_text;     /* the config as compact JSON (owned) */
    struct seed_record *seeds; /* (seed_count) */
    size_t seed_count;
    size_t finished;       /* seeds whose status is ok or failed */
    int complete;          /* every seed finished; `summary` is valid */
    size_t failed;
    struct stats_summary summary;
    /* Under a scheduler: */
    long budget;           /* the budget its seeds run to now */
    long reached;          /* the budget or step it was completed or pruned at */
    long progress_step;    /* the last step told to the scheduler */
    unsigned char segment_told; /* its seeds' run to `budget` was told */
    unsigned char settled; /* the scheduler completed or pruned it */
    unsigned char pruned;  /* ... pruned it */
    /* Under a population scheduler (pbt): */
    unsigned char retired; /* a stage that later configs continued */
    unsigned char exploited; /* it took over `source`'s line (else continued its own) */
    unsigned char has_source; /* it continues the checkpoints of config `source` */
    size_t source;
};

/* A (config, seed) position. */
struct seed_ref {
    size_t config;
    size_t seed;
};

/* A file that applied records made unneeded, and the trial it belongs to. */
struct file_drop {
    char *path;            /* absolute (owned) */
    struct seed_ref owner;
};

struct sweep_state {
    const struct space *space;
    const char *out_dir;           /* absolute; borrowed */
    struct strategy *strategy;     /* owned; asked and told through the state */
    struct scheduler *scheduler;   /* owned; NULL without one */
    struct sched_decision *decisions; /* made by the scheduler, not yet journaled */
    size_t decision_count;
    size_t decision_cap;
    int strategy_done;
    struct config_record *configs;
    size_t config_count;
    size_t config_cap;
    struct seed_ref *queue;        /* retries and restarts, run before new seeds */
    size_t queue_head;
    size_t queue_len;
    size_t queue_cap;
    size_t cursor;                 /* first config that may have unstarted seeds */
    size_t trials_ok;
    size_t trials_failed;
    size_t trials_running;
    size_t trials_pruned;
    double trainer_seconds;        /* wall time of every attempt that ended */
    long long resource_units;      /* resource units trained, over every attempt */
    size_t trials_planned;         /* 0 when the strategy cannot say */
    size_t best_config;            /* valid when has_best */
    int has_best;
    int replaying;                 /* applying old records: no file operations */
    double started_at;             /* unix time of sweep_start, 0 if unknown */
    double resumed_at;             /* unix time of the latest resume, 0 if none */
    size_t done_at_resume;         /* trials done when it resumed */
    int ended;                     /* a sweep_end record closes the journal */
    int end_complete;              /* ... and says the sweep ran to its end */
    char end_reason[64];           /* ... or why it stopped ("interrupted by Ctrl-C") */
    double elapsed_closed;         /* seconds of the runs that closed with sweep_end */
    struct file_drop *drops;       /* files to delete once the records are durable */
    int drops_on_replay;           /* replay lists them too (resume: what a killed
                                      run had no time to delete) */
    size_t drop_count;
    size_t drop_cap;
    json_t *provenance;            /* the latest "provenance" record's object (owned),
                                      NULL when none (provenance.h) */
    /* Called after a config completes (not while replaying); may be NULL. */
    void (*on_config_complete)(struct sweep_state *state, size_t config, void *ctx);
    void *ctx;
};

/* Prepares an empty state and creates the strategy. Returns 0 or -1. */
int state_init(struct sweep_state *state, const struct space *space, const char *out_dir,
               struct hp_error *err);
void state_free(struct sweep_state *state);

/* Applies one record. Returns 0, or -1 when the record contradicts the state
 * (the journal does not belong to this space), with `err` set. */
int state_apply(struct sweep_state *state, const json_t *record, struct hp_error *err);

/* Replays journal.jsonl of `dir` into `state` (replaying = 1 meanwhile).
 * Each line is checked (journal_line.h) before it is read. A torn last line
 * is ignored; *good_bytes (may be NULL) receives the length of the
 * journal's intact prefix. Returns 0; JOURNAL_LINE_UNREADABLE when the
 * journal is damaged, empty or missing (`err` names the line and what to
 * do); -1 on other failures. */
int state_replay(struct sweep_state *state, const char *dir, long long *good_bytes,
                 struct hp_error *err);

/* After a replay: trials that were running when the orchestrator died are
 * queued to run again (from their last checkpoint, when one exists). */
int state_requeue_running(struct sweep_state *state, struct hp_error *err);

/* Takes the files that the records applied so far made unneeded (listed
 * while replaying only with drops_on_replay, and only those still there): the caller deletes them once those records are
 * durable, and frees the list with state_drops_free. *count may be 0. */
struct file_drop *state_take_drops(struct sweep_state *state, size_t *count);
void state_drops_free(struct file_drop *drops, size_t count);

/* Trials in a final state: ok, failed or pruned. */
size_t state_trials_done(const struct sweep_state *state);

/* The decision the scheduler made next, not yet journaled, or NULL. The
 * runner journals it as a "decide" record, whose applying takes it off. */
const struct sched_decision *state_next_decision(const struct sweep_state *state);

/* The seed's score cut back to what it had reached at `step` (by the score
 * rule), from its attempt's lines; its current score when it has none. */
double state_score_at(const struct sweep_state *state, const struct seed_record *seed,
                      long step, long *score_epoch);

/* Returns the latest checkpoint an attempt reported that still exists, or
 * NULL (borrowed from the attempt). */
const char *state_latest_checkpoint(const struct attempt *a);

/* FNV-1a 64 of data[len] as 16 hex digits, for "was space.json edited?". */
void state_hash_text(const char *data, size_t len, char out[24]);

/* Picks the next seed to start: queued retries and restarts first, then
 * unstarted seeds of known configs, then a new config from the strategy.
 * Returns 1 and fills *next, 0 when nothing can start now, -1 on failure. */
int state_next(struct sweep_state *state, struct seed_ref *next, struct hp_error *err);

/* Returns the config's params as a new JSON object (NULL when out of memory). */
json_t *state_params(const struct config_record *config);

/* Writes "c0003-s1" into buf (at least 48 bytes). */
void state_trial_id(const struct config_record *config, const struct seed_record *seed,
                    char *buf, size_t size);

/* Writes "<out_dir>/trials/<trial id>" into buf[size]. Returns 0, or -1 with
 * `err` set ("path too long: ..."; `err` may be NULL) when it does not fit:
 * buf then holds "", so a caller that only shows the path may ignore the
 * result, while one that touches files must check it. */
int state_trial_dir(const struct sweep_state *state, const struct config_record *config,
                    const struct seed_record *seed, char *buf, size_t size,
                    struct hp_error *err);

/* Parses a trial id into (config index, seed value). Returns 0 or -1. */
int state_parse_trial_id(const char *trial_id, size_t *config, uint64_t *seed);

/* Returns 1 when `a` is strictly better than `b` under the objective's mode
 * (NaN is worse than anything). */
int state_better(double a, double b, int maximize);

/* The seed of `config` with the best score, or config->seed_count if none. */
size_t state_best_seed(const struct config_record *config, int maximize);

/* Orders complete configs: successful ones by mean (best first; ties by
 * config index), then those where every seed failed. Fills order[] with
 * indices into configs and returns how many are complete. */
size_t state_rank(const struct config_record *configs, size_t count, int maximize,
                  size_t *order);

/* Failure and status names as written in records and results. */
const char *state_seed_status_name(enum seed_status status);

#endif
