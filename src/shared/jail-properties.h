/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <systemd/sd-bus.h>

#include "jail.h"

/* One table from the jail model to systemd unit properties. The generator writes it
 * as drop-in text; `virtualing run` appends it to StartTransientUnit's a(sv). */

/* "Key=value\n" lines for the [Service] section. */
int jail_properties_write(const Jail *j, FILE *f);

/* Appends (sv) entries to an open a(sv) container: the unit properties of
 * jail_bus_values_foreach() (those of org.freedesktop.systemd1.Service). */
int jail_properties_append(const Jail *j, sd_bus_message *m);

/* The unit's Description=, as the generator writes it. */
#define JAIL_DESCRIPTION_FORMAT "virtualing jail %s"

/* One value systemd reports on D-Bus for the unit the generator makes of a jail. */
typedef struct JailBusValue {
        const char *interface; /* org.freedesktop.systemd1.Unit or .Service */
        const char *name;      /* D-Bus property */
        const char *signature; /* "s", "t" or "a(st)" */
        const char *string;    /* "s": the value; "a(st)": the device of this entry */
        uint64_t number;       /* "t": the value; "a(st)": the limit of this entry */
} JailBusValue;

/* Calls CB for every value the jail sets, as systemd will report it, in a fixed order; an
 * "a(st)" property once per entry, consecutively: one per device (the last limit given for
 * it), none for a limit of infinity. Stops at and returns CB's first negative return. */
int jail_bus_values_foreach(const Jail *j, int (*cb)(const JailBusValue *v, void *userdata), void *userdata);
