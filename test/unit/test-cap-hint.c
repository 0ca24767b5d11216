/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cap_hint_for_line() on what stock daemons print when a capability is missing. */
#include <stdlib.h>
#include <string.h>

#include "cap-hint.h"
#include "jail.h"
#include "parse-util.h"
#include "tap.h"

static void hint(const char *line, uint64_t set, const char *want) {
        int r = cap_hint_for_line(line, set);
        const char *got = r >= 0 ? capability_to_name(r) : r == -ENOENT ? "no refusal" : "no match";

        if (!ok(strcmp(got, want) == 0, "%s -> %s", line, want))
                printf("#   got %s\n", got);
}

int main(void) {
        uint64_t dflt = jail_default_capabilities(), all = (UINT64_C(2) << capability_last()) - 1;
        char *s;

        hint("fatal: chroot(\"/run/sshd\"): Operation not permitted [preauth]", dflt, "CAP_SYS_CHROOT");
        hint("pam_loginuid(sshd:session): Error writing /proc/self/loginuid: Operation not permitted", dflt,
             "CAP_AUDIT_CONTROL");
        hint("Server can't set maximum open files to 10032 because of OS error: Operation not permitted.", 0,
             "CAP_SYS_RESOURCE");
        hint("nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)", 0, "CAP_NET_BIND_SERVICE");
        hint("setgid(33) failed (1: Operation not permitted)", 0, "CAP_SETGID");
        hint("chown(\"/var/lib/nginx/body\", 33) failed (1: Operation not permitted)", 0, "CAP_CHOWN");
        hint("mlockall: Operation not permitted", dflt, "CAP_IPC_LOCK");
        hint("socket(AF_INET, SOCK_RAW): Operation not permitted (raw socket)", dflt, "CAP_NET_RAW");
        hint("open(\"/etc/shadow\"): Permission denied", dflt, "no refusal");
        hint("everything is fine", dflt, "no refusal");
        hint("something: Operation not permitted", dflt, "no match");
        hint("fatal: chroot(\"/run/sshd\"): Operation not permitted", all, "no match");
        /* the jail has CHOWN: a chown refusal is something else, not the bounding set */
        hint("chown(\"/x\", 33) failed (1: Operation not permitted)", dflt, "no match");

        s = cap_set_to_string(dflt);
        is_str(s, "CAP_CHOWN CAP_DAC_OVERRIDE CAP_KILL CAP_SETGID CAP_SETUID CAP_NET_BIND_SERVICE", "the default set");
        free(s);
        s = cap_set_to_string(0);
        is_str(s, "(none)", "the empty set");
        free(s);
        return tap_done();
}
