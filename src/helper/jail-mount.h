/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "jail.h"

/* Building the jail's tree in the helper's own mount namespace. Each returns 0, or a
 * HELPER_EXIT_* status after printing one line naming the step, the path and the error. */

/* Checks that every directory above Root is root's and not writable by others (so the
 * jail owner cannot swap it), creates Root 0755 if missing, and opens it. */
int jail_root_open(const char *root, int *ret_fd);

/* New mount namespace with / recursively slave: nothing reaches the host. */
int jail_namespace_enter(void);

/* Binds the root onto itself (pivot_root needs a mount point); returns the new root's fd. */
int jail_root_mount(int root_fd, const char *root, int *ret_fd);

int jail_skeleton(int root_fd, const char *root);
int jail_proc_dev(int root_fd, const char *root, gid_t tty_gid);
int jail_binds(int root_fd, const Jail *j);

/* pivot_root into root_fd and detach the old root. */
int jail_pivot(int root_fd, const char *root);
