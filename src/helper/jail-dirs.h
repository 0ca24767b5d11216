/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "jail-identity.h"
#include "jail-mount.h"
#include "jail.h"

/* RuntimeDirectory= and friends, as systemd.exec(5) has them: each NAME is a directory of
 * the host (/run/NAME, /var/lib/NAME, /var/cache/NAME, /var/log/NAME, /etc/NAME), created
 * when missing (0755), the innermost one owned by the jail's user and group (except
 * ConfigurationDirectory=, root's), and bound at the same path inside the jail (read-only
 * for ConfigurationDirectory=). Every existing component above the innermost must be root's
 * and not writable by group or others; no symlink is followed, ownership is changed on the
 * opened directory itself. The runtime ones are recorded, for jail_directories_remove().
 * Returns 0 or a HELPER_EXIT_* status after printing one line. */
int jail_directories(JailTree *t, const Jail *j, const Identity *id);

/* Removes the runtime directories recorded for the jail, and the record: what "systemctl
 * stop" (ExecStopPost=) and "virtualing run" do when the jail ends. Nothing recorded:
 * nothing to do. Returns 0 or a HELPER_EXIT_* status after printing one line. */
int jail_directories_remove(const char *jail);
