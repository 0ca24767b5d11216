/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "macro.h"
#include "parse-util.h"
#include "strv.h"

int parse_boolean(const char *s) {
        static const char * const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char * const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

int parse_uint64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Reads "123" or "123.456" into an integer part and a fraction scaled to 10^9. More than
 * MAX_DECIMALS digits after the point is an error (never a digit silently dropped). */
static int parse_decimal(const char **p, unsigned max_decimals, uint64_t *ret_int, uint64_t *ret_frac_nano) {
        const char *s = *p;
        uint64_t v = 0, frac = 0, scale = 100000000;
        unsigned digits = 0;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                uint64_t d = (uint64_t) (*s - '0');
                if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (*s == '.') {
                s++;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                for (; isdigit((unsigned char) *s); s++) {
                        if (++digits > max_decimals || digits > 9)
                                return -EINVAL;
                        frac += (uint64_t) (*s - '0') * scale;
                        scale /= 10;
                }
        }
        *p = s;
        *ret_int = v;
        *ret_frac_nano = frac;
        return 0;
}

/* v * mult + frac/1e9 * mult, with overflow checks. */
static int scale_decimal(uint64_t v, uint64_t frac_nano, uint64_t mult, uint64_t *ret) {
        uint64_t a, b;

        if (mult != 0 && v > UINT64_MAX / mult)
                return -ERANGE;
        a = v * mult;
        /* frac_nano < 1e9, split mult to avoid overflow */
        b = (frac_nano * (mult / 1000000000)) + (frac_nano * (mult % 1000000000)) / 1000000000;
        if (a > UINT64_MAX - b)
                return -ERANGE;
        *ret = a + b;
        return 0;
}

uint64_t physical_memory(void) {
        static uint64_t cached = 0;
        const char *e;
        uint64_t v;
        long pages, psz;

        if (cached > 0)
                return cached;
        e = getenv("VIRTUALING_PHYSICAL_MEMORY");
        if (e && parse_uint64(e, &v) >= 0 && v > 0)
                return cached = v;
        pages = sysconf(_SC_PHYS_PAGES);
        psz = sysconf(_SC_PAGESIZE);
        if (pages <= 0 || psz <= 0)
                return UINT64_MAX;
        return cached = (uint64_t) pages * (uint64_t) psz;
}

int parse_size(const char *s, unsigned flags, uint64_t *ret) {
        static const struct {
                char suffix;
                uint64_t factor;
        } table[] = {
                { 'K', UINT64_C(1) << 10 }, { 'M', UINT64_C(1) << 20 }, { 'G', UINT64_C(1) << 30 },
                { 'T', UINT64_C(1) << 40 }, { 'P', UINT64_C(1) << 50 }, { 'E', UINT64_C(1) << 60 },
        };
        uint64_t v, frac, mult = 1;
        const char *p = s;
        int r;

        if (streq(s, "infinity")) {
                if (!(flags & SIZE_ALLOW_INFINITY))
                        return -EINVAL;
                *ret = SIZE_INFINITY;
                return 0;
        }

        r = parse_decimal(&p, 9, &v, &frac);
        if (r < 0)
                return r;

        if (*p == '%') {
                uint64_t permyriad, mem;

                if (!(flags & SIZE_ALLOW_PERCENT) || p[1] || frac % 10000000 != 0)
                        return -EINVAL; /* a percentage has two decimals at most */
                r = scale_decimal(v, frac, 10000 / 100, &permyriad);
                if (r < 0)
                        return r;
                if (permyriad > 10000)
                        return -ERANGE;
                mem = physical_memory();
                /* mem/10000*permyriad keeps precision well enough and cannot overflow */
                *ret = mem / 10000 * permyriad + mem % 10000 * permyriad / 10000;
                return 0;
        }

        if (*p) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(table); i++)
                        if (*p == table[i].suffix)
                                break;
                if (i >= ELEMENTSOF(table) || p[1])
                        return -EINVAL;
                mult = table[i].factor;
        } else if (frac != 0)
                return -EINVAL; /* fractional bytes make no sense */

        r = scale_decimal(v, frac, mult, ret);
        if (r < 0)
                return r;
        return *ret == SIZE_INFINITY ? -ERANGE : 0;
}

int parse_duration(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } table[] = {
                { "seconds", USEC_PER_SEC },  { "second", USEC_PER_SEC },   { "sec", USEC_PER_SEC },
                { "s", USEC_PER_SEC },        { "minutes", 60 * USEC_PER_SEC },
                { "minute", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC },
                { "months", 2629800 * USEC_PER_SEC }, { "month", 2629800 * USEC_PER_SEC },
                { "M", 2629800 * USEC_PER_SEC }, { "msec", USEC_PER_MSEC }, { "ms", USEC_PER_MSEC },
                { "m", 60 * USEC_PER_SEC },   { "hours", 3600 * USEC_PER_SEC },
                { "hour", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC }, { "days", 86400 * USEC_PER_SEC },
                { "day", 86400 * USEC_PER_SEC }, { "d", 86400 * USEC_PER_SEC },
                { "weeks", 604800 * USEC_PER_SEC }, { "week", 604800 * USEC_PER_SEC },
                { "w", 604800 * USEC_PER_SEC }, { "years", 31557600 * USEC_PER_SEC },
                { "year", 31557600 * USEC_PER_SEC }, { "y", 31557600 * USEC_PER_SEC },
                { "usec", 1 },                { "us", 1 },                  { "µs", 1 },
                { "nsec", 0 },                { "ns", 0 },
        };
        const char *p = s;
        usec_t total = 0;
        bool any = false;

        if (streq(s, "infinity")) {
                *ret = USEC_INFINITY;
                return 0;
        }

        for (;;) {
                uint64_t v, frac, part;
                usec_t mult = USEC_PER_SEC;
                size_t i, n;
                int r;

                p += strspn(p, " \t");
                if (!*p)
                        break;

                r = parse_decimal(&p, 9, &v, &frac);
                if (r < 0)
                        return r;
                p += strspn(p, " \t");

                n = strcspn(p, " \t0123456789");
                if (n > 0) {
                        for (i = 0; i < ELEMENTSOF(table); i++)
                                if (strlen(table[i].suffix) == n && strncmp(p, table[i].suffix, n) == 0)
                                        break;
                        if (i >= ELEMENTSOF(table))
                                return -EINVAL;
                        mult = table[i].usec;
                        p += n;
                } else if (any)
                        return -EINVAL; /* only the first number may go without a unit */

                if (mult == 0) /* nanoseconds */
                        part = v / 1000;
                else {
                        r = scale_decimal(v, frac, mult, &part);
                        if (r < 0)
                                return r;
                }
                /* the sum stays below infinity, whatever the part (2^64-1 µs included) */
                if (part >= USEC_INFINITY - total)
                        return -ERANGE;
                total += part;
                any = true;
        }

        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

int parse_permyriad(const char *s, uint64_t *ret) {
        const char *p = s;
        uint64_t v, frac, r_val;
        int r;

        r = parse_decimal(&p, 2, &v, &frac);
        if (r < 0)
                return r;
        if (!streq(p, "%"))
                return -EINVAL;
        r = scale_decimal(v, frac, 100, &r_val);
        if (r < 0)
                return r;
        *ret = r_val;
        return 0;
}

int split_words(const char *s, char ***ret) {
        _cleanup_free_ char *buf = malloc(strlen(s) + 1);
        StrvBuilder b = {};
        const char *p = s;
        int r = 0;

        if (!buf)
                return -ENOMEM;

        while (r == 0) {
                char *o = buf, quote = 0;

                p += strspn(p, " \t\n");
                if (!*p)
                        break;

                for (; *p; p++) {
                        if (quote == '\'') {
                                if (*p == '\'')
                                        quote = 0;
                                else
                                        *o++ = *p;
                        } else if (quote == '"') {
                                if (*p == '"')
                                        quote = 0;
                                else if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                                        *o++ = *++p;
                                else
                                        *o++ = *p;
                        } else if (*p == '\'' || *p == '"')
                                quote = *p;
                        else if (*p == '\\') {
                                if (!p[1]) {
                                        r = -EINVAL; /* trailing backslash */
                                        break;
                                }
                                *o++ = *++p;
                        } else if (strchr(" \t\n", *p))
                                break;
                        else
                                *o++ = *p;
                }
                if (r < 0)
                        break;
                if (quote) {
                        r = -EINVAL; /* unbalanced quote */
                        break;
                }
                *o = 0;
                r = strv_builder_extend(&b, buf);
        }
        if (r == 0)
                r = strv_ensure(&b.l);
        if (r < 0) {
                strv_free(b.l);
                return r;
        }
        *ret = b.l;
        return 0;
}

bool path_is_absolute(const char *p) {
        return p && p[0] == '/';
}

bool path_is_normalized_absolute(const char *p) {
        if (!path_is_absolute(p))
                return false;
        if (streq(p, "/"))
                return true;
        if (strlen(p) >= 4096)
                return false;
        for (const char *c = p; *c; c++) /* not even a tab: paths reach unit files and logs */
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return false;
        for (const char *c = p; *c;) {
                size_t n;

                c++; /* skip '/' */
                n = strcspn(c, "/");
                if (n == 0)
                        return false; /* "//" or trailing '/' */
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
        }
        return true;
}

bool jail_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n < 1 || n > 64 || s[0] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

bool user_group_name_is_valid(const char *s) {
        size_t n = strlen(s);
        uint64_t id;

        if (parse_uint64(s, &id) >= 0)
                return id < UINT32_MAX; /* (uid_t) -1 is "invalid" */
        if (n < 1 || n > 255 || s[0] == '-' || isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]) && !(s[i] == '$' && i == n - 1))
                        return false;
        return true;
}

bool ifname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n < 1 || n >= 16 || streq(s, ".") || streq(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || s[i] == '/' || s[i] == ':' || s[i] == '%' || s[i] == 0x7f)
                        return false;
        return true;
}

bool env_assignment_is_valid(const char *s) {
        const char *eq = strchr(s, '=');

        if (!eq || eq == s)
                return false;
        if (isdigit((unsigned char) s[0]))
                return false;
        for (const char *c = s; c < eq; c++)
                if (!isalnum((unsigned char) *c) && *c != '_')
                        return false;
        return true;
}

bool unit_name_is_valid(const char *s) {
        static const char * const types[] = {
                ".service", ".socket", ".target", ".device", ".mount", ".automount",
                ".swap", ".timer", ".path", ".slice", ".scope",
        };
        size_t n = strlen(s);
        const char *dot = strrchr(s, '.');
        bool known = false;

        if (n < 2 || n > 255 || !dot || dot == s)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (streq(dot, types[i]))
                        known = true;
        if (!known)
                return false;
        for (const char *c = s; c < dot; c++)
                if (!isalnum((unsigned char) *c) && !strchr(":-_.\\@", *c))
                        return false;
        return true;
}

/* The length of the UTF-8 sequence at S, or 0 when it is not a valid one. */
static size_t utf8_sequence(const unsigned char *s) {
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

bool utf8_is_valid(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_sequence(p);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

char *escape_for_display(const char *s) {
        size_t len = strlen(s);
        char *out = malloc(len * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_sequence(p);
                if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
                        o += sprintf(o, "\\x%02x", *p);
                        p++;
                } else if (n == 0) {
                        o += sprintf(o, "\\x%02x", *p);
                        p++;
                } else {
                        memcpy(o, p, n);
                        o += n;
                        p += n;
                }
        }
        *o = 0;
        return out;
}

bool exec_directory_name_is_valid(const char *s) {
        size_t n = strlen(s), comp = 0;

        if (n == 0 || n > 1024 || s[0] == '/' || s[n - 1] == '/')
                return false;
        for (const char *p = s; *p; p++) {
                if ((unsigned char) *p < 0x20 || *p == 0x7f || *p == ':' || *p == '\\')
                        return false;
                if (*p == '/') {
                        if (p[1] == '/')
                                return false;
                        comp = 0;
                        continue;
                }
                if (++comp > 255)
                        return false;
                /* a component "." or ".." */
                if (*p == '.' && (p == s || p[-1] == '/') &&
                    (p[1] == '/' || !p[1] || (p[1] == '.' && (p[2] == '/' || !p[2]))))
                        return false;
        }
        return true;
}

int parse_ip_prefix(const char *s, int *ret_family, union in_addr_union *ret_addr, unsigned *ret_prefixlen) {
        _cleanup_free_ char *a = strdup(s);
        union in_addr_union u = {};
        unsigned prefix, max;
        char *slash;
        int family;

        if (!a)
                return -ENOMEM;
        slash = strchr(a, '/');
        if (slash)
                *slash++ = 0;

        if (inet_pton(AF_INET, a, &u.in) == 1)
                family = AF_INET, max = 32;
        else if (inet_pton(AF_INET6, a, &u.in6) == 1)
                family = AF_INET6, max = 128;
        else
                return -EINVAL;

        if (slash) {
                uint64_t v;

                if (parse_uint64(slash, &v) < 0 || v > max)
                        return -ERANGE;
                prefix = (unsigned) v;
        } else
                prefix = max;

        *ret_family = family;
        *ret_addr = u;
        *ret_prefixlen = prefix;
        return 0;
}

int format_ip_prefix(int family, const union in_addr_union *addr, unsigned prefixlen, char **ret) {
        char buf[INET6_ADDRSTRLEN];

        if (!inet_ntop(family, addr, buf, sizeof(buf)))
                return -errno;
        if (asprintf(ret, "%s/%u", buf, prefixlen) < 0)
                return -ENOMEM;
        return 0;
}

static const char * const capability_names[] = {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

int capability_from_name(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(capability_names); i++)
                if (strcasecmp(s, capability_names[i]) == 0 || strcasecmp(s, capability_names[i] + 4) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *capability_to_name(int cap) {
        if (cap < 0 || (size_t) cap >= ELEMENTSOF(capability_names))
                return NULL;
        return capability_names[cap];
}

int capability_last(void) {
        return (int) ELEMENTSOF(capability_names) - 1;
}
