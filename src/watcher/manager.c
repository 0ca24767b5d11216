/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discovery of jail cgroups in virtualing.slice, memory.events, usage thresholds, PSI,
 * and the seen counters kept under the runtime directory across restarts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail-load.h"
#include "parse-util.h"
#include "strv.h"
#include "watcher.h"

#define MESSAGE_ID_MEMORY_EVENT "ed40ed95db114bcea3d500e20aa8a6fd"
#define MESSAGE_ID_USAGE "aff3d53d3f3d47acb1e565ca3f10faa3"
#define MESSAGE_ID_PRESSURE "654bfa8e94ee4c878238b4ee66fd6abf"
#define USAGE_POLL_USEC USEC_PER_SEC

/* ---- journal records of events ---- */

/* One record per event: MESSAGE_ID=, VIRTUALING_JAIL=, VIRTUALING_UNIT=, VIRTUALING_EVENT= and
 * EXTRA ("KEY=value", NULL-terminated). */
_printf_(6, 7) static void log_event(Watch *w, int level, const char *message_id, const char *event,
                                     char * const *extra, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *f_id = NULL, *f_jail = NULL, *f_unit = NULL, *f_event = NULL;
        char *fields[16];
        size_t n = 0;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(&f_id, "MESSAGE_ID=%s", message_id) < 0 ||
            asprintf(&f_jail, "VIRTUALING_JAIL=%s", w->name) < 0 ||
            asprintf(&f_unit, "VIRTUALING_UNIT=%s", w->unit) < 0 ||
            asprintf(&f_event, "VIRTUALING_EVENT=%s", event) < 0) {
                log_error("Out of memory: an event of jail %s is not in the journal.", w->name);
                return;
        }
        fields[n++] = f_id;
        fields[n++] = f_jail;
        fields[n++] = f_unit;
        fields[n++] = f_event;
        for (char * const *e = extra; e && *e && n < ELEMENTSOF(fields) - 1; e++)
                fields[n++] = *e;
        fields[n] = NULL;
        log_struct(level, fields, "%s", msg);
}

/* ---- small file helpers ---- */

static int read_file_at(const char *dir, const char *name, char *buf, size_t size) {
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return cgroup_read_at(AT_FDCWD, path, buf, size);
}

static uint64_t read_u64_file(const char *dir, const char *name) {
        char buf[64];
        uint64_t v;

        if (read_file_at(dir, name, buf, sizeof(buf)) < 0)
                return UINT64_MAX;
        buf[strcspn(buf, "\n")] = 0;
        if (streq(buf, "max") || parse_uint64(buf, &v) < 0)
                return UINT64_MAX;
        return v;
}

static char *watch_dir(Watch *w) {
        char *p = NULL;
        if (asprintf(&p, "%s%s", w->manager->cgroup_root, w->cgroup) < 0)
                return NULL;
        return p;
}

int watch_read_file(Watch *w, const char *name, char *buf, size_t size) {
        _cleanup_free_ char *dir = watch_dir(w);

        if (!dir)
                return -ENOMEM;
        return read_file_at(dir, name, buf, size);
}

static uint64_t watch_read(Watch *w, const char *file) {
        _cleanup_free_ char *dir = watch_dir(w);
        uint64_t v = dir ? read_u64_file(dir, file) : UINT64_MAX;
        return w->manager->backend == CGROUP_V1 ? v1_value(v) : v;
}

uint64_t watch_memory_current(Watch *w) {
        return w->current = watch_read(w, w->manager->backend == CGROUP_V1 ? "memory.usage_in_bytes" : "memory.current");
}

uint64_t watch_memory_max(Watch *w) {
        return w->max = watch_read(w, w->manager->backend == CGROUP_V1 ? "memory.limit_in_bytes" : "memory.max");
}

uint64_t watch_memory_high(Watch *w) {
        /* v1 has no MemoryHigh */
        return w->high = w->manager->backend == CGROUP_V1 ? UINT64_MAX : watch_read(w, "memory.high");
}

/* ---- the state kept across restarts, one file per cgroup id ---- */

static int state_path(Watch *w, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s/%" PRIu64, w->manager->state_dir, w->cgroup_id);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* Phase one of saving: the new state in a temporary file beside the real one. */
static int watch_prepare(Watch *w) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[4096], tmp[4200];
        size_t n_thr = w->config ? w->config->n_usage_thresholds : 0;
        int fd, r;

        r = state_path(w, path, sizeof(path));
        if (r < 0)
                return r;
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        return watch_state_write(f, w->name, w->seen, w->tally, w->config ? w->config->usage_thresholds : NULL, n_thr,
                                 w->above);
}

void watch_mark_dirty(Watch *w) {
        Manager *m = w->manager;

        if (w->dirty)
                return;
        if (m->n_dirty >= m->n_dirty_alloc) {
                size_t n = m->n_dirty_alloc ? m->n_dirty_alloc * 2 : 64;
                Watch **d = realloc(m->dirty, n * sizeof(Watch *));
                if (!d) {
                        log_error_errno(-ENOMEM, "Out of memory: the state of jail %s is not saved.", w->name);
                        return;
                }
                m->dirty = d;
                m->n_dirty_alloc = n;
        }
        m->dirty[m->n_dirty++] = w;
        w->dirty = true;
}

static void save_failed(Watch *w, int r, const char *tmp_to_remove) {
        if (tmp_to_remove)
                (void) unlink(tmp_to_remove);
        w->prepared = false;
        if (!w->save_failing)
                log_error_errno(r, "Failed to save the state of jail %s: %m; retrying every second (a watcher "
                                "restarted meanwhile would report its latest events again).", w->name);
        w->save_failing = true;
}

static int on_save_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->save_retry = sd_event_source_disable_unref(m->save_retry);
        manager_commit(m);
        return 0;
}

/* Saves every changed jail and sends what it signalled. A restart must neither lose nor
 * repeat events: the new states are written to temporary files first, then the signals
 * that waited in the outbox go on the wire, then the states are renamed into place. Only a
 * kill between the first send and the renames (microseconds) makes a restarted watcher
 * report that last batch again; nothing is ever lost. Signals that could not be sent
 * because the bus is gone leave the states as they were: the restarted watcher reports
 * those events. A state that cannot be saved stays due and is tried again every second. */
void manager_commit(Manager *m) {
        bool sent = true;
        size_t kept = 0;
        int r;

        for (size_t i = 0; i < m->n_dirty; i++) {
                Watch *w = m->dirty[i];
                if (!w)
                        continue;
                r = watch_prepare(w);
                if (r < 0)
                        save_failed(w, r, NULL);
                else
                        w->prepared = true;
        }
        if (m->bus) {
                sent = bus_send_outbox(m);
                if (sd_bus_flush(m->bus) < 0)
                        sent = false;
        }
        for (size_t i = 0; i < m->n_dirty; i++) {
                Watch *w = m->dirty[i];
                char path[4096], tmp[4200];

                if (!w)
                        continue;
                if (w->events_changed) {
                        w->events_changed = false;
                        (void) bus_emit_properties_changed(w, "Events", NULL);
                }
                if (!w->prepared) {
                        m->dirty[kept++] = w; /* retried */
                        continue;
                }
                w->prepared = false;
                r = state_path(w, path, sizeof(path));
                if (r < 0) {
                        save_failed(w, r, NULL);
                        m->dirty[kept++] = w;
                        continue;
                }
                snprintf(tmp, sizeof(tmp), "%s.tmp", path);
                if (!sent && m->bus && !sd_bus_is_open(m->bus)) {
                        (void) unlink(tmp); /* not reported: the state stays behind them */
                        w->dirty = false;
                        continue;
                }
                if (rename(tmp, path) < 0) {
                        save_failed(w, -errno, tmp);
                        m->dirty[kept++] = w;
                        continue;
                }
                if (w->save_failing)
                        log_info("The state of jail %s is saved again.", w->name);
                w->save_failing = false;
                w->dirty = false;
        }
        if (m->n_dirty > 0)
                metrics_mark_dirty(m);
        m->n_dirty = kept;
        if (kept > 0 && !m->save_retry) {
                r = sd_event_add_time_relative(m->event, &m->save_retry, CLOCK_MONOTONIC, USEC_PER_SEC, 0,
                                               on_save_retry, m);
                if (r < 0)
                        log_error_errno(r, "Failed to arm the retry of saving states: %m");
        }
}

/* 1: state found (a cgroup we knew), 0: a new cgroup, everything it reports is new */
static int watch_load_state(Watch *w) {
        _cleanup_fclose_ FILE *f = NULL;
        char path[4096];

        if (state_path(w, path, sizeof(path)) < 0)
                return 0;
        f = fopen(path, "re");
        if (!f)
                return 0;
        watch_state_read(f, w->seen, w->tally, w->config ? w->config->usage_thresholds : NULL,
                         w->config ? w->config->n_usage_thresholds : 0, w->above);
        return 1;
}

static void watch_remove_state(Watch *w) {
        char path[4096];

        if (state_path(w, path, sizeof(path)) >= 0)
                (void) unlink(path);
}

/* ---- reporting ---- */

static JailEvent counter_event(Counter c) {
        switch (c) {
        case COUNTER_HIGH:
                return JAIL_EVENT_HIGH;
        case COUNTER_MAX:
                return JAIL_EVENT_MAX;
        case COUNTER_OOM:
                return JAIL_EVENT_OOM;
        case COUNTER_OOM_KILL:
                return JAIL_EVENT_OOM_KILL;
        default:
                return _JAIL_EVENT_INVALID;
        }
}

static Tally counter_tally(Counter c) {
        return (Tally) (c - COUNTER_HIGH); /* same order, without "low" */
}

static void fire_hooks(Watch *w, JailEvent e, const HookValues *v) {
        int r;

        if (!w->config || e < 0 || w->config->n_hooks[e] == 0)
                return;
        r = hook_runner_fire(w->manager->hooks, w->name, w->unit, w->cgroup, e, w->config->hooks[e],
                             w->config->n_hooks[e], w->config->hook_timeout, v);
        if (r < 0)
                log_error_errno(r, "Failed to run the %s hook of jail %s: %m", jail_event_to_string(e), w->name);
}

static void check_usage(Watch *w, uint64_t current) {
        if (!w->config)
                return;
        for (size_t i = 0; i < w->config->n_usage_thresholds; i++) {
                uint64_t t = w->config->usage_thresholds[i], bit = UINT64_C(1) << (i % 64);
                bool above = current != UINT64_MAX && current >= t, was = w->above[i / 64] & bit;
                const char *dir = above ? "up" : "down";
                HookValues v;

                if (above == was || current == UINT64_MAX)
                        continue;
                w->above[i / 64] ^= bit;
                w->tally[above ? TALLY_USAGE_UP : TALLY_USAGE_DOWN]++;
                watch_mark_dirty(w);
                (void) bus_emit_usage_crossed(w, t, dir, current);
                {
                        char f_threshold[64], f_direction[64], f_current[64];
                        char *extra[] = { f_threshold, f_direction, f_current, NULL };

                        snprintf(f_threshold, sizeof(f_threshold), "VIRTUALING_THRESHOLD=%" PRIu64, t);
                        snprintf(f_direction, sizeof(f_direction), "VIRTUALING_DIRECTION=%s", dir);
                        snprintf(f_current, sizeof(f_current), "VIRTUALING_MEMORY_CURRENT=%" PRIu64, current);
                        log_event(w, LOG_NOTICE, MESSAGE_ID_USAGE, "usage", extra,
                                  "Jail %s: memory usage %" PRIu64 " crossed %" PRIu64 " going %s", w->name, current,
                                  t, dir);
                }
                v = (HookValues) { .count = 1, .memory_current = current, .memory_max = watch_memory_max(w),
                                   .threshold = t, .direction = dir };
                fire_hooks(w, JAIL_EVENT_USAGE, &v);
                w->events_changed = true;
        }
}

bool watch_polls(const Watch *w) {
        if (w->manager->backend == CGROUP_V1) /* thresholds come by eventfd */
                return w->near_limit || (w->config && jail_is_elastic(w->config));
        return w->config && (w->config->n_usage_thresholds > 0 || jail_is_elastic(w->config));
}

void watch_process(Watch *w) {
        _cleanup_free_ char *dir = watch_dir(w);
        uint64_t now[_COUNTER_MAX];
        bool rose[_COUNTER_MAX] = {}, any = false, found[_COUNTER_MAX] = {}, under_oom = false;
        bool v1 = w->manager->backend == CGROUP_V1;
        uint64_t current = UINT64_MAX, max = UINT64_MAX;
        char buf[1024];
        int r;

        if (!dir)
                return;
        memcpy(now, w->seen, sizeof(now));
        if (v1)
                r = v1_read_counters(w, dir, now, found, &under_oom);
        else {
                r = read_file_at(dir, "memory.events", buf, sizeof(buf));
                if (r >= 0)
                        memory_events_parse(buf, (size_t) r, now, found);
        }
        if (r < 0) {
                if (r != -ENOENT)
                        log_error_errno(r, "Failed to read %s of jail %s: %m",
                                        v1 ? "memory.oom_control" : "memory.events", w->name);
                return;
        }

        for (Counter c = COUNTER_HIGH; c < _COUNTER_MAX; c++) {
                if (!found[c])
                        continue;
                if (now[c] > w->seen[c])
                        rose[c] = any = true;
                else if (now[c] < w->seen[c]) {
                        /* counters only grow within one cgroup: take the new base, report nothing */
                        w->seen[c] = now[c];
                        watch_mark_dirty(w);
                }
        }

        if (any || v1 || watch_polls(w))
                current = watch_memory_current(w);
        if (any) {
                char maxs[32];

                max = watch_memory_max(w);
                snprintf(maxs, sizeof(maxs), "%" PRIu64, max);
                for (Counter c = COUNTER_HIGH; c < _COUNTER_MAX; c++) {
                        uint64_t count;
                        HookValues v;

                        if (!rose[c])
                                continue;
                        count = now[c] - w->seen[c];
                        w->seen[c] = now[c];
                        w->tally[counter_tally(c)] += count;
                        watch_mark_dirty(w);
                        (void) bus_emit_memory_event(w, c, count, current, max);
                        {
                                char f_count[64], f_current[64], f_max[64];
                                char *extra[] = { f_count, f_current, f_max, NULL };

                                snprintf(f_count, sizeof(f_count), "VIRTUALING_COUNT=%" PRIu64, count);
                                snprintf(f_current, sizeof(f_current), "VIRTUALING_MEMORY_CURRENT=%" PRIu64, current);
                                snprintf(f_max, sizeof(f_max), "VIRTUALING_MEMORY_MAX=%s",
                                         max == UINT64_MAX ? "infinity" : maxs);
                                log_event(w, c >= COUNTER_OOM ? LOG_WARNING : LOG_NOTICE, MESSAGE_ID_MEMORY_EVENT,
                                          counter_to_string(c), extra, "Jail %s: memory event %s (+%" PRIu64 ")",
                                          w->name, counter_to_string(c), count);
                        }
                        v = (HookValues) { .count = count, .memory_current = current, .memory_max = max };
                        fire_hooks(w, counter_event(c), &v);
                }
                w->events_changed = true;
        }
        if (w->config && current != UINT64_MAX) {
                check_usage(w, current);
                if (jail_is_elastic(w->config))
                        elastic_check(w, rose[COUNTER_HIGH] || rose[COUNTER_MAX] || under_oom, current);
        }
        if (v1)
                v1_after_process(w, current, any ? max : watch_memory_max(w), under_oom);
}

/* ---- PSI ---- */

void watch_report_pressure(Watch *w) {
        const char *kind = pressure_kind_to_string(w->config ? w->config->pressure_kind : PRESSURE_SOME);
        HookValues v;

        w->tally[TALLY_PRESSURE]++;
        watch_mark_dirty(w);
        (void) bus_emit_pressure(w, kind);
        log_event(w, LOG_NOTICE, MESSAGE_ID_PRESSURE, "pressure", NULL,
                  "Jail %s: memory pressure (%s) above its threshold", w->name, kind);
        v = (HookValues) { .count = 1, .memory_current = watch_memory_current(w), .memory_max = watch_memory_max(w) };
        fire_hooks(w, JAIL_EVENT_PRESSURE, &v);
        w->events_changed = true;
}

static int on_pressure(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watch *w = userdata;

        if (revents & (EPOLLERR | EPOLLHUP)) {
                /* the cgroup is going away */
                w->psi_source = sd_event_source_disable_unref(w->psi_source);
                w->psi_fd = safe_close(w->psi_fd);
                return 0;
        }
        watch_report_pressure(w);
        manager_commit(w->manager);
        return 0;
}

static void watch_setup_pressure(Watch *w) {
        _cleanup_free_ char *dir = watch_dir(w), *path = NULL;
        char trigger[64];
        int r;

        if (!w->config || !w->config->pressure_set || !dir)
                return;
        if (w->manager->backend == CGROUP_V1) {
                r = v1_setup_pressure(w);
                if (r < 0)
                        log_error_errno(r, "Failed to watch the memory pressure level of jail %s: %m", w->name);
                return;
        }
        if (asprintf(&path, "%s/memory.pressure", dir) < 0)
                return;
        w->psi_fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (w->psi_fd < 0) {
                log_error_errno(-errno, "Failed to open %s: %m", path);
                return;
        }
        snprintf(trigger, sizeof(trigger), "%s %" PRIu64 " %" PRIu64, pressure_kind_to_string(w->config->pressure_kind),
                 w->config->pressure_stall, w->config->pressure_window);
        if (write(w->psi_fd, trigger, strlen(trigger) + 1) < 0) {
                log_error_errno(-errno, "Failed to set the pressure trigger '%s' on %s: %m", trigger, path);
                w->psi_fd = safe_close(w->psi_fd);
                return;
        }
        r = sd_event_add_io(w->manager->event, &w->psi_source, w->psi_fd, EPOLLPRI, on_pressure, w);
        if (r < 0) {
                log_error_errno(r, "Pressure notifications are not available for %s: %m", path);
                w->psi_fd = safe_close(w->psi_fd);
        }
}

/* ---- watches ---- */

static Watch *watch_free(Watch *w) {
        if (!w)
                return NULL;
        if (w->dirty)
                for (size_t i = 0; i < w->manager->n_dirty; i++)
                        if (w->manager->dirty[i] == w)
                                w->manager->dirty[i] = NULL;
        if (w->wd >= 0) {
                if (w->manager->inotify_fd >= 0)
                        (void) inotify_rm_watch(w->manager->inotify_fd, w->wd);
                if ((size_t) w->wd < w->manager->n_by_wd && w->manager->by_wd[w->wd] == w)
                        w->manager->by_wd[w->wd] = NULL;
        }
        if (w->manager->backend == CGROUP_V1)
                v1_watch_stop(w); /* and the OOM killer back, if it was held off */
        sd_event_source_disable_unref(w->psi_source);
        safe_close(w->psi_fd);
        jail_free(w->config);
        free(w->above);
        free(w->name);
        free(w->unit);
        free(w->cgroup);
        free(w->path);
        free(w);
        return NULL;
}

/* "virtualing@NAME.service" or "virtualing-NAME.scope" -> NAME */
static char *jail_name_from_unit(const char *unit) {
        size_t n = strlen(unit);
        char *name = NULL;

        if (strncmp(unit, "virtualing@", 11) == 0 && n > 11 + 8 && streq(unit + n - 8, ".service"))
                name = strndup(unit + 11, n - 11 - 8);
        else if (strncmp(unit, "virtualing-", 11) == 0 && n > 11 + 6 && streq(unit + n - 6, ".scope"))
                name = strndup(unit + 11, n - 11 - 6);
        if (name && !jail_name_is_valid(name))
                name = mfree(name);
        return name;
}

static void watch_load_config(Watch *w) {
        _cleanup_(jail_diags_clearp) JailDiags diags = {};
        Jail *j = NULL;
        int r;

        r = jail_load(w->name, jail_load_flags_default(), &j, &diags);
        if (r == -ENOENT || r == -ERFKILL) {
                log_info("No jail file for %s%s: reporting its events without hooks.", w->name,
                         r == -ERFKILL ? " (masked)" : "");
                w->config = jail_free(w->config);
                w->above = mfree(w->above);
                return;
        }
        if (r < 0) {
                _cleanup_free_ char *first = diags.n > 0 ? jail_diag_format(&diags.items[0]) : NULL;
                if (w->config)
                        log_warning("%s, keeping the previous configuration of jail %s.", first ?: strerror(-r),
                                    w->name);
                else
                        log_warning("%s: reporting the events of jail %s without hooks.", first ?: strerror(-r),
                                    w->name);
                return;
        }
        uint64_t *above = calloc((j->n_usage_thresholds + 63) / 64 + 1, sizeof(uint64_t));
        if (!above) {
                jail_free(j);
                return;
        }
        /* thresholds that stay keep their state */
        if (w->config)
                for (size_t i = 0; i < j->n_usage_thresholds; i++)
                        for (size_t k = 0; k < w->config->n_usage_thresholds; k++)
                                if (w->config->usage_thresholds[k] == j->usage_thresholds[i] &&
                                    (w->above[k / 64] & (UINT64_C(1) << (k % 64))))
                                        above[i / 64] |= UINT64_C(1) << (i % 64);
        jail_free(w->config);
        free(w->above);
        w->config = j;
        w->above = above;
}

static void manager_update_timer(Manager *m);

/* Follows memory.events of W (at EVENTS) with inotify; the slot in by_wd is made ready. */
static int watch_add_inotify(Watch *w, const char *events) {
        Manager *m = w->manager;

        w->wd = inotify_add_watch(m->inotify_fd, events, IN_MODIFY);
        if (w->wd < 0)
                return -errno;
        if ((size_t) w->wd >= m->n_by_wd) {
                size_t n = (size_t) w->wd * 2 + 16;
                Watch **b = realloc(m->by_wd, n * sizeof(Watch *));
                if (!b)
                        return -ENOMEM;
                memset(b + m->n_by_wd, 0, (n - m->n_by_wd) * sizeof(Watch *));
                m->by_wd = b;
                m->n_by_wd = n;
        }
        /* the same file again: an old cgroup of that inode, gone without notice */
        m->by_wd[w->wd] = NULL;
        return 0;
}

static int manager_add_watch(Manager *m, const char *unit) {
        _cleanup_free_ char *name = jail_name_from_unit(unit), *dir = NULL, *events = NULL;
        Watch *w;
        struct stat st;
        bool fresh;
        int r;

        if (!name)
                return 0; /* not ours */
        w = hashmap_get(m->watches, name);
        if (w) {
                if (streq(w->unit, unit))
                        return 0;
                log_warning("Jail %s runs as both %s and %s; watching %s.", name, w->unit, unit, w->unit);
                return 0;
        }
        if (asprintf(&dir, "%s/%s", m->slice_path, unit) < 0 ||
            asprintf(&events, "%s/%s", dir, m->backend == CGROUP_V1 ? "memory.oom_control" : "memory.events") < 0)
                return -ENOMEM;
        if (stat(dir, &st) < 0)
                return errno == ENOENT ? 0 : log_error_errno(-errno, "Failed to stat %s: %m", dir);

        w = calloc(1, sizeof(Watch));
        if (!w)
                return -ENOMEM;
        *w = (Watch) { .manager = m, .name = TAKE_PTR(name), .cgroup_id = st.st_ino, .wd = -1, .psi_fd = -EBADF,
                       .oom_efd = -EBADF, .usage_efd = -EBADF };
        w->unit = strdup(unit);
        if (!w->unit || asprintf(&w->cgroup, "/virtualing.slice/%s", unit) < 0 ||
            sd_bus_path_encode("/org/virtualing1/jail", w->name, &w->path) < 0) {
                watch_free(w);
                return -ENOMEM;
        }
        /* v2: memory.events, followed with inotify; v1: eventfds, registered below once the
         * jail's configuration is known */
        r = m->backend == CGROUP_V1 ? (access(events, F_OK) < 0 ? -errno : 0) : watch_add_inotify(w, events);
        if (r < 0) {
                watch_free(w);
                if (r == -ENOENT)
                        return 0; /* gone already, or no memory controller */
                return log_error_errno(r, "Failed to watch %s: %m", events);
        }
        r = hashmap_put(m->watches, w->name, w);
        if (r < 0) {
                watch_free(w);
                return r;
        }
        if (w->wd >= 0)
                m->by_wd[w->wd] = w;

        watch_load_config(w);
        fresh = watch_load_state(w) == 0;
        if (fresh && w->config && jail_is_elastic(w->config) && w->config->memory_max_set) {
                /* limits grown for an earlier run of this jail are runtime settings of the unit
                 * that outlive it: a new cgroup starts again from the configured ones */
                uint64_t max = watch_memory_max(w), high;
                if (max != UINT64_MAX && max != w->config->memory_max) {
                        bool has_high = jail_effective_memory_high(w->config, &high);
                        r = bus_set_memory_limits(w, w->config->memory_max, has_high ? high : UINT64_MAX, true, NULL,
                                                  "reset");
                        if (r < 0)
                                log_error_errno(r, "Failed to reset the memory limits of jail %s: %m", w->name);
                        else
                                w->grow_pending = true;
                }
        }
        if (m->backend == CGROUP_V1)
                v1_watch_start(w); /* before the first reading: nothing slips between */
        watch_setup_pressure(w);
        (void) bus_emit_jail_added(m, w, true);
        log_info("Watching jail %s (%s).", w->name, w->unit);
        /* what happened before we looked, or while we were not running */
        watch_process(w);
        watch_mark_dirty(w);
        /* limits and use for the metrics file, which must not read 10,000 cgroups itself */
        (void) watch_memory_max(w);
        (void) watch_memory_high(w);
        (void) watch_memory_current(w);
        if (watch_polls(w)) {
                m->n_polling++;
                manager_update_timer(m);
        }
        return 0;
}

static void manager_remove_watch(Manager *m, Watch *w) {
        if (!w)
                return;
        /* the last events of a dying cgroup (an OOM kill ends the unit) still count, and
         * go out before it is announced gone */
        watch_process(w);
        manager_commit(m);
        (void) bus_emit_jail_added(m, w, false);
        hashmap_remove(m->watches, w->name);
        watch_remove_state(w);
        log_info("Jail %s (%s) is gone.", w->name, w->unit);
        metrics_retire(m, w);
        if (watch_polls(w) && m->n_polling > 0) {
                m->n_polling--;
                manager_update_timer(m);
        }
        watch_free(w);
        metrics_mark_dirty(m);
}

static void manager_remove_unit(Manager *m, const char *unit) {
        _cleanup_free_ char *name = jail_name_from_unit(unit);
        Watch *w = name ? hashmap_get(m->watches, name) : NULL;

        if (w && streq(w->unit, unit))
                manager_remove_watch(m, w);
}

Watch *manager_get_watch(Manager *m, const char *name) {
        return hashmap_get(m->watches, name);
}

Watch *manager_find_watch_by_path(Manager *m, const char *path) {
        _cleanup_free_ char *name = NULL;

        if (sd_bus_path_decode(path, "/org/virtualing1/jail", &name) <= 0 || !name)
                return NULL;
        return hashmap_get(m->watches, name);
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

/* State files of cgroups gone while we were not running. */
static void remove_stale_state(Manager *m) {
        _cleanup_free_ uint64_t *ids = calloc(hashmap_size(m->watches) + 1, sizeof(uint64_t));
        DIR *d = opendir(m->state_dir);
        struct dirent *de;
        size_t n = 0;
        Watch *w;

        if (!d || !ids) {
                if (d)
                        closedir(d);
                return;
        }
        HASHMAP_FOREACH(w, m->watches, st)
                ids[n++] = w->cgroup_id;
        qsort(ids, n, sizeof(uint64_t), cmp_u64);
        while ((de = readdir(d))) {
                uint64_t id;

                if (parse_uint64(de->d_name, &id) < 0)
                        continue;
                if (!bsearch(&id, ids, n, sizeof(uint64_t), cmp_u64))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

static int manager_scan_slice(Manager *m) {
        DIR *d;
        struct dirent *de;

        if (m->slice_wd < 0) {
                m->slice_wd = inotify_add_watch(m->inotify_fd, m->slice_path,
                                                IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                                        IN_DELETE_SELF | IN_ONLYDIR);
                if (m->slice_wd < 0)
                        return errno == ENOENT ? 0 : log_error_errno(-errno, "Failed to watch %s: %m", m->slice_path);
        }
        d = opendir(m->slice_path);
        if (!d)
                return errno == ENOENT ? 0 : log_error_errno(-errno, "Failed to open %s: %m", m->slice_path);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (manager_add_watch(m, de->d_name) == -ENOMEM) {
                        closedir(d);
                        manager_commit(m);
                        return log_error_errno(-ENOMEM, "Out of memory.");
                }
        }
        closedir(d);
        manager_commit(m);
        return 0;
}

static void manager_slice_gone(Manager *m) {
        Watch *w;

        m->slice_wd = -1;
        /* every jail went with it */
        while ((w = hashmap_iterate(m->watches, &(size_t) { 0 }, NULL)))
                manager_remove_watch(m, w);
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool overflow = false;

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return log_error_errno(-errno, "Failed to read inotify events: %m");
                }
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *) p;
                        p += sizeof(*e) + e->len;

                        if (e->mask & IN_Q_OVERFLOW) {
                                overflow = true;
                                continue;
                        }
                        if (e->wd == m->root_wd) {
                                if (e->len > 0 && streq(e->name, "virtualing.slice") && (e->mask & (IN_CREATE | IN_MOVED_TO)))
                                        (void) manager_scan_slice(m);
                                continue;
                        }
                        if (e->wd == m->slice_wd) {
                                if (e->mask & (IN_DELETE_SELF | IN_IGNORED))
                                        manager_slice_gone(m);
                                else if (e->len > 0 && (e->mask & (IN_CREATE | IN_MOVED_TO)))
                                        (void) manager_add_watch(m, e->name);
                                else if (e->len > 0 && (e->mask & (IN_DELETE | IN_MOVED_FROM)))
                                        manager_remove_unit(m, e->name);
                                continue;
                        }
                        if (e->wd >= 0 && (size_t) e->wd < m->n_by_wd && m->by_wd[e->wd]) {
                                Watch *w = m->by_wd[e->wd];
                                if (e->mask & IN_IGNORED) {
                                        w->wd = -1; /* the kernel dropped the watch with the file */
                                        m->by_wd[e->wd] = NULL;
                                        manager_remove_watch(m, w);
                                } else if (e->mask & IN_MODIFY)
                                        watch_process(w);
                        }
                }
        }
        if (overflow) {
                /* events were dropped by the kernel: look at everything again, counts are in the files */
                Watch *w;
                log_warning("inotify queue overflowed; rescanning every jail.");
                HASHMAP_FOREACH(w, m->watches, st)
                        watch_process(w);
                (void) manager_scan_slice(m);
        }
        manager_commit(m);
        return 0;
}

/* Usage thresholds have no kernel notification on cgroup v2: poll those jails, and only them. */
static int on_usage_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        Watch *w;

        HASHMAP_FOREACH(w, m->watches, st)
                if (watch_polls(w) && m->backend == CGROUP_V1)
                        watch_process(w); /* memory.failcnt has no notification */
                else if (watch_polls(w)) {
                        uint64_t current = watch_memory_current(w);
                        check_usage(w, current);
                        if (jail_is_elastic(w->config) && current != UINT64_MAX)
                                elastic_check(w, false, current);
                }
        manager_commit(m);
        (void) sd_event_source_set_time(s, usec + USAGE_POLL_USEC);
        return 0;
}

static void manager_update_timer(Manager *m) {
        int r;

        if (m->n_polling == 0) {
                m->usage_timer = sd_event_source_disable_unref(m->usage_timer);
                return;
        }
        if (m->usage_timer)
                return;
        r = sd_event_add_time_relative(m->event, &m->usage_timer, CLOCK_MONOTONIC, USAGE_POLL_USEC, 10 * USEC_PER_MSEC,
                                       on_usage_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->usage_timer, SD_EVENT_ON);
        if (r < 0)
                log_error_errno(r, "Failed to start the usage timer: %m");
}

void manager_polling_changed(Manager *m, bool before, bool after) {
        if (before == after)
                return;
        if (after)
                m->n_polling++;
        else if (m->n_polling > 0)
                m->n_polling--;
        manager_update_timer(m);
}

static void manager_count_polling(Manager *m) {
        Watch *w;

        m->n_polling = 0;
        HASHMAP_FOREACH(w, m->watches, st)
                if (watch_polls(w))
                        m->n_polling++;
        manager_update_timer(m);
}

int manager_reload(Manager *m) {
        Watch *w;

        log_info("Reloading jail configuration.");
        HASHMAP_FOREACH(w, m->watches, st) {
                watch_load_config(w);
                /* a new trigger replaces the old one (or there is none any more) */
                w->psi_source = sd_event_source_disable_unref(w->psi_source);
                w->psi_fd = safe_close(w->psi_fd);
                if (m->backend == CGROUP_V1)
                        v1_watch_start(w); /* new thresholds, elastic memory on or off */
                watch_setup_pressure(w);
        }
        manager_count_polling(m);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        if (si->ssi_signo == SIGHUP)
                return manager_reload(m);
        return sd_event_exit(m->event, 0);
}

static int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static void on_hook_counted(const char *jail, bool failed, void *userdata) {
        Manager *m = userdata;
        Watch *w = manager_get_watch(m, jail);
        JailTotals *t = w ? NULL : metrics_totals(m, jail); /* a hook outlives its jail */
        uint64_t *runs = w ? &w->hook_runs : t ? &t->hook_runs : NULL;
        uint64_t *failures = w ? &w->hook_failures : t ? &t->hook_failures : NULL;

        if (!runs) {
                log_error("Out of memory: a hook run of jail %s is not counted.", jail);
                return;
        }
        (*(failed ? failures : runs))++;
        metrics_mark_dirty(m);
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        const char *e;
        sigset_t ss;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->inotify_fd = -EBADF;
        m->root_wd = m->slice_wd = -1;

        e = getenv("VIRTUALING_CGROUP_ROOT");
        r = cgroup_backend_detect(e && path_is_absolute(e) ? e : NULL, &m->cgroup_root, &m->backend);
        if (r == -ENOMEDIUM)
                return log_error_errno(r, "No memory controller: /sys/fs/cgroup is not cgroup2 and there is no "
                                          "cgroup v1 memory hierarchy at /sys/fs/cgroup/memory.");
        if (r < 0)
                return log_error_errno(r, "Failed to find the memory controller: %m");
        log_info("The memory controller is on %s (%s).", m->backend == CGROUP_V1 ? "cgroup v1" : "cgroup v2",
                 m->cgroup_root);
        e = getenv("VIRTUALING_RUNTIME_DIR");
        m->runtime_dir = strdup(e && path_is_absolute(e) ? e : "/run/virtualing");
        if (!m->runtime_dir || asprintf(&m->slice_path, "%s/virtualing.slice", m->cgroup_root) < 0 ||
            asprintf(&m->state_dir, "%s/watcher", m->runtime_dir) < 0)
                return -ENOMEM;
        r = mkdir_parents(m->state_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", m->state_dir);

        m->watches = hashmap_new();
        m->totals = hashmap_new();
        if (!m->watches || !m->totals)
                return -ENOMEM;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_signal, m)) < 0)
                return r;
        (void) sd_event_set_watchdog(m->event, true);

        r = hook_runner_new(m->event, &m->hooks);
        if (r < 0)
                return r;
        hook_runner_set_notify(m->hooks, on_hook_counted, m);

        /* the metrics: a copy where node_exporter's textfile collector reads (Debian's
         * package: /var/lib/prometheus/node-exporter), refreshed every 15 s */
        e = getenv("VIRTUALING_TEXTFILE_DIR");
        if (!e)
                e = "/var/lib/prometheus/node-exporter";
        if (!isempty(e)) {
                if (!path_is_absolute(e)) {
                        log_error("VIRTUALING_TEXTFILE_DIR=%s is not an absolute path.", e);
                        return -EINVAL;
                }
                m->textfile_dir = strdup(e);
                if (!m->textfile_dir)
                        return -ENOMEM;
        }
        m->metrics_interval = 15 * USEC_PER_SEC;
        e = getenv("VIRTUALING_METRICS_INTERVAL");
        if (e && parse_duration(e, &m->metrics_interval) < 0) {
                log_error("VIRTUALING_METRICS_INTERVAL=%s is not a duration (like 15s or 1min; 0: off).", e);
                return -EINVAL;
        }

        m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m->inotify_fd < 0)
                return -errno;
        r = sd_event_add_io(m->event, &m->inotify_source, m->inotify_fd, EPOLLIN, on_inotify, m);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

int manager_start(Manager *m) {
        int r;

        /* virtualing.slice appears with the first jail: watch the root for it */
        m->root_wd = inotify_add_watch(m->inotify_fd, m->cgroup_root, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
        if (m->root_wd < 0)
                return log_error_errno(-errno, "Failed to watch %s: %m", m->cgroup_root);
        r = manager_scan_slice(m);
        if (r < 0)
                return r;
        remove_stale_state(m);
        metrics_mark_dirty(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        Watch *w;

        if (!m)
                return NULL;
        while ((w = hashmap_iterate(m->watches, &(size_t) { 0 }, NULL))) {
                hashmap_remove(m->watches, w->name);
                watch_free(w);
        }
        hashmap_free(m->watches);
        metrics_totals_free(m);
        free(m->by_wd);
        free(m->dirty);
        for (size_t i = 0; i < m->n_outbox; i++)
                sd_bus_message_unref(m->outbox[i]);
        free(m->outbox);
        sd_event_source_disable_unref(m->save_retry);
        sd_event_source_disable_unref(m->usage_timer);
        sd_event_source_disable_unref(m->metrics_timer);
        sd_event_source_disable_unref(m->metrics_refresh);
        free(m->textfile_dir);
        sd_event_source_disable_unref(m->inotify_source);
        safe_close(m->inotify_fd);
        hook_runner_free(m->hooks);
        sd_bus_slot_unref(m->manager_slot);
        sd_bus_slot_unref(m->jail_slot);
        sd_bus_slot_unref(m->enumerator_slot);
        sd_bus_slot_unref(m->object_manager_slot);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->cgroup_root);
        free(m->slice_path);
        free(m->state_dir);
        free(m->runtime_dir);
        strv_free(m->config_dirs);
        free(m);
        return NULL;
}
