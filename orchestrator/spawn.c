/*
 * vfork + exec with a parent-death signal. See spawn.h.
 *
 * Between vfork and exec the child shares hpsearch's memory and stack, so it
 * only makes system calls on values prepared beforehand: no allocation, no
 * stdio, no locks. Signals are blocked around the vfork so that no handler of
 * the parent's can run in the child; the child resets the handled ones to
 * their defaults before it unblocks them.
 */
#define _GNU_SOURCE /* vfork, pipe2, prctl: Linux process control */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path.h"

/* Resolved before the vfork: the child must not allocate. */
int spawn_resolve(const char *file, char *path, size_t size)
{
    if (file[0] != '/' && strchr(file, '/')) {
        /* Relative to hpsearch's directory, also for a trial run elsewhere. */
        char here[HP_PATH_MAX];
        if (!getcwd(here, sizeof here))
            return -errno;
        return hp_path_join(path, size, NULL, here, file, NULL) == 0 ? 0 : -ENAMETOOLONG;
    }
    if (strchr(file, '/'))
        return hp_path_join(path, size, NULL, file, NULL) == 0 ? 0 : -ENAMETOOLONG;
    const char *search = getenv("PATH");
    if (!search || !*search)
        search = "/usr/local/bin:/usr/bin:/bin";
    int saw_eacces = 0;
    while (*search) {
        const char *colon = strchr(search, ':');
        size_t n = colon ? (size_t)(colon - search) : strlen(search);
        if (hp_path_format(path, size, NULL, "%.*s%s%s", (int)n, search, n ? "/" : "",
                           file) == 0) {
            if (access(path, X_OK) == 0)
                return 0;
            saw_eacces |= errno == EACCES;
        }
        search += n + (colon != NULL);
    }
    return saw_eacces ? -EACCES : -ENOENT;
}

/* The signals hpsearch handles or ignores; a trainer starts with the defaults. */
static const int HANDLED_SIGNALS[] = {SIGINT,  SIGTERM, SIGCHLD, SIGHUP,
                                      SIGPIPE, SIGXFSZ, SIGWINCH};

int spawn_trial(char *const argv[], char *const env[], const char *cwd, int join_fd,
                struct spawned *out)
{
    return spawn_trial_pinned(argv, env, cwd, join_fd, NULL, 0, out);
}

int spawn_trial_pinned(char *const argv[], char *const env[], const char *cwd,
                       int join_fd, const int *cpus, int cpu_count, struct spawned *out)
{
    cpu_set_t affinity;
    CPU_ZERO(&affinity);
    for (int i = 0; i < cpu_count; i++)
        if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE)
            CPU_SET(cpus[i], &affinity);
    char path[HP_PATH_MAX];
    int rc = spawn_resolve(argv[0], path, sizeof path);
    if (rc < 0)
        return rc;
    int out_pipe[2] = {-1, -1};
    int err_pipe[2] = {-1, -1};
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
        rc = -errno;
        goto fail;
    }
    pid_t parent = getpid();
    sigset_t all, saved;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &saved);
    volatile int exec_errno = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        /* The child: only system calls from here to exec. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (size_t i = 0; i < sizeof HANDLED_SIGNALS / sizeof HANDLED_SIGNALS[0]; i++)
            sigaction(HANDLED_SIGNALS[i], &dfl, NULL);
        /* "0" is the writer itself, in cgroup v2 and v1 alike. */
        if (join_fd >= 0 && write(join_fd, "0", 1) != 1) {
            exec_errno = errno ? errno : EIO;
            _exit(127);
        }
        if (cpu_count > 0 && sched_setaffinity(0, sizeof affinity, &affinity) < 0) {
            exec_errno = errno;
            _exit(127);
        }
        setsid();
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127); /* hpsearch died before the line above took effect */
        if ((cwd && chdir(cwd) < 0) || dup2(null_fd, 0) < 0 || dup2(out_pipe[1], 1) < 0 ||
            dup2(err_pipe[1], 2) < 0) {
            exec_errno = errno;
            _exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, env);
        exec_errno = errno;
        _exit(127);
    }
    int vfork_errno = errno;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (pid < 0) {
        rc = -vfork_errno;
        goto fail;
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    close(null_fd);
    if (exec_errno) {
        /* The child is exiting (vfork returned at its _exit): collect it here,
         * so no zombie waits for a SIGCHLD that nobody is watching for. */
        close(out_pipe[0]);
        close(err_pipe[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return -exec_errno;
    }
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    out->pid = pid;
    out->stdout_fd = out_pipe[0];
    out->stderr_fd = err_pipe[0];
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0)
            close(out_pipe[i]);
        if (err_pipe[i] >= 0)
            close(err_pipe[i]);
    }
    if (null_fd >= 0)
        close(null_fd);
    return rc;
}
