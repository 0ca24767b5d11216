/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit's text agent for set-memory: started before the call that may need an
 * authorisation, so that polkit can ask for a password on this terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "companion.h"
#include "macro.h"
#include "polkit-agent.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"
#define AGENT_READY_TIMEOUT_MSEC 10000

static pid_t agent_pid = 0;

/* The child: NOTIFY_FD (close-on-exec) is copied to a descriptor of 3 or more that is not,
 * the only one the agent inherits besides stdio; stdout and stderr that are not the
 * terminal are replaced by it, so that a reader of our pipe does not wait on the agent. */
_noreturn_ static void agent_child(const char *path, int notify_fd) {
        char number[16];
        int fd;

        fd = fcntl(notify_fd, F_DUPFD, 3);
        if (fd < 0)
                _exit(EXIT_FAILURE);
        for (int i = STDOUT_FILENO; i <= STDERR_FILENO; i++)
                if (!isatty(i)) {
                        int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
                        if (tty >= 0) {
                                (void) dup2(tty, i);
                                safe_close(tty);
                        }
                }
        snprintf(number, sizeof(number), "%d", fd);
        (void) execl(path, path, "--notify-fd", number, "--fallback", (char *) NULL);
        _exit(EXIT_FAILURE);
}

int polkit_agent_open(void) {
        _cleanup_close_ int ready_read = -EBADF, ready_write = -EBADF;
        const char *path = getenv("VIRTUALING_PKTTYAGENT") ?: PKTTYAGENT;
        struct pollfd p;
        pid_t pid;
        int fds[2], r;

        if (agent_pid > 0)
                return 1;
        if (geteuid() == 0 || !isatty(STDIN_FILENO) || access(path, X_OK) < 0)
                return 0;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return 0;
        ready_read = fds[0];
        ready_write = fds[1];

        pid = fork_companion();
        if (pid < 0)
                return 0;
        if (pid == 0)
                agent_child(path, ready_write);
        ready_write = safe_close(ready_write);
        agent_pid = pid;

        /* it writes to the descriptor or closes it once registered (or when it gave up) */
        p = (struct pollfd) { .fd = ready_read, .events = POLLIN };
        do
                r = poll(&p, 1, AGENT_READY_TIMEOUT_MSEC);
        while (r < 0 && errno == EINTR);
        return 1;
}

void polkit_agent_close(void) {
        if (agent_pid <= 0)
                return;
        (void) kill(agent_pid, SIGTERM);
        (void) kill(agent_pid, SIGCONT);
        while (waitpid(agent_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        agent_pid = 0;
}
