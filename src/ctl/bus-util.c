/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What virtualing asks systemd and the watcher over D-Bus. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "strv.h"

#define STR_IN_SET3(s, a, b, c) (streq((s), (a)) || streq((s), (b)) || streq((s), (c)))

void watched_jail_clear(WatchedJail *j) {
        free(j->name);
        free(j->path);
        free(j->unit);
        free(j->cgroup);
        free(j->backend);
        strv_free(j->event_names);
        free(j->event_counts);
        *j = (WatchedJail) {};
}

uint64_t watched_jail_events_total(const WatchedJail *j) {
        uint64_t sum = 0;

        for (size_t i = 0; i < j->n_events; i++)
                sum += j->event_counts[i];
        return sum;
}

void watched_jails_clear(WatchedJails *l) {
        for (size_t i = 0; i < l->n; i++)
                watched_jail_clear(&l->items[i]);
        free(l->items);
        *l = (WatchedJails) {};
}

const WatchedJail *watched_jails_find(const WatchedJails *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].name && streq(l->items[i].name, name))
                        return &l->items[i];
        return NULL;
}

int bus_open(sd_bus **ret) {
        /* sd_bus_open_system() honours $DBUS_SYSTEM_BUS_ADDRESS, which tests point at a private bus */
        return sd_bus_open_system(ret);
}

char *jail_unit_name(const char *name) {
        char *s = NULL;

        if (asprintf(&s, "virtualing@%s.service", name) < 0)
                return NULL;
        return s;
}

const char *bus_error_text(const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e) && e->message)
                return e->message;
        return strerror(r < 0 ? -r : r);
}

static int dup_string(const char *s, char **ret) {
        char *c = strdup(s);

        if (!c)
                return -ENOMEM;
        free(*ret);
        *ret = c;
        return 0;
}

static int read_events(sd_bus_message *m, WatchedJail *j) {
        const char *k;
        uint64_t v;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{st}", &k, &v)) > 0) {
                uint64_t *c = realloc(j->event_counts, (j->n_events + 1) * sizeof(uint64_t));
                if (!c)
                        return -ENOMEM;
                j->event_counts = c;
                r = strv_extend(&j->event_names, k);
                if (r < 0)
                        return r;
                j->event_counts[j->n_events++] = v;
        }
        if (r < 0)
                return r;
        j->have_events = true;
        return sd_bus_message_exit_container(m);
}

/* The a{sv} of org.virtualing1.Jail, the message positioned at the array. */
static int read_jail_properties(sd_bus_message *m, WatchedJail *j) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *prop, *contents, *s;
                uint64_t t;
                char type;

                r = sd_bus_message_read(m, "s", &prop);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                if (STR_IN_SET3(prop, "Name", "Unit", "ControlGroup") && streq(contents, "s")) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r >= 0)
                                r = dup_string(s, streq(prop, "Name") ? &j->name :
                                                  streq(prop, "Unit") ? &j->unit : &j->cgroup);
                } else if (STR_IN_SET3(prop, "MemoryCurrent", "MemoryMax", "MemoryHigh") && streq(contents, "t")) {
                        r = sd_bus_message_read(m, "v", "t", &t);
                        if (r >= 0 && streq(prop, "MemoryCurrent")) {
                                j->memory_current = t;
                                j->have_memory_current = t != UINT64_MAX; /* unreadable */
                        } else if (r >= 0 && streq(prop, "MemoryMax")) {
                                j->memory_max = t;
                                j->have_memory_max = true;
                        } else if (r >= 0) {
                                j->memory_high = t;
                                j->have_memory_high = true;
                        }
                } else if (streq(prop, "Events") && streq(contents, "a{st}")) {
                        r = sd_bus_message_enter_container(m, 'v', "a{st}");
                        if (r >= 0)
                                r = read_events(m, j);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static bool error_is_no_watcher(const sd_bus_error *e) {
        return sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) || sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

/* A call to the watcher that does not start it through bus activation. */
static int watcher_call(sd_bus *bus, const char *path, const char *iface, const char *member, sd_bus_error *error,
                        sd_bus_message **ret_reply, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, WATCHER_BUS_NAME, path, iface, member);
        if (r < 0)
                return r;
        r = sd_bus_message_set_auto_start(call, false);
        if (r < 0)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(call, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        r = sd_bus_call(bus, call, 0, error, ret_reply);
        if (r < 0 && error_is_no_watcher(error))
                return -ESRCH;
        return r;
}

int watcher_list_jails(sd_bus *bus, WatchedJails *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(watched_jails_clearp) WatchedJails l = {};
        const char *path;
        int r;

        r = watcher_call(bus, WATCHER_MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", error,
                         &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                _cleanup_(watched_jail_clearp) WatchedJail j = {};
                bool is_jail = false;
                const char *iface;

                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        r = sd_bus_message_read(reply, "s", &iface);
                        if (r < 0)
                                return r;
                        if (streq(iface, WATCHER_JAIL_IFACE)) {
                                is_jail = true;
                                r = read_jail_properties(reply, &j);
                        } else
                                r = sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
                if (!is_jail || !j.name)
                        continue;
                r = dup_string(path, &j.path);
                if (r < 0)
                        return r;
                WatchedJail *items = realloc(l.items, (l.n + 1) * sizeof(WatchedJail));
                if (!items)
                        return -ENOMEM;
                l.items = items;
                l.items[l.n++] = j;
                j = (WatchedJail) {};
        }
        if (r < 0)
                return r;
        *ret = l;
        l = (WatchedJails) {};
        return 0;
}

int watcher_get_jail(sd_bus *bus, const char *name, WatchedJail *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *props = NULL;
        _cleanup_(watched_jail_clearp) WatchedJail j = {};
        const char *path;
        int r;

        r = watcher_call(bus, WATCHER_MANAGER_PATH, WATCHER_MANAGER_IFACE, "GetJail", error, &reply, "s", name);
        if (r < 0 && sd_bus_error_has_name(error, "org.virtualing1.NoSuchJail"))
                return -ENOENT;
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = dup_string(path, &j.path);
        if (r < 0)
                return r;
        r = watcher_call(bus, j.path, "org.freedesktop.DBus.Properties", "GetAll", error, &props, "s",
                         WATCHER_JAIL_IFACE);
        if (r < 0 && sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_OBJECT))
                return -ENOENT; /* it stopped in between */
        if (r < 0)
                return r;
        r = read_jail_properties(props, &j);
        if (r < 0)
                return r;
        /* a watcher older than the property leaves it NULL */
        (void) sd_bus_get_property_string(bus, WATCHER_BUS_NAME, WATCHER_MANAGER_PATH, WATCHER_MANAGER_IFACE,
                                          "CgroupBackend", NULL, &j.backend);
        *ret = j;
        j = (WatchedJail) {};
        return 0;
}

void unit_info_clear(UnitInfo *u) {
        free(u->load_state);
        free(u->active_state);
        free(u->sub_state);
        free(u->fragment);
        free(u->result);
        *u = (UnitInfo) {};
}

static const char *unit_type_interface(const char *unit) {
        size_t n = strlen(unit);

        if (n > 6 && streq(unit + n - 6, ".scope"))
                return "org.freedesktop.systemd1.Scope";
        return "org.freedesktop.systemd1.Service";
}

static int get_string(sd_bus *bus, const char *path, const char *iface, const char *prop, char **ret,
                      sd_bus_error *error) {
        free(*ret);
        *ret = NULL;
        return sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, iface, prop, error, ret);
}

static int get_u64(sd_bus *bus, const char *path, const char *iface, const char *prop, uint64_t *ret,
                   sd_bus_error *error) {
        return sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path, iface, prop, error, 't', ret);
}

int systemd_unit_info(sd_bus *bus, const char *unit, bool load, bool full, UnitInfo *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(unit_info_clearp) UnitInfo u = {
                .memory_current = UINT64_MAX, .memory_max = UINT64_MAX, .memory_high = UINT64_MAX,
                .cpu_quota_per_sec_usec = UINT64_MAX, .tasks_max = UINT64_MAX,
        };
        const char *path, *unit_iface = "org.freedesktop.systemd1.Unit", *type_iface = unit_type_interface(unit);
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", error, &reply, "s", unit);
        if (r < 0 && sd_bus_error_has_name(error, "org.freedesktop.systemd1.NoSuchUnit")) {
                if (!load) {
                        sd_bus_error_free(error);
                        if (dup_string("inactive", &u.active_state) < 0 || dup_string("dead", &u.sub_state) < 0)
                                return -ENOMEM;
                        *ret = u;
                        u = (UnitInfo) {};
                        return 0;
                }
                sd_bus_error_free(error);
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "LoadUnit", error, &reply, "s", unit);
        }
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        u.loaded = true;
        r = get_string(bus, path, unit_iface, "ActiveState", &u.active_state, error);
        if (r >= 0)
                r = get_string(bus, path, unit_iface, "SubState", &u.sub_state, error);
        if (r < 0)
                return r;
        if (!full) {
                *ret = u;
                u = (UnitInfo) {};
                return 0;
        }
        /* the rest is nice to have: a systemd that lacks one is not an error */
        (void) get_string(bus, path, unit_iface, "LoadState", &u.load_state, NULL);
        (void) get_string(bus, path, unit_iface, "FragmentPath", &u.fragment, NULL);
        (void) get_u64(bus, path, unit_iface, "ActiveEnterTimestamp", &u.active_enter_timestamp, NULL);
        (void) get_u64(bus, path, unit_iface, "InactiveEnterTimestamp", &u.inactive_enter_timestamp, NULL);
        if (streq(type_iface, "org.freedesktop.systemd1.Service"))
                (void) sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path, type_iface, "MainPID", NULL,
                                                   'u', &u.main_pid);
        (void) get_u64(bus, path, type_iface, "MemoryCurrent", &u.memory_current, NULL);
        (void) get_u64(bus, path, type_iface, "MemoryMax", &u.memory_max, NULL);
        (void) get_u64(bus, path, type_iface, "MemoryHigh", &u.memory_high, NULL);
        (void) get_u64(bus, path, type_iface, "CPUQuotaPerSecUSec", &u.cpu_quota_per_sec_usec, NULL);
        (void) get_u64(bus, path, type_iface, "TasksMax", &u.tasks_max, NULL);
        if (streq(type_iface, "org.freedesktop.systemd1.Service"))
                (void) get_string(bus, path, type_iface, "Result", &u.result, NULL);
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                const uint8_t *id;
                size_t n;

                if (sd_bus_get_property(bus, "org.freedesktop.systemd1", path, unit_iface, "InvocationID", NULL, &m,
                                        "ay") >= 0 &&
                    sd_bus_message_read_array(m, 'y', (const void **) &id, &n) >= 0 && n == 16)
                        for (size_t i = 0; i < 16; i++)
                                snprintf(u.invocation_id + 2 * i, 3, "%02x", id[i]);
        }
        *ret = u;
        u = (UnitInfo) {};
        return 0;
}
