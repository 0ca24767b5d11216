/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "jail-identity.h"

/* PID 1 of a jail's PID namespace. The command is PID 2 and is not our child (its parent
 * is systemd, or the waiting helper), so that whoever started it learns how it ended. We
 * only reap the orphans the namespace hands us, and end when the command ends: the kernel
 * then kills whatever is left in the namespace. Holds nothing: no capabilities, the jail's
 * user, no file descriptor but COMMAND_PIDFD. Never returns. */
_noreturn_ void jail_init_run(int command_pidfd, const Identity *id);

/* The program's argument strings (argv[0] to the end of argv[argc - 1]): the init writes
 * its own name over them, so that ps and systemctl status call it what it is. */
void jail_init_set_title_area(int argc, char **argv);
