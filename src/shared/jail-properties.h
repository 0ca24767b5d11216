/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <systemd/sd-bus.h>

#include "jail.h"

/* One table from the jail model to systemd unit properties. The generator writes it
 * as drop-in text; `virtualing run` appends it to StartTransientUnit's a(sv). */

/* "Key=value\n" lines for the [Service] section. */
int jail_properties_write(const Jail *j, FILE *f);

/* Appends (sv) entries to an open a(sv) container. */
int jail_properties_append(const Jail *j, sd_bus_message *m);
