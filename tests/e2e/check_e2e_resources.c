/*
 * Per-trial CPUs and GPUs end to end: the fake trainer's resources mode
 * writes the CPUs it may run on and its CUDA_VISIBLE_DEVICES; no two trials
 * that ran at the same time share one, the journal's start records say the
 * same, {gpu} and {cpus} reach argv and "env" reaches the trainer. The GPUs
 * are fake ids ("gpu_ids"): no GPU is needed.
 */
#define _GNU_SOURCE /* sched_getaffinity */
#include <check.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/resources"

enum { MAX_TRIALS = 16 };

struct seen {
    char id[32];
    long long start_ms, end_ms;
    char cpus[256];
    char cuda[256];
    char greeting[64];
    char args[8][128];
    int arg_count;
    char journal_cpus[256]; /* the start record's, joined with commas */
    char journal_gpus[256];
};

static void write_space(const char *dir, const char *extra)
{
    char path[4096], text[4096];
    snprintf(path, sizeof path, "%s/space.json", dir);
    snprintf(
        text, sizeof text,
        "{\"name\": \"res\",\n"
        " \"command\": [\"%s/fake_trainer\", \"resources\", \"--ms=300\",\n"
        "             \"--dev=cuda:{gpu}\", \"--pin={cpus}\"],\n"
        " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 2,\n"
        " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.3, 0.5]}}%s}\n",
        BIN, extra);
    write_text(path, text);
}

static int own_cpu_count(void)
{
    cpu_set_t set;
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    return CPU_COUNT(&set);
}

static void join_ids(const json_t *list, char *buf, size_t size)
{
    size_t used = 0;
    size_t i;
    const json_t *id;
    buf[0] = '\0';
    ck_assert_msg(json_is_array(list), "a start record without its ids");
    json_array_foreach(list, i, id)
    {
        int n = json_is_integer(id)
                    ? snprintf(buf + used, size - used, "%s%lld", i ? "," : "",
                               (long long)json_integer_value(id))
                    : snprintf(buf + used, size - used, "%s%s", i ? "," : "",
                               json_string_value(id));
        used += (size_t)n;
    }
}

/* Reads every trial's resources.txt and its journal start record. */
static size_t read_trials(const char *out, struct seen *trials, int want_journal_ids)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/journal.jsonl", out);
    FILE *journal = fopen(path, "r");
    ck_assert_ptr_nonnull(journal);
    char line[65536];
    size_t n = 0;
    while (fgets(line, sizeof line, journal)) {
        json_t *record = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(record);
        const char *event = json_string_value(json_object_get(record, "event"));
        if (event && strcmp(event, "start") == 0) {
            ck_assert_uint_lt(n, MAX_TRIALS);
            struct seen *t = &trials[n++];
            memset(t, 0, sizeof *t);
            snprintf(t->id, sizeof t->id, "%s",
                     json_string_value(json_object_get(record, "trial")));
            if (want_journal_ids) {
                join_ids(json_object_get(record, "cpus"), t->journal_cpus,
                         sizeof t->journal_cpus);
                join_ids(json_object_get(record, "gpus"), t->journal_gpus,
                         sizeof t->journal_gpus);
            } else {
                ck_assert_ptr_null(json_object_get(record, "cpus"));
                ck_assert_ptr_null(json_object_get(record, "gpus"));
            }
        }
        json_decref(record);
    }
    fclose(journal);
    for (size_t i = 0; i < n; i++) {
        struct seen *t = &trials[i];
        snprintf(path, sizeof path, "%s/trials/%s/resources.txt", out, t->id);
        FILE *f = fopen(path, "r");
        ck_assert_msg(f != NULL, "%s is missing", path);
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (strncmp(line, "start_ms=", 9) == 0)
                t->start_ms = atoll(line + 9);
            else if (strncmp(line, "end_ms=", 7) == 0)
                t->end_ms = atoll(line + 7);
            else if (strncmp(line, "cpus=", 5) == 0)
                snprintf(t->cpus, sizeof t->cpus, "%.255s", line + 5);
            else if (strncmp(line, "cuda=", 5) == 0)
                snprintf(t->cuda, sizeof t->cuda, "%.255s", line + 5);
            else if (strncmp(line, "greeting=", 9) == 0)
                snprintf(t->greeting, sizeof t->greeting, "%.63s", line + 9);
            else if (strncmp(line, "arg=", 4) == 0 && t->arg_count < 8)
                snprintf(t->args[t->arg_count++], sizeof t->args[0], "%.127s", line + 4);
        }
        fclose(f);
    }
    return n;
}

/* Two comma-separated id lists share an id. */
static int share_an_id(const char *a, const char *b)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", a);
    for (char *save = NULL, *id = strtok_r(copy, ",", &save); id;
         id = strtok_r(NULL, ",", &save)) {
        char other[256];
        snprintf(other, sizeof other, "%s", b);
        for (char *save2 = NULL, *o = strtok_r(other, ",", &save2); o;
             o = strtok_r(NULL, ",", &save2))
            if (strcmp(id, o) == 0)
                return 1;
    }
    return 0;
}

START_TEST(test_overlapping_trials_never_share_a_cpu_or_gpu)
{
    fresh_dir(WORK "/pinned");
    write_space(WORK "/pinned", ",\n \"resources\": {\"cpus\": 1, \"gpus\": 1, "
                                "\"gpu_ids\": [0, 1, 2]},\n"
                                " \"env\": {\"FAKE_TRAINER_GREETING\": \"hello there\"}");
    unsetenv("CUDA_VISIBLE_DEVICES");
    setenv("FAKE_TRAINER_GREETING", "the orchestrator's own value", 1);
    ck_assert_int_eq(run("cd '%s/pinned' && '%s/hpsearch' run space.json -j 4 --out out "
                         "> run.log 2>&1",
                         WORK, BIN),
                     0);
    unsetenv("FAKE_TRAINER_GREETING");
    int cpus = own_cpu_count();
    int capacity = cpus < 3 ? cpus : 3;
    if (capacity < 4)
        ck_assert_int_eq(run("grep -q 'resources: at most %d trials\\? at once, not 4' "
                             "'%s/pinned/run.log'",
                             capacity, WORK),
                         0);
    struct seen trials[MAX_TRIALS];
    size_t n = read_trials(WORK "/pinned/out", trials, 1);
    ck_assert_uint_eq(n, 6);
    int overlaps = 0;
    for (size_t i = 0; i < n; i++) {
        struct seen *t = &trials[i];
        /* One CPU, one GPU, and what the trainer saw is what the journal says. */
        ck_assert_msg(!strchr(t->cpus, ',') && t->cpus[0], "%s ran on %s", t->id,
                      t->cpus);
        ck_assert_str_eq(t->cpus, t->journal_cpus);
        ck_assert_str_eq(t->cuda, t->journal_gpus);
        ck_assert_msg(strlen(t->cuda) == 1 && strchr("012", t->cuda[0]), "%s: cuda=%s",
                      t->id, t->cuda);
        ck_assert_str_eq(t->greeting, "hello there");
        char want[300];
        snprintf(want, sizeof want, "--dev=cuda:%s", t->cuda);
        ck_assert_str_eq(t->args[1], want);
        snprintf(want, sizeof want, "--pin=%s", t->cpus);
        ck_assert_str_eq(t->args[2], want);
        for (size_t j = i + 1; j < n; j++) {
            struct seen *u = &trials[j];
            if (t->start_ms >= u->end_ms || u->start_ms >= t->end_ms)
                continue;
            overlaps++;
            ck_assert_msg(!share_an_id(t->cpus, u->cpus), "%s and %s shared CPU %s / %s",
                          t->id, u->id, t->cpus, u->cpus);
            ck_assert_msg(!share_an_id(t->cuda, u->cuda), "%s and %s shared GPU %s / %s",
                          t->id, u->id, t->cuda, u->cuda);
        }
    }
    if (capacity >= 2)
        ck_assert_msg(overlaps > 0, "no two trials ran at once: nothing was checked");
}
END_TEST

/* One at a time, every trial takes the lowest ids: the same on every run. */
START_TEST(test_assignment_follows_launch_order)
{
    fresh_dir(WORK "/serial");
    write_space(WORK "/serial",
                ",\n \"resources\": {\"gpus\": 2, \"gpu_ids\": [\"GPU-b\", 7, 3]}");
    ck_assert_int_eq(run("cd '%s/serial' && '%s/hpsearch' run space.json -j 1 --out out "
                         "> run.log 2>&1",
                         WORK, BIN),
                     0);
    cpu_set_t set;
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    int lowest = 0;
    while (!CPU_ISSET(lowest, &set))
        lowest++;
    char want_cpu[16];
    snprintf(want_cpu, sizeof want_cpu, "%d", lowest);
    struct seen trials[MAX_TRIALS];
    size_t n = read_trials(WORK "/serial/out", trials, 1);
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(trials[i].cpus, want_cpu);
        ck_assert_str_eq(trials[i].cuda, "GPU-b,7");
        ck_assert_str_eq(trials[i].journal_gpus, "GPU-b,7");
        ck_assert_str_eq(trials[i].args[1], "--dev=cuda:GPU-b,7");
    }
    /* A rerun takes the lowest ids too. */
    ck_assert_int_eq(run("cd '%s/serial' && '%s/hpsearch' rerun out c0001-s1 > rerun.log "
                         "2>&1 && grep -qx 'cuda=GPU-b,7' out/trials/c0001-s1/rerun-1/"
                         "resources.txt && grep -qx 'cpus=%s' "
                         "out/trials/c0001-s1/rerun-1/resources.txt",
                         WORK, BIN, want_cpu),
                     0);
}
END_TEST

/* Without "resources" nothing changes: no pinning, no ids, empty
 * placeholders, hpsearch's own CUDA_VISIBLE_DEVICES. */
START_TEST(test_without_resources_trials_are_not_pinned)
{
    fresh_dir(WORK "/plain");
    write_space(WORK "/plain", "");
    setenv("CUDA_VISIBLE_DEVICES", "4", 1);
    ck_assert_int_eq(run("cd '%s/plain' && '%s/hpsearch' run space.json -j 2 --out out "
                         "> run.log 2>&1",
                         WORK, BIN),
                     0);
    unsetenv("CUDA_VISIBLE_DEVICES");
    struct seen trials[MAX_TRIALS];
    size_t n = read_trials(WORK "/plain/out", trials, 0);
    ck_assert_uint_eq(n, 6);
    int cpus = own_cpu_count();
    for (size_t i = 0; i < n; i++) {
        int count = trials[i].cpus[0] ? 1 : 0;
        for (const char *p = trials[i].cpus; *p; p++)
            count += *p == ',';
        ck_assert_int_eq(count, cpus);
        ck_assert_str_eq(trials[i].cuda, "4");
        ck_assert_str_eq(trials[i].args[1], "--dev=cuda:");
        ck_assert_str_eq(trials[i].greeting, "unset");
    }
}
END_TEST

/* Asking for GPUs where there are none is refused before anything runs. */
START_TEST(test_gpus_without_any_are_refused_at_load)
{
    fresh_dir(WORK "/nogpu");
    write_space(WORK "/nogpu", ",\n \"resources\": {\"gpus\": 1}");
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    int status = run("cd '%s/nogpu' && '%s/hpsearch' run space.json --out out "
                     "> run.log 2> run.err",
                     WORK, BIN);
    unsetenv("CUDA_VISIBLE_DEVICES");
    ck_assert_int_eq(status, 2);
    ck_assert_int_eq(run("grep -q 'resources.gpus: asks for 1 GPU per trial, but this "
                         "machine has none' '%s/nogpu/run.err'",
                         WORK),
                     0);
    ck_assert_int_ne(run("test -e '%s/nogpu/out/journal.jsonl'", WORK), 0);
    /* With CUDA_VISIBLE_DEVICES as the pool it runs; reading its results
     * afterwards needs no GPU. */
    setenv("CUDA_VISIBLE_DEVICES", "6,9", 1);
    status = run("cd '%s/nogpu' && '%s/hpsearch' run space.json -j 1 --out out "
                 "> run.log 2> run.err",
                 WORK, BIN);
    ck_assert_int_eq(status, 0);
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    status = run("cd '%s/nogpu' && '%s/hpsearch' report out > report.log 2>&1 && "
                 "'%s/hpsearch' status out > status.log 2>&1",
                 WORK, BIN, BIN);
    unsetenv("CUDA_VISIBLE_DEVICES");
    ck_assert_int_eq(status, 0);
    struct seen trials[MAX_TRIALS];
    size_t n = read_trials(WORK "/nogpu/out", trials, 1);
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(trials[i].cuda, "6");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_resources");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_overlapping_trials_never_share_a_cpu_or_gpu);
    tcase_add_test(tc, test_assignment_follows_launch_order);
    tcase_add_test(tc, test_without_resources_trials_are_not_pinned);
    tcase_add_test(tc, test_gpus_without_any_are_refused_at_load);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
