/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing properties: the unit properties a jail sets, as systemd reports them on D-Bus. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "json.h"
#include "log.h"
#include "jail-properties.h"
#include "pager.h"
#include "parse-util.h"

typedef struct Printer {
        const Jail *jail;
        bool json;
        FILE *f;                /* the JSON document, compact */
        const char *open_array; /* the "a(st)" property whose array is open (JSON) */
        size_t n;               /* properties printed */
} Printer;

static void close_array(Printer *p) {
        if (p->open_array)
                fputs("]}", p->f);
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
                fputc(',', p->f);
        else {
                close_array(p);
                fputs(p->n++ > 0 ? "," : "{", p->f);
                json_string(p->f, v->name);
                fputs(":{\"interface\":", p->f);
                json_string(p->f, v->interface);
                fputs(",\"type\":", p->f);
                json_string(p->f, v->signature);
                fputs(",\"data\":", p->f);
                if (array) {
                        fputc('[', p->f);
                        p->open_array = v->name;
                }
        }
        if (array) {
                fputc('[', p->f);
                json_string(p->f, v->string);
                fprintf(p->f, ",%" PRIu64 "]", v->number);
        } else if (streq(v->signature, "s")) {
                json_string(p->f, v->string);
                fputc('}', p->f);
        } else
                fprintf(p->f, "%" PRIu64 "}", v->number);
        return 0;
}

/* The document: one member per property, as busctl --json prints a property. */
static int write_json(FILE *f, void *userdata) {
        Printer *p = userdata;
        int r;

        p->f = f;
        r = jail_bus_values_foreach(p->jail, print_value, p);
        close_array(p);
        fputs(p->n > 0 ? "}" : "{}", f);
        return r;
}

int verb_properties(int argc, char *argv[]) {
        _cleanup_(jail_freep) Jail *j = NULL;
        Printer p = { .json = arg_json != JSON_OFF };
        int r;

        if (argc != 2) {
                log_error("properties: expected exactly one jail name or file.");
                return EXIT_USAGE;
        }
        r = load_jail_arg(argv[1], &j);
        if (r != EXIT_OK)
                return r;
        p.jail = j;
        (void) pager_open(arg_no_pager);
        if (p.json)
                r = json_output(arg_json, write_json, &p);
        else
                r = jail_bus_values_foreach(j, print_value, &p);
        if (r < 0) {
                log_error("Out of memory.");
                return EXIT_FAILED;
        }
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}
