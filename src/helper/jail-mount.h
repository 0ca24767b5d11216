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

/* The system tree of Skeleton=yes: read-only binds of the host's system directories, a
 * tmpfs on /run (unless a Bind= provides /run), the usual directories and links, copies
 * and read-only binds of small /etc files, the journal's sockets (BindLogSockets=). */
int jail_skeleton(JailTree *t, const Jail *j);
/* A socket of the host bound onto a file inside the jail; a missing one is skipped. */
int jail_bind_host_socket(JailTree *t, const char *host, const char *jail);
/* A detached proc instance of the caller's PID namespace; HIDEPID hides the processes of
 * other users. jail_proc_dev() makes its kernel tunables read-only. Negative errno. */
int jail_proc_new(bool hidepid, int *ret_mnt);
/* /proc (PROC_MNT from jail_proc_new(), or a new one with hidepid when negative) and
 * a private /dev, with /dev/log pointing at the journal when DEV_LOG. */
int jail_proc_dev(JailTree *t, gid_t tty_gid, int proc_mnt, bool dev_log);
int jail_binds(JailTree *t, const Jail *j);
/* The host directory or file SRC (an fd) bound onto DEST inside the jail, without its
 * submounts; binds below DEST then start from it. */
int jail_bind_fd(JailTree *t, int src, const char *dest, bool read_only);

/* Is this mount one of the skeleton's binds of the host's system directories? */
bool jail_tree_is_system_mount(const JailTree *t, uint64_t mnt_id);
/* The jail root mount nosuid from now on. */
int jail_tree_make_nosuid(JailTree *t);

/* pivot_root into the tree and detach the old root. */
int jail_pivot(JailTree *t);
