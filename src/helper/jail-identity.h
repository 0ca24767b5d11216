/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "jail.h"

/* Who the jailed command runs as, resolved on the host before anything is mounted (NSS
 * needs the host's files and services). */
typedef struct Identity {
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int n_groups;
        char *user;
        char *home;
        gid_t tty_gid;
} Identity;

/* Returns 0, or a HELPER_EXIT_* status after printing one line. */
int identity_resolve(const Jail *j, Identity *id);
void identity_done(Identity *id);

/* The command's privileges: the bounding set, groups, gid and uid, effective and
 * permitted capabilities limited to KEEP, no_new_privs when asked. 0 or HELPER_EXIT_*. */
int privileges_drop(const Identity *id, uint64_t keep, bool no_new_privileges);
