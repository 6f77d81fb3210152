/*
 * What the trial protocol fixes beyond the metric line (metric_line.h), for
 * any trainer and for the orchestrator that reads it.
 */
#ifndef HP_TRIAL_PROTOCOL_H
#define HP_TRIAL_PROTOCOL_H

/* A trainer that cannot write its checkpoint or another output file (a full
 * disk, a quota, an I/O error) exits with this status (sysexits' EX_IOERR).
 * hpsearch then treats the attempt as interrupted, not failed: it stops the
 * sweep, names the disk, and `hpsearch resume` runs the attempt again. */
enum { HP_TRIAL_EXIT_IO = 74 };

#endif
