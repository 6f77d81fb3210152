/*
 * The journal's line format, written and read in one place: how a record
 * is sealed with a checksum as it is appended, and how a replay reads
 * journal.jsonl back line by line, telling a torn last line (a crash
 * mid-write: ignored) from damage (stops the replay with the line number
 * and what to do).
 *
 * A sealed line (journal version 2) is the record as compact JSON whose
 * last member is the checksum, then a newline:
 *
 *   {"event":"end",...,"score":0.96,"crc":"1a2b3c4d"}\n
 *   \____________ covered ________/
 *
 * The crc is zlib's crc32 of the line's bytes from its opening '{' up to and
 * excluding the `,"crc":"` that starts the last member, as 8 lowercase hex
 * digits. So the line stays one JSON object that any JSON reader takes (the
 * member is one more key, ignored by state_apply), and the check needs no
 * parsing: the tail has a fixed length, so it is found at a fixed offset
 * from the end, and a "crc" key inside a trainer's metric line cannot be
 * mistaken for it.
 *
 * Journals of version 1 (sweep_start says "version": 1) carry no checksums
 * and are read unchecked, as they always were: nothing can tell a damaged
 * line of theirs from a good one. A resume of such a journal appends sealed
 * lines, and from the first sealed line on every line must be sealed.
 *
 * What this file does not own: what records mean (state.c), when lines are
 * written and synced (journal.c).
 */
#ifndef JOURNAL_LINE_H
#define JOURNAL_LINE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "path.h"

/* Returned (besides 0, 1 and -1) when the journal cannot be replayed as it
 * stands: a damaged record, or no journal or an empty one. `err` then says
 * where and what to do; nothing was changed. */
#define JOURNAL_LINE_UNREADABLE (-2)

/* What journal_line_verify finds. */
enum journal_line_check {
    JOURNAL_LINE_SEALED,   /* a checksum member that matches the bytes */
    JOURNAL_LINE_UNSEALED, /* no checksum member at the end of the line */
    JOURNAL_LINE_MISMATCH, /* a checksum member that does not match */
};

/* Seals `record`, the compact JSON text of a non-empty object ending in '}'
 * (len bytes, not NUL-terminated), into a new line: the record with its
 * checksum member, a newline and a NUL. *line_len receives the length
 * without the NUL. Returns the new line (the caller frees it), or NULL when
 * `record` is not such an object or memory runs out. */
char *journal_line_seal(const char *record, size_t len, size_t *line_len);

/* Checks a line of len bytes (its newline, if any, included). Reads nothing
 * past line[len - 1]. */
enum journal_line_check journal_line_verify(const char *line, size_t len);

/* Reads a journal back, line by line, checking each. */
struct journal_line_reader {
    FILE *in;
    char path[HP_PATH_MAX]; /* <dir>/journal.jsonl, for messages */
    char *line;      /* the current line, newline included, NUL-terminated (owned) */
    size_t cap;
    size_t len;       /* the current line's length */
    long long offset; /* where the current line starts in the file */
    long long intact; /* bytes of the whole, checked lines read so far */
    long number;      /* the current line's number, from 1 */
    int sealed;       /* a sealed line was seen: every later one must be sealed */
};

/* Opens <dir>/journal.jsonl for reading. Returns 0; JOURNAL_LINE_UNREADABLE
 * when there is no journal or it is empty (the message says so, in place of
 * whatever a reader of its first record would have concluded); -1 when it
 * cannot be opened or its path is too long. On failure nothing needs
 * closing. */
int journal_line_open(struct journal_line_reader *reader, const char *dir,
                      struct hp_error *err);

/* Reads the next line into reader->line, reader->len (and number, offset).
 * Returns 1 with a line that passed its check; 0 at the end of the journal;
 * JOURNAL_LINE_UNREADABLE when the line is damaged (`err`: "<path>:<line>:
 * damaged record (...)" and how to continue from the intact records before
 * it) or when the journal holds no whole line at all; -1 on a read error.
 *
 * A last line without a newline is a torn write (a crash mid-append, never
 * acted on) and ends the journal quietly: reader->intact stops before it.
 * Any whole line that fails its check is damage, the last one included: a
 * torn write cannot end in a newline. (The one change that cannot be told
 * from a tear is the last line losing its newline: it is dropped, as a tear
 * would be.) */
int journal_line_next(struct journal_line_reader *reader, struct hp_error *err);

void journal_line_close(struct journal_line_reader *reader);

#endif
