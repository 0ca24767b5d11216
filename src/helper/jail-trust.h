/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "jail-identity.h"
#include "jail-mount.h"
#include "jail.h"

/* Whether root may start a program in the built tree: everything the kernel and the dynamic
 * linker read to start it must be root's and writable by nobody else (the read-only binds of
 * the host's system directories are the host's, trusted as such). What is checked:
 *   - with COMMAND, every path from / to Exec='s binary, the binary, and its interpreters
 *     (PT_INTERP or "#!", recursively), and the directories of its RPATH/RUNPATH;
 *   - /etc, ld.so.preload (and the libraries it names), ld.so.cache (and the directories
 *     its entries lie in), ld.so.conf, ld.so.conf.d and its files;
 *   - the library directories (/lib, /lib64, /usr/lib, /usr/lib64, their multiarch
 *     directories, LD_LIBRARY_PATH of Environment=) with every entry in them and in their
 *     glibc-hwcaps subdirectories, and LD_PRELOAD/LD_AUDIT of Environment=.
 * Symlinks are followed inside the jail and what they lead to is checked too.
 * Returns 0 when all of it is trusted, 1 with *ret_path (inside the jail) and *ret_why
 * naming the first path that is not, or a negative errno. */
int jail_trust_check(const JailTree *t, const Jail *j, bool command, char **ret_path, const char **ret_why);
