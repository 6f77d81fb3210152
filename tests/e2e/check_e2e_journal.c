/*
 * A damaged journal end to end: a real sweep of the fake trainer, then one
 * byte of its journal changed (a key, a digit), and every command that
 * replays it (status, report, best, resume) must refuse with the line and
 * what to do, exit 6 and change nothing; following that advice resumes the
 * sweep. A torn last line is still a crash, not damage. An empty or missing
 * journal says so, and a version-1 journal (no checksums) still replays.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "e2e_helpers.h"

#define BIN HP_BINARY_DIR "/bin"
#define WORK HP_BINARY_DIR "/e2e-work/journal"

/* Replays the journal; what each test expects of them. */
static const char *const REPLAYING[] = {"status", "report", "best", "resume"};

/* Runs a fresh sweep of 6 quick trials in WORK/<name>/out. */
static void sweep(const char *name)
{
    ck_assert_int_eq(run("rm -rf '%s/%s' && mkdir -p '%s/%s'", WORK, name, WORK, name),
                     0);
    char space[1024];
    snprintf(
        space, sizeof space,
        "{\"name\": \"e2e-journal\", \"command\": [\"%s/fake_trainer\", \"ok\"],\n"
        " \"strategy\": {\"type\": \"grid\"}, \"seeds\": 2, \"parallel\": 1,\n"
        " \"params\": {\"x\": {\"type\": \"choice\", \"values\": [0.1, 0.3, 0.5]}}}\n",
        BIN);
    char path[512];
    snprintf(path, sizeof path, "%s/%s/space.json", WORK, name);
    write_text(path, space);
    ck_assert_int_eq(
        run("cd '%s/%s' && '%s/hpsearch' run space.json --out out > run.txt 2>&1", WORK,
            name, BIN),
        0);
}

/* Returns the file as a new NUL-terminated string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, out);
    fclose(out);
    fclose(f);
    return text;
}

/* Finds the nth (from 1) end record of WORK/<name>/out/journal.jsonl and
 * points *at to its "score" key. Returns the journal's text (to change in
 * place and write back) and the record's line number in *line. */
static char *find_end_record(const char *name, int nth, char **at, int *line)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/out/journal.jsonl", WORK, name);
    char *text = slurp(path);
    int number = 0;
    int ends = 0;
    for (char *p = text; *p; p = strchr(p, '\n') + 1) {
        number++;
        if (strncmp(p, "{\"event\":\"end\"", 14) == 0 && ++ends == nth) {
            *at = strstr(p, "\"score\":");
            ck_assert_ptr_nonnull(*at);
            ck_assert(*at < strchr(p, '\n'));
            *line = number;
            return text;
        }
    }
    ck_abort_msg("the journal has fewer than %d end records", nth);
    return NULL;
}

static void write_journal(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/out/journal.jsonl", WORK, name);
    write_text(path, text);
}

/* Runs `hpsearch COMMAND out` in WORK/<name>; returns its exit status, its
 * stderr in <command>.err. */
static int hpsearch(const char *name, const char *command)
{
    return run("cd '%s/%s' && '%s/hpsearch' %s out > %s.out 2> %s.err", WORK, name, BIN,
               command, command, command);
}

/* Asserts that every replaying command refuses the journal damaged at
 * `line` with exit status 6 and the same precise message, and that none of
 * them changed a file. */
static void assert_refused_at(const char *name, int line)
{
    ck_assert_int_eq(run("cd '%s/%s' && ls -lR --full-time out > before.txt", WORK, name),
                     0);
    for (size_t i = 0; i < sizeof REPLAYING / sizeof REPLAYING[0]; i++) {
        const char *command = REPLAYING[i];
        ck_assert_msg(hpsearch(name, command) == 6, "%s did not exit 6", command);
        ck_assert_msg(
            run("grep -qF -- '%s/%s/out/journal.jsonl:%d: damaged record (checksum "
                "mismatch); the %d lines before it are intact' '%s/%s/%s.err'",
                WORK, name, line, line - 1, WORK, name, command) == 0,
            "%s: no file:line message", command);
        ck_assert_int_eq(run("grep -qF -- 'head -n %d' '%s/%s/%s.err' && "
                             "grep -qF -- 'hpsearch resume' '%s/%s/%s.err'",
                             line - 1, WORK, name, command, WORK, name, command),
                         0);
    }
    ck_assert_int_eq(
        run("cd '%s/%s' && ls -lR --full-time out | cmp -s - before.txt", WORK, name), 0);
}

/* The case: "score" -> "scorX" in an end record is still valid JSON,
 * and was read as a trial without a score, its config's mean NaN. */
START_TEST(test_a_changed_key_stops_every_command_and_the_advice_resumes)
{
    sweep("key");
    ck_assert_int_eq(
        run("cp '%s/key/out/results.json' '%s/key/results.before'", WORK, WORK), 0);
    char *at;
    int line;
    char *text = find_end_record("key", 2, &at, &line);
    memcpy(at, "\"scorX\"", 7);
    write_journal("key", text);
    free(text);
    assert_refused_at("key", line);
    ck_assert_int_eq(
        run("cmp -s '%s/key/out/results.json' '%s/key/results.before'", WORK, WORK), 0);

    /* What the message says to do: cut after the intact lines and resume. */
    ck_assert_int_eq(run("cd '%s/key/out' && head -n %d journal.jsonl > kept && "
                         "mv kept journal.jsonl",
                         WORK, line - 1),
                     0);
    ck_assert_int_eq(hpsearch("key", "resume"), 0);
    json_t *results = load_json(WORK "/key/out/results.json");
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_ok")), 6);
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_failed")), 0);
    json_decref(results);
    ck_assert_int_eq(hpsearch("key", "status"), 0);
}
END_TEST

/* A digit of a number: the record parses, and would have been read as a
 * different score. */
START_TEST(test_a_changed_digit_stops_every_command)
{
    sweep("digit");
    char *at;
    int line;
    char *text = find_end_record("digit", 3, &at, &line);
    char *digit = at + strlen("\"score\":");
    while (*digit < '1' || *digit > '9')
        digit++;
    *digit = *digit == '9' ? '8' : (char)(*digit + 1);
    write_journal("digit", text);
    free(text);
    assert_refused_at("digit", line);
}
END_TEST

/* A crash mid-write leaves a last line without its newline: never acted on,
 * ignored by every command, cut off by resume, which goes on. */
START_TEST(test_a_torn_last_line_is_still_ignored_and_resume_goes_on)
{
    sweep("torn");
    char *at;
    int line;
    char *text = find_end_record("torn", 4, &at, &line);
    /* An interrupted sweep: the journal up to the fourth end record... */
    *(strchr(at, '\n') + 1) = '\0';
    write_journal("torn", text);
    free(text);
    /* ...then half a start record. */
    ck_assert_int_eq(
        run("printf '%%s' '{\"event\":\"start\",\"trial\":\"c0002-s0\",\"con' "
            ">> '%s/torn/out/journal.jsonl'",
            WORK),
        0);
    ck_assert_int_eq(hpsearch("torn", "status"), 0);
    ck_assert_int_eq(run("grep -q 'trials: 4/6 done' '%s/torn/status.out'", WORK), 0);
    ck_assert_int_eq(hpsearch("torn", "report"), 0);
    ck_assert_int_eq(hpsearch("torn", "resume"), 0);
    json_t *results = load_json(WORK "/torn/out/results.json");
    ck_assert_int_eq(json_integer_value(json_object_get(results, "trials_ok")), 6);
    json_decref(results);
    /* The torn bytes are gone: the journal is whole lines again. */
    ck_assert_int_eq(run("test \"$(tail -c 1 '%s/torn/out/journal.jsonl' | od -An -tx1 | "
                         "tr -d ' ')\" = 0a",
                         WORK),
                     0);
    ck_assert_int_eq(run("! grep -q '\"con{' '%s/torn/out/journal.jsonl'", WORK), 0);
    ck_assert_int_eq(hpsearch("torn", "status"), 0);
}
END_TEST

/* A journal of 0 bytes (a crash before the first record) is not an edited
 * space.json. */
START_TEST(test_an_empty_journal_says_it_is_empty)
{
    sweep("empty");
    write_journal("empty", "");
    for (size_t i = 0; i < sizeof REPLAYING / sizeof REPLAYING[0]; i++) {
        const char *command = REPLAYING[i];
        ck_assert_msg(hpsearch("empty", command) == 6, "%s did not exit 6", command);
        ck_assert_int_eq(
            run("grep -qF -- '%s/empty/out/journal.jsonl is empty: the sweep "
                "recorded nothing' '%s/empty/%s.err'",
                WORK, WORK, command),
            0);
        ck_assert_int_eq(run("! grep -q 'edited' '%s/empty/%s.err'", WORK, command), 0);
    }
    ck_assert_int_eq(run("test ! -s '%s/empty/out/journal.jsonl'", WORK), 0);
}
END_TEST

START_TEST(test_a_missing_journal_says_it_is_missing)
{
    sweep("missing");
    ck_assert_int_eq(run("rm '%s/missing/out/journal.jsonl'", WORK), 0);
    for (size_t i = 0; i < sizeof REPLAYING / sizeof REPLAYING[0]; i++) {
        const char *command = REPLAYING[i];
        ck_assert_msg(hpsearch("missing", command) != 0, "%s exited 0", command);
        ck_assert_int_eq(run("grep -q 'not a sweep directory' '%s/missing/%s.err' && "
                             "grep -q 'no journal.jsonl' '%s/missing/%s.err' && "
                             "! grep -q 'edited' '%s/missing/%s.err'",
                             WORK, command, WORK, command, WORK, command),
                         0);
    }
    ck_assert_int_eq(run("test ! -e '%s/missing/out/journal.jsonl'", WORK), 0);
}
END_TEST

/* Journals written before checksums carry none, so they are read unchecked,
 * to the same results; a resume of one appends sealed lines. */
START_TEST(test_a_version_1_journal_still_replays)
{
    sweep("v1");
    ck_assert_int_eq(hpsearch("v1", "report"), 0);
    ck_assert_int_eq(
        run("cd '%s/v1' && mv report.out report.v2 && "
            "sed -e 's/,\"crc\":\"[0-9a-f]*\"}$/}/' "
            "-e 's/\"version\":2,/\"version\":1,/' out/journal.jsonl > v1 && "
            "! grep -q '\"crc\"' v1 && grep -q '\"version\":1,' v1 && "
            "mv v1 out/journal.jsonl",
            WORK),
        0);
    ck_assert_int_eq(hpsearch("v1", "report"), 0);
    ck_assert_int_eq(run("cmp -s '%s/v1/report.out' '%s/v1/report.v2'", WORK, WORK), 0);
    ck_assert_int_eq(hpsearch("v1", "status"), 0);
    ck_assert_int_eq(hpsearch("v1", "best"), 0);
    ck_assert_int_eq(hpsearch("v1", "resume"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_journal");
    TCase *tc = tcase_create("damage");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_changed_key_stops_every_command_and_the_advice_resumes);
    tcase_add_test(tc, test_a_changed_digit_stops_every_command);
    tcase_add_test(tc, test_a_torn_last_line_is_still_ignored_and_resume_goes_on);
    tcase_add_test(tc, test_an_empty_journal_says_it_is_empty);
    tcase_add_test(tc, test_a_missing_journal_says_it_is_missing);
    tcase_add_test(tc, test_a_version_1_journal_still_replays);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
