/*
 * Every exit status of `hpsearch`, once: the code uses the enum, --help and
 * the README's table print the same words.
 */
#ifndef EXIT_CODES_H
#define EXIT_CODES_H

#define HP_EXIT_CODES(X)                                                             \
    X(HP_EXIT_OK, 0, "the sweep finished and at least one configuration succeeded")   \
    X(HP_EXIT_RUNTIME, 1,                                                            \
      "a runtime error: the output directory, journal or results could not be "      \
      "written")                                                                     \
    X(HP_EXIT_USAGE, 2, "bad command line or invalid space file; nothing was started") \
    X(HP_EXIT_ALL_FAILED, 3, "the sweep finished but every trial failed")             \
    X(HP_EXIT_MAX_FAILURES, 4,                                                       \
      "stopped by max_failures (the first trials all failed the same way, or N "      \
      "failed); resume continues it")                                                \
    X(HP_EXIT_DIFFERENT, 5, "rerun: the trial's metric lines differ from the sweep's")     \
    X(HP_EXIT_JOURNAL, 6,                                                            \
      "the journal is damaged or empty: the message names the line and what to do; "  \
      "nothing was changed")                                                         \
    X(HP_EXIT_BUDGET, 7,                                                             \
      "stopped at its budget (max_time or max_trials); resume continues it")         \
    X(HP_EXIT_INTERRUPTED, 130,                                                      \
      "interrupted by SIGINT (Ctrl-C); finished results are kept, resume continues")  \
    X(HP_EXIT_TERMINATED, 143,                                                       \
      "stopped by SIGTERM; finished results are kept, resume continues")

enum hp_exit_code {
#define HP_EXIT_ENUM(name, code, text) name = code,
    HP_EXIT_CODES(HP_EXIT_ENUM)
#undef HP_EXIT_ENUM
};

#endif
