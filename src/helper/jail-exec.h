/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "jail.h"

/* Builds the jail in a new mount namespace and execve()s its command.
 * Returns only on failure, with a HELPER_EXIT_* status after printing one line. */
int jail_exec(const Jail *j);
