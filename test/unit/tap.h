/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal TAP producer for the unit tests: plan at the end, one line per check. */
#pragma once

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static inline bool tap_ok(bool cond, const char *fmt, ...) {
        va_list ap;

        tap_n++;
        printf("%sok %u - ", cond ? "" : "not ", tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        if (!cond)
                tap_failed++;
        fflush(stdout);
        return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

#define is_int(got, want, name)                                                                  \
        do {                                                                                     \
                long long _g = (long long) (got), _w = (long long) (want);                       \
                if (!tap_ok(_g == _w, "%s", name))                                               \
                        printf("#   got %lld, want %lld\n", _g, _w);                             \
        } while (0)

#define is_u64(got, want, name)                                                                  \
        do {                                                                                     \
                uint64_t _g = (got), _w = (want);                                                \
                if (!tap_ok(_g == _w, "%s", name))                                               \
                        printf("#   got %" PRIu64 ", want %" PRIu64 "\n", _g, _w);               \
        } while (0)

#define is_str(got, want, name)                                                                  \
        do {                                                                                     \
                const char *_g = (got), *_w = (want);                                            \
                bool _e = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;                           \
                if (!tap_ok(_e, "%s", name))                                                     \
                        printf("#   got '%s', want '%s'\n", _g ? _g : "(null)", _w ? _w : "(null)"); \
        } while (0)

static inline int tap_done(void) {
        printf("1..%u\n", tap_n);
        return tap_failed ? 1 : 0;
}
