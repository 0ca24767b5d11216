/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount sequence. The jail tree may belong to a less trusted user, so every path in it
 * is opened from the root's fd without following any symlink, and every mount goes onto
 * the fd that was opened: a symlink planted in the tree can never steer a mount elsewhere. */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <sched.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "helper.h"
#include "jail-mount.h"

static int openat2_fd(int dirfd, const char *path, int flags, unsigned long long resolve) {
        struct open_how how = {
                .flags = (unsigned long long) (flags | O_CLOEXEC),
                .resolve = resolve,
        };
        int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

/* Inside the jail: no symlink at all, nothing above the root, no magic links. */
#define RESOLVE_JAIL (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH)

static const char *skip_slashes(const char *p) {
        while (*p == '/')
                p++;
        return p;
}

/* ELOOP/EXDEV from the lookups above: a symlink (or "..") in the jail tree. Say so plainly. */
static int fail_in_jail(int status, const char *what, const char *rel, int r) {
        char path[PATH_MAX + 2];

        snprintf(path, sizeof(path), "/%s", skip_slashes(rel));
        if (r == -ELOOP || r == -EXDEV) {
                fprintf(stderr, "virtualing-helper: %s %s: a symlink inside the jail, refusing to follow it\n", what,
                        path);
                return status;
        }
        return helper_fail(status, what, path, r);
}

/* Opens PATH (relative to the jail root) as a directory, creating missing components
 * with MODE. Created directories are root's; existing ones are left as they are. */
static int mkdir_p_in_root(int root_fd, const char *path, mode_t mode, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *copy = strdup(skip_slashes(path));
        char *p, *save = NULL;

        if (!copy)
                return -ENOMEM;
        fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
                int nfd;

                if (streq(p, ".") || streq(p, ".."))
                        return -EXDEV;
                nfd = openat2_fd(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW, RESOLVE_JAIL);
                if (nfd == -ENOENT) {
                        if (mkdirat(fd, p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        nfd = openat2_fd(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW, RESOLVE_JAIL);
                }
                if (nfd < 0)
                        return nfd == -ENOTDIR ? -ELOOP : nfd; /* O_NOFOLLOW on a symlink gives ENOTDIR */
                safe_close(fd);
                fd = nfd;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Splits "a/b/c" into the parent "a/b" (opened, created) and the last name. */
static int open_parent_in_root(int root_fd, const char *path, int *ret_fd, const char **ret_name) {
        _cleanup_free_ char *parent = NULL;
        const char *rel = skip_slashes(path), *slash = strrchr(rel, '/');

        if (!*rel)
                return -EINVAL;
        if (!slash) {
                int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return -errno;
                *ret_fd = fd;
                *ret_name = rel;
                return 0;
        }
        parent = strndup(rel, (size_t) (slash - rel));
        if (!parent)
                return -ENOMEM;
        *ret_name = slash + 1;
        return mkdir_p_in_root(root_fd, parent, 0755, ret_fd);
}

/* A file to mount onto, created empty if missing, never a symlink. */
static int touch_in_root(int root_fd, const char *path, int *ret_fd) {
        _cleanup_close_ int dfd = -EBADF;
        const char *name;
        int fd, r;

        r = open_parent_in_root(root_fd, path, &dfd, &name);
        if (r < 0)
                return r;
        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0 && errno != EEXIST)
                return -errno;
        safe_close(fd);
        fd = openat2_fd(dfd, name, O_PATH | O_NOFOLLOW, RESOLVE_JAIL);
        if (fd < 0)
                return fd;
        {
                struct stat st;
                if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) {
                        r = S_ISLNK(st.st_mode) ? -ELOOP : -EISDIR;
                        safe_close(fd);
                        return r;
                }
        }
        *ret_fd = fd;
        return 0;
}

int jail_namespace_enter(void) {
        if (unshare(CLONE_NEWNS) < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "creating a mount namespace", NULL, errno);
        /* slave: host mounts still show up, ours never travel back */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "making / a recursive slave", NULL, errno);
        return 0;
}

int jail_root_open(const char *root, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *parent = NULL, *walked = NULL, *copy = NULL;
        const char *name = strrchr(root, '/') + 1;
        struct stat st, prev;
        char *p, *save = NULL;

        /* Canonical parent: the admin's symlinks are fine, the walk below follows none. */
        copy = strndup(root, (size_t) (name - root));
        if (!copy)
                return helper_fail(HELPER_EXIT_ROOT, "resolving", root, ENOMEM);
        parent = realpath(copy, NULL);
        if (!parent)
                return helper_fail(HELPER_EXIT_ROOT, "resolving the parent of the jail root", copy, errno);
        free(copy);
        copy = strdup(parent);
        walked = calloc(1, strlen(parent) + strlen(name) + 3);
        if (!copy || !walked)
                return helper_fail(HELPER_EXIT_ROOT, "resolving", root, ENOMEM);

        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &prev) < 0)
                return helper_fail(HELPER_EXIT_ROOT, "opening", "/", errno);

        /* Every directory above the root must be root's and not writable by others: else the
         * jail owner could swap a component between our check and our use. A sticky
         * world-writable directory (like /tmp) is fine when the entry in it is root's. */
        for (p = strtok_r(copy, "/", &save);; p = strtok_r(NULL, "/", &save)) {
                const char *comp = p ?: name;
                bool last = !p;
                int nfd;

                if (prev.st_uid != 0)
                        return helper_fail(HELPER_EXIT_ROOT, "refusing jail root: a directory above it is not owned by root:",
                                           *walked ? walked : "/", 0);
                strcat(walked, "/");
                strcat(walked, comp);

                nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0 && errno == ENOENT && last) {
                        if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
                                return helper_fail(HELPER_EXIT_ROOT, "creating the jail root", walked, errno);
                        nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (nfd < 0) {
                        int e = errno == ENOTDIR ? ELOOP : errno;
                        return helper_fail(HELPER_EXIT_ROOT, last ? "opening the jail root" : "opening", walked, e);
                }
                safe_close(fd);
                fd = nfd;
                if (fstat(fd, &st) < 0)
                        return helper_fail(HELPER_EXIT_ROOT, "stat", walked, errno);
                if ((prev.st_mode & (S_IWGRP | S_IWOTH)) && !((prev.st_mode & S_ISVTX) && st.st_uid == 0))
                        return helper_fail(HELPER_EXIT_ROOT,
                                           "refusing jail root: a directory above it is writable by group or others:",
                                           walked, 0);
                prev = st;
                if (last)
                        break;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int jail_root_mount(int root_fd, const char *root, int *ret_fd) {
        _cleanup_close_ int tree = -EBADF;

        /* A clone of the root as a detached tree, attached onto the root itself: the
         * tree's fd then is the new mount, which pivot_root needs. */
        tree = open_tree(root_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (tree < 0)
                return helper_fail(HELPER_EXIT_ROOT, "cloning the jail root", root, errno);
        if (move_mount(tree, "", root_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return helper_fail(HELPER_EXIT_ROOT, "binding the jail root onto itself", root, errno);
        *ret_fd = TAKE_FD(tree);
        return 0;
}

/* Bind SOURCE_FD (a host path) onto TARGET_FD (in the jail), read-only if asked. The
 * attributes are set on the detached clone, so the mount is never visible writable. */
static int bind_fd(int source_fd, int target_fd, bool recursive, bool read_only) {
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0),
        };
        _cleanup_close_ int tree = -EBADF;

        tree = open_tree(source_fd, "",
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
        if (tree < 0)
                return -errno;
        if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
                return -errno;
        if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

/* A filesystem through libmount onto an opened directory (/proc/self/fd/N: the kernel
 * follows that link to the very directory, no path lookup in the jail happens). */
static int mount_fs_fd(int target_fd, const char *type, const char *source, const char *options) {
        struct libmnt_context *cxt;
        char target[64];
        int r, e = 0;

        snprintf(target, sizeof(target), "/proc/self/fd/%d", target_fd);
        cxt = mnt_new_context();
        if (!cxt)
                return -ENOMEM;
        r = mnt_context_disable_canonicalize(cxt, 1);
        if (r == 0)
                r = mnt_context_disable_helpers(cxt, 1);
        if (r == 0)
                r = mnt_context_disable_mtab(cxt, 1);
        if (r == 0)
                r = mnt_context_set_optsmode(cxt, MNT_OMODE_NOTAB);
        if (r == 0)
                r = mnt_context_set_fstype(cxt, type);
        if (r == 0)
                r = mnt_context_set_source(cxt, source);
        if (r == 0)
                r = mnt_context_set_target(cxt, target);
        if (r == 0)
                r = mnt_context_set_options(cxt, options);
        if (r == 0)
                r = mnt_context_mount(cxt);
        /* libmount: 0 ok, > 0 a mount(2) errno, < 0 its own negative errno */
        if (r > 0 || (r == 0 && mnt_context_get_status(cxt) != 1))
                e = mnt_context_get_syscall_errno(cxt) ?: EIO;
        else if (r < 0)
                e = -r;
        mnt_free_context(cxt);
        return -e;
}

static const char * const skeleton_ro[] = {
        "bin", "etc/alternatives", "etc/pki/tls/certs", "etc/pki/ca-trust", "etc/ssl/certs",
        "lib", "lib64", "sbin", "usr/bin", "usr/include", "usr/lib", "usr/lib64", "usr/libexec",
        "usr/sbin", "usr/share", "usr/src",
};

static int skeleton_symlink(int root_fd, const char *rel, const char *target) {
        _cleanup_close_ int dfd = -EBADF;
        const char *name;
        int r;

        r = open_parent_in_root(root_fd, rel, &dfd, &name);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, "parent of symlink", rel, r);
        /* an entry the jail already has, link or not, is its own choice and stays */
        if (symlinkat(target, dfd, name) < 0 && errno != EEXIST)
                return helper_fail(HELPER_EXIT_SKELETON, "creating symlink", rel, errno);
        return 0;
}

static int copy_if_absent(int etc_fd, const char *name, const char *host_path) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        char buf[16384];
        ssize_t n;

        in = open(host_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in < 0)
                return errno == ENOENT ? 0 : -errno; /* nothing to copy */
        out = openat(etc_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (out < 0)
                return errno == EEXIST ? 0 : -errno; /* the jail has its own */
        while ((n = read(in, buf, sizeof(buf))) > 0) {
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = write(out, buf + done, (size_t) (n - done));
                        if (w < 0)
                                return -errno;
                        done += w;
                }
        }
        return n < 0 ? -errno : 0;
}

static int mkdir_mode_in_root(int root_fd, const char *path, mode_t mode, const char *step) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = mkdir_p_in_root(root_fd, path, 0755, &fd);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, step, path, r);
        if (fstat(fd, &st) < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "stat", path, errno);
        /* the tmp directories: only ours get 1777; the jail's own modes are its business */
        if (mode != 0755 && st.st_uid == 0 && (st.st_mode & 07777) == 0755) {
                char p[64];
                snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
                if (chmod(p, mode) < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "chmod", path, errno);
        }
        return 0;
}

int jail_skeleton(int root_fd, const char *root) {
        static const char * const copies[] = { "group", "passwd", "resolv.conf", "hosts" };
        _cleanup_close_ int etc_fd = -EBADF;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(skeleton_ro); i++) {
                const char *rel = skeleton_ro[i];
                _cleanup_close_ int src = -EBADF, dst = -EBADF;
                char host[PATH_MAX], target[PATH_MAX];
                struct stat st;

                snprintf(host, sizeof(host), "/%s", rel);
                if (lstat(host, &st) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return helper_fail(HELPER_EXIT_SKELETON, "stat", host, errno);
                }
                if (S_ISLNK(st.st_mode)) {
                        /* merged /usr and the like: the same link in the jail */
                        ssize_t n = readlink(host, target, sizeof(target) - 1);
                        if (n < 0)
                                return helper_fail(HELPER_EXIT_SKELETON, "readlink", host, errno);
                        target[n] = 0;
                        r = skeleton_symlink(root_fd, rel, target);
                        if (r != 0)
                                return r;
                        continue;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;

                r = mkdir_p_in_root(root_fd, rel, 0755, &dst);
                if (r < 0)
                        return fail_in_jail(HELPER_EXIT_SKELETON, "mount point", rel, r);
                src = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (src < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "opening", host, errno);
                r = bind_fd(src, dst, true, true);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "binding read-only", host, r);
        }

        if ((r = mkdir_mode_in_root(root_fd, "etc", 0755, "creating")) != 0 ||
            (r = mkdir_mode_in_root(root_fd, "run", 0755, "creating")) != 0 ||
            (r = mkdir_mode_in_root(root_fd, "usr", 0755, "creating")) != 0 ||
            (r = mkdir_mode_in_root(root_fd, "var/log", 0755, "creating")) != 0 ||
            (r = mkdir_mode_in_root(root_fd, "tmp", 01777, "creating")) != 0 ||
            (r = mkdir_mode_in_root(root_fd, "run/lock", 01777, "creating")) != 0 ||
            (r = mkdir_mode_in_root(root_fd, "var/tmp", 01777, "creating")) != 0)
                return r;
        r = skeleton_symlink(root_fd, "var/lock", "../run/lock");
        if (r != 0)
                return r;

        r = mkdir_p_in_root(root_fd, "etc", 0755, &etc_fd);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, "directory", "etc", r);
        for (size_t i = 0; i < ELEMENTSOF(copies); i++) {
                char host[64];

                snprintf(host, sizeof(host), "/etc/%s", copies[i]);
                r = copy_if_absent(etc_fd, copies[i], host);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "copying", host, r);
        }
        return 0;
}

static int make_node(int dev_fd, const char *name, unsigned maj, unsigned min) {
        if (mknodat(dev_fd, name, S_IFCHR | 0666, makedev(maj, min)) < 0)
                return -errno;
        return 0;
}

int jail_proc_dev(int root_fd, const char *root, gid_t tty_gid) {
        static const struct {
                const char *name;
                unsigned maj, min;
        } nodes[] = {
                { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
                { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
        };
        static const struct {
                const char *name, *target;
        } links[] = {
                { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
                { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
        };
        _cleanup_close_ int proc_fd = -EBADF, dev_fd = -EBADF, pts_fd = -EBADF, shm_fd = -EBADF;
        char opts[128];
        int r;

        r = mkdir_p_in_root(root_fd, "proc", 0755, &proc_fd);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_PROC_DEV, "mount point", "proc", r);
        /* no PID namespace (the command must stay the unit's main PID): hide other users' processes */
        r = mount_fs_fd(proc_fd, "proc", "proc", "nosuid,nodev,noexec,hidepid=invisible");
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting proc on /proc in", root, r);

        r = mkdir_p_in_root(root_fd, "dev", 0755, &dev_fd);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_PROC_DEV, "mount point", "dev", r);
        r = mount_fs_fd(dev_fd, "tmpfs", "tmpfs", "nosuid,noexec,mode=0755,size=1m,nr_inodes=1k");
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting tmpfs on /dev in", root, r);
        /* the fd still names the directory below the new mount: look it up again */
        safe_close(dev_fd);
        dev_fd = openat2_fd(root_fd, "dev", O_PATH | O_DIRECTORY, RESOLVE_JAIL);
        if (dev_fd < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "opening /dev in", root, dev_fd);

        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                r = make_node(dev_fd, nodes[i].name, nodes[i].maj, nodes[i].min);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_PROC_DEV, "creating device /dev/", nodes[i].name, r);
        }
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i].target, dev_fd, links[i].name) < 0)
                        return helper_fail(HELPER_EXIT_PROC_DEV, "creating symlink /dev/", links[i].name, errno);

        if (mkdirat(dev_fd, "pts", 0755) < 0 || mkdirat(dev_fd, "shm", 0755) < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "creating /dev/pts and /dev/shm in", root, errno);
        pts_fd = openat2_fd(dev_fd, "pts", O_PATH | O_DIRECTORY, RESOLVE_JAIL);
        shm_fd = openat2_fd(dev_fd, "shm", O_PATH | O_DIRECTORY, RESOLVE_JAIL);
        if (pts_fd < 0 || shm_fd < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "opening /dev/pts and /dev/shm in", root,
                                   pts_fd < 0 ? pts_fd : shm_fd);
        snprintf(opts, sizeof(opts), "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=%u", (unsigned) tty_gid);
        r = mount_fs_fd(pts_fd, "devpts", "devpts", opts);
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting devpts on /dev/pts in", root, r);
        r = mount_fs_fd(shm_fd, "tmpfs", "tmpfs", "nosuid,nodev,mode=01777");
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting tmpfs on /dev/shm in", root, r);
        return 0;
}

int jail_binds(int root_fd, const Jail *j) {
        for (size_t i = 0; i < j->n_binds; i++) {
                const JailBind *b = &j->binds[i];
                _cleanup_close_ int src = -EBADF, dst = -EBADF;
                struct stat st;
                int r;

                src = open(b->source, O_PATH | O_CLOEXEC);
                if (src < 0) {
                        if (errno == ENOENT && b->ignore_missing)
                                continue;
                        return helper_fail(HELPER_EXIT_BIND, "opening bind source", b->source, errno);
                }
                if (fstat(src, &st) < 0)
                        return helper_fail(HELPER_EXIT_BIND, "stat", b->source, errno);
                if (S_ISDIR(st.st_mode))
                        r = mkdir_p_in_root(root_fd, b->destination, 0755, &dst);
                else
                        r = touch_in_root(root_fd, b->destination, &dst);
                if (r < 0)
                        return fail_in_jail(HELPER_EXIT_BIND, "bind target", b->destination, r);
                r = bind_fd(src, dst, b->recursive, b->read_only);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_BIND, b->read_only ? "binding read-only" : "binding",
                                           b->source, r);
        }
        return 0;
}

int jail_pivot(int root_fd, const char *root) {
        if (fchdir(root_fd) < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "entering", root, errno);
        /* new root and old root on the same directory: no put_old inside the jail needed */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "pivot_root into", root, errno);
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "making the old root a slave", NULL, errno);
        if (umount2(".", MNT_DETACH) < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "detaching the old root", NULL, errno);
        if (chdir("/") < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "chdir", "/", errno);
        return 0;
}
