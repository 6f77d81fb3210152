/*
 * The journal's line format: a sealed line carries the crc32 of its bytes,
 * every single-byte change is caught, journal_append writes sealed lines, and
 * the reader tells a torn last line (ignored) from damage (named by line),
 * reads version-1 journals unchecked, and says when a journal is empty or
 * missing.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "journal.h"
#include "journal_line.h"

static char dir[256];
static char path[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_journal.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

/* A new sealed line for `record`, newline included. */
static char *seal(const char *record)
{
    size_t len = 0;
    char *line = journal_line_seal(record, strlen(record), &len);
    ck_assert_ptr_nonnull(line);
    ck_assert_uint_eq(len, strlen(line));
    return line;
}

static void write_journal(const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Reads the journal to its end. Returns the last result of
 * journal_line_next (0 at a clean end) and the number of lines read. */
static int read_all(long *lines, long long *intact, struct hp_error *err)
{
    struct journal_line_reader reader;
    hp_error_init(err);
    int rc = journal_line_open(&reader, dir, err);
    *lines = 0;
    if (rc < 0)
        return rc;
    while ((rc = journal_line_next(&reader, err)) == 1)
        (*lines)++;
    if (intact)
        *intact = reader.intact;
    journal_line_close(&reader);
    return rc;
}

START_TEST(test_journal_line_seal_appends_the_crc32_of_the_bytes_before_it)
{
    /* 38581068 is zlib.crc32(b'{"event":"x","a":1'), computed apart. */
    char *line = seal("{\"event\":\"x\",\"a\":1}");
    ck_assert_str_eq(line, "{\"event\":\"x\",\"a\":1,\"crc\":\"38581068\"}\n");
    ck_assert_int_eq(journal_line_verify(line, strlen(line)), JOURNAL_LINE_SEALED);
    /* Without its newline too: the check never depends on it. */
    ck_assert_int_eq(journal_line_verify(line, strlen(line) - 1), JOURNAL_LINE_SEALED);
    free(line);
}
END_TEST

START_TEST(test_journal_line_seal_refuses_what_is_not_a_non_empty_object)
{
    const char *bad[] = {"", "{}", "[1,2]", "{\"a\":1", "\"text\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = 99;
        ck_assert_ptr_null(journal_line_seal(bad[i], strlen(bad[i]), &len));
    }
}
END_TEST

START_TEST(test_journal_line_verify_catches_every_single_byte_change)
{
    char *line = seal("{\"event\":\"end\",\"trial\":\"c0001-s0\",\"status\":\"ok\","
                      "\"score\":0.96,\"score_epoch\":3,\"checkpoint\":null}");
    size_t len = strlen(line);
    const unsigned char flips[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x5a};
    /* Every byte but the newline, which only tells a whole line from a torn one. */
    for (size_t at = 0; at + 1 < len; at++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            char saved = line[at];
            line[at] = (char)(line[at] ^ flips[f]);
            ck_assert_msg(journal_line_verify(line, len) != JOURNAL_LINE_SEALED,
                          "byte %zu xor 0x%02x passed: %s", at, flips[f], line);
            line[at] = saved;
        }
    }
    ck_assert_int_eq(journal_line_verify(line, len), JOURNAL_LINE_SEALED);
    free(line);
}
END_TEST

START_TEST(test_journal_line_verify_tells_unsealed_from_mismatched)
{
    const char *plain = "{\"event\":\"end\",\"score\":0.96}\n";
    ck_assert_int_eq(journal_line_verify(plain, strlen(plain)), JOURNAL_LINE_UNSEALED);
    ck_assert_int_eq(journal_line_verify("", 0), JOURNAL_LINE_UNSEALED);
    ck_assert_int_eq(journal_line_verify("\n", 1), JOURNAL_LINE_UNSEALED);
    /* The writer writes lowercase hex: uppercase is damage. */
    char *line = seal("{\"event\":\"x\",\"a\":1}");
    char *upper = strstr(line, "38581068");
    ck_assert_ptr_nonnull(upper);
    memcpy(upper, "3858106A", 8);
    ck_assert_int_eq(journal_line_verify(line, strlen(line)), JOURNAL_LINE_MISMATCH);
    free(line);
    /* A crc member that is not the line's last bytes is not its seal. */
    const char *inner = "{\"event\":\"report\",\"line\":{\"crc\":\"00000000\"}}\n";
    ck_assert_int_eq(journal_line_verify(inner, strlen(inner)), JOURNAL_LINE_UNSEALED);
}
END_TEST

START_TEST(test_journal_line_a_crc_key_in_a_metric_line_is_only_data)
{
    /* A trainer may report its own "crc": the seal is still the last member. */
    char *line =
        seal("{\"event\":\"report\",\"line\":{\"epoch\":1,\"crc\":\"deadbeef\"}}");
    ck_assert_int_eq(journal_line_verify(line, strlen(line)), JOURNAL_LINE_SEALED);
    char *inner = strstr(line, "deadbeef");
    inner[0] = 'f';
    ck_assert_int_eq(journal_line_verify(line, strlen(line)), JOURNAL_LINE_MISMATCH);
    free(line);
}
END_TEST

START_TEST(test_journal_append_writes_sealed_lines)
{
    struct journal journal;
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(journal_open(&journal, dir, -1, NULL, NULL, NULL, &err), 0);
    json_t *record =
        json_pack("{s:s, s:i, s:s}", "event", "sweep_start", "version", 2, "name", "t");
    ck_assert_int_eq(journal_append(&journal, record, &err), 0);
    json_decref(record);
    record = json_pack("{s:s, s:f}", "event", "end", "score", 0.96);
    ck_assert_int_eq(journal_append(&journal, record, &err), 0);
    json_decref(record);
    journal_close(&journal);

    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char text[256];
    ck_assert_ptr_nonnull(fgets(text, sizeof text, f));
    /* The crc computed apart, as above. */
    ck_assert_str_eq(text, "{\"event\":\"sweep_start\",\"version\":2,\"name\":\"t\","
                           "\"crc\":\"7a75ed4c\"}\n");
    ck_assert_ptr_nonnull(fgets(text, sizeof text, f));
    ck_assert_int_eq(journal_line_verify(text, strlen(text)), JOURNAL_LINE_SEALED);
    ck_assert_ptr_nonnull(strstr(text, "\"score\":0.96,\"crc\":\""));
    fclose(f);

    long lines;
    long long intact;
    ck_assert_int_eq(read_all(&lines, &intact, &err), 0);
    ck_assert_int_eq(lines, 2);
}
END_TEST

START_TEST(test_journal_line_reader_ignores_a_torn_last_line)
{
    char *a = seal("{\"event\":\"sweep_start\",\"version\":2}");
    char *b = seal("{\"event\":\"start\",\"trial\":\"c0000-s0\"}");
    char text[512];
    snprintf(text, sizeof text, "%s%s{\"event\":\"end\",\"trial\":\"c00", a, b);
    write_journal(text);
    long lines;
    long long intact;
    struct hp_error err;
    ck_assert_int_eq(read_all(&lines, &intact, &err), 0);
    ck_assert_int_eq(lines, 2);
    ck_assert_int_eq(intact, (long long)(strlen(a) + strlen(b)));
    free(a);
    free(b);
}
END_TEST

START_TEST(test_journal_line_reader_names_a_damaged_middle_line)
{
    char *a = seal("{\"event\":\"sweep_start\",\"version\":2}");
    char *b = seal("{\"event\":\"end\",\"score\":0.96}");
    char *c = seal("{\"event\":\"sweep_end\"}");
    memcpy(strstr(b, "score"), "scorX", 5);
    char text[512];
    snprintf(text, sizeof text, "%s%s%s", a, b, c);
    write_journal(text);
    long lines;
    struct hp_error err;
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_int_eq(lines, 1);
    char want[700];
    snprintf(want, sizeof want,
             "%s:2: damaged record (checksum mismatch); the 1 line before it is intact",
             path);
    ck_assert_msg(strstr(err.message, want), "got: %s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "head -n 1"));
    ck_assert_ptr_nonnull(strstr(err.message, "hpsearch resume"));
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(test_journal_line_reader_a_whole_last_line_that_fails_is_damage)
{
    char *a = seal("{\"event\":\"sweep_start\",\"version\":2}");
    char *b = seal("{\"event\":\"end\",\"score\":0.96}");
    *strstr(b, "0.96") = '1'; /* a digit of a number */
    char text[512];
    snprintf(text, sizeof text, "%s%s", a, b);
    write_journal(text);
    long lines;
    struct hp_error err;
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_ptr_nonnull(strstr(err.message, "journal.jsonl:2: damaged record"));
    free(a);
    free(b);
}
END_TEST

START_TEST(test_journal_line_reader_wants_a_seal_on_every_line_after_one)
{
    char *a = seal("{\"event\":\"sweep_start\",\"version\":2}");
    char text[512];
    snprintf(text, sizeof text, "%s{\"event\":\"end\",\"score\":0.96}\n", a);
    write_journal(text);
    long lines;
    struct hp_error err;
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_ptr_nonnull(strstr(err.message, ":2: damaged record (no checksum"));
    free(a);
}
END_TEST

START_TEST(test_journal_line_reader_a_first_line_without_seal_must_say_version_1)
{
    /* A version-2 sweep_start whose seal was damaged must not switch the
     * checks off. */
    write_journal("{\"event\":\"sweep_start\",\"version\":2,\"crX\":\"00000000\"}\n");
    long lines;
    struct hp_error err;
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_ptr_nonnull(strstr(err.message, ":1: damaged record"));
    ck_assert_ptr_nonnull(strstr(err.message, "no record before it is intact"));
}
END_TEST

START_TEST(test_journal_line_reader_reads_version_1_unchecked_then_checks_resumed_lines)
{
    /* Written before checksums: nothing to check, so read as it always was. */
    char *resumed = seal("{\"event\":\"resume\",\"jobs\":1}");
    char text[512];
    snprintf(text, sizeof text,
             "{\"event\":\"sweep_start\",\"version\":1}\n"
             "{\"event\":\"end\",\"scorX\":0.96}\n"
             "%s",
             resumed);
    write_journal(text);
    long lines;
    struct hp_error err;
    ck_assert_int_eq(read_all(&lines, NULL, &err), 0);
    ck_assert_int_eq(lines, 3);
    /* A resume by a sealing hpsearch: from its first line on, all are sealed. */
    FILE *f = fopen(path, "a");
    fputs("{\"event\":\"end\",\"score\":0.96}\n", f);
    fclose(f);
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_ptr_nonnull(strstr(err.message, ":4: damaged record"));
    free(resumed);
}
END_TEST

START_TEST(test_journal_line_reader_says_a_journal_is_empty_or_missing)
{
    long lines;
    struct hp_error err;
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_msg(strstr(err.message, "no journal.jsonl in "), "got: %s", err.message);
    write_journal("");
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_msg(
        strstr(err.message, "journal.jsonl is empty: the sweep recorded nothing"),
        "got: %s", err.message);
    write_journal("{\"event\":\"sweep_st");
    ck_assert_int_eq(read_all(&lines, NULL, &err), JOURNAL_LINE_UNREADABLE);
    ck_assert_msg(strstr(err.message, "is empty"), "got: %s", err.message);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_journal_line_seal_appends_the_crc32_of_the_bytes_before_it);
    tcase_add_test(tc, test_journal_line_seal_refuses_what_is_not_a_non_empty_object);
    tcase_add_test(tc, test_journal_line_verify_catches_every_single_byte_change);
    tcase_add_test(tc, test_journal_line_verify_tells_unsealed_from_mismatched);
    tcase_add_test(tc, test_journal_line_a_crc_key_in_a_metric_line_is_only_data);
    tcase_add_test(tc, test_journal_append_writes_sealed_lines);
    tcase_add_test(tc, test_journal_line_reader_ignores_a_torn_last_line);
    tcase_add_test(tc, test_journal_line_reader_names_a_damaged_middle_line);
    tcase_add_test(tc, test_journal_line_reader_a_whole_last_line_that_fails_is_damage);
    tcase_add_test(tc, test_journal_line_reader_wants_a_seal_on_every_line_after_one);
    tcase_add_test(tc,
                   test_journal_line_reader_a_first_line_without_seal_must_say_version_1);
    tcase_add_test(
        tc, test_journal_line_reader_reads_version_1_unchecked_then_checks_resumed_lines);
    tcase_add_test(tc, test_journal_line_reader_says_a_journal_is_empty_or_missing);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
