/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From a daemon's own complaint to the capability it was denied. The kernel does not say
 * which capability check failed; the daemon usually says which call did. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "cap-hint.h"
#include "macro.h"
#include "parse-util.h"

/* What a failing call names, and the capability it needs; first match wins. Most calls say
 * EPERM when a capability is missing; binding a low port says EACCES. */
static const struct {
        const char *word;
        const char *cap;
        bool eacces;
} hints[] = {
        { "chroot", "CAP_SYS_CHROOT", false },
        { "loginuid", "CAP_AUDIT_CONTROL", false },
        { "audit", "CAP_AUDIT_WRITE", false },
        { "setrlimit", "CAP_SYS_RESOURCE", false },
        { "rlimit", "CAP_SYS_RESOURCE", false },
        { "open files", "CAP_SYS_RESOURCE", false },
        { "file descriptors", "CAP_SYS_RESOURCE", false },
        { "oom_score_adj", "CAP_SYS_RESOURCE", false },
        { "mlock", "CAP_IPC_LOCK", false },
        { "memlock", "CAP_IPC_LOCK", false },
        { "setpriority", "CAP_SYS_NICE", false },
        { "sched_setscheduler", "CAP_SYS_NICE", false },
        { "ioprio", "CAP_SYS_NICE", false },
        { "nice", "CAP_SYS_NICE", false },
        { "raw socket", "CAP_NET_RAW", false },
        { "sock_raw", "CAP_NET_RAW", false },
        { "icmp", "CAP_NET_RAW", false },
        { "so_bindtodevice", "CAP_NET_RAW", false },
        { "bind(", "CAP_NET_BIND_SERVICE", true },
        { "bind to", "CAP_NET_BIND_SERVICE", true },
        { "listen", "CAP_NET_BIND_SERVICE", true },
        { "so_mark", "CAP_NET_ADMIN", false },
        { "mknod", "CAP_MKNOD", false },
        { "chown", "CAP_CHOWN", false },
        { "setgroups", "CAP_SETGID", false },
        { "initgroups", "CAP_SETGID", false },
        { "setresgid", "CAP_SETGID", false },
        { "setgid", "CAP_SETGID", false },
        { "setresuid", "CAP_SETUID", false },
        { "setuid", "CAP_SETUID", false },
        { "kill", "CAP_KILL", false },
        { "vhangup", "CAP_SYS_TTY_CONFIG", false },
        { "utime", "CAP_FOWNER", false },
        { "chmod", "CAP_FOWNER", false },
        { "settimeofday", "CAP_SYS_TIME", false },
        { "adjtime", "CAP_SYS_TIME", false },
        { "ptrace", "CAP_SYS_PTRACE", false },
        { "sethostname", "CAP_SYS_ADMIN", false },
        { "mount", "CAP_SYS_ADMIN", false },
};

static bool contains_nocase(const char *hay, const char *needle) {
        size_t n = strlen(needle);

        for (const char *p = hay; *p; p++)
                if (strncasecmp(p, needle, n) == 0)
                        return true;
        return false;
}

static bool says_eperm(const char *line) {
        return contains_nocase(line, "Operation not permitted") || contains_nocase(line, "EPERM") ||
               contains_nocase(line, "not permitted");
}

static bool says_eacces(const char *line) {
        return contains_nocase(line, "Permission denied") || contains_nocase(line, "EACCES");
}

/* A refused bind() of a low port reads "Permission denied": only that counts of those. */
static bool says_refused_bind(const char *line) {
        for (size_t i = 0; i < ELEMENTSOF(hints); i++)
                if (hints[i].eacces && contains_nocase(line, hints[i].word))
                        return says_eacces(line);
        return false;
}

bool cap_hint_is_refusal(const char *line) {
        return says_eperm(line) || says_refused_bind(line);
}

int cap_hint_for_line(const char *line, uint64_t bounding_set) {
        bool eperm = says_eperm(line), eacces = says_eacces(line);

        if (!eperm && !says_refused_bind(line))
                return -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(hints); i++) {
                int cap = capability_from_name(hints[i].cap);
                if (cap < 0 || (bounding_set & (UINT64_C(1) << cap)))
                        continue; /* the jail has it: not what was missing */
                if (!(eperm || (hints[i].eacces && eacces)))
                        continue;
                if (contains_nocase(line, hints[i].word))
                        return cap;
        }
        return -ENXIO;
}

char *cap_set_to_string(uint64_t set) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        bool first = true;

        if (!f)
                return NULL;
        for (int c = 0; c <= capability_last(); c++)
                if (set & (UINT64_C(1) << c)) {
                        fprintf(f, "%s%s", first ? "" : " ", capability_to_name(c));
                        first = false;
                }
        if (first)
                fputs("(none)", f);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

/* libsystemd's journal reader, loaded when a failed run is looked into: the helper, which
 * links nothing it does not need on the way to starting a jail, starts faster without it. */
static struct {
        typeof(sd_journal_open) *open;
        typeof(sd_journal_add_match) *add_match;
        typeof(sd_journal_seek_tail) *seek_tail;
        typeof(sd_journal_previous) *previous;
        typeof(sd_journal_get_data) *get_data;
        typeof(sd_journal_close) *close;
} J;

static int journal_functions(void) {
        void *dl;

        if (J.open)
                return 0;
        dl = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return -EOPNOTSUPP;
        J.add_match = (typeof(J.add_match)) dlsym(dl, "sd_journal_add_match");
        J.seek_tail = (typeof(J.seek_tail)) dlsym(dl, "sd_journal_seek_tail");
        J.previous = (typeof(J.previous)) dlsym(dl, "sd_journal_previous");
        J.get_data = (typeof(J.get_data)) dlsym(dl, "sd_journal_get_data");
        J.close = (typeof(J.close)) dlsym(dl, "sd_journal_close");
        J.open = (typeof(J.open)) dlsym(dl, "sd_journal_open");
        if (!J.add_match || !J.seek_tail || !J.previous || !J.get_data || !J.close || !J.open) {
                J.open = NULL;
                return -EOPNOTSUPP;
        }
        return 0;
}

void cap_hint_done(CapHint *h) {
        free(h->line);
        h->line = NULL;
}

int cap_hint_from_journal(const char *unit, const char *invocation_id, uint64_t bounding_set, CapHint *ret) {
        sd_journal *j = NULL;
        char match[256];
        const void *data;
        size_t size;
        int r;

        *ret = (CapHint) { .cap = -ENOENT };
        r = journal_functions();
        if (r < 0)
                return r;
        r = J.open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r < 0)
                return r;
        snprintf(match, sizeof(match), "_SYSTEMD_UNIT=%s", unit);
        r = J.add_match(j, match, 0);
        if (r >= 0 && invocation_id) {
                snprintf(match, sizeof(match), "_SYSTEMD_INVOCATION_ID=%s", invocation_id);
                r = J.add_match(j, match, 0);
        }
        if (r < 0) {
                J.close(j);
                return r;
        }
        /* the last refusal of the run, looking back from its end */
        r = J.seek_tail(j);
        for (unsigned seen = 0; r >= 0 && seen < 200 && (r = J.previous(j)) > 0; seen++) {
                const char *msg;
                size_t n;

                /* not the helper's own words about it (they quote the line) */
                if (J.get_data(j, "SYSLOG_IDENTIFIER", &data, &size) >= 0 && size == 18 + 17 &&
                    memcmp(data, "SYSLOG_IDENTIFIER=virtualing-helper", size) == 0)
                        continue;
                if (J.get_data(j, "MESSAGE", &data, &size) < 0 || size <= 8)
                        continue;
                msg = (const char *) data + 8;
                n = size - 8;
                {
                        char *line = strndup(msg, n);
                        if (!line) {
                                r = -ENOMEM;
                                break;
                        }
                        if (!cap_hint_is_refusal(line)) {
                                free(line);
                                continue;
                        }
                        for (char *p = line; *p; p++)
                                if ((unsigned char) *p < 0x20)
                                        *p = ' ';
                        ret->line = line;
                        ret->cap = cap_hint_for_line(line, bounding_set);
                        r = 0;
                        break;
                }
        }
        J.close(j);
        if (r < 0)
                return r;
        return ret->line ? 0 : -ENOENT;
}
