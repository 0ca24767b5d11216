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
#include "jail-exec.h"
#include "jail-init.h"

/* Under systemd stderr is a stream to the journal ($JOURNAL_STREAM names it): a "<3>"
 * prefix makes our failures errors there, not informational lines. */
static const char *priority_prefix(void) {
        static int journal = -1;

        if (journal < 0) {
                const char *e = getenv("JOURNAL_STREAM");
                unsigned long long dev, ino;
                struct stat st;

                journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) >= 0 &&
                          st.st_dev == dev && st.st_ino == ino;
        }
        return journal ? "<3>" : "";
}

int helper_fail(int status, const char *step, const char *path, int err) {
        const char *p = priority_prefix();

        if (err < 0)
                err = -err;
        if (path && err)
                fprintf(stderr, "%svirtualing-helper: %s %s: %s\n", p, step, path, strerror(err));
        else if (path)
                fprintf(stderr, "%svirtualing-helper: %s %s\n", p, step, path);
        else if (err)
                fprintf(stderr, "%svirtualing-helper: %s: %s\n", p, step, strerror(err));
        else
                fprintf(stderr, "%svirtualing-helper: %s\n", p, step);
        return status;
}

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
                        fprintf(stderr, "%svirtualing-helper: %s\n", priority_prefix(), s ?: diags.items[i].message);
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
        const char *result = getenv("SERVICE_RESULT"), *p = priority_prefix();
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
                fprintf(stderr, "%svirtualing-helper: %s: the command failed (%s) after \"%s\": %s is not in the "
                        "jail's CapabilityBoundingSet=; add it if the daemon needs it (virtualing.conf(5), CAPABILITIES)\n",
                        p[0] ? "<4>" : "", name, result, h.line, capability_to_name(h.cap));
        else
                fprintf(stderr, "%svirtualing-helper: %s: the command failed (%s) after \"%s\"; the jail withholds "
                        "every capability but its CapabilityBoundingSet= (virtualing.conf(5), CAPABILITIES)\n",
                        p[0] ? "<4>" : "", name, result, h.line);
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
        fprintf(stderr, "virtualing-helper: expected 'exec NAME', 'address up|down NAME' or 'clean|stopped NAME'; "
                "see --help\n");
        return HELPER_EXIT_USAGE;
}
