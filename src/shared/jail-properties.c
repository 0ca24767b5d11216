/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "jail-load.h"
#include "jail-properties.h"
#include <string.h>

typedef enum PropertyKind {
        PROPERTY_BYTES,     /* t; "infinity" in text */
        PROPERTY_CPU_QUOTA, /* text "N%", D-Bus CPUQuotaPerSecUSec t */
        PROPERTY_IO,        /* a(st); one text line per device */
} PropertyKind;

typedef struct Property {
        const char *name;     /* unit file key */
        const char *bus_name; /* D-Bus property */
        PropertyKind kind;
        bool (*get)(const Jail *j, uint64_t *ret); /* PROPERTY_BYTES and _CPU_QUOTA */
        IOLimitType io_type;                        /* PROPERTY_IO */
} Property;

static bool get_cpu_quota(const Jail *j, uint64_t *ret) {
        *ret = j->cpu_quota_permyriad;
        return j->cpu_quota_permyriad > 0;
}
static bool get_memory_max(const Jail *j, uint64_t *ret) {
        *ret = j->memory_max;
        return j->memory_max_set;
}
static bool get_memory_swap_max(const Jail *j, uint64_t *ret) {
        *ret = j->memory_swap_max;
        return j->memory_swap_max_set;
}
static bool get_tasks_max(const Jail *j, uint64_t *ret) {
        *ret = j->tasks_max;
        return j->tasks_max_set;
}

static const Property properties[] = {
        { "CPUQuota", "CPUQuotaPerSecUSec", PROPERTY_CPU_QUOTA, get_cpu_quota, 0 },
        { "MemoryMax", "MemoryMax", PROPERTY_BYTES, get_memory_max, 0 },
        { "MemoryHigh", "MemoryHigh", PROPERTY_BYTES, jail_effective_memory_high, 0 },
        { "MemorySwapMax", "MemorySwapMax", PROPERTY_BYTES, get_memory_swap_max, 0 },
        { "TasksMax", "TasksMax", PROPERTY_BYTES, get_tasks_max, 0 },
        { "IOReadBandwidthMax", "IOReadBandwidthMax", PROPERTY_IO, NULL, IO_READ_BANDWIDTH },
        { "IOWriteBandwidthMax", "IOWriteBandwidthMax", PROPERTY_IO, NULL, IO_WRITE_BANDWIDTH },
        { "IOReadIOPSMax", "IOReadIOPSMax", PROPERTY_IO, NULL, IO_READ_IOPS },
        { "IOWriteIOPSMax", "IOWriteIOPSMax", PROPERTY_IO, NULL, IO_WRITE_IOPS },
};

/* systemd keeps one IO entry per device string and writes a whole io.max line for each:
 * one disk named two ways ("/dev/vda" and "254:0") would reset the other's limits. A block
 * device that exists is therefore always named /dev/block/MAJ:MIN, as MAJ:MIN already is. */
static const char *io_device(const char *dev, char *buf, size_t size) {
        struct stat st;

        if (strncmp(dev, "/dev/block/", 11) == 0 || stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
                return dev;
        snprintf(buf, size, "/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
        return buf;
}

static void write_number(FILE *f, uint64_t v) {
        if (v == UINT64_MAX)
                fputs("infinity", f);
        else
                fprintf(f, "%" PRIu64, v);
}

int jail_properties_write(const Jail *j, FILE *f) {
        for (size_t i = 0; i < ELEMENTSOF(properties); i++) {
                const Property *p = &properties[i];
                uint64_t v;

                switch (p->kind) {
                case PROPERTY_BYTES:
                        if (!p->get(j, &v))
                                break;
                        fprintf(f, "%s=", p->name);
                        write_number(f, v);
                        fputc('\n', f);
                        break;
                case PROPERTY_CPU_QUOTA:
                        if (!p->get(j, &v))
                                break;
                        if (v % 100 == 0)
                                fprintf(f, "%s=%" PRIu64 "%%\n", p->name, v / 100);
                        else
                                fprintf(f, "%s=%" PRIu64 ".%02" PRIu64 "%%\n", p->name, v / 100, v % 100);
                        break;
                case PROPERTY_IO:
                        for (size_t k = 0; k < j->n_io_limits; k++) {
                                if (j->io_limits[k].type != p->io_type)
                                        continue;
                                char buf[64];
                                fprintf(f, "%s=%s ", p->name, io_device(j->io_limits[k].device, buf, sizeof(buf)));
                                write_number(f, j->io_limits[k].value);
                                fputc('\n', f);
                        }
                        break;
                }
        }
        return ferror(f) ? -EIO : 0;
}

int jail_properties_append(const Jail *j, sd_bus_message *m) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(properties); i++) {
                const Property *p = &properties[i];
                bool any = false;
                uint64_t v;

                switch (p->kind) {
                case PROPERTY_BYTES:
                case PROPERTY_CPU_QUOTA:
                        if (!p->get(j, &v))
                                break;
                        if (p->kind == PROPERTY_CPU_QUOTA)
                                v *= 100; /* basis points of a second -> µs per second */
                        r = sd_bus_message_append(m, "(sv)", p->bus_name, "t", v);
                        if (r < 0)
                                return r;
                        break;
                case PROPERTY_IO:
                        for (size_t k = 0; k < j->n_io_limits; k++) {
                                if (j->io_limits[k].type != p->io_type)
                                        continue;
                                if (!any) {
                                        r = sd_bus_message_open_container(m, 'r', "sv");
                                        if (r >= 0)
                                                r = sd_bus_message_append(m, "s", p->bus_name);
                                        if (r >= 0)
                                                r = sd_bus_message_open_container(m, 'v', "a(st)");
                                        if (r >= 0)
                                                r = sd_bus_message_open_container(m, 'a', "(st)");
                                        if (r < 0)
                                                return r;
                                        any = true;
                                }
                                char buf[64];
                                r = sd_bus_message_append(m, "(st)", io_device(j->io_limits[k].device, buf, sizeof(buf)),
                                                          j->io_limits[k].value);
                                if (r < 0)
                                        return r;
                        }
                        if (any) {
                                r = sd_bus_message_close_container(m);
                                if (r >= 0)
                                        r = sd_bus_message_close_container(m);
                                if (r >= 0)
                                        r = sd_bus_message_close_container(m);
                                if (r < 0)
                                        return r;
                        }
                        break;
                }
        }
        return 0;
}
