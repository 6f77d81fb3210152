/*
 * Crash safety end to end: a real sweep of the real trainer is killed with
 * SIGKILL at several points, its journal is torn, it is resumed each time,
 * and its final results must be exactly those of an uninterrupted run. Also:
 * no trial outlives a killed hpsearch, an edited space.json is refused, and
 * status, report and best read the sweep.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/resume"

static const char *SPACE =
    "{\"name\": \"e2e-resume\",\n"
    " \"command\": [\"hpsearch-train\", \"--epochs\", \"6\", \"--hidden\", \"32\"],\n"
    " \"strategy\": {\"type\": \"grid\"},\n"
    " \"seeds\": [0, 1],\n"
    " \"parallel\": 2,\n"
    " \"params\": {\"lr\": {\"type\": \"choice\", \"values\": [0.001, 0.003, 0.01]}}}\n";

/* Starts `hpsearch ARGS...` in WORK with output to log.txt. Returns its pid. */
static pid_t start_hpsearch(const char *command, const char *operand)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (chdir(WORK) < 0)
            _exit(126);
        int log = open("log.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(log, 1);
        dup2(log, 2);
        if (strcmp(command, "run") == 0)
            execl(BIN "/hpsearch", "hpsearch", "run", operand, "--out", "b", (char *)NULL);
        else
            execl(BIN "/hpsearch", "hpsearch", "resume", operand, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static long journal_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* Waits until the journal has `lines` lines, then SIGKILLs hpsearch. Returns
 * 1 when it was killed, 0 when it had finished first. */
static int kill_at(pid_t pid, long lines)
{
    for (int i = 0; i < 6000; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return 0;
        if (journal_lines(WORK "/b/journal.jsonl") >= lines) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return 1;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    ck_abort_msg("the sweep neither reached %ld journal lines nor finished", lines);
    return 0;
}

/* Counts live (not zombie) processes whose environment names a trial of b/. */
static int count_live_trials_of_b(void)
{
    DIR *proc = opendir("/proc");
    ck_assert_ptr_nonnull(proc);
    int count = 0;
    struct dirent *e;
    const char *needle = "HPSEARCH_TRIAL_DIR=" WORK "/b/";
    while ((e = readdir(proc))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        char stat_text[512] = "";
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(stat_text, 1, sizeof stat_text - 1, f);
        stat_text[n] = '\0';
        fclose(f);
        const char *paren = strrchr(stat_text, ')');
        if (!paren || paren[2] == 'Z')
            continue;
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        static char env[65536];
        n = fread(env, 1, sizeof env - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i += strlen(env + i) + 1)
            count += strncmp(env + i, needle, strlen(needle)) == 0;
    }
    closedir(proc);
    return count;
}

/* The kernel delivers the parent-death signal as hpsearch dies; the trials
 * take a moment to go. Waits up to 3 s for none to be left. */
static int live_trials_of_b(void)
{
    int n = count_live_trials_of_b();
    for (int i = 0; i < 300 && n > 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        n = count_live_trials_of_b();
    }
    return n;
}

START_TEST(test_killed_and_resumed_sweep_matches_an_uninterrupted_one)
{
    ck_assert_int_eq(run("rm -rf '%s' && mkdir -p '%s'", WORK, WORK), 0);
    FILE *f = fopen(WORK "/space.json", "w");
    fputs(SPACE, f);
    fclose(f);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out a > a.log 2>&1", WORK,
                         BIN),
                     0);
    long total = journal_lines(WORK "/a/journal.jsonl");
    ck_assert_int_gt(total, 60);

    /* Kill it early, tear the journal's last line as a power cut would, then
     * resume and kill again twice, at later points. */
    int kills = kill_at(start_hpsearch("run", "space.json"), 6);
    ck_assert_int_eq(live_trials_of_b(), 0);
    f = fopen(WORK "/b/journal.jsonl", "a");
    fputs("{\"event\":\"end\",\"trial\":\"c00", f);
    fclose(f);
    kills += kill_at(start_hpsearch("resume", "b"), total / 3);
    ck_assert_int_eq(live_trials_of_b(), 0);
    kills += kill_at(start_hpsearch("resume", "b"), 2 * total / 3);
    ck_assert_int_eq(live_trials_of_b(), 0);
    ck_assert_int_ge(kills, 2);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' resume b >> log.txt 2>&1", WORK, BIN), 0);

    /* The same results, apart from timings. */
    ck_assert_int_eq(run("cd '%s' && grep -v -e elapsed_s -e trainer_seconds -e resource_units -e '\"seconds\"' a/results.json > "
                         "a.json && grep -v -e elapsed_s -e trainer_seconds -e resource_units -e '\"seconds\"' b/results.json > "
                         "b.json && diff a.json b.json",
                         WORK),
                     0);
    ck_assert_int_eq(run("cd '%s' && cut -d, -f1-8 a/results.csv > a.csv && "
                         "cut -d, -f1-8 b/results.csv > b.csv && diff a.csv b.csv",
                         WORK),
                     0);
    /* best/ agrees (the checkpoints' headers name their own trial directory,
     * a/ or b/: one byte, plus the 4-byte checksum, may differ; the weights
     * may not), and only the best trial's checkpoint remains. */
    ck_assert_int_eq(run("cd '%s' && grep -v source a/best/best.json > a.best && "
                         "grep -v source b/best/best.json > b.best && diff a.best b.best",
                         WORK),
                     0);
    ck_assert_int_eq(run("cd '%s' && test $(cmp -l a/best/best.ckpt b/best/best.ckpt | "
                         "wc -l) -le 5",
                         WORK),
                     0);
    ck_assert_int_eq(run("test $(find '%s/b/trials' -name '*.ckpt' | wc -l) -eq 1", WORK), 0);

    /* A finished sweep resumes to nothing; its results stay. */
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' resume b > again.txt 2>&1", WORK, BIN), 0);
    ck_assert_int_eq(run("grep -q '6 trials done' '%s/again.txt'", WORK), 0);
}
END_TEST

START_TEST(test_resume_refuses_an_edited_space)
{
    ck_assert_int_eq(run("rm -rf '%s-edit' && mkdir -p '%s-edit'", WORK, WORK), 0);
    FILE *f = fopen(WORK "-edit/space.json", "w");
    fputs(SPACE, f);
    fclose(f);
    ck_assert_int_eq(run("cd '%s-edit' && '%s/hpsearch' run space.json --out s > /dev/null 2>&1",
                         WORK, BIN),
                     0);
    ck_assert_int_eq(run("cd '%s-edit' && sed -i 's/0.003/0.004/' s/space.json && "
                         "'%s/hpsearch' resume s 2> err.txt",
                         WORK, BIN),
                     2);
    ck_assert_int_eq(run("grep -q 'was edited since the sweep started' '%s-edit/err.txt'", WORK),
                     0);
}
END_TEST

START_TEST(test_status_report_and_best_read_a_sweep)
{
    const char *dir = WORK "-read";
    ck_assert_int_eq(run("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    FILE *f = fopen(path, "w");
    fputs(SPACE, f);
    fclose(f);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out s > /dev/null 2>&1",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' status s > status.txt", dir, BIN), 0);
    ck_assert_int_eq(run("grep -q 'finished' '%s/status.txt' && "
                         "grep -q '6/6 done (6 ok, 0 failed)' '%s/status.txt' && "
                         "grep -q 'best so far: config' '%s/status.txt'",
                         dir, dir, dir),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' report s --top 2 > top2.txt && "
                         "test $(wc -l < top2.txt) -eq 3",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' report s --format markdown | "
                         "grep -c '^| [0-9]' | grep -qx 3",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' report s --format csv | "
                         "head -1 | grep -q '^trial,config,seed,status,value'",
                         dir, BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' report s --format json > report.json", dir,
                         BIN),
                     0);
    snprintf(path, sizeof path, "%s/report.json", dir);
    json_t *report = load_json(path);
    ck_assert_uint_eq(json_array_size(report), 3);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' best s > best.json", dir, BIN), 0);
    snprintf(path, sizeof path, "%s/best.json", dir);
    json_t *best = load_json(path);
    ck_assert_int_eq(json_integer_value(json_object_get(best, "config")),
                     json_integer_value(json_object_get(json_array_get(report, 0), "config")));
    const char *checkpoint = json_string_value(json_object_get(best, "checkpoint"));
    ck_assert_ptr_nonnull(checkpoint);
    ck_assert_int_eq(access(checkpoint, R_OK), 0);
    ck_assert_ptr_nonnull(strstr(checkpoint, "/s/best/"));
    json_decref(best);
    json_decref(report);
    /* The real trainer reproduces a trial bit for bit. */
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' rerun s c0001-s1 > rerun.txt", dir, BIN), 0);
    ck_assert_int_eq(run("grep -q 'identical: all [0-9]* metric lines are bit-identical' "
                         "'%s/rerun.txt'",
                         dir),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' rerun s c0007-s0 2> err.txt", dir, BIN), 2);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' report s --format yaml 2> err.txt", dir,
                         BIN),
                     2);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' status nowhere 2> err.txt", dir, BIN), 2);
}
END_TEST

/* A trainer that is not reproducible is caught, with the first difference. */
START_TEST(test_rerun_shows_the_first_difference)
{
    const char *dir = WORK "-noisy";
    ck_assert_int_eq(run("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"name\": \"noisy\", \"command\": [\"%s/fake_trainer\", \"noisy\"], "
               "\"params\": {}}\n",
            BIN);
    fclose(f);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' run space.json --out s > /dev/null", dir, BIN),
                     0);
    ck_assert_int_eq(run("cd '%s' && '%s/hpsearch' rerun s c0000-s0 > rerun.txt", dir, BIN), 5);
    ck_assert_int_eq(run("grep -q 'DIFFERENT: metric line 1 of 6 differs' '%s/rerun.txt' && "
                         "grep -q '^  sweep: {\"epoch\":1' '%s/rerun.txt' && "
                         "grep -q '^  rerun: {\"epoch\":1' '%s/rerun.txt'",
                         dir, dir, dir),
                     0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_resume");
    TCase *tc = tcase_create("resume");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_killed_and_resumed_sweep_matches_an_uninterrupted_one);
    tcase_add_test(tc, test_resume_refuses_an_edited_space);
    tcase_add_test(tc, test_status_report_and_best_read_a_sweep);
    tcase_add_test(tc, test_rerun_shows_the_first_difference);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
