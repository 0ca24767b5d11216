/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory=,
 * ConfigurationDirectory=. Made on the host by root, for a jail user who may own the
 * innermost directory and everything in it: so nothing below a directory that is not root's
 * is trusted, no symlink is followed, and ownership is changed on the directory we opened,
 * never by path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "helper.h"
#include "jail-dirs.h"
#include "parse-util.h"
#include "strv.h"

#define REMOVE_DEPTH_MAX 256

static bool trusted_dir(const struct stat *st) {
        return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The host's /run, /var/lib, …: root's and closed to others. */
static int open_root(ExecDirectoryType type, int *ret) {
        const char *root = exec_directory_root(type);
        struct stat st;
        int fd;

        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return helper_fail(HELPER_EXIT_DIRECTORY, "opening", root, errno);
        if (fstat(fd, &st) < 0) {
                int r = errno;
                safe_close(fd);
                return helper_fail(HELPER_EXIT_DIRECTORY, "stat", root, r);
        }
        if (!trusted_dir(&st)) {
                safe_close(fd);
                return helper_fail(HELPER_EXIT_DIRECTORY,
                                   "refusing directories below a directory not root's or writable by others:", root, 0);
        }
        *ret = fd;
        return 0;
}

/* Opens NAME below ROOT_FD, one component at a time, creating what is missing (0755, root's);
 * the innermost is then given to UID:GID when OWNED. */
static int open_directory(int root_fd, const char *root, const char *name, bool owned, uid_t uid, gid_t gid,
                          int *ret) {
        _cleanup_free_ char *copy = strdup(name);
        _cleanup_close_ int cur = -EBADF;
        char path[PATH_MAX], *save = NULL;

        if (!copy)
                return helper_fail(HELPER_EXIT_DIRECTORY, "opening", name, ENOMEM);
        cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return helper_fail(HELPER_EXIT_DIRECTORY, "opening", root, errno);
        snprintf(path, sizeof(path), "%s", root);
        for (char *c = strtok_r(copy, "/", &save), *next; c; c = next) {
                struct stat st;
                int fd;

                next = strtok_r(NULL, "/", &save);
                snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", c);
                fd = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT) {
                        if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST)
                                return helper_fail(HELPER_EXIT_DIRECTORY, "creating", path, errno);
                        fd = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (fd < 0) {
                        if ((errno == ELOOP || errno == ENOTDIR) && fstatat(cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0)
                                return helper_fail(HELPER_EXIT_DIRECTORY,
                                                   S_ISLNK(st.st_mode) ? "refusing a symlink:" : "refusing what is not a directory:",
                                                   path, 0);
                        return helper_fail(HELPER_EXIT_DIRECTORY, "opening", path, errno);
                }
                safe_close(cur);
                cur = fd;
                if (fstat(cur, &st) < 0)
                        return helper_fail(HELPER_EXIT_DIRECTORY, "stat", path, errno);
                if (next && !trusted_dir(&st))
                        /* its owner could swap what lies below it for a link to anywhere */
                        return helper_fail(HELPER_EXIT_DIRECTORY,
                                           "refusing a directory not root's or writable by others on the way:", path, 0);
                if (!next && owned && (st.st_uid != uid || st.st_gid != gid) && fchown(cur, uid, gid) < 0)
                        return helper_fail(HELPER_EXIT_DIRECTORY, "changing the owner of", path, errno);
        }
        *ret = TAKE_FD(cur);
        return 0;
}

static char *record_path(const char *jail) {
        char *p = NULL;
        return asprintf(&p, "%s/directories/%s", runtime_dir(), jail) < 0 ? NULL : p;
}

/* The runtime directories, a name a line, written atomically. */
static int record_write(const Jail *j) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL;
        FILE *f;
        int fd;

        if (asprintf(&dir, "%s/directories", runtime_dir()) < 0 || !(path = record_path(j->name)) ||
            asprintf(&tmp, "%s/.#%s.XXXXXX", dir, j->name) < 0)
                return -ENOMEM;
        if (mkdir(runtime_dir(), 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "w");
        if (!f) {
                int r = -errno;
                safe_close(fd);
                (void) unlink(tmp);
                return r;
        }
        STRV_FOREACH(n, j->directories[EXEC_DIRECTORY_RUNTIME])
                fprintf(f, "%s\n", *n);
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0 || fchmod(fileno(f), 0644) < 0) {
                int r = errno > 0 ? -errno : -EIO;
                fclose(f);
                (void) unlink(tmp);
                return r;
        }
        fclose(f);
        if (rename(tmp, path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

int jail_directories(JailTree *t, const Jail *j, const Identity *id) {
        int r;

        if (j->directories[EXEC_DIRECTORY_RUNTIME]) {
                /* first the record: whatever happens next, "clean" finds what to remove */
                r = record_write(j);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_RUNTIME, "recording the runtime directories of", j->name, r);
        }
        for (ExecDirectoryType type = 0; type < _EXEC_DIRECTORY_TYPE_MAX; type++) {
                _cleanup_close_ int root_fd = -EBADF;
                bool config = type == EXEC_DIRECTORY_CONFIGURATION;

                if (!j->directories[type])
                        continue;
                r = open_root(type, &root_fd);
                if (r != 0)
                        return r;
                STRV_FOREACH(n, j->directories[type]) {
                        _cleanup_close_ int fd = -EBADF;
                        char inside[PATH_MAX];

                        r = open_directory(root_fd, exec_directory_root(type), *n, !config, id->uid, id->gid, &fd);
                        if (r != 0)
                                return r;
                        snprintf(inside, sizeof(inside), "%s/%s", exec_directory_root(type), *n);
                        r = jail_bind_fd(t, fd, inside, config);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

/* Removes the entry NAME of DIR_FD and all below it on the same file system, following no
 * symlink; a mount point below is left alone (and so is the directory holding it). */
static int remove_tree(int dir_fd, const char *name, dev_t dev, unsigned depth) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (st.st_dev != dev || depth > REMOVE_DEPTH_MAX)
                return -EBUSY;
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF; /* the DIR owns it now */
        while ((errno = 0, de = readdir(d))) {
                int k;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                k = remove_tree(dirfd(d), de->d_name, dev, depth + 1);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        if (r < 0)
                return r;
        return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static int remove_runtime_directory(int run_fd, const char *name) {
        _cleanup_free_ char *copy = strdup(name);
        _cleanup_close_ int parent = -EBADF;
        struct stat st;
        char *last;

        if (!copy)
                return -ENOMEM;
        if (fstat(run_fd, &st) < 0)
                return -errno;
        parent = fcntl(run_fd, F_DUPFD_CLOEXEC, 3);
        if (parent < 0)
                return -errno;
        last = strrchr(copy, '/');
        if (last) {
                *last++ = 0;
                /* the directories above it: walked without following a link */
                for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                        int fd = openat(parent, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                return errno == ENOENT ? 0 : -errno;
                        safe_close(parent);
                        parent = fd;
                }
        } else
                last = copy;
        return remove_tree(parent, last, st.st_dev, 0);
}

int jail_directories_remove(const char *jail) {
        _cleanup_free_ char *path = record_path(jail), *line = NULL;
        _cleanup_close_ int run_fd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        int r = 0;

        if (!path)
                return helper_fail(HELPER_EXIT_RUNTIME, "building the record path for", jail, ENOMEM);
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : helper_fail(HELPER_EXIT_RUNTIME, "reading record", path, errno);
        run_fd = open(exec_directory_root(EXEC_DIRECTORY_RUNTIME), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (run_fd < 0)
                return helper_fail(HELPER_EXIT_DIRECTORY, "opening", exec_directory_root(EXEC_DIRECTORY_RUNTIME), errno);
        while (getline(&line, &size, f) > 0) {
                int k;

                line[strcspn(line, "\n")] = 0;
                if (!exec_directory_name_is_valid(line)) {
                        r = helper_fail(HELPER_EXIT_RUNTIME, "malformed record", path, 0);
                        continue;
                }
                k = remove_runtime_directory(run_fd, line);
                if (k < 0) {
                        char full[PATH_MAX];
                        snprintf(full, sizeof(full), "%s/%s", exec_directory_root(EXEC_DIRECTORY_RUNTIME), line);
                        r = helper_fail(HELPER_EXIT_DIRECTORY, "removing", full, k);
                }
        }
        /* kept after a failure: a second try finds what is left */
        if (r == 0 && unlink(path) < 0 && errno != ENOENT)
                r = helper_fail(HELPER_EXIT_RUNTIME, "removing record", path, errno);
        return r;
}
