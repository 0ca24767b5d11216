/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "counters.h"
#include "hashmap.h"
#include "hook.h"
#include "jail.h"
#include "log.h"

typedef struct Manager Manager;

/* One jail cgroup being watched. Kept small: 10,000 of them fit in a few MiB. */
typedef struct Watch {
        Manager *manager;
        char *name;   /* jail name */
        char *unit;   /* virtualing@NAME.service or virtualing-NAME.scope */
        char *cgroup; /* "/virtualing.slice/UNIT", as systemd names it */
        char *path;   /* D-Bus object path */
        uint64_t cgroup_id;
        int wd; /* inotify watch of memory.events */

        uint64_t seen[_COUNTER_MAX];
        uint64_t current, max, high; /* as last read, for the metrics file */
        uint64_t tally[_TALLY_MAX];

        Jail *config; /* NULL: no jail file found; signals only */
        uint64_t *above; /* bitmap over config->usage_thresholds: usage was >= threshold */

        int psi_fd;
        sd_event_source *psi_source;

        usec_t last_grow;   /* elastic memory: when the limit last changed */
        usec_t below_since; /* usage low enough to shrink since then, 0: not */
        bool grow_pending;  /* a SetUnitProperties call is under way */
        bool dirty;          /* state file needs writing */
        bool prepared;       /* its new state is in the temporary file, to be renamed */
        bool save_failing;   /* saving failed: said once, retried every second */
        bool events_changed; /* PropertiesChanged(Events) due at the next commit */
} Watch;

struct Manager {
        sd_event *event;
        sd_bus *bus;
        char *cgroup_root; /* $VIRTUALING_CGROUP_ROOT or /sys/fs/cgroup */
        char *slice_path;  /* cgroup_root/virtualing.slice */
        char *state_dir;   /* runtime dir/watcher */
        char *runtime_dir;
        char **config_dirs;

        int inotify_fd;
        sd_event_source *inotify_source;
        int root_wd, slice_wd;

        Hashmap *watches;  /* by name */
        Watch **dirty;     /* watches whose state file is behind; NULL entries were freed */
        size_t n_dirty, n_dirty_alloc;
        sd_bus_message **outbox; /* event signals waiting for manager_commit() */
        size_t n_outbox, n_outbox_alloc;
        Watch **by_wd;     /* inotify wd -> watch */
        size_t n_by_wd;

        sd_event_source *save_retry;  /* armed while some state could not be saved */
        sd_event_source *usage_timer; /* only while some jail has thresholds or shrinks */
        sd_event_source *metrics_timer;
        bool metrics_dirty;
        bool metrics_failing; /* writing the metrics file failed: said once */

        HookRunner *hooks;
        size_t n_polling; /* watches with thresholds or elastic memory: the usage timer's */
        sd_bus_slot *manager_slot, *jail_slot, *enumerator_slot, *object_manager_slot;
};

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);
int manager_start(Manager *m); /* discovery: existing jails and the inotify watches */
int manager_reload(Manager *m); /* re-read every jail's configuration */

Watch *manager_get_watch(Manager *m, const char *name);
/* The state of W changed: saved by the next manager_commit(), which every handler calls
 * once its signals are queued. */
void watch_mark_dirty(Watch *w);
void manager_commit(Manager *m);
Watch *manager_find_watch_by_path(Manager *m, const char *path);

/* Live values from the cgroup (also kept in the watch); UINT64_MAX for "max" or unreadable. */
uint64_t watch_memory_current(Watch *w);
uint64_t watch_memory_max(Watch *w);
uint64_t watch_memory_high(Watch *w);

/* bus.c */
int bus_setup(Manager *m);
int bus_emit_jail_added(Manager *m, Watch *w, bool added);
int bus_emit_memory_event(Watch *w, Counter c, uint64_t count, uint64_t current, uint64_t max);
int bus_emit_usage_crossed(Watch *w, uint64_t threshold, const char *direction, uint64_t current);
int bus_emit_pressure(Watch *w, const char *kind);
int bus_emit_limit_changed(Watch *w, uint64_t old_max, uint64_t new_max, const char *reason);
/* False if a signal could not be sent. */
bool bus_send_outbox(Manager *m);
int bus_emit_properties_changed(Watch *w, const char *property, ...);
/* SetUnitProperties through systemd, asynchronously; callback with the result. */
typedef void (*set_limits_cb)(Watch *w, int error, void *userdata);
int bus_set_memory_limits(Watch *w, uint64_t memory_max, uint64_t memory_high, bool set_high,
                          sd_bus_message *reply_to, const char *reason);

/* elastic.c */
void elastic_check(Watch *w, bool pressure_event, uint64_t current);

/* metrics.c */
void metrics_mark_dirty(Manager *m);
int metrics_write(Manager *m);

/* logging: log.h (the journal, with structured fields for events) */
