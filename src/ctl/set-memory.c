/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing set-memory NAME SIZE: MemoryMax through the watcher's SetMemoryMax, which root
 * may call, and others as polkit allows (action org.virtualing1.manage). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "ctl.h"
#include "log.h"
#include "parse-util.h"
#include "polkit-agent.h"
#include "strv.h"
#include "table.h"

#define POLKIT_ACTION "org.virtualing1.manage"
#define INTERACTIVE_TIMEOUT_USEC (120 * USEC_PER_SEC)

/* SetMemoryMax(BYTES) on the jail's object. polkit may ask for a password on this terminal:
 * only when stdin is one and --no-ask-password was not given, with its text agent running. */
static int call_set_memory_max(sd_bus *bus, const char *path, uint64_t bytes, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        bool interactive = arg_ask_password && isatty(STDIN_FILENO);
        int r;

        r = sd_bus_message_new_method_call(bus, &m, WATCHER_BUS_NAME, path, WATCHER_JAIL_IFACE, "SetMemoryMax");
        if (r >= 0)
                r = sd_bus_message_append(m, "t", bytes);
        if (r >= 0)
                r = sd_bus_message_set_allow_interactive_authorization(m, interactive);
        if (r < 0)
                return r;
        if (interactive)
                (void) polkit_agent_open();
        /* a person typing a password takes longer than sd-bus's default of 25 s */
        r = sd_bus_call(bus, m, interactive ? INTERACTIVE_TIMEOUT_USEC : 0, error, NULL);
        polkit_agent_close();
        return r;
}

int verb_set_memory(int argc, char *argv[]) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        char buf[FORMAT_BYTES_MAX];
        const char *name, *path;
        uint64_t bytes;
        int r;

        if (argc != 3) {
                log_error("set-memory: expected a jail name and a size.");
                return EXIT_USAGE;
        }
        name = argv[1];
        if (!jail_name_is_valid(name))
                return complain_locate(name, -EINVAL);
        r = parse_size(argv[2], SIZE_ALLOW_INFINITY, &bytes);
        if (r < 0 || bytes == 0) {
                log_error("'%s' is not a valid size: expected bytes above 0 with an optional K, M, G or T "
                          "(base 1024), or infinity.", argv[2]);
                return EXIT_USAGE;
        }

        r = bus_open(&bus);
        if (r < 0) {
                log_error("Failed to connect to the system bus: %s", strerror(-r));
                return EXIT_FAILED;
        }
        /* bus activation may start the watcher here: it is needed for the change */
        r = sd_bus_call_method(bus, WATCHER_BUS_NAME, WATCHER_MANAGER_PATH, WATCHER_MANAGER_IFACE, "GetJail", &error,
                               &reply, "s", name);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, "org.virtualing1.NoSuchJail")) {
                        _cleanup_strv_free_ char **dirs = NULL, **dropins = NULL;
                        _cleanup_free_ char *file = NULL;

                        r = jail_search_path(&dirs);
                        if (r >= 0)
                                r = jail_locate(dirs, name, &file, &dropins);
                        if (r < 0)
                                return complain_locate(name, r);
                        log_error("Jail %s is not running: the limit of a stopped jail is its file's MemoryMax= "
                                  "(%s).", name, file);
                        return EXIT_FAILED;
                }
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                        log_error("The watcher (org.virtualing1) is not running.");
                        return EXIT_FAILED;
                }
                log_error("Failed to look up jail %s: %s", name, bus_error_text(&error, r));
                return EXIT_FAILED;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                log_error("Failed to parse the watcher's reply: %s", strerror(-r));
                return EXIT_FAILED;
        }

        r = call_set_memory_max(bus, path, bytes, &error);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED)) {
                        log_error("Access denied: %s", bus_error_text(&error, r));
                        log_error("Changing a jail's memory limit takes root, or an authorisation by polkit for "
                                  "the action " POLKIT_ACTION " (see virtualing(1), AUTHORISATION). The limit of "
                                  "jail %s was not changed.", name);
                } else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)) {
                        log_error("Interactive authentication required.");
                        log_error("polkit asks for a password for " POLKIT_ACTION ": run set-memory on a terminal "
                                  "and without --no-ask-password, or as root. The limit of jail %s was not changed.",
                                  name);
                } else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT))
                        log_error("Jail %s stopped.", name);
                else
                        log_error("Failed to set the memory limit of jail %s: %s", name,
                                  bus_error_text(&error, r));
                return EXIT_FAILED;
        }
        log_info("MemoryMax of jail %s set to %s.", name, format_bytes(buf, sizeof(buf), bytes));
        return EXIT_OK;
}
