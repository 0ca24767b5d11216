/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pager of virtualing's printing commands, as systemctl starts one: a child reading a
 * pipe that becomes our standard output. No shell: the variable is split into words. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "companion.h"
#include "macro.h"
#include "pager.h"
#include "parse-util.h"
#include "strv.h"
#include "table.h"

static pid_t pager_pid = 0;
static int saved_stdout = -EBADF, saved_stderr = -EBADF;
static struct sigaction saved_sigint;

/* The words of the pager the environment asks for: 1 and the words (NULL: none named,
 * take the defaults), or 0 when it asks for no pager. */
static int pager_words(char ***ret) {
        static const char * const vars[] = { "VIRTUALING_PAGER", "SYSTEMD_PAGER", "PAGER" };

        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                _cleanup_strv_free_ char **words = NULL;
                const char *e = getenv(vars[i]);

                if (!e)
                        continue;
                if (split_words(e, &words) < 0) {
                        *ret = NULL; /* unbalanced quotes: the defaults */
                        return 1;
                }
                if (strv_length(words) == 0 || (strv_length(words) == 1 && streq(words[0], "cat"))) {
                        *ret = NULL;
                        return 0;
                }
                *ret = TAKE_PTR(words);
                return 1;
        }
        *ret = NULL;
        return 1;
}

static bool locale_is_utf8(void) {
        const char *cs = nl_langinfo(CODESET);
        return cs && (streq(cs, "UTF-8") || streq(cs, "utf8"));
}

/* The child: reads the pipe on its stdin, writes to our terminal. If no pager can be
 * executed, it says so with errno on STATUS_FD (close-on-exec: end of file means one was). */
_noreturn_ static void pager_child(int read_fd, int status_fd, char **words) {
        int e;

        if (dup2(read_fd, STDIN_FILENO) < 0)
                goto fail;
        if (!getenv("LESS") && setenv("LESS", "FRXMK", 1) < 0)
                goto fail;
        if (!getenv("LESSCHARSET") && locale_is_utf8() && setenv("LESSCHARSET", "utf-8", 1) < 0)
                goto fail;
        if (words)
                (void) execvp(words[0], words);
        (void) execlp("less", "less", (char *) NULL);
        (void) execlp("more", "more", (char *) NULL);
fail:
        e = errno;
        (void) !write(status_fd, &e, sizeof(e));
        _exit(127);
}

int pager_open(bool disabled) {
        _cleanup_close_ int data_read = -EBADF, data_write = -EBADF, status_read = -EBADF, status_write = -EBADF;
        _cleanup_strv_free_ char **words = NULL;
        struct sigaction ignore = { .sa_handler = SIG_IGN };
        const char *term = getenv("TERM");
        pid_t pid;
        int fds[2], e;
        ssize_t n;

        if (disabled || pager_pid > 0 || !isatty(STDOUT_FILENO) || (term && streq(term, "dumb")))
                return 0;
        if (pager_words(&words) == 0)
                return 0;
        /* decided for the terminal, before stdout becomes a pipe */
        (void) colors_enabled();

        if (pipe2(fds, O_CLOEXEC) < 0)
                return 0;
        data_read = fds[0];
        data_write = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return 0;
        status_read = fds[0];
        status_write = fds[1];

        pid = fork_companion();
        if (pid < 0)
                return 0;
        if (pid == 0)
                pager_child(data_read, status_write, words);
        data_read = safe_close(data_read);
        status_write = safe_close(status_write);

        do
                n = read(status_read, &e, sizeof(e));
        while (n < 0 && errno == EINTR);
        if (n != 0) {
                /* no pager could be executed: print straight to the terminal */
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return 0;
        }

        saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (saved_stdout < 0 || dup2(data_write, STDOUT_FILENO) < 0) {
                saved_stdout = safe_close(saved_stdout);
                (void) kill(pid, SIGTERM);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                return 0;
        }
        /* messages would scroll through the pager's screen: they go into the pager too */
        if (isatty(STDERR_FILENO)) {
                saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                if (saved_stderr >= 0 && dup2(data_write, STDERR_FILENO) < 0)
                        saved_stderr = safe_close(saved_stderr);
        }
        /* Ctrl-C is the pager's (less quits on it, K): we end when it does */
        (void) sigaction(SIGINT, &ignore, &saved_sigint);
        pager_pid = pid;
        return 1;
}

void pager_close(void) {
        if (pager_pid <= 0)
                return;
        (void) fflush(stdout);
        (void) fflush(stderr);
        /* the last copies of the pipe's write end go: the pager reads its end of file */
        if (saved_stdout >= 0)
                (void) dup2(saved_stdout, STDOUT_FILENO);
        if (saved_stderr >= 0)
                (void) dup2(saved_stderr, STDERR_FILENO);
        saved_stdout = safe_close(saved_stdout);
        saved_stderr = safe_close(saved_stderr);
        (void) kill(pager_pid, SIGCONT);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
        (void) sigaction(SIGINT, &saved_sigint, NULL);
}
