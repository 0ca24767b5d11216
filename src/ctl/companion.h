/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Forks a process that runs beside this one and must not outlive it (the pager, polkit's
 * agent), after flushing stdio. In the child, every signal is at its default and none is
 * blocked, and SIGTERM comes when this process dies (the child exits at once if it
 * already has). Returns 0 in the child, the child's pid in the parent, -errno when the
 * fork failed. */
pid_t fork_companion(void);
