/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "parse-util.h"

static const char *log_ident;
static LogTarget log_target = LOG_TARGET_CONSOLE;
static bool log_prefix_ident = true;
static int console_journal = -1; /* stderr is the journal's stream: "<N>" prefixes */
static int kmsg_fd = -EBADF;
static int journal_fd = -EBADF;
static int log_max_level = LOG_DEBUG;

static const char *ident(void) {
        return log_ident ?: program_invocation_short_name;
}

const char *log_journal_socket(void) {
        const char *e = getenv("VIRTUALING_JOURNAL_SOCKET");
        return e && e[0] == '/' ? e : "/run/systemd/journal/socket";
}

static bool stderr_is_journal(void) {
        if (console_journal < 0) {
                const char *e = getenv("JOURNAL_STREAM");
                unsigned long long dev, ino;
                struct stat st;

                console_journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) >= 0 &&
                                  st.st_dev == dev && st.st_ino == ino;
        }
        return console_journal;
}

LogTarget log_target_for_generator(void) {
        const char *e = getenv("SYSTEMD_SCOPE");
        return e && *e && !isatty(STDERR_FILENO) ? LOG_TARGET_KMSG : LOG_TARGET_CONSOLE;
}

void log_setup(const char *id, LogTarget target, bool prefix_ident) {
        log_ident = id;
        log_target = target;
        log_prefix_ident = prefix_ident;
        console_journal = -1;
        if (target == LOG_TARGET_KMSG && kmsg_fd < 0) {
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
                if (kmsg_fd < 0)
                        log_target = LOG_TARGET_CONSOLE;
        }
        if (target == LOG_TARGET_JOURNAL && journal_fd < 0) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                const char *path = log_journal_socket();

                journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (journal_fd >= 0 && strlen(path) < sizeof(sa.sun_path)) {
                        strcpy(sa.sun_path, path);
                        if (connect(journal_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                                journal_fd = safe_close(journal_fd);
                } else
                        journal_fd = safe_close(journal_fd);
                if (journal_fd < 0)
                        log_target = LOG_TARGET_CONSOLE;
        }
}

void log_set_max_level(int level) {
        log_max_level = level;
}

static void write_console(int level, const char *msg) {
        char prefix[8] = "";

        if (stderr_is_journal())
                snprintf(prefix, sizeof(prefix), "<%d>", level);
        /* one call, so that the line reaches the journal in one piece */
        if (log_prefix_ident)
                fprintf(stderr, "%s%s: %s\n", prefix, ident(), msg);
        else
                fprintf(stderr, "%s%s\n", prefix, msg);
}

static void write_kmsg(int level, const char *msg) {
        _cleanup_free_ char *rec = NULL;
        int n;

        /* one write(2) per record: /dev/kmsg takes a record per write and reads the prefix */
        n = asprintf(&rec, "<%d>%s[%d]: %s\n", level, ident(), (int) getpid(), msg);
        if (n > 0 && write(kmsg_fd, rec, (size_t) n) != n)
                write_console(level, msg);
}

/* The native protocol: "KEY=value\n" per field; a value with a newline as KEY\n, its
 * length (64 bits, little endian), the value and \n. */
static int add_field(struct iovec *iov, size_t *n, uint64_t *sizes, const char *field) {
        const char *eq = strchr(field, '=');
        if (!eq)
                return -EINVAL;
        if (!strchr(eq + 1, '\n')) {
                iov[(*n)++] = (struct iovec) { .iov_base = (void *) field, .iov_len = strlen(field) };
                iov[(*n)++] = (struct iovec) { .iov_base = (void *) "\n", .iov_len = 1 };
                return 0;
        }
        sizes[*n] = htole64((uint64_t) strlen(eq + 1));
        iov[(*n)] = (struct iovec) { .iov_base = (void *) field, .iov_len = (size_t) (eq - field) };
        (*n)++;
        iov[(*n)++] = (struct iovec) { .iov_base = (void *) "\n", .iov_len = 1 };
        iov[(*n)] = (struct iovec) { .iov_base = &sizes[*n - 2], .iov_len = sizeof(uint64_t) };
        (*n)++;
        iov[(*n)++] = (struct iovec) { .iov_base = (void *) (eq + 1), .iov_len = strlen(eq + 1) };
        iov[(*n)++] = (struct iovec) { .iov_base = (void *) "\n", .iov_len = 1 };
        return 0;
}

static bool write_journal(int level, char * const *fields, const char *msg) {
        _cleanup_free_ char *message = NULL, *ident_field = NULL;
        char priority[16];
        size_t nf = 0, n = 0;
        struct iovec *iov;
        uint64_t *sizes;
        bool ok;

        for (char * const *f = fields; f && *f; f++)
                nf++;
        iov = calloc(5 * (nf + 3), sizeof(struct iovec));
        sizes = calloc(5 * (nf + 3), sizeof(uint64_t));
        if (!iov || !sizes || asprintf(&message, "MESSAGE=%s", msg) < 0 ||
            asprintf(&ident_field, "SYSLOG_IDENTIFIER=%s", ident()) < 0) {
                free(iov);
                free(sizes);
                return false;
        }
        snprintf(priority, sizeof(priority), "PRIORITY=%d", level);
        ok = add_field(iov, &n, sizes, priority) >= 0 && add_field(iov, &n, sizes, ident_field) >= 0 &&
             add_field(iov, &n, sizes, message) >= 0;
        for (char * const *f = fields; ok && f && *f; f++)
                ok = add_field(iov, &n, sizes, *f) >= 0;
        ok = ok && writev(journal_fd, iov, (int) n) >= 0;
        free(iov);
        free(sizes);
        return ok;
}

static void log_dispatch(int level, char * const *fields, const char *raw) {
        _cleanup_free_ char *msg = escape_for_display(raw);
        const char *m = msg ?: "(out of memory)";

        switch (log_target) {
        case LOG_TARGET_KMSG:
                write_kmsg(level, m);
                break;
        case LOG_TARGET_JOURNAL:
                if (!write_journal(level, fields, m))
                        write_console(level, m);
                break;
        default:
                write_console(level, m);
        }
}

_printf_(4, 0) static void log_fv(int level, char * const *fields, int error, const char *fmt, va_list ap) {
        _cleanup_free_ char *raw = NULL;
        int saved = errno;

        if (level > log_max_level)
                return;
        if (error > 0)
                errno = error; /* for %m; without an error, %m is errno as the caller left it */
        if (vasprintf(&raw, fmt, ap) >= 0)
                log_dispatch(level, fields, raw);
        errno = saved;
}

int log_full_errno(int level, int error, const char *fmt, ...) {
        va_list ap;

        if (error < 0)
                error = -error;
        va_start(ap, fmt);
        log_fv(level, NULL, error, fmt, ap);
        va_end(ap);
        return -error;
}

void log_struct(int level, char * const *fields, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        log_fv(level, fields, 0, fmt, ap);
        va_end(ap);
}
