/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashmap.h"
#include "jail-load.h"
#include "strv.h"


/* ---- diagnostics ---- */

void jail_diags_clear(JailDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].path);
                free(d->items[i].message);
        }
        free(d->items);
        d->items = NULL;
        d->n = 0;
}

char *jail_diag_format(const JailDiag *d) {
        _cleanup_free_ char *s = NULL;
        int r;

        if (d->path && d->line > 0)
                r = asprintf(&s, "%s:%u: %s", d->path, d->line, d->message);
        else if (d->path)
                r = asprintf(&s, "%s: %s", d->path, d->message);
        else
                r = asprintf(&s, "%s", d->message);
        if (r < 0)
                return NULL;
        /* file names may hold anything: nothing of it reaches a terminal or a log raw */
        return escape_for_display(s);
}

_printf_(4, 0) static int diag_addv(JailDiags *d, const char *path, unsigned line, const char *fmt, va_list ap) {
        JailDiag *n;
        char *msg = NULL, *p = NULL;

        if (!d)
                return -EINVAL;
        if (vasprintf(&msg, fmt, ap) < 0)
                return -ENOMEM;
        if (path) {
                p = strdup(path);
                if (!p) {
                        free(msg);
                        return -ENOMEM;
                }
        }
        n = realloc(d->items, sizeof(JailDiag) * (d->n + 1));
        if (!n) {
                free(msg);
                free(p);
                return -ENOMEM;
        }
        d->items = n;
        d->items[d->n++] = (JailDiag) { .path = p, .line = line, .message = msg };
        return -EINVAL;
}

_printf_(4, 5) static int diag_add(JailDiags *d, const char *path, unsigned line, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_addv(d, path, line, fmt, ap);
        va_end(ap);
        return r;
}

unsigned jail_load_flags_default(void) {
        return geteuid() == 0 ? JAIL_LOAD_CHECK_OWNER : 0;
}

/* ---- parsing ---- */

typedef struct ParseCtx {
        Jail *jail;
        JailDiags *diags;
        unsigned flags;
        const JailIndex *index; /* when set: files are opened relative to its directories */
        const char *path; /* points into jail->files */
        char *data; /* the whole file, NUL-terminated */
        size_t size;
        size_t pos;
        unsigned line;
        char section[64];
        bool section_known;
        const char *key;
        const char *value;
        int fatal; /* -ENOMEM and the like: stop */
        bool cap_assigned;
        /* lists grow in linear time: capacity (and a strv's length) per field, and the sets
         * that find a repeated value without a search through the list */
        struct {
                const void *field;
                size_t n, cap;
        } caps[32];
        size_t n_caps;
        Hashmap *wanted_seen, *thresholds_seen, *addresses_seen;
        StrvBuilder seen_keys; /* the keys of the two last sets */
} ParseCtx;

static int oom(ParseCtx *c);

/* The capacity (and, for a strv, the length) kept for the list at FIELD; a list that is
 * NULL again (emptied by an empty assignment) starts over. */
static size_t *list_capacity(ParseCtx *c, const void *field, size_t **ret_n) {
        size_t i;

        for (i = 0; i < c->n_caps; i++)
                if (c->caps[i].field == field)
                        break;
        if (i == c->n_caps) {
                if (c->n_caps >= ELEMENTSOF(c->caps))
                        abort(); /* a list field too many: caps[] must grow with the model */
                c->caps[c->n_caps++].field = field;
                c->caps[i].n = c->caps[i].cap = 0;
        }
        if (!*(void * const *) field)
                c->caps[i].n = c->caps[i].cap = 0;
        if (ret_n)
                *ret_n = &c->caps[i].n;
        return &c->caps[i].cap;
}

/* Room for one more element of SIZE bytes in the array at *FIELD, which holds N. */
static int list_reserve(ParseCtx *c, void *field, size_t n, size_t size) {
        size_t *cap = list_capacity(c, field, NULL);

        if (array_reserve((void **) field, cap, n, 1, size) < 0)
                return oom(c);
        return 0;
}

/* Appends the strings of WORDS (taken, the array freed) to the strv at *FIELD. */
static int strv_append_words(ParseCtx *c, char ***field, char **words) {
        size_t *n, *cap = list_capacity(c, field, &n), m = strv_length(words);

        if (array_reserve((void **) field, cap, *n, m + 1, sizeof(char *)) < 0) {
                strv_free(words);
                return oom(c);
        }
        memcpy(*field + *n, words, m * sizeof(char *));
        *n += m;
        (*field)[*n] = NULL;
        free(words);
        return 0;
}

/* Has KEY been seen in *SET (made on first use)? Remembers it. 1: seen before. */
static int seen_before(ParseCtx *c, Hashmap **set, const char *key, bool copy) {
        const char *k = key;
        int r;

        if (!*set && !(*set = hashmap_new()))
                return oom(c);
        if (hashmap_get(*set, key))
                return 1;
        if (copy) {
                if (strv_builder_extend(&c->seen_keys, key) < 0)
                        return oom(c);
                k = c->seen_keys.l[c->seen_keys.n - 1];
        }
        r = hashmap_put(*set, k, (void *) k);
        if (r < 0)
                return oom(c);
        return 0;
}

_printf_(2, 3) static int bad(ParseCtx *c, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return c->fatal = -ENOMEM;
        r = diag_add(c->diags, c->path, c->line, "[%s] %s=%s: %s", c->section, c->key, c->value, msg);
        if (r == -ENOMEM)
                c->fatal = r;
        return -EINVAL;
}

static int oom(ParseCtx *c) {
        return c->fatal = -ENOMEM;
}

static JailLocation here(ParseCtx *c) {
        return (JailLocation) { .path = c->path, .line = c->line };
}

static int set_string(ParseCtx *c, char **field, const char *v) {
        char *n = NULL;

        if (*v) {
                n = strdup(v);
                if (!n)
                        return oom(c);
        }
        free(*field);
        *field = n;
        return 0;
}

static int parse_root(ParseCtx *c, const char *v) {
        if (*v && (!path_is_normalized_absolute(v) || streq(v, "/")))
                return bad(c, "expected an absolute, normalized path other than /");
        return set_string(c, &c->jail->root, v);
}

static int parse_exec(ParseCtx *c, const char *v) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (!*v) {
                c->jail->exec = strv_free(c->jail->exec);
                return 0;
        }
        r = split_words(v, &argv);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0)
                return bad(c, "unbalanced quotes or trailing backslash (expected a command line)");
        if (!argv[0])
                return bad(c, "expected a command line");
        if (!path_is_absolute(argv[0]))
                return bad(c, "the command must be an absolute path");
        strv_free(c->jail->exec);
        c->jail->exec = TAKE_PTR(argv);
        return 0;
}

/* Splits at ':' not preceded by a backslash; "\:" becomes ':'. */
static int split_colons(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *buf = malloc(strlen(s) + 1);
        char *o;
        int r;

        if (!buf)
                return -ENOMEM;
        o = buf;
        for (const char *p = s;; p++) {
                if (*p == '\\' && (p[1] == ':' || p[1] == '\\'))
                        *o++ = *++p;
                else if (*p == ':' || !*p) {
                        *o = 0;
                        r = strv_extend(&l, buf);
                        if (r < 0)
                                return r;
                        o = buf;
                        if (!*p)
                                break;
                } else
                        *o++ = *p;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int parse_bind(ParseCtx *c, const char *v, bool read_only) {
        _cleanup_strv_free_ char **parts = NULL;
        JailBind b = { .read_only = read_only, .recursive = true };
        const char *src;
        int r;

        if (!*v) {
                /* Bind= and BindReadOnly= share one ordered list; each resets its own kind. */
                size_t k = 0;
                for (size_t i = 0; i < c->jail->n_binds; i++) {
                        if (c->jail->binds[i].read_only == read_only) {
                                free(c->jail->binds[i].source);
                                free(c->jail->binds[i].destination);
                        } else
                                c->jail->binds[k++] = c->jail->binds[i];
                }
                c->jail->n_binds = k;
                return 0;
        }
        if (strpbrk(v, " \t"))
                return bad(c, "whitespace in a path (expected one SRC[:DST[:rbind|norbind]] per line)");

        r = split_colons(v, &parts);
        if (r < 0)
                return oom(c);
        if (strv_length(parts) > 3)
                return bad(c, "too many ':' (expected SRC[:DST[:rbind|norbind]])");

        src = parts[0];
        if (src[0] == '-') {
                b.ignore_missing = true;
                src++;
        }
        if (!path_is_normalized_absolute(src))
                return bad(c, "source must be an absolute, normalized path");
        if (parts[1] && *parts[1] && !path_is_normalized_absolute(parts[1]))
                return bad(c, "destination must be an absolute, normalized path");
        if (streq(parts[1] && *parts[1] ? parts[1] : src, "/"))
                return bad(c, "cannot bind onto / (the jail root is Root=)");
        if (parts[1] && parts[2]) {
                if (streq(parts[2], "rbind"))
                        b.recursive = true;
                else if (streq(parts[2], "norbind"))
                        b.recursive = false;
                else
                        return bad(c, "unknown option '%s' (expected rbind or norbind)", parts[2]);
        }

        b.source = strdup(src);
        b.destination = strdup(parts[1] && *parts[1] ? parts[1] : src);
        if (!b.source || !b.destination || list_reserve(c, &c->jail->binds, c->jail->n_binds, sizeof(JailBind)) < 0) {
                free(b.source);
                free(b.destination);
                return oom(c);
        }
        c->jail->binds[c->jail->n_binds++] = b;
        return 0;
}

static int parse_bool_field(ParseCtx *c, bool *field, bool dflt, const char *v) {
        int r;

        if (!*v) {
                *field = dflt;
                return 0;
        }
        r = parse_boolean(v);
        if (r < 0)
                return bad(c, "expected a boolean (yes or no)");
        *field = r;
        return 0;
}

static int parse_user_group(ParseCtx *c, char **field, const char *v) {
        if (*v && !user_group_name_is_valid(v))
                return bad(c, "expected a user or group name, or a numeric id");
        return set_string(c, field, v);
}

/* A list key of words: an empty assignment clears it, each word is checked, then appended. */
static int parse_word_list(ParseCtx *c, char ***field, const char *v, bool (*valid)(const char *s),
                           const char *what) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!*v) {
                *field = strv_free(*field);
                return 0;
        }
        r = split_words(v, &l);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0)
                return bad(c, "unbalanced quotes or trailing backslash");
        STRV_FOREACH(w, l)
                if (!valid(*w))
                        return bad(c, "'%s' is not a valid %s", *w, what);
        return strv_append_words(c, field, TAKE_PTR(l));
}

static int parse_supplementary_groups(ParseCtx *c, const char *v) {
        return parse_word_list(c, &c->jail->supplementary_groups, v, user_group_name_is_valid,
                               "group name or id");
}

static int parse_working_directory(ParseCtx *c, const char *v) {
        if (*v && !path_is_normalized_absolute(v))
                return bad(c, "expected an absolute, normalized path inside the jail");
        return set_string(c, &c->jail->working_directory, v);
}

static int parse_environment(ParseCtx *c, const char *v) {
        return parse_word_list(c, &c->jail->environment, v, env_assignment_is_valid,
                               "assignment (expected KEY=VALUE)");
}

static int parse_capabilities(ParseCtx *c, const char *v) {
        _cleanup_strv_free_ char **l = NULL;
        uint64_t mask = 0;
        bool invert = false;
        int r;

        if (!*v) {
                c->jail->capability_bounding_set = 0;
                c->cap_assigned = true;
                c->jail->capability_bounding_set_set = true;
                return 0;
        }
        if (*v == '~') {
                invert = true;
                v++;
        }
        r = split_words(v, &l);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0)
                return bad(c, "unbalanced quotes");
        STRV_FOREACH(w, l) {
                int cap = capability_from_name(*w);
                if (cap < 0)
                        return bad(c, "unknown capability '%s' (expected names such as CAP_CHOWN)", *w);
                mask |= UINT64_C(1) << cap;
        }

        /* The first assignment replaces the default; later ones add to it (or remove with ~). */
        if (!c->cap_assigned)
                c->jail->capability_bounding_set = invert ? 0 : mask;
        else if (!invert)
                c->jail->capability_bounding_set |= mask;
        if (invert) {
                uint64_t all = (UINT64_C(2) << capability_last()) - 1;
                if (!c->cap_assigned)
                        c->jail->capability_bounding_set = all & ~mask;
                else
                        c->jail->capability_bounding_set &= ~mask;
        }
        c->cap_assigned = true;
        c->jail->capability_bounding_set_set = true;
        return 0;
}

static int parse_cpu_quota(ParseCtx *c, const char *v) {
        uint64_t p;

        if (!*v) {
                c->jail->cpu_quota_permyriad = 0;
                return 0;
        }
        if (parse_permyriad(v, &p) < 0 || p == 0)
                return bad(c, "expected a percentage above 0, such as 30%% or 150%%");
        if (p > INT32_MAX) /* systemd reads at most 2^31-1 hundredths of a percent */
                return bad(c, "value out of range (expected at most 21474836.47%%)");
        c->jail->cpu_quota_permyriad = p;
        return 0;
}

static int parse_size_field(ParseCtx *c, uint64_t *field, bool *field_set, unsigned flags, const char *expect,
                            const char *v) {
        uint64_t s;
        int r;

        if (!*v) {
                *field_set = false;
                return 0;
        }
        r = parse_size(v, flags, &s);
        if (r == -ERANGE)
                return bad(c, "value out of range (expected %s)", expect);
        if (r < 0)
                return bad(c, "expected %s", expect);
        *field = s;
        *field_set = true;
        return 0;
}

#define MEMORY_EXPECT "bytes, a size with K, M, G or T (base 1024), N% of physical memory, or infinity"
#define RATE_EXPECT "DEVICE RATE, a block device or file path, or MAJ:MIN, and bytes, a size with K, M, G or T, or infinity"

static int parse_memory(ParseCtx *c, uint64_t *field, bool *field_set, JailLocation *loc, const char *v) {
        int r = parse_size_field(c, field, field_set, SIZE_ALLOW_INFINITY | SIZE_ALLOW_PERCENT, MEMORY_EXPECT, v);
        if (r >= 0 && loc)
                *loc = here(c);
        return r;
}

static int parse_tasks_max(ParseCtx *c, const char *v) {
        uint64_t n;

        if (!*v) {
                c->jail->tasks_max_set = false;
                return 0;
        }
        if (streq(v, "infinity"))
                n = UINT64_MAX;
        else if (parse_uint64(v, &n) < 0 || n == 0 || n == UINT64_MAX)
                return bad(c, "expected a positive number of tasks or infinity");
        c->jail->tasks_max = n;
        c->jail->tasks_max_set = true;
        return 0;
}

static bool parse_majmin(const char *s, unsigned *maj, unsigned *min) {
        char *end;
        unsigned long a, b;

        if (!isdigit((unsigned char) s[0]))
                return false;
        errno = 0;
        a = strtoul(s, &end, 10);
        if (*end != ':' || errno || a > 4095 || !isdigit((unsigned char) end[1]))
                return false;
        b = strtoul(end + 1, &end, 10);
        if (*end || errno || b > 1048575)
                return false;
        *maj = (unsigned) a;
        *min = (unsigned) b;
        return true;
}

static int parse_io(ParseCtx *c, IOLimitType type, const char *v) {
        _cleanup_strv_free_ char **w = NULL;
        _cleanup_free_ char *dev = NULL;
        unsigned maj, min;
        uint64_t value;
        int r;

        if (!*v) {
                size_t k = 0;
                for (size_t i = 0; i < c->jail->n_io_limits; i++) {
                        if (c->jail->io_limits[i].type == type)
                                free(c->jail->io_limits[i].device);
                        else
                                c->jail->io_limits[k++] = c->jail->io_limits[i];
                }
                c->jail->n_io_limits = k;
                return 0;
        }
        r = split_words(v, &w);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0 || strv_length(w) != 2)
                return bad(c, "expected %s", RATE_EXPECT);

        if (parse_majmin(w[0], &maj, &min)) {
                if (asprintf(&dev, "/dev/block/%u:%u", maj, min) < 0)
                        return oom(c);
        } else if (path_is_normalized_absolute(w[0])) {
                /* '%' would be a specifier to systemd; control characters cannot reach here */
                if (strchr(w[0], '%'))
                        return bad(c, "device '%s' contains '%%' (not allowed in a device path)", w[0]);
                dev = strdup(w[0]);
                if (!dev)
                        return oom(c);
        } else
                return bad(c, "device '%s' is neither an absolute path nor MAJ:MIN", w[0]);

        if (type == IO_READ_IOPS || type == IO_WRITE_IOPS) {
                r = parse_size(w[1], SIZE_ALLOW_INFINITY, &value);
                if (r < 0 || value == 0)
                        return bad(c, "rate '%s' is not valid (expected a positive count of operations per second, "
                                   "with K, M, G or T if you like, or infinity)", w[1]);
        } else {
                r = parse_size(w[1], SIZE_ALLOW_INFINITY, &value);
                if (r < 0 || value == 0)
                        return bad(c, "rate '%s' is not valid (expected a positive number of bytes per second, a size with K, M, G or T, or infinity)", w[1]);
        }

        if (list_reserve(c, &c->jail->io_limits, c->jail->n_io_limits, sizeof(JailIOLimit)) < 0)
                return -ENOMEM;
        c->jail->io_limits[c->jail->n_io_limits++] = (JailIOLimit) {
                .type = type,
                .device = TAKE_PTR(dev),
                .value = value,
        };
        return 0;
}

static int parse_grow(ParseCtx *c, uint64_t *field, JailLocation *loc, const char *v) {
        uint64_t s;

        if (!*v) {
                *field = 0;
                return 0;
        }
        if (parse_size(v, SIZE_ALLOW_PERCENT, &s) < 0 || s == 0)
                return bad(c, "expected a positive size: bytes, K, M, G or T (base 1024), or N%% of physical memory");
        *field = s;
        *loc = here(c);
        return 0;
}

static int parse_duration_field(ParseCtx *c, usec_t *field, usec_t dflt, bool allow_zero, bool allow_infinity,
                                const char *v) {
        usec_t u;

        if (!*v) {
                *field = dflt;
                return 0;
        }
        if (parse_duration(v, &u) < 0 || (!allow_zero && u == 0) || (!allow_infinity && u == USEC_INFINITY))
                return bad(c, "expected a time span such as 500ms, 2s or 1min%s%s",
                           allow_zero ? "" : " above zero", allow_infinity ? ", or infinity" : "");
        *field = u;
        return 0;
}

static int parse_address(ParseCtx *c, const char *v) {
        JailAddress a;
        int r;

        if (!*v) {
                c->jail->addresses = mfree(c->jail->addresses);
                c->jail->n_addresses = 0;
                c->addresses_seen = hashmap_free(c->addresses_seen);
                return 0;
        }
        r = parse_ip_prefix(v, &a.family, &a.address, &a.prefixlen);
        if (r == -ENOMEM)
                return oom(c);
        if (r == -ERANGE)
                return bad(c, "prefix length out of range (expected 0-32 for IPv4, 0-128 for IPv6)");
        if (r < 0)
                return bad(c, "expected an IPv4 or IPv6 address with an optional /PREFIX");
        if (a.family == AF_INET) {
                uint32_t h = ntohl(a.address.in.s_addr);
                if (h == 0 || IN_MULTICAST(h) || h == 0xffffffffu)
                        return bad(c, "not a unicast address");
        } else if (IN6_IS_ADDR_UNSPECIFIED(&a.address.in6) || IN6_IS_ADDR_MULTICAST(&a.address.in6))
                return bad(c, "not a unicast address");
        {
                char key[8 + 2 * sizeof(a.address) + 1];
                int k = snprintf(key, sizeof(key), "%d:", a.family);
                for (size_t i = 0; i < (a.family == AF_INET ? 4 : 16); i++)
                        k += snprintf(key + k, sizeof(key) - (size_t) k, "%02x", ((const uint8_t *) &a.address)[i]);
                r = seen_before(c, &c->addresses_seen, key, true);
                if (r < 0)
                        return r;
                if (r > 0)
                        return bad(c, "address given twice");
        }
        if (list_reserve(c, &c->jail->addresses, c->jail->n_addresses, sizeof(JailAddress)) < 0)
                return -ENOMEM;
        c->jail->addresses[c->jail->n_addresses++] = a;
        c->jail->loc_address = here(c);
        return 0;
}

static int parse_device(ParseCtx *c, const char *v) {
        if (*v && !ifname_is_valid(v))
                return bad(c, "expected a network interface name (1-15 characters, no '/', ':' or whitespace)");
        c->jail->loc_device = here(c);
        return set_string(c, &c->jail->device, v);
}

/* A hook: absolute path plus arguments; as root the file must be root's and not writable by others. */
static int parse_hook(ParseCtx *c, JailEvent e, const char *v) {
        _cleanup_strv_free_ char **argv = NULL;
        struct stat st;
        int r;

        if (!*v) {
                for (size_t i = 0; i < c->jail->n_hooks[e]; i++)
                        strv_free(c->jail->hooks[e][i]);
                c->jail->hooks[e] = mfree(c->jail->hooks[e]);
                c->jail->n_hooks[e] = 0;
                return 0;
        }
        r = split_words(v, &argv);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0 || !argv[0])
                return bad(c, "expected a command line (unbalanced quotes or trailing backslash?)");
        if (!path_is_absolute(argv[0]))
                return bad(c, "the hook command must be an absolute path");
        if (c->flags & JAIL_LOAD_CHECK_OWNER) {
                if (stat(argv[0], &st) < 0)
                        return bad(c, "cannot use hook %s: %s", argv[0], strerror(errno));
                if (!S_ISREG(st.st_mode))
                        return bad(c, "hook %s is not a regular file", argv[0]);
                if (st.st_uid != 0)
                        return bad(c, "refusing hook %s: not owned by root", argv[0]);
                if (st.st_mode & (S_IWGRP | S_IWOTH))
                        return bad(c, "refusing hook %s: writable by group or others", argv[0]);
                if (!(st.st_mode & S_IXUSR))
                        return bad(c, "hook %s is not executable", argv[0]);
        }

        if (list_reserve(c, &c->jail->hooks[e], c->jail->n_hooks[e], sizeof(char **)) < 0)
                return -ENOMEM;
        c->jail->hooks[e][c->jail->n_hooks[e]++] = TAKE_PTR(argv);
        c->jail->loc_hooks[e] = here(c);
        return 0;
}

static int parse_usage_threshold(ParseCtx *c, const char *v) {
        char key[32];
        uint64_t s;
        int r;

        if (!*v) {
                c->jail->usage_thresholds = mfree(c->jail->usage_thresholds);
                c->jail->n_usage_thresholds = 0;
                c->thresholds_seen = hashmap_free(c->thresholds_seen);
                return 0;
        }
        if (parse_size(v, SIZE_ALLOW_PERCENT, &s) < 0 || s == 0)
                return bad(c, "expected a positive size: bytes, K, M, G or T (base 1024), or N%% of physical memory");
        snprintf(key, sizeof(key), "%" PRIu64, s);
        r = seen_before(c, &c->thresholds_seen, key, true);
        if (r < 0)
                return r;
        if (r > 0)
                return bad(c, "threshold given twice");
        if (list_reserve(c, &c->jail->usage_thresholds, c->jail->n_usage_thresholds, sizeof(uint64_t)) < 0)
                return -ENOMEM;
        c->jail->usage_thresholds[c->jail->n_usage_thresholds++] = s;
        return 0;
}

static int parse_pressure(ParseCtx *c, const char *v) {
        _cleanup_strv_free_ char **w = NULL;
        usec_t stall, window;
        PressureKind k;
        int r;

        if (!*v) {
                c->jail->pressure_set = false;
                return 0;
        }
        r = split_words(v, &w);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0 || strv_length(w) != 3)
                return bad(c, "expected some|full STALL WINDOW, such as 'some 100ms 1s'");
        if (streq(w[0], "some"))
                k = PRESSURE_SOME;
        else if (streq(w[0], "full"))
                k = PRESSURE_FULL;
        else
                return bad(c, "'%s' is neither some nor full", w[0]);
        if (parse_duration(w[1], &stall) < 0 || parse_duration(w[2], &window) < 0)
                return bad(c, "expected time spans for STALL and WINDOW, such as 100ms 1s");
        if (window < 500 * USEC_PER_MSEC || window > 10 * USEC_PER_SEC)
                return bad(c, "WINDOW must be between 500ms and 10s (a kernel limit)");
        if (stall == 0 || stall > window)
                return bad(c, "STALL must be above zero and at most WINDOW");
        c->jail->pressure_set = true;
        c->jail->pressure_kind = k;
        c->jail->pressure_stall = stall;
        c->jail->pressure_window = window;
        c->jail->loc_pressure = here(c);
        return 0;
}

static int parse_wanted_by(ParseCtx *c, const char *v) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        _cleanup_strv_free_ char **fresh = NULL;
        size_t n_fresh = 0;

        if (!*v) {
                c->jail->wanted_by = strv_free(c->jail->wanted_by);
                c->wanted_seen = hashmap_free(c->wanted_seen);
                return 0;
        }
        r = split_words(v, &l);
        if (r == -ENOMEM)
                return oom(c);
        if (r < 0)
                return bad(c, "unbalanced quotes");
        STRV_FOREACH(u, l)
                /* the .wants directory is UNIT.wants: a file name of at most 255 bytes */
                if (!unit_name_is_valid(*u) || strchr(*u, '/') || strlen(*u) > 255 - strlen(".wants"))
                        return bad(c, "'%s' is not a valid unit name (expected e.g. multi-user.target, at most 249 characters)",
                                   *u);
        /* a unit named twice counts once */
        fresh = calloc(strv_length(l) + 1, sizeof(char *));
        if (!fresh)
                return oom(c);
        STRV_FOREACH(u, l) {
                r = seen_before(c, &c->wanted_seen, *u, true);
                if (r < 0)
                        return r;
                if (r == 0 && !(fresh[n_fresh++] = strdup(*u)))
                        return oom(c);
        }
        return strv_append_words(c, &c->jail->wanted_by, TAKE_PTR(fresh));
}

/* One row per key; the parser receives the raw value. */
typedef struct KeyDef {
        const char *section;
        const char *key;
        int (*parse)(ParseCtx *c, const char *v);
} KeyDef;

#define J (c->jail)
static int k_root(ParseCtx *c, const char *v) { return parse_root(c, v); }
static int k_exec(ParseCtx *c, const char *v) { return parse_exec(c, v); }
static int k_bind(ParseCtx *c, const char *v) { return parse_bind(c, v, false); }
static int k_bind_ro(ParseCtx *c, const char *v) { return parse_bind(c, v, true); }
static int k_skeleton(ParseCtx *c, const char *v) { return parse_bool_field(c, &J->skeleton, true, v); }
static int k_user(ParseCtx *c, const char *v) { return parse_user_group(c, &J->user, v); }
static int k_group(ParseCtx *c, const char *v) { return parse_user_group(c, &J->group, v); }
static int k_nnp(ParseCtx *c, const char *v) { return parse_bool_field(c, &J->no_new_privileges, true, v); }
static int k_private_pids(ParseCtx *c, const char *v) { return parse_bool_field(c, &J->private_pids, true, v); }
static int k_private_ipc(ParseCtx *c, const char *v) { return parse_bool_field(c, &J->private_ipc, true, v); }
static int k_bind_log_sockets(ParseCtx *c, const char *v) { return parse_bool_field(c, &J->bind_log_sockets, true, v); }
static int parse_directory(ParseCtx *c, ExecDirectoryType t, const char *v) {
        return parse_word_list(c, &J->directories[t], v, exec_directory_name_is_valid,
                               "directory name (a relative path such as nginx or postgresql/15, without \".\", "
                               "\"..\", \":\" or a leading or trailing \"/\")");
}
static int k_runtime_dir(ParseCtx *c, const char *v) { return parse_directory(c, EXEC_DIRECTORY_RUNTIME, v); }
static int k_state_dir(ParseCtx *c, const char *v) { return parse_directory(c, EXEC_DIRECTORY_STATE, v); }
static int k_cache_dir(ParseCtx *c, const char *v) { return parse_directory(c, EXEC_DIRECTORY_CACHE, v); }
static int k_logs_dir(ParseCtx *c, const char *v) { return parse_directory(c, EXEC_DIRECTORY_LOGS, v); }
static int k_config_dir(ParseCtx *c, const char *v) { return parse_directory(c, EXEC_DIRECTORY_CONFIGURATION, v); }
/* systemd refuses a zero MemoryMax= or MemoryHigh= (MemorySwapMax=0 is fine: no swap) */
static int parse_memory_limit(ParseCtx *c, uint64_t *field, bool *field_set, JailLocation *loc, const char *v) {
        int r = parse_memory(c, field, field_set, loc, v);
        if (r >= 0 && *field_set && *field == 0) {
                *field_set = false;
                return bad(c, "value out of range (expected at least 1 byte: a limit of 0 is refused by systemd)");
        }
        return r;
}
static int k_memory_max(ParseCtx *c, const char *v) {
        return parse_memory_limit(c, &J->memory_max, &J->memory_max_set, &J->loc_memory_max, v);
}
static int k_memory_high(ParseCtx *c, const char *v) {
        return parse_memory_limit(c, &J->memory_high, &J->memory_high_set, &J->loc_memory_high, v);
}
static int k_memory_swap_max(ParseCtx *c, const char *v) {
        return parse_memory(c, &J->memory_swap_max, &J->memory_swap_max_set, NULL, v);
}
static int k_io_rbw(ParseCtx *c, const char *v) { return parse_io(c, IO_READ_BANDWIDTH, v); }
static int k_io_wbw(ParseCtx *c, const char *v) { return parse_io(c, IO_WRITE_BANDWIDTH, v); }
static int k_io_riops(ParseCtx *c, const char *v) { return parse_io(c, IO_READ_IOPS, v); }
static int k_io_wiops(ParseCtx *c, const char *v) { return parse_io(c, IO_WRITE_IOPS, v); }
static int k_grow_step(ParseCtx *c, const char *v) {
        return parse_grow(c, &J->memory_grow_step, &J->loc_memory_grow_step, v);
}
static int k_grow_limit(ParseCtx *c, const char *v) {
        return parse_grow(c, &J->memory_grow_limit, &J->loc_memory_grow_limit, v);
}
static int k_grow_interval(ParseCtx *c, const char *v) {
        return parse_duration_field(c, &J->memory_grow_interval, USEC_PER_SEC, false, false, v);
}
static int k_shrink_after(ParseCtx *c, const char *v) {
        return parse_duration_field(c, &J->memory_shrink_after, 0, true, true, v);
}
static int k_announce(ParseCtx *c, const char *v) { return parse_bool_field(c, &J->announce_arp, true, v); }
static int k_on_oom(ParseCtx *c, const char *v) { return parse_hook(c, JAIL_EVENT_OOM, v); }
static int k_on_oom_kill(ParseCtx *c, const char *v) { return parse_hook(c, JAIL_EVENT_OOM_KILL, v); }
static int k_on_max(ParseCtx *c, const char *v) { return parse_hook(c, JAIL_EVENT_MAX, v); }
static int k_on_high(ParseCtx *c, const char *v) { return parse_hook(c, JAIL_EVENT_HIGH, v); }
static int k_on_usage(ParseCtx *c, const char *v) { return parse_hook(c, JAIL_EVENT_USAGE, v); }
static int k_on_pressure(ParseCtx *c, const char *v) { return parse_hook(c, JAIL_EVENT_PRESSURE, v); }
static int k_hook_timeout(ParseCtx *c, const char *v) {
        int r = parse_duration_field(c, &J->hook_timeout, 30 * USEC_PER_SEC, true, true, v);
        if (r >= 0 && J->hook_timeout == 0)
                J->hook_timeout = USEC_INFINITY; /* 0 disables the timeout, as in systemd */
        return r;
}
#undef J

static const KeyDef key_table[] = {
        { "Jail", "Root", k_root },
        { "Jail", "Exec", k_exec },
        { "Jail", "Bind", k_bind },
        { "Jail", "BindReadOnly", k_bind_ro },
        { "Jail", "Skeleton", k_skeleton },
        { "Jail", "User", k_user },
        { "Jail", "Group", k_group },
        { "Jail", "SupplementaryGroups", parse_supplementary_groups },
        { "Jail", "WorkingDirectory", parse_working_directory },
        { "Jail", "Environment", parse_environment },
        { "Jail", "CapabilityBoundingSet", parse_capabilities },
        { "Jail", "NoNewPrivileges", k_nnp },
        { "Jail", "PrivatePIDs", k_private_pids },
        { "Jail", "PrivateIPC", k_private_ipc },
        { "Jail", "BindLogSockets", k_bind_log_sockets },
        { "Jail", "RuntimeDirectory", k_runtime_dir },
        { "Jail", "StateDirectory", k_state_dir },
        { "Jail", "CacheDirectory", k_cache_dir },
        { "Jail", "LogsDirectory", k_logs_dir },
        { "Jail", "ConfigurationDirectory", k_config_dir },
        { "Resources", "CPUQuota", parse_cpu_quota },
        { "Resources", "MemoryMax", k_memory_max },
        { "Resources", "MemoryHigh", k_memory_high },
        { "Resources", "MemorySwapMax", k_memory_swap_max },
        { "Resources", "TasksMax", parse_tasks_max },
        { "Resources", "IOReadBandwidthMax", k_io_rbw },
        { "Resources", "IOWriteBandwidthMax", k_io_wbw },
        { "Resources", "IOReadIOPSMax", k_io_riops },
        { "Resources", "IOWriteIOPSMax", k_io_wiops },
        { "Resources", "MemoryGrowStep", k_grow_step },
        { "Resources", "MemoryGrowLimit", k_grow_limit },
        { "Resources", "MemoryGrowIntervalSec", k_grow_interval },
        { "Resources", "MemoryShrinkAfterSec", k_shrink_after },
        { "Network", "Address", parse_address },
        { "Network", "Device", parse_device },
        { "Network", "AnnounceARP", k_announce },
        { "Events", "OnOOM", k_on_oom },
        { "Events", "OnOOMKill", k_on_oom_kill },
        { "Events", "OnMemoryMax", k_on_max },
        { "Events", "OnMemoryHigh", k_on_high },
        { "Events", "UsageThreshold", parse_usage_threshold },
        { "Events", "OnUsage", k_on_usage },
        { "Events", "PressureThreshold", parse_pressure },
        { "Events", "OnPressure", k_on_pressure },
        { "Events", "HookTimeoutSec", k_hook_timeout },
        { "Install", "WantedBy", parse_wanted_by },
};

static const char * const sections[] = { "Jail", "Resources", "Network", "Events", "Install" };

static int handler(void *user, const char *section, const char *key, const char *value) {
        ParseCtx *c = user;

        if (c->fatal)
                return 0;
        if (!c->section_known)
                return 1; /* already reported at the section line */
        c->key = key;
        c->value = value;
        for (size_t i = 0; i < ELEMENTSOF(key_table); i++) /* the key first: it differs sooner */
                if (streq(key_table[i].key, key) && streq(key_table[i].section, section))
                        return key_table[i].parse(c, value) >= 0;

        (void) diag_add(c->diags, c->path, c->line, "[%s] %s=%s: unknown key in section [%s]", section, key,
                        value, section);
        return 0;
}

/* Hands inih one line at a time, so c->line is the line the handler sees; strips the
 * indentation (an indented line is never a continuation) and checks what inih would
 * silently accept or split. */
static char *reader(char *str, int num, void *stream) {
        ParseCtx *c = stream;
        char *line, *nl;
        ssize_t n;
        char *s, *e;
        size_t len;

        if (c->pos >= c->size)
                return NULL;
        line = c->data + c->pos;
        nl = memchr(line, '\n', c->size - c->pos);
        n = nl ? nl - line : (ssize_t) (c->size - c->pos);
        c->pos += (size_t) n + (nl ? 1 : 0);
        c->line++;
        line[n] = 0; /* the '\n', or the terminating NUL */

        if ((size_t) n > JAIL_LINE_MAX) {
                (void) diag_add(c->diags, c->path, c->line, "line too long (%zd bytes, at most %d)", n, JAIL_LINE_MAX);
                str[0] = 0;
                return str;
        }
        if (strlen(line) != (size_t) n) {
                (void) diag_add(c->diags, c->path, c->line, "line contains a NUL byte");
                str[0] = 0;
                return str;
        }
        /* a line ends with "\n" or "\r\n"; any other control character is refused, so that no
         * value can carry one into a unit file, a terminal or a log */
        if (n > 0 && line[n - 1] == '\r')
                line[--n] = 0;
        for (ssize_t i = 0; i < n; i++)
                if (((unsigned char) line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) {
                        (void) diag_add(c->diags, c->path, c->line,
                                        "line contains the control character 0x%02x (only tabs and spaces may separate words)",
                                        (unsigned) (unsigned char) line[i]);
                        str[0] = 0;
                        return str;
                }
        if (!utf8_is_valid(line)) {
                (void) diag_add(c->diags, c->path, c->line, "line is not valid UTF-8");
                str[0] = 0;
                return str;
        }
        s = line + strspn(line, " \t");
        len = strlen(s);
        /* trailing spaces and tabs are stripped by inih; strip here too for the checks below */
        for (e = s + len; e > s && strchr(" \t", e[-1]); e--)
                ;
        *e = 0;
        len = (size_t) (e - s);

        if (len == 0 || s[0] == '#' || s[0] == ';') {
                str[0] = 0;
                return str;
        }
        if (len + 2 > (size_t) num) {
                (void) diag_add(c->diags, c->path, c->line, "line too long for this build of inih (%zu bytes)", len);
                str[0] = 0;
                return str;
        }

        if (s[0] == '[') {
                bool known = false;

                if (s[len - 1] != ']' || len < 3) {
                        (void) diag_add(c->diags, c->path, c->line, "expected a section header such as [Jail]");
                        c->section_known = false;
                        str[0] = 0;
                        return str;
                }
                snprintf(c->section, sizeof(c->section), "%.*s", (int) (len - 2), s + 1);
                for (size_t i = 0; i < ELEMENTSOF(sections); i++)
                        if (streq(c->section, sections[i]))
                                known = true;
                if (!known)
                        (void) diag_add(c->diags, c->path, c->line,
                                        "unknown section [%s] (expected [Jail], [Resources], [Network], [Events] or [Install])",
                                        c->section);
                c->section_known = known;
        } else {
                size_t k = strcspn(s, "=:");
                if (s[k] != '=' || k == 0) {
                        (void) diag_add(c->diags, c->path, c->line, "expected Key=value or a [Section] header");
                        str[0] = 0;
                        return str;
                }
                if (!c->section[0]) {
                        (void) diag_add(c->diags, c->path, c->line, "assignment outside of a section");
                        str[0] = 0;
                        return str;
                }
        }

        memcpy(str, s, len);
        str[len] = '\n';
        str[len + 1] = 0;
        return str;
}

static void configure_inih(void) {
#if HAVE_INIH_RUNTIME_OPTIONS
        /* Debian's inih takes its options at run time: systemd's syntax has no
         * continuation lines and no inline comments, and lines may be long. */
        ini_allow_multiline = false;
        ini_allow_inline_comments = false;
        ini_use_stack = false;
        ini_allow_realloc = true;
        ini_max_line = JAIL_LINE_MAX + 2;
        ini_initial_alloc = JAIL_LINE_MAX + 2;
#endif
}

#define JAIL_FILE_MAX (1024 * 1024)

static int parse_one_file(ParseCtx *c, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t before = c->diags->n, size = 0;
        int r;

        /* never blocks: a FIFO or a device in the search path must not hang the boot; its
         * type is checked on the fd before anything is read */
        fd = -EBADF;
        for (size_t i = 0; c->index && c->index->dirs[i]; i++) {
                size_t len = strlen(c->index->dirs[i]);
                if (c->index->dir_fds[i] >= 0 && strncmp(path, c->index->dirs[i], len) == 0 && path[len] == '/') {
                        fd = openat(c->index->dir_fds[i], path + len + 1, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                        break;
                }
        }
        if (fd == -EBADF)
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return diag_add(c->diags, path, 0, "cannot open: %s", strerror(errno));
        if (fstat(fd, &st) < 0)
                return diag_add(c->diags, path, 0, "cannot stat: %s", strerror(errno));
        if (!S_ISREG(st.st_mode))
                return diag_add(c->diags, path, 0, "not a regular file");
        if (c->flags & JAIL_LOAD_CHECK_OWNER) {
                if (st.st_uid != 0)
                        return diag_add(c->diags, path, 0, "refusing file not owned by root");
                if (st.st_mode & (S_IWGRP | S_IWOTH))
                        return diag_add(c->diags, path, 0, "refusing file writable by group or others (mode %04o)",
                                        st.st_mode & 07777);
        }
        if (st.st_size > JAIL_FILE_MAX)
                return diag_add(c->diags, path, 0, "file too large (%jd bytes, at most %d)", (intmax_t) st.st_size,
                                JAIL_FILE_MAX);

        /* Read it whole: one allocation, and the reader works on memory. */
        data = malloc((size_t) st.st_size + 1);
        if (!data)
                return -ENOMEM;
        for (;;) {
                size_t want = (size_t) st.st_size + 1 - size;
                ssize_t n = read(fd, data + size, want);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return diag_add(c->diags, path, 0, "cannot read: %s", strerror(errno));
                }
                size += (size_t) n;
                if (size > (size_t) st.st_size)
                        return diag_add(c->diags, path, 0, "file changed while being read");
                /* a regular file reads short only at its end: no read(2) more to see 0 */
                if (n == 0 || (size_t) n < want)
                        break;
        }
        data[size] = 0;

        c->data = data;
        c->size = size;
        c->pos = 0;
        c->path = path;
        c->line = 0;
        c->section[0] = 0;
        c->section_known = true;
        r = ini_parse_stream(reader, c, handler, c);
        c->data = NULL;
        if (c->fatal)
                return c->fatal;
        if (r == -2)
                return -ENOMEM;
        if (r != 0 && c->diags->n == before)
                return diag_add(c->diags, path, r > 0 ? (unsigned) r : 0, "syntax error");
        return c->diags->n == before ? 0 : -EINVAL;
}

bool jail_effective_memory_high(const Jail *j, uint64_t *ret) {
        if (j->memory_high_set) {
                *ret = j->memory_high;
                return true;
        }
        if (jail_is_elastic(j) && j->memory_max_set && j->memory_max != UINT64_MAX) {
                *ret = j->memory_max / 10 * 9;
                return true;
        }
        return false;
}

static void validate(Jail *j, JailDiags *d) {
        if (!j->root)
                (void) diag_add(d, j->path, 0, "[Jail] Root= is not set (required: the jail's root directory)");
        if (!j->exec)
                (void) diag_add(d, j->path, 0, "[Jail] Exec= is not set (required: the command to run in the jail)");

        if (j->n_addresses > 0 && !j->device)
                (void) diag_add(d, j->loc_address.path, j->loc_address.line,
                                "[Network] Address= needs Device=, the host interface to add it to");

        if ((j->memory_grow_step > 0) != (j->memory_grow_limit > 0)) {
                const JailLocation *l = j->memory_grow_step > 0 ? &j->loc_memory_grow_step : &j->loc_memory_grow_limit;
                (void) diag_add(d, l->path, l->line,
                                "[Resources] elastic memory needs both MemoryGrowStep= and MemoryGrowLimit=");
        } else if (jail_is_elastic(j)) {
                if (!j->memory_max_set || j->memory_max == UINT64_MAX)
                        (void) diag_add(d, j->loc_memory_grow_limit.path, j->loc_memory_grow_limit.line,
                                        "[Resources] MemoryGrowLimit= needs a finite MemoryMax= to grow from");
                else if (!j->memory_high_set && j->memory_max / 10 * 9 == 0)
                        (void) diag_add(d, j->loc_memory_max.path, j->loc_memory_max.line,
                                        "[Resources] MemoryMax=%" PRIu64 " is too small for elastic memory: its MemoryHigh= "
                                        "(90%%) would be 0, which systemd refuses", j->memory_max);
                else if (j->memory_grow_limit <= j->memory_max)
                        (void) diag_add(d, j->loc_memory_grow_limit.path, j->loc_memory_grow_limit.line,
                                        "[Resources] MemoryGrowLimit=%" PRIu64 " must be above MemoryMax=%" PRIu64,
                                        j->memory_grow_limit, j->memory_max);
        }

        if (j->n_hooks[JAIL_EVENT_USAGE] > 0 && j->n_usage_thresholds == 0)
                (void) diag_add(d, j->loc_hooks[JAIL_EVENT_USAGE].path, j->loc_hooks[JAIL_EVENT_USAGE].line,
                                "[Events] OnUsage= is set but no UsageThreshold= is");
        if (j->n_hooks[JAIL_EVENT_PRESSURE] > 0 && !j->pressure_set)
                (void) diag_add(d, j->loc_hooks[JAIL_EVENT_PRESSURE].path, j->loc_hooks[JAIL_EVENT_PRESSURE].line,
                                "[Events] OnPressure= is set but no PressureThreshold= is");
}

static int load_files(const JailIndex *index, const char *name, const char *path, char * const *dropins,
                      unsigned flags, Jail **ret, JailDiags *diags) {
        _cleanup_(jail_freep) Jail *j = NULL;
        ParseCtx c = { .diags = diags, .flags = flags, .index = index };
        size_t before = diags->n;
        int r = 0;

        if (!jail_name_is_valid(name))
                return diag_add(diags, path, 0,
                                "'%s' is not a valid jail name (1-64 characters of A-Z a-z 0-9 _ . -, not starting with . or -)",
                                name);

        configure_inih();

        j = calloc(1, sizeof(Jail));
        if (!j)
                return -ENOMEM;
        j->name = strdup(name);
        j->path = strdup(path);
        j->dropins = strv_copy(dropins);
        if (!j->name || !j->path || (dropins && !j->dropins))
                return -ENOMEM;
        if (strv_extend(&j->files, path) < 0 || strv_extend_strv(&j->files, dropins) < 0)
                return -ENOMEM;
        j->skeleton = true;
        j->no_new_privileges = true;
        j->private_pids = true;
        j->private_ipc = true;
        j->bind_log_sockets = true;
        j->announce_arp = true;
        j->capability_bounding_set = jail_default_capabilities();
        j->memory_grow_interval = USEC_PER_SEC;
        j->hook_timeout = 30 * USEC_PER_SEC;
        c.jail = j;

        STRV_FOREACH(f, j->files) {
                r = parse_one_file(&c, *f);
                if (r == -ENOMEM)
                        break;
        }
        hashmap_free(c.wanted_seen);
        hashmap_free(c.thresholds_seen);
        hashmap_free(c.addresses_seen);
        strv_free(c.seen_keys.l);
        if (r == -ENOMEM)
                return r;
        if (diags->n == before)
                validate(j, diags);
        if (diags->n > before)
                return -EINVAL;

        *ret = TAKE_PTR(j);
        return 0;
}

int jail_load_files(const char *name, const char *path, char * const *dropins, unsigned flags, Jail **ret,
                    JailDiags *diags) {
        return load_files(NULL, name, path, dropins, flags, ret, diags);
}

int jail_load_index_entry(const JailIndex *x, const JailIndexEntry *e, unsigned flags, Jail **ret, JailDiags *diags) {
        _cleanup_strv_free_ char **dropins = NULL;
        int r;

        r = jail_index_dropins(x, e, &dropins);
        if (r < 0)
                return r;
        return load_files(x, e->name, e->path, dropins, flags, ret, diags);
}

int jail_load(const char *name, unsigned flags, Jail **ret, JailDiags *diags) {
        _cleanup_strv_free_ char **dirs = NULL, **dropins = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = jail_search_path(&dirs);
        if (r < 0)
                return r;
        r = jail_locate(dirs, name, &path, &dropins);
        if (r < 0)
                return r;
        return jail_load_files(name, path, dropins, flags, ret, diags);
}
