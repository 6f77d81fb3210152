/*
 * A trial's log file with a cap: stdout.log or stderr.log in the trial's
 * directory, holding the head and the tail of what the trainer wrote.
 *
 * A trainer that prints 200 MB must not fill the sweep's disk. Up to half
 * the cap goes straight into the log (the head: how the run started, the
 * usual place of a configuration dump or an early error). Past that, lines
 * go to two tail segments beside the log (<name>.tail0 and .tail1), each at
 * most a quarter of the cap, written alternately: when the current one is
 * full the other is emptied and takes over, so the last quarter to half of
 * the cap is always on disk and memory never grows. On close the segments
 * are appended to the log after a marker line that says how much was cut,
 * and removed. A log of an attempt that was killed before its close keeps
 * its segments; the next open of the same log appends them first.
 *
 * Logs are best effort: a write that fails (a full disk) is dropped and never
 * stops the sweep. Lines are whole: the caller frames them (linebuf.c).
 */
#ifndef TRIALLOG_H
#define TRIALLOG_H

#include <stddef.h>
#include <stdint.h>

#include "path.h"

struct triallog {
    int fd;                /* the log, -1 when closed */
    int tail_fd[2];        /* the tail segments, -1 when not open */
    uint64_t tail_size[2]; /* bytes in each segment */
    int tail_current;      /* the segment being written */
    int in_tail;           /* the head is full: every further line goes to the tail */
    uint64_t head_size;    /* bytes in the log file */
    uint64_t cap;          /* bytes; 0 = no cap */
    uint64_t cut_bytes;    /* bytes dropped with an emptied segment */
    uint64_t cut_lines;
    uint64_t written;      /* bytes this attempt wrote, cut or kept */
    char path[HP_PATH_MAX]; /* the log's path */
};

/* Opens <dir>/<name> for appending (creating it), with `cap` bytes at most
 * (0: no cap). When the log already holds an earlier attempt's output,
 * `note` (may be NULL) is written as a separator line first. Returns 0, or -1
 * when the path does not fit (the log is then closed: writes are dropped). */
int triallog_open(struct triallog *log, const char *dir, const char *name, uint64_t cap,
                  const char *note);

/* Appends text[len] and a newline as one line. */
void triallog_line(struct triallog *log, const char *text, size_t len);

/* Appends the tail to the log after a marker of what was cut, closes the
 * files, and removes the log when it is empty. Safe to call twice. */
void triallog_close(struct triallog *log);

#endif
