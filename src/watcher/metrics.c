/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics in the node_exporter textfile format: $runtime_dir/metrics.prom, and a copy,
 * virtualing.prom, in node_exporter's textfile directory when there is one (Debian's
 * prometheus-node-exporter reads /var/lib/prometheus/node-exporter). Written a second after
 * something changed (changes meanwhile coalesce), and again every metrics_interval while
 * jails are watched, with memory use and pressure read afresh; never when there is nothing
 * to watch. The counters of a jail are summed over its runs, so that a run that ended (an
 * OOM kill ends the unit) stays counted. Each file is replaced by rename(): a reader never sees half of one. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watcher.h"

#define METRICS_DELAY_USEC USEC_PER_SEC
#define TEXTFILE_NAME "virtualing.prom"

/* Prometheus label values: backslash, quote and newline escaped (jail names have none). */
static void label(FILE *f, const char *s) {
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        fputc('\\', f);
                if (*s == '\n') {
                        fputs("\\n", f);
                        continue;
                }
                fputc(*s, f);
        }
}

static void family(FILE *f, const char *metric, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
}

static void sample(FILE *f, const char *metric, const char *jail, uint64_t v) {
        if (v == UINT64_MAX)
                return; /* "max": no number to give */
        fprintf(f, "%s{jail=\"", metric);
        label(f, jail);
        fprintf(f, "\"} %" PRIu64 "\n", v);
}

JailTotals *metrics_totals(Manager *m, const char *name) {
        JailTotals *t = hashmap_get(m->totals, name);

        if (t)
                return t;
        t = calloc(1, sizeof(JailTotals));
        if (!t)
                return NULL;
        t->name = strdup(name);
        if (!t->name || hashmap_put(m->totals, t->name, t) < 0) {
                free(t->name);
                free(t);
                return NULL;
        }
        return t;
}

void metrics_retire(Manager *m, const Watch *w) {
        JailTotals *t = metrics_totals(m, w->name);

        if (!t) {
                log_error("Out of memory: the counters of jail %s leave the metrics.", w->name);
                return;
        }
        for (Tally k = 0; k < _TALLY_MAX; k++)
                t->tally[k] += w->tally[k];
        t->hook_runs += w->hook_runs;
        t->hook_failures += w->hook_failures;
}

void metrics_totals_free(Manager *m) {
        JailTotals *t;

        while ((t = hashmap_iterate(m->totals, &(size_t) { 0 }, NULL))) {
                hashmap_remove(m->totals, t->name);
                free(t->name);
                free(t);
        }
        m->totals = hashmap_free(m->totals);
}

/* One jail of the counters: running (W), or not any more (only T), or both. */
typedef struct Row {
        const char *name;
        const Watch *w;
        const JailTotals *t;
} Row;

/* Every jail of the counters, without a list of them: the running ones, then those only
 * in the totals. */
typedef struct RowIter {
        size_t watches, totals;
        bool in_totals;
} RowIter;

static bool row_next(Manager *m, RowIter *it, Row *ret) {
        JailTotals *t;
        Watch *w;

        if (!it->in_totals) {
                w = hashmap_iterate(m->watches, &it->watches, NULL);
                if (w) {
                        *ret = (Row) { w->name, w, hashmap_get(m->totals, w->name) };
                        return true;
                }
                it->in_totals = true;
        }
        while ((t = hashmap_iterate(m->totals, &it->totals, NULL)))
                if (!hashmap_get(m->watches, t->name)) {
                        *ret = (Row) { t->name, NULL, t };
                        return true;
                }
        return false;
}

#define ROW_FOREACH(r, m) for (RowIter _it = {}; row_next((m), &_it, &(r));)

/* What a per-jail counter counts: a Tally, or one of these. */
#define ROW_HOOK_RUNS _TALLY_MAX
#define ROW_HOOK_FAILURES (_TALLY_MAX + 1)

static uint64_t row_value(const Row *r, int what) {
        uint64_t v = 0;

        if (r->w)
                v += what == ROW_HOOK_RUNS ? r->w->hook_runs
                   : what == ROW_HOOK_FAILURES ? r->w->hook_failures : r->w->tally[what];
        if (r->t)
                v += what == ROW_HOOK_RUNS ? r->t->hook_runs
                   : what == ROW_HOOK_FAILURES ? r->t->hook_failures : r->t->tally[what];
        return v;
}

static const struct {
        const char *metric, *help;
        int what;
} row_counters[] = {
        { "virtualing_jail_memory_grows_total", "Times elastic memory raised a jail's MemoryMax.", TALLY_GROW },
        { "virtualing_jail_memory_shrinks_total", "Times elastic memory lowered a jail's MemoryMax again.",
          TALLY_SHRINK },
        { "virtualing_jail_hook_runs_total", "Hook runs started for a jail's events.", ROW_HOOK_RUNS },
        { "virtualing_jail_hook_failures_total",
          "Hook commands of a jail that failed, were killed at their timeout or could not start.",
          ROW_HOOK_FAILURES },
};

static const char *const psi_kinds[2] = { "some", "full" };
static const char *const psi_windows[3] = { "10s", "60s", "300s" };

static void psi_read(Watch *w, PsiLine ret[2]) {
        char buf[512];

        ret[0] = ret[1] = (PsiLine) {};
        if (w->manager->backend != CGROUP_V2) /* no memory.pressure on the legacy hierarchy */
                return;
        if (watch_read_file(w, "memory.pressure", buf, sizeof buf) < 0)
                return;
        psi_parse(buf, ret);
}

/* The whole text into F. Nothing is allocated for it: 10,000 jails make megabytes of text,
 * and memory taken once would stay. */
static int metrics_render(Manager *m, FILE *f) {
        PsiLine psi[2];
        Watch *w;
        Row row;

        family(f, "virtualing_jail_events_total", "counter",
               "Memory events of a jail seen by virtualing-watcher, over its runs since the watcher started.");
        ROW_FOREACH(row, m)
                for (Tally t = 0; t < _TALLY_MAX; t++) {
                        fputs("virtualing_jail_events_total{jail=\"", f);
                        label(f, row.name);
                        fprintf(f, "\",event=\"%s\"} %" PRIu64 "\n", tally_to_string(t), row_value(&row, t));
                }
        for (size_t i = 0; i < ELEMENTSOF(row_counters); i++) {
                family(f, row_counters[i].metric, "counter", row_counters[i].help);
                ROW_FOREACH(row, m)
                        sample(f, row_counters[i].metric, row.name, row_value(&row, row_counters[i].what));
        }
        family(f, "virtualing_jail_memory_max_bytes", "gauge", "MemoryMax of a jail's cgroup.");
        HASHMAP_FOREACH(w, m->watches, st)
                sample(f, "virtualing_jail_memory_max_bytes", w->name, w->max);
        family(f, "virtualing_jail_memory_high_bytes", "gauge", "MemoryHigh of a jail's cgroup.");
        HASHMAP_FOREACH(w, m->watches, st)
                sample(f, "virtualing_jail_memory_high_bytes", w->name, w->high);
        family(f, "virtualing_jail_memory_current_bytes", "gauge",
               "Memory use of a jail when the watcher last read it.");
        HASHMAP_FOREACH(w, m->watches, st)
                sample(f, "virtualing_jail_memory_current_bytes", w->name, w->current);
        if (m->backend == CGROUP_V2) {
                family(f, "virtualing_jail_memory_pressure_ratio", "gauge",
                       "Share of time some or all of a jail's tasks stalled on memory, averaged over the "
                       "window (memory.pressure).");
                HASHMAP_FOREACH(w, m->watches, st) {
                        psi_read(w, psi);
                        for (size_t k = 0; k < 2; k++)
                                for (size_t a = 0; psi[k].found && a < 3; a++) {
                                        fputs("virtualing_jail_memory_pressure_ratio{jail=\"", f);
                                        label(f, w->name);
                                        fprintf(f, "\",kind=\"%s\",window=\"%s\"} %" PRIu64 ".%04" PRIu64 "\n",
                                                psi_kinds[k], psi_windows[a], psi[k].avg[a] / 10000,
                                                psi[k].avg[a] % 10000);
                                }
                }
                family(f, "virtualing_jail_memory_pressure_stalled_seconds_total", "counter",
                       "Time some or all of a jail's tasks stalled on memory (memory.pressure).");
                HASHMAP_FOREACH(w, m->watches, st) {
                        psi_read(w, psi); /* again: a family's lines go together */
                        for (size_t k = 0; k < 2; k++) {
                                if (!psi[k].found)
                                        continue;
                                fputs("virtualing_jail_memory_pressure_stalled_seconds_total{jail=\"", f);
                                label(f, w->name);
                                fprintf(f, "\",kind=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n", psi_kinds[k],
                                        psi[k].total / USEC_PER_SEC, psi[k].total % USEC_PER_SEC);
                        }
                }
        }
        family(f, "virtualing_jails", "gauge", "Jails watched.");
        fprintf(f, "virtualing_jails %zu\n", hashmap_size(m->watches));

        return fflush(f) != 0 || ferror(f) ? -EIO : 0;
}

/* NAME in the directory DIR_FD replaced by the SIZE bytes of SRC: a new file beside it
 * (never following a link someone left there), then rename(). */
static int write_replace(int dir_fd, const char *name, int src, off_t size) {
        char tmp[256], buf[64 * 1024];
        int fd, r = 0;

        if (snprintf(tmp, sizeof tmp, "%s.tmp", name) >= (int) sizeof tmp)
                return -ENAMETOOLONG;
        if (unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT)
                return -errno;
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0644) < 0) /* whatever the umask: node_exporter runs as another user */
                r = -errno;
        for (off_t off = 0; r == 0 && off < size;) {
                size_t want = size - off < (off_t) sizeof buf ? (size_t) (size - off) : sizeof buf;
                ssize_t k = pread(src, buf, want, off), done = 0;
                if (k <= 0) {
                        r = k < 0 && errno != EINTR ? -errno : k == 0 ? -EIO : 0;
                        continue;
                }
                while (r == 0 && done < k) {
                        ssize_t w = write(fd, buf + done, k - done);
                        if (w < 0 && errno != EINTR)
                                r = -errno;
                        else if (w > 0)
                                done += w;
                }
                off += k;
        }
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

static int write_to_dir(const char *dir, const char *name, int src, off_t size, bool optional) {
        int fd, r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return optional && errno == ENOENT ? 0 : -errno;
        r = write_replace(fd, name, src, size);
        (void) close(fd);
        return r;
}

/* The text, in a memory file rather than the heap: 10,000 jails make megabytes of it, which
 * a heap would keep after. Returns its fd and size. */
static int metrics_text(Manager *m, off_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        FILE *f;
        off_t size;
        int copy, r;

        fd = memfd_create("virtualing-metrics", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return -errno;
        f = fdopen(copy, "w");
        if (!f) {
                (void) close(copy);
                return -ENOMEM;
        }
        r = metrics_render(m, f);
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size < 0)
                return -errno;
        *ret_size = size;
        return TAKE_FD(fd);
}

/* Said once, not at every change: the next change tries again. */
static void metrics_failed(bool *failing, int r, const char *dir, const char *name) {
        if (!*failing)
                log_error_errno(r, "Failed to write %s/%s.tmp: %m; the metrics file is behind until it can be written.",
                                dir, name);
        *failing = true;
}

static void metrics_written(bool *failing, const char *dir, const char *name) {
        if (*failing)
                log_info("%s/%s is written again.", dir, name);
        *failing = false;
}

static int on_metrics_refresh(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        Watch *w;

        HASHMAP_FOREACH(w, m->watches, st)
                (void) watch_memory_current(w);
        (void) metrics_write(m);
        return 0;
}

/* Another write in metrics_interval, while there are jails to tell of. */
static void metrics_schedule_refresh(Manager *m) {
        int r;

        if (m->metrics_interval == 0 || hashmap_size(m->watches) == 0) {
                if (m->metrics_refresh)
                        (void) sd_event_source_set_enabled(m->metrics_refresh, SD_EVENT_OFF);
                return;
        }
        if (!m->metrics_refresh) {
                /* a quarter of the interval's slack: it may wake up with something else */
                r = sd_event_add_time_relative(m->event, &m->metrics_refresh, CLOCK_MONOTONIC, m->metrics_interval,
                                               m->metrics_interval / 4, on_metrics_refresh, m);
                if (r < 0) {
                        log_error_errno(r, "Failed to schedule the refresh of the metrics: %m");
                        return;
                }
        } else
                (void) sd_event_source_set_time_relative(m->metrics_refresh, m->metrics_interval);
        (void) sd_event_source_set_enabled(m->metrics_refresh, SD_EVENT_ONESHOT);
}

int metrics_write(Manager *m) {
        _cleanup_close_ int fd = -EBADF;
        off_t size = 0;
        int r, k;

        m->metrics_dirty = false;
        metrics_schedule_refresh(m);
        fd = metrics_text(m, &size);
        if (fd < 0) {
                metrics_failed(&m->metrics_failing, fd, m->runtime_dir, "metrics.prom");
                return fd;
        }
        r = write_to_dir(m->runtime_dir, "metrics.prom", fd, size, false);
        if (r < 0)
                metrics_failed(&m->metrics_failing, r, m->runtime_dir, "metrics.prom");
        else
                metrics_written(&m->metrics_failing, m->runtime_dir, "metrics.prom");
        if (m->textfile_dir) {
                /* a directory not there: no node_exporter here (yet); nothing to say */
                k = write_to_dir(m->textfile_dir, TEXTFILE_NAME, fd, size, true);
                if (k < 0)
                        metrics_failed(&m->textfile_failing, k, m->textfile_dir, TEXTFILE_NAME);
                else
                        metrics_written(&m->textfile_failing, m->textfile_dir, TEXTFILE_NAME);
                if (r >= 0)
                        r = k;
        }
        return r;
}

void metrics_remove_textfile(Manager *m) {
        _cleanup_free_ char *path = NULL;

        if (!m->textfile_dir)
                return;
        if (asprintf(&path, "%s/" TEXTFILE_NAME, m->textfile_dir) < 0)
                return;
        if (unlink(path) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove %s: %m", path);
}

static int on_metrics_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        (void) metrics_write(m);
        return 0;
}

void metrics_mark_dirty(Manager *m) {
        int r;

        if (m->metrics_dirty)
                return;
        m->metrics_dirty = true;
        if (!m->metrics_timer) {
                r = sd_event_add_time_relative(m->event, &m->metrics_timer, CLOCK_MONOTONIC, METRICS_DELAY_USEC,
                                               100 * USEC_PER_MSEC, on_metrics_timer, m);
                if (r < 0) {
                        log_error_errno(r, "Failed to schedule the metrics file: %m");
                        return;
                }
        } else
                (void) sd_event_source_set_time_relative(m->metrics_timer, METRICS_DELAY_USEC);
        (void) sd_event_source_set_enabled(m->metrics_timer, SD_EVENT_ONESHOT);
}
