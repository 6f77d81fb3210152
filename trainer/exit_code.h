/*
 * The exit statuses of hpsearch-train, in one table. --help prints it, the code
 * returns its names, and the documentation copies it, so the three cannot
 * drift. Only main() turns one of these into the process's exit status.
 */
#ifndef EXIT_CODE_H
#define EXIT_CODE_H

#include "trial_protocol.h" /* the I/O-failure status, shared with hpsearch */

/* X(name, status, meaning) */
#define TRAIN_EXIT_CODES(X)                                                              \
    X(TRAIN_EXIT_OK, 0, "training finished; the final line was written")                 \
    X(TRAIN_EXIT_RUNTIME, 1,                                                             \
      "runtime error: missing or malformed data file, unreadable checkpoint, out of "    \
      "memory")                                                                          \
    X(TRAIN_EXIT_USAGE, 2, "usage error: unknown flag, missing value or bad value")      \
    X(TRAIN_EXIT_DIVERGED, 3,                                                            \
      "training diverged: the training loss became NaN or Inf (final line has "          \
      "\"stopped\": \"nan\")")                                                           \
    X(TRAIN_EXIT_INTERRUPTED, 4,                                                         \
      "stopped by SIGTERM or SIGINT at a batch boundary after writing last.ckpt (final " \
      "line has \"stopped\": \"signal\"); --resume last.ckpt continues exactly")         \
    X(TRAIN_EXIT_IO, HP_TRIAL_EXIT_IO,                                                   \
      "I/O failure (sysexits' EX_IOERR): a checkpoint or a metric line could not be "    \
      "written (a full disk, a quota, a file-size limit, an I/O error); stderr names "   \
      "the file and the error")

enum train_exit {
#define TRAIN_EXIT_ENUM(name, status, meaning) name = status,
    TRAIN_EXIT_CODES(TRAIN_EXIT_ENUM)
#undef TRAIN_EXIT_ENUM
};

#endif
