/*
 * Capped trial logs. See triallog.h.
 */
#include "triallog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "path.h"

/* Writes everything or gives up quietly: a log must never stop a sweep. */
static int write_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One line, text and newline, in one system call. */
static int write_line(int fd, const char *text, size_t len)
{
    struct iovec parts[2] = {{(void *)text, len}, {"\n", 1}};
    ssize_t w;
    do
        w = writev(fd, parts, 2);
    while (w < 0 && errno == EINTR);
    if (w == (ssize_t)(len + 1))
        return 0;
    if (w < 0 || (size_t)w > len)
        return -1;
    return write_all(fd, text + w, len - (size_t)w) < 0 ? -1 : write_all(fd, "\n", 1);
}

/* "<log path>.tail<which>" into buf[size]. Returns 0, or -1 (buf emptied) when
 * it does not fit or the log has no path. */
static int segment_path(const struct triallog *log, int which, char *buf, size_t size)
{
    if (!log->path[0]) {
        buf[0] = '\0';
        return -1;
    }
    return hp_path_format(buf, size, NULL, "%s.tail%d", log->path, which);
}

/* Appends the file at `path` to the log and removes it. Returns its size. */
static uint64_t append_and_remove(struct triallog *log, const char *path)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return 0;
    uint64_t total = 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write_all(log->fd, buf, (size_t)n) < 0)
            break;
        total += (uint64_t)n;
    }
    close(in);
    unlink(path);
    log->head_size += total;
    return total;
}

/* Segments left by an attempt that was killed before closing its log: their
 * lines are the end of that attempt's output, so they go in first. */
static void recover_segments(struct triallog *log)
{
    char paths[2][HP_PATH_MAX];
    struct stat st[2];
    int present[2];
    for (int i = 0; i < 2; i++)
        present[i] = segment_path(log, i, paths[i], sizeof paths[i]) == 0 &&
                     stat(paths[i], &st[i]) == 0;
    if (!present[0] && !present[1])
        return;
    static const char marker[] =
        "---- hpsearch: the last lines of an attempt that ended without closing its log ----\n";
    if (write_all(log->fd, marker, sizeof marker - 1) == 0)
        log->head_size += sizeof marker - 1;
    /* Older first; the segment written last has the later modification time. */
    int first = present[0] && present[1] &&
                (st[1].st_mtim.tv_sec < st[0].st_mtim.tv_sec ||
                 (st[1].st_mtim.tv_sec == st[0].st_mtim.tv_sec &&
                  st[1].st_mtim.tv_nsec < st[0].st_mtim.tv_nsec));
    for (int k = 0; k < 2; k++) {
        int i = first ^ k;
        if (present[i])
            append_and_remove(log, paths[i]);
    }
}

int triallog_open(struct triallog *log, const char *dir, const char *name, uint64_t cap,
                  const char *note)
{
    memset(log, 0, sizeof *log);
    log->fd = log->tail_fd[0] = log->tail_fd[1] = -1;
    log->cap = cap;
    char probe[HP_PATH_MAX];
    if (hp_path_join(log->path, sizeof log->path, NULL, dir, name, NULL) < 0 ||
        segment_path(log, 1, probe, sizeof probe) < 0)
        return -1;
    log->fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log->fd < 0)
        return -1;
    struct stat st;
    if (fstat(log->fd, &st) == 0)
        log->head_size = (uint64_t)st.st_size;
    recover_segments(log);
    if (note && log->head_size > 0) {
        char line[512];
        int len = snprintf(line, sizeof line, "---- hpsearch: %s ----", note);
        if (len > 0)
            triallog_line(log, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
    }
    return 0;
}

/* Makes `which` the empty current segment, cutting what it held. */
static void switch_segment(struct triallog *log, int which)
{
    log->tail_current = which;
    if (log->tail_size[which] == 0)
        return;
    log->cut_bytes += log->tail_size[which];
    log->tail_size[which] = 0;
    if (log->tail_fd[which] >= 0 && ftruncate(log->tail_fd[which], 0) < 0) {
        close(log->tail_fd[which]);
        log->tail_fd[which] = -1;
    }
}

static void tail_line(struct triallog *log, const char *text, size_t len)
{
    uint64_t need = (uint64_t)len + 1;
    uint64_t segment_cap = log->cap / 4 ? log->cap / 4 : 1;
    int cur = log->tail_current;
    if (log->tail_size[cur] > 0 && log->tail_size[cur] + need > segment_cap)
        switch_segment(log, cur ^= 1);
    log->cut_lines += 1; /* counted as cut until it survives to the close */
    if (log->tail_fd[cur] < 0) {
        char path[HP_PATH_MAX];
        if (segment_path(log, cur, path, sizeof path) < 0)
            return;
        log->tail_fd[cur] =
            open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (log->tail_fd[cur] < 0)
            return;
    }
    if (write_line(log->tail_fd[cur], text, len) == 0)
        log->tail_size[cur] += need;
}

void triallog_line(struct triallog *log, const char *text, size_t len)
{
    if (log->fd < 0)
        return;
    log->written += (uint64_t)len + 1;
    if (!log->in_tail && (log->cap == 0 || log->head_size + len + 1 <= log->cap / 2)) {
        if (write_line(log->fd, text, len) == 0)
            log->head_size += (uint64_t)len + 1;
        return;
    }
    log->in_tail = 1;
    tail_line(log, text, len);
}

/* Counts the newlines of a segment: the lines that survived. */
static uint64_t count_lines(int fd, uint64_t size)
{
    uint64_t lines = 0;
    char buf[65536];
    for (uint64_t off = 0; off < size;) {
        ssize_t n = pread(fd, buf, sizeof buf, (off_t)off);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
        off += (uint64_t)n;
    }
    return lines;
}

void triallog_close(struct triallog *log)
{
    if (log->fd < 0)
        return;
    if (log->in_tail) {
        int older = log->tail_current ^ 1;
        for (int i = 0; i < 2; i++)
            if (log->tail_fd[i] >= 0)
                log->cut_lines -= count_lines(log->tail_fd[i], log->tail_size[i]);
        if (log->cut_bytes > 0) {
            char marker[400];
            int n = snprintf(marker, sizeof marker,
                             "---- hpsearch: %" PRIu64 " bytes (%" PRIu64
                             " lines) cut here; the log keeps the first and the last "
                             "part of %" PRIu64 " bytes (log_limit_mb) ----\n",
                             log->cut_bytes, log->cut_lines, log->written);
            if (n > 0 && (size_t)n < sizeof marker)
                write_all(log->fd, marker, (size_t)n);
        }
        for (int k = 0; k < 2; k++) {
            int i = k == 0 ? older : log->tail_current;
            if (log->tail_fd[i] < 0)
                continue;
            close(log->tail_fd[i]);
            log->tail_fd[i] = -1;
            char path[HP_PATH_MAX];
            if (segment_path(log, i, path, sizeof path) == 0)
                append_and_remove(log, path);
        }
    }
    struct stat st;
    /* An empty log says nothing: a 100,000-trial sweep need not keep 100,000. */
    if (fstat(log->fd, &st) == 0 && st.st_size == 0)
        unlink(log->path);
    close(log->fd);
    log->fd = -1;
}
