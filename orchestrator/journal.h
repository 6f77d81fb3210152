/*
 * The journal: runs/<name>/journal.jsonl, append-only, one JSON object per
 * line, every record on disk (write + fdatasync) before journal_append
 * returns, so the orchestrator never acts on something it has not recorded.
 * It is the sweep's truth: results.json, results.csv and best/ derive from it.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <jansson.h>

#include "error.h"

struct journal {
    int fd;
    char path[4096];
};

/* Opens (creating) the journal in `dir` for appending. When keep_bytes >= 0
 * the file is first cut to that length: a resume drops a torn last line so
 * that the next record starts on a line of its own. Returns 0 or -1. */
int journal_open(struct journal *journal, const char *dir, long long keep_bytes,
                 struct hp_error *err);

/* Appends `record` (borrowed) as one line and makes it durable. Returns 0,
 * or -1 with `err` naming the journal and the system error (disk full). */
int journal_append(struct journal *journal, const json_t *record, struct hp_error *err);

void journal_close(struct journal *journal);

/* Returns the pid of the hpsearch that holds `dir`'s journal open for
 * writing, or 0 when none does. */
long journal_writer_pid(const char *dir);

#endif
