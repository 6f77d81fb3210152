/*
 * Provenance: what a sweep ran with beyond its space file, so that a result
 * that changes after an edit is explained rather than a mystery. One JSON
 * object, recorded in the journal as a "provenance" record when a sweep
 * starts and on each resume, shown in results.json, compared by `resume`
 * (a warning) and `rerun` (before it compares lines):
 *
 *   {"hpsearch_version": "0.2",
 *    "host": "gpu-07",
 *    "program": {"path": "/usr/bin/python3", "sha256": "9f2c..."},
 *    "script":  {"path": "/home/me/mnist/train.py", "sha256": "41d0..."},
 *    "git": {"dir": "/home/me/mnist", "commit": "3e1f...", "dirty": true,
 *            "diff_sha256": "77ab..."},
 *    "env": {"CUDA_VISIBLE_DEVICES": "0", "OMP_NUM_THREADS": "1", ...}}
 *
 * - program: command[0] as the trial starts it (PATH searched; a bare
 *   hpsearch-train is the trainer beside hpsearch), with the SHA-256 of the
 *   file.
 * - script: the script an interpreter runs: the first element of the command
 *   after the program that is neither a short option ("-u") nor holds a
 *   placeholder, when it names an existing regular file (relative to
 *   hpsearch's directory); scanning stops at the first long option
 *   ("--data"). null when there is none (the program is the trainer).
 * - git: for the directory of the script (else of the program): the commit
 *   (git rev-parse HEAD), dirty (git diff HEAD, tracked files of the whole
 *   checkout, is not empty) and the SHA-256 of that diff (null when clean).
 *   Not a checkout, no commit yet, git not installed or git too slow: "git"
 *   holds "dir" and a "status" saying which, and the sweep goes on. git runs
 *   as a child process with GIT_OPTIONAL_LOCKS=0 (it writes nothing, not even
 *   the index) and a timeout.
 * - env: the variables that change numerics: OPENBLAS_*, OMP_*, MKL_* and
 *   CUDA_* of hpsearch's environment, with OPENBLAS_NUM_THREADS and
 *   OMP_NUM_THREADS as the trials get them (threads_per_trial).
 *
 * Nothing is written anywhere: collecting only reads files and runs git.
 */
#ifndef PROVENANCE_H
#define PROVENANCE_H

#include <jansson.h>
#include <stdio.h>

#include "space.h"

struct provenance_options {
    const char *git;      /* the git program; "git" (from PATH) when NULL */
    double git_timeout_s; /* each git command is killed after this; 0: 10 s */
};

/* Collects the provenance of `space`'s command as a sweep would start it,
 * with `trainer_path` standing for a bare hpsearch-train (may be NULL).
 * Returns a new object, or NULL when memory runs out: nothing else fails,
 * what cannot be learnt is recorded as such. */
json_t *provenance_collect(const struct space *space, const char *trainer_path,
                           const struct provenance_options *opts);

/* The journal record: {"event": "provenance", "provenance": P} (P stolen).
 * Returns a new object or NULL. */
json_t *provenance_record(json_t *provenance);

/* What differs between two provenance objects (either may be NULL: an
 * older sweep recorded none), as a new array of strings, one per item, in
 * the order of `before` then `now`'s new items:
 * "git.commit: 3e1f... -> 9a0b...", "env.OMP_SCHEDULE: (unset) -> static".
 * Returns NULL when memory runs out. */
json_t *provenance_changes(const json_t *before, const json_t *now);

/* Prints the changes under `heading` ("provenance changed since the sweep
 * ran:"), each on a line of its own, or nothing when there are none. Returns
 * how many were printed. */
size_t provenance_print_changes(const json_t *before, const json_t *now,
                                const char *heading, FILE *out);

#endif
