/*
 * Journal appends and group commits. See journal.h.
 */
#include "journal.h"
#include "grow.h"
#include "journal_line.h"
#include "metric_line.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int journal_open(struct journal *journal, const char *dir, long long keep_bytes,
                 uv_loop_t *loop, journal_failed_fn on_failed, void *failed_data,
                 struct hp_error *err)
{
    memset(journal, 0, sizeof *journal);
    journal->loop = loop;
    journal->on_failed = on_failed;
    journal->failed_data = failed_data;
    journal->fd = -1;
    if (hp_path_join(journal->path, sizeof journal->path, err, dir, "journal.jsonl",
                     NULL) < 0)
        return -1;
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
    if (loop) {
        uv_timer_init(loop, &journal->batch_timer);
        journal->batch_timer.data = journal;
        journal->timer_open = 1;
    }
    return 0;
}

static void run_waiters(struct journal *journal)
{
    size_t n = journal->waiter_count;
    struct journal_waiter *due = malloc((n + 1) * sizeof *due);
    if (!due)
        return; /* they stay queued and run at the next sync */
    size_t due_count = 0;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (journal->waiters[i].seq <= journal->synced)
            due[due_count++] = journal->waiters[i];
        else
            journal->waiters[kept++] = journal->waiters[i];
    }
    journal->waiter_count = kept;
    /* Callbacks may add waiters: the queue is consistent before they run. */
    for (size_t i = 0; i < due_count; i++)
        due[i].fn(due[i].data);
    free(due);
}

static void start_sync(struct journal *journal);

/* How long records may gather before their sync starts. Nothing waits on it
 * but what cannot be undone (see journal.h), so a few ms cost nothing and
 * save a sync per record. */
static const uint64_t SYNC_BATCH_MS = 5;

static void on_batch_timer(uv_timer_t *timer)
{
    struct journal *journal = timer->data;
    journal->timer_armed = 0;
    start_sync(journal);
}

/* A sync will run soon for everything appended so far. */
static void schedule_sync(struct journal *journal)
{
    if (journal->syncing || journal->timer_armed || journal->failed)
        return; /* a running sync reschedules itself when it ends */
    if (!journal->timer_open) {
        start_sync(journal);
        return;
    }
    journal->timer_armed = 1;
    uv_timer_start(&journal->batch_timer, on_batch_timer, SYNC_BATCH_MS, 0);
}

static void on_synced(uv_fs_t *req)
{
    struct journal *journal = req->data;
    ssize_t result = req->result;
    uv_fs_req_cleanup(req);
    journal->syncing = 0;
    if (result < 0) {
        journal->failed = 1;
        struct hp_error err;
        hp_error_init(&err);
        hp_error_set(&err, "", "%s: fdatasync failed: %s", journal->path,
                     uv_strerror((int)result));
        if (journal->on_failed)
            journal->on_failed(journal->failed_data, &err);
        return;
    }
    /* A synchronous flush may have overtaken this sync: never go back. */
    if (journal->sync_target > journal->synced)
        journal->synced = journal->sync_target;
    run_waiters(journal);
    if (journal->appended > journal->synced)
        schedule_sync(journal);
}

static void start_sync(struct journal *journal)
{
    if (journal->syncing || journal->failed || journal->fd < 0 || !journal->loop)
        return;
    journal->syncing = 1;
    journal->sync_target = journal->appended;
    journal->sync_req.data = journal;
    if (uv_fs_fdatasync(journal->loop, &journal->sync_req, journal->fd, on_synced) < 0) {
        journal->syncing = 0;
        journal->failed = 1;
    }
}

int journal_append(struct journal *journal, const json_t *record, struct hp_error *err)
{
    if (journal->failed)
        return hp_error_set(err, "", "%s: an earlier write failed", journal->path);
    char *text = hp_json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t len = 0;
    char *line = text ? journal_line_seal(text, strlen(text), &len) : NULL;
    free(text);
    if (!line)
        return hp_error_set(err, "", "%s: cannot encode a record", journal->path);
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t w = write(journal->fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            /* A torn line may be left; replay ignores it. Nothing after it is
             * written: the sweep stops here. */
            journal->failed = 1;
            rc = hp_error_set(err, "", "%s: write failed: %s", journal->path,
                              strerror(w < 0 ? errno : ENOSPC));
            break;
        }
        off += (size_t)w;
    }
    free(line);
    if (rc < 0)
        return rc;
    journal->appended++;
    if (!journal->loop)
        return journal_flush(journal, err);
    schedule_sync(journal);
    return 0;
}

int journal_when_durable(struct journal *journal, journal_durable_fn fn,
                         journal_durable_fn discard, void *data)
{
    if (journal->synced >= journal->appended) {
        fn(data);
        return 0;
    }
    struct journal_waiter *grown = hp_grow(journal->waiters, &journal->waiter_cap,
                                           journal->waiter_count + 1, sizeof *grown);
    if (!grown)
        return -1;
    journal->waiters = grown;
    journal->waiters[journal->waiter_count++] =
        (struct journal_waiter){journal->appended, fn, discard, data};
    return 0;
}

int journal_flush(struct journal *journal, struct hp_error *err)
{
    if (journal->timer_armed) {
        uv_timer_stop(&journal->batch_timer);
        journal->timer_armed = 0;
    }
    if (journal->fd < 0 || journal->failed)
        return journal->failed ? hp_error_set(err, "", "%s: an earlier write failed",
                                              journal->path)
                               : 0;
    if (journal->synced < journal->appended) {
        if (fdatasync(journal->fd) < 0) {
            journal->failed = 1;
            return hp_error_set(err, "", "%s: fdatasync failed: %s", journal->path,
                                strerror(errno));
        }
        journal->synced = journal->appended;
    }
    run_waiters(journal);
    return 0;
}

long journal_writer_pid(const char *dir)
{
    char path[HP_PATH_MAX];
    if (hp_path_join(path, sizeof path, NULL, dir, "journal.jsonl", NULL) < 0)
        return 0;
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

void journal_detach_loop(struct journal *journal)
{
    struct hp_error ignored;
    hp_error_init(&ignored);
    journal_flush(journal, &ignored);
    if (journal->timer_open && !uv_is_closing((uv_handle_t *)&journal->batch_timer))
        uv_close((uv_handle_t *)&journal->batch_timer, NULL);
    journal->timer_open = 0;
    journal->loop = NULL;
}

void journal_close(struct journal *journal)
{
    if (journal->fd >= 0) {
        struct hp_error ignored;
        hp_error_init(&ignored);
        journal_flush(journal, &ignored);
        close(journal->fd);
    }
    journal->fd = -1;
    for (size_t i = 0; i < journal->waiter_count; i++)
        if (journal->waiters[i].discard)
            journal->waiters[i].discard(journal->waiters[i].data);
    free(journal->waiters);
    journal->waiters = NULL;
    journal->waiter_count = journal->waiter_cap = 0;
}
