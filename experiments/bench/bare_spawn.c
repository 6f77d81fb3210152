/*
 * bare_spawn: the bare cost of running a program N times, the baseline that
 * hpsearch's per-trial overhead is measured against.
 *
 *   bare_spawn [-n RUNS] [-j 1|2] PROGRAM [ARG...]
 *
 * Starts PROGRAM with posix_spawn, reads its stdout through a pipe until EOF,
 * reaps it with waitpid, and starts the next, keeping -j of them running at
 * once (poll() multiplexes the pipes). stderr and the environment are
 * inherited. Nothing else: no trial directory, no log files, no journal.
 *
 * Prints one line on stdout, "RUNS JOBS SECONDS MS_PER_RUN", for scripts.
 * Exit status: 0 when every run exited 0, 1 when one did not or a system call
 * failed, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { MAX_JOBS = 2 };

struct run {
    pid_t pid;
    int fd; /* read end of the child's stdout; -1 when the slot is free */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts argv[0] with its stdout on a fresh pipe; fills *run. Returns 0 or -1
 * with a message on stderr. */
static int run_start(struct run *run, char **argv)
{
    int fds[2];
    if (pipe(fds) < 0) {
        perror("bare_spawn: pipe");
        return -1;
    }
    /* Close-on-exec on both ends: the child gets the write end only as its
     * fd 1 (dup2 clears the flag), and no child inherits another's pipe. */
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    int rc = posix_spawn(&run->pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        fprintf(stderr, "bare_spawn: cannot start %s: %s\n", argv[0], strerror(rc));
        close(fds[0]);
        return -1;
    }
    run->fd = fds[0];
    return 0;
}

/* Reaps a run whose pipe reached EOF. Returns 0 if it exited 0, else -1. */
static int run_reap(struct run *run)
{
    close(run->fd);
    run->fd = -1;
    int status;
    while (waitpid(run->pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("bare_spawn: waitpid");
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bare_spawn: a run ended with status 0x%x\n", (unsigned)status);
        return -1;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bare_spawn [-n RUNS] [-j 1|2] PROGRAM [ARG...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    long runs = 2000;
    int jobs = 1;
    int opt;
    while ((opt = getopt(argc, argv, "+n:j:")) != -1) {
        char *end = NULL;
        if (opt == 'n') {
            runs = strtol(optarg, &end, 10);
            if (*end || runs < 1)
                return usage();
        } else if (opt == 'j') {
            jobs = (int)strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > MAX_JOBS)
                return usage();
        } else {
            return usage();
        }
    }
    if (optind >= argc)
        return usage();
    char **child_argv = argv + optind;

    struct run slots[MAX_JOBS];
    for (int i = 0; i < MAX_JOBS; i++)
        slots[i].fd = -1;
    long started = 0;
    long finished = 0;
    int failed = 0;
    char buf[65536];
    double t0 = now_s();
    while (finished < runs && !failed) {
        struct pollfd pfd[MAX_JOBS];
        int slot_of[MAX_JOBS];
        int n = 0;
        for (int i = 0; i < jobs; i++) {
            if (slots[i].fd < 0 && started < runs) {
                if (run_start(&slots[i], child_argv) < 0)
                    return 1;
                started++;
            }
            if (slots[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = slots[i].fd, .events = POLLIN};
                slot_of[n++] = i;
            }
        }
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("bare_spawn: poll");
            return 1;
        }
        for (int k = 0; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            struct run *run = &slots[slot_of[k]];
            ssize_t got = read(run->fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                failed |= run_reap(run) < 0;
                finished++;
            }
        }
    }
    double seconds = now_s() - t0;
    if (failed)
        return 1;
    printf("%ld %d %.6f %.6f\n", runs, jobs, seconds, seconds * 1000.0 / (double)runs);
    return 0;
}
