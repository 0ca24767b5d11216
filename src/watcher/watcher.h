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

/* Where the memory controller is, and so how events come. Everything above the backend
 * (counters, bus, hooks, elastic memory, state, metrics) is the same for both. */
typedef enum CgroupBackend {
        CGROUP_V2, /* the unified hierarchy: memory.events (inotify), PSI triggers */
        CGROUP_V1, /* the legacy memory controller: eventfds through cgroup.event_control */
} CgroupBackend;

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
        uint64_t hook_runs, hook_failures; /* since the watcher started, for the metrics */

        Jail *config; /* NULL: no jail file found; signals only */
        uint64_t *above; /* bitmap over config->usage_thresholds: usage was >= threshold */

        int psi_fd; /* the PSI trigger (v2), the memory.pressure_level eventfd (v1) */
        sd_event_source *psi_source;

        /* cgroup v1 */
        int oom_efd, usage_efd;
        sd_event_source *oom_source, *usage_source;
        sd_event_source *oom_recheck; /* reads again shortly after an OOM: its kill comes after */
        unsigned oom_rechecks;        /* how many of those are left */
        uint64_t oom_pending;   /* OOM notifications read, not yet counted */
        uint64_t oom_credit;    /* OOMs counted from kills before their notification was read */
        uint64_t armed_max;     /* the limit the usage eventfd's thresholds are for */
        bool near_limit;        /* usage just below the limit: memory.failcnt is polled */
        bool oom_kill_disabled; /* elastic: the jail pauses at its limit instead of being killed */
        bool grow_refused;      /* systemd refused the last change of limits */

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
        CgroupBackend backend;
        char *cgroup_root; /* $VIRTUALING_CGROUP_ROOT, /sys/fs/cgroup or (v1) /sys/fs/cgroup/memory */
        char *slice_path;  /* cgroup_root/virtualing.slice */
        char *state_dir;   /* runtime dir/watcher */
        char *runtime_dir;
        char **config_dirs;

        int inotify_fd;
        sd_event_source *inotify_source;
        int root_wd, slice_wd;

        Hashmap *watches;  /* by name */
        Hashmap *totals;   /* JailTotals by name: the counters of runs that ended */
        Watch **dirty;     /* watches whose state file is behind; NULL entries were freed */
        size_t n_dirty, n_dirty_alloc;
        sd_bus_message **outbox; /* event signals waiting for manager_commit() */
        size_t n_outbox, n_outbox_alloc;
        Watch **by_wd;     /* inotify wd -> watch */
        size_t n_by_wd;

        sd_event_source *save_retry;  /* armed while some state could not be saved */
        sd_event_source *usage_timer; /* only while some jail has thresholds or shrinks */
        sd_event_source *metrics_timer;
        sd_event_source *metrics_refresh; /* rewrites the file with fresh readings, while jails are watched */
        usec_t metrics_interval;          /* $VIRTUALING_METRICS_INTERVAL; 0: no refresh */
        char *textfile_dir;               /* $VIRTUALING_TEXTFILE_DIR: node_exporter's; NULL: none */
        bool metrics_dirty;
        bool metrics_failing; /* writing the metrics file failed: said once */
        bool textfile_failing; /* the same for node_exporter's copy */

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

/* memory.events or its v1 twins changed (or were never read): one event per counter that rose. */
void watch_process(Watch *w);
void watch_report_pressure(Watch *w);
/* Jails polled every second: usage thresholds on v2, elastic memory, near the limit on v1. */
bool watch_polls(const Watch *w);
void manager_polling_changed(Manager *m, bool before, bool after);

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

/* cgroup-v1.c */
/* A small cgroup file NAME (relative to DIR_FD, or AT_FDCWD) into BUF, NUL-terminated; its
 * length or -errno. Opened without blocking, never following a symlink at the end. */
int cgroup_read_at(int dir_fd, const char *name, char *buf, size_t size);
int cgroup_backend_detect(const char *root, char **ret_root, CgroupBackend *ret);
const char *cgroup_backend_to_string(CgroupBackend b) _const_;
uint64_t v1_value(uint64_t v) _const_; /* "no limit" as UINT64_MAX */
uint64_t v1_near_limit(uint64_t max) _const_;
void v1_watch_start(Watch *w);
void v1_watch_stop(Watch *w);
int v1_read_counters(Watch *w, const char *dir, uint64_t now[_COUNTER_MAX], bool found[_COUNTER_MAX],
                     bool *ret_under_oom);
void v1_after_process(Watch *w, uint64_t current, uint64_t max, bool under_oom);
void v1_limits_changed(Watch *w, bool refused);
int v1_setup_pressure(Watch *w);

/* elastic.c */
void elastic_check(Watch *w, bool pressure_event, uint64_t current);

/* metrics.c */
/* A jail's counters over its runs that ended (their cgroups are gone), by name: the metrics'
 * counters of a jail go on from run to run, and what ended a run (an OOM kill) or ran after
 * it (its hook) is still counted, until the watcher stops. */
typedef struct JailTotals {
        char *name;
        uint64_t tally[_TALLY_MAX];
        uint64_t hook_runs, hook_failures;
} JailTotals;
JailTotals *metrics_totals(Manager *m, const char *name); /* found or added; NULL: out of memory */
void metrics_retire(Manager *m, const Watch *w);           /* W's counters into its totals */
void metrics_totals_free(Manager *m);
void metrics_mark_dirty(Manager *m);
int metrics_write(Manager *m);
/* At a clean exit: the copy for node_exporter goes, so that it serves nothing stale. */
void metrics_remove_textfile(Manager *m);
/* For the metrics: a file of the jail's cgroup into BUF; its length or -errno. */
int watch_read_file(Watch *w, const char *name, char *buf, size_t size);

/* logging: log.h (the journal, with structured fields for events) */
