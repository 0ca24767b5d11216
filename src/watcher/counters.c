/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watcher's own parsers: memory.events, memory.oom_control (cgroup v1) and the state file. No I/O but the FILE given. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "parse-util.h"

static const char * const counter_table[_COUNTER_MAX] = {
        [COUNTER_LOW] = "low",
        [COUNTER_HIGH] = "high",
        [COUNTER_MAX] = "max",
        [COUNTER_OOM] = "oom",
        [COUNTER_OOM_KILL] = "oom_kill",
        [COUNTER_OOM_GROUP_KILL] = "oom_group_kill",
};

static const char * const tally_table[_TALLY_MAX] = {
        [TALLY_HIGH] = "high",
        [TALLY_MAX] = "max",
        [TALLY_OOM] = "oom",
        [TALLY_OOM_KILL] = "oom_kill",
        [TALLY_OOM_GROUP_KILL] = "oom_group_kill",
        [TALLY_USAGE_UP] = "usage_up",
        [TALLY_USAGE_DOWN] = "usage_down",
        [TALLY_PRESSURE] = "pressure",
        [TALLY_GROW] = "grow",
        [TALLY_SHRINK] = "shrink",
};

const char *counter_to_string(Counter c) {
        return c >= 0 && c < _COUNTER_MAX ? counter_table[c] : NULL;
}

const char *tally_to_string(Tally t) {
        return t >= 0 && t < _TALLY_MAX ? tally_table[t] : NULL;
}

/* "key value" lines; for each key of KEYS found with a plain decimal value that fits in
 * 64 bits, sets values[k] and found[k] (the last such line wins). */
static void keyed_file_parse(const char *text, size_t size, const char * const *keys, size_t n_keys,
                             uint64_t *values, bool *found) {
        const char *end = memchr(text, 0, size) ?: text + size;

        for (const char *l = text; l < end;) {
                const char *nl = memchr(l, '\n', (size_t) (end - l)) ?: end, *sp;
                char value[32];
                size_t klen, vlen;
                uint64_t v;

                /* the value a plain decimal that fits: anything else is malformed, ignored,
                 * and what the caller had is kept */
                sp = memchr(l, ' ', (size_t) (nl - l));
                if (sp) {
                        klen = (size_t) (sp - l);
                        vlen = (size_t) (nl - sp - 1);
                        if (vlen > 0 && vlen < sizeof(value)) {
                                memcpy(value, sp + 1, vlen);
                                value[vlen] = 0;
                                if (parse_uint64(value, &v) >= 0)
                                        for (size_t k = 0; k < n_keys; k++)
                                                if (strlen(keys[k]) == klen && memcmp(l, keys[k], klen) == 0) {
                                                        values[k] = v;
                                                        found[k] = true;
                                                }
                        }
                }
                l = nl + 1;
        }
}

void memory_events_parse(const char *text, size_t size, uint64_t now[_COUNTER_MAX], bool found[_COUNTER_MAX]) {
        keyed_file_parse(text, size, counter_table, _COUNTER_MAX, now, found);
}

static const char * const oom_control_keys[] = { "oom_kill_disable", "under_oom", "oom_kill" };

int oom_control_parse(const char *text, size_t size, OomControl *ret) {
        uint64_t v[3] = {};
        bool found[3] = {};

        keyed_file_parse(text, size, oom_control_keys, 3, v, found);
        if (!found[0] || !found[1] || v[0] > 1 || v[1] > 1)
                return -EBADMSG;
        *ret = (OomControl) { .kill_disable = v[0], .under_oom = v[1], .oom_kill = v[2], .has_oom_kill = found[2] };
        return 0;
}

int watch_state_write(FILE *f, const char *name, const uint64_t seen[_COUNTER_MAX], const uint64_t tally[_TALLY_MAX],
                      const uint64_t *thresholds, size_t n_thresholds, const uint64_t *above) {
        fprintf(f, "jail %s\nseen", name);
        for (Counter c = 0; c < _COUNTER_MAX; c++)
                fprintf(f, " %s=%" PRIu64, counter_table[c], seen[c]);
        fputs("\ntally", f);
        for (Tally t = 0; t < _TALLY_MAX; t++)
                fprintf(f, " %s=%" PRIu64, tally_table[t], tally[t]);
        fputs("\nabove", f);
        for (size_t i = 0; i < n_thresholds; i++)
                if (above[i / 64] & (UINT64_C(1) << (i % 64)))
                        fprintf(f, " %" PRIu64, thresholds[i]);
        fputc('\n', f);
        return fflush(f) != 0 || ferror(f) ? -EIO : 0;
}

void watch_state_read(FILE *f, uint64_t seen[_COUNTER_MAX], uint64_t tally[_TALLY_MAX], const uint64_t *thresholds,
                      size_t n_thresholds, uint64_t *above) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;

        while (getline(&line, &size, f) > 0) {
                char *save = NULL, *kind = strtok_r(line, " \n", &save);

                if (!kind)
                        continue;
                for (char *t = strtok_r(NULL, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
                        char *eq = strchr(t, '=');
                        uint64_t v;

                        if (streq(kind, "above")) {
                                if (parse_uint64(t, &v) < 0)
                                        continue;
                                for (size_t i = 0; i < n_thresholds; i++)
                                        if (thresholds[i] == v)
                                                above[i / 64] |= UINT64_C(1) << (i % 64);
                                continue;
                        }
                        if (!eq)
                                continue;
                        *eq = 0;
                        if (parse_uint64(eq + 1, &v) < 0)
                                continue;
                        if (streq(kind, "seen")) {
                                for (Counter c = 0; c < _COUNTER_MAX; c++)
                                        if (streq(t, counter_table[c]))
                                                seen[c] = v;
                        } else if (streq(kind, "tally")) {
                                for (Tally k = 0; k < _TALLY_MAX; k++)
                                        if (streq(t, tally_table[k]))
                                                tally[k] = v;
                        }
                }
        }
}

/* "12.34" (as the kernel prints a PSI average: at least one digit, a point, two digits). */
static int parse_hundredths(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        size_t i = 0;

        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
                if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t) (s[i] - '0'), &v))
                        return -ERANGE;
        if (i == 0 || len - i != 3 || s[i] != '.' || s[i + 1] < '0' || s[i + 1] > '9' || s[i + 2] < '0' ||
            s[i + 2] > '9')
                return -EINVAL;
        if (__builtin_mul_overflow(v, 100, &v) ||
            __builtin_add_overflow(v, (uint64_t) ((s[i + 1] - '0') * 10 + (s[i + 2] - '0')), &v))
                return -ERANGE;
        *ret = v;
        return 0;
}

static const char *const psi_line_kinds[2] = { "some", "full" };
static const char *const psi_keys[3] = { "avg10=", "avg60=", "avg300=" };

void psi_parse(const char *text, PsiLine ret[2]) {
        ret[0] = ret[1] = (PsiLine) {};

        for (const char *line = text; *line;) {
                size_t len = strcspn(line, "\n"), k;
                const char *end = line + len;
                PsiLine p = {};
                unsigned seen = 0;
                int kind = -1;

                for (k = 0; k < 2; k++)
                        if (len > 4 && (strncmp(line, psi_line_kinds[k], 4) == 0) && line[4] == ' ')
                                kind = k;
                for (const char *t = line + 5; kind >= 0 && t < end;) {
                        size_t tl = strcspn(t, " \n");
                        int r = -EINVAL;

                        if (tl > 6 && (strncmp(t, "total=", 6) == 0)) {
                                _cleanup_free_ char *num = strndup(t + 6, tl - 6);
                                r = num ? parse_uint64(num, &p.total) : -ENOMEM;
                                if (r >= 0)
                                        seen |= 1u << 3;
                        } else
                                for (k = 0; k < 3; k++) {
                                        size_t kl = strlen(psi_keys[k]);
                                        if (tl > kl && (strncmp(t, psi_keys[k], kl) == 0)) {
                                                r = parse_hundredths(t + kl, tl - kl, &p.avg[k]);
                                                if (r >= 0)
                                                        seen |= 1u << k;
                                        }
                                }
                        t += tl;
                        t += strspn(t, " ");
                }
                if (kind >= 0 && seen == 0xf) {
                        p.found = true;
                        ret[kind] = p;
                }
                line = *end ? end + 1 : end;
        }
}
