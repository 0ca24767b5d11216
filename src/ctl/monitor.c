/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing monitor [NAME]: one line (or one JSON document) per signal of the watcher, until
 * interrupted. Never paged: it follows events as they come. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "bus-util.h"
#include "ctl.h"
#include "json.h"
#include "log.h"
#include "table.h"

typedef struct Monitor {
        sd_event *event;
        sd_bus *bus;
        JsonMode json;
        FILE *f;        /* the event being written: stdout, or its JSON document (compact) */
        char *doc;
        size_t doc_size;
        bool write_failed;
} Monitor;

static void monitor_done(Monitor *m) {
        m->bus = sd_bus_flush_close_unref(m->bus);
        m->event = sd_event_unref(m->event);
}

static void fail(Monitor *m) {
        if (!m->write_failed) {
                m->write_failed = true;
                (void) sd_event_exit(m->event, EXIT_FAILED);
        }
}

static uint64_t now_realtime(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* The common start of a line: the time and the jail. False when out of memory. */
static bool begin(Monitor *m, const char *jail, const char *signal, const char *event) {
        uint64_t usec = now_realtime();
        time_t sec = (time_t) (usec / 1000000);
        struct tm tm;
        char buf[64] = "";

        (void) localtime_r(&sec, &tm);
        if (m->json != JSON_OFF) {
                m->f = open_memstream(&m->doc, &m->doc_size);
                if (!m->f) {
                        fail(m);
                        return false;
                }
                (void) strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
                fprintf(m->f, "{\"time\":\"%s\",\"timestamp\":%" PRIu64 ",\"jail\":", buf, usec);
                json_string(m->f, jail);
                fputs(",\"signal\":", m->f);
                json_string(m->f, signal);
                fputs(",\"event\":", m->f);
                json_string(m->f, event);
        } else {
                m->f = stdout;
                (void) strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
                printf("%s %s %s", buf, jail, event);
        }
        return true;
}

static void end(Monitor *m) {
        if (m->json != JSON_OFF) {
                bool failed;

                fputc('}', m->f);
                failed = ferror(m->f);
                if (fclose(m->f) != 0 || failed)
                        fail(m);
                else
                        json_emit(stdout, m->doc, m->json); /* short: a line; pretty: an indented object */
                m->doc = mfree(m->doc);
        } else
                fputc('\n', stdout);
        m->f = NULL;
        /* one event at a time: the output is often a pipe or a file */
        if (fflush(stdout) != 0)
                fail(m);
}

/* A size: a number in JSON, "52.0M" in text. */
static void field_bytes(Monitor *m, const char *json_key, const char *text_key, uint64_t v) {
        char buf[FORMAT_BYTES_MAX];

        if (m->json != JSON_OFF)
                fprintf(m->f, ",\"%s\":%" PRIu64, json_key, v);
        else
                printf(" %s=%s", text_key, format_bytes(buf, sizeof(buf), v));
}

static void field_str(Monitor *m, const char *key, const char *v, bool text_bare) {
        if (m->json != JSON_OFF) {
                fprintf(m->f, ",\"%s\":", key);
                json_string(m->f, v);
        } else if (text_bare)
                printf(" %s", v);
        else
                printf(" %s=%s", key, v);
}

static int on_jail_signal(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        _cleanup_free_ char *jail = NULL;
        const char *member = sd_bus_message_get_member(msg), *s;
        uint64_t a, b, c;
        int r;

        if (!member || sd_bus_path_decode(sd_bus_message_get_path(msg), WATCHER_JAIL_PREFIX, &jail) <= 0)
                return 0;

        if (streq(member, "MemoryEvent") && sd_bus_message_has_signature(msg, "sttt")) {
                r = sd_bus_message_read(msg, "sttt", &s, &a, &b, &c);
                if (r < 0)
                        return 0;
                if (!begin(m, jail, member, s))
                        return 0;
                fprintf(m->f, m->json != JSON_OFF ? ",\"count\":%" PRIu64 : " +%" PRIu64, a);
                field_bytes(m, "memory_current", "current", b);
                field_bytes(m, "memory_max", "max", c);
        } else if (streq(member, "UsageThresholdCrossed") && sd_bus_message_has_signature(msg, "tst")) {
                r = sd_bus_message_read(msg, "tst", &a, &s, &b);
                if (r < 0)
                        return 0;
                if (!begin(m, jail, member, "usage"))
                        return 0;
                field_str(m, "direction", s, true);
                field_bytes(m, "threshold", "threshold", a);
                field_bytes(m, "memory_current", "current", b);
        } else if (streq(member, "PressureEvent") && sd_bus_message_has_signature(msg, "s")) {
                r = sd_bus_message_read(msg, "s", &s);
                if (r < 0)
                        return 0;
                if (!begin(m, jail, member, "pressure"))
                        return 0;
                field_str(m, "kind", s, true);
        } else if (streq(member, "MemoryLimitChanged") && sd_bus_message_has_signature(msg, "tts")) {
                char b1[FORMAT_BYTES_MAX], b2[FORMAT_BYTES_MAX];

                r = sd_bus_message_read(msg, "tts", &a, &b, &s);
                if (r < 0)
                        return 0;
                if (!begin(m, jail, member, "limit"))
                        return 0;
                if (m->json != JSON_OFF) {
                        fprintf(m->f, ",\"old_max\":%" PRIu64 ",\"new_max\":%" PRIu64, a, b);
                        field_str(m, "reason", s, false);
                } else
                        printf(" %s max=%s->%s", s, format_bytes(b1, sizeof(b1), a), format_bytes(b2, sizeof(b2), b));
        } else
                return 0;
        end(m);
        return 0;
}

static int on_manager_signal(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        const char *member = sd_bus_message_get_member(msg), *name, *path;
        bool added;

        if (!member)
                return 0;
        if (streq(member, "JailAdded"))
                added = true;
        else if (streq(member, "JailRemoved"))
                added = false;
        else
                return 0;
        if (sd_bus_message_read(msg, "so", &name, &path) < 0)
                return 0;
        if (!begin(m, name, member, added ? "started" : "stopped"))
                return 0;
        if (m->json != JSON_OFF)
                field_str(m, "path", path, false);
        end(m);
        return 0;
}

static int add_matches(Monitor *m, const char *name) {
        _cleanup_free_ char *jail_match = NULL, *manager_match = NULL, *path = NULL;
        int r;

        if (name) {
                r = sd_bus_path_encode(WATCHER_JAIL_PREFIX, name, &path);
                if (r < 0)
                        return r;
                /* jail names are [A-Za-z0-9_.-]: nothing to quote */
                r = asprintf(&jail_match, "type='signal',sender='" WATCHER_BUS_NAME "',interface='" WATCHER_JAIL_IFACE
                             "',path='%s'", path);
                if (r >= 0)
                        r = asprintf(&manager_match, "type='signal',sender='" WATCHER_BUS_NAME "',interface='"
                                     WATCHER_MANAGER_IFACE "',path='" WATCHER_MANAGER_PATH "',arg0='%s'", name);
        } else {
                r = asprintf(&jail_match, "type='signal',sender='" WATCHER_BUS_NAME "',interface='" WATCHER_JAIL_IFACE
                             "',path_namespace='" WATCHER_JAIL_PREFIX "'");
                if (r >= 0)
                        r = asprintf(&manager_match, "type='signal',sender='" WATCHER_BUS_NAME "',interface='"
                                     WATCHER_MANAGER_IFACE "',path='" WATCHER_MANAGER_PATH "'");
        }
        if (r < 0)
                return -ENOMEM;
        r = sd_bus_add_match(m->bus, NULL, jail_match, on_jail_signal, m);
        if (r >= 0)
                r = sd_bus_add_match(m->bus, NULL, manager_match, on_manager_signal, m);
        return r;
}

int verb_monitor(int argc, char *argv[]) {
        _cleanup_(monitor_done) Monitor m = { .json = arg_json };
        const char *name = NULL;
        sigset_t mask;
        int r;

        if (argc > 2) {
                log_error("monitor: expected at most one jail name.");
                return EXIT_USAGE;
        }
        if (argc == 2) {
                name = argv[1];
                if (!jail_name_is_valid(name))
                        return complain_locate(name, -EINVAL);
        }

        /* Ctrl-C and SIGTERM end the loop, and with it the command, successfully */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                log_error("Failed to block signals: %m");
                return EXIT_FAILED;
        }
        r = sd_event_default(&m.event);
        if (r >= 0)
                r = sd_event_add_signal(m.event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m.event, NULL, SIGTERM, NULL, NULL);
        if (r < 0) {
                log_error("Failed to set up the event loop: %s", strerror(-r));
                return EXIT_FAILED;
        }
        r = bus_open(&m.bus);
        if (r < 0) {
                log_error("Failed to connect to the system bus: %s", strerror(-r));
                return EXIT_FAILED;
        }
        r = add_matches(&m, name);
        if (r < 0) {
                log_error("Failed to subscribe to the watcher's signals: %s", strerror(-r));
                return EXIT_FAILED;
        }
        /* a lost bus ends the loop with a failure */
        r = sd_bus_set_exit_on_disconnect(m.bus, true);
        if (r >= 0)
                r = sd_bus_attach_event(m.bus, m.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error("Failed to attach the bus to the event loop: %s", strerror(-r));
                return EXIT_FAILED;
        }
        /* its legend, for a person at the terminal */
        if (arg_legend && isatty(STDERR_FILENO))
                log_notice("Monitoring %s%s; press Ctrl-C to stop.", name ? "jail " : "every jail", name ?: "");
        r = sd_event_loop(m.event);
        if (r < 0) {
                log_error("Event loop failed: %s", strerror(-r));
                return EXIT_FAILED;
        }
        if (r != 0 && !m.write_failed)
                log_error("Lost the connection to the bus.");
        return r == 0 ? EXIT_OK : EXIT_FAILED;
}
