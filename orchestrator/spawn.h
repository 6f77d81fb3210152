/*
 * Starting a trial's process: vfork + exec, as posix_spawn does, plus the two
 * things posix_spawn cannot do that an overnight sweep needs:
 *
 *   - the child asks the kernel to SIGKILL it when hpsearch dies
 *     (PR_SET_PDEATHSIG), so a crashed or killed orchestrator leaves no trial
 *     burning CPU until morning;
 *   - the child leads a session of its own, so that stopping a trial reaches
 *     the processes it started, and a Ctrl-C at the terminal reaches only
 *     hpsearch, which then stops the trials in order;
 *   - the child can enter the trial's cgroup (proctree.h) before it execs, so
 *     that nothing the trial starts is ever outside it.
 *
 * vfork keeps the cost of a start independent of how much memory hpsearch
 * holds (fork copies page tables; on these machines that dominates), which is
 * why hpsearch does not use uv_spawn. libuv still drives everything else: the
 * pipes are uv_pipe_t handles and exits arrive through a SIGCHLD uv_signal_t
 * (see reaper.h).
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawned {
    pid_t pid;
    int stdout_fd;   /* read ends, O_NONBLOCK | O_CLOEXEC; the caller owns them */
    int stderr_fd;
};

/* Starts argv[0] (searched in PATH when it has no '/') with `env` in the
 * directory `cwd` (NULL: hpsearch's own; a relative argv[0] with a '/' is
 * found from hpsearch's own either way), stdin from
 * /dev/null and stdout and stderr to new pipes. With `join_fd` >= 0 (an open
 * cgroup.procs, borrowed), the child first writes "0" to it, which moves it
 * into that cgroup. Returns 0, or a negative errno (the exec's own error when
 * the program could not be run, e.g. -ENOENT, -EACCES, or the cgroup's when it
 * could not be joined), in which case nothing is left open and no child
 * remains. */
/* Resolves a program name the way spawn_trial will: through PATH the way
 * execvp does when it has no '/', else from hpsearch's own directory. Returns
 * 0 with path[size] filled, -ENAMETOOLONG for a name with a '/' too long for
 * it, or -ENOENT (-EACCES). A directory of PATH too long to hold the name is
 * skipped, as execvp does. */
int spawn_resolve(const char *file, char *path, size_t size);

int spawn_trial(char *const argv[], char *const env[], const char *cwd, int join_fd,
                struct spawned *out);

/* spawn_trial, with the child pinned to the `cpu_count` CPUs of `cpus`
 * (sched_setaffinity before exec; none when cpu_count is 0). A CPU the
 * kernel refuses fails the start with its errno. */
int spawn_trial_pinned(char *const argv[], char *const env[], const char *cwd,
                       int join_fd, const int *cpus, int cpu_count, struct spawned *out);

#endif
