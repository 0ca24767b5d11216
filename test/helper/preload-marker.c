/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Preloaded through a jail's /etc/ld.so.preload by test-boundary.sh: records that it ran,
 * and as whom, in /preload-ran of the jail. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((constructor)) static void mark(void) {
        char line[64];
        int fd = open("/preload-ran", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int n;

        if (fd < 0)
                return;
        n = snprintf(line, sizeof(line), "euid=%d\n", (int) geteuid());
        if (n > 0)
                (void) !write(fd, line, (size_t) n);
        close(fd);
}
