/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.virtualing1: the Manager and one Jail object per watched jail. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "watcher.h"

#define BUS_NAME "org.virtualing1"
#define MANAGER_PATH "/org/virtualing1"
#define JAIL_PREFIX "/org/virtualing1/jail"
#define MANAGER_IFACE "org.virtualing1.Manager"
#define JAIL_IFACE "org.virtualing1.Jail"

static int method_list_jails(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        Watch *w;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(so)");
        if (r < 0)
                return r;
        HASHMAP_FOREACH(w, m->watches, st) {
                r = sd_bus_message_append(reply, "(so)", w->name, w->path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_jail(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        Watch *w;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        w = manager_get_watch(m, name);
        if (!w)
                return sd_bus_error_setf(error, "org.virtualing1.NoSuchJail", "No jail '%s' is running.", name);
        return sd_bus_reply_method_return(msg, "o", w->path);
}

/* Changing a jail is authorised by polkit (action org.virtualing1.manage), as systemd does
 * for its own privileged methods; root never needs to ask. The call is answered once polkit
 * has: the jail is looked up again by name then, since it may have gone meanwhile. */
#define POLKIT_ACTION "org.virtualing1.manage"
#define POLKIT_NAME "org.freedesktop.PolicyKit1"
/* interactive authentication waits for a person typing a password */
#define POLKIT_TIMEOUT_USEC (25 * USEC_PER_SEC)
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300 * USEC_PER_SEC)

typedef int (*authorized_cb)(Manager *m, sd_bus_message *msg, const char *jail, uint64_t value, bool flag,
                             sd_bus_error *error);

typedef struct AuthCall {
        Manager *manager;
        sd_bus_message *msg; /* the call being authorised, answered when polkit has */
        char *jail;
        uint64_t value;
        bool flag;
        authorized_cb run;
} AuthCall;

static void auth_call_free(void *p) {
        AuthCall *c = p;

        if (!c)
                return;
        sd_bus_message_unref(c->msg);
        free(c->jail);
        free(c);
}

/* No polkit to ask: not installed, not running, or its activation failed (masked, say). */
static bool polkit_absent(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
               (e->name && (strncmp(e->name, "org.freedesktop.DBus.Error.Spawn.", 33) == 0 ||
                            strncmp(e->name, "org.freedesktop.systemd1.", 25) == 0));
}

static int on_check_authorization(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        AuthCall *c = userdata; /* freed by the slot's destroy callback */
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        if (e && polkit_absent(e)) {
                log_notice("polkit is not on the system bus (%s): only root may change memory limits.",
                           e->message ?: e->name);
                r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "Only root may change memory limits here: polkit (%s) is not running, so "
                                      "no one else can be authorised for %s.", POLKIT_NAME, POLKIT_ACTION);
        } else if (e) {
                log_warning("polkit could not check %s for jail %s: %s", POLKIT_ACTION, c->jail,
                            e->message ?: e->name);
                r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                      "Could not ask polkit whether you may change memory limits: %s",
                                      e->message ?: e->name);
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                              "polkit gave an answer that could not be read: %s", strerror(-r));
                else if (authorized)
                        r = c->run(c->manager, c->msg, c->jail, c->value, c->flag, &error);
                else if (challenge)
                        r = sd_bus_error_set(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                             "Interactive authentication required.");
                else
                        r = sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                              "Not authorised to change the memory limits of jail %s "
                                              "(polkit action %s).", c->jail, POLKIT_ACTION);
        }
        if (r < 0) {
                if (!sd_bus_error_is_set(&error))
                        (void) sd_bus_error_set_errno(&error, r);
                (void) sd_bus_reply_method_error(c->msg, &error);
        }
        return 0;
}

/* Runs RUN at once for root; otherwise asks polkit, with the jail and what is to change as
 * details a rules file can look at, and runs RUN (or replies with the refusal) when polkit
 * answers. Returns what a method handler returns. */
static int verify_manage(Watch *w, sd_bus_message *msg, const char *property, uint64_t value, bool flag,
                         authorized_cb run, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        Manager *m = w->manager;
        bool interactive = sd_bus_message_get_allow_interactive_authorization(msg) > 0;
        const char *sender = sd_bus_message_get_sender(msg);
        char buf[21]; /* 2^64 - 1 has 20 digits */
        AuthCall *c;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (uid == 0)
                return run(m, msg, w->name, value, flag, error);
        if (!sender) /* a direct connection: no bus name for polkit to look at */
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Only root may change memory limits.");

        (void) snprintf(buf, sizeof buf, "%" PRIu64, value);
        r = sd_bus_message_new_method_call(m->bus, &call, POLKIT_NAME, "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0) /* subject: the caller's bus name */
                r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender,
                                          POLKIT_ACTION);
        if (r >= 0)
                r = sd_bus_message_append(call, "a{ss}us", 4, "jail", w->name, "unit", w->unit, "property",
                                          property, "bytes", buf, (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;

        c = calloc(1, sizeof(AuthCall));
        if (!c)
                return -ENOMEM;
        *c = (AuthCall) { .manager = m, .msg = sd_bus_message_ref(msg), .value = value, .flag = flag, .run = run };
        c->jail = strdup(w->name);
        if (!c->jail) {
                auth_call_free(c);
                return -ENOMEM;
        }
        r = sd_bus_call_async(m->bus, &slot, call, on_check_authorization, c,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                auth_call_free(c);
                return r;
        }
        /* the slot owns the call from here: freed after the reply, or with the bus */
        r = sd_bus_slot_set_destroy_callback(slot, auth_call_free);
        if (r >= 0)
                r = sd_bus_slot_set_floating(slot, 1);
        if (r < 0) {
                (void) sd_bus_slot_set_destroy_callback(slot, NULL);
                auth_call_free(c);
                return r;
        }
        return 1; /* answered when polkit has */
}

static int set_memory_authorized(Manager *m, sd_bus_message *msg, const char *jail, uint64_t bytes, bool high,
                                 sd_bus_error *error) {
        Watch *w = manager_get_watch(m, jail);
        int r;

        if (!w)
                return sd_bus_error_setf(error, "org.virtualing1.NoSuchJail", "Jail '%s' is no longer running.", jail);
        if (high)
                r = bus_set_memory_limits(w, UINT64_MAX, bytes, true, msg, "set");
        else
                r = bus_set_memory_limits(w, bytes, 0, false, msg, "set");
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to ask systemd to change %s: %m", w->unit);
        return 1; /* the reply comes when systemd answers */
}

static int method_set_memory(sd_bus_message *msg, void *userdata, sd_bus_error *error, bool high) {
        Watch *w = userdata;
        uint64_t bytes;
        int r;

        /* the request is checked first: nobody is asked for a password for a call that fails */
        r = sd_bus_message_read(msg, "t", &bytes);
        if (r < 0)
                return r;
        if (bytes == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "A memory limit of 0 bytes makes no sense.");
        if (high && w->manager->backend == CGROUP_V1)
                return sd_bus_error_set(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                        "MemoryHigh has no equivalent on the cgroup v1 memory controller.");
        return verify_manage(w, msg, high ? "MemoryHigh" : "MemoryMax", bytes, high, set_memory_authorized, error);
}

static int method_set_memory_max(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_set_memory(msg, userdata, error, false);
}

static int method_set_memory_high(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_set_memory(msg, userdata, error, true);
}

static int property_get_backend(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", cgroup_backend_to_string(m->backend));
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", w->name);
        if (streq(property, "Unit"))
                return sd_bus_message_append(reply, "s", w->unit);
        return sd_bus_message_append(reply, "s", w->cgroup);
}

static int property_get_memory(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        uint64_t v;

        if (streq(property, "MemoryCurrent"))
                v = watch_memory_current(w);
        else if (streq(property, "MemoryMax"))
                v = watch_memory_max(w);
        else
                v = watch_memory_high(w);
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_events(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Watch *w = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r < 0)
                return r;
        for (Tally t = 0; t < _TALLY_MAX; t++) {
                r = sd_bus_message_append(reply, "{st}", tally_to_string(t), w->tally[t]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListJails", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(so)", jails), method_list_jails,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJail", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", jail), method_get_jail,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("CgroupBackend", "s", property_get_backend, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_SIGNAL_WITH_ARGS("JailAdded", SD_BUS_ARGS("s", name, "o", jail), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JailRemoved", SD_BUS_ARGS("s", name, "o", jail), 0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable jail_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Unit", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ControlGroup", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MemoryCurrent", "t", property_get_memory, 0, 0),
        SD_BUS_PROPERTY("MemoryMax", "t", property_get_memory, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemoryHigh", "t", property_get_memory, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Events", "a{st}", property_get_events, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("SetMemoryMax", SD_BUS_ARGS("t", bytes), SD_BUS_NO_RESULT, method_set_memory_max,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetMemoryHigh", SD_BUS_ARGS("t", bytes), SD_BUS_NO_RESULT, method_set_memory_high,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("MemoryEvent",
                                SD_BUS_ARGS("s", event, "t", count, "t", memory_current, "t", memory_max), 0),
        SD_BUS_SIGNAL_WITH_ARGS("UsageThresholdCrossed",
                                SD_BUS_ARGS("t", threshold, "s", direction, "t", memory_current), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PressureEvent", SD_BUS_ARGS("s", kind), 0),
        SD_BUS_SIGNAL_WITH_ARGS("MemoryLimitChanged", SD_BUS_ARGS("t", old_max, "t", new_max, "s", reason), 0),
        SD_BUS_VTABLE_END,
};

static int jail_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                     sd_bus_error *error) {
        Watch *w = manager_find_watch_by_path(userdata, path);

        if (!w)
                return 0;
        *found = w;
        return 1;
}

static int jail_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        Manager *m = userdata;
        Watch *w;

        HASHMAP_FOREACH(w, m->watches, st)
                if (strv_extend(&l, w->path) < 0)
                        return -ENOMEM;
        *nodes = TAKE_PTR(l);
        return 1;
}

/* The bus is gone (dbus-daemon restarted): nothing can be reported any more. The watcher
 * exits with a failure, and systemd starts it again (Restart=on-failure); the saved states
 * make the new one report what happened meanwhile, once. */
static int on_bus_message(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        if (sd_bus_message_is_signal(msg, "org.freedesktop.DBus.Local", "Disconnected")) {
                log_error("Lost the connection to the system bus; exiting.");
                (void) sd_event_exit(m->event, -ECONNRESET);
        }
        return 0;
}

int bus_setup(Manager *m) {
        int r;

        /* $DBUS_SYSTEM_BUS_ADDRESS points tests at a private bus */
        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_add_filter(m->bus, NULL, on_bus_message, m);
        if (r >= 0)
                r = sd_bus_add_object_vtable(m->bus, &m->manager_slot, MANAGER_PATH, MANAGER_IFACE, manager_vtable, m);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(m->bus, &m->jail_slot, JAIL_PREFIX, JAIL_IFACE, jail_vtable, jail_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(m->bus, &m->enumerator_slot, JAIL_PREFIX, jail_enumerate, m);
        if (r >= 0)
                r = sd_bus_add_object_manager(m->bus, &m->object_manager_slot, MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register the D-Bus objects: %m");
        r = sd_bus_request_name(m->bus, BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to own the name " BUS_NAME ": %m");
        r = sd_bus_attach_event(m->bus, m->event, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        return 0;
}

int bus_emit_jail_added(Manager *m, Watch *w, bool added) {
        int r;

        if (!m->bus)
                return 0;
        /* ObjectManager clients learn of it too */
        r = added ? sd_bus_emit_object_added(m->bus, w->path) : sd_bus_emit_object_removed(m->bus, w->path);
        if (r < 0)
                log_error_errno(r, "Failed to announce %s: %m", w->path);
        return sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, added ? "JailAdded" : "JailRemoved", "so",
                                  w->name, w->path);
}

/* Event signals wait in the outbox until manager_commit() has their state ready to save:
 * sd-bus would otherwise write them to the socket at once, long before. */
static int queue_signal(Watch *w, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        Manager *m = w->manager;
        va_list ap;
        int r;

        if (!m->bus)
                return 0;
        r = sd_bus_message_new_signal(m->bus, &msg, w->path, JAIL_IFACE, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(msg, types, ap);
        va_end(ap);
        if (r < 0)
                return r;
        if (m->n_outbox >= m->n_outbox_alloc) {
                size_t n = m->n_outbox_alloc ? m->n_outbox_alloc * 2 : 16;
                sd_bus_message **o = realloc(m->outbox, n * sizeof(sd_bus_message *));
                if (!o)
                        return -ENOMEM;
                m->outbox = o;
                m->n_outbox_alloc = n;
        }
        m->outbox[m->n_outbox++] = TAKE_PTR(msg);
        return 0;
}

bool bus_send_outbox(Manager *m) {
        int failed = 0;

        for (size_t i = 0; i < m->n_outbox; i++) {
                int r = sd_bus_send(m->bus, m->outbox[i], NULL);
                if (r < 0 && failed++ == 0)
                        log_error_errno(r, "Failed to send a signal: %m");
                m->outbox[i] = sd_bus_message_unref(m->outbox[i]);
        }
        m->n_outbox = 0;
        return failed == 0;
}

int bus_emit_memory_event(Watch *w, Counter c, uint64_t count, uint64_t current, uint64_t max) {
        return queue_signal(w, "MemoryEvent", "sttt", counter_to_string(c), count, current, max);
}

int bus_emit_usage_crossed(Watch *w, uint64_t threshold, const char *direction, uint64_t current) {
        return queue_signal(w, "UsageThresholdCrossed", "tst", threshold, direction, current);
}

int bus_emit_pressure(Watch *w, const char *kind) {
        return queue_signal(w, "PressureEvent", "s", kind);
}

int bus_emit_limit_changed(Watch *w, uint64_t old_max, uint64_t new_max, const char *reason) {
        if (!w->manager->bus)
                return 0;
        return sd_bus_emit_signal(w->manager->bus, w->path, JAIL_IFACE, "MemoryLimitChanged", "tts", old_max, new_max,
                                  reason);
}

int bus_emit_properties_changed(Watch *w, const char *property, ...) {
        _cleanup_strv_free_ char **names = NULL;
        va_list ap;

        if (!w->manager->bus)
                return 0;
        va_start(ap, property);
        for (const char *p = property; p; p = va_arg(ap, const char *))
                if (strv_extend(&names, p) < 0) {
                        va_end(ap);
                        return -ENOMEM;
                }
        va_end(ap);
        return sd_bus_emit_properties_changed_strv(w->manager->bus, w->path, JAIL_IFACE, names);
}

/* What an asynchronous SetUnitProperties needs when systemd answers; the jail may be gone. */
typedef struct LimitCall {
        Manager *manager;
        char *name;
        uint64_t old_max, new_max;
        bool set_max, set_high;
        char *reason;
        sd_bus_message *reply_to;
} LimitCall;

static void limit_call_free(LimitCall *c) {
        if (!c)
                return;
        free(c->name);
        free(c->reason);
        sd_bus_message_unref(c->reply_to);
        free(c);
}

static int on_set_unit_properties(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        LimitCall *c = userdata;
        Watch *w = manager_get_watch(c->manager, c->name);
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (w)
                w->grow_pending = false;
        if (e) {
                log_warning("systemd refused to change the memory limits of jail %s: %s", c->name, e->message ?: e->name);
                if (w && c->manager->backend == CGROUP_V1)
                        v1_limits_changed(w, true); /* a paused jail is not left waiting */
                if (c->reply_to)
                        (void) sd_bus_reply_method_error(c->reply_to, e);
                limit_call_free(c);
                return 0;
        }
        if (w) {
                if (c->set_max && c->new_max != c->old_max) {
                        if (streq(c->reason, "grow"))
                                w->tally[TALLY_GROW]++;
                        else if (streq(c->reason, "shrink"))
                                w->tally[TALLY_SHRINK]++;
                        w->last_grow = 0;
                        (void) sd_event_now(c->manager->event, CLOCK_MONOTONIC, &w->last_grow);
                        (void) bus_emit_limit_changed(w, c->old_max, c->new_max, c->reason);
                        log_info("Jail %s: MemoryMax %" PRIu64 " -> %" PRIu64 " (%s).", w->name, c->old_max, c->new_max,
                                 c->reason);
                }
                if (c->set_max && c->set_high)
                        (void) bus_emit_properties_changed(w, "MemoryMax", "MemoryHigh", "Events", NULL);
                else
                        (void) bus_emit_properties_changed(w, c->set_max ? "MemoryMax" : "MemoryHigh", "Events", NULL);
                /* the limits as systemd wrote them, for the metrics file */
                (void) watch_memory_max(w);
                (void) watch_memory_high(w);
                if (c->manager->backend == CGROUP_V1)
                        v1_limits_changed(w, false); /* thresholds for the new limit */
                watch_mark_dirty(w);
                manager_commit(c->manager);
        }
        if (c->reply_to)
                (void) sd_bus_reply_method_return(c->reply_to, NULL);
        limit_call_free(c);
        return 0;
}

int bus_set_memory_limits(Watch *w, uint64_t memory_max, uint64_t memory_high, bool set_high,
                          sd_bus_message *reply_to, const char *reason) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        LimitCall *c;
        bool set_max = memory_max != UINT64_MAX || !set_high;
        int r;

        if (!w->manager->bus)
                return -ENOTCONN;
        c = calloc(1, sizeof(LimitCall));
        if (!c)
                return -ENOMEM;
        *c = (LimitCall) { .manager = w->manager, .old_max = watch_memory_max(w), .new_max = memory_max,
                           .set_max = set_max, .set_high = set_high, .reply_to = sd_bus_message_ref(reply_to) };
        c->name = strdup(w->name);
        c->reason = strdup(reason);
        if (!c->name || !c->reason) {
                limit_call_free(c);
                return -ENOMEM;
        }

        r = sd_bus_message_new_method_call(w->manager->bus, &call, "org.freedesktop.systemd1",
                                           "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                           "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(call, "sb", w->unit, 1); /* runtime: systemd stays the source of truth */
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "(sv)");
        if (r >= 0 && set_max)
                r = sd_bus_message_append(call, "(sv)", "MemoryMax", "t", memory_max);
        if (r >= 0 && set_high)
                r = sd_bus_message_append(call, "(sv)", "MemoryHigh", "t", memory_high);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_call_async(w->manager->bus, NULL, call, on_set_unit_properties, c, 30 * USEC_PER_SEC);
        if (r < 0) {
                limit_call_free(c);
                return r;
        }
        return 0;
}
