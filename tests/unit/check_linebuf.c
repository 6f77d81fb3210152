/*
 * Line framing of a child's stdout: partial reads, many lines per read,
 * garbage, and a line far over the cap.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "linebuf.h"
#include "metric_line.h"

struct collected {
    char lines[16][64];
    int truncated[16];
    size_t lengths[16];
    int count;
};

static void collect(void *ctx, const char *line, size_t len, int truncated)
{
    struct collected *c = ctx;
    ck_assert_int_lt(c->count, 16);
    size_t n = len < 63 ? len : 63;
    memcpy(c->lines[c->count], line, n);
    c->lines[c->count][n] = '\0';
    c->lengths[c->count] = len;
    c->truncated[c->count] = truncated;
    c->count++;
}

START_TEST(test_linebuf_reassembles_lines_split_across_reads)
{
    const char *stream = "{\"epoch\": 1, \"val_accuracy\": 0.5}\nlog text\n{\"epoch\": 2}\n";
    /* Every split point, one byte at a time included. */
    for (size_t chunk = 1; chunk <= strlen(stream); chunk++) {
        struct linebuf lb;
        struct collected c = {0};
        ck_assert_int_eq(linebuf_init(&lb, 1024), 0);
        for (size_t off = 0; off < strlen(stream); off += chunk) {
            size_t n = strlen(stream) - off < chunk ? strlen(stream) - off : chunk;
            linebuf_feed(&lb, stream + off, n, collect, &c);
        }
        linebuf_finish(&lb, collect, &c);
        ck_assert_int_eq(c.count, 3);
        ck_assert_str_eq(c.lines[0], "{\"epoch\": 1, \"val_accuracy\": 0.5}");
        ck_assert_str_eq(c.lines[1], "log text");
        ck_assert_str_eq(c.lines[2], "{\"epoch\": 2}");
        linebuf_free(&lb);
    }
}
END_TEST

START_TEST(test_linebuf_delivers_a_final_line_without_newline)
{
    struct linebuf lb;
    struct collected c = {0};
    linebuf_init(&lb, 64);
    linebuf_feed(&lb, "a\nlast", 6, collect, &c);
    ck_assert_int_eq(c.count, 1);
    linebuf_finish(&lb, collect, &c);
    ck_assert_int_eq(c.count, 2);
    ck_assert_str_eq(c.lines[1], "last");
    linebuf_free(&lb);
}
END_TEST

START_TEST(test_linebuf_caps_a_very_long_line_and_resumes_after_it)
{
    struct linebuf lb;
    struct collected c = {0};
    linebuf_init(&lb, 100);
    char block[1000];
    memset(block, 'x', sizeof block);
    linebuf_feed(&lb, "ok\n", 3, collect, &c);
    for (int i = 0; i < 10000; i++) /* 10 MB without a newline */
        linebuf_feed(&lb, block, sizeof block, collect, &c);
    linebuf_feed(&lb, "tail\n{\"epoch\": 9}\n", 18, collect, &c);
    linebuf_finish(&lb, collect, &c);
    ck_assert_int_eq(c.count, 3);
    ck_assert_str_eq(c.lines[0], "ok");
    ck_assert_int_eq(c.truncated[1], 1);
    ck_assert_uint_eq(c.lengths[1], 100);
    ck_assert_str_eq(c.lines[2], "{\"epoch\": 9}");
    ck_assert_int_eq(c.truncated[2], 0);
    ck_assert_uint_eq(lb.truncated_lines, 1);
    linebuf_free(&lb);
}
END_TEST

START_TEST(test_linebuf_lines_that_are_not_objects_are_log_text)
{
    const char *lines[] = {"Epoch 1/10", "\r[#####     ] 50%", "{\"epoch\": 1",
                           "42", "{\"epoch\": 3, \"val_accuracy\": 0.9}"};
    int objects = 0;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        json_t *obj = hp_metric_line_parse(lines[i], strlen(lines[i]));
        objects += obj != NULL;
        json_decref(obj);
    }
    ck_assert_int_eq(objects, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("linebuf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_linebuf_reassembles_lines_split_across_reads);
    tcase_add_test(tc, test_linebuf_delivers_a_final_line_without_newline);
    tcase_add_test(tc, test_linebuf_caps_a_very_long_line_and_resumes_after_it);
    tcase_add_test(tc, test_linebuf_lines_that_are_not_objects_are_log_text);
    suite_add_tcase(s, tc);
    return hp_check_run(s);
}
