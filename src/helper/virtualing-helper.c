/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing-helper: builds a jail and becomes its command; adds and removes its addresses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "cap-hint.h"
#include "helper.h"
#include "jail-dirs.h"
#include "jail-load.h"
#include "log.h"
#include "jail-exec.h"
#include "jail-init.h"

static int load(const char *name, Jail **ret) {
        _cleanup_(jail_diags_clearp) JailDiags diags = {};
        int r;

        r = jail_load(name, jail_load_flags_default(), ret, &diags);
        if (r == -ENOENT)
                return helper_fail(HELPER_EXIT_CONFIG, "no jail file for", name, 0);
        if (r == -ERFKILL)
                return helper_fail(HELPER_EXIT_CONFIG, "jail is masked:", name, 0);
        if (r == -EINVAL && diags.n == 0)
                return helper_fail(HELPER_EXIT_CONFIG, "not a valid jail name:", name, 0);
        if (r < 0) {
                for (size_t i = 0; i < diags.n; i++) {
                        _cleanup_free_ char *s = jail_diag_format(&diags.items[i]);
                        log_error("%s", s ?: diags.items[i].message);
                }
                if (diags.n == 0)
                        return helper_fail(HELPER_EXIT_CONFIG, "loading jail", name, r);
                return HELPER_EXIT_CONFIG;
        }
        return 0;
}

/* After a run that failed ($SERVICE_RESULT from systemd): if the command's last complaint
 * was a refusal, say which capability the jail withheld. Says nothing otherwise. */
static void explain_failure(const char *name) {
        _cleanup_(jail_diags_clearp) JailDiags diags = {};
        _cleanup_(jail_freep) Jail *j = NULL;
        _cleanup_free_ char *unit = NULL;
        const char *result = getenv("SERVICE_RESULT");
        CapHint h = {};
        int r = -ENOENT;

        if (!result || streq(result, "success") || !getenv("INVOCATION_ID"))
                return;
        if (jail_load(name, jail_load_flags_default(), &j, &diags) < 0 || asprintf(&unit, "virtualing@%s.service", name) < 0)
                return;
        /* the command's last lines may still be on their way into the journal */
        for (int tries = 0; tries < 5 && r == -ENOENT; tries++) {
                if (tries > 0)
                        usleep(200 * 1000);
                r = cap_hint_from_journal(unit, getenv("INVOCATION_ID"), j->capability_bounding_set, &h);
        }
        if (r < 0)
                return;
        if (h.cap >= 0)
                log_warning("%s: the command failed (%s) after \"%s\": %s is not in the jail's CapabilityBoundingSet=; "
                            "add it if the daemon needs it (virtualing.conf(5), CAPABILITIES)",
                            name, result, h.line, capability_to_name(h.cap));
        else
                log_warning("%s: the command failed (%s) after \"%s\"; the jail withholds every capability but its "
                            "CapabilityBoundingSet= (virtualing.conf(5), CAPABILITIES)", name, result, h.line);
        cap_hint_done(&h);
}

static void help(void) {
        printf("virtualing-helper exec NAME\n"
               "virtualing-helper address up|down NAME\n"
               "virtualing-helper clean|stopped NAME\n"
               "\n"
               "Builds the chroot jail NAME and runs its command in it, adds or removes its\n"
               "[Network] addresses, or removes its runtime directories once it has ended\n"
               "(stopped: also explains a failed run). Run by virtualing@NAME.service; see\n"
               "virtualing-helper(8).\n");
}

int main(int argc, char *argv[]) {
        _cleanup_(jail_freep) Jail *j = NULL;
        int r;

        log_setup("virtualing-helper", LOG_TARGET_CONSOLE, true);
        if (argc == 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
                help();
                return 0;
        }
        if (argc == 3 && streq(argv[1], "exec")) {
                jail_init_set_title_area(argc, argv);
                r = load(argv[2], &j);
                if (r != 0)
                        return r;
                return jail_exec(j, JAIL_EXEC_NOTIFY, -1); /* returns only on failure, or with the command's status */
        }
        if (argc == 4 && streq(argv[1], "address") && (streq(argv[2], "up") || streq(argv[2], "down"))) {
                r = load(argv[3], &j);
                if (r != 0)
                        return r;
                return streq(argv[2], "up") ? address_up(j) : address_down(j);
        }
        if (argc == 3 && (streq(argv[1], "clean") || streq(argv[1], "stopped"))) {
                /* from the record alone: the jail file may have changed or gone since the start */
                if (!jail_name_is_valid(argv[2]))
                        return helper_fail(HELPER_EXIT_CONFIG, "not a valid jail name:", argv[2], 0);
                r = jail_directories_remove(argv[2]);
                if (streq(argv[1], "stopped"))
                        explain_failure(argv[2]);
                return r;
        }
        log_error("expected 'exec NAME', 'address up|down NAME' or 'clean|stopped NAME'; see --help");
        return HELPER_EXIT_USAGE;
}
