/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "jail.h"

/* Where "address up" records what it added, so "down" removes only that:
 * $VIRTUALING_RUNTIME_DIR, default /run/virtualing. */
const char *runtime_dir(void);

/* Both return 0 or a HELPER_EXIT_* status, having printed one line naming what failed. */
int address_up(const Jail *j);
int address_down(const Jail *j);
