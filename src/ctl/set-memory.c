/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing set-memory NAME SIZE: MemoryMax through the watcher's SetMemoryMax. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-util.h"
#include "ctl.h"
#include "log.h"
#include "strv.h"
#include "table.h"

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

        r = sd_bus_call_method(bus, WATCHER_BUS_NAME, path, WATCHER_JAIL_IFACE, "SetMemoryMax", &error, NULL, "t",
                               bytes);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED))
                        log_error("Access denied: only root may change memory limits.");
                else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT))
                        log_error("Jail %s stopped.", name);
                else
                        log_error("Failed to set the memory limit of jail %s: %s", name,
                                  bus_error_text(&error, r));
                return EXIT_FAILED;
        }
        log_info("MemoryMax of jail %s set to %s.", name, format_bytes(buf, sizeof(buf), bytes));
        return EXIT_OK;
}
