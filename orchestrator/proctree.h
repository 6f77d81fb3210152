/*
 * Every process a trial starts ends with it.
 *
 * A trial's process group is not enough: a grandchild that calls setsid()
 * leaves it, and after hpsearch is SIGKILLed the parent-death signal reaches
 * the trainer only, not what it started. This file keeps track of every
 * descendant of a trial with the strongest mechanism the system allows, and
 * kills them all when the trial ends. The sweep picks one mechanism when it
 * starts (HPSEARCH_CONTAINMENT=auto|cgroup2|cgroup1|subreaper|none, default
 * auto, which tries them in that order):
 *
 *   cgroup2    a cgroup per trial, under a per-sweep cgroup "hpsearch-<pid>-N"
 *              created beside hpsearch's own in the cgroup v2 hierarchy. The
 *              trial's process enters it before exec, so nothing it starts can
 *              be outside it (short of moving itself, which needs write access
 *              to a cgroup above). Ending the trial writes cgroup.kill (kernel
 *              5.14+; else freeze, kill each process, thaw, until empty).
 *              Guarantee: no descendant survives the end of its trial, forks
 *              racing the kill included.
 *   cgroup1    the same with a v1 hierarchy, freezer preferred (freeze, kill
 *              every process, thaw, repeat until empty), else pids (kill until
 *              empty: a process forking faster than it is killed could
 *              outlast the bounded number of rounds).
 *   subreaper  hpsearch becomes a child subreaper (PR_SET_CHILD_SUBREAPER), so
 *              an orphaned descendant of a trial is re-parented to hpsearch
 *              rather than to init. A process belongs to the trial whose
 *              leader it descends from, or, once orphaned, whose
 *              HPSEARCH_TRIAL_DIR its environment (as it was at exec) names.
 *              Guarantee: best effort while the sweep runs (a process that
 *              exec'd with another HPSEARCH_TRIAL_DIR or none is not
 *              attributed to a trial), but none outlives the sweep: at its end
 *              every remaining descendant of hpsearch is killed.
 *   none       the trial's process group only, as before.
 *
 * What no mechanism can do is act after hpsearch itself is SIGKILLed: the
 * trainer dies with it (its parent-death signal), but what the trainer
 * started lives on. The per-sweep cgroups are therefore listed in
 * <sweep>/.hpsearch-cgroups, and `resume` first kills what a killed run left
 * behind: every cgroup listed there, and every process of the same user
 * whose HPSEARCH_TRIAL_DIR is a trial directory of this sweep.
 *
 * hpsearch writes only inside the sweep directory, with the cgroup
 * filesystem as the one documented exception. This file knows nothing of
 * sweeps or trials beyond a directory and the HPSEARCH_TRIAL_DIR variable of
 * the trial protocol.
 */
#ifndef PROCTREE_H
#define PROCTREE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "path.h"

enum proctree_mechanism {
    PROCTREE_NONE,
    PROCTREE_SUBREAPER,
    PROCTREE_CGROUP1,
    PROCTREE_CGROUP2,
};

/* One per sweep; caller storage, zeroed or left by proctree_close. */
struct proctree {
    enum proctree_mechanism mechanism;
    int open;
    char sweep_dir[HP_PATH_MAX];
    char root[HP_PATH_MAX];   /* cgroup: the per-sweep cgroup directory */
    unsigned long next_group; /* makes trial cgroup names unique */
    char **pending;           /* trial cgroups killed but not yet empty */
    size_t pending_count;
    size_t pending_cap;
};

/* One per trial, inside the trial. */
struct proctree_group {
    struct proctree *tree;    /* borrowed; NULL: the process group alone */
    char path[HP_PATH_MAX];   /* the trial's cgroup directory, or "" */
    char marker[HP_PATH_MAX + 32]; /* "HPSEARCH_TRIAL_DIR=<dir>" (subreaper) */
    int join_fd;              /* the cgroup's cgroup.procs until started, or -1 */
    pid_t leader;             /* the trial's process while it runs, else 0 */
};

/* Returns the mechanism's name ("cgroup2", "subreaper", ...). */
const char *proctree_mechanism_name(enum proctree_mechanism mechanism);

/* Picks the mechanism (HPSEARCH_CONTAINMENT, see above) for a sweep in
 * `sweep_dir` (absolute) and sets it up: creates the per-sweep cgroup and
 * lists it in <sweep_dir>/.hpsearch-cgroups, or makes hpsearch a subreaper.
 * Returns 0, or -1 when the variable names an unknown or unavailable
 * mechanism or the record cannot be written (tree left closed). */
int proctree_open(struct proctree *tree, const char *sweep_dir, struct hp_error *err);

/* Kills every process left in the tree, removes the per-sweep cgroup (waiting
 * a moment for the killed to exit) and takes it off the record. Harmless on
 * a tree that was never opened. */
void proctree_close(struct proctree *tree);

/* For `resume`, before any trial starts: kills what an earlier, killed
 * hpsearch of the sweep in `sweep_dir` left running (see above) and removes
 * its cgroups. Returns the number of processes killed, or -1 when the record
 * cannot be rewritten (what could be killed was). */
int proctree_kill_leftovers(const char *sweep_dir, struct hp_error *err);

/* Prepares a trial's group before its process starts: `tree` may be NULL
 * (process group only); `trial_dir` is the trial's HPSEARCH_TRIAL_DIR. With a
 * cgroup, creates it and opens join_fd, which the new process writes "0" to
 * before exec to enter it. Returns 0 or -1 (nothing to close then). */
int proctree_group_open(struct proctree *tree, const char *trial_dir,
                        struct proctree_group *group, struct hp_error *err);

/* Records the trial's process (`pid` leads its own process group) and closes
 * join_fd; call it with pid 0 when the process did not start. */
void proctree_group_started(struct proctree_group *group, pid_t pid);

/* Sends `signum` to every process of the trial that is still running. */
void proctree_group_signal(struct proctree_group *group, int signum);

/* The trial's process has been reaped: SIGKILLs every process it left and
 * forgets its pid (which the kernel may now reuse). */
void proctree_group_leader_exited(struct proctree_group *group);

/* The trial is over: kills anything left and removes its cgroup, or leaves it
 * to the tree to remove once its last process has exited. */
void proctree_group_close(struct proctree_group *group);

#endif
