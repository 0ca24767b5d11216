/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t usec_t;
#define USEC_INFINITY UINT64_MAX
#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define SIZE_INFINITY UINT64_MAX

enum {
        SIZE_ALLOW_INFINITY = 1 << 0,
        SIZE_ALLOW_PERCENT = 1 << 1, /* N% of physical memory */
};

int parse_boolean(const char *s);
int parse_uint64(const char *s, uint64_t *ret);
/* Bytes or a number with K, M, G, T, P, E (base 1024); fractions allowed ("1.5G"). */
int parse_size(const char *s, unsigned flags, uint64_t *ret);
/* Physical memory used for "N%" sizes; VIRTUALING_PHYSICAL_MEMORY overrides for tests. */
uint64_t physical_memory(void);
/* systemd time spans: "500ms", "2s", "1min 30s", a bare number is seconds, "infinity". */
int parse_duration(const char *s, usec_t *ret);
/* "30%" or "12.5%" -> basis points (1/100 of a percent); must end in '%'. */
int parse_permyriad(const char *s, uint64_t *ret);

/* Split with shell-like quoting ('…', "…", backslash escapes); no expansion. */
int split_words(const char *s, char ***ret);

bool path_is_absolute(const char *p);
/* Absolute, no "." or ".." component, no "//", no trailing slash (except "/"), no control
 * character (a tab neither). */
bool path_is_normalized_absolute(const char *p);

/* Well-formed UTF-8: no overlong form, no surrogate, nothing above U+10FFFF. */
bool utf8_is_valid(const char *s);
/* S with every control character and byte of invalid UTF-8 written as \xNN: safe to print
 * on a terminal or into a log. NULL on ENOMEM. */
char *escape_for_display(const char *s);

bool jail_name_is_valid(const char *s);
bool user_group_name_is_valid(const char *s);
bool ifname_is_valid(const char *s);
bool env_assignment_is_valid(const char *s);
bool unit_name_is_valid(const char *s);
/* A directory name for RuntimeDirectory= and friends: relative, normalized ("a/b" but no
 * ".", "..", "//", leading or trailing "/"), printable, no ':', components of at most 255
 * bytes, at most 1024 bytes. */
bool exec_directory_name_is_valid(const char *s);

union in_addr_union {
        struct in_addr in;
        struct in6_addr in6;
};
/* "IP[/PREFIX]"; default prefix 32 or 128. */
int parse_ip_prefix(const char *s, int *ret_family, union in_addr_union *ret_addr, unsigned *ret_prefixlen);
int format_ip_prefix(int family, const union in_addr_union *addr, unsigned prefixlen, char **ret);

/* "CAP_CHOWN" or "chown" -> capability number; -EINVAL if unknown. */
int capability_from_name(const char *s);
const char *capability_to_name(int cap);
int capability_last(void);
