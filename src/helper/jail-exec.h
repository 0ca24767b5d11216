/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "jail.h"

enum {
        /* Run by systemd as the unit's main process: with $NOTIFY_SOCKET, say READY=1 once
         * the jail is built and, with a PID namespace, hand the unit's main PID over to the
         * command (MAINPID=) and leave. Without it the helper waits for the command, passes
         * signals on, and ends with its status. */
        JAIL_EXEC_NOTIFY = 1 << 0,
};

/* Builds the jail in new namespaces and runs its command there. Returns only on failure,
 * with a HELPER_EXIT_* status after printing one line; or, when the helper waits for the
 * command, with the command's exit status (128+N for a signal it could not re-raise).
 * HANDOVER_FD (or -1): with a PID namespace the command is made a child of our parent,
 * its PID (a pid_t) is written there, and the helper exits 0 once it runs. */
int jail_exec(const Jail *j, unsigned flags, int handover_fd);
