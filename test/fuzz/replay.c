/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a fuzz target over files without libFuzzer: each argument is a file or a directory
 * of files (a corpus, the crash reproducers). TAP on stdout, one line per file; for the
 * test command, which replays the corpus in every build, the sanitizer one included. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static unsigned n;

static int run_file(const char *path) {
        _cleanup_free_ uint8_t *buf = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        size_t got = 0;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                printf("not ok %u - %s: %s\n", ++n, path, fd < 0 ? strerror(errno) : "not a regular file");
                return -1;
        }
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                abort();
        while (got < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + got, (size_t) st.st_size - got);
                if (k <= 0) {
                        printf("not ok %u - %s: short read\n", ++n, path);
                        return -1;
                }
                got += (size_t) k;
        }
        fflush(stdout);
        (void) LLVMFuzzerTestOneInput(buf, got); /* a failure aborts the run: the test fails */
        printf("ok %u - %s (%zu bytes)\n", ++n, path, got);
        return 0;
}

static int cmp(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char *argv[]) {
        int failed = 0;

        for (int i = 1; i < argc; i++) {
                struct dirent **list = NULL;
                struct stat st;
                int k;

                if (stat(argv[i], &st) < 0) {
                        if (errno == ENOENT)
                                continue; /* no reproducer for this target yet */
                        printf("not ok %u - %s: %s\n", ++n, argv[i], strerror(errno));
                        failed = 1;
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        failed |= run_file(argv[i]) < 0;
                        continue;
                }
                k = scandir(argv[i], &list, NULL, cmp);
                for (int j = 0; j < k; j++) {
                        char *p;
                        if (list[j]->d_name[0] != '.' && asprintf(&p, "%s/%s", argv[i], list[j]->d_name) >= 0) {
                                failed |= run_file(p) < 0;
                                free(p);
                        }
                        free(list[j]);
                }
                free(list);
        }
        printf("1..%u\n", n);
        return failed;
}
