/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"

#define WATCHER_BUS_NAME "org.virtualing1"
#define WATCHER_MANAGER_PATH "/org/virtualing1"
#define WATCHER_JAIL_PREFIX "/org/virtualing1/jail"
#define WATCHER_MANAGER_IFACE "org.virtualing1.Manager"
#define WATCHER_JAIL_IFACE "org.virtualing1.Jail"

/* The properties of one of the watcher's Jail objects. */
typedef struct WatchedJail {
        char *name, *path, *unit, *cgroup;
        char *backend; /* the watcher's CgroupBackend, NULL if it does not say */
        uint64_t memory_current, memory_max, memory_high; /* UINT64_MAX: unknown (current) or no limit */
        bool have_memory_current, have_memory_max, have_memory_high;
        char **event_names; /* with event_counts[], in the watcher's order */
        uint64_t *event_counts;
        size_t n_events;
        bool have_events;
} WatchedJail;

void watched_jail_clear(WatchedJail *j);
static inline void watched_jail_clearp(WatchedJail *j) {
        watched_jail_clear(j);
}
uint64_t watched_jail_events_total(const WatchedJail *j);

typedef struct WatchedJails {
        WatchedJail *items;
        size_t n;
} WatchedJails;

void watched_jails_clear(WatchedJails *l);
static inline void watched_jails_clearp(WatchedJails *l) {
        watched_jails_clear(l);
}
const WatchedJail *watched_jails_find(const WatchedJails *l, const char *name);

/* The bus of $DBUS_SYSTEM_BUS_ADDRESS or the system bus. */
int bus_open(sd_bus **ret);

/* Every jail the watcher watches (one GetManagedObjects call). The watcher is not
 * started for this: -ESRCH when it is not running. */
int watcher_list_jails(sd_bus *bus, WatchedJails *ret, sd_bus_error *error);
/* One jail: -ESRCH when the watcher is not running, -ENOENT when it does not watch NAME. */
int watcher_get_jail(sd_bus *bus, const char *name, WatchedJail *ret, sd_bus_error *error);

/* What systemd says of a unit. */
typedef struct UnitInfo {
        char *load_state, *active_state, *sub_state, *fragment;
        uint64_t active_enter_timestamp, inactive_enter_timestamp; /* realtime µs, 0 if never */
        uint32_t main_pid;
        uint64_t memory_current, memory_max, memory_high, cpu_quota_per_sec_usec, tasks_max;
        bool loaded; /* false: systemd does not have it loaded; states are inactive/dead */
        char *result;             /* a service's Result: "success", "exit-code", … */
        char invocation_id[33];   /* of its last run, in hex; "" if none */
} UnitInfo;

void unit_info_clear(UnitInfo *u);
static inline void unit_info_clearp(UnitInfo *u) {
        unit_info_clear(u);
}
/* GetUnit, and LoadUnit when load is true and the unit is not loaded. full: also the
 * service/scope properties (MainPID, limits). Returns 0, or a negative errno with error set. */
int systemd_unit_info(sd_bus *bus, const char *unit, bool load, bool full, UnitInfo *ret, sd_bus_error *error);

/* "virtualing@NAME.service" */
char *jail_unit_name(const char *name);

/* A message for a failed call: the D-Bus error's text, else strerror. */
const char *bus_error_text(const sd_bus_error *e, int r);
