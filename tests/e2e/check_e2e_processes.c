/*
 * Every process a trial starts ends with it, end to end: the real hpsearch
 * runs fake trainers whose grandchild escapes the trial's session and ignores
 * SIGTERM (tests/helpers/fake_trainer.c, modes escape and escape_hang), under
 * each containment mechanism this machine offers (HPSEARCH_CONTAINMENT; one
 * that is not available here is skipped with a note). The escapee must be
 * gone when its trial ends, when its trial times out, and, after hpsearch was
 * SIGKILLed (which nothing can act on at the time), once `resume` starts.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/processes"

/* The mechanisms tried by each test; auto is whatever this machine gives. */
static const char *const MECHANISMS[] = {"auto", "cgroup2", "cgroup1", "subreaper"};
#define MECHANISM_COUNT (sizeof MECHANISMS / sizeof MECHANISMS[0])

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Returns 1 while `pid` runs; a zombie has ended (only its parent's wait is
 * missing). */
static int alive(pid_t pid)
{
    char path[64];
    char text[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *paren = strrchr(text, ')');
    return paren && paren[2] != 'Z' && paren[2] != 'X';
}

/* The pid a trial's escapee wrote, or 0 when it has not (yet). */
static pid_t escapee_of(const char *dir, const char *trial)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/out/trials/%s/escapee.pid", dir, trial);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

static const char *const TRIALS[] = {"c0000-s0", "c0001-s0", "c0002-s0"};

/* A fresh directory with a three-trial space of fake_trainer `mode`; a
 * timeout of 0 means none. */
static void prepare(const char *dir, const char *mode, int timeout_s)
{
    ck_assert_int_eq(run("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    char timeout[64] = "";
    if (timeout_s > 0)
        snprintf(timeout, sizeof timeout, " \"timeout_s\": %d,", timeout_s);
    char space[1024];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-processes\", \"command\": [\"%s/fake_trainer\", \"%s\"],\n"
             " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 1, \"parallel\": 2,\n"
             " \"max_failures\": null,\n"
             "%s \"retries\": 0,\n"
             " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.2, 0.3]}}}\n",
             BIN, mode, timeout);
    char path[4096];
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
}

/* Runs `hpsearch ARGS` in `dir` under `mechanism`. Returns its exit status,
 * or -1 when the mechanism is not available on this machine. */
static int hpsearch(const char *dir, const char *mechanism, const char *args)
{
    int status = run("cd '%s' && HPSEARCH_CONTAINMENT=%s FAKE_TRAINER_HANG_WHILE='%s/hang' "
                     "'%s/hpsearch' %s > log.txt 2>&1",
                     dir, mechanism, dir, BIN, args);
    if (status == 1 && run("grep -q 'not available here' '%s/log.txt'", dir) == 0) {
        fprintf(stderr, "note: HPSEARCH_CONTAINMENT=%s is not available here; skipped\n",
                mechanism);
        return -1;
    }
    return status;
}

/* A sweep that ended took its processes with it: the escapees are gone and
 * the record of per-sweep cgroups is too. */
static void assert_nothing_left(const char *dir, const char *mechanism)
{
    for (size_t i = 0; i < 3; i++) {
        pid_t pid = escapee_of(dir, TRIALS[i]);
        ck_assert_msg(pid > 0, "%s: trial %s wrote no escapee.pid", mechanism, TRIALS[i]);
        ck_assert_msg(!alive(pid), "%s: the escapee %ld of %s outlived its trial", mechanism,
                      (long)pid, TRIALS[i]);
    }
    ck_assert_int_ne(run("test -e '%s/out/.hpsearch-cgroups'", dir), 0);
}

/* Kills what a failed check left running, so one failure does not linger. */
static void kill_escapees(const char *dir)
{
    for (size_t i = 0; i < 3; i++) {
        pid_t pid = escapee_of(dir, TRIALS[i]);
        if (pid > 0 && alive(pid))
            kill(pid, SIGKILL);
    }
}

START_TEST(test_escaped_grandchild_ends_with_its_trial)
{
    for (size_t m = 0; m < MECHANISM_COUNT; m++) {
        const char *dir = WORK "/end";
        prepare(dir, "escape", 0);
        int status = hpsearch(dir, MECHANISMS[m], "run space.json --out out");
        if (status < 0)
            continue;
        ck_assert_msg(status == 0, "%s: hpsearch exited %d", MECHANISMS[m], status);
        assert_nothing_left(dir, MECHANISMS[m]);
        kill_escapees(dir);
    }
}
END_TEST

START_TEST(test_timed_out_trial_takes_its_escapee_along)
{
    for (size_t m = 0; m < MECHANISM_COUNT; m++) {
        const char *dir = WORK "/timeout";
        prepare(dir, "escape_hang", 1);
        ck_assert_int_eq(run("touch '%s/hang'", dir), 0);
        int status = hpsearch(dir, MECHANISMS[m], "run space.json --out out");
        if (status < 0)
            continue;
        ck_assert_msg(status == 3, "%s: hpsearch exited %d, not 3 (all failed)",
                      MECHANISMS[m], status);
        ck_assert_int_eq(run("grep -c '\"failure\":\"timeout\"' '%s/out/journal.jsonl' | "
                             "grep -qx 3",
                             dir),
                         0);
        assert_nothing_left(dir, MECHANISMS[m]);
        kill_escapees(dir);
    }
}
END_TEST

/* Starts `hpsearch run` in `dir` in the background under `mechanism`. */
static pid_t start_run(const char *dir, const char *mechanism)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char marker[4096];
        snprintf(marker, sizeof marker, "%s/hang", dir);
        setenv("HPSEARCH_CONTAINMENT", mechanism, 1);
        setenv("FAKE_TRAINER_HANG_WHILE", marker, 1);
        int log = chdir(dir) == 0 ? open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
        if (log < 0)
            _exit(126);
        dup2(log, 1);
        dup2(log, 2);
        execl(BIN "/hpsearch", "hpsearch", "run", "space.json", "--out", "out", (char *)NULL);
        _exit(127);
    }
    return pid;
}

START_TEST(test_resume_kills_what_a_killed_run_left_behind)
{
    for (size_t m = 0; m < MECHANISM_COUNT; m++) {
        const char *dir = WORK "/killed";
        prepare(dir, "escape_hang", 0);
        ck_assert_int_eq(run("touch '%s/hang'", dir), 0);
        pid_t hp = start_run(dir, MECHANISMS[m]);
        /* Two trials run (parallel 2) and hang once their escapee is out. */
        pid_t before[2] = {0, 0};
        int status;
        for (int i = 0; i < 2000 && !(before[0] && before[1]); i++) {
            if (waitpid(hp, &status, WNOHANG) == hp)
                break;
            before[0] = escapee_of(dir, TRIALS[0]);
            before[1] = escapee_of(dir, TRIALS[1]);
            sleep_ms(10);
        }
        if (!(before[0] && before[1]) &&
            run("grep -q 'not available here' '%s/log.txt'", dir) == 0) {
            fprintf(stderr, "note: HPSEARCH_CONTAINMENT=%s is not available here; skipped\n",
                    MECHANISMS[m]);
            continue;
        }
        ck_assert_msg(before[0] && before[1], "%s: the trials' escapees never appeared",
                      MECHANISMS[m]);
        kill(hp, SIGKILL);
        waitpid(hp, &status, 0);
        /* The limit no mechanism lifts: a SIGKILLed hpsearch acts no more. */
        ck_assert(alive(before[0]) && alive(before[1]));

        ck_assert_int_eq(run("rm '%s/hang'", dir), 0);
        status = hpsearch(dir, MECHANISMS[m], "resume out");
        ck_assert_msg(status == 0, "%s: resume exited %d", MECHANISMS[m], status);
        for (int i = 0; i < 2; i++) {
            ck_assert_msg(!alive(before[i]), "%s: the killed run's escapee %ld survived resume",
                          MECHANISMS[m], (long)before[i]);
        }
        ck_assert_int_eq(run("grep -q 'killed [0-9]* processes that the interrupted run' "
                             "'%s/log.txt'",
                             dir),
                         0);
        /* The resumed run's own escapees went with their trials. */
        assert_nothing_left(dir, MECHANISMS[m]);
        kill_escapees(dir);
        for (int i = 0; i < 2; i++)
            if (alive(before[i]))
                kill(before[i], SIGKILL);
    }
}
END_TEST

/* The control: with containment off, the escapee does outlive its trial, so
 * the tests above see what they claim to. */
START_TEST(test_without_containment_the_escapee_survives)
{
    const char *dir = WORK "/none";
    prepare(dir, "escape", 0);
    ck_assert_int_eq(hpsearch(dir, "none", "run space.json --out out"), 0);
    int survivors = 0;
    for (size_t i = 0; i < 3; i++)
        survivors += alive(escapee_of(dir, TRIALS[i]));
    kill_escapees(dir);
    ck_assert_int_eq(survivors, 3);
}
END_TEST

START_TEST(test_unknown_containment_is_refused)
{
    const char *dir = WORK "/unknown";
    prepare(dir, "escape", 0);
    ck_assert_int_eq(hpsearch(dir, "sandbox", "run space.json --out out"), 1);
    ck_assert_int_eq(run("grep -q 'HPSEARCH_CONTAINMENT: unknown mechanism \"sandbox\" "
                         "(valid: auto, cgroup2, cgroup1, subreaper, none)' '%s/log.txt'",
                         dir),
                     0);
    /* Refused before any trial started. */
    ck_assert_int_eq(run("test -z \"$(ls -A '%s/out/trials' 2>/dev/null)\"", dir), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_processes");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_escaped_grandchild_ends_with_its_trial);
    tcase_add_test(tc, test_timed_out_trial_takes_its_escapee_along);
    tcase_add_test(tc, test_resume_kills_what_a_killed_run_left_behind);
    tcase_add_test(tc, test_without_containment_the_escapee_survives);
    tcase_add_test(tc, test_unknown_containment_is_refused);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
