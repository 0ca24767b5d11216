/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* The memory.events counters, in the order the kernel prints them. */
typedef enum Counter {
        COUNTER_LOW,
        COUNTER_HIGH,
        COUNTER_MAX,
        COUNTER_OOM,
        COUNTER_OOM_KILL,
        COUNTER_OOM_GROUP_KILL,
        _COUNTER_MAX,
        _COUNTER_INVALID = -EINVAL,
} Counter;

/* Cumulative counts behind the Events property and the metrics. */
typedef enum Tally {
        TALLY_HIGH,
        TALLY_MAX,
        TALLY_OOM,
        TALLY_OOM_KILL,
        TALLY_OOM_GROUP_KILL,
        TALLY_USAGE_UP,
        TALLY_USAGE_DOWN,
        TALLY_PRESSURE,
        TALLY_GROW,
        TALLY_SHRINK,
        _TALLY_MAX,
} Tally;

const char *counter_to_string(Counter c) _pure_;
const char *tally_to_string(Tally t) _pure_;

/* The text of memory.events, SIZE bytes (no NUL needed): "key value" lines. For each counter
 * found with a plain decimal value that fits in 64 bits, sets now[c] and found[c]; any
 * other line, and anything after a NUL, is ignored. */
void memory_events_parse(const char *text, size_t size, uint64_t now[_COUNTER_MAX], bool found[_COUNTER_MAX]);

/* memory.oom_control of the cgroup v1 memory controller: "oom_kill_disable 0|1",
 * "under_oom 0|1" and, since Linux 4.13, "oom_kill N" (the processes killed in it). */
typedef struct OomControl {
        bool kill_disable, under_oom;
        bool has_oom_kill;
        uint64_t oom_kill;
} OomControl;
/* -EBADMSG unless both flags are there, each 0 or 1; other lines as memory_events_parse(). */
int oom_control_parse(const char *text, size_t size, OomControl *ret);

/* The state file kept across restarts:
 *   jail NAME
 *   seen low=N high=N …      (the counters last read)
 *   tally high=N max=N …     (the Events property)
 *   above T T …              (the usage thresholds the usage was above)
 * Writing: the thresholds listed are those of THRESHOLDS whose bit is set in ABOVE. */
int watch_state_write(FILE *f, const char *name, const uint64_t seen[_COUNTER_MAX], const uint64_t tally[_TALLY_MAX],
                      const uint64_t *thresholds, size_t n_thresholds, const uint64_t *above);
/* Reading: sets what the file has (anything malformed is skipped), and the bit in ABOVE of
 * each of THRESHOLDS it lists; ABOVE has (n_thresholds + 63) / 64 words. */
void watch_state_read(FILE *f, uint64_t seen[_COUNTER_MAX], uint64_t tally[_TALLY_MAX], const uint64_t *thresholds,
                      size_t n_thresholds, uint64_t *above);

/* The text of memory.pressure: per line ("some", "full") the averages in hundredths of a
 * percent and the total stall time in microseconds. A line not found has found false. */
typedef struct PsiLine {
        bool found;
        uint64_t avg[3]; /* avg10, avg60, avg300, as 1234 for "12.34" */
        uint64_t total;
} PsiLine;
void psi_parse(const char *text, PsiLine ret[2]);
