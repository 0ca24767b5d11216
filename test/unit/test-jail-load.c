/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail-load.h"
#include "strv.h"
#include "tap.h"

static char tmp[] = "/tmp/virtualing-test-XXXXXX";

static void write_file(const char *rel, const char *content, mode_t mode) {
        char path[4096], dir[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", tmp, rel);
        /* make parents */
        for (char *s = path + strlen(tmp) + 1; (s = strchr(s, '/')); s++) {
                snprintf(dir, sizeof(dir), "%.*s", (int) (s - path), path);
                (void) mkdir(dir, 0755);
        }
        f = fopen(path, "we");
        if (!f) {
                printf("Bail out! cannot write %s: %m\n", path);
                exit(1);
        }
        fputs(content, f);
        fclose(f);
        (void) chmod(path, mode);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void rm_rf(const char *sub) {
        char path[4200];

        snprintf(path, sizeof(path), "%s/%s", tmp, sub);
        if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
                printf("# cleanup of %s failed: %m\n", path);
}

static void set_path(const char *dirs) {
        char buf[8192] = "", *p = buf;
        char *copy = strdup(dirs), *save = NULL;

        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save))
                p += snprintf(p, sizeof(buf) - (size_t) (p - buf), "%s%s/%s", p == buf ? "" : ":", tmp, t);
        free(copy);
        setenv("VIRTUALING_CONFIG_PATH", buf, 1);
}

/* Loads "t" from etc/t.conf with the given content; returns the diagnostics joined. */
static int load_str(const char *content, unsigned flags, Jail **ret, char **ret_msgs) {
        JailDiags d = {};
        char *all = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        rm_rf("etc");
        write_file("etc/t.conf", content, 0644);
        set_path("etc");
        r = jail_load("t", flags, ret, &d);
        f = open_memstream(&all, &len);
        for (size_t i = 0; i < d.n; i++) {
                char *s = jail_diag_format(&d.items[i]);
                fprintf(f, "%s\n", s);
                free(s);
        }
        fclose(f);
        jail_diags_clear(&d);
        *ret_msgs = all;
        return r;
}

#define BASE "[Jail]\nRoot=/srv/jail\nExec=/bin/true\n"

/* A snippet appended to a valid base must load, or fail with a message containing want. */
static void check(const char *snippet, const char *want) {
        char content[16384];
        Jail *j = NULL;
        char *msgs = NULL;
        int r;

        char label[1024];

        snprintf(content, sizeof(content), BASE "%s\n", snippet);
        snprintf(label, sizeof(label), "%s", snippet);
        for (char *p = label; *p; p++)
                if (*p == '\n')
                        *p = '|'; /* one TAP line per check */
        snippet = label;
        r = load_str(content, 0, &j, &msgs);
        if (!want) {
                if (!ok(r == 0, "accepted: %s", snippet))
                        printf("#   %s", msgs ?: "");
        } else {
                bool found = msgs && strstr(msgs, want);
                if (!ok(r == -EINVAL && found, "refused: %s", snippet))
                        printf("#   r=%d, messages: %s#   wanted: %s\n", r, msgs ?: "(none)\n", want);
        }
        jail_free(j);
        free(msgs);
}

static Jail *load_ok(const char *content) {
        Jail *j = NULL;
        char *msgs = NULL;
        int r = load_str(content, 0, &j, &msgs);

        if (r < 0)
                printf("# load failed (%d): %s", r, msgs ?: "\n");
        free(msgs);
        return j;
}

static void test_defaults(void) {
        Jail *j = load_ok(BASE);

        if (!ok(j, "minimal jail loads"))
                return;
        is_str(j->name, "t", "name from file name");
        is_str(j->root, "/srv/jail", "Root");
        is_str(j->exec[0], "/bin/true", "Exec");
        ok(j->skeleton, "Skeleton defaults to yes");
        ok(j->no_new_privileges, "NoNewPrivileges defaults to yes");
        ok(j->private_pids, "PrivatePIDs defaults to yes");
        ok(j->private_ipc, "PrivateIPC defaults to yes");
        ok(j->bind_log_sockets, "BindLogSockets defaults to yes");
        for (ExecDirectoryType t = 0; t < _EXEC_DIRECTORY_TYPE_MAX; t++)
                ok(!j->directories[t], "no %s by default", exec_directory_type_to_string(t));
        ok(j->announce_arp, "AnnounceARP defaults to yes");
        is_u64(j->capability_bounding_set, jail_default_capabilities(), "default capabilities");
        is_u64(j->capability_bounding_set, 0x4e3, "CHOWN DAC_OVERRIDE KILL SETGID SETUID NET_BIND_SERVICE");
        is_u64(j->memory_grow_interval, 1000000, "MemoryGrowIntervalSec defaults to 1s");
        is_u64(j->memory_shrink_after, 0, "MemoryShrinkAfterSec defaults to 0");
        is_u64(j->hook_timeout, 30000000, "HookTimeoutSec defaults to 30s");
        ok(!j->memory_max_set && !j->memory_high_set && !j->tasks_max_set, "no limits by default");
        ok(!j->working_directory, "WorkingDirectory unset (means /)");
        jail_free(j);
}

static void test_all_keys(void) {
        Jail *j = load_ok(
                "[Jail]\n"
                "Root=/chroot/apache\n"
                "Exec=/usr/local/apache/bin/httpd -X -f '/etc/my conf'\n"
                "Bind=/usr/local\n"
                "BindReadOnly=/usr/local/lib\n"
                "Bind=-/srv/data:/data:norbind\n"
                "BindReadOnly=/a\\:b:/c:rbind\n"
                "Skeleton=no\n"
                "User=www-data\n"
                "Group=33\n"
                "SupplementaryGroups=adm\n"
                "SupplementaryGroups=audio video\n"
                "WorkingDirectory=/var/www\n"
                "Environment=A=1 \"B=two words\"\n"
                "Environment=C=3\n"
                "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
                "CapabilityBoundingSet=setuid\n"
                "NoNewPrivileges=no\n"
                "PrivatePIDs=no\n"
                "PrivateIPC=false\n"
                "BindLogSockets=no\n"
                "RuntimeDirectory=a b/c\n"
                "RuntimeDirectory=d\n"
                "StateDirectory=s\n"
                "StateDirectory=\n"
                "StateDirectory=t\n"
                "CacheDirectory=c\n"
                "LogsDirectory=l\n"
                "ConfigurationDirectory=e\n"
                "[Resources]\n"
                "CPUQuota=30%\n"
                "MemoryMax=512M\n"
                "MemoryHigh=400M\n"
                "MemorySwapMax=0\n"
                "TasksMax=64\n"
                "IOReadBandwidthMax=202:0 10M\n"
                "IOWriteBandwidthMax=/dev/vda 10485760\n"
                "IOReadIOPSMax=8:0 1000\n"
                "IOWriteIOPSMax=8:0 infinity\n"
                "MemoryGrowStep=64M\n"
                "MemoryGrowLimit=1G\n"
                "MemoryGrowIntervalSec=500ms\n"
                "MemoryShrinkAfterSec=1min\n"
                "[Network]\n"
                "Address=192.0.2.30/24\n"
                "Address=2001:db8::30\n"
                "Device=eth0\n"
                "AnnounceARP=no\n"
                "[Events]\n"
                "OnOOM=/bin/true oom\n"
                "OnOOMKill=/bin/true kill\n"
                "OnMemoryMax=/bin/true max\n"
                "OnMemoryHigh=/bin/true high\n"
                "UsageThreshold=100M\n"
                "UsageThreshold=200M\n"
                "OnUsage=/bin/true usage\n"
                "PressureThreshold=full 150ms 2s\n"
                "OnPressure=/bin/true pressure\n"
                "HookTimeoutSec=5s\n"
                "[Install]\n"
                "WantedBy=multi-user.target\n"
                "WantedBy=graphical.target multi-user.target\n");

        if (!ok(j, "a jail with every key loads"))
                return;
        is_int(strv_length(j->exec), 4, "Exec split in 4 words");
        is_str(j->exec[3], "/etc/my conf", "quoted argument");
        is_int(j->n_binds, 4, "four binds, in order");
        if (j->n_binds == 4) {
                ok(!j->binds[0].read_only && j->binds[0].recursive, "Bind= is read-write, rbind by default");
                is_str(j->binds[0].destination, "/usr/local", "DST defaults to SRC");
                ok(j->binds[1].read_only, "BindReadOnly= is read-only");
                ok(j->binds[2].ignore_missing, "-SRC ignores a missing source");
                is_str(j->binds[2].source, "/srv/data", "source without the dash");
                is_str(j->binds[2].destination, "/data", "explicit DST");
                ok(!j->binds[2].recursive, "norbind");
                is_str(j->binds[3].source, "/a:b", "escaped colon in SRC");
                ok(j->binds[3].recursive, "rbind");
        }
        ok(!j->skeleton, "Skeleton=no");
        is_str(j->user, "www-data", "User");
        is_str(j->group, "33", "Group");
        is_int(strv_length(j->supplementary_groups), 3, "SupplementaryGroups appends");
        is_str(j->working_directory, "/var/www", "WorkingDirectory");
        is_int(strv_length(j->environment), 3, "Environment appends, quoted values");
        is_str(j->environment[1], "B=two words", "quoted env value");
        is_u64(j->capability_bounding_set, (1u << 10) | (1u << 7), "capabilities: first replaces default, later add");
        ok(!j->no_new_privileges, "NoNewPrivileges=no");
        ok(!j->private_pids, "PrivatePIDs=no");
        ok(!j->private_ipc, "PrivateIPC=false");
        ok(!j->bind_log_sockets, "BindLogSockets=no");
        is_int(strv_length(j->directories[EXEC_DIRECTORY_RUNTIME]), 3, "RuntimeDirectory= appends, words split");
        if (strv_length(j->directories[EXEC_DIRECTORY_RUNTIME]) == 3)
                is_str(j->directories[EXEC_DIRECTORY_RUNTIME][1], "b/c", "a directory name with a slash");
        ok(strv_length(j->directories[EXEC_DIRECTORY_STATE]) == 1 && streq(j->directories[EXEC_DIRECTORY_STATE][0], "t"),
           "an empty StateDirectory= clears the list");
        ok(j->directories[EXEC_DIRECTORY_CACHE] && j->directories[EXEC_DIRECTORY_LOGS] &&
           j->directories[EXEC_DIRECTORY_CONFIGURATION], "CacheDirectory, LogsDirectory, ConfigurationDirectory");
        is_u64(j->cpu_quota_permyriad, 3000, "CPUQuota=30%");
        is_u64(j->memory_max, 536870912, "MemoryMax=512M");
        is_u64(j->memory_high, 419430400, "MemoryHigh=400M");
        ok(j->memory_swap_max_set && j->memory_swap_max == 0, "MemorySwapMax=0");
        is_u64(j->tasks_max, 64, "TasksMax=64");
        is_int(j->n_io_limits, 4, "four IO limits");
        if (j->n_io_limits == 4) {
                is_str(j->io_limits[0].device, "/dev/block/202:0", "MAJ:MIN becomes /dev/block/MAJ:MIN");
                is_u64(j->io_limits[0].value, 10485760, "10M = 10 MiB/s");
                is_str(j->io_limits[1].device, "/dev/vda", "device path kept");
                is_int(j->io_limits[2].type, IO_READ_IOPS, "IOPS type");
                is_u64(j->io_limits[3].value, UINT64_MAX, "infinity");
        }
        is_u64(j->memory_grow_step, 64 << 20, "MemoryGrowStep");
        is_u64(j->memory_grow_limit, 1 << 30, "MemoryGrowLimit");
        is_u64(j->memory_grow_interval, 500000, "MemoryGrowIntervalSec");
        is_u64(j->memory_shrink_after, 60000000, "MemoryShrinkAfterSec");
        is_int(j->n_addresses, 2, "two addresses");
        if (j->n_addresses == 2) {
                is_int(j->addresses[0].prefixlen, 24, "IPv4 /24");
                is_int(j->addresses[1].family, AF_INET6, "IPv6");
                is_int(j->addresses[1].prefixlen, 128, "IPv6 default /128");
        }
        is_str(j->device, "eth0", "Device");
        ok(!j->announce_arp, "AnnounceARP=no");
        for (JailEvent e = 0; e < _JAIL_EVENT_MAX; e++)
                is_int(j->n_hooks[e], 1, jail_event_to_string(e));
        is_str(j->hooks[JAIL_EVENT_OOM_KILL][0][1], "kill", "hook argument");
        is_int(j->n_usage_thresholds, 2, "two thresholds");
        ok(j->pressure_set && j->pressure_kind == PRESSURE_FULL && j->pressure_stall == 150000 &&
                   j->pressure_window == 2000000,
           "PressureThreshold=full 150ms 2s");
        is_u64(j->hook_timeout, 5000000, "HookTimeoutSec=5s");
        is_int(strv_length(j->wanted_by), 2, "WantedBy appends without duplicates");
        jail_free(j);
}

static void test_bad_values(void) {
        /* [Jail] */
        check("Root=relative", "[Jail] Root=relative: expected an absolute");
        check("Root=/", "other than /");
        check("Root=/a/../b", "normalized");
        check("Exec=bin/true", "must be an absolute path");
        check("Exec=/bin/echo 'open", "unbalanced quotes");
        check("Bind=relative", "source must be an absolute");
        check("Bind=/a:rel", "destination must be an absolute");
        check("Bind=/a:/b:ro", "unknown option 'ro'");
        check("Bind=/a:/b:rbind:x", "too many ':'");
        check("Bind=/a /b", "one SRC[:DST[:rbind|norbind]] per line");
        check("Bind=/srv/x:/", "cannot bind onto /");
        check("BindReadOnly=/", "cannot bind onto /");
        check("BindReadOnly=/a/./b", "source must be an absolute");
        check("Skeleton=maybe", "expected a boolean");
        check("NoNewPrivileges=2", "expected a boolean");
        check("PrivatePIDs=maybe", "[Jail] PrivatePIDs=maybe: expected a boolean");
        check("PrivateIPC=", NULL);
        check("PrivatePIDs=no\nPrivatePIDs=", NULL);
        check("BindLogSockets=perhaps", "[Jail] BindLogSockets=perhaps: expected a boolean");
        check("RuntimeDirectory=/run/x", "[Jail] RuntimeDirectory=/run/x: '/run/x' is not a valid directory name");
        check("StateDirectory=a ../b", "'../b' is not a valid directory name");
        check("CacheDirectory=x/", "'x/' is not a valid directory name");
        check("LogsDirectory=a:b", "'a:b' is not a valid directory name");
        check("ConfigurationDirectory=\"a b\"", NULL);
        check("RuntimeDirectory=\"unbalanced", "unbalanced quotes");
        check("User=a b", "expected a user or group name");
        check("Group=-x", "expected a user or group name");
        check("SupplementaryGroups=ok bad/name", "'bad/name' is not a valid group");
        check("WorkingDirectory=var", "absolute, normalized path inside the jail");
        check("Environment=NOEQUALS", "expected KEY=VALUE");
        check("Environment=\"A=1", "unbalanced quotes");
        check("CapabilityBoundingSet=CAP_NOPE", "unknown capability 'CAP_NOPE'");
        check("Nonsense=1", "[Jail] Nonsense=1: unknown key in section [Jail]");
        /* [Resources] */
        check("[Resources]\nCPUQuota=30", "expected a percentage");
        check("[Resources]\nCPUQuota=0%", "above 0");
        check("[Resources]\nCPUQuota=30000", "expected a percentage");
        check("[Resources]\nMemoryMax=12Q", "[Resources] MemoryMax=12Q: expected bytes");
        check("[Resources]\nMemoryHigh=-1", "expected bytes");
        check("[Resources]\nMemorySwapMax=1.5", "expected bytes");
        check("[Resources]\nMemoryMax=16E", "out of range");
        check("[Resources]\nTasksMax=0", "positive number of tasks");
        check("[Resources]\nTasksMax=many", "positive number of tasks");
        check("[Resources]\nIOReadBandwidthMax=202:0", "expected DEVICE RATE");
        check("[Resources]\nIOReadBandwidthMax=sda 1M", "neither an absolute path nor MAJ:MIN");
        check("[Resources]\nIOWriteBandwidthMax=8:0 fast", "rate 'fast' is not valid");
        check("[Resources]\nIOReadIOPSMax=8:0 0", "rate '0' is not valid");
        check("[Resources]\nIOReadIOPSMax=8:0 1K", NULL); /* the size suffixes, as the man page says */
        check("[Resources]\nCPUQuota=21474836.47%", NULL);
        check("[Resources]\nCPUQuota=21474836.48%", "value out of range (expected at most 21474836.47%)");
        check("[Resources]\nMemoryMax=0", "a limit of 0 is refused by systemd");
        check("[Resources]\nMemoryHigh=0%", "a limit of 0 is refused by systemd");
        check("[Resources]\nMemorySwapMax=0", NULL);
        check("[Resources]\nMemoryMax=100.009%", "[Resources] MemoryMax=100.009%: expected bytes");
        check("[Resources]\nMemoryMax=9\nMemoryGrowStep=1\nMemoryGrowLimit=100", "is too small for elastic memory");
        check("[Resources]\nMemoryMax=10\nMemoryGrowStep=1\nMemoryGrowLimit=100", NULL);
        check("[Resources]\nIOReadBandwidthMax=/dev/100% 1M", "contains '%'");
        check("[Resources]\nIOReadBandwidthMax=\"/srv/my data\" 1M", NULL);
        /* found by fuzz-jail-load: a tab inside quotes reached the unit file */
        check("[Resources]\nIOReadBandwidthMax=\"/srv/my\tdata\" 1M", "neither an absolute path nor MAJ:MIN");
        check("[Jail]\nWorkingDirectory=\"/a\tb\"", "WorkingDirectory");
        check("[Jail]\nBind=\"/srv/a\tb\"", "Bind");
        check("[Events]\nHookTimeoutSec=2us 18446744073709.551615s", "expected a time span");
        check("[Resources]\nMemoryGrowIntervalSec=18446744073709551615us", "expected a time span");
        check("[Events]\nPressureThreshold=some 1us 18446744073709551615us", "PressureThreshold");
        check("[Install]\nWantedBy=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.target",
              "at most 249 characters");
        check("[Install]\nWantedBy=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.target", NULL);
        check("Exec=/bin/echo \"a\rExecStartPre=/bin/touch /tmp/p\"", "control character 0x0d");
        check("Environment=A=\f", "control character 0x0c");
        check("Environment=A=\x1b[2J", "control character 0x1b");
        check("Environment=A=\xff\xfe", "not valid UTF-8");
        check("Environment=A=\xc3\xa9t\xc3\xa9", NULL);
        check("[Network]\nDevice=eth0\nAddress=2001:db8::30\nAddress=2001:db8::31", NULL);
        check("[Network]\nDevice=eth0\nAddress=2001:db8::30/64\nAddress=2001:db8::30/128", "address given twice");
        check("[Network]\nDevice=eth0\nAddress=192.0.2.1\nAddress=192.0.2.2\nAddress=192.0.2.1/24", "address given twice");
        check("[Resources]\nIOWriteIOPSMax=8:x 10", "neither an absolute path nor MAJ:MIN");
        check("[Resources]\nMemoryGrowStep=0", "positive size");
        check("[Resources]\nMemoryGrowLimit=infinity", "positive size");
        check("[Resources]\nMemoryGrowIntervalSec=0", "above zero");
        check("[Resources]\nMemoryGrowIntervalSec=infinity", "time span");
        check("[Resources]\nMemoryShrinkAfterSec=soon", "time span");
        check("[Resources]\nMemoryGrowStep=32M", "needs both MemoryGrowStep= and MemoryGrowLimit=");
        check("[Resources]\nMemoryGrowLimit=1G", "needs both MemoryGrowStep= and MemoryGrowLimit=");
        check("[Resources]\nMemoryGrowStep=32M\nMemoryGrowLimit=1G", "needs a finite MemoryMax=");
        check("[Resources]\nMemoryMax=1G\nMemoryGrowStep=32M\nMemoryGrowLimit=512M", "must be above MemoryMax=");
        /* [Network] */
        check("[Network]\nAddress=192.0.2.300\nDevice=eth0", "expected an IPv4 or IPv6 address");
        check("[Network]\nAddress=192.0.2.1/33\nDevice=eth0", "prefix length out of range");
        check("[Network]\nAddress=0.0.0.0\nDevice=eth0", "not a unicast address");
        check("[Network]\nAddress=ff02::1\nDevice=eth0", "not a unicast address");
        check("[Network]\nAddress=192.0.2.1\nAddress=192.0.2.1/24\nDevice=eth0", "address given twice");
        check("[Network]\nAddress=192.0.2.1", "Address= needs Device=");
        check("[Network]\nDevice=0123456789abcdefg", "expected a network interface name");
        check("[Network]\nAnnounceARP=perhaps", "expected a boolean");
        /* [Events] */
        check("[Events]\nOnOOM=relative/hook", "must be an absolute path");
        check("[Events]\nOnOOMKill='", "expected a command line");
        check("[Events]\nUsageThreshold=0", "positive size");
        check("[Events]\nUsageThreshold=1M\nUsageThreshold=1024K", "threshold given twice");
        check("[Events]\nOnUsage=/bin/true", "t.conf:5: [Events] OnUsage= is set but no UsageThreshold=");
        check("[Events]\nOnPressure=/bin/true", "OnPressure= is set but no PressureThreshold=");
        check("[Events]\nPressureThreshold=some 100ms", "expected some|full STALL WINDOW");
        check("[Events]\nPressureThreshold=most 100ms 1s", "'most' is neither some nor full");
        check("[Events]\nPressureThreshold=some 100ms 20s", "between 500ms and 10s");
        check("[Events]\nPressureThreshold=some 2s 1s", "at most WINDOW");
        check("[Events]\nPressureThreshold=some x 1s", "expected time spans");
        check("[Events]\nHookTimeoutSec=5parsecs", "expected a time span");
        /* [Install] */
        check("[Install]\nWantedBy=multi-user", "not a valid unit name");
        /* structure */
        check("[Whatever]\nFoo=bar", "unknown section [Whatever]");
        check("[Jail", "expected a section header");
        check("justtext", "expected Key=value");
        check("Root:/x", "expected Key=value");
}

static void test_good_values(void) {
        check("[Resources]\nMemoryMax=infinity", NULL);
        check("[Resources]\nMemoryMax=25%", NULL);
        check("[Resources]\nCPUQuota=150%", NULL);
        check("[Resources]\nCPUQuota=12.5%", NULL);
        check("[Resources]\nTasksMax=infinity", NULL);
        check("[Resources]\nIOReadBandwidthMax=/dev/disk/by-id/x 1.5M", NULL);
        check("[Events]\nHookTimeoutSec=0", NULL);
        check("[Events]\nHookTimeoutSec=infinity", NULL);
        check("[Events]\nPressureThreshold=some 500ms 500ms", NULL);
        check("[Network]\nAddress=198.51.100.9\nDevice=veth-x", NULL);
        check("[Network]\nDevice=eth0", NULL);
        check("CapabilityBoundingSet=", NULL);
        check("CapabilityBoundingSet=~CAP_SYS_ADMIN", NULL);
        check("Exec=/bin/sh -c 'echo a; echo b'", NULL);
        check("# comment\n; also a comment\n\n", NULL);
}

static void test_assignment_rules(void) {
        Jail *j;

        /* single value: last wins */
        j = load_ok(BASE "Root=/srv/other\n[Resources]\nMemoryMax=1G\nMemoryMax=2G\n");
        if (ok(j, "repeated single-value keys load")) {
                is_str(j->root, "/srv/other", "last Root= wins");
                is_u64(j->memory_max, UINT64_C(2) << 30, "last MemoryMax= wins");
        }
        jail_free(j);

        /* empty assignment resets single values to their default */
        j = load_ok(BASE "Skeleton=no\nSkeleton=\n[Resources]\nMemoryMax=1G\nMemoryMax=\n");
        if (ok(j, "empty single-value assignments load")) {
                ok(j->skeleton, "Skeleton= resets to yes");
                ok(!j->memory_max_set, "MemoryMax= unsets");
        }
        jail_free(j);

        /* lists append, empty assignment clears the list so far */
        j = load_ok(BASE "Bind=/a\nBind=/b\nBind=\nBind=/c\nBindReadOnly=/r\n"
                         "Environment=A=1\nEnvironment=\nEnvironment=B=2\n"
                         "SupplementaryGroups=x\nSupplementaryGroups=\n"
                         "[Resources]\nIOReadBandwidthMax=8:0 1M\nIOReadBandwidthMax=\nIOReadBandwidthMax=8:16 2M\n"
                         "IOWriteBandwidthMax=8:0 1M\n"
                         "[Network]\nAddress=192.0.2.1\nAddress=\nAddress=192.0.2.2\nDevice=eth0\n"
                         "[Events]\nOnOOM=/bin/true a\nOnOOM=\nOnOOM=/bin/true b\nOnOOM=/bin/true c\n"
                         "UsageThreshold=1M\nUsageThreshold=\n"
                         "[Install]\nWantedBy=a.target\nWantedBy=\nWantedBy=b.target\n");
        if (ok(j, "list resets load")) {
                is_int(j->n_binds, 2, "Bind= cleared then /c; BindReadOnly kept");
                if (j->n_binds == 2) {
                        is_str(j->binds[0].source, "/c", "bind after reset");
                        is_str(j->binds[1].source, "/r", "read-only bind kept");
                }
                is_int(strv_length(j->environment), 1, "Environment= cleared");
                is_str(j->environment[0], "B=2", "environment after reset");
                is_int(strv_length(j->supplementary_groups), 0, "SupplementaryGroups= cleared");
                is_int(j->n_io_limits, 2, "IOReadBandwidthMax= clears only its own kind");
                is_int(j->n_addresses, 1, "Address= cleared");
                is_int(j->n_hooks[JAIL_EVENT_OOM], 2, "OnOOM= cleared then two appended");
                is_int(j->n_usage_thresholds, 0, "UsageThreshold= cleared");
                is_int(strv_length(j->wanted_by), 1, "WantedBy= cleared");
        }
        jail_free(j);

        /* an empty CapabilityBoundingSet= is the empty set */
        j = load_ok(BASE "CapabilityBoundingSet=\n");
        if (ok(j, "empty capability set loads"))
                is_u64(j->capability_bounding_set, 0, "CapabilityBoundingSet= is empty");
        jail_free(j);
        j = load_ok(BASE "CapabilityBoundingSet=~CAP_SYS_ADMIN CAP_NET_RAW\n");
        if (ok(j, "inverted capability set loads"))
                ok(!(j->capability_bounding_set & (1u << 21)) && !(j->capability_bounding_set & (1u << 13)) &&
                           (j->capability_bounding_set & 1),
                   "~ removes from all");
        jail_free(j);
        j = load_ok(BASE "CapabilityBoundingSet=CHOWN KILL\nCapabilityBoundingSet=~KILL\n");
        if (ok(j, "capability set narrowed by ~"))
                is_u64(j->capability_bounding_set, 1, "CHOWN KILL then ~KILL is CHOWN");
        jail_free(j);

        /* indentation is ignored: never a continuation of the previous value */
        j = load_ok("[Jail]\n  Root=/srv/jail\n\tExec=/bin/true\n    Environment=A=1\n   [Resources]\n  MemoryMax=1M\n");
        if (ok(j, "indented lines are ordinary lines")) {
                is_str(j->exec[0], "/bin/true", "indented Exec= is its own key");
                is_int(strv_length(j->exec), 1, "Exec= not extended by the next line");
                is_u64(j->memory_max, 1048576, "indented section header works");
        }
        jail_free(j);
        j = load_ok(BASE "Environment=A=1\n  B=2\n");
        ok(!j, "an indented line after a value is not a continuation (B= is an unknown key)");
        jail_free(j);

        /* inline ';' is part of the value, as in systemd */
        j = load_ok("[Jail]\nRoot=/srv/jail\nExec=/bin/sh -c 'true ; true'\n");
        if (ok(j, "semicolon in a value loads"))
                is_str(j->exec[2], "true ; true", "no inline comments");
        jail_free(j);
}

static void test_line_length(void) {
        char *content = malloc(JAIL_LINE_MAX + 200), *msgs = NULL;
        Jail *j = NULL;
        int r;

        /* exactly JAIL_LINE_MAX bytes: accepted */
        strcpy(content, "[Jail]\nRoot=/srv/jail\n");
        size_t start = strlen(content);
        strcat(content, "Exec=/bin/");
        size_t fill = JAIL_LINE_MAX - strlen("Exec=/bin/");
        memset(content + strlen(content), 'x', fill);
        content[start + JAIL_LINE_MAX] = 0;
        strcat(content, "\n");
        r = load_str(content, 0, &j, &msgs);
        if (!ok(r == 0, "a %d-byte line is accepted", JAIL_LINE_MAX))
                printf("# %s", msgs ?: "");
        if (j)
                is_int(strlen(j->exec[0]), JAIL_LINE_MAX - 5, "whole value kept, not split");
        jail_free(j);
        j = NULL;
        free(msgs);

        /* one byte more: an error naming the line */
        content[start + JAIL_LINE_MAX] = 0;
        content[start + JAIL_LINE_MAX - 1] = 'y';
        strcpy(content + start + JAIL_LINE_MAX, "z\n");
        r = load_str(content, 0, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "t.conf:3: line too long (4097 bytes, at most 4096)"),
           "a 4097-byte line is an error at its line");
        free(msgs);
        jail_free(j);
        free(content);
}

static void test_required(void) {
        Jail *j = NULL;
        char *msgs = NULL;
        int r;

        r = load_str("[Jail]\nExec=/bin/true\n", 0, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "t.conf: [Jail] Root= is not set"), "missing Root= names the file");
        free(msgs);
        r = load_str("[Jail]\nRoot=/x\n", 0, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "[Jail] Exec= is not set"), "missing Exec=");
        free(msgs);
        r = load_str("[Jail]\nRoot=/x\nExec=/bin/true\nExec=\n", 0, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "[Jail] Exec= is not set"), "Exec= reset then missing");
        free(msgs);
        r = load_str("Root=/x\n", 0, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "t.conf:1: assignment outside of a section"), "key before a section");
        free(msgs);
        r = load_str("[Jail]\nRoot=relative\nExec=/bin/true\nMemoryMax=1G\n", 0, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "t.conf:2:") && strstr(msgs, "t.conf:4:"),
           "every problem reported, not just the first");
        free(msgs);
}

static void test_search_path(void) {
        Jail *j = NULL;
        JailDiags d = {};
        char **names = NULL, **dirs = NULL;
        int r;

        rm_rf("etc");
        rm_rf("run");
        rm_rf("lib");
        set_path("etc:run:lib");
        write_file("lib/web.conf", BASE "[Resources]\nMemoryMax=1G\n", 0644);
        write_file("etc/web.conf", BASE "[Resources]\nMemoryMax=2G\n", 0644);
        write_file("lib/web.conf.d/10-a.conf", "[Resources]\nMemoryMax=3G\nTasksMax=10\n", 0644);
        write_file("run/web.conf.d/10-a.conf", "[Resources]\nTasksMax=20\n", 0644);
        write_file("lib/web.conf.d/20-b.conf", "[Jail]\nBind=/x\n", 0644);
        write_file("etc/web.conf.d/30-c.conf", "[Jail]\nBind=/y\n", 0644);
        write_file("etc/web.conf.d/ignored.txt", "garbage", 0644);
        write_file("lib/other.conf", BASE, 0644);
        write_file("lib/masked.conf", BASE, 0644);
        write_file("run/bad name.conf", BASE, 0644);

        r = jail_load("web", 0, &j, &d);
        if (ok(r == 0, "web loads from the search path")) {
                ok(strstr(j->path, "/etc/web.conf") != NULL, "first directory wins for the main file");
                is_int(strv_length(j->dropins), 3, "three drop-ins");
                ok(strstr(j->dropins[0], "/run/web.conf.d/10-a.conf") != NULL,
                   "same-name drop-in from a higher-priority dir replaces the lower one");
                is_u64(j->memory_max, UINT64_C(2) << 30, "lower drop-in with the same name is not read");
                is_u64(j->tasks_max, 20, "drop-in applied after the main file");
                is_int(j->n_binds, 2, "drop-ins applied in file-name order across dirs");
                if (j->n_binds == 2) {
                        is_str(j->binds[0].source, "/x", "20-b before 30-c");
                        is_str(j->binds[1].source, "/y", "30-c last");
                }
        }
        j = jail_free(j);
        jail_diags_clear(&d);

        /* masking */
        char p[4096];
        snprintf(p, sizeof(p), "%s/etc/masked.conf", tmp);
        (void) symlink("/dev/null", p);
        r = jail_load("masked", 0, &j, &d);
        is_int(r, -ERFKILL, "a /dev/null symlink masks the jail");
        snprintf(p, sizeof(p), "%s/etc/web.conf.d/30-c.conf", tmp);
        (void) unlink(p);
        (void) symlink("/dev/null", p);
        r = jail_load("web", 0, &j, &d);
        if (ok(r == 0, "web loads with a masked drop-in"))
                is_int(j->n_binds, 1, "masked drop-in not applied");
        j = jail_free(j);

        r = jail_load("nothere", 0, &j, &d);
        is_int(r, -ENOENT, "unknown jail is -ENOENT");
        r = jail_load("../etc", 0, &j, &d);
        is_int(r, -EINVAL, "invalid name refused");

        r = jail_search_path(&dirs);
        is_int(strv_length(dirs), 3, "VIRTUALING_CONFIG_PATH gives three dirs");
        dirs = strv_free(dirs);
        r = jail_list_names(dirs, &names);
        names = strv_free(names);
        r = jail_search_path(&dirs);
        r = jail_list_names(dirs, &names);
        if (ok(r == 0, "list names")) {
                char *joined = strv_join(names, ",");
                is_str(joined, "bad name,other,web", "sorted, masked left out, invalid names kept for callers to report");
                free(joined);
        }
        strv_free(names);
        strv_free(dirs);

        unsetenv("VIRTUALING_CONFIG_PATH");
        r = jail_search_path(&dirs);
        char *joined = strv_join(dirs, ":");
        is_str(joined, "/etc/virtualing:/run/virtualing:/usr/local/lib/virtualing:/usr/lib/virtualing",
               "default search path");
        free(joined);
        strv_free(dirs);
        jail_diags_clear(&d);
}

static void test_owner_checks(void) {
        Jail *j = NULL;
        JailDiags d = {};
        char p[4096], hook[4096], *msgs = NULL;
        int r;

        if (geteuid() != 0) {
                printf("ok %u # SKIP owner checks need root to chown test files\n", ++tap_n);
                return;
        }
        rm_rf("etc");
        set_path("etc");
        write_file("etc/o.conf", BASE, 0664);
        r = jail_load("o", JAIL_LOAD_CHECK_OWNER, &j, &d);
        ok(r == -EINVAL && d.n == 1 && strstr(d.items[0].message, "writable by group or others"),
           "group-writable file refused as root");
        jail_diags_clear(&d);
        r = jail_load("o", 0, &j, &d);
        ok(r == 0, "the same file loads without the owner check");
        j = jail_free(j);
        jail_diags_clear(&d);

        snprintf(p, sizeof(p), "%s/etc/o.conf", tmp);
        (void) chmod(p, 0644);
        if (chown(p, 65534, 65534) < 0)
                printf("# chown: %m\n");
        r = jail_load("o", JAIL_LOAD_CHECK_OWNER, &j, &d);
        ok(r == -EINVAL && d.n == 1 && strstr(d.items[0].message, "not owned by root"), "file not owned by root refused");
        jail_diags_clear(&d);

        /* drop-ins too */
        (void) chown(p, 0, 0);
        write_file("etc/o.conf.d/x.conf", "[Jail]\nBind=/x\n", 0646);
        r = jail_load("o", JAIL_LOAD_CHECK_OWNER, &j, &d);
        ok(r == -EINVAL && d.n == 1 && strstr(d.items[0].path, "o.conf.d/x.conf"), "other-writable drop-in refused");
        jail_diags_clear(&d);
        rm_rf("etc/o.conf.d");

        /* hooks */
        snprintf(hook, sizeof(hook), "%s/hook", tmp);
        write_file("hook", "#!/bin/sh\n", 0775);
        char content[8192];
        snprintf(content, sizeof(content), BASE "[Events]\nOnOOM=%s\n", hook);
        r = load_str(content, JAIL_LOAD_CHECK_OWNER, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "t.conf:5: [Events] OnOOM=") &&
                   strstr(msgs, "writable by group or others"),
           "group-writable hook refused at load, naming file:line");
        free(msgs);
        (void) chmod(hook, 0755);
        (void) chown(hook, 65534, 0);
        r = load_str(content, JAIL_LOAD_CHECK_OWNER, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "not owned by root"), "hook owned by another user refused");
        free(msgs);
        (void) chown(hook, 0, 0);
        r = load_str(content, JAIL_LOAD_CHECK_OWNER, &j, &msgs);
        ok(r == 0, "root-owned 0755 hook accepted");
        j = jail_free(j);
        free(msgs);
        snprintf(content, sizeof(content), BASE "[Events]\nOnOOM=%s/missing\n", tmp);
        r = load_str(content, JAIL_LOAD_CHECK_OWNER, &j, &msgs);
        ok(r == -EINVAL && msgs && strstr(msgs, "No such file"), "missing hook refused");
        free(msgs);
}

static void test_elastic(void) {
        uint64_t high = 0;
        Jail *j = load_ok(BASE "[Resources]\nMemoryMax=64M\nMemoryGrowStep=32M\nMemoryGrowLimit=256M\n");

        if (ok(j, "elastic jail loads")) {
                ok(jail_is_elastic(j), "elastic");
                ok(jail_effective_memory_high(j, &high), "elastic jail gets a MemoryHigh");
                is_u64(high, 64 * 1048576 / 10 * 9, "MemoryHigh at 90 % of MemoryMax");
        }
        jail_free(j);
        j = load_ok(BASE "[Resources]\nMemoryMax=64M\nMemoryHigh=50M\nMemoryGrowStep=32M\nMemoryGrowLimit=256M\n");
        if (ok(j, "elastic jail with MemoryHigh loads")) {
                ok(jail_effective_memory_high(j, &high), "has MemoryHigh");
                is_u64(high, 50 * 1048576, "its own MemoryHigh kept");
        }
        jail_free(j);
        j = load_ok(BASE "[Resources]\nMemoryMax=64M\n");
        if (ok(j, "plain jail loads"))
                ok(!jail_effective_memory_high(j, &high), "no MemoryHigh without elastic memory");
        jail_free(j);
}

int main(void) {
        if (!mkdtemp(tmp)) {
                printf("Bail out! mkdtemp: %m\n");
                return 1;
        }
        setenv("VIRTUALING_PHYSICAL_MEMORY", "8589934592", 1);
        test_defaults();
        test_all_keys();
        test_bad_values();
        test_good_values();
        test_assignment_rules();
        test_line_length();
        test_required();
        test_search_path();
        test_owner_checks();
        test_elastic();
        rm_rf("");
        return tap_done();
}
