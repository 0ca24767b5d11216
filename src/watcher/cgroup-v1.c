/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The legacy cgroup v1 memory controller: the kernel tells of OOMs, of usage crossing a
 * threshold and of pressure levels through eventfds registered by writing
 * "EVENTFD CONTROL-FILE-FD [ARGS]" to the cgroup's cgroup.event_control. Closing the eventfd
 * unregisters it; removing the cgroup signals it once more.
 *
 * What this backend turns into the counters that watch_process() shares with cgroup v2:
 *   max       memory.failcnt (times a charge met the limit);
 *   oom       the OOM notifications read from the memory.oom_control eventfd, and at least
 *             as many as processes were killed (notifications while no watcher ran are gone);
 *   oom_kill  oom_kill of memory.oom_control (Linux 4.13 and later).
 * failcnt rises without any notification: the usage eventfd also carries a threshold just
 * below the limit, and while the usage is above it the jail is polled every second. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "parse-util.h"
#include "watcher.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* v1 reports "no limit" as the largest page-aligned signed long */
#define V1_UNLIMITED (UINT64_C(0x7fffffffffffffff) - UINT64_C(0xffffffff))

int cgroup_backend_detect(const char *root, char **ret_root, CgroupBackend *ret) {
        struct statfs sfs;
        char *p;

        if (root) {
                /* a test tree, or an admin's choice: v1 if the directory is a v1 hierarchy's
                 * root (it has cgroup.event_control), v2 otherwise */
                _cleanup_free_ char *ec = NULL;
                if (asprintf(&ec, "%s/cgroup.event_control", root) < 0)
                        return -ENOMEM;
                p = strdup(root);
                if (!p)
                        return -ENOMEM;
                *ret = access(ec, F_OK) == 0 ? CGROUP_V1 : CGROUP_V2;
                *ret_root = p;
                return 0;
        }
        if (statfs("/sys/fs/cgroup", &sfs) < 0)
                return -errno;
        if ((uint64_t) sfs.f_type == CGROUP2_SUPER_MAGIC) {
                p = strdup("/sys/fs/cgroup");
                *ret = CGROUP_V2;
        } else if (statfs("/sys/fs/cgroup/memory", &sfs) >= 0 && (uint64_t) sfs.f_type == CGROUP_SUPER_MAGIC) {
                /* legacy, or hybrid: the memory controller is still on v1 either way */
                p = strdup("/sys/fs/cgroup/memory");
                *ret = CGROUP_V1;
        } else
                return -ENOMEDIUM;
        if (!p)
                return -ENOMEM;
        *ret_root = p;
        return 0;
}

const char *cgroup_backend_to_string(CgroupBackend b) {
        return b == CGROUP_V1 ? "cgroup-v1" : "cgroup-v2";
}

uint64_t v1_value(uint64_t v) {
        return v >= V1_UNLIMITED && v != UINT64_MAX ? UINT64_MAX : v;
}

static int open_cgroup_dir(Watch *w) {
        _cleanup_free_ char *dir = NULL;
        int fd;

        if (asprintf(&dir, "%s%s", w->manager->cgroup_root, w->cgroup) < 0)
                return -ENOMEM;
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

int cgroup_read_at(int dir_fd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return (int) n;
}

/* O_TRUNC as a shell's ">" does: cgroup files ignore it. */
static int write_at(int dir_fd, const char *name, const char *text) {
        _cleanup_close_ int fd = openat(dir_fd, name,
                                        O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        size_t len = strlen(text);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, text, len);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

/* Registers EFD for FILE of the cgroup (ARG: the threshold or the level, or NULL). */
static int register_event(int dir_fd, int efd, const char *file, const char *arg) {
        _cleanup_close_ int cfd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        char line[128];

        if (cfd < 0)
                return -errno;
        snprintf(line, sizeof(line), "%d %d%s%s\n", efd, cfd, arg ? " " : "", arg ?: "");
        return write_at(dir_fd, "cgroup.event_control", line);
}

/* What an eventfd counted since it was last read; 0 if nothing. */
static uint64_t drain(int efd) {
        uint64_t v = 0;

        if (efd < 0 || read(efd, &v, sizeof(v)) != (ssize_t) sizeof(v))
                return 0;
        return v;
}

/* The kernel notifies an OOM before its victim is chosen, and counts the kill after: the
 * first reading often comes too early to see it. A few more readings follow (10 ms to 1 s),
 * while the cgroup lasts; an OOM that ends the jail leaves it only milliseconds. */
static const usec_t oom_recheck_after[] = { 10 * USEC_PER_MSEC, 40 * USEC_PER_MSEC, 200 * USEC_PER_MSEC,
                                            USEC_PER_SEC };

static int on_oom_recheck(sd_event_source *s, uint64_t usec, void *userdata) {
        Watch *w = userdata;
        size_t n = ELEMENTSOF(oom_recheck_after);

        watch_process(w);
        manager_commit(w->manager);
        if (w->oom_rechecks > 0 && --w->oom_rechecks > 0 &&
            sd_event_source_set_time_relative(s, oom_recheck_after[n - w->oom_rechecks]) >= 0)
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static void arm_oom_recheck(Watch *w) {
        int r;

        w->oom_rechecks = ELEMENTSOF(oom_recheck_after);
        if (!w->oom_recheck) {
                r = sd_event_add_time_relative(w->manager->event, &w->oom_recheck, CLOCK_MONOTONIC,
                                               oom_recheck_after[0], 0, on_oom_recheck, w);
                if (r < 0)
                        log_error_errno(r, "Failed to arm a second look at an OOM of jail %s: %m", w->name);
                return;
        }
        (void) sd_event_source_set_time_relative(w->oom_recheck, oom_recheck_after[0]);
        (void) sd_event_source_set_enabled(w->oom_recheck, SD_EVENT_ONESHOT);
}

static int on_oom_efd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watch *w = userdata;
        uint64_t n = drain(fd);

        w->oom_pending += n;
        watch_process(w);
        if (n > 0)
                arm_oom_recheck(w);
        manager_commit(w->manager);
        return 0;
}

static int on_usage_efd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watch *w = userdata;

        (void) drain(fd);
        watch_process(w);
        manager_commit(w->manager);
        return 0;
}

static int on_level_efd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watch *w = userdata;

        if (drain(fd) == 0)
                return 0;
        watch_report_pressure(w);
        manager_commit(w->manager);
        return 0;
}

/* A new eventfd watched by the loop. */
static int new_eventfd(Watch *w, sd_event_source **ret_source, sd_event_io_handler_t handler, int *ret_fd) {
        _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int r;

        if (efd < 0)
                return -errno;
        r = sd_event_add_io(w->manager->event, ret_source, efd, EPOLLIN, handler, w);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(efd);
        return 0;
}

static void close_eventfd(sd_event_source **s, int *fd) {
        *s = sd_event_source_disable_unref(*s);
        *fd = safe_close(*fd);
}

/* The usage thresholds of the jail file, and one just below the limit (the kernel has a
 * list per cgroup: one eventfd serves them all). Re-armed when the limit changes. */
static void arm_usage(Watch *w, int dir_fd, uint64_t max) {
        char arg[32];
        int r;

        close_eventfd(&w->usage_source, &w->usage_efd);
        w->armed_max = max;
        r = new_eventfd(w, &w->usage_source, on_usage_efd, &w->usage_efd);
        if (r < 0) {
                log_error_errno(r, "Failed to watch the memory usage of jail %s: %m", w->name);
                return;
        }
        for (size_t i = 0; w->config && i < w->config->n_usage_thresholds; i++) {
                snprintf(arg, sizeof(arg), "%" PRIu64, w->config->usage_thresholds[i]);
                r = register_event(dir_fd, w->usage_efd, "memory.usage_in_bytes", arg);
                if (r < 0) {
                        log_error_errno(r, "Failed to register the usage threshold %s of jail %s: %m", arg, w->name);
                        break;
                }
        }
        if (max != UINT64_MAX) {
                snprintf(arg, sizeof(arg), "%" PRIu64, v1_near_limit(max));
                r = register_event(dir_fd, w->usage_efd, "memory.usage_in_bytes", arg);
                if (r < 0)
                        log_error_errno(r, "Failed to watch jail %s approaching its limit: %m", w->name);
        }
}

uint64_t v1_near_limit(uint64_t max) {
        uint64_t margin = max / 64 > 1024 * 1024 ? max / 64 : 1024 * 1024;
        return max > margin ? max - margin : 0;
}

/* Elastic jails pause at their limit (oom_kill_disable) while they may still grow, so the
 * watcher grows them before the kernel kills anything. Otherwise the OOM killer acts. */
static bool wants_pause(Watch *w, uint64_t max) {
        return w->config && jail_is_elastic(w->config) && max != UINT64_MAX && max < w->config->memory_grow_limit &&
               !w->grow_refused && w->manager->bus;
}

static void set_pause(Watch *w, int dir_fd, bool pause) {
        char buf[256];
        OomControl oc;
        int r;

        r = cgroup_read_at(dir_fd, "memory.oom_control", buf, sizeof(buf));
        if (r < 0 || oom_control_parse(buf, (size_t) r, &oc) < 0 || oc.kill_disable == pause) {
                w->oom_kill_disabled = r >= 0 && pause;
                return;
        }
        r = write_at(dir_fd, "memory.oom_control", pause ? "1" : "0");
        if (r < 0) {
                if (r != -ENOENT)
                        log_error_errno(r, "Failed to %s the OOM killer for jail %s: %m", pause ? "hold off" : "restore",
                                        w->name);
                return;
        }
        w->oom_kill_disabled = pause;
        if (pause)
                log_info("Jail %s pauses at its memory limit until the watcher grows it.", w->name);
        else if (oc.under_oom)
                log_notice("Jail %s cannot grow any more: the kernel's OOM killer acts on it again.", w->name);
}

void v1_watch_start(Watch *w) {
        _cleanup_close_ int dir_fd = open_cgroup_dir(w);
        int r;

        if (dir_fd < 0)
                return;
        if (w->oom_efd < 0) {
                r = new_eventfd(w, &w->oom_source, on_oom_efd, &w->oom_efd);
                if (r >= 0)
                        r = register_event(dir_fd, w->oom_efd, "memory.oom_control", NULL);
                if (r < 0)
                        log_error_errno(r, "Failed to watch jail %s for OOM: %m", w->name);
        }
        arm_usage(w, dir_fd, watch_memory_max(w));
        set_pause(w, dir_fd, wants_pause(w, w->max));
}

void v1_watch_stop(Watch *w) {
        if (w->oom_kill_disabled) {
                _cleanup_close_ int dir_fd = open_cgroup_dir(w);
                if (dir_fd >= 0)
                        set_pause(w, dir_fd, false);
                w->oom_kill_disabled = false;
        }
        close_eventfd(&w->oom_source, &w->oom_efd);
        close_eventfd(&w->usage_source, &w->usage_efd);
        w->oom_recheck = sd_event_source_disable_unref(w->oom_recheck);
}

int v1_read_counters(Watch *w, const char *dir, uint64_t now[_COUNTER_MAX], bool found[_COUNTER_MAX],
                     bool *ret_under_oom) {
        _cleanup_close_ int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        int dir_errno = errno;
        uint64_t failcnt, notified, killed = 0;
        char buf[256];
        OomControl oc = {};
        int r;

        *ret_under_oom = false;
        /* notifications first: an OOM is notified before its kill is counted */
        w->oom_pending += drain(w->oom_efd);
        notified = w->oom_pending;
        w->oom_pending = 0;
        if (notified > w->oom_credit) {
                notified -= w->oom_credit;
                w->oom_credit = 0;
        } else {
                w->oom_credit -= notified;
                notified = 0;
        }

        r = dir_fd < 0 ? -dir_errno : cgroup_read_at(dir_fd, "memory.oom_control", buf, sizeof(buf));
        if (r >= 0 && oom_control_parse(buf, (size_t) r, &oc) < 0) {
                log_error("Jail %s: memory.oom_control is not what the kernel writes; ignored.", w->name);
                r = -EBADMSG;
        }
        if (r >= 0) {
                *ret_under_oom = oc.under_oom;
                if (oc.has_oom_kill) {
                        now[COUNTER_OOM_KILL] = oc.oom_kill;
                        found[COUNTER_OOM_KILL] = true;
                        if (oc.oom_kill > w->seen[COUNTER_OOM_KILL])
                                killed = oc.oom_kill - w->seen[COUNTER_OOM_KILL];
                }
        } else if (r != -ENOENT && notified == 0)
                return r;
        /* every kill had its OOM: those not notified yet (or while no watcher ran) are
         * counted now, and their notifications, when read, are not counted again */
        if (killed > notified) {
                w->oom_credit += killed - notified;
                notified = killed;
        }
        now[COUNTER_OOM] = w->seen[COUNTER_OOM] + notified;
        found[COUNTER_OOM] = true;

        if (dir_fd >= 0 && cgroup_read_at(dir_fd, "memory.failcnt", buf, sizeof(buf)) >= 0) {
                buf[strcspn(buf, "\n")] = 0;
                if (parse_uint64(buf, &failcnt) >= 0) {
                        now[COUNTER_MAX] = failcnt;
                        found[COUNTER_MAX] = true;
                }
        }
        return 0;
}

void v1_after_process(Watch *w, uint64_t current, uint64_t max, bool under_oom) {
        bool pause = wants_pause(w, max), near, before;

        /* under OOM and not to grow: make sure the kernel's OOM killer is back */
        if (max != w->armed_max || pause != w->oom_kill_disabled || (under_oom && !pause)) {
                _cleanup_close_ int dir_fd = open_cgroup_dir(w);
                if (dir_fd >= 0) {
                        if (max != w->armed_max)
                                arm_usage(w, dir_fd, max);
                        set_pause(w, dir_fd, pause);
                }
        }
        near = max != UINT64_MAX && current != UINT64_MAX && current >= v1_near_limit(max);
        if (near != w->near_limit) {
                before = watch_polls(w);
                w->near_limit = near;
                manager_polling_changed(w->manager, before, watch_polls(w));
        }
}

void v1_limits_changed(Watch *w, bool refused) {
        w->grow_refused = refused;
        v1_after_process(w, w->current, w->max, false); /* the values as last read */
}

/* PressureThreshold= on v1: the kernel's levels, not PSI. "some" is the medium level
 * (reclaiming, swapping), "full" the critical one (about to OOM). */
int v1_setup_pressure(Watch *w) {
        _cleanup_close_ int dir_fd = open_cgroup_dir(w);
        const char *level = w->config->pressure_kind == PRESSURE_FULL ? "critical" : "medium";
        int r;

        if (dir_fd < 0)
                return dir_fd;
        r = new_eventfd(w, &w->psi_source, on_level_efd, &w->psi_fd);
        if (r < 0)
                return r;
        r = register_event(dir_fd, w->psi_fd, "memory.pressure_level", level);
        if (r < 0) {
                w->psi_source = sd_event_source_disable_unref(w->psi_source);
                w->psi_fd = safe_close(w->psi_fd);
        }
        return r;
}
