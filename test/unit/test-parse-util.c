/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse-util.h"
#include "strv.h"
#include "tap.h"

static void test_size(void) {
        static const struct {
                const char *s;
                unsigned flags;
                int r;
                uint64_t v;
        } t[] = {
                { "0", 0, 0, 0 },
                { "1024", 0, 0, 1024 },
                { "10M", 0, 0, 10485760 },
                { "512M", 0, 0, UINT64_C(536870912) },
                { "1K", 0, 0, 1024 },
                { "1G", 0, 0, UINT64_C(1) << 30 },
                { "2T", 0, 0, UINT64_C(2) << 40 },
                { "1.5G", 0, 0, UINT64_C(1610612736) },
                { "1.5", 0, -EINVAL, 0 },
                { "infinity", SIZE_ALLOW_INFINITY, 0, UINT64_MAX },
                { "infinity", 0, -EINVAL, 0 },
                { "10Q", 0, -EINVAL, 0 },
                { "10MB", 0, -EINVAL, 0 },
                { "10m", 0, -EINVAL, 0 },
                { "", 0, -EINVAL, 0 },
                { "-1", 0, -EINVAL, 0 },
                { " 1", 0, -EINVAL, 0 },
                { "1 K", 0, -EINVAL, 0 },
                { "16E", 0, -ERANGE, 0 },
                { "99999999999999999999", 0, -ERANGE, 0 },
                { "50%", SIZE_ALLOW_PERCENT, 0, UINT64_C(4) << 30 },
                { "12.5%", SIZE_ALLOW_PERCENT, 0, UINT64_C(1) << 30 },
                { "100%", SIZE_ALLOW_PERCENT, 0, UINT64_C(8) << 30 },
                { "101%", SIZE_ALLOW_PERCENT, -ERANGE, 0 },
                { "50%", 0, -EINVAL, 0 },
                { "50%x", SIZE_ALLOW_PERCENT, -EINVAL, 0 },
                /* the boundaries: 2^64-1 is "infinity", so the largest size is one below */
                { "18446744073709551615", 0, -ERANGE, 0 },
                { "18446744073709551614", 0, 0, UINT64_MAX - 1 },
                { "18446744073709551616", 0, -ERANGE, 0 },
                { "9223372036854775808", 0, 0, UINT64_C(1) << 63 },
                { "8E", 0, 0, UINT64_C(1) << 63 },
                { "15.999999999E", 0, 0, UINT64_C(18446744072556630111) },
                { "1.0000000001K", 0, -EINVAL, 0 },
                { "100.00%", SIZE_ALLOW_PERCENT, 0, UINT64_C(8) << 30 },
                { "100.009%", SIZE_ALLOW_PERCENT, -EINVAL, 0 },
                { "100.01%", SIZE_ALLOW_PERCENT, -ERANGE, 0 },
                { "0.01%", SIZE_ALLOW_PERCENT, 0, UINT64_C(858993) },
                { "0%", SIZE_ALLOW_PERCENT, 0, 0 },
        };

        setenv("VIRTUALING_PHYSICAL_MEMORY", "8589934592", 1);
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                uint64_t v = 0;
                int r = parse_size(t[i].s, t[i].flags, &v);
                is_int(r, t[i].r, t[i].s);
                if (r == 0 && t[i].r == 0)
                        is_u64(v, t[i].v, t[i].s);
        }
}

static void test_duration(void) {
        static const struct {
                const char *s;
                int r;
                usec_t v;
        } t[] = {
                { "500ms", 0, 500000 },
                { "2s", 0, 2000000 },
                { "2", 0, 2000000 },
                { "1min", 0, 60000000 },
                { "1min 30s", 0, 90000000 },
                { "1min30s", 0, 90000000 },
                { "1.5s", 0, 1500000 },
                { "100us", 0, 100 },
                { "1h", 0, UINT64_C(3600000000) },
                { "1d", 0, UINT64_C(86400000000) },
                { "infinity", 0, USEC_INFINITY },
                { "0", 0, 0 },
                { "5parsecs", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "s", -EINVAL, 0 },
                { "1s 5", -EINVAL, 0 },
                { "-1s", -EINVAL, 0 },
                /* the boundaries: one part of 2^64-1 units can never wrap the sum */
                { "18446744073709551615us", -ERANGE, 0 },
                { "18446744073709551614us", 0, UINT64_MAX - 1 },
                { "2us 18446744073709.551615s", -ERANGE, 0 },
                { "1us 18446744073709551614us", -ERANGE, 0 },
                { "9223372036854775808us", 0, UINT64_C(1) << 63 },
                { "9223372036854775808us 9223372036854775807us", -ERANGE, 0 },
                { "9223372036854775808us 9223372036854775806us", 0, UINT64_MAX - 1 },
                { "584542y", 0, UINT64_C(18446742619200000000) },
                { "584543y", -ERANGE, 0 },
                { "18446744073709551616us", -ERANGE, 0 },
                { "1.0000000001s", -EINVAL, 0 },
                { "0.000001s", 0, 1 },
        };

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                usec_t v = 0;
                int r = parse_duration(t[i].s, &v);
                is_int(r, t[i].r, t[i].s);
                if (r == 0 && t[i].r == 0)
                        is_u64(v, t[i].v, t[i].s);
        }
}

static void test_permyriad(void) {
        uint64_t v = 0;

        is_int(parse_permyriad("30%", &v), 0, "30%");
        is_u64(v, 3000, "30% = 3000 basis points");
        is_int(parse_permyriad("12.5%", &v), 0, "12.5%");
        is_u64(v, 1250, "12.5% = 1250");
        is_int(parse_permyriad("150%", &v), 0, "150%");
        is_u64(v, 15000, "150% = 15000");
        is_int(parse_permyriad("1.25%", &v), 0, "1.25%");
        is_u64(v, 125, "1.25% = 125");
        is_int(parse_permyriad("1.255%", &v), -EINVAL, "three decimals refused");
        is_int(parse_permyriad("30", &v), -EINVAL, "percent sign required");
        is_int(parse_permyriad("30000", &v), -EINVAL, "cfs quota number refused");
        is_int(parse_permyriad("%", &v), -EINVAL, "bare percent sign");
}

static void test_split(void) {
        char **l = NULL;

        is_int(split_words("/bin/echo a  'b c' \"d \\\"e\\\"\" f\\ g", &l), 0, "split quoted words");
        is_int(strv_length(l), 5, "five words");
        if (strv_length(l) == 5) {
                is_str(l[0], "/bin/echo", "word 0");
                is_str(l[1], "a", "word 1");
                is_str(l[2], "b c", "single quotes keep spaces");
                is_str(l[3], "d \"e\"", "double quotes with escapes");
                is_str(l[4], "f g", "backslash escapes a space");
        }
        l = strv_free(l);
        is_int(split_words("'$HOME' x''y", &l), 0, "no expansion, adjacent quotes join");
        if (strv_length(l) == 2) {
                is_str(l[0], "$HOME", "no variable expansion");
                is_str(l[1], "xy", "adjacent quotes");
        }
        l = strv_free(l);
        is_int(split_words("a 'b", &l), -EINVAL, "unbalanced single quote");
        is_int(split_words("a \"b", &l), -EINVAL, "unbalanced double quote");
        is_int(split_words("a \\", &l), -EINVAL, "trailing backslash");
        is_int(split_words("   ", &l), 0, "blank is an empty list");
        is_int(strv_length(l), 0, "no words");
        strv_free(l);
}

static void test_names(void) {
        ok(jail_name_is_valid("apache"), "apache is a jail name");
        ok(jail_name_is_valid("a_b.c-d9"), "a_b.c-d9 is a jail name");
        ok(!jail_name_is_valid(""), "empty name refused");
        ok(!jail_name_is_valid(".hidden"), "leading dot refused");
        ok(!jail_name_is_valid("-x"), "leading dash refused");
        ok(!jail_name_is_valid("a b"), "space refused");
        ok(!jail_name_is_valid("a/b"), "slash refused");
        ok(!jail_name_is_valid("a@b"), "@ refused");
        ok(jail_name_is_valid("0123456789012345678901234567890123456789012345678901234567890123"), "64 chars");
        ok(!jail_name_is_valid("01234567890123456789012345678901234567890123456789012345678901234"), "65 chars");

        ok(path_is_normalized_absolute("/chroot/apache"), "normalized path");
        ok(path_is_normalized_absolute("/"), "/ is normalized");
        ok(!path_is_normalized_absolute("chroot"), "relative refused");
        ok(!path_is_normalized_absolute("/a/../b"), ".. refused");
        ok(!path_is_normalized_absolute("/a/./b"), ". refused");
        ok(!path_is_normalized_absolute("/a//b"), "// refused");
        ok(!path_is_normalized_absolute("/a/"), "trailing slash refused");

        ok(user_group_name_is_valid("www-data"), "www-data");
        ok(user_group_name_is_valid("33"), "numeric id");
        ok(!user_group_name_is_valid("4294967295"), "(uid_t) -1 refused");
        ok(!user_group_name_is_valid("a b"), "space in user name refused");
        ok(!user_group_name_is_valid("-x"), "leading dash in user name refused");

        ok(ifname_is_valid("eth0"), "eth0");
        ok(!ifname_is_valid("0123456789abcdef"), "16-char ifname refused");
        ok(!ifname_is_valid("a/b"), "slash in ifname refused");
        ok(!ifname_is_valid(""), "empty ifname refused");

        ok(env_assignment_is_valid("LANG=C.UTF-8"), "env assignment");
        ok(env_assignment_is_valid("EMPTY="), "empty value");
        ok(!env_assignment_is_valid("=x"), "no name");
        ok(!env_assignment_is_valid("A-B=x"), "dash in name");
        ok(!env_assignment_is_valid("NOEQUALS"), "no '='");

        ok(unit_name_is_valid("multi-user.target"), "multi-user.target");
        ok(unit_name_is_valid("getty@tty1.service"), "instance unit");
        ok(!unit_name_is_valid("multi-user"), "no type suffix");
        ok(!unit_name_is_valid("foo.bar"), "unknown type");

        ok(exec_directory_name_is_valid("nginx"), "directory name nginx");
        ok(exec_directory_name_is_valid("postgresql/15"), "directory name postgresql/15");
        ok(exec_directory_name_is_valid("a.b/.c/d..e"), "dots inside names are fine");
        ok(!exec_directory_name_is_valid(""), "empty directory name");
        ok(!exec_directory_name_is_valid("/var/lib/x"), "absolute directory name");
        ok(!exec_directory_name_is_valid("x/"), "trailing slash");
        ok(!exec_directory_name_is_valid("a//b"), "double slash");
        ok(!exec_directory_name_is_valid("."), "directory name .");
        ok(!exec_directory_name_is_valid(".."), "directory name ..");
        ok(!exec_directory_name_is_valid("a/../b"), ".. inside");
        ok(!exec_directory_name_is_valid("a/."), ". at the end");
        ok(!exec_directory_name_is_valid("../etc"), ".. at the start");
        ok(!exec_directory_name_is_valid("a:b"), "colon (systemd's link syntax) refused");
        ok(!exec_directory_name_is_valid("a\\b"), "backslash refused");
        ok(!exec_directory_name_is_valid("a\nb"), "control character refused");
        {
                char longc[300];
                memset(longc, 'x', 256);
                longc[256] = 0;
                ok(!exec_directory_name_is_valid(longc), "a component of 256 bytes");
                longc[255] = 0;
                ok(exec_directory_name_is_valid(longc), "a component of 255 bytes");
        }
}

static void test_ip(void) {
        union in_addr_union a;
        unsigned p;
        int f;
        char *s = NULL;

        is_int(parse_ip_prefix("192.0.2.30", &f, &a, &p), 0, "IPv4 without prefix");
        is_int(f, AF_INET, "IPv4 family");
        is_int(p, 32, "default /32");
        is_int(parse_ip_prefix("198.51.100.7/24", &f, &a, &p), 0, "IPv4 with prefix");
        is_int(p, 24, "prefix 24");
        is_int(format_ip_prefix(f, &a, p, &s), 0, "format");
        is_str(s, "198.51.100.7/24", "formatted IPv4");
        free(s);
        is_int(parse_ip_prefix("2001:db8::1", &f, &a, &p), 0, "IPv6");
        is_int(f, AF_INET6, "IPv6 family");
        is_int(p, 128, "default /128");
        is_int(parse_ip_prefix("2001:db8::1/64", &f, &a, &p), 0, "IPv6 prefix");
        is_int(p, 64, "prefix 64");
        is_int(parse_ip_prefix("192.0.2.1/33", &f, &a, &p), -ERANGE, "/33 refused");
        is_int(parse_ip_prefix("2001:db8::1/129", &f, &a, &p), -ERANGE, "/129 refused");
        is_int(parse_ip_prefix("192.0.2.300", &f, &a, &p), -EINVAL, "bad octet");
        is_int(parse_ip_prefix("eth0", &f, &a, &p), -EINVAL, "not an address");
        is_int(parse_ip_prefix("192.0.2.1/x", &f, &a, &p), -ERANGE, "bad prefix");
}

static void test_caps(void) {
        is_int(capability_from_name("CAP_CHOWN"), 0, "CAP_CHOWN");
        is_int(capability_from_name("net_bind_service"), 10, "lower-case without CAP_");
        is_int(capability_from_name("CAP_CHECKPOINT_RESTORE"), 40, "last cap");
        is_int(capability_from_name("CAP_NOPE"), -EINVAL, "unknown");
        is_str(capability_to_name(21), "CAP_SYS_ADMIN", "21 is CAP_SYS_ADMIN");
}

int main(void) {
        test_size();
        test_duration();
        test_permyriad();
        test_split();
        test_names();
        test_ip();
        test_caps();
        return tap_done();
}
