/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "jail-load.h"
#include "jail-properties.h"
#include "tap.h"

static Jail *load(const char *dir, const char *content) {
        char path[4096];
        JailDiags d = {};
        Jail *j = NULL;
        FILE *f;

        snprintf(path, sizeof(path), "%s/p.conf", dir);
        f = fopen(path, "we");
        fputs(content, f);
        fclose(f);
        if (jail_load_files("p", path, NULL, 0, &j, &d) < 0)
                for (size_t i = 0; i < d.n; i++)
                        printf("# %s\n", d.items[i].message);
        jail_diags_clear(&d);
        (void) unlink(path);
        return j;
}

static char *text_of(const Jail *j) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        if (jail_properties_write(j, f) < 0)
                printf("# write failed\n");
        fclose(f);
        return s;
}

/* Reads back the a(sv) the table appended and renders it as "Name=value" lines. */
static char *bus_text(const Jail *j) {
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL;
        char *s = NULL;
        size_t n = 0;
        FILE *f;
        int r;

        int sv[2];

        /* a bus that is "open" (authenticating on a socketpair) is enough to build messages */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return NULL;
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_fd(bus, sv[0], sv[0]);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                   "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r < 0) {
                printf("# cannot build a message: %s\n", strerror(-r));
                sd_bus_unref(bus);
                return NULL;
        }
        f = open_memstream(&s, &n);
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = jail_properties_append(j, m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_seal(m, 1, 0);
        if (r >= 0)
                r = sd_bus_message_rewind(m, true);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(sv)");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                const char *name, *contents;
                char type;

                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0)
                        r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        break;
                if (streq(contents, "t")) {
                        uint64_t v;
                        r = sd_bus_message_read(m, "v", "t", &v);
                        fprintf(f, "%s=%" PRIu64 "\n", name, v);
                } else if (streq(contents, "a(st)")) {
                        const char *dev;
                        uint64_t v;
                        r = sd_bus_message_enter_container(m, 'v', "a(st)");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(m, 'a', "(st)");
                        while (r >= 0 && (r = sd_bus_message_read(m, "(st)", &dev, &v)) > 0)
                                fprintf(f, "%s=%s %" PRIu64 "\n", name, dev, v);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else {
                        fprintf(f, "%s=?%s\n", name, contents);
                        r = sd_bus_message_skip(m, "v");
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r < 0)
                fprintf(f, "error: %s\n", strerror(-r));
        fclose(f);
        sd_bus_message_unref(m);
        sd_bus_close_unref(bus);
        close(sv[1]);
        return s;
}

int main(void) {
        char dir[] = "/tmp/virtualing-props-XXXXXX";
        Jail *j;
        char *t;

        if (!mkdtemp(dir)) {
                printf("Bail out! mkdtemp\n");
                return 1;
        }

        j = load(dir, "[Jail]\nRoot=/chroot/apache\nExec=/usr/local/apache/bin/httpd -X\n"
                      "[Resources]\nCPUQuota=30%\nMemoryMax=512M\nMemorySwapMax=infinity\nTasksMax=100\n"
                      "IOReadBandwidthMax=202:0 10M\nIOWriteBandwidthMax=202:0 10M\nIOReadBandwidthMax=/dev/vdb 1M\n"
                      "IOWriteIOPSMax=8:0 500\n");
        if (!ok(j, "article jail loads"))
                return tap_done();
        t = text_of(j);
        is_str(t,
               "CPUQuota=30%\n"
               "MemoryMax=536870912\n"
               "MemorySwapMax=infinity\n"
               "TasksMax=100\n"
               "IOReadBandwidthMax=/dev/block/202:0 10485760\n"
               "IOReadBandwidthMax=/dev/vdb 1048576\n"
               "IOWriteBandwidthMax=/dev/block/202:0 10485760\n"
               "IOWriteIOPSMax=/dev/block/8:0 500\n",
               "drop-in text in plain numbers");
        free(t);
        t = bus_text(j);
        is_str(t,
               "CPUQuotaPerSecUSec=300000\n"
               "MemoryMax=536870912\n"
               "MemorySwapMax=18446744073709551615\n"
               "TasksMax=100\n"
               "IOReadBandwidthMax=/dev/block/202:0 10485760\n"
               "IOReadBandwidthMax=/dev/vdb 1048576\n"
               "IOWriteBandwidthMax=/dev/block/202:0 10485760\n"
               "IOWriteIOPSMax=/dev/block/8:0 500\n",
               "the same table as StartTransientUnit properties");
        free(t);
        jail_free(j);

        j = load(dir, "[Jail]\nRoot=/r\nExec=/bin/true\n[Resources]\nCPUQuota=12.5%\nMemoryMax=64M\n"
                      "MemoryGrowStep=32M\nMemoryGrowLimit=256M\n");
        if (ok(j, "elastic jail loads")) {
                t = text_of(j);
                is_str(t, "CPUQuota=12.50%\nMemoryMax=67108864\nMemoryHigh=60397974\n",
                       "fractional quota, MemoryHigh at 90 % for an elastic jail");
                free(t);
                t = bus_text(j);
                is_str(t, "CPUQuotaPerSecUSec=125000\nMemoryMax=67108864\nMemoryHigh=60397974\n",
                       "same on the bus");
                free(t);
        }
        jail_free(j);

        /* one block device named by path and by MAJ:MIN: one name for systemd */
        char blk[256], content[1024];
        snprintf(blk, sizeof(blk), "%s/blk", dir);
        if (geteuid() == 0 && mknod(blk, S_IFBLK | 0600, makedev(7, 99)) == 0) {
                snprintf(content, sizeof(content),
                         "[Jail]\nRoot=/r\nExec=/bin/true\n[Resources]\nIOReadBandwidthMax=%s 1M\n"
                         "IOWriteBandwidthMax=7:99 2M\nIOReadIOPSMax=/dev/virtualing-no-such-disk 5\n", blk);
                j = load(dir, content);
                if (ok(j, "jail with a block device path loads")) {
                        t = text_of(j);
                        is_str(t,
                               "IOReadBandwidthMax=/dev/block/7:99 1048576\n"
                               "IOWriteBandwidthMax=/dev/block/7:99 2097152\n"
                               "IOReadIOPSMax=/dev/virtualing-no-such-disk 5\n",
                               "an existing block device path is named /dev/block/MAJ:MIN, others as written");
                        free(t);
                        t = bus_text(j);
                        ok(t && strstr(t, "IOReadBandwidthMax=/dev/block/7:99 1048576"), "the same on the bus");
                        free(t);
                }
                jail_free(j);
                (void) unlink(blk);
        } else
                printf("ok %u # SKIP creating a block device node needs root\n", ++tap_n);

        j = load(dir, "[Jail]\nRoot=/r\nExec=/bin/true\n");
        if (ok(j, "jail without resources loads")) {
                t = text_of(j);
                is_str(t, "", "no properties");
                free(t);
        }
        jail_free(j);
        (void) rmdir(dir);
        return tap_done();
}
