/*
 * line_clock: timestamps a stream by counting its lines, so that a benchmark
 * can see whether the second thousand trials ran as fast as the first.
 *
 *   COMMAND | line_clock EVERY PREFIX
 *
 * Reads stdin in blocks (cheap: no per-byte system calls, so it does not slow
 * down the program it watches), counts the lines that begin with PREFIX, and
 * prints "COUNT SECONDS" each time the count reaches a multiple of EVERY, and
 * "eof SECONDS" at the end of input; SECONDS are since line_clock started.
 * Timestamps are as good as the writer's flushing: hpsearch writes one line
 * per finished trial when its output is not a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long every = argc == 3 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 3 || *end || every < 1) {
        fprintf(stderr, "usage: line_clock EVERY PREFIX\n");
        return 2;
    }
    const char *prefix = argv[2];
    size_t prefix_len = strlen(prefix);
    double t0 = now_s();
    char buf[65536];
    size_t column = 0; /* position in the current line */
    int matching = 1;  /* the current line still agrees with the prefix */
    long count = 0;
    ssize_t got;
    while ((got = read(STDIN_FILENO, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            char c = buf[i];
            if (c == '\n') {
                column = 0;
                matching = 1;
                continue;
            }
            if (matching && column < prefix_len && c != prefix[column])
                matching = 0;
            if (matching && ++column == prefix_len && ++count % every == 0)
                printf("%ld %.6f\n", count, now_s() - t0);
        }
    }
    printf("eof %.6f\n", now_s() - t0);
    return got < 0 ? 1 : 0;
}
