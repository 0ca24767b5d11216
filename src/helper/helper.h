/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "jail.h"

/* Exit statuses of virtualing-helper, documented in virtualing-helper(8). */
enum {
        HELPER_EXIT_USAGE = 2,      /* bad command line */
        HELPER_EXIT_CONFIG = 3,     /* no such jail, masked, or invalid */
        HELPER_EXIT_ROOT = 10,      /* jail root missing, not creatable, or untrusted path */
        HELPER_EXIT_NAMESPACE = 11, /* mount namespace or propagation */
        HELPER_EXIT_SKELETON = 12,  /* the system tree (Skeleton=yes) */
        HELPER_EXIT_PROC_DEV = 13,  /* /proc, /dev, /dev/pts, /dev/shm */
        HELPER_EXIT_BIND = 14,      /* Bind=, BindReadOnly= */
        HELPER_EXIT_PIVOT = 15,     /* pivot_root, detaching the old root */
        HELPER_EXIT_USER = 16,      /* User=, Group=, SupplementaryGroups= lookup or switch */
        HELPER_EXIT_CAPS = 17,      /* capability bounding set, no_new_privs */
        HELPER_EXIT_CHDIR = 18,     /* WorkingDirectory= */
        HELPER_EXIT_EXEC = 19,      /* execve of Exec= */
        HELPER_EXIT_ADDRESS = 20,   /* adding or removing an address failed */
        HELPER_EXIT_ADDRESS_BUSY = 21, /* an address to add is already on the host */
        HELPER_EXIT_RUNTIME = 22,   /* the record under /run/virtualing */
        HELPER_EXIT_DIRECTORY = 23, /* RuntimeDirectory= and friends */
};

/* One line to stderr: "virtualing-helper: STEP PATH: strerror(err)"; returns status. */
int helper_fail(int status, const char *step, const char *path, int err);
