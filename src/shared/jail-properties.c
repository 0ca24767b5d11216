/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "hashmap.h"
#include "jail-load.h"
#include "jail-properties.h"

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
static const char *io_device_uncached(const char *dev, char *buf, size_t size) {
        struct stat st;

        if (strncmp(dev, "/dev/block/", 11) == 0 || stat(dev, &st) < 0 || !S_ISBLK(st.st_mode))
                return dev;
        snprintf(buf, size, "/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
        return buf;
}

/* Jails name the same few disks: each path is looked at once in a process, so 1,000 jails
 * with the same IO limits cost one stat(2), not 1,000. The entries (path, then its name
 * for systemd, in one allocation) live as long as the process. */
static Hashmap *io_device_cache;

static const char *io_device(const char *dev, char *buf, size_t size) {
        const char *name, *cached;
        char *e;
        size_t l;

        cached = hashmap_get(io_device_cache, dev);
        if (cached)
                return cached + strlen(cached) + 1;
        name = io_device_uncached(dev, buf, size);
        if (!io_device_cache && !(io_device_cache = hashmap_new()))
                return name;
        l = strlen(dev);
        e = malloc(l + strlen(name) + 2);
        if (!e)
                return name;
        memcpy(e, dev, l + 1);
        strcpy(e + l + 1, name);
        if (hashmap_put(io_device_cache, e, e) < 0) {
                free(e);
                return name;
        }
        return e + l + 1;
}

/* A word as systemd's unit file parser reads it back (extract_first_word() with
 * EXTRACT_UNQUOTE): plain when it holds nothing special, else in double quotes with \\ and
 * \" escaped. The loader lets no control character through. */
static void write_word(FILE *f, const char *w) {
        if (!strpbrk(w, " \t\"'\\")) {
                fputs(w, f);
                return;
        }
        fputc('"', f);
        for (const char *p = w; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fputc('\\', f);
                fputc(*p, f);
        }
        fputc('"', f);
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
                                fprintf(f, "%s=", p->name);
                                write_word(f, io_device(j->io_limits[k].device, buf, sizeof(buf)));
                                fputc(' ', f);
                                write_number(f, j->io_limits[k].value);
                                fputc('\n', f);
                        }
                        break;
                }
        }
        return ferror(f) ? -EIO : 0;
}

int jail_bus_values_foreach(const Jail *j, int (*cb)(const JailBusValue *v, void *userdata), void *userdata) {
        static const char unit_iface[] = "org.freedesktop.systemd1.Unit",
                          service_iface[] = "org.freedesktop.systemd1.Service";
        _cleanup_free_ char *description = NULL;
        int r;

        if (asprintf(&description, JAIL_DESCRIPTION_FORMAT, j->name) < 0)
                return -ENOMEM;
        r = cb(&(JailBusValue) { unit_iface, "Description", "s", description, 0 }, userdata);
        if (r >= 0 && j->path)
                r = cb(&(JailBusValue) { unit_iface, "SourcePath", "s", j->path, 0 }, userdata);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(properties); i++) {
                const Property *p = &properties[i];
                uint64_t v;

                switch (p->kind) {
                case PROPERTY_BYTES:
                case PROPERTY_CPU_QUOTA:
                        if (!p->get(j, &v))
                                break;
                        if (p->kind == PROPERTY_CPU_QUOTA)
                                v *= 100; /* basis points of a second -> µs per second */
                        r = cb(&(JailBusValue) { service_iface, p->bus_name, "t", NULL, v }, userdata);
                        break;
                case PROPERTY_IO:
                        /* systemd keeps one limit per device string, the last one given,
                         * and lists none that is infinity (the kernel's default) */
                        for (size_t k = 0; r >= 0 && k < j->n_io_limits; k++) {
                                char buf[64], buf2[64];
                                const char *dev;
                                bool later = false;

                                if (j->io_limits[k].type != p->io_type || j->io_limits[k].value == UINT64_MAX)
                                        continue;
                                dev = io_device(j->io_limits[k].device, buf, sizeof(buf));
                                for (size_t l = k + 1; !later && l < j->n_io_limits; l++)
                                        later = j->io_limits[l].type == p->io_type &&
                                                streq(io_device(j->io_limits[l].device, buf2, sizeof(buf2)), dev);
                                if (!later)
                                        r = cb(&(JailBusValue) { service_iface, p->bus_name, "a(st)", dev,
                                                                 j->io_limits[k].value },
                                               userdata);
                        }
                        break;
                }
        }
        return r < 0 ? r : 0;
}
