/*
 * Schedulers end to end, with the fake trainer's promotable "budget" mode
 * (which sleeps a random time per epoch, so that parallel trials finish in a
 * different order on every run): the decisions and results.json are the same
 * at -j 1, 2 and 4 and after kill -9 + resume; a promoted config continues
 * from its checkpoints and never trains an epoch twice; the median rule
 * stops configs; pruned trials show as pruned in every output.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/schedule"

/* A space of `params` (a JSON object's text) sampled by `strategy`, two
 * seeds, under `scheduler`; `extra` goes at the end of the command. */
static void write_space_with(const char *dir, const char *strategy, const char *scheduler,
                             const char *extra, const char *params)
{
    char space[4096];
    snprintf(space, sizeof space,
             "{\"name\": \"e2e-schedule\",\n"
             " \"command\": [\"%s/fake_trainer\", \"budget\"%s],\n"
             " \"strategy\": %s,\n"
             " \"scheduler\": %s,\n"
             " \"seeds\": [0, 1],\n"
             " \"params\": %s}\n",
             BIN, extra, strategy, scheduler, params);
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    write_text(path, space);
}

/* `trials` random configs of `params`. */
static void write_space_of(const char *dir, const char *scheduler, int trials,
                           const char *extra, const char *params)
{
    char strategy[128];
    snprintf(strategy, sizeof strategy,
             "{\"type\": \"random\", \"trials\": %d, \"seed\": 5}", trials);
    write_space_with(dir, strategy, scheduler, extra, params);
}

/* x in [0, 1] alone. */
static void write_space(const char *dir, const char *scheduler, int trials,
                        const char *extra)
{
    write_space_of(dir, scheduler, trials, extra,
                   "{\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1}}");
}

/* results.json without what a run may legitimately change: timings, and the
 * compute spent (a kill makes some work be done twice). Sorted keys, one
 * string. */
static char *results_text(const char *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", out);
    json_t *doc = load_json(path);
    json_object_del(doc, "elapsed_s");
    json_object_del(doc, "compute");
    size_t i;
    json_t *config;
    json_array_foreach(json_object_get(doc, "configs"), i, config)
    {
        size_t j;
        json_t *seed;
        json_array_foreach(json_object_get(config, "seeds"), j, seed)
            json_object_del(seed, "attempts");
    }
    char *text = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(doc);
    return text;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sweep's decisions ("decide" records without their file lists and
 * checksums), sorted, one per line: which config was promoted, pruned or
 * completed where. Sorted because configs are decided independently of each
 * other's timing, but their records interleave as results arrive. */
static char *decisions_text(const char *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/journal.jsonl", out);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *lines[4096];
    size_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        if (!strstr(line, "\"event\":\"decide\""))
            continue;
        json_t *record = json_loads(line, 0, NULL);
        ck_assert_ptr_nonnull(record);
        json_object_del(record, "drop");
        json_object_del(record, "crc");
        ck_assert_uint_lt(n, 4096);
        lines[n++] = json_dumps(record, JSON_SORT_KEYS | JSON_COMPACT);
        json_decref(record);
    }
    free(line);
    fclose(f);
    qsort(lines, n, sizeof *lines, compare_strings);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]) + 1;
    char *text = calloc(total, 1);
    for (size_t i = 0; i < n; i++) {
        strcat(text, lines[i]);
        strcat(text, "\n");
        free(lines[i]);
    }
    return text;
}

/* Asserts a == b, naming the first line where they differ (Check cannot
 * carry a message as long as a whole results.json). */
static void assert_same_text(const char *what, const char *a, const char *b)
{
    size_t line = 1, i = 0;
    while (a[i] && a[i] == b[i])
        line += a[i++] == '\n';
    if (!a[i] && !b[i])
        return;
    size_t start = i;
    while (start > 0 && a[start - 1] != '\n' && i - start < 150)
        start--;
    ck_abort_msg("%s differ at line %zu, byte %zu: \"%.200s\" vs \"%.200s\"", what, line,
                 i, a + start, b + start);
}

static int count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Runs the space in `dir` at -j `jobs` into dir/jN and reads back its
 * results and decisions (see results_text, decisions_text). */
static void run_at(const char *dir, int jobs, char **results, char **decisions)
{
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out j%d -j %d > j%d.log "
            "2>&1",
            dir, BIN, jobs, jobs, jobs),
        0);
    char out[512];
    snprintf(out, sizeof out, "%s/j%d", dir, jobs);
    *results = results_text(out);
    *decisions = decisions_text(out);
}

/* results.json's compute.resource_units in dir/out equals the epochs the
 * trainers wrote to their trained.log files. */
static void assert_units_are_epochs_trained(const char *dir)
{
    ck_assert_int_eq(run("cd '%s/out' && test $(cat trials/*/trained.log | wc -l) = "
                         "$(grep -o '\"resource_units\": [0-9]*' results.json | "
                         "grep -o '[0-9]*$')",
                         dir),
                     0);
}

static const char *ASHA = "{\"type\": \"asha\", \"min\": 1, \"max\": 9, \"eta\": 3}";

START_TEST(test_asha_is_the_same_at_any_parallelism)
{
    const char *dir = WORK "/parallel";
    fresh_dir(dir);
    write_space(dir, ASHA, 12, ", \"--jitter=25\"");
    char *results[3];
    char *decisions[3];
    const int jobs[3] = {1, 2, 4};
    for (int r = 0; r < 3; r++)
        run_at(dir, jobs[r], &results[r], &decisions[r]);
    /* ASHA did prune and promote (12 configs, eta 3: not every config runs
     * to 9 epochs, and some do). */
    ck_assert_int_gt(count_in(decisions[0], "\"action\":\"prune\""), 3);
    ck_assert_int_gt(count_in(decisions[0], "\"action\":\"promote\""), 2);
    ck_assert_int_gt(count_in(decisions[0], "\"action\":\"complete\""), 0);
    for (int r = 1; r < 3; r++) {
        assert_same_text("decisions", decisions[r], decisions[0]);
        assert_same_text("results", results[r], results[0]);
    }
    for (int r = 0; r < 3; r++) {
        free(results[r]);
        free(decisions[r]);
    }
}
END_TEST

START_TEST(test_promotion_continues_and_never_trains_an_epoch_twice)
{
    const char *dir = WORK "/promote";
    fresh_dir(dir);
    write_space(dir, ASHA, 9, "");
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 > log.txt "
            "2>&1",
            dir, BIN),
        0);
    /* Every trial's trained.log counts 1, 2, 3, ... up to where it stopped:
     * a promoted seed went on from its checkpoint. */
    ck_assert_int_eq(
        run("cd '%s/out/trials' && for f in */trained.log; do "
            "seq 1 $(wc -l < $f) | cmp -s - $f || { echo $f; exit 1; }; done",
            dir),
        0);
    /* ... and some went past the first rung, from their own checkpoint. */
    ck_assert_int_eq(
        run("test $(cat '%s'/out/trials/*/trained.log | grep -cx 9) -ge 2", dir), 0);
    ck_assert_int_eq(
        run("grep '\"event\":\"start\"' '%s/out/journal.jsonl' | grep '\"budget\":9' "
            "| grep -q '\"resume_from\":\"[^\"]*last.ckpt\"'",
            dir),
        0);
    /* A promoted trial's metric lines continue its curve: one line per epoch. */
    ck_assert_int_eq(
        run("cd '%s/out' && for t in trials/*; do id=${t#trials/}; "
            "n=$(grep '\"event\":\"report\"' journal.jsonl | grep \"\\\"$id\\\"\" "
            "| grep -c '\"val_accuracy\"'); test $n = $(wc -l < $t/trained.log) "
            "|| exit 1; done",
            dir),
        0);
    /* The compute spent: epochs summed over trials, each counted once. */
    assert_units_are_epochs_trained(dir);
}
END_TEST

START_TEST(test_a_trainer_without_checkpoints_is_rerun_and_the_journal_says_so)
{
    const char *dir = WORK "/nockpt";
    fresh_dir(dir);
    write_space(dir, ASHA, 4, ", \"--nockpt=1\"");
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out > log.txt 2>&1", dir, BIN),
        0);
    ck_assert_int_eq(run("grep '\"budget\":3' '%s/out/journal.jsonl' | grep -q "
                         "'\"restart\":\"no checkpoint to continue from'",
                         dir),
                     0);
    /* config 0 is always promoted: it trained 1, then 1..3 again from the start */
    ck_assert_int_eq(run("head -4 '%s/out/trials/c0000-s0/trained.log' | tr '\\n' ' ' | "
                         "grep -qx '1 1 2 3 '",
                         dir),
                     0);
}
END_TEST

/* Runs the space in `dir` whole at -j 2, then again killed (kill -9) twice,
 * each time once `thresholds` decisions are in the journal, and resumed at
 * -j 3 and -j 1: the decisions and results must be the same. */
static void check_kill_and_resume(const char *dir, const int thresholds[2])
{
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out whole -j 2 > whole.log "
            "2>&1",
            dir, BIN),
        0);
    char out[512];
    snprintf(out, sizeof out, "%s/whole", dir);
    char *whole_results = results_text(out);
    char *whole_decisions = decisions_text(out);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(
            run("cd '%s' && { '%s/hpsearch' %s > cut%d.log 2>&1 & pid=$!; "
                "for i in $(seq 300); do sleep 0.02; "
                "n=$(grep -c '\"decide\"' cut/journal.jsonl 2>/dev/null); "
                "test \"${n:-0}\" -ge %d && break; done; kill -9 $pid; wait $pid; "
                "true; }",
                dir, BIN, k == 0 ? "run space.json --out cut -j 2" : "resume cut -j 3", k,
                thresholds[k]),
            0);
    }
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' resume cut -j 1 > resume.log 2>&1", dir, BIN), 0);
    snprintf(out, sizeof out, "%s/cut", dir);
    char *cut_results = results_text(out);
    char *cut_decisions = decisions_text(out);
    assert_same_text("decisions", cut_decisions, whole_decisions);
    assert_same_text("results", cut_results, whole_results);
    free(whole_results);
    free(whole_decisions);
    free(cut_results);
    free(cut_decisions);
}

START_TEST(test_kill_and_resume_makes_the_same_decisions)
{
    const char *dir = WORK "/kill";
    fresh_dir(dir);
    write_space(dir, ASHA, 12, ", \"--jitter=40\"");
    const int thresholds[2] = {3, 10};
    check_kill_and_resume(dir, thresholds);
}
END_TEST

/* A trainer may write a checkpoint before hpsearch has recorded the lines
 * that lead to it (they sit in the pipe, or the trainer saves before it
 * reports). Killed then, the sweep must not resume from that checkpoint: the
 * trainer would go on past epochs whose lines were never recorded, and the
 * config's value at its rung would come from an earlier epoch. */
START_TEST(test_resume_never_skips_epochs_a_checkpoint_ran_ahead_of)
{
    /* ASHA, epoch 2: resumed, the trainer reports epoch 3 first, one past the
     * journal's gap. ASHA, epoch 3 (the rung): resumed, it reports nothing.
     * No scheduler, epoch 3 (its last): resumed, it reports nothing. */
    static const struct {
        const char *scheduler;
        int ahead;
    } cases[] = {
        {"{\"type\": \"asha\", \"min\": 1, \"max\": 3, \"eta\": 3}", 2},
        {"{\"type\": \"asha\", \"min\": 1, \"max\": 3, \"eta\": 3}", 3},
        {"{\"type\": \"none\"}", 3},
    };
    char dir[256];
    snprintf(dir, sizeof dir, WORK "/ahead%d", _i);
    fresh_dir(dir);
    char extra[64];
    snprintf(extra, sizeof extra, ", \"--ahead=%d\"", cases[_i].ahead);
    write_space(dir, cases[_i].scheduler, 4, extra);
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out whole -j 2 > whole.log 2>&1",
            dir, BIN),
        0);
    /* Killed while a promoted config's trainer has saved epoch 3 and not yet
     * reported it. */
    ck_assert_int_eq(
        run("cd '%s' && touch hang && { FAKE_TRAINER_HANG_WHILE=\"$PWD/hang\" "
            "'%s/hpsearch' run space.json --out cut -j 2 > cut.log 2>&1 & pid=$!; "
            "for i in $(seq 600); do sleep 0.05; "
            "test -n \"$(find cut -name hanging)\" && break; done; "
            "test -n \"$(find cut -name hanging)\" || exit 3; "
            "kill -9 $pid; wait $pid; rm hang; true; }",
            dir, BIN),
        0);
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' resume cut -j 2 > resume.log 2>&1", dir, BIN), 0);
    char out[512];
    snprintf(out, sizeof out, "%s/whole", dir);
    char *whole_results = results_text(out);
    char *whole_decisions = decisions_text(out);
    snprintf(out, sizeof out, "%s/cut", dir);
    char *cut_results = results_text(out);
    char *cut_decisions = decisions_text(out);
    assert_same_text("decisions", cut_decisions, whole_decisions);
    assert_same_text("results", cut_results, whole_results);
    /* And it was the case under test: the journal says why it restarted. */
    char command[600];
    snprintf(command, sizeof command,
             "grep -q 'ahead of the journal' '%s/journal.jsonl'", out);
    ck_assert_int_eq(run("%s", command), 0);
    free(whole_results);
    free(whole_decisions);
    free(cut_results);
    free(cut_decisions);
}
END_TEST

START_TEST(test_median_stops_bad_configs_the_same_way_at_any_parallelism)
{
    const char *dir = WORK "/median";
    fresh_dir(dir);
    write_space(dir, "{\"type\": \"median\", \"max\": 6, \"warmup_configs\": 3}", 10,
                ", \"--jitter=20\"");
    char *results[2];
    char *decisions[2];
    for (int r = 0; r < 2; r++)
        run_at(dir, r * 2 + 1, &results[r], &decisions[r]);
    /* x far from 0.3 is worse at every epoch: some configs stop at epoch 1,
     * the three warm-up configs never do. */
    ck_assert_int_gt(count_in(decisions[0], "\"action\":\"prune\""), 1);
    ck_assert_int_eq(
        count_in(decisions[0], "\"action\":\"prune\",\"at\":1,\"config\":0}"), 0);
    ck_assert_int_eq(count_in(decisions[0], "\"action\":\"promote\""), 0);
    assert_same_text("decisions", decisions[1], decisions[0]);
    assert_same_text("results", results[1], results[0]);
    free(results[0]);
    free(results[1]);
    free(decisions[0]);
    free(decisions[1]);
}
END_TEST

START_TEST(test_pruned_trials_show_in_every_output)
{
    const char *dir = WORK "/outputs";
    fresh_dir(dir);
    write_space(dir, ASHA, 6, "");
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out > log.txt 2>&1", dir, BIN),
        0);
    json_t *doc = load_json(WORK "/outputs/out/results.json");
    ck_assert_int_gt(json_integer_value(json_object_get(doc, "trials_pruned")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "scheduler")), "asha");
    json_t *compute = json_object_get(doc, "compute");
    ck_assert_int_gt(json_integer_value(json_object_get(compute, "resource_units")), 0);
    ck_assert(json_real_value(json_object_get(compute, "trainer_seconds")) > 0);
    /* Pruned configs rank after the complete ones, with where they stopped
     * and their partial value. */
    size_t i;
    json_t *config;
    int seen_pruned = 0;
    json_array_foreach(json_object_get(doc, "configs"), i, config)
    {
        const char *status = json_string_value(json_object_get(config, "status"));
        if (strcmp(status, "pruned") == 0) {
            seen_pruned = 1;
            json_t *seed = json_array_get(json_object_get(config, "seeds"), 0);
            ck_assert_str_eq(json_string_value(json_object_get(seed, "status")),
                             "pruned");
            ck_assert_int_eq(json_integer_value(json_object_get(seed, "pruned_at")),
                             json_integer_value(json_object_get(config, "reached")));
            ck_assert(json_is_real(json_object_get(seed, "value")));
        } else {
            ck_assert_msg(!seen_pruned, "a complete config ranks after a pruned one");
            ck_assert_str_eq(status, "complete");
        }
    }
    ck_assert(seen_pruned);
    json_decref(doc);
    ck_assert_int_eq(
        run("grep -q ',pruned,[0-9.]*,,,[0-9]*,[0-9.]*,1,' '%s/out/results.csv'", dir),
        0);
    ck_assert_int_eq(run("grep -q 'asha scheduler: [1-9][0-9]* configs* pruned early' "
                         "'%s/log.txt' && grep -q 'pruned at epoch 1: x=' '%s/log.txt'",
                         dir, dir),
                     0);
    ck_assert_int_eq(
        run("'%s/hpsearch' status '%s/out' | grep -q ' pruned), 0 running' && "
            "'%s/hpsearch' status '%s/out' | grep -q 'compute: [0-9]* epochs' && "
            "'%s/hpsearch' report '%s/out' | grep -q '(pruned at 1) x='",
            BIN, dir, BIN, dir, BIN, dir),
        0);
    /* No checkpoint of a pruned trial is left (keep_checkpoints best). */
    ck_assert_int_eq(
        run("cd '%s/out' && for c in $(grep -o '\"config\":[0-9]*,\"action\":"
            "\"prune\"' journal.jsonl | grep -o '[0-9]*' | head -3); do "
            "test -z \"$(ls trials/c$(printf %%04d $c)-s*/*.ckpt 2>/dev/null)\" "
            "|| exit 1; done",
            dir),
        0);
}
END_TEST

START_TEST(test_hyperband_runs_brackets)
{
    const char *dir = WORK "/hyperband";
    fresh_dir(dir);
    write_space(dir, "{\"type\": \"hyperband\", \"min\": 1, \"max\": 9, \"eta\": 3}", 13,
                "");
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 > log.txt "
            "2>&1",
            dir, BIN),
        0);
    /* brackets start at 1, 3 and 9 epochs (9, 3 and 1 configs a cycle of 13) */
    for (int budget = 1; budget <= 9; budget *= 3)
        ck_assert_int_eq(run("grep '\"event\":\"start\"' '%s/out/journal.jsonl' | "
                             "grep '\"resume_from\":null' | grep -q '\"budget\":%d'",
                             dir, budget),
                         0);
    ck_assert_int_eq(run("grep -q '\"action\":\"prune\"' '%s/out/journal.jsonl'", dir),
                     0);
}
END_TEST

/* --- pbt ------------------------------------------------------------------ */

static const char *PBT = "{\"type\": \"pbt\", \"population\": 6, \"interval\": 2, "
                         "\"generations\": 4, \"quantile\": 0.33, \"seed\": 3}";

/* Every kind of param, so that explore is checked on each. */
static const char *PBT_PARAMS =
    "{\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1},"
    " \"k\": {\"type\": \"int\", \"low\": 1, \"high\": 8},"
    " \"lr\": {\"type\": \"loguniform\", \"low\": 0.0001, \"high\": 0.1},"
    " \"s\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1, \"step\": 0.25},"
    " \"c\": {\"type\": \"choice\", \"values\": [\"a\", \"b\", \"c\", \"d\"]},"
    " \"fixed\": 7}";

static void write_pbt_space(const char *dir, const char *extra)
{
    write_space_of(dir, PBT, 6, extra, PBT_PARAMS);
    /* The population is ranked on each member's current value. */
    char path[512];
    snprintf(path, sizeof path, "%s/space.json", dir);
    ck_assert_int_eq(
        run("sed -i 's/^ \"seeds\"/ \"objective\": {\"metric\": \"val_accuracy\", "
            "\"mode\": \"max\", \"score\": \"last\"},\\n \"seeds\"/' '%s'",
            path),
        0);
}

START_TEST(test_pbt_is_the_same_at_any_parallelism)
{
    const char *dir = WORK "/pbt-parallel";
    fresh_dir(dir);
    write_pbt_space(dir, ", \"--jitter=20\"");
    char *results[2];
    char *decisions[2];
    for (int r = 0; r < 2; r++)
        run_at(dir, r * 3 + 1, &results[r], &decisions[r]);
    /* 6 members x 4 generations: 18 configs added by continue or exploit
     * (2 exploits a generation), 18 retired, 6 complete. */
    ck_assert_int_eq(count_in(decisions[0], "\"action\":\"exploit\""), 6);
    ck_assert_int_eq(count_in(decisions[0], "\"action\":\"continue\""), 12);
    ck_assert_int_eq(count_in(decisions[0], "\"action\":\"retire\""), 18);
    ck_assert_int_eq(count_in(decisions[0], "\"action\":\"complete\""), 6);
    assert_same_text("decisions", decisions[1], decisions[0]);
    assert_same_text("results", results[1], results[0]);
    for (int r = 0; r < 2; r++) {
        free(results[r]);
        free(decisions[r]);
    }
}
END_TEST

/* Whether `params` holds values of PBT_PARAMS: in bounds, on the grid. */
static void assert_in_space(const json_t *params)
{
    double x = json_real_value(json_object_get(params, "x"));
    ck_assert(json_is_real(json_object_get(params, "x")) && x >= 0.0 && x <= 1.0);
    const json_t *k = json_object_get(params, "k");
    ck_assert(json_is_integer(k) && json_integer_value(k) >= 1 &&
              json_integer_value(k) <= 8);
    double lr = json_real_value(json_object_get(params, "lr"));
    ck_assert(lr >= 0.0001 && lr <= 0.1);
    double step = json_real_value(json_object_get(params, "s")) / 0.25;
    ck_assert(step >= 0.0 && step <= 4.0 && step == (double)(int)step);
    const char *c = json_string_value(json_object_get(params, "c"));
    ck_assert(c && strlen(c) == 1 && c[0] >= 'a' && c[0] <= 'd');
    ck_assert_int_eq(json_integer_value(json_object_get(params, "fixed")), 7);
}

START_TEST(test_pbt_exploit_copies_the_right_checkpoint_and_explores_in_bounds)
{
    const char *dir = WORK "/pbt-exploit";
    fresh_dir(dir);
    write_pbt_space(dir, "");
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 > log.txt 2>&1", dir,
            BIN),
        0);
    char path[512];
    snprintf(path, sizeof path, "%s/out/journal.jsonl", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    int spawned = 0, exploits = 0;
    while (getline(&line, &cap, f) > 0) {
        if (!strstr(line, "\"event\":\"decide\""))
            continue;
        json_t *record = json_loads(line, 0, NULL);
        const char *action = json_string_value(json_object_get(record, "action"));
        json_int_t config = json_integer_value(json_object_get(record, "config"));
        if (strcmp(action, "exploit") == 0 || strcmp(action, "continue") == 0) {
            json_int_t source = json_integer_value(json_object_get(record, "source"));
            assert_in_space(json_object_get(record, "params"));
            /* Each seed went on from the same seed's checkpoint of the source,
             * and trained only its own generation's epochs. */
            for (int seed = 0; seed < 2; seed++) {
                ck_assert_int_eq(run("cd '%s/out/trials' && "
                                     "test \"$(cat c%04lld-s%d/lineage.log)\" = "
                                     "'from c%04lld-s%d' && "
                                     "test \"$(head -1 c%04lld-s%d/trained.log)\" = %lld",
                                     dir, (long long)config, seed, (long long)source,
                                     seed, (long long)config, seed,
                                     (long long)(config / 6) * 2 + 1),
                                 0);
            }
            spawned++;
            exploits += strcmp(action, "exploit") == 0;
            /* An exploit takes a member of the top third: a source other than
             * its own line. */
            if (strcmp(action, "exploit") == 0)
                ck_assert_int_ne(source % 6, config % 6);
        }
        if (strcmp(action, "retire") == 0) {
            /* Nothing copies a retired stage any more: its files went. */
            for (int seed = 0; seed < 2; seed++)
                ck_assert_int_ne(run("test -e '%s/out/trials/c%04lld-s%d/last.ckpt'", dir,
                                     (long long)config, seed),
                                 0);
        }
        json_decref(record);
    }
    free(line);
    fclose(f);
    ck_assert_int_eq(spawned, 18);
    ck_assert_int_eq(exploits, 6);
    /* The compute spent counts each generation's new epochs only, not the
     * ones a continued config got from its source's checkpoint. */
    assert_units_are_epochs_trained(dir);
    /* The report names the winner's schedule, generation by generation. */
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' report out | grep -c '^  generation [0-3]: "
            "config' | grep -qx 4",
            dir, BIN),
        0);
}
END_TEST

START_TEST(test_pbt_kill_and_resume_makes_the_same_decisions)
{
    const char *dir = WORK "/pbt-kill";
    fresh_dir(dir);
    write_pbt_space(dir, ", \"--jitter=30\"");
    const int thresholds[2] = {4, 20};
    check_kill_and_resume(dir, thresholds);
}
END_TEST

START_TEST(test_pbt_schedule_replays_the_winner_from_scratch)
{
    const char *dir = WORK "/pbt-replay";
    fresh_dir(dir);
    write_pbt_space(dir, "");
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run space.json --out out -j 2 > log.txt 2>&1", dir,
            BIN),
        0);
    char path[512];
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    json_t *results = load_json(path);
    json_t *schedule = json_object_get(results, "pbt_schedule");
    json_t *replay = json_object_get(schedule, "replay");
    ck_assert_int_eq(json_array_size(replay), 4);
    double winner_mean =
        json_real_value(json_object_get(json_object_get(results, "best"), "mean"));
    /* The replay space: generation 0's params as constants, the schedule. */
    json_t *space = json_pack(
        "{s:s, s:[s, s], s:{s:s, s:s, s:s}, s:{s:s, s:i, s:i, s:O}, s:[i, i], s:O}",
        "name", "replay", "command", BIN "/fake_trainer", "budget", "objective", "metric",
        "val_accuracy", "mode", "max", "score", "last", "scheduler", "type", "pbt",
        "interval", 2, "generations", 4, "schedule", replay, "seeds", 0, 1, "params",
        json_array_get(replay, 0));
    snprintf(path, sizeof path, "%s/replay.json", dir);
    ck_assert_int_eq(json_dump_file(space, path, JSON_INDENT(1)), 0);
    json_decref(space);
    ck_assert_int_eq(
        run("cd '%s' && '%s/hpsearch' run replay.json --out again > again.log 2>&1", dir,
            BIN),
        0);
    snprintf(path, sizeof path, "%s/again/results.json", dir);
    json_t *again = load_json(path);
    /* The replayed member went through the same params, generation by
     * generation, and (this trainer's value depends on x and the epoch)
     * ends with the winner's value. */
    json_t *generations =
        json_object_get(json_object_get(again, "pbt_schedule"), "replay");
    ck_assert(json_equal(generations, replay));
    ck_assert_double_eq_tol(
        json_real_value(json_object_get(json_object_get(again, "best"), "mean")),
        winner_mean, 1e-12);
    json_decref(again);
    json_decref(results);
}
END_TEST

/* --- tpe ------------------------------------------------------------------ */

static const char *TPE_PARAMS =
    "{\"x\": {\"type\": \"uniform\", \"low\": 0, \"high\": 1},"
    " \"k\": {\"type\": \"int\", \"low\": 1, \"high\": 8},"
    " \"c\": {\"type\": \"choice\", \"values\": [\"a\", \"b\", \"c\"]}}";

/* TPE proposes config k from the results of configs before k - lag, waiting
 * for them: the configs it proposes, and so the results, do not depend on
 * the order trials finish. */
START_TEST(test_tpe_proposes_the_same_configs_at_any_parallelism)
{
    const char *dir = WORK "/tpe-parallel";
    fresh_dir(dir);
    write_space_with(dir,
                     "{\"type\": \"tpe\", \"trials\": 16, \"seed\": 3, \"startup\": 4, "
                     "\"lag\": 1}",
                     "{\"type\": \"none\"}", ", \"--jitter=20\"", TPE_PARAMS);
    char *results[2];
    char *decisions[2];
    for (int r = 0; r < 2; r++)
        run_at(dir, r * 3 + 1, &results[r], &decisions[r]);
    assert_same_text("results", results[1], results[0]);
    /* TPE moved towards x = 0.3, where this trainer is best: the last
     * configs are closer to it than the random start. */
    ck_assert_int_eq(run("cd '%s/j1' && grep '\"event\":\"start\"' journal.jsonl | "
                         "grep '\"seed\":0' | grep -o '\"x\":[0-9.e-]*' | cut -d: -f2 | "
                         "awk 'NR<=4 {a += ($1-0.3)^2} NR>12 {b += ($1-0.3)^2} "
                         "END {exit !(b < a)}'",
                         dir),
                     0);
    for (int r = 0; r < 2; r++) {
        free(results[r]);
        free(decisions[r]);
    }
}
END_TEST

START_TEST(test_tpe_with_asha_kill_and_resume_makes_the_same_decisions)
{
    const char *dir = WORK "/tpe-kill";
    fresh_dir(dir);
    write_space_with(dir,
                     "{\"type\": \"tpe\", \"trials\": 14, \"seed\": 3, \"startup\": 4, "
                     "\"lag\": 2}",
                     ASHA, ", \"--jitter=30\"", TPE_PARAMS);
    const int thresholds[2] = {3, 10};
    check_kill_and_resume(dir, thresholds);
    /* ... and pruned configs informed the model: TPE asked configs after the
     * startup ones while most were pruned, so the sweep did finish. */
    ck_assert_int_eq(run("grep -q '\"action\":\"prune\"' '%s/whole/journal.jsonl'", dir),
                     0);
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *suite = suite_create("schedule");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_asha_is_the_same_at_any_parallelism);
    tcase_add_test(tc, test_promotion_continues_and_never_trains_an_epoch_twice);
    tcase_add_test(tc,
                   test_a_trainer_without_checkpoints_is_rerun_and_the_journal_says_so);
    tcase_add_test(tc, test_kill_and_resume_makes_the_same_decisions);
    tcase_add_loop_test(tc, test_resume_never_skips_epochs_a_checkpoint_ran_ahead_of, 0, 3);
    tcase_add_test(tc, test_median_stops_bad_configs_the_same_way_at_any_parallelism);
    tcase_add_test(tc, test_pruned_trials_show_in_every_output);
    tcase_add_test(tc, test_hyperband_runs_brackets);
    tcase_add_test(tc, test_pbt_is_the_same_at_any_parallelism);
    tcase_add_test(tc,
                   test_pbt_exploit_copies_the_right_checkpoint_and_explores_in_bounds);
    tcase_add_test(tc, test_pbt_kill_and_resume_makes_the_same_decisions);
    tcase_add_test(tc, test_pbt_schedule_replays_the_winner_from_scratch);
    tcase_add_test(tc, test_tpe_proposes_the_same_configs_at_any_parallelism);
    tcase_add_test(tc, test_tpe_with_asha_kill_and_resume_makes_the_same_decisions);
    suite_add_tcase(suite, tc);
    return suite;
}

int main(void)
{
    return hp_check_run(schedule_suite());
}
