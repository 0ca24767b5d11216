/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The logging module: the journal's native protocol (fields, a value with a newline in
 * its binary form), escaping of control characters and invalid UTF-8, the console format
 * and the fallback to it when there is no journal. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char dir[] = "/tmp/test-log.XXXXXX";

/* A record: returns its length, the bytes in BUF. */
static ssize_t receive(int fd, char *buf, size_t size) {
        ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);
        if (n >= 0)
                buf[n] = 0;
        return n;
}

static bool has(const char *rec, size_t len, const char *line) {
        size_t l = strlen(line);
        for (const char *p = rec; p + l <= rec + len; p++)
                if ((p == rec || p[-1] == '\n') && memcmp(p, line, l) == 0 && p[l] == '\n')
                        return true;
        return false;
}

/* Runs the log call with stderr a pipe; returns what it wrote. */
#define CAPTURE_STDERR(buf, call)                                                                \
        do {                                                                                     \
                int _p[2], _saved = dup(STDERR_FILENO);                                          \
                ssize_t _n;                                                                      \
                if (pipe2(_p, O_CLOEXEC) < 0 || _saved < 0)                                      \
                        abort();                                                                 \
                fflush(stderr);                                                                  \
                dup2(_p[1], STDERR_FILENO);                                                      \
                call;                                                                            \
                fflush(stderr);                                                                  \
                dup2(_saved, STDERR_FILENO);                                                     \
                close(_saved);                                                                   \
                close(_p[1]);                                                                    \
                _n = read(_p[0], (buf), sizeof(buf) - 1);                                        \
                (buf)[_n > 0 ? _n : 0] = 0;                                                      \
                close(_p[0]);                                                                    \
        } while (0)

int main(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[256], rec[4096], out[1024];
        static const char binary[] = "LINES\n\x09\0\0\0\0\0\0\0one\ntwo\nX\n";
        int fd, r;
        ssize_t n;

        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof(path), "%s/socket", dir);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return 1;
        setenv("VIRTUALING_JOURNAL_SOCKET", path, 1);
        unsetenv("JOURNAL_STREAM");

        log_setup("test-ident", LOG_TARGET_JOURNAL, true);
        {
                char *fields[] = { (char *) "MESSAGE_ID=0123456789abcdef0123456789abcdef", (char *) "LINES=one\ntwo\nX",
                                   (char *) "VIRTUALING_JAIL=web", NULL };
                log_struct(LOG_NOTICE, fields, "Jail %s: an \x1b[31mevent\n%s", "web", "forged line");
        }
        n = receive(fd, rec, sizeof(rec));
        ok(n > 0, "log_struct() sends one datagram to the journal socket");
        n = n > 0 ? n : 0;
        ok(has(rec, n, "PRIORITY=5"), "PRIORITY=5 for LOG_NOTICE");
        ok(has(rec, n, "SYSLOG_IDENTIFIER=test-ident"), "SYSLOG_IDENTIFIER= is the ident");
        ok(has(rec, n, "MESSAGE=Jail web: an \\x1b[31mevent\\x0aforged line"),
           "MESSAGE= has the escape sequence and the newline escaped: one line, no terminal control");
        ok(has(rec, n, "MESSAGE_ID=0123456789abcdef0123456789abcdef") && has(rec, n, "VIRTUALING_JAIL=web"),
           "the structured fields are sent as they are");
        ok(memmem(rec, n, binary, sizeof(binary) - 1) != NULL,
           "a value with newlines goes in the binary form: KEY, 64-bit little-endian length, value");

        errno = 0;
        r = log_error_errno(-EIO, "Failed to read %s: %m", "a\xff\xfe" "b");
        is_int(r, -EIO, "log_error_errno() returns -abs(error)");
        n = receive(fd, rec, sizeof(rec));
        n = n > 0 ? n : 0;
        ok(has(rec, n, "PRIORITY=3") && has(rec, n, "MESSAGE=Failed to read a\\xff\\xfeb: Input/output error"),
           "%%m is strerror(error); invalid UTF-8 is escaped byte by byte");
        r = log_warning_errno(EPERM, "x");
        is_int(r, -EPERM, "a positive error is returned negative too");
        (void) receive(fd, rec, sizeof(rec));
        log_info("caf\xc3\xa9 \xe2\x82\xac");
        n = receive(fd, rec, sizeof(rec));
        n = n > 0 ? n : 0;
        ok(has(rec, n, "MESSAGE=caf\xc3\xa9 \xe2\x82\xac"), "valid UTF-8 passes unchanged");

        /* the console, as the virtualing command and programs without a journal use it */
        log_setup("test-ident", LOG_TARGET_CONSOLE, true);
        CAPTURE_STDERR(out, log_error("bad\rline\x07"));
        is_str(out, "test-ident: bad\\x0dline\\x07\n", "console: \"IDENT: message\", carriage return and bell escaped");
        log_setup(NULL, LOG_TARGET_CONSOLE, false);
        CAPTURE_STDERR(out, log_warning("plain"));
        is_str(out, "plain\n", "console without the ident prefix");

        /* --quiet: informational messages dropped, warnings and errors kept */
        log_set_max_level(LOG_WARNING);
        CAPTURE_STDERR(out, log_info("informational"));
        is_str(out, "", "above the maximum level (LOG_INFO over LOG_WARNING): nothing");
        CAPTURE_STDERR(out, log_warning("a warning"));
        is_str(out, "a warning\n", "at the maximum level: printed");
        CAPTURE_STDERR(out, r = log_error_errno(EIO, "an error"));
        is_str(out, "an error\n", "an error: printed");
        is_int(r, -EIO, "log_error_errno() returns -abs(error) under a maximum level too");
        log_set_max_level(LOG_DEBUG);
        CAPTURE_STDERR(out, log_info("again"));
        is_str(out, "again\n", "LOG_DEBUG lets everything through again");

        /* no journal: the console */
        unlink(path);
        close(fd);
        setenv("VIRTUALING_JOURNAL_SOCKET", "/nonexistent/socket", 1);
        log_setup("other", LOG_TARGET_JOURNAL, true);
        {
                char *fields[] = { (char *) "VIRTUALING_JAIL=web", NULL };
                CAPTURE_STDERR(out, log_struct(LOG_WARNING, fields, "no journal"));
        }
        is_str(out, "other: no journal\n", "no journal socket: the message goes to the console");

        rmdir(dir);
        return tap_done();
}
