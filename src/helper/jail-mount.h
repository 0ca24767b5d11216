/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "jail.h"

/* The jail's tree, built in the helper's own mount namespace. Every function returns 0,
 * or a HELPER_EXIT_* status after printing one line naming the step, path and error. */

typedef struct JailMount {
        char *dest; /* path inside the jail */
        int fd;     /* the attached mount */
        uid_t uid;  /* owner of its top directory: what we create in it, we create as them */
        gid_t gid;
} JailMount;

typedef struct JailTree {
        const char *root; /* Root=, for messages */
        int root_fd;      /* the jail root, bound onto itself */
        uid_t owner;
        gid_t owner_gid;
        bool untrusted; /* not root's, or writable by group/others */
        JailMount *mounts;
        size_t n_mounts;
} JailTree;

/* New mount namespace with / recursively slave: nothing reaches the host. */
int jail_namespace_enter(void);

/* Checks the directories above Root (root's, not writable by others; symlinks only where
 * root put them), creates Root 0755 if missing, and binds it onto itself. */
int jail_tree_open(JailTree *t, const char *root);
void jail_tree_done(JailTree *t);

int jail_skeleton(JailTree *t);
int jail_proc_dev(JailTree *t, gid_t tty_gid);
int jail_binds(JailTree *t, const Jail *j);

/* pivot_root into the tree and detach the old root. */
int jail_pivot(JailTree *t);
