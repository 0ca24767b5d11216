/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The property table as StartTransientUnit's a(sv), for `virtualing run`. A file of its own:
 * what links jail-properties.c alone (the generator) does not load libsystemd. */
#include "jail-properties.h"
#include "macro.h"

typedef struct AppendState {
        sd_bus_message *m;
        const char *open_array; /* the "a(st)" property whose containers are open */
} AppendState;

static int close_array(AppendState *st) {
        int r = 0;

        if (!st->open_array)
                return 0;
        st->open_array = NULL;
        for (int i = 0; i < 3 && r >= 0; i++) /* a(st), v, (sv) */
                r = sd_bus_message_close_container(st->m);
        return r;
}

static int append_value(const JailBusValue *v, void *userdata) {
        AppendState *st = userdata;
        int r;

        if (!streq(v->interface, "org.freedesktop.systemd1.Service"))
                return 0; /* Description and SourcePath: the unit's own */
        if (!streq(v->signature, "a(st)")) {
                r = close_array(st);
                return r < 0 ? r : sd_bus_message_append(st->m, "(sv)", v->name, "t", v->number);
        }
        if (!st->open_array || !streq(st->open_array, v->name)) {
                r = close_array(st);
                if (r >= 0)
                        r = sd_bus_message_open_container(st->m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(st->m, "s", v->name);
                if (r >= 0)
                        r = sd_bus_message_open_container(st->m, 'v', "a(st)");
                if (r >= 0)
                        r = sd_bus_message_open_container(st->m, 'a', "(st)");
                if (r < 0)
                        return r;
                st->open_array = v->name;
        }
        return sd_bus_message_append(st->m, "(st)", v->string, v->number);
}

int jail_properties_append(const Jail *j, sd_bus_message *m) {
        AppendState st = { .m = m };
        int r;

        r = jail_bus_values_foreach(j, append_value, &st);
        return r < 0 ? r : close_array(&st);
}
