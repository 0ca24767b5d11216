/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing-watcher: memory events of every jail as D-Bus signals, journal entries,
 * hook runs and elastic memory. */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include "watcher.h"

static void help(void) {
        printf("virtualing-watcher [--help]\n"
               "\n"
               "Watches the memory events of the jails in virtualing.slice and reports them on\n"
               "the system bus as org.virtualing1, runs their hooks and grows elastic limits.\n"
               "Run by virtualing-watcher.service; see virtualing-watcher(8).\n");
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        struct rlimit rl;
        int r;

        log_setup("virtualing-watcher", LOG_TARGET_JOURNAL, true);
        if (argc > 1) {
                if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
                        help();
                        return 0;
                }
                log_error("unexpected argument '%s'; see --help", argv[1]);
                return 2;
        }
        /* raise the soft limit of open files to the hard one: PSI triggers hold an fd each */
        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }

        r = manager_new(&m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m"), 1;
        r = bus_setup(m);
        if (r < 0)
                return 1;
        r = manager_start(m);
        if (r < 0)
                return 1;
        (void) sd_notify(false, "READY=1\nSTATUS=Watching jails.");
        r = sd_event_loop(m->event);
        if (r == -ECONNRESET) /* the bus went away: said so; systemd starts a new watcher */
                return 1;
        if (r < 0) {
                log_error_errno(r, "Event loop failed: %m");
                return 1;
        }
        if (m->metrics_dirty)
                (void) metrics_write(m);
        /* stopped, not crashed: node_exporter should not serve what is no longer watched */
        metrics_remove_textfile(m);
        (void) sd_notify(false, "STOPPING=1");
        return 0;
}
