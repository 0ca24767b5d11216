/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watcher's parsers of what it reads from files: memory.events, memory.oom_control
 * (cgroup v1) and its state file. The first byte picks one, the rest is the file. Besides
 * crashes, it aborts when:
 *   - memory.events: what it found differs from what a second, simpler reading finds;
 *   - memory.oom_control: it accepts flags other than 0 and 1, or a file without them;
 *   - the state: what was read, written and read again differs (the format round-trips);
 *   - memory.pressure (first byte 4 modulo 8): a line it found, written back as the kernel
 *     writes it, does not read back the same, or its kind is not a line of the text. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "fuzz.h"
#include "parse-util.h"

static const uint64_t thresholds[] = { 1, 1024, 1048576, UINT64_MAX - 1, 0, 77 };
#define N_THRESHOLDS (sizeof(thresholds) / sizeof(thresholds[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 64 * 1024)
                return 0;

        if ((data[0] & 3) == 2) {
                OomControl oc;
                uint64_t v[_COUNTER_MAX] = {};
                bool found[_COUNTER_MAX] = {};
                _cleanup_free_ char *text = strndup((const char *) data + 1, size - 1);

                if (!text)
                        abort();
                if (oom_control_parse((const char *) data + 1, size - 1, &oc) < 0)
                        return 0;
                /* accepted: both flags are lines of the text, as 0 or 1 */
                if ((!strstr(text, "oom_kill_disable 0") && !strstr(text, "oom_kill_disable 1")) ||
                    (!strstr(text, "under_oom 0") && !strstr(text, "under_oom 1")))
                        FUZZ_FAIL("accepted without both flags: %s", text);
                if (oc.has_oom_kill && !strstr(text, "oom_kill "))
                        FUZZ_FAIL("an oom_kill count from nowhere: %s", text);
                memory_events_parse(text, strlen(text), v, found); /* the same reader, for coverage */
                return 0;
        }

        if (data[0] & 1) {
                uint64_t now[_COUNTER_MAX] = {}, want[_COUNTER_MAX] = {};
                bool found[_COUNTER_MAX] = {}, want_found[_COUNTER_MAX] = {};
                _cleanup_free_ char *copy = strndup((const char *) data + 1, size - 1);

                if (!copy)
                        abort();
                memory_events_parse((const char *) data + 1, size - 1, now, found);
                /* the same, done another way: every "name value" line, the last one winning */
                for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        char *sp = strchr(l, ' ');
                        uint64_t v;

                        if (!sp || strlen(sp + 1) >= 32 || parse_uint64(sp + 1, &v) < 0)
                                continue;
                        *sp = 0;
                        for (Counter c = 0; c < _COUNTER_MAX; c++)
                                if (streq(l, counter_to_string(c))) {
                                        want[c] = v;
                                        want_found[c] = true;
                                }
                }
                for (Counter c = 0; c < _COUNTER_MAX; c++)
                        if (found[c] != want_found[c] || now[c] != want[c])
                                FUZZ_FAIL("counter %s: parsed %d/%" PRIu64 ", the text says %d/%" PRIu64,
                                          counter_to_string(c), found[c], now[c], want_found[c], want[c]);
                return 0;
        }

        if ((data[0] & 7) == 4) {
                _cleanup_free_ char *text = strndup((const char *) data + 1, size - 1);
                PsiLine psi[2];

                if (!text)
                        abort();
                psi_parse(text, psi);
                for (int k = 0; k < 2; k++) {
                        char want[256];

                        if (!psi[k].found)
                                continue;
                        (void) snprintf(want, sizeof want,
                                        "%s avg10=%" PRIu64 ".%02" PRIu64 " avg60=%" PRIu64 ".%02" PRIu64
                                        " avg300=%" PRIu64 ".%02" PRIu64 " total=%" PRIu64,
                                        k ? "full" : "some", psi[k].avg[0] / 100, psi[k].avg[0] % 100,
                                        psi[k].avg[1] / 100, psi[k].avg[1] % 100, psi[k].avg[2] / 100,
                                        psi[k].avg[2] % 100, psi[k].total);
                        PsiLine again[2];
                        psi_parse(want, again);
                        if (!again[k].found || memcmp(again[k].avg, psi[k].avg, sizeof(psi[k].avg)) != 0 ||
                            again[k].total != psi[k].total)
                                FUZZ_FAIL("found %s, which does not read back the same", want);
                        if (strncmp(text, want, 5) != 0 && !strstr(text, k ? "\nfull " : "\nsome "))
                                FUZZ_FAIL("found %s in a text without such a line: %s", want, text);
                }
                return 0;
        }

        uint64_t seen[_COUNTER_MAX] = {}, tally[_TALLY_MAX] = {}, above[1] = {};
        uint64_t seen2[_COUNTER_MAX] = {}, tally2[_TALLY_MAX] = {}, above2[1] = {};
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = fmemopen((void *) (data + 1), size - 1, "r"), *out;

        if (!f)
                return 0; /* fmemopen() refuses a size of 0 */
        watch_state_read(f, seen, tally, thresholds, N_THRESHOLDS, above);
        fclose(f);

        out = open_memstream(&text, &len);
        if (!out || watch_state_write(out, "fuzz", seen, tally, thresholds, N_THRESHOLDS, above) < 0 || fclose(out) != 0)
                abort();
        f = fmemopen(text, len, "r");
        if (!f)
                abort();
        watch_state_read(f, seen2, tally2, thresholds, N_THRESHOLDS, above2);
        fclose(f);
        if (memcmp(seen, seen2, sizeof(seen)) != 0 || memcmp(tally, tally2, sizeof(tally)) != 0 ||
            above[0] != above2[0])
                FUZZ_FAIL("the state does not round-trip:\n%s", text);
        return 0;
}
