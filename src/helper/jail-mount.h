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
        uint64_t *system_mnt_ids; /* the skeleton's read-only binds of the host's system directories */
        size_t n_system_mnt_ids;
} JailTree;

/* New mount namespace (plus the namespaces in EXTRA, CLONE_NEW*) with / recursively
 * slave: nothing reaches the host. */
int jail_namespace_enter(unsigned long extra);

/* Checks the directories above Root (root's, not writable by others; symlinks only where
 * root put them), creates Root 0755 if missing, and binds it onto itself. */
int jail_tree_open(JailTree *t, const char *root);
void jail_tree_done(JailTree *t);

int jail_skeleton(JailTree *t);
/* A detached proc instance of the caller's PID namespace, kernel tunables read-only;
 * HIDEPID hides the processes of other users. Negative errno. */
int jail_proc_new(bool hidepid, int *ret_mnt);
/* /proc (PROC_MNT from jail_proc_new(), or a new one with hidepid when negative) and
 * a private /dev. */
int jail_proc_dev(JailTree *t, gid_t tty_gid, int proc_mnt);
int jail_binds(JailTree *t, const Jail *j);

/* Is this mount one of the skeleton's binds of the host's system directories? */
bool jail_tree_is_system_mount(const JailTree *t, uint64_t mnt_id);
/* The jail root mount nosuid from now on. */
int jail_tree_make_nosuid(JailTree *t);

/* pivot_root into the tree and detach the old root. */
int jail_pivot(JailTree *t);
