/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /run/virtualing/metrics.prom in the node_exporter textfile format. Written when
 * something changed, a second later (changes meanwhile coalesce), never on a timer when
 * idle; from the values the watcher last read, so that writing it reads no cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "watcher.h"

#define METRICS_DELAY_USEC USEC_PER_SEC

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

static void gauge(FILE *f, const char *metric, const char *jail, uint64_t v) {
        if (v == UINT64_MAX)
                return; /* "max": no number to give */
        fprintf(f, "%s{jail=\"", metric);
        label(f, jail);
        fprintf(f, "\"} %" PRIu64 "\n", v);
}

/* Said once, not at every change: the next change tries again. */
static int metrics_failed(Manager *m, int r, const char *path) {
        if (!m->metrics_failing)
                log_error_errno(r, "Failed to write %s: %m; the metrics file is behind until it can be written.",
                                path);
        m->metrics_failing = true;
        return r;
}

int metrics_write(Manager *m) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        FILE *f;
        Watch *w;
        int fd, r = 0;

        m->metrics_dirty = false;
        if (asprintf(&path, "%s/metrics.prom", m->runtime_dir) < 0 || asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return metrics_failed(m, -errno, tmp);
        f = fdopen(fd, "w");
        if (!f) {
                (void) close(fd);
                return -ENOMEM;
        }

        fputs("# HELP virtualing_jail_events_total Memory events of a jail seen by virtualing-watcher.\n"
              "# TYPE virtualing_jail_events_total counter\n", f);
        HASHMAP_FOREACH(w, m->watches, st)
                for (Tally t = 0; t < _TALLY_MAX; t++) {
                        fputs("virtualing_jail_events_total{jail=\"", f);
                        label(f, w->name);
                        fprintf(f, "\",event=\"%s\"} %" PRIu64 "\n", tally_to_string(t), w->tally[t]);
                }
        fputs("# HELP virtualing_jail_memory_max_bytes MemoryMax of a jail's cgroup.\n"
              "# TYPE virtualing_jail_memory_max_bytes gauge\n", f);
        HASHMAP_FOREACH(w, m->watches, st)
                gauge(f, "virtualing_jail_memory_max_bytes", w->name, w->max);
        fputs("# HELP virtualing_jail_memory_high_bytes MemoryHigh of a jail's cgroup.\n"
              "# TYPE virtualing_jail_memory_high_bytes gauge\n", f);
        HASHMAP_FOREACH(w, m->watches, st)
                gauge(f, "virtualing_jail_memory_high_bytes", w->name, w->high);
        fputs("# HELP virtualing_jail_memory_current_bytes Memory use of a jail when the watcher last read it.\n"
              "# TYPE virtualing_jail_memory_current_bytes gauge\n", f);
        HASHMAP_FOREACH(w, m->watches, st)
                gauge(f, "virtualing_jail_memory_current_bytes", w->name, w->current);
        fputs("# HELP virtualing_jails Jails watched.\n"
              "# TYPE virtualing_jails gauge\n", f);
        fprintf(f, "virtualing_jails %zu\n", hashmap_size(m->watches));

        if (fflush(f) != 0 || ferror(f))
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return metrics_failed(m, r, path);
        }
        if (m->metrics_failing)
                log_info("%s is written again.", path);
        m->metrics_failing = false;
        return 0;
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
