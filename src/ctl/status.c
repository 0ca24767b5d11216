/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing status NAME: a jail's files, unit state, limits, usage, events and addresses. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "cap-hint.h"
#include "ctl.h"
#include "json.h"
#include "log.h"
#include "pager.h"
#include "strv.h"
#include "table.h"

typedef struct Status {
        char *name, *file, **dropins;
        bool configured, invalid;
        JailDiags diags;
        Jail *jail;
        char **addresses;

        char *unit;
        bool have_unit; /* systemd answered */
        UnitInfo u;

        bool watched; /* the watcher watches it */
        bool have_watcher;
        WatchedJail w;

        CapHint hint;         /* why the last run failed, when it says */
        bool have_hint;
        const char *limits_source; /* "watcher", "systemd" or NULL */
        uint64_t memory_current, memory_max, memory_high;
        bool have_memory_current, have_memory_max, have_memory_high;
} Status;

static void status_clear(Status *s) {
        free(s->name);
        free(s->file);
        strv_free(s->dropins);
        jail_diags_clear(&s->diags);
        jail_free(s->jail);
        strv_free(s->addresses);
        free(s->unit);
        unit_info_clear(&s->u);
        watched_jail_clear(&s->w);
        cap_hint_done(&s->hint);
}

static int gather(Status *s, const char *name) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        int r, locate;

        s->name = strdup(name);
        if (!s->name)
                return -ENOMEM;

        r = jail_search_path(&dirs);
        if (r < 0)
                return r;
        locate = jail_locate(dirs, name, &s->file, &s->dropins);
        if (locate == -ENOMEM)
                return locate;
        if (locate == -ERFKILL || locate == -EINVAL)
                return locate;
        s->configured = locate >= 0;
        if (s->configured) {
                r = jail_load_files(name, s->file, s->dropins, jail_load_flags_default(), &s->jail, &s->diags);
                if (r == -ENOMEM)
                        return r;
                s->invalid = r < 0;
                for (size_t i = 0; s->jail && i < s->jail->n_addresses; i++) {
                        char *a = NULL;
                        r = format_ip_prefix(s->jail->addresses[i].family, &s->jail->addresses[i].address,
                                             s->jail->addresses[i].prefixlen, &a);
                        if (r >= 0)
                                r = strv_consume(&s->addresses, a);
                        if (r < 0)
                                return r;
                }
        }

        if (bus_open(&bus) >= 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = watcher_get_jail(bus, name, &s->w, &error);
                if (r == -ENOMEM)
                        return r;
                s->watched = r >= 0;
                s->have_watcher = r != -ESRCH;
                sd_bus_error_free(&error);
        } else
                bus = NULL;

        if (!s->configured && !s->watched)
                return locate; /* -ENOENT: unknown */

        s->unit = s->watched && s->w.unit ? strdup(s->w.unit) : jail_unit_name(name);
        if (!s->unit)
                return -ENOMEM;
        if (bus) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = systemd_unit_info(bus, s->unit, true, true, &s->u, &error);
                if (r == -ENOMEM)
                        return r;
                s->have_unit = r >= 0;
        }

        /* a run that failed: did it say what it was not permitted to do? (needs the journal) */
        if (s->jail && s->have_unit && s->u.result && !streq(s->u.result, "success") && s->u.invocation_id[0])
                s->have_hint = cap_hint_from_journal(s->unit, s->u.invocation_id, s->jail->capability_bounding_set,
                                                     &s->hint) >= 0;

        if (s->watched) {
                s->limits_source = "watcher";
                s->memory_current = s->w.memory_current;
                s->have_memory_current = s->w.have_memory_current;
                s->memory_max = s->w.memory_max;
                s->have_memory_max = s->w.have_memory_max;
                s->memory_high = s->w.memory_high;
                s->have_memory_high = s->w.have_memory_high;
        } else if (s->have_unit && s->u.loaded) {
                s->limits_source = "systemd";
                s->memory_current = s->u.memory_current;
                s->have_memory_current = s->u.memory_current != UINT64_MAX;
                s->memory_max = s->u.memory_max;
                s->have_memory_max = true;
                s->memory_high = s->u.memory_high;
                s->have_memory_high = true;
        }
        return 0;
}

static void json_strv(FILE *f, char * const *l) {
        fputc('[', f);
        STRV_FOREACH(p, l) {
                if (p != l)
                        fputc(',', f);
                json_string(f, *p);
        }
        fputc(']', f);
}

static int write_json(FILE *f, void *userdata) {
        const Status *s = userdata;
        bool unit = s->have_unit;

        fputs("{\"name\":", f);
        json_string(f, s->name);
        fputs(",\"file\":", f);
        json_string(f, s->file);
        fputs(",\"dropins\":", f);
        json_strv(f, s->dropins);
        fputs(",\"valid\":", f);
        fputs(s->configured && !s->invalid ? "true" : "false", f);
        fputs(",\"errors\":[", f);
        for (size_t i = 0; i < s->diags.n; i++) {
                _cleanup_free_ char *d = jail_diag_format(&s->diags.items[i]);
                if (i > 0)
                        fputc(',', f);
                json_string(f, d ?: s->diags.items[i].message);
        }
        fputs("],\"unit\":", f);
        json_string(f, s->unit);
        fputs(",\"load_state\":", f);
        json_string(f, unit ? s->u.load_state : NULL);
        fputs(",\"active_state\":", f);
        json_string(f, unit ? s->u.active_state : NULL);
        fputs(",\"sub_state\":", f);
        json_string(f, unit ? s->u.sub_state : NULL);
        fputs(",\"main_pid\":", f);
        json_u64(f, s->u.main_pid, unit && s->u.main_pid > 0);
        fputs(",\"active_enter_timestamp\":", f);
        json_u64(f, s->u.active_enter_timestamp, unit && s->u.active_enter_timestamp > 0);
        fputs(",\"limits_source\":", f);
        json_string(f, s->limits_source);
        fputs(",\"memory_current\":", f);
        json_u64(f, s->memory_current, s->have_memory_current);
        fputs(",\"memory_max\":", f);
        json_u64(f, s->memory_max, s->have_memory_max);
        fputs(",\"memory_high\":", f);
        json_u64(f, s->memory_high, s->have_memory_high);
        fputs(",\"cpu_quota_per_sec_usec\":", f);
        json_u64(f, s->u.cpu_quota_per_sec_usec, unit && s->u.loaded);
        fputs(",\"tasks_max\":", f);
        json_u64(f, s->u.tasks_max, unit && s->u.loaded);
        fputs(",\"events\":", f);
        if (s->watched && s->w.have_events) {
                fputc('{', f);
                for (size_t i = 0; i < s->w.n_events; i++) {
                        if (i > 0)
                                fputc(',', f);
                        json_string(f, s->w.event_names[i]);
                        fprintf(f, ":%" PRIu64, s->w.event_counts[i]);
                }
                fputc('}', f);
        } else
                fputs("null", f);
        fputs(",\"backend\":", f);
        json_string(f, s->watched ? s->w.backend : NULL);
        fputs(",\"capabilities\":", f);
        if (s->jail) {
                _cleanup_free_ char *caps = cap_set_to_string(s->jail->capability_bounding_set);
                _cleanup_strv_free_ char **l = NULL;
                if (caps && s->jail->capability_bounding_set != 0)
                        (void) split_words(caps, &l);
                json_strv(f, l);
        } else
                fputs("null", f);
        fputs(",\"result\":", f);
        json_string(f, unit ? s->u.result : NULL);
        fputs(",\"refused\":", f);
        json_string(f, s->have_hint ? s->hint.line : NULL);
        fputs(",\"missing_capability\":", f);
        json_string(f, s->have_hint && s->hint.cap >= 0 ? capability_to_name(s->hint.cap) : NULL);
        fputs(",\"addresses\":", f);
        json_strv(f, s->addresses);
        fputs(",\"device\":", f);
        json_string(f, s->jail ? s->jail->device : NULL);
        fputc('}', f);
        return 0;
}

static const char *on(const char *color) {
        return colors_enabled() && color ? color : "";
}

static const char *off(const char *color) {
        return colors_enabled() && color ? ANSI_NORMAL : "";
}

/* S with control characters and invalid UTF-8 escaped for the terminal, kept in *BUF (the
 * caller frees it); "?" when out of memory, never S raw. */
static const char *esc(char **buf, const char *s) {
        free(*buf);
        *buf = escape_for_display(s ?: "");
        return *buf ?: "?";
}

static void print_text(const Status *s) {
        _cleanup_free_ char *e = NULL;
        const char *state = s->have_unit ? s->u.active_state : NULL, *color;
        char b1[FORMAT_BYTES_MAX], b2[FORMAT_BYTES_MAX], b3[FORMAT_BYTES_MAX], ts[FORMAT_TIMESTAMP_MAX];

        color = s->invalid ? ANSI_RED : active_state_color(state);
        printf("%s%s%s %s - virtualing jail\n", on(color), special_glyph_dot(), off(color), s->name);

        if (!s->configured)
                printf("     Loaded: no jail file (an ad hoc jail)\n");
        else if (s->invalid) {
                printf("     Loaded: %s (%sinvalid%s)\n", esc(&e, s->file), on(ANSI_RED), off(ANSI_RED));
                for (size_t i = 0; i < s->diags.n; i++) {
                        _cleanup_free_ char *d = jail_diag_format(&s->diags.items[i]);
                        printf("             %s\n", d ?: s->diags.items[i].message);
                }
        } else
                printf("     Loaded: %s\n", esc(&e, s->file));
        STRV_FOREACH(d, s->dropins)
                printf("%s %s\n", d == s->dropins ? "    Drop-In:" : "            ", esc(&e, *d));

        printf("       Unit: %s\n", s->unit);
        if (!s->have_unit)
                printf("     Active: unknown (systemd did not answer)\n");
        else {
                uint64_t since = streq(s->u.active_state, "active") || streq(s->u.active_state, "reloading") ?
                                         s->u.active_enter_timestamp : s->u.inactive_enter_timestamp;
                format_timestamp(ts, sizeof(ts), since);
                printf("     Active: %s%s (%s)%s%s%s\n", on(color), s->u.active_state, s->u.sub_state ?: "?",
                       off(color), ts[0] ? " since " : "", ts);
                if (s->u.main_pid > 0)
                        printf("   Main PID: %" PRIu32 "\n", s->u.main_pid);
        }

        if (s->limits_source) {
                printf("     Memory: %s", s->have_memory_current ? format_bytes(b1, sizeof(b1), s->memory_current) : "-");
                if (s->have_memory_max || s->have_memory_high) {
                        const char *sep = " (";
                        if (s->have_memory_max && s->memory_max != UINT64_MAX) {
                                printf("%smax: %s", sep, format_bytes(b2, sizeof(b2), s->memory_max));
                                sep = ", ";
                        }
                        if (s->have_memory_high && s->memory_high != UINT64_MAX) {
                                printf("%shigh: %s", sep, format_bytes(b3, sizeof(b3), s->memory_high));
                                sep = ", ";
                        }
                        if (!streq(sep, " ("))
                                putchar(')');
                }
                printf(" [%s]\n", s->limits_source);
        } else if (s->jail && s->jail->memory_max_set)
                printf("     Memory: - (max: %s) [jail file]\n", format_bytes(b2, sizeof(b2), s->jail->memory_max));
        if (s->have_unit && s->u.loaded && s->u.cpu_quota_per_sec_usec != UINT64_MAX)
                printf("  CPU quota: %.1f%%\n", (double) s->u.cpu_quota_per_sec_usec / 10000.0);
        if (s->have_unit && s->u.loaded && s->u.tasks_max != UINT64_MAX)
                printf("  Tasks max: %" PRIu64 "\n", s->u.tasks_max);

        if (s->watched && s->w.have_events) {
                uint64_t total = watched_jail_events_total(&s->w);
                printf("     Events: %s%" PRIu64 "%s", on(total > 0 ? ANSI_YELLOW : NULL), total,
                       off(total > 0 ? ANSI_YELLOW : NULL));
                const char *sep = " (";
                for (size_t i = 0; i < s->w.n_events; i++)
                        if (s->w.event_counts[i] > 0) {
                                printf("%s%s=%" PRIu64, sep, s->w.event_names[i], s->w.event_counts[i]);
                                sep = " ";
                        }
                printf("%s\n", streq(sep, " ") ? ")" : "");
                if (s->w.backend)
                        printf("    Backend: %s\n", streq(s->w.backend, "cgroup-v1") ?
                                       "cgroup v1 (the legacy memory controller: no MemoryHigh)" : "cgroup v2");
        } else
                printf("     Events: - (%s)\n", s->have_watcher ? "not running" : "the watcher is not running");

        STRV_FOREACH(a, s->addresses)
                printf("%s %s%s%s\n", a == s->addresses ? "    Address:" : "            ", *a,
                       s->jail && s->jail->device ? " on " : "", s->jail && s->jail->device ? s->jail->device : "");

        if (s->jail) {
                _cleanup_free_ char *caps = cap_set_to_string(s->jail->capability_bounding_set);
                printf("       Caps: %s\n", caps ?: "?");
        }
        if (s->have_hint) {
                /* the daemon's own words, from the journal */
                printf("    Refused: %s%s%s\n", on(ANSI_RED), esc(&e, s->hint.line), off(ANSI_RED));
                if (s->hint.cap >= 0)
                        printf("       Hint: %s is not in the jail's CapabilityBoundingSet=; add it if the daemon "
                               "needs it (virtualing.conf(5), CAPABILITIES)\n", capability_to_name(s->hint.cap));
                else
                        printf("       Hint: the jail withholds every capability not listed above; see "
                               "virtualing.conf(5), CAPABILITIES\n");
        }
}

int verb_status(int argc, char *argv[]) {
        _cleanup_(status_clear) Status s = {};
        int r;

        if (argc != 2) {
                log_error("status: expected exactly one jail name.");
                return EXIT_USAGE;
        }
        if (!jail_name_is_valid(argv[1]))
                return complain_locate(argv[1], -EINVAL);
        r = gather(&s, argv[1]);
        if (r == -ENOMEM) {
                log_error("Out of memory.");
                return EXIT_FAILED;
        }
        if (r < 0)
                return complain_locate(argv[1], r);
        (void) pager_open(arg_no_pager);
        if (arg_json != JSON_OFF) {
                r = json_output(arg_json, write_json, &s);
                if (r < 0) {
                        log_error("Out of memory.");
                        return EXIT_FAILED;
                }
        } else
                print_text(&s);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}
