/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "jail.h"

/* Hooks: the [Events] On…= commands of a jail, run outside the jail when an event
 * arrives. One run per (jail, event) at a time; events arriving meanwhile are coalesced
 * into exactly one more run with the latest values. A run executes the event's commands
 * one after another; each is killed (its whole process group) after the timeout. */

typedef struct HookValues {
        uint64_t count;          /* VIRTUALING_COUNT: the increase this event reports */
        uint64_t memory_current; /* VIRTUALING_MEMORY_CURRENT */
        uint64_t memory_max;     /* VIRTUALING_MEMORY_MAX; UINT64_MAX is written "infinity" */
        uint64_t threshold;      /* usage only: VIRTUALING_THRESHOLD */
        const char *direction;   /* usage only: "up" or "down", VIRTUALING_DIRECTION */
} HookValues;

typedef struct HookRunner HookRunner;

/* All hooks of the watcher; outlives any one jail, so a hook started for a jail that
 * then disappears (an OOM kill ends the unit) still runs to its end. */
int hook_runner_new(sd_event *e, HookRunner **ret);
HookRunner *hook_runner_free(HookRunner *r); /* kills running hooks */
DEFINE_TRIVIAL_CLEANUP_FUNC(HookRunner *, hook_runner_free);

/* Starts the hook for (jail, event), or marks one more run when one is running, keeping
 * only the latest values. Copies everything it needs: the arguments need not outlive the
 * call. commands: n_commands argv vectors. timeout: USEC_INFINITY for none. */
int hook_runner_fire(HookRunner *r, const char *jail, const char *unit, const char *cgroup, JailEvent event,
                     char ***commands, size_t n_commands, usec_t timeout, const HookValues *values);

/* For tests and metrics: runs started, runs coalesced away, commands killed at the timeout
 * (counted there only), and commands that failed (non-zero exit, a signal we did not send,
 * or could not be started: logged, and the run goes on with the next command). */
typedef struct HookStats {
        uint64_t started, coalesced, timed_out, failed;
} HookStats;
void hook_runner_stats(const HookRunner *r, HookStats *ret);
/* Tells NOTIFY of each run started (failed false) and each command that failed or was
 * killed at the timeout (failed true), with the jail's name: the per-jail counters of the
 * metrics. */
typedef void (*hook_notify_t)(const char *jail, bool failed, void *userdata);
void hook_runner_set_notify(HookRunner *r, hook_notify_t notify, void *userdata);
/* Number of hook processes running right now. */
size_t hook_runner_running(const HookRunner *r);
