/*
 * Keeping and killing a trial's processes. See proctree.h for the mechanisms
 * and what each guarantees.
 *
 * Everything here is synchronous and bounded: a kill is a write to
 * cgroup.kill or a few rounds over a short list of pids, never a wait for a
 * process to exit; a cgroup that is still emptying when its trial ends is
 * removed later (at the next trial's start or end, and at the sweep's end,
 * where waiting a moment is fine).
 */
#define _GNU_SOURCE /* prctl, d_type, statfs: Linux process and cgroup control */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "grow.h"
#include "path.h"

/* The per-sweep cgroups a run created, one directory a line, for `resume`. */
static const char RECORD_NAME[] = ".hpsearch-cgroups";

/* The per-sweep cgroup's name starts with this; a recorded path whose last
 * component does not is never touched. */
static const char ROOT_PREFIX[] = "hpsearch-";

static const char TRIAL_DIR_VAR[] = "HPSEARCH_TRIAL_DIR=";

/* Kill rounds: a process forked while its siblings were being killed is
 * found by the next round. */
enum { KILL_ROUNDS = 8 };

/* How long the end of a sweep (or a resume) waits for killed processes to
 * exit so their cgroups can be removed. */
enum { REMOVE_WAIT_MS = 2000, POLL_MS = 10 };

const char *proctree_mechanism_name(enum proctree_mechanism mechanism)
{
    switch (mechanism) {
    case PROCTREE_NONE:
        return "none";
    case PROCTREE_SUBREAPER:
        return "subreaper";
    case PROCTREE_CGROUP1:
        return "cgroup1";
    case PROCTREE_CGROUP2:
        return "cgroup2";
    }
    return "unknown";
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Writes `text` to an existing (kernel) file. Returns 0 or -1 with errno. */
static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)len ? 0 : -1;
}

/* Returns 1 when `item` is one of the comma-separated names in `list`. */
static int list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* --- finding a cgroup to work in ----------------------------------------- */

/* Our own cgroup's path in the v2 hierarchy (controller NULL) or in the v1
 * hierarchy that carries `controller`, from /proc/self/cgroup lines
 * "id:controllers:path". Returns 0 or -1. */
static int own_cgroup_path(const char *controller, char *path, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    int found = -1;
    while (found < 0 && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *first = strchr(line, ':');
        char *second = first ? strchr(first + 1, ':') : NULL;
        if (!second)
            continue;
        *first = *second = '\0';
        int match = controller ? list_has(first + 1, controller)
                               : strcmp(line, "0") == 0 && first[1] == '\0';
        if (match && hp_path_join(path, size, NULL, second + 1, NULL) == 0)
            found = 0;
    }
    free(line);
    fclose(f);
    return found;
}

/* The mount point and mount root of the v2 hierarchy (controller NULL) or of
 * the v1 hierarchy carrying `controller`, from /proc/self/mountinfo lines
 * "id parent dev root mountpoint options [optional...] - fstype source super".
 * Returns 0 or -1. */
static int find_mount(const char *controller, char mount[PATH_MAX], char root[PATH_MAX])
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    int found = -1;
    while (found < 0 && getline(&line, &cap, f) > 0) {
        char *dash = strstr(line, " - ");
        char fstype[64];
        char super[1024];
        if (!dash || sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
            continue;
        int match = controller ? strcmp(fstype, "cgroup") == 0 && list_has(super, controller)
                               : strcmp(fstype, "cgroup2") == 0;
        if (match && sscanf(line, "%*s %*s %*s %4095s %4095s", root, mount) == 2)
            found = 0;
    }
    free(line);
    fclose(f);
    return found;
}

/* The directory of our own cgroup in the chosen hierarchy, when we may move
 * processes below it. Returns 0 or -1. */
static int own_cgroup_dir(const char *controller, char *dir, size_t size)
{
    char own[HP_PATH_MAX];
    char mount[PATH_MAX];
    char root[PATH_MAX];
    if (own_cgroup_path(controller, own, sizeof own) < 0 ||
        find_mount(controller, mount, root) < 0)
        return -1;
    /* A mount of a subtree shows paths below its root. */
    const char *below = own;
    size_t n = strlen(root);
    if (strcmp(root, "/") != 0) {
        if (strncmp(own, root, n) != 0 || (own[n] != '/' && own[n] != '\0'))
            return -1;
        below = own + n;
    }
    if (strcmp(below, "/") == 0)
        below = "";
    if (hp_path_format(dir, size, NULL, "%s%s", mount, below) < 0)
        return -1;
    /* Moving a process needs write access to the cgroup.procs of the common
     * ancestor, which is this one. */
    char procs[HP_PATH_MAX];
    if (hp_path_join(procs, sizeof procs, NULL, dir, "cgroup.procs", NULL) < 0)
        return -1;
    return access(procs, W_OK) == 0 ? 0 : -1;
}

/* --- acting on a cgroup -------------------------------------------------- */

/* Sends `signum` (0: only counts) to every process in cgroup `dir` and the
 * cgroups below it. Returns how many there were. */
static int cgroup_signal_all(const char *dir, int signum)
{
    int count = 0;
    char path[HP_PATH_MAX];
    FILE *f = hp_path_join(path, sizeof path, NULL, dir, "cgroup.procs", NULL) == 0
                  ? fopen(path, "re")
                  : NULL;
    if (f) {
        long pid;
        while (fscanf(f, "%ld", &pid) == 1) {
            if (pid > 0 && pid != (long)getpid()) {
                kill((pid_t)pid, signum);
                count++;
            }
        }
        fclose(f);
    }
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        if (hp_path_join(path, sizeof path, NULL, dir, e->d_name, NULL) == 0)
            count += cgroup_signal_all(path, signum);
    }
    if (d)
        closedir(d);
    return count;
}

/* Freezes (1) or thaws (0) a cgroup and those below it. Returns 1 when the
 * hierarchy has a freezer. */
static int cgroup_freeze(const char *dir, int frozen)
{
    char path[HP_PATH_MAX];
    if (hp_path_join(path, sizeof path, NULL, dir, "cgroup.freeze", NULL) == 0 &&
        write_text(path, frozen ? "1" : "0") == 0)
        return 1;
    return hp_path_join(path, sizeof path, NULL, dir, "freezer.state", NULL) == 0 &&
           write_text(path, frozen ? "FROZEN" : "THAWED") == 0;
}

/* SIGKILLs every process in cgroup `dir` and below. cgroup.kill does it in
 * one step that no fork escapes; without it, a frozen cgroup cannot fork
 * while its processes are killed (a v1 freezer delivers SIGKILL on thaw), and
 * without a freezer the rounds catch what was forked meanwhile. */
static void cgroup_kill(const char *dir)
{
    char path[HP_PATH_MAX];
    if (hp_path_join(path, sizeof path, NULL, dir, "cgroup.kill", NULL) == 0 &&
        write_text(path, "1") == 0)
        return;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        int frozen = cgroup_freeze(dir, 1);
        int found = cgroup_signal_all(dir, SIGKILL);
        if (frozen)
            cgroup_freeze(dir, 0);
        if (found == 0)
            break;
    }
}

/* Removes cgroup `dir` and the cgroups below it. Returns 0 (gone, or never
 * there), or -1 while a process is left in it (EBUSY). An empty `dir` (a
 * path that did not fit) names nothing and removes nothing. */
static int cgroup_remove(const char *dir)
{
    if (!dir[0])
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        char path[HP_PATH_MAX];
        if (hp_path_join(path, sizeof path, NULL, dir, e->d_name, NULL) == 0)
            cgroup_remove(path);
    }
    closedir(d);
    return rmdir(dir) == 0 || errno == ENOENT ? 0 : -1;
}

/* Kills and removes a cgroup, waiting up to `wait_ms` for its processes to
 * exit. Returns 0 when it is gone. */
static int cgroup_kill_and_remove(const char *dir, long wait_ms)
{
    for (long waited = 0;; waited += POLL_MS) {
        cgroup_kill(dir);
        if (cgroup_remove(dir) == 0)
            return 0;
        if (waited >= wait_ms)
            return -1;
        sleep_ms(POLL_MS);
    }
}

/* Tries again to remove the trial cgroups that were still emptying. */
static void retry_pending(struct proctree *tree)
{
    for (size_t i = 0; i < tree->pending_count;) {
        if (cgroup_remove(tree->pending[i]) == 0) {
            free(tree->pending[i]);
            tree->pending[i] = tree->pending[--tree->pending_count];
        } else {
            i++;
        }
    }
}

/* --- the record of per-sweep cgroups, for resume ------------------------- */

/* <sweep_dir>/.hpsearch-cgroups into path[size]. Returns 0, or -1 with `err`
 * set (may be NULL) and path emptied when it does not fit. */
static int record_path(const char *sweep_dir, char *path, size_t size,
                       struct hp_error *err)
{
    return hp_path_join(path, size, err, sweep_dir, RECORD_NAME, NULL);
}

/* Returns the record's text (heap; "" when there is none, or when its path
 * does not fit, so no record could have been written), or NULL when out of
 * memory. */
static char *record_load(const char *sweep_dir)
{
    char path[HP_PATH_MAX];
    char *text = NULL;
    size_t cap = 0;
    FILE *f =
        record_path(sweep_dir, path, sizeof path, NULL) == 0 ? fopen(path, "re") : NULL;
    /* No NUL in the file: reading to the delimiter reads it all. */
    if (f && getdelim(&text, &cap, '\0', f) < 0) {
        free(text);
        text = NULL;
    }
    if (f)
        fclose(f);
    return text ? text : strdup("");
}

/* Replaces the record with `text`; an empty record is no file. */
static int record_store(const char *sweep_dir, const char *text, struct hp_error *err)
{
    char path[HP_PATH_MAX];
    if (record_path(sweep_dir, path, sizeof path, err) < 0)
        return -1;
    if (*text)
        return fsutil_write_atomic(path, text, strlen(text), err);
    if (unlink(path) < 0 && errno != ENOENT)
        return hp_error_set(err, "", "%s: cannot remove: %s", path, strerror(errno));
    return 0;
}

/* Returns the record without the line `drop` (heap), or NULL. */
static char *record_without(const char *text, const char *drop)
{
    char *out = malloc(strlen(text) + 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    size_t n = strlen(drop);
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        if (len > 0 && !(len == n && strncmp(p, drop, n) == 0))
            strncat(strncat(out, p, len), "\n", 2);
        p += len + (p[len] == '\n');
    }
    return out;
}

/* Returns 1 when a recorded line can only be a per-sweep cgroup of ours: an
 * absolute path without "." or ".." components, on a cgroup filesystem,
 * named hpsearch-*. A record edited by hand cannot aim the kill elsewhere. */
static int is_sweep_cgroup(const char *path)
{
    const char *base = strrchr(path, '/');
    if (path[0] != '/' || !base || strncmp(base + 1, ROOT_PREFIX, strlen(ROOT_PREFIX)) != 0 ||
        strstr(path, "/./") || strstr(path, "/../"))
        return 0;
    struct statfs fs;
    return statfs(path, &fs) == 0 &&
           (fs.f_type == CGROUP2_SUPER_MAGIC || fs.f_type == CGROUP_SUPER_MAGIC);
}

/* --- processes, for the subreaper and the resume scan -------------------- */

struct proc {
    pid_t pid;
    pid_t ppid;
    char state; /* 'Z' for a zombie */
};

static int proc_compare(const void *a, const void *b)
{
    pid_t x = ((const struct proc *)a)->pid;
    pid_t y = ((const struct proc *)b)->pid;
    return (x > y) - (x < y);
}

/* Reads pid, parent and state from /proc/<pid>/stat. Returns 0 or -1. */
static int proc_read(pid_t pid, struct proc *out)
{
    char path[64];
    char text[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    /* The command name may hold spaces and parentheses: skip to the last ')'. */
    const char *paren = strrchr(text, ')');
    long ppid;
    char state;
    if (!paren || sscanf(paren + 1, " %c %ld", &state, &ppid) != 2)
        return -1;
    *out = (struct proc){pid, (pid_t)ppid, state};
    return 0;
}

/* Every process on the system, sorted by pid (heap; *count entries). */
static struct proc *proc_table(size_t *count)
{
    *count = 0;
    struct proc *table = NULL;
    size_t cap = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        struct proc p;
        if (*end || pid <= 0 || proc_read((pid_t)pid, &p) < 0)
            continue;
        struct proc *grown = hp_grow(table, &cap, *count + 1, sizeof *table);
        if (!grown)
            break;
        table = grown;
        table[(*count)++] = p;
    }
    if (d)
        closedir(d);
    if (table)
        qsort(table, *count, sizeof *table, proc_compare);
    return table;
}

/* Returns the ancestor of `pid` (or pid itself) whose parent is `self`, or 0
 * when `pid` does not descend from `self`. */
static pid_t child_of_self_above(const struct proc *table, size_t count, pid_t pid, pid_t self)
{
    for (size_t depth = 0; depth < count; depth++) {
        struct proc key = {pid, 0, 0};
        const struct proc *p = bsearch(&key, table, count, sizeof *table, proc_compare);
        if (!p || p->ppid <= 1)
            return 0;
        if (p->ppid == self)
            return pid;
        pid = p->ppid;
    }
    return 0;
}

/* Copies the HPSEARCH_TRIAL_DIR entry ("HPSEARCH_TRIAL_DIR=...") of the
 * environment `pid` was exec'd with into entry[size]. Returns 0, or -1 when
 * it has none or cannot be read (another user's, or gone). */
static int proc_trial_dir_entry(pid_t pid, char *entry, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char *var = NULL;
    size_t cap = 0;
    int found = -1;
    while (found < 0 && getdelim(&var, &cap, '\0', f) > 0) {
        if (strncmp(var, TRIAL_DIR_VAR, sizeof TRIAL_DIR_VAR - 1) == 0 &&
            (size_t)snprintf(entry, size, "%s", var) < size)
            found = 0;
    }
    free(var);
    fclose(f);
    return found;
}

/* Sends `signum` to every live descendant of hpsearch that belongs to
 * `group`, or, with group NULL, to every one. A process belongs to the trial
 * whose leader it descends from or, once orphaned (and so re-parented to
 * hpsearch, the subreaper), to the trial its environment names. Returns how
 * many were signalled. */
static int subreaper_signal(const struct proctree_group *group, int signum)
{
    size_t count;
    struct proc *table = proc_table(&count);
    pid_t self = getpid();
    int signalled = 0;
    char entry[HP_PATH_MAX + 32];
    for (size_t i = 0; i < count; i++) {
        if (table[i].state == 'Z')
            continue;
        pid_t top = child_of_self_above(table, count, table[i].pid, self);
        if (!top)
            continue;
        int ours = !group || (group->leader && top == group->leader) ||
                   (proc_trial_dir_entry(top, entry, sizeof entry) == 0 &&
                    strcmp(entry, group->marker) == 0);
        if (ours && kill(table[i].pid, signum) == 0)
            signalled++;
    }
    free(table);
    return signalled;
}

/* SIGKILLs what subreaper_signal finds, in rounds: a killed process's
 * children become hpsearch's and are found by the next round. */
static void subreaper_kill(const struct proctree_group *group)
{
    for (int round = 0; round < KILL_ROUNDS; round++) {
        if (subreaper_signal(group, SIGKILL) == 0)
            break;
        sleep_ms(1); /* the killed exit; their children move to us */
    }
}

/* For resume: SIGKILLs every process of our user whose HPSEARCH_TRIAL_DIR is
 * a directory directly inside <sweep_dir>/trials (compared by inode, so any
 * spelling of the path matches; a rerun's deeper directory does not).
 * Returns how many were killed. */
static int kill_strays(const char *sweep_dir)
{
    char trials[HP_PATH_MAX];
    struct stat want;
    if (hp_path_join(trials, sizeof trials, NULL, sweep_dir, "trials", NULL) < 0 ||
        stat(trials, &want) < 0)
        return 0;
    uid_t uid = geteuid();
    pid_t self = getpid();
    int killed = 0;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        size_t count;
        struct proc *table = proc_table(&count);
        int found = 0;
        for (size_t i = 0; i < count; i++) {
            char path[64];
            char entry[HP_PATH_MAX + 32];
            struct stat owner;
            struct stat parent;
            snprintf(path, sizeof path, "/proc/%ld", (long)table[i].pid);
            if (table[i].pid == self || table[i].state == 'Z' || stat(path, &owner) < 0 ||
                owner.st_uid != uid ||
                proc_trial_dir_entry(table[i].pid, entry, sizeof entry) < 0)
                continue;
            char *slash = strrchr(entry, '/');
            if (!slash)
                continue;
            *slash = '\0';
            const char *dir = entry + sizeof TRIAL_DIR_VAR - 1;
            if (stat(dir, &parent) == 0 && parent.st_dev == want.st_dev &&
                parent.st_ino == want.st_ino && kill(table[i].pid, SIGKILL) == 0)
                found++;
        }
        free(table);
        if (found == 0)
            break;
        if (round == 0)
            killed = found;
        sleep_ms(POLL_MS); /* the killed exit before the next look */
    }
    return killed;
}

/* --- the sweep's tree ---------------------------------------------------- */

/* Creates the per-sweep cgroup below our own in the chosen hierarchy and
 * records it. Returns 0 or -1 (nothing left behind). */
static int open_cgroup(struct proctree *tree, const char *controller, struct hp_error *err)
{
    char base[HP_PATH_MAX];
    if (own_cgroup_dir(controller, base, sizeof base) < 0)
        return -1;
    int made = 0;
    /* A cgroup of an earlier process with our pid may still be there. */
    for (int n = 0; n < 100 && !made; n++) {
        /* Too long a path means no cgroup here, as if there were none. */
        if (hp_path_format(tree->root, sizeof tree->root, NULL, "%s/%s%ld-%d", base,
                           ROOT_PREFIX, (long)getpid(), n) < 0)
            return -1;
        if (mkdir(tree->root, 0755) == 0)
            made = 1;
        else if (errno != EEXIST)
            return -1;
    }
    if (!made)
        return -1;
    char *text = record_load(tree->sweep_dir);
    size_t size = text ? strlen(text) + strlen(tree->root) + 2 : 0;
    char *added = text ? malloc(size) : NULL;
    int rc = added ? 0 : hp_error_set(err, "", "out of memory");
    if (added) {
        snprintf(added, size, "%s%s\n", text, tree->root);
        rc = record_store(tree->sweep_dir, added, err);
    }
    free(text);
    free(added);
    if (rc < 0) {
        rmdir(tree->root);
        tree->root[0] = '\0';
    }
    return rc;
}

/* Sets up one mechanism. Returns 0, or -1 when it is not available here
 * (err says why only when the cause is not simply its absence). */
static int open_mechanism(struct proctree *tree, enum proctree_mechanism mechanism,
                          struct hp_error *err)
{
    int rc = 0;
    switch (mechanism) {
    case PROCTREE_CGROUP2:
        rc = open_cgroup(tree, NULL, err);
        break;
    case PROCTREE_CGROUP1:
        rc = open_cgroup(tree, "freezer", err);
        if (rc < 0 && !err->message[0])
            rc = open_cgroup(tree, "pids", err);
        break;
    case PROCTREE_SUBREAPER:
        rc = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
        break;
    case PROCTREE_NONE:
        break;
    }
    if (rc == 0)
        tree->mechanism = mechanism;
    return rc;
}

int proctree_open(struct proctree *tree, const char *sweep_dir, struct hp_error *err)
{
    memset(tree, 0, sizeof *tree);
    if (hp_path_join(tree->sweep_dir, sizeof tree->sweep_dir, err, sweep_dir, NULL) < 0)
        return -1;
    const char *wanted = getenv("HPSEARCH_CONTAINMENT");
    if (!wanted || !*wanted)
        wanted = "auto";
    static const enum proctree_mechanism AUTO[] = {PROCTREE_CGROUP2, PROCTREE_CGROUP1,
                                                   PROCTREE_SUBREAPER, PROCTREE_NONE};
    if (strcmp(wanted, "auto") == 0) {
        for (size_t i = 0; i < sizeof AUTO / sizeof AUTO[0]; i++) {
            if (open_mechanism(tree, AUTO[i], err) == 0)
                break;
            if (err->message[0])
                return -1;
        }
        tree->open = 1;
        return 0;
    }
    for (size_t i = 0; i < sizeof AUTO / sizeof AUTO[0]; i++) {
        if (strcmp(wanted, proctree_mechanism_name(AUTO[i])) != 0)
            continue;
        if (open_mechanism(tree, AUTO[i], err) < 0) {
            if (!err->message[0])
                hp_error_set(err, "", "HPSEARCH_CONTAINMENT=%s: not available here (%s)",
                             wanted,
                             AUTO[i] == PROCTREE_SUBREAPER ? strerror(errno)
                                                           : "no cgroup hierarchy of that "
                                                             "kind that we may write to");
            return -1;
        }
        tree->open = 1;
        return 0;
    }
    return hp_error_set(err, "",
                        "HPSEARCH_CONTAINMENT: unknown mechanism \"%s\" (valid: auto, "
                        "cgroup2, cgroup1, subreaper, none)",
                        wanted);
}

void proctree_close(struct proctree *tree)
{
    if (!tree->open)
        return;
    tree->open = 0;
    if (tree->root[0]) {
        /* Trial cgroups lie below the root: one kill and removal takes them. */
        if (cgroup_kill_and_remove(tree->root, REMOVE_WAIT_MS) == 0) {
            char *text = record_load(tree->sweep_dir);
            char *rest = text ? record_without(text, tree->root) : NULL;
            struct hp_error ignored;
            hp_error_init(&ignored);
            /* A line left behind names a cgroup that is gone: resume skips it. */
            if (rest)
                record_store(tree->sweep_dir, rest, &ignored);
            free(text);
            free(rest);
        }
    }
    if (tree->mechanism == PROCTREE_SUBREAPER) {
        /* No trial runs any more: every descendant left is an orphan of one. */
        for (long waited = 0; waited < REMOVE_WAIT_MS; waited += POLL_MS) {
            subreaper_kill(NULL);
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
            if (subreaper_signal(NULL, 0) == 0)
                break;
            sleep_ms(POLL_MS);
        }
    }
    for (size_t i = 0; i < tree->pending_count; i++)
        free(tree->pending[i]);
    free(tree->pending);
    tree->pending = NULL;
    tree->pending_count = tree->pending_cap = 0;
}

int proctree_kill_leftovers(const char *sweep_dir, struct hp_error *err)
{
    char *text = record_load(sweep_dir);
    /* Every line kept ends with a newline, the last one too: one byte more. */
    char *keep = text ? malloc(strlen(text) + 2) : NULL;
    if (!keep) {
        free(text);
        return hp_error_set(err, "", "out of memory");
    }
    keep[0] = '\0';
    int killed = 0;
    for (char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        int more = line[len] == '\n';
        line[len] = '\0';
        if (is_sweep_cgroup(line)) {
            killed += cgroup_signal_all(line, 0);
            if (cgroup_kill_and_remove(line, REMOVE_WAIT_MS) < 0)
                strcat(strcat(keep, line), "\n"); /* still emptying: next time */
        }
        line += len + more;
    }
    killed += kill_strays(sweep_dir);
    int rc = record_store(sweep_dir, keep, err);
    free(text);
    free(keep);
    return rc < 0 ? -1 : killed;
}

/* --- a trial's group ----------------------------------------------------- */

int proctree_group_open(struct proctree *tree, const char *trial_dir,
                        struct proctree_group *group, struct hp_error *err)
{
    group->tree = tree && tree->open ? tree : NULL;
    group->path[0] = '\0';
    group->join_fd = -1;
    group->leader = 0;
    if (hp_path_format(group->marker, sizeof group->marker, err, "%s%s", TRIAL_DIR_VAR,
                       trial_dir) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!group->tree || !tree->root[0])
        return 0;
    retry_pending(tree);
    const char *name = strrchr(trial_dir, '/');
    name = name ? name + 1 : trial_dir;
    /* The number keeps a retried trial clear of its predecessor's cgroup,
     * which may still be emptying. */
    char procs[HP_PATH_MAX];
    if (hp_path_format(group->path, sizeof group->path, err, "%s/%s.%lu", tree->root,
                       name, tree->next_group++) < 0 ||
        hp_path_join(procs, sizeof procs, err, group->path, "cgroup.procs", NULL) < 0) {
        group->path[0] = '\0';
        errno = ENAMETOOLONG;
        return -1;
    }
    if (mkdir(group->path, 0755) < 0) {
        hp_error_set(err, "", "cannot create the cgroup %s: %s", group->path,
                     strerror(errno));
        group->path[0] = '\0';
        return -1;
    }
    group->join_fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (group->join_fd < 0) {
        hp_error_set(err, "", "%s: cannot open: %s", procs, strerror(errno));
        rmdir(group->path);
        group->path[0] = '\0';
        return -1;
    }
    return 0;
}

void proctree_group_started(struct proctree_group *group, pid_t pid)
{
    if (group->join_fd >= 0)
        close(group->join_fd);
    group->join_fd = -1;
    group->leader = pid;
}

void proctree_group_signal(struct proctree_group *group, int signum)
{
    if (group->path[0]) {
        if (signum == SIGKILL)
            cgroup_kill(group->path);
        else
            cgroup_signal_all(group->path, signum);
        return;
    }
    /* The trainer leads its own process group: reach its children too. */
    if (group->leader > 0 && kill(-group->leader, signum) < 0)
        kill(group->leader, signum);
    if (group->tree && group->tree->mechanism == PROCTREE_SUBREAPER) {
        if (signum == SIGKILL)
            subreaper_kill(group);
        else
            subreaper_signal(group, signum);
    }
}

void proctree_group_leader_exited(struct proctree_group *group)
{
    /* The process group outlives its reaped leader while members remain, so
     * -leader still names it here. */
    proctree_group_signal(group, SIGKILL);
    group->leader = 0;
}

void proctree_group_close(struct proctree_group *group)
{
    if (group->join_fd >= 0)
        close(group->join_fd);
    group->join_fd = -1;
    group->leader = 0;
    struct proctree *tree = group->tree;
    if (group->path[0]) {
        cgroup_kill(group->path);
        if (cgroup_remove(group->path) < 0) {
            /* Killed but not yet exited. Out of memory, the sweep's end still
             * removes it with the root. */
            char **grown =
                hp_grow(tree->pending, &tree->pending_cap, tree->pending_count + 1,
                        sizeof *grown);
            char *copy = grown ? strdup(group->path) : NULL;
            if (grown)
                tree->pending = grown;
            if (copy)
                tree->pending[tree->pending_count++] = copy;
        }
        retry_pending(tree);
        group->path[0] = '\0';
    } else if (tree && tree->mechanism == PROCTREE_SUBREAPER) {
        subreaper_kill(group);
    }
}
