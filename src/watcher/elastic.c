/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Elastic memory: grow MemoryMax by a step instead of letting the kernel kill, and give
 * it back when the jail no longer needs it. systemd stays the source of truth: every
 * change goes through SetUnitProperties, and the current limit is read from the cgroup. */
#include "watcher.h"

/* MemoryHigh follows MemoryMax: the jail's own distance below it, or 90 % of it. */
static uint64_t high_for(const Jail *j, uint64_t max, uint64_t old_max, uint64_t old_high) {
        if (j->memory_high_set && old_high != UINT64_MAX && old_high < old_max)
                return max - (old_max - old_high);
        return max / 10 * 9;
}

void elastic_check(Watch *w, bool pressure_event, uint64_t current) {
        const Jail *j = w->config;
        uint64_t max, high, configured = j->memory_max, step = j->memory_grow_step, new_max;
        usec_t now = 0;
        int r;

        if (w->grow_pending)
                return;
        max = watch_memory_max(w);
        if (max == UINT64_MAX)
                return; /* no limit to grow: nothing to do */
        high = watch_memory_high(w);
        (void) sd_event_now(w->manager->event, CLOCK_MONOTONIC, &now);

        /* grow: the kernel reported high/max, or usage reached 90 % of the limit */
        if (pressure_event || current >= max / 10 * 9) {
                w->below_since = 0;
                if (max >= j->memory_grow_limit)
                        return;
                if (w->last_grow != 0 && now < w->last_grow + j->memory_grow_interval)
                        return;
                new_max = max + step > j->memory_grow_limit ? j->memory_grow_limit : max + step;
                r = bus_set_memory_limits(w, new_max, high_for(j, new_max, max, high), true, NULL, "grow");
                if (r < 0) {
                        log_error_errno(r, "Failed to grow the memory of jail %s: %m", w->name);
                        return;
                }
                w->grow_pending = true;
                w->last_grow = now;
                return;
        }

        /* shrink: usage below (max - 2 steps) for MemoryShrinkAfterSec, never under the configured max */
        if (j->memory_shrink_after == 0 || j->memory_shrink_after == USEC_INFINITY || max <= configured ||
            max < 2 * step || current >= max - 2 * step) {
                w->below_since = 0;
                return;
        }
        if (w->below_since == 0) {
                w->below_since = now;
                return;
        }
        if (now < w->below_since + j->memory_shrink_after)
                return;
        new_max = max - step < configured ? configured : max - step;
        r = bus_set_memory_limits(w, new_max, high_for(j, new_max, max, high), true, NULL, "shrink");
        if (r < 0) {
                log_error_errno(r, "Failed to shrink the memory of jail %s: %m", w->name);
                return;
        }
        w->grow_pending = true;
        w->below_since = 0;
}
