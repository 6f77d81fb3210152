/*
 * The journal: runs/<name>/journal.jsonl, append-only, one JSON object per
 * line. It is the sweep's truth: results.json, results.csv and best/ derive
 * from it, and a resume replays it.
 *
 * Each line is sealed with a checksum (journal_line.h), so a replay can tell
 * a damaged record from a good one.
 *
 * Durability is a group commit. journal_append writes the record at once (so
 * the order on disk is the order of events, and a crash of hpsearch alone
 * loses nothing), and an fdatasync runs in libuv's thread pool at most every
 * few milliseconds, covering every record appended since the last one: a
 * sweep of short trials pays a fraction of a sync per trial, and the loop goes
 * on starting trials while the disk works. What cannot be undone waits for durability: journal_when_durable
 * runs its callback once every record appended so far is on disk. Starting a
 * trial need not wait: if its record were lost, a resume runs it again.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "error.h"
#include "path.h"

typedef void (*journal_durable_fn)(void *data);
typedef void (*journal_failed_fn)(void *data, const struct hp_error *err);

struct journal_waiter {
    uint64_t seq;             /* durable once synced >= seq */
    journal_durable_fn fn;
    journal_durable_fn discard; /* instead of fn, when that never comes; may be NULL */
    void *data;
};

struct journal {
    int fd;
    char path[HP_PATH_MAX];
    uv_loop_t *loop;          /* NULL: every append syncs on the spot */
    uv_fs_t sync_req;
    uv_timer_t batch_timer;   /* gathers the records of a few ms into one sync */
    int timer_open;
    int timer_armed;
    int syncing;
    uint64_t appended;        /* records written */
    uint64_t synced;          /* records known to be on disk */
    uint64_t sync_target;     /* what the fsync in flight covers */
    struct journal_waiter *waiters;
    size_t waiter_count;
    size_t waiter_cap;
    journal_failed_fn on_failed;
    void *failed_data;
    int failed;
};

/* Opens (creating) the journal in `dir` for appending, taking the sweep's
 * writer lock. When keep_bytes >= 0 the file is first cut to that length: a
 * resume drops a torn last line so the next record starts a line of its own.
 * With a loop, fsyncs run in its thread pool; `on_failed` (may be NULL) hears
 * of a failed fsync. Returns 0, or -1 with `err` set (the path is too long,
 * the file cannot be opened or is locked by another writer). */
int journal_open(struct journal *journal, const char *dir, long long keep_bytes,
                 uv_loop_t *loop, journal_failed_fn on_failed, void *failed_data,
                 struct hp_error *err);

/* Appends `record` (borrowed) as one sealed line. Returns 0, or -1 with `err`
 * naming the journal and the system error (a full disk). */
int journal_append(struct journal *journal, const json_t *record, struct hp_error *err);

/* Runs fn(data) once everything appended so far is on disk (at once when it
 * already is). When the journal closes before that (a write or sync failed),
 * discard(data) runs instead (may be NULL): what waits for durability is not
 * done, and its data is released. Returns 0 or -1 when out of memory (then
 * neither runs). */
int journal_when_durable(struct journal *journal, journal_durable_fn fn,
                         journal_durable_fn discard, void *data);

/* Makes everything durable now, synchronously, and runs the waiters.
 * Returns 0 or -1. */
int journal_flush(struct journal *journal, struct hp_error *err);

/* Flushes, and closes the journal's libuv handle so the loop can end; later
 * appends sync on the spot. Call before closing the loop. */
void journal_detach_loop(struct journal *journal);

/* Flushes and closes. */
void journal_close(struct journal *journal);

/* Returns the pid of the hpsearch that holds `dir`'s journal open for
 * writing, or 0 when none does. */
long journal_writer_pid(const char *dir);

#endif
