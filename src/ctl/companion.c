/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "companion.h"
#include "macro.h"

pid_t fork_companion(void) {
        static const int reset[] = { SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD };
        pid_t parent = getpid(), pid;
        sigset_t none;

        (void) fflush(stdout);
        (void) fflush(stderr);
        pid = fork();
        if (pid != 0)
                return pid < 0 ? -errno : pid;

        for (size_t i = 0; i < ELEMENTSOF(reset); i++)
                (void) signal(reset[i], SIG_DFL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        /* left behind, it would fight the shell for the terminal */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
                _exit(EXIT_FAILURE);
        if (getppid() != parent)
                _exit(EXIT_SUCCESS);
        return 0;
}
