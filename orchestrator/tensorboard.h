/*
 * A sweep as TensorBoard sees it: one run per trial, written from journal
 * records, under <sweep>/tensorboard/.
 *
 *   tensorboard/events.out.tfevents.<T>.hpsearch         the HParams experiment
 *   tensorboard/<trial id>/events.out.tfevents.<T>.hpsearch
 *
 * T is the sweep's start time from its sweep_start record, so the names, and
 * every byte in the files, follow from the journal alone: the same journal
 * gives the same files, whether they were written live during the sweep
 * (the space's "tensorboard": true) or afterwards by `hpsearch report DIR
 * --format tensorboard`.
 *
 * What each record writes (events are timed by the latest sweep_start or
 * resume record, the only clock the journal keeps):
 *   start   the trial's first start: an HParams session start info with the
 *           config's params, its group the config ("c0003"), so TensorBoard
 *           aggregates a config's seeds
 *   report  every numeric key of the metric line but the resource, as
 *           scalars at step = the resource ("epoch"); a line without the
 *           resource (the trainer's final line) at the trial's last step
 *   end     a session end info once the trial's outcome is final: ok
 *           (SUCCESS; under a scheduler once its config is completed or
 *           pruned, or the sweep ends complete), failed with no retry left
 *           (FAILURE), pruned (SUCCESS: it ran as the scheduler decided, and
 *           its curve shows where it stopped). TensorBoard keeps the first
 *           end info of a session, so one is written at most.
 * The experiment (every parameter's domain from the space, every metric
 * seen, the objective first) is written when the writer finishes: TensorBoard
 * takes the first experiment summary it reads as final, and until there is
 * one it builds its table from the sessions.
 *
 * What this file does not own: the encoding (tfevents.c), when a live sweep
 * feeds records (sweep.c).
 */
#ifndef TENSORBOARD_H
#define TENSORBOARD_H

#include <jansson.h>
#include <stdio.h>

#include "error.h"
#include "exit_codes.h"
#include "space.h"

struct tensorboard;

/* Starts a writer for the sweep in `dir` (absolute; `space` borrowed and
 * must outlive it). With `live`, each record's events are flushed to the
 * kernel before tensorboard_record returns (no fsync: a reader sees them at
 * once, and the loop never waits on the disk). Returns a new writer, or NULL
 * when out of memory. */
struct tensorboard *tensorboard_new(const struct space *space, const char *dir, int live);

/* Writes what `record` (a journal record, borrowed) adds. A trial's file is
 * created (truncated) the first time this writer writes to it. Returns 0, or
 * -1 with `err` naming the file that cannot be written. */
int tensorboard_record(struct tensorboard *tb, const json_t *record,
                       struct hp_error *err);

/* Feeds every record of the sweep's journal so far, in order. Returns 0, or
 * -1 (JOURNAL_LINE_UNREADABLE for a damaged journal) with `err` set. */
int tensorboard_replay(struct tensorboard *tb, struct hp_error *err);

/* Writes the experiment summary (durably, replacing the last one) and
 * closes every trial's file. Returns 0, or -1 with `err` set. */
int tensorboard_finish(struct tensorboard *tb, struct hp_error *err);

/* The number of trial files this writer has written. */
size_t tensorboard_trial_count(const struct tensorboard *tb);

/* Closes what is open, without writing the experiment. NULL is fine. */
void tensorboard_free(struct tensorboard *tb);

/* `hpsearch report DIR --format tensorboard`: writes every file from the
 * journal and says on `out` where they are and how to open them. Refuses
 * while a running sweep writes them live. */
enum hp_exit_code tensorboard_report(const struct space *space, const char *dir,
                                     FILE *out, struct hp_error *err);

#endif
