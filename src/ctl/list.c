/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing list: every configured jail with its state, memory, addresses and events. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "ctl.h"
#include "json.h"
#include "log.h"
#include "pager.h"
#include "strv.h"
#include "table.h"

typedef struct Row {
        char *name, *unit, *file;
        char *state, *sub_state; /* NULL: unknown */
        bool invalid;
        uint64_t memory_current, memory_max, events;
        bool have_memory_current, have_memory_max, have_events;
        char **addresses;
} Row;

static void row_clear(Row *r) {
        free(r->name);
        free(r->unit);
        free(r->file);
        free(r->state);
        free(r->sub_state);
        strv_free(r->addresses);
}

typedef struct Rows {
        Row *items;
        size_t n;
} Rows;

static void rows_clear(Rows *l) {
        for (size_t i = 0; i < l->n; i++)
                row_clear(&l->items[i]);
        free(l->items);
}

static Row *rows_new(Rows *l) {
        Row *items = realloc(l->items, (l->n + 1) * sizeof(Row));

        if (!items)
                return NULL;
        l->items = items;
        items[l->n] = (Row) {};
        return &items[l->n++];
}

static int row_cmp(const void *a, const void *b) {
        return strcmp(((const Row *) a)->name, ((const Row *) b)->name);
}

static int row_addresses(Row *row, const Jail *j) {
        for (size_t i = 0; i < j->n_addresses; i++) {
                char *s = NULL;
                int r = format_ip_prefix(j->addresses[i].family, &j->addresses[i].address, j->addresses[i].prefixlen, &s);
                if (r < 0)
                        return r;
                r = strv_consume(&row->addresses, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The state from systemd and the watcher, for a row whose name and unit are set. */
static int row_fill_bus(Row *row, sd_bus *bus, bool *have_systemd, const WatchedJail *w) {
        if (w) {
                row->memory_current = w->memory_current;
                row->have_memory_current = w->have_memory_current;
                row->memory_max = w->memory_max;
                row->have_memory_max = w->have_memory_max;
                row->events = watched_jail_events_total(w);
                row->have_events = w->have_events;
        }
        if (bus && *have_systemd && !row->invalid) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(unit_info_clearp) UnitInfo u = {};
                int r = systemd_unit_info(bus, row->unit, false, false, &u, &error);
                if (r == -ENOMEM)
                        return r;
                /* no systemd on this bus: do not ask again for every jail */
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        *have_systemd = false;
                if (r >= 0) {
                        row->state = TAKE_PTR(u.active_state);
                        row->sub_state = TAKE_PTR(u.sub_state);
                }
        }
        return 0;
}

static int collect(Rows *rows, bool *ret_watcher) {
        _cleanup_(watched_jails_clearp) WatchedJails watched = {};
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(jail_index_freep) JailIndex *idx = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        bool have_watcher = false, have_systemd = false;
        int r;

        r = jail_search_path(&dirs);
        if (r >= 0)
                r = jail_index_scan(dirs, &idx);
        if (r < 0) {
                log_error("Failed to enumerate jails: %s", strerror(-r));
                return r;
        }

        /* without a bus the files are still listed, their state unknown */
        if (bus_open(&bus) >= 0) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = watcher_list_jails(bus, &watched, &error);
                if (r == -ENOMEM)
                        return r;
                have_watcher = r >= 0;
                have_systemd = true;
        } else
                bus = NULL;

        for (size_t i = 0; i < idx->n_entries; i++) {
                const JailIndexEntry *e = &idx->entries[i];
                _cleanup_(jail_diags_clearp) JailDiags diags = {};
                _cleanup_(jail_freep) Jail *j = NULL;
                Row *row;

                if (e->masked)
                        continue;
                row = rows_new(rows);
                if (!row)
                        return -ENOMEM;
                row->name = strdup(e->name);
                row->file = strdup(e->path);
                if (!row->name || !row->file)
                        return -ENOMEM;

                if (!jail_name_is_valid(e->name))
                        r = -EINVAL;
                else {
                        r = jail_load_index_entry(idx, e, jail_load_flags_default(), &j, &diags);
                }
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        row->invalid = true;
                        row->state = strdup("invalid");
                        if (!row->state)
                                return -ENOMEM;
                } else {
                        r = row_addresses(row, j);
                        if (r < 0)
                                return r;
                }

                const WatchedJail *w = watched_jails_find(&watched, e->name);
                row->unit = w && w->unit ? strdup(w->unit) : jail_unit_name(e->name);
                if (!row->unit)
                        return -ENOMEM;
                r = row_fill_bus(row, bus, &have_systemd, w);
                if (r < 0)
                        return r;
        }

        /* jails the watcher sees without a file in the search path: ad hoc ones of virtualing run FILE */
        for (size_t i = 0; i < watched.n; i++) {
                const WatchedJail *w = &watched.items[i];
                bool known = false;
                Row *row;

                for (size_t k = 0; k < idx->n_entries && !known; k++)
                        known = streq(idx->entries[k].name, w->name);
                if (known)
                        continue;
                row = rows_new(rows);
                if (!row)
                        return -ENOMEM;
                row->name = strdup(w->name);
                row->unit = w->unit ? strdup(w->unit) : jail_unit_name(w->name);
                if (!row->name || !row->unit)
                        return -ENOMEM;
                r = row_fill_bus(row, bus, &have_systemd, w);
                if (r < 0)
                        return r;
        }
        if (rows->n > 0)
                qsort(rows->items, rows->n, sizeof(Row), row_cmp);
        *ret_watcher = have_watcher;
        return 0;
}

static int write_json(FILE *f, void *userdata) {
        const Rows *rows = userdata;

        fputc('[', f);
        for (size_t i = 0; i < rows->n; i++) {
                const Row *row = &rows->items[i];

                fputs(i > 0 ? ",{" : "{", f);
                fputs("\"name\":", f);
                json_string(f, row->name);
                fputs(",\"unit\":", f);
                json_string(f, row->unit);
                fputs(",\"file\":", f);
                json_string(f, row->file);
                fputs(",\"state\":", f);
                json_string(f, row->state);
                fputs(",\"sub_state\":", f);
                json_string(f, row->sub_state);
                fputs(",\"memory_current\":", f);
                json_u64(f, row->memory_current, row->have_memory_current);
                fputs(",\"memory_max\":", f);
                json_u64(f, row->memory_max, row->have_memory_max);
                fputs(",\"addresses\":[", f);
                STRV_FOREACH(a, row->addresses) {
                        if (a != row->addresses)
                                fputc(',', f);
                        json_string(f, *a);
                }
                fputs("],\"events\":", f);
                json_u64(f, row->events, row->have_events);
                fputc('}', f);
        }
        fputc(']', f);
        return 0;
}

static int print_table(const Rows *rows, bool legend, bool have_watcher) {
        static const char * const headers[] = { "JAIL", "STATE", "SUB", "MEMORY", "MAX", "VIP", "EVENTS" };
        static const Align align[] = { ALIGN_LEFT, ALIGN_LEFT, ALIGN_LEFT, ALIGN_RIGHT, ALIGN_RIGHT, ALIGN_LEFT,
                                       ALIGN_RIGHT };
        _cleanup_(table_freep) Table *t = table_new(ELEMENTSOF(headers), headers, align);
        char buf[FORMAT_BYTES_MAX];
        int r = 0;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < rows->n && r >= 0; i++) {
                const Row *row = &rows->items[i];
                _cleanup_free_ char *vip = strv_join(row->addresses, ",");

                if (!vip)
                        return -ENOMEM;
                r = table_add(t, row->name, colors_enabled() ? ANSI_HIGHLIGHT : NULL);
                if (r >= 0)
                        r = table_add(t, row->state ?: "-", active_state_color(row->state));
                if (r >= 0)
                        r = table_add(t, row->sub_state ?: "-", row->sub_state ? active_state_color(row->state) : NULL);
                if (r >= 0)
                        r = table_add(t, row->have_memory_current ?
                                                 format_bytes(buf, sizeof(buf), row->memory_current) : "-", NULL);
                if (r >= 0)
                        r = table_add(t, row->have_memory_max ? format_bytes(buf, sizeof(buf), row->memory_max) : "-",
                                      NULL);
                if (r >= 0)
                        r = table_add(t, isempty(vip) ? "-" : vip, NULL);
                if (r >= 0)
                        r = row->have_events ? table_addf(t, row->events > 0 && colors_enabled() ? ANSI_YELLOW : NULL,
                                                          "%" PRIu64, row->events) :
                                               table_add(t, "-", NULL);
        }
        if (r < 0)
                return r;
        if (rows->n > 0 || !legend) {
                r = table_print(t, stdout, legend);
                if (r < 0)
                        return r;
        }
        if (legend) {
                if (rows->n > 0)
                        putchar('\n');
                if (!have_watcher)
                        printf("The watcher (org.virtualing1) is not running: memory and events are unknown.\n");
                printf("%zu %s listed.\n", rows->n, rows->n == 1 ? "jail" : "jails");
        }
        return 0;
}

int verb_list(int argc, char *argv[]) {
        _cleanup_(rows_clear) Rows rows = {};
        bool have_watcher = false;
        int r;

        if (argc > 1) {
                log_error("list: unexpected argument '%s'.", argv[1]);
                return EXIT_USAGE;
        }
        r = collect(&rows, &have_watcher);
        if (r == -ENOMEM)
                log_error("Out of memory.");
        if (r < 0)
                return EXIT_FAILED;
        (void) pager_open(arg_no_pager);
        if (arg_json != JSON_OFF)
                r = json_output(arg_json, write_json, &rows);
        else
                r = print_table(&rows, arg_legend, have_watcher);
        if (r < 0) {
                log_error("Failed to print the list: %s", strerror(-r));
                return EXIT_FAILED;
        }
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}
