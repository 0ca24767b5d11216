/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing properties: the unit properties a jail sets, as systemd reports them on D-Bus. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "log.h"
#include "jail-properties.h"
#include "parse-util.h"
#include "table.h"

typedef struct Printer {
        bool json;
        const char *open_array; /* the "a(st)" property whose array is open (JSON) */
        size_t n;               /* properties printed */
} Printer;

static void close_array(Printer *p) {
        if (p->open_array)
                fputs("]}", stdout);
        p->open_array = NULL;
}

static int print_value(const JailBusValue *v, void *userdata) {
        Printer *p = userdata;
        bool array = streq(v->signature, "a(st)");

        if (!p->json) {
                _cleanup_free_ char *s = v->string ? escape_for_display(v->string) : NULL;

                if (v->string && !s)
                        return -ENOMEM;
                if (streq(v->signature, "s"))
                        printf("%s=%s\n", v->name, s);
                else if (array)
                        printf("%s=%s %" PRIu64 "\n", v->name, s, v->number);
                else
                        printf("%s=%" PRIu64 "\n", v->name, v->number);
                return 0;
        }

        /* busctl --json=short get-property prints {"type":…,"data":…}; "interface" added */
        if (array && p->open_array && streq(p->open_array, v->name))
                fputc(',', stdout);
        else {
                close_array(p);
                fputs(p->n++ > 0 ? "," : "{", stdout);
                json_string(stdout, v->name);
                fputs(":{\"interface\":", stdout);
                json_string(stdout, v->interface);
                fputs(",\"type\":", stdout);
                json_string(stdout, v->signature);
                fputs(",\"data\":", stdout);
                if (array) {
                        fputc('[', stdout);
                        p->open_array = v->name;
                }
        }
        if (array) {
                fputc('[', stdout);
                json_string(stdout, v->string);
                printf(",%" PRIu64 "]", v->number);
        } else if (streq(v->signature, "s")) {
                json_string(stdout, v->string);
                fputc('}', stdout);
        } else
                printf("%" PRIu64 "}", v->number);
        return 0;
}

int verb_properties(int argc, char *argv[]) {
        _cleanup_(jail_freep) Jail *j = NULL;
        Printer p = {};
        int k, r;

        k = parse_verb_options(argc, argv, &p.json, NULL);
        if (k < 0)
                return -k;
        if (argc - k != 1) {
                log_error("properties: expected exactly one jail name or file.");
                return EXIT_USAGE;
        }
        r = load_jail_arg(argv[k], &j);
        if (r != EXIT_OK)
                return r;
        r = jail_bus_values_foreach(j, print_value, &p);
        if (r < 0) {
                log_error("Out of memory.");
                return EXIT_FAILED;
        }
        if (p.json) {
                close_array(&p);
                fputs(p.n > 0 ? "}\n" : "{}\n", stdout);
        }
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}
