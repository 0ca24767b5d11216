/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The init of a jail's PID namespace. A process that is PID 1 of its namespace receives
 * only the signals it has a handler for, and orphans of the namespace become its children:
 * a daemon run as PID 1 would ignore "systemctl stop" and collect zombies. So the command
 * runs as PID 2 and this stays PID 1. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail-init.h"

static char *title_start;
static size_t title_len;

void jail_init_set_title_area(int argc, char **argv) {
        if (argc < 1 || !argv[0])
                return;
        title_start = argv[0];
        title_len = (size_t) (argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
}

static void set_title(const char *title) {
        if (!title_start || title_len == 0)
                return;
        memset(title_start, 0, title_len + 1);
        strncpy(title_start, title, title_len);
}

static void shed_privileges(const Identity *id) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        for (int c = 0; c < 64; c++)
                if (prctl(PR_CAPBSET_DROP, (unsigned long) c, 0, 0, 0) < 0 && errno == EINVAL)
                        break;
        /* each step that fails leaves us more privileged than intended: then do not run at all */
        if (setgroups(0, NULL) < 0 || setresgid(id->gid, id->gid, id->gid) < 0 ||
            setresuid(id->uid, id->uid, id->uid) < 0 || syscall(SYS_capset, &h, d) < 0 ||
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                _exit(EXIT_FAILURE);
}

void jail_init_run(int command_pidfd, const Identity *id) {
        struct pollfd p[2] = { { .fd = command_pidfd, .events = POLLIN } };
        sigset_t mask;

        (void) prctl(PR_SET_NAME, "virtualing-init", 0, 0, 0);
        set_title("virtualing-init");
        if (chdir("/") < 0)
                _exit(EXIT_FAILURE);
        /* nothing of the helper's stays open here: not the tree, not the sockets */
        if (command_pidfd > 3 && close_range(3, (unsigned) command_pidfd - 1, 0) < 0)
                _exit(EXIT_FAILURE);
        if (close_range((unsigned) command_pidfd + 1, ~0U, 0) < 0)
                _exit(EXIT_FAILURE);
        shed_privileges(id);

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                _exit(EXIT_FAILURE);
        p[1].fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        p[1].events = POLLIN;
        if (p[1].fd < 0)
                _exit(EXIT_FAILURE);

        for (;;) {
                struct signalfd_siginfo si;

                /* orphans first: a zombie must not wait for the command's end */
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        _exit(EXIT_FAILURE);
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
                        _exit(EXIT_SUCCESS); /* the command ended: so does its namespace */
                while (read(p[1].fd, &si, sizeof(si)) == sizeof(si))
                        ;
        }
}
