/*
 * fake_trainer: small misbehaving (and one well-behaved) trainers for the
 * orchestrator's end-to-end tests. The mode is the first argument; sweep
 * params arrive as --name=value after it, as the trial protocol says.
 *
 *   ok        three epoch lines; val_accuracy = 1 - (x - 0.3)^2 + seed / 1000
 *             (x from --x=, default 0.5); writes and reports best.ckpt;
 *             --noise=S adds S * sin(12.9898 seed + 78.233 x) (every mode
 *             but budget)
 *   nan       one good epoch, then a NaN loss, exit 3
 *   crash     one epoch line, then abort()
 *   exit      one epoch line, then exit status 7
 *   silent    exits 0 without reporting the objective
 *   hang      reports one epoch, then sleeps for ever (timeouts, signals)
 *   garbage   log text, broken JSON and non-object JSON around good lines
 *   longline  a 10 MB line without a newline, then a good line
 *   progress  a carriage-return progress bar on stdout, then good lines
 *   trivial   one metric line and exit (the overhead benchmark's trainer)
 *   forkpipe  reports, then forks a child that keeps stdout open for 30 s,
 *             and exits 0 itself
 *   closeout  reports, closes stdout, lingers 0.2 s, exits 0
 *   slow      like ok, with 0.1 s per epoch (--ms=N: N ms) (for interrupting sweeps)
 *   failwhile exits 5 while the file named by $FAKE_TRAINER_FAIL_WHILE exists,
 *             else like ok
 *   noisy     like ok, but the values depend on the process id: a trainer
 *             that is not reproducible
 *   crline    a progress text redrawn with carriage returns, then a metric
 *             line after the last \r of the same line
 *   flood     20,000 numbered 100-byte lines on stdout (2 MB), then like ok
 *   pydict    prints its metrics as Python's print(dict) does (single quotes)
 *   strobj    reports the objective as a string ("0.7"), then null
 *   outside   reports a checkpoint outside its directory (--target=PATH,
 *             absolute) and one through ../, then a real one: retention must
 *             never touch the outside ones
 *   linkout   reports a checkpoint that is a symlink to --target=PATH
 *   ioerror   one epoch, then exits 74 (an I/O error) as hpsearch-train does
 *             when it cannot write (while $FAKE_TRAINER_FAIL_WHILE exists, when
 *             set); else like ok
 *   escape    forks a grandchild that leaves the trial's session (setsid),
 *             ignores SIGTERM, writes its pid to $HPSEARCH_TRIAL_DIR/escapee.pid,
 *             closes its stdio and sleeps 60 s; then reports and exits 0
 *   budget    a promotable trainer for the schedulers: trains epochs up to
 *             --epochs=N (a total), continuing after the epoch saved in
 *             $HPSEARCH_RESUME_FROM; val_accuracy = 1 - (x - 0.3)^2 + seed / 1000
 *             - 0.4 / epoch; writes last.ckpt (its epoch) and reports it after
 *             each epoch line; appends each epoch it trains to trained.log;
 *             sleeps a random 0..--jitter ms per epoch (default 0), so that
 *             parallel trials finish in a different order on every run;
 *             --nockpt=1: reports no checkpoint. last.ckpt holds "EPOCH TRIAL_ID"
 *             (the trial that wrote it); a resumed run appends "from TRIAL_ID"
 *             (whose checkpoint it continued) to lineage.log; --ahead=E: at
 *             epoch E, writes last.ckpt before the epoch's line, then creates
 *             $HPSEARCH_TRIAL_DIR/hanging and waits while the file named by
 *             $FAKE_TRAINER_HANG_WHILE exists (a trainer that ran ahead of
 *             what hpsearch has recorded, when hpsearch is killed)
 *   argv      writes its arguments after the mode, one a line, to
 *             $HPSEARCH_TRIAL_DIR/argv.txt, then like ok
 *   seedless  like ok, but ignores its seed: every seed reports the same lines
 *   cwdfiles  an argparse script as people write it: opens the file named by
 *             --data=PATH (exit 2 if it cannot), writes its argv (one element
 *             a line) to argv.txt and a model.pt into its working directory,
 *             then like ok
 *   escape_hang  like escape, but before reporting it waits while the file
 *             named by $FAKE_TRAINER_HANG_WHILE exists (a test SIGKILLs
 *             hpsearch meanwhile, then removes the file and resumes)
 *   metrics   three epoch lines with val_accuracy (as ok, best at x = 0.3) and
 *             val_loss = (x - 0.7)^2 + seed / 1000, plus 0.02 at epoch 1 and
 *             0.5 x at epoch 3 (so its best, epoch 2, and its last rank
 *             configs differently), then a final line {"final": true,
 *             "test_accuracy", "confusion": [[9, 1], [2, 8]]}
 *   resources sleeps --ms=N (default 300), then writes to
 *             $HPSEARCH_TRIAL_DIR/resources.txt its start and end times
 *             (start_ms=, end_ms=, wall clock), the CPUs it may run on
 *             (cpus=0,1, from sched_getaffinity), CUDA_VISIBLE_DEVICES
 *             (cuda=, "unset" when it is), $FAKE_TRAINER_GREETING (greeting=,
 *             "unset" likewise) and its arguments after the mode (arg=, one a
 *             line); then like ok
 */
#define _GNU_SOURCE /* sched_getaffinity */
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double param(int argc, char **argv, const char *name, double fallback)
{
    size_t n = strlen(name);
    for (int i = 2; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, name, n) == 0 &&
            argv[i][2 + n] == '=')
            return strtod(argv[i] + 3 + n, NULL);
    return fallback;
}

/* Writes last.ckpt for `epoch`, aside and renamed: a kill never leaves a
 * torn file. */
static void write_last_checkpoint(const char *dir, int epoch, const char *me)
{
    char path[4096];
    char tmp[4200];
    snprintf(path, sizeof path, "%s/last.ckpt", dir ? dir : ".");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%d %s\n", epoch, me ? me : "?");
        fclose(f);
        rename(tmp, path);
    }
}

/* --ahead: the checkpoint of `epoch` is on disk before its line is written;
 * marks the trial "hanging" and waits while `hang_while` exists. */
static void run_ahead(const char *dir, int epoch, const char *me, const char *hang_while)
{
    char path[4096];
    write_last_checkpoint(dir, epoch, me);
    snprintf(path, sizeof path, "%s/hanging", dir ? dir : ".");
    FILE *mark = fopen(path, "w");
    if (mark)
        fclose(mark);
    for (int i = 0; i < 600 && access(hang_while, F_OK) == 0; i++)
        sleep_ms(100);
}

/* The budget mode: see the top of the file. */
static int budget_trainer(int argc, char **argv, const char *dir, double x, long seed)
{
    int epochs = (int)param(argc, argv, "epochs", 3);
    long jitter = (long)param(argc, argv, "jitter", 0);
    int nockpt = param(argc, argv, "nockpt", 0) != 0;
    int ahead = (int)param(argc, argv, "ahead", 0);
    const char *hang_while = getenv("FAKE_TRAINER_HANG_WHILE");
    int first = 1;
    const char *resume = getenv("HPSEARCH_RESUME_FROM");
    char path[4096];
    if (resume) {
        char writer[256] = "?";
        FILE *f = fopen(resume, "r");
        if (!f || fscanf(f, "%d %255s", &first, writer) < 1) {
            fprintf(stderr, "fake_trainer: cannot read checkpoint %s\n", resume);
            return 2;
        }
        fclose(f);
        first++;
        snprintf(path, sizeof path, "%s/lineage.log", dir ? dir : ".");
        FILE *log = fopen(path, "a");
        if (log) {
            fprintf(log, "from %s\n", writer);
            fclose(log);
        }
    }
    const char *me = getenv("HPSEARCH_TRIAL_ID");
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    for (int epoch = first; epoch <= epochs; epoch++) {
        if (jitter > 0)
            sleep_ms(rand() % (jitter + 1));
        double value = 1.0 - (x - 0.3) * (x - 0.3) + (double)seed / 1000.0 - 0.4 / epoch;
        if (epoch == ahead && hang_while && !nockpt)
            run_ahead(dir, epoch, me, hang_while);
        printf("{\"epoch\": %d, \"val_accuracy\": %.6f}\n", epoch, value);
        snprintf(path, sizeof path, "%s/trained.log", dir ? dir : ".");
        FILE *log = fopen(path, "a");
        if (log) {
            fprintf(log, "%d\n", epoch);
            fclose(log);
        }
        if (!nockpt) {
            write_last_checkpoint(dir, epoch, me);
            printf("{\"checkpoint\": \"last.ckpt\", \"epoch\": %d}\n", epoch);
        }
        fflush(stdout);
    }
    return 0;
}

static void write_checkpoint(const char *dir, int epoch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/best.ckpt", dir ? dir : ".");
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "fake checkpoint, epoch %d\n", epoch);
    fclose(f);
    printf("{\"checkpoint\": \"best.ckpt\", \"epoch\": %d}\n", epoch);
}

/* The escape modes' grandchild: out of the trial's session, deaf to SIGTERM,
 * holding nothing of the trial's; it tells its grandparent (through `ready`)
 * once its pid file is in place. */
static void escape(const char *dir)
{
    int ready[2];
    if (pipe(ready) < 0)
        exit(9);
    pid_t pid = fork();
    if (pid < 0)
        exit(9);
    if (pid == 0) {
        setsid();
        signal(SIGTERM, SIG_IGN);
        char path[4096];
        char tmp[4200];
        snprintf(path, sizeof path, "%s/escapee.pid", dir ? dir : ".");
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
            rename(tmp, path);
        }
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        dup2(null_fd, 2);
        close(ready[0]);
        close(ready[1]);
        for (int i = 0; i < 600; i++)
            sleep_ms(100);
        _exit(0);
    }
    close(ready[1]);
    char byte;
    while (read(ready[0], &byte, 1) < 0)
        ; /* EOF: the grandchild has written its pid and let go of the pipe */
    close(ready[0]);
}

/* The argv mode: the trainer's own arguments, for tests of what it is
 * passed. */
static int write_argv(int argc, char **argv, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/argv.txt", dir ? dir : ".");
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (int i = 2; i < argc; i++)
        fprintf(f, "%s\n", argv[i]);
    return fclose(f) == 0 ? 0 : -1;
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The resources mode: see the top of the file. */
static int write_resources(int argc, char **argv, const char *dir, long ms)
{
    long long start = wall_ms();
    sleep_ms(ms);
    char path[4096];
    snprintf(path, sizeof path, "%s/resources.txt", dir ? dir : ".");
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "start_ms=%lld\nend_ms=%lld\ncpus=", start, wall_ms());
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int first = 1;
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
            if (CPU_ISSET(cpu, &set)) {
                fprintf(f, "%s%d", first ? "" : ",", cpu);
                first = 0;
            }
        }
    }
    const char *cuda = getenv("CUDA_VISIBLE_DEVICES");
    const char *greeting = getenv("FAKE_TRAINER_GREETING");
    fprintf(f, "\ncuda=%s\ngreeting=%s\n", cuda ? cuda : "unset",
            greeting ? greeting : "unset");
    for (int i = 2; i < argc; i++)
        fprintf(f, "arg=%s\n", argv[i]);
    return fclose(f) == 0 ? 0 : -1;
}

/* The metrics mode: see the top of the file. */
static int metrics_trainer(double x, double seed, double acc)
{
    double base = (x - 0.7) * (x - 0.7) + seed / 1000.0;
    const double extra[3] = {0.02, 0.0, 0.5 * x};
    for (int epoch = 1; epoch <= 3; epoch++)
        printf("{\"epoch\": %d, \"val_accuracy\": %.17g, \"val_loss\": %.17g}\n", epoch,
               acc - 0.1 * (3 - epoch), base + extra[epoch - 1]);
    printf(
        "{\"final\": true, \"test_accuracy\": %.17g, \"confusion\": [[9, 1], [2, 8]]}\n",
        acc - 0.01);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "ok";
    const char *seed_text = getenv("HPSEARCH_SEED");
    const char *dir = getenv("HPSEARCH_TRIAL_DIR");
    double seed = seed_text ? strtod(seed_text, NULL) : 0;
    if (strcmp(mode, "seedless") == 0)
        seed = 0;
    double x = param(argc, argv, "x", 0.5);
    double acc = 1.0 - (x - 0.3) * (x - 0.3) + seed / 1000.0;
    /* --noise=S: seed-to-seed noise that also depends on x, so that two
     * configs differ by a different amount on each seed (a paired test then
     * has a spread to measure); reproducible, unlike `noisy`. */
    acc += param(argc, argv, "noise", 0.0) * sin(12.9898 * seed + 78.233 * x);
    if (strcmp(mode, "noisy") == 0)
        acc -= (double)(getpid() % 997) * 1e-6;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "budget") == 0)
        return budget_trainer(argc, argv, dir, x, (long)seed);
    if (strcmp(mode, "argv") == 0 && write_argv(argc, argv, dir) != 0)
        return 2;
    if (strcmp(mode, "metrics") == 0)
        return metrics_trainer(x, seed, acc);
    if (strcmp(mode, "resources") == 0 &&
        write_resources(argc, argv, dir, (long)param(argc, argv, "ms", 300)) != 0)
        return 2;

    if (strcmp(mode, "trivial") == 0) {
        printf("{\"epoch\": 1, \"val_accuracy\": %.6f}\n", acc);
        return 0;
    }
    if (strcmp(mode, "garbage") == 0) {
        printf("Epoch 1/3 starting\n{\"epoch\": 1, \"val_accuracy\": broken\n[1, 2, 3]\n");
        fprintf(stderr, "warning: this goes to stderr.log\n");
    }
    if (strcmp(mode, "longline") == 0) {
        static char chunk[1 << 16];
        memset(chunk, 'z', sizeof chunk);
        for (int i = 0; i < 160; i++)
            fwrite(chunk, 1, sizeof chunk, stdout);
        printf("\n");
    }
    if (strcmp(mode, "progress") == 0) {
        for (int i = 0; i <= 10; i++)
            printf("\r[%-10.*s] %d%%", i, "##########", i * 10);
        printf("\n");
    }
    if (strcmp(mode, "forkpipe") == 0) {
        printf("{\"epoch\": 1, \"val_accuracy\": %.6f}\n", acc);
        if (fork() == 0) {
            sleep(30);
            _exit(0);
        }
        return 0;
    }
    if (strcmp(mode, "closeout") == 0) {
        printf("{\"epoch\": 1, \"val_accuracy\": %.6f}\n", acc);
        fclose(stdout);
        sleep_ms(200);
        return 0;
    }
    if (strcmp(mode, "failwhile") == 0) {
        const char *marker = getenv("FAKE_TRAINER_FAIL_WHILE");
        if (marker && access(marker, F_OK) == 0) {
            fprintf(stderr, "fake_trainer: failing while %s exists\n", marker);
            return 5;
        }
    }
    if (strcmp(mode, "crline") == 0) {
        printf("training 50%%\rtraining 100%%\r{\"epoch\": 1, \"val_accuracy\": %.6f}\n", acc);
        return 0;
    }
    if (strcmp(mode, "flood") == 0) {
        for (int i = 0; i < 20000; i++)
            printf("flood line %07d %081d\n", i, 0);
    }
    if (strcmp(mode, "pydict") == 0) {
        printf("starting\n{'epoch': 1, 'val_accuracy': %.6f}\n", acc);
        return 0;
    }
    if (strcmp(mode, "strobj") == 0) {
        printf("{\"epoch\": 1, \"val_accuracy\": \"%.6f\"}\n{\"epoch\": 2, \"val_accuracy\": null}\n",
               acc);
        return 0;
    }
    if (strcmp(mode, "outside") == 0 || strcmp(mode, "linkout") == 0) {
        const char *target = NULL;
        for (int i = 2; i < argc; i++)
            if (strncmp(argv[i], "--target=", 9) == 0)
                target = argv[i] + 9;
        printf("{\"epoch\": 1, \"val_accuracy\": %.6f}\n", acc - 0.1);
        if (target && strcmp(mode, "outside") == 0) {
            printf("{\"checkpoint\": \"%s\", \"epoch\": 1}\n", target);
            printf("{\"checkpoint\": \"../../../victim-relative\", \"epoch\": 1}\n");
        } else if (target) {
            char link_path[4096];
            snprintf(link_path, sizeof link_path, "%s/link.ckpt", dir ? dir : ".");
            if (symlink(target, link_path) == 0)
                printf("{\"checkpoint\": \"link.ckpt\", \"epoch\": 1}\n");
        }
        printf("{\"epoch\": 2, \"val_accuracy\": %.6f}\n", acc);
        write_checkpoint(dir, 2);
        return 0;
    }
    const char *fail_marker = getenv("FAKE_TRAINER_FAIL_WHILE");
    if (strcmp(mode, "ioerror") == 0 && (!fail_marker || access(fail_marker, F_OK) == 0)) {
        printf("{\"epoch\": 1, \"val_accuracy\": %.6f}\n", acc);
        fprintf(stderr, "fake_trainer: cannot write best.ckpt: No space left on device\n");
        return 74;
    }
    if (strncmp(mode, "escape", 6) == 0) {
        escape(dir);
        const char *marker = getenv("FAKE_TRAINER_HANG_WHILE");
        while (strcmp(mode, "escape_hang") == 0 && marker && access(marker, F_OK) == 0)
            sleep_ms(50);
        printf("{\"epoch\": 1, \"val_accuracy\": %.6f}\n", acc);
        return 0;
    }
    if (strcmp(mode, "cwdfiles") == 0) {
        const char *data = NULL;
        for (int i = 2; i < argc; i++)
            if (strncmp(argv[i], "--data=", 7) == 0)
                data = argv[i] + 7;
        FILE *in = data ? fopen(data, "r") : NULL;
        if (!in) {
            fprintf(stderr, "fake_trainer: cannot open --data=%s\n", data ? data : "");
            return 2;
        }
        fclose(in);
        FILE *out = fopen("argv.txt", "w");
        for (int i = 0; out && i < argc; i++)
            fprintf(out, "%s\n", argv[i]);
        if (out)
            fclose(out);
        out = fopen("model.pt", "w");
        if (out) {
            fprintf(out, "weights of %s\n", getenv("HPSEARCH_TRIAL_ID"));
            fclose(out);
        }
    }
    if (strcmp(mode, "silent") == 0) {
        printf("training without reporting anything\n");
        return 0;
    }
    for (int epoch = 1; epoch <= 3; epoch++) {
        double value = acc - 0.1 * (3 - epoch);
        if (strcmp(mode, "nan") == 0 && epoch == 2) {
            printf("{\"epoch\": 2, \"train_loss\": NaN, \"val_accuracy\": NaN}\n");
            return 3;
        }
        printf("{\"epoch\": %d, \"train_loss\": %.6f, \"val_accuracy\": %.6f}\n", epoch,
               1.0 - value, value);
        write_checkpoint(dir, epoch);
        if (strcmp(mode, "slow") == 0)
            sleep_ms((long)param(argc, argv, "ms", 100));
        if (strcmp(mode, "crash") == 0)
            abort();
        if (strcmp(mode, "exit") == 0) {
            fprintf(stderr, "usage: fake_trainer MODE\nfake_trainer: error: unrecognized "
                            "arguments: --lr=0.1\n");
            return 7;
        }
        if (strcmp(mode, "hang") == 0)
            for (;;)
                pause();
    }
    return 0;
}
