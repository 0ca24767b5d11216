/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The value parsers: sizes, durations, percentages, words with quoting, IP prefixes, and
 * the escaping of text for the terminal and the log. The first byte picks the parser, the
 * rest (up to a NUL) is its input. Besides crashes, it aborts when:
 *   - a size or duration is accepted but printing it and parsing that again differs;
 *   - split_words() returns a word with a control character the input did not have, or
 *     quoting a word back as a unit file needs and splitting that gives another word;
 *   - escape_for_display() leaves a control character or invalid UTF-8. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parse-util.h"
#include "strv.h"

static bool clean(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return utf8_is_valid(s);
}

/* Single quotes, with ' written as '\'' outside them: POSIX shell quoting, which
 * split_words() reads back. */
static char *shell_quote(const char *w) {
        char *out = malloc(strlen(w) * 4 + 3), *o = out;

        if (!out)
                abort();
        *o++ = '\'';
        for (; *w; w++) {
                if (*w == '\'') {
                        memcpy(o, "'\\''", 4);
                        o += 4;
                } else
                        *o++ = *w;
        }
        *o++ = '\'';
        *o = 0;
        return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL;
        uint64_t v, v2;
        char buf[64];

        if (size < 1 || size > 64 * 1024)
                return 0;
        s = strndup((const char *) data + 1, size - 1);
        if (!s)
                abort();

        switch (data[0] % 7) {
        case 0: /* sizes, every flag combination */
                for (unsigned flags = 0; flags < 4; flags++)
                        if (parse_size(s, flags, &v) >= 0 && v != UINT64_MAX) {
                                snprintf(buf, sizeof(buf), "%" PRIu64, v);
                                if (parse_size(buf, 0, &v2) < 0 || v2 != v)
                                        FUZZ_FAIL("size '%s' is %" PRIu64 ", which reads back as %" PRIu64, s, v, v2);
                        }
                break;
        case 1: /* durations */
                if (parse_duration(s, &v) >= 0 && v != UINT64_MAX) {
                        snprintf(buf, sizeof(buf), "%" PRIu64 "us", v);
                        if (parse_duration(buf, &v2) < 0 || v2 != v)
                                FUZZ_FAIL("duration '%s' is %" PRIu64 " us, which reads back as %" PRIu64, s, v, v2);
                }
                break;
        case 2: /* percentages in basis points */
                if (parse_permyriad(s, &v) >= 0) {
                        snprintf(buf, sizeof(buf), "%" PRIu64 ".%02" PRIu64 "%%", v / 100, v % 100);
                        if (parse_permyriad(buf, &v2) < 0 || v2 != v)
                                FUZZ_FAIL("percentage '%s' is %" PRIu64 "‱, which reads back as %" PRIu64, s, v, v2);
                }
                break;
        case 3: { /* words */
                _cleanup_strv_free_ char **w = NULL;

                if (split_words(s, &w) < 0)
                        break;
                STRV_FOREACH(x, w) {
                        _cleanup_strv_free_ char **back = NULL;
                        _cleanup_free_ char *q = NULL;

                        for (const unsigned char *p = (const unsigned char *) *x; *p; p++)
                                if ((*p < 0x20 || *p == 0x7f) && !memchr(s, *p, strlen(s)))
                                        FUZZ_FAIL("word '%s' has a control character the input had not", *x);
                        q = shell_quote(*x);
                        if (split_words(q, &back) < 0 || strv_length(back) != 1 || !streq(back[0], *x))
                                FUZZ_FAIL("word '%s' quoted as %s does not read back", *x, q);
                }
                break;
        }
        case 4: { /* IP prefixes */
                union in_addr_union a;
                unsigned prefix;
                int family;
                _cleanup_free_ char *f = NULL;

                if (parse_ip_prefix(s, &family, &a, &prefix) >= 0) {
                        union in_addr_union a2;
                        unsigned prefix2;
                        int family2;

                        if (format_ip_prefix(family, &a, prefix, &f) < 0)
                                FUZZ_FAIL("'%s' parses but does not format", s);
                        if (parse_ip_prefix(f, &family2, &a2, &prefix2) < 0 || family2 != family ||
                            prefix2 != prefix || memcmp(&a, &a2, sizeof(a)) != 0)
                                FUZZ_FAIL("'%s' formats as '%s', which reads back otherwise", s, f);
                }
                break;
        }
        case 5: { /* escaping for the terminal */
                _cleanup_free_ char *e = escape_for_display(s);
                if (!e)
                        abort();
                if (!clean(e))
                        FUZZ_FAIL("escape_for_display() left a control character or invalid UTF-8");
                if (utf8_is_valid(s) && clean(s) && !streq(e, s))
                        FUZZ_FAIL("escape_for_display() changed clean text '%s' to '%s'", s, e);
                break;
        }
        default: /* names */
                (void) jail_name_is_valid(s);
                (void) unit_name_is_valid(s);
                (void) user_group_name_is_valid(s);
                (void) ifname_is_valid(s);
                (void) env_assignment_is_valid(s);
                (void) exec_directory_name_is_valid(s);
                (void) path_is_normalized_absolute(s);
                (void) capability_from_name(s);
        }
        return 0;
}
