/*
 * Sealing and checking journal lines, and reading a journal back. See
 * journal_line.h.
 */
#include "journal_line.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "path.h"

static const char SEAL_KEY[] = ",\"crc\":\""; /* the 8 bytes that start the member */
enum {
    KEY_LEN = sizeof SEAL_KEY - 1,
    HEX_LEN = 8,
    TAIL_LEN = KEY_LEN + HEX_LEN + 2, /* the key, the digits, `"}` */
};

static uint32_t checksum(const char *data, size_t len)
{
    /* zlib's crc32 takes a uInt length: feed a huge record in pieces. */
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, (const Bytef *)data, n);
        data += n;
        len -= n;
    }
    return (uint32_t)crc;
}

char *journal_line_seal(const char *record, size_t len, size_t *line_len)
{
    /* "{}" has no member for the seal to follow. */
    if (len < 3 || record[0] != '{' || record[len - 1] != '}')
        return NULL;
    size_t body = len - 1;
    size_t total = body + TAIL_LEN + 1;
    char *line = malloc(total + 1);
    if (!line)
        return NULL;
    memcpy(line, record, body);
    char tail[TAIL_LEN + 2];
    snprintf(tail, sizeof tail, "%s%08" PRIx32 "\"}\n", SEAL_KEY, checksum(record, body));
    memcpy(line + body, tail, TAIL_LEN + 1);
    line[total] = '\0';
    *line_len = total;
    return line;
}

/* The value of a lowercase hex digit, or -1. Uppercase is not what the
 * writer writes, so it is damage. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

enum journal_line_check journal_line_verify(const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len < TAIL_LEN + 2 || line[len - 1] != '}' || line[len - 2] != '"')
        return JOURNAL_LINE_UNSEALED;
    const char *tail = line + len - TAIL_LEN;
    if (memcmp(tail, SEAL_KEY, KEY_LEN) != 0)
        return JOURNAL_LINE_UNSEALED;
    uint32_t recorded = 0;
    for (int i = 0; i < HEX_LEN; i++) {
        int digit = hex_value(tail[KEY_LEN + i]);
        if (digit < 0)
            return JOURNAL_LINE_MISMATCH;
        recorded = recorded << 4 | (uint32_t)digit;
    }
    return checksum(line, (size_t)(tail - line)) == recorded ? JOURNAL_LINE_SEALED
                                                             : JOURNAL_LINE_MISMATCH;
}

/* Says that the journal holds nothing to replay. */
static int nothing_recorded(const struct journal_line_reader *reader, const char *why,
                            struct hp_error *err)
{
    hp_error_set(
        err, "",
        "%s is empty: the sweep recorded nothing (%s); there is nothing to "
        "resume or report: remove its directory and start again with hpsearch run",
        reader->path, why);
    return JOURNAL_LINE_UNREADABLE;
}

int journal_line_open(struct journal_line_reader *reader, const char *dir,
                      struct hp_error *err)
{
    memset(reader, 0, sizeof *reader);
    if (hp_path_join(reader->path, sizeof reader->path, err, dir, "journal.jsonl", NULL) <
        0)
        return -1;
    reader->in = fopen(reader->path, "r");
    if (!reader->in && errno == ENOENT) {
        hp_error_set(err, "",
                     "no journal.jsonl in %s: not a sweep directory, or its journal was "
                     "moved away; nothing to resume or report",
                     dir);
        return JOURNAL_LINE_UNREADABLE;
    }
    if (!reader->in)
        return hp_error_set(err, "", "%s: cannot open: %s", reader->path,
                            strerror(errno));
    struct stat st;
    if (fstat(fileno(reader->in), &st) == 0 && st.st_size == 0) {
        int rc = nothing_recorded(reader, "it stopped before its first record", err);
        journal_line_close(reader);
        return rc;
    }
    return 0;
}

/* A first line without a seal is a version-1 journal's only if it says so:
 * a version-2 sweep_start whose seal was damaged must not turn the checks
 * off for the whole journal. */
static int is_version_1_start(const char *line, size_t len)
{
    json_t *record = json_loadb(line, len, 0, NULL);
    const json_t *version = json_object_get(record, "version");
    int legacy = json_is_integer(version) && json_integer_value(version) == 1;
    json_decref(record);
    return legacy;
}

/* Fills `err` for damage at the current line. */
static int damaged(const struct journal_line_reader *reader, const char *what,
                   struct hp_error *err)
{
    long before = reader->number - 1;
    if (before == 0)
        hp_error_set(
            err, "",
            "%s:1: damaged record (%s); no record before it is intact, so the "
            "sweep cannot be replayed: restore the journal from a copy, or start "
            "again with hpsearch run; nothing was changed",
            reader->path, what);
    else
        hp_error_set(
            err, "",
            "%s:%ld: damaged record (%s); the %ld line%s before it %s intact: "
            "to continue from %s, save a copy of the journal, cut it after "
            "line %ld (head -n %ld) and run hpsearch resume; nothing was changed",
            reader->path, reader->number, what, before, before == 1 ? "" : "s",
            before == 1 ? "is" : "are", before == 1 ? "it" : "them", before, before);
    return JOURNAL_LINE_UNREADABLE;
}

int journal_line_next(struct journal_line_reader *reader, struct hp_error *err)
{
    reader->offset = reader->intact;
    errno = 0;
    ssize_t got = getline(&reader->line, &reader->cap, reader->in);
    if (got <= 0) {
        if (ferror(reader->in))
            return hp_error_set(err, "", "%s: cannot read: %s", reader->path,
                                strerror(errno ? errno : EIO));
        if (reader->number == 0)
            return nothing_recorded(reader, "it stopped before its first record", err);
        return 0;
    }
    size_t len = (size_t)got;
    reader->len = len;
    reader->number++;
    if (reader->line[len - 1] != '\n') {
        /* Torn by a crash mid-write: never acted on, so ignored. */
        if (reader->number == 1)
            return nothing_recorded(reader, "its only line was torn by a crash", err);
        return 0;
    }
    switch (journal_line_verify(reader->line, len)) {
    case JOURNAL_LINE_SEALED:
        reader->sealed = 1;
        break;
    case JOURNAL_LINE_MISMATCH:
        return damaged(reader, "checksum mismatch", err);
    case JOURNAL_LINE_UNSEALED:
        if (reader->sealed)
            return damaged(reader, "no checksum, in a journal of sealed lines", err);
        if (reader->number == 1 && !is_version_1_start(reader->line, len))
            return damaged(reader, "no checksum, and not a version-1 sweep_start", err);
        break; /* a version-1 journal: nothing to check against */
    }
    reader->intact += (long long)len;
    return 1;
}

void journal_line_close(struct journal_line_reader *reader)
{
    if (reader->in)
        fclose(reader->in);
    reader->in = NULL;
    free(reader->line);
    reader->line = NULL;
    reader->cap = 0;
}
