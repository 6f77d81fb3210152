/*
 * Journal appends. See journal.h.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int journal_open(struct journal *journal, const char *dir, long long keep_bytes,
                 struct hp_error *err)
{
    snprintf(journal->path, sizeof journal->path, "%s/journal.jsonl", dir);
    journal->fd = open(journal->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (journal->fd < 0)
        return hp_error_set(err, "", "%s: cannot open: %s", journal->path, strerror(errno));
    /* One writer per sweep: a second `hpsearch resume` on a running sweep
     * would interleave records. `status` reads the lock to tell who runs. */
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(journal->fd, F_SETLK, &lock) < 0) {
        struct flock holder = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        fcntl(journal->fd, F_GETLK, &holder);
        close(journal->fd);
        journal->fd = -1;
        return hp_error_set(err, "", "%s is in use by another hpsearch (pid %ld)", dir,
                            (long)holder.l_pid);
    }
    if (keep_bytes >= 0 && ftruncate(journal->fd, (off_t)keep_bytes) < 0)
        return hp_error_set(err, "", "%s: cannot cut the torn last line: %s", journal->path,
                            strerror(errno));
    return 0;
}

int journal_append(struct journal *journal, const json_t *record, struct hp_error *err)
{
    char *line = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!line)
        return hp_error_set(err, "", "%s: cannot encode a record", journal->path);
    size_t len = strlen(line);
    line[len] = '\n'; /* json_dumps leaves room only for the NUL: rewrite it */
    size_t off = 0;
    int rc = 0;
    while (off < len + 1) {
        ssize_t w = write(journal->fd, line + off, len + 1 - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = hp_error_set(err, "", "%s: write failed: %s", journal->path,
                              strerror(w < 0 ? errno : ENOSPC));
            break;
        }
        off += (size_t)w;
    }
    free(line);
    if (rc == 0 && fdatasync(journal->fd) < 0)
        rc = hp_error_set(err, "", "%s: fdatasync failed: %s", journal->path,
                          strerror(errno));
    return rc;
}

long journal_writer_pid(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    long pid = 0;
    if (fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK)
        pid = (long)lock.l_pid;
    close(fd);
    return pid;
}

void journal_close(struct journal *journal)
{
    if (journal->fd >= 0)
        close(journal->fd);
    journal->fd = -1;
}
