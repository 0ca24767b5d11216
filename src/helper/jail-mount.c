/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount sequence. The jail tree may belong to a less trusted user, who may also race
 * us while we work. So: every path in the tree is opened from the fd of a mount we made,
 * one component at a time, following no symlink and crossing no mount; every mount goes
 * onto the fd that was opened, and new filesystems are filled through their own mount fd
 * before they are attached; what we create in a directory tree we create with the
 * filesystem identity of that tree's owner, so a directory moved away under us only ever
 * receives what its owner could have put there anyway. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "jail-mount.h"

#define RESOLVE_JAIL (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH | RESOLVE_NO_XDEV)

static int openat2_fd(int dirfd, const char *path, int flags, unsigned long long resolve) {
        struct open_how how = {
                .flags = (unsigned long long) (flags | O_CLOEXEC),
                .resolve = resolve,
        };
        int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

static const char *skip_slashes(const char *p) {
        while (*p == '/')
                p++;
        return p;
}

/* ELOOP: a symlink; EXDEV: ".." or a mount we did not make. Say so plainly. */
static int fail_in_jail(int status, const char *what, const char *rel, int r) {
        char path[PATH_MAX + 2];

        snprintf(path, sizeof(path), "/%s", skip_slashes(rel));
        if (r == -ELOOP) {
                log_error("%s %s: a symlink inside the jail, refusing to follow it", what,
                        path);
                return status;
        }
        if (r == -EXDEV) {
                log_error("%s %s: crosses a mount point or leaves the jail, refusing", what,
                        path);
                return status;
        }
        return helper_fail(status, what, path, r);
}

/* Creation as someone else: the fsuid also drops DAC_OVERRIDE and friends for the call. */
static void become(uid_t uid, gid_t gid) {
        (void) setfsgid(gid);
        (void) setfsuid(uid);
}

static void become_root(void) {
        (void) setfsuid(0);
        (void) setfsgid(0);
}

static int record_mount(JailTree *t, const char *dest, int fd) {
        JailMount *n = realloc(t->mounts, sizeof(JailMount) * (t->n_mounts + 1));
        struct stat st;

        if (!n)
                return -ENOMEM;
        t->mounts = n;
        if (fstat(fd, &st) < 0)
                return -errno;
        n[t->n_mounts] = (JailMount) { .dest = strdup(dest), .fd = fcntl(fd, F_DUPFD_CLOEXEC, 3), .uid = st.st_uid,
                                       .gid = st.st_gid };
        if (!n[t->n_mounts].dest || n[t->n_mounts].fd < 0) {
                free(n[t->n_mounts].dest);
                safe_close(n[t->n_mounts].fd);
                return -ENOMEM;
        }
        t->n_mounts++;
        return 0;
}

/* The deepest mount of ours that PATH lies in, and the rest of PATH below it. */
static const JailMount *mount_for(const JailTree *t, const char *path, const char **ret_rel) {
        const JailMount *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < t->n_mounts; i++) {
                const char *d = t->mounts[i].dest;
                size_t n = streq(d, "/") ? 0 : strlen(d);

                if (n > 0 && (strncmp(path, d, n) != 0 || (path[n] != '/' && path[n] != 0)))
                        continue;
                if (!best || n >= best_len) {
                        best = &t->mounts[i];
                        best_len = n;
                }
        }
        *ret_rel = skip_slashes(path + best_len);
        return best;
}

enum { WALK_DIR, WALK_FILE, WALK_PARENT };

/* Opens PATH (inside the jail) as a directory, creating missing directories (the last
 * one with FINAL_MODE); WALK_FILE makes the last component an empty file instead, and
 * WALK_PARENT stops before it, returning its name. */
static int walk(JailTree *t, const char *path, int kind, mode_t final_mode, int *ret_fd, const char **ret_name) {
        _cleanup_free_ char *copy = NULL;
        _cleanup_close_ int fd = -EBADF;
        const JailMount *m;
        const char *rel;
        char *p, *next, *save = NULL;

        m = mount_for(t, path, &rel);
        if (!m)
                return -EXDEV;
        copy = strdup(rel);
        if (!copy)
                return -ENOMEM;
        fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;

        for (p = strtok_r(copy, "/", &save); p; p = next) {
                bool last;
                int nfd;

                next = strtok_r(NULL, "/", &save);
                last = !next;
                if (streq(p, ".") || streq(p, ".."))
                        return -EXDEV;
                if (last && kind == WALK_PARENT) {
                        *ret_name = rel + (p - copy);
                        break;
                }
                nfd = openat2_fd(fd, p, O_PATH | O_NOFOLLOW | (last && kind == WALK_FILE ? 0 : O_DIRECTORY),
                                 RESOLVE_JAIL);
                if (nfd == -ENOENT) {
                        int k;

                        become(m->uid, m->gid);
                        if (last && kind == WALK_FILE) {
                                k = openat(fd, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
                                safe_close(k);
                        } else
                                k = mkdirat(fd, p, last ? final_mode : 0755);
                        k = k < 0 && errno != EEXIST ? -errno : 0;
                        become_root();
                        if (k < 0)
                                return k;
                        nfd = openat2_fd(fd, p, O_PATH | O_NOFOLLOW | (last && kind == WALK_FILE ? 0 : O_DIRECTORY),
                                         RESOLVE_JAIL);
                }
                if (nfd == -ENOTDIR) {
                        /* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR: call it what it is */
                        struct stat lst;
                        if (fstatat(fd, p, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode))
                                nfd = -ELOOP;
                }
                if (nfd < 0)
                        return nfd;
                if (last && kind == WALK_FILE) {
                        struct stat st;
                        int k = fstat(nfd, &st) < 0 ? -errno : S_ISLNK(st.st_mode) ? -ELOOP : S_ISDIR(st.st_mode) ? -EISDIR : 0;
                        if (k < 0) {
                                safe_close(nfd);
                                return k;
                        }
                }
                safe_close(fd);
                fd = nfd;
        }
        if (kind == WALK_PARENT && !*ret_name)
                return -EINVAL;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int jail_namespace_enter(unsigned long extra) {
        if (unshare(CLONE_NEWNS | extra) < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE,
                                   extra ? "creating the jail's namespaces" : "creating a mount namespace", NULL, errno);
        /* slave: host mounts still show up, ours never travel back */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "making / a recursive slave", NULL, errno);
        return 0;
}

/* A directory (or symlink in it) is trusted when root owns it and nobody else may change
 * it; in a sticky world-writable directory only root's own entries are. */
static bool entry_trusted(const struct stat *dir, const struct stat *entry) {
        if (dir->st_uid != 0)
                return false;
        if (!(dir->st_mode & (S_IWGRP | S_IWOTH)))
                return true;
        return (dir->st_mode & S_ISVTX) && entry->st_uid == 0;
}

/* Walks Root as written. A symlink on the way is followed only if root put it in a trusted
 * directory; then the walk starts over on its target, checking that too. */
static int open_root_checked(const char *root, int *ret_fd, struct stat *ret_st) {
        _cleanup_free_ char *path = strdup(root);

        if (!path)
                return helper_fail(HELPER_EXIT_ROOT, "resolving", root, ENOMEM);
        for (unsigned hops = 0;; hops++) {
                _cleanup_free_ char *copy = strdup(path), *walked = calloc(1, strlen(path) + 2);
                _cleanup_close_ int fd = -EBADF;
                struct stat prev, st;
                char *p, *next, *save = NULL;
                bool restarted = false;

                if (!copy || !walked)
                        return helper_fail(HELPER_EXIT_ROOT, "resolving", root, ENOMEM);
                if (hops > 32)
                        return helper_fail(HELPER_EXIT_ROOT, "resolving the jail root", root, ELOOP);
                fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || fstat(fd, &prev) < 0)
                        return helper_fail(HELPER_EXIT_ROOT, "opening", "/", errno);

                for (p = strtok_r(copy, "/", &save); p; p = next) {
                        bool last;
                        int nfd;

                        next = strtok_r(NULL, "/", &save);
                        last = !next;
                        /* the directory we are in must be root's and closed to others (or
                         * sticky, then what we find in it must be root's): name it if not */
                        if (prev.st_uid != 0)
                                return helper_fail(HELPER_EXIT_ROOT,
                                                   "refusing jail root: a directory above it is not owned by root:",
                                                   walked[0] ? walked : "/", 0);
                        if ((prev.st_mode & (S_IWGRP | S_IWOTH)) && !(prev.st_mode & S_ISVTX))
                                return helper_fail(HELPER_EXIT_ROOT,
                                                   "refusing jail root: a directory above it is writable by group or others:",
                                                   walked[0] ? walked : "/", 0);
                        strcat(walked, "/");
                        strcat(walked, p);
                        nfd = openat(fd, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        if (nfd < 0 && errno == ENOENT) {
                                /* as "mkdir -p": root's, in a directory found trusted */
                                if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST)
                                        return helper_fail(HELPER_EXIT_ROOT,
                                                           last ? "creating the jail root" : "creating a parent of the jail root",
                                                           walked, errno);
                                nfd = openat(fd, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        }
                        if (nfd < 0)
                                return helper_fail(HELPER_EXIT_ROOT, last ? "opening the jail root" : "opening", walked,
                                                   errno);
                        safe_close(fd);
                        fd = nfd;
                        if (fstat(fd, &st) < 0)
                                return helper_fail(HELPER_EXIT_ROOT, "stat", walked, errno);
                        if (!entry_trusted(&prev, &st))
                                return helper_fail(HELPER_EXIT_ROOT,
                                                   "refusing jail root: not root's, in a directory others may write to:",
                                                   walked, 0);
                        if (S_ISLNK(st.st_mode)) {
                                char target[PATH_MAX];
                                ssize_t n;
                                char *np = NULL;

                                if (last)
                                        return helper_fail(HELPER_EXIT_ROOT,
                                                           "refusing jail root: it is a symlink; give its real path:",
                                                           walked, 0);
                                if (st.st_uid != 0)
                                        return helper_fail(HELPER_EXIT_ROOT,
                                                           "refusing jail root: a symlink above it is not owned by root:",
                                                           walked, 0);
                                n = readlinkat(fd, "", target, sizeof(target) - 1);
                                if (n < 0)
                                        return helper_fail(HELPER_EXIT_ROOT, "readlink", walked, errno);
                                target[n] = 0;
                                if (target[0] != '/') /* relative: from the directory holding the link */
                                        walked[strlen(walked) - strlen(p) - 1] = 0;
                                else
                                        walked[0] = 0;
                                if (asprintf(&np, "%s/%s/%s", walked, target, path + (next - copy)) < 0)
                                        np = NULL;
                                if (!np)
                                        return helper_fail(HELPER_EXIT_ROOT, "resolving", root, ENOMEM);
                                free(path);
                                path = np;
                                restarted = true;
                                break;
                        }
                        if (!S_ISDIR(st.st_mode))
                                return helper_fail(HELPER_EXIT_ROOT, last ? "the jail root" : "opening", walked, ENOTDIR);
                        prev = st;
                }
                if (restarted)
                        continue;
                *ret_st = st;
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
}

int jail_tree_open(JailTree *t, const char *root) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_NODEV };
        _cleanup_close_ int fd = -EBADF, tree = -EBADF;
        struct stat st;
        int r;

        *t = (JailTree) { .root = root, .root_fd = -EBADF };
        r = open_root_checked(root, &fd, &st);
        if (r != 0)
                return r;
        t->owner = st.st_uid;
        t->owner_gid = st.st_gid;
        t->untrusted = st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH));
        if (t->untrusted)
                attr.attr_set |= MOUNT_ATTR_NOSUID;

        /* pivot_root needs a mount point: a clone of the root, attached onto itself */
        tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (tree < 0)
                return helper_fail(HELPER_EXIT_ROOT, "cloning the jail root", root, errno);
        if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return helper_fail(HELPER_EXIT_ROOT, "setting nodev on the jail root", root, errno);
        if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return helper_fail(HELPER_EXIT_ROOT, "binding the jail root onto itself", root, errno);
        r = record_mount(t, "/", tree);
        if (r < 0)
                return helper_fail(HELPER_EXIT_ROOT, "recording", root, r);
        t->mounts[0].uid = t->owner; /* the tree's owner creates in the tree */
        t->mounts[0].gid = t->owner_gid;
        t->root_fd = TAKE_FD(tree);
        return 0;
}

void jail_tree_done(JailTree *t) {
        for (size_t i = 0; i < t->n_mounts; i++) {
                free(t->mounts[i].dest);
                safe_close(t->mounts[i].fd);
        }
        free(t->mounts);
        t->mounts = NULL;
        t->n_mounts = 0;
        t->system_mnt_ids = mfree(t->system_mnt_ids);
        t->n_system_mnt_ids = 0;
        t->root_fd = safe_close(t->root_fd);
}

static int mount_id_of(int fd, uint64_t *ret) {
        struct statx sx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
                return -errno;
        if (!(sx.stx_mask & STATX_MNT_ID))
                return -EOPNOTSUPP;
        *ret = sx.stx_mnt_id;
        return 0;
}

static int record_system_mount(JailTree *t, int fd) {
        uint64_t *n, id = 0;
        int r;

        r = mount_id_of(fd, &id);
        if (r < 0)
                return r;
        n = realloc(t->system_mnt_ids, sizeof(uint64_t) * (t->n_system_mnt_ids + 1));
        if (!n)
                return -ENOMEM;
        t->system_mnt_ids = n;
        n[t->n_system_mnt_ids++] = id;
        return 0;
}

bool jail_tree_is_system_mount(const JailTree *t, uint64_t mnt_id) {
        for (size_t i = 0; i < t->n_system_mnt_ids; i++)
                if (t->system_mnt_ids[i] == mnt_id)
                        return true;
        return false;
}

int jail_tree_make_nosuid(JailTree *t) {
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID };

        if (mount_setattr(t->root_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return helper_fail(HELPER_EXIT_ROOT, "making the jail root nosuid:", t->root, errno);
        return 0;
}

/* Bind SOURCE_FD (host) onto TARGET_FD (jail). Attributes go on the detached clone, so
 * the mount is never visible writable; private, so host mounts added later under a
 * read-only source do not show up writable inside. */
static int bind_fd(int source_fd, int target_fd, bool recursive, bool read_only, int *ret_tree) {
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0),
                .propagation = MS_PRIVATE,
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
        if (ret_tree)
                *ret_tree = TAKE_FD(tree);
        return 0;
}

/* A new filesystem, configured and mounted detached: filled through the returned fd
 * before anyone can see it. OPTS: key, value pairs, NULL-terminated. */
static int fs_new(const char *type, const char * const *opts, unsigned attrs, int *ret_mnt) {
        _cleanup_close_ int fs = -EBADF;
        int mnt;

        fs = fsopen(type, FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        for (size_t i = 0; opts && opts[i]; i += 2)
                if (fsconfig(fs, FSCONFIG_SET_STRING, opts[i], opts[i + 1], 0) < 0)
                        return -errno;
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
        if (mnt < 0)
                return -errno;
        *ret_mnt = mnt;
        return 0;
}

static int attach(int mnt, int target_fd) {
        if (move_mount(mnt, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

static const char * const skeleton_ro[] = {
        "/bin", "/etc/alternatives", "/etc/pki/tls/certs", "/etc/pki/ca-trust", "/etc/ssl/certs",
        "/lib", "/lib64", "/sbin", "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib64", "/usr/libexec",
        "/usr/sbin", "/usr/share", "/usr/src",
};

static int skeleton_symlink(JailTree *t, const char *path, const char *target) {
        _cleanup_close_ int dfd = -EBADF;
        const char *name = NULL, *rel;
        const JailMount *m = mount_for(t, path, &rel);
        int r;

        r = walk(t, path, WALK_PARENT, 0, &dfd, &name);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, "parent of symlink", path, r);
        /* an entry the jail already has, link or not, is its own choice and stays */
        become(m->uid, m->gid);
        r = symlinkat(target, dfd, name) < 0 && errno != EEXIST ? -errno : 0;
        become_root();
        if (r < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "creating symlink", path, r);
        return 0;
}

static int copy_if_absent(JailTree *t, int etc_fd, const char *name, const char *host_path) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        char buf[16384];
        ssize_t n;

        in = open(host_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (in < 0)
                return errno == ENOENT ? 0 : -errno; /* nothing to copy */
        become(t->mounts[0].uid, t->mounts[0].gid);
        out = openat(etc_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        n = out < 0 ? -errno : 0;
        become_root();
        if (out < 0)
                return n == -EEXIST ? 0 : (int) n; /* the jail has its own */
        while ((n = read(in, buf, sizeof(buf))) > 0)
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = write(out, buf + done, (size_t) (n - done));
                        if (w < 0)
                                return -errno;
                        done += w;
                }
        return n < 0 ? -errno : 0;
}

/* Small files of the host's /etc that ordinary programs read (name service, time zone,
 * the linker's cache, identity of the machine), bound read-only unless the jail has its
 * own. The list is what stock daemons open (virtualing-helper(8) names them). */
static const char * const etc_binds[] = {
        "nsswitch.conf", "host.conf", "gai.conf", "services", "protocols", "ld.so.cache", "localtime",
        "hostname", "machine-id", "mime.types", "login.defs", "shells", "ssl/openssl.cnf",
};

/* The host file bound onto a file of the jail's /etc, unless the jail has that file: an
 * empty regular file (a mount point left by an earlier start) counts as none. */
static int skeleton_etc_bind(JailTree *t, int etc_fd, const char *name) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        char host[PATH_MAX], jail[PATH_MAX];
        struct stat st;
        int r;

        snprintf(host, sizeof(host), "/etc/%s", name);
        snprintf(jail, sizeof(jail), "/etc/%s", name);
        /* the link resolved: localtime -> /usr/share/zoneinfo/… becomes that file */
        src = open(host, O_PATH | O_CLOEXEC);
        if (src < 0)
                return errno == ENOENT ? 0 : helper_fail(HELPER_EXIT_SKELETON, "opening", host, errno);
        if (fstat(src, &st) < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "stat", host, errno);
        if (!S_ISREG(st.st_mode))
                return 0;
        if (fstatat(etc_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (!S_ISREG(st.st_mode) || st.st_size > 0)
                        return 0; /* the jail's own */
        } else if (errno == ENOENT && strchr(name, '/')) {
                char parent[PATH_MAX];
                snprintf(parent, sizeof(parent), "%.*s", (int) (strrchr(name, '/') - name), name);
                if (fstatat(etc_fd, parent, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        return 0; /* in a directory the jail does not have: not ours to make */
        } else if (errno == ENOTDIR)
                return 0;
        else if (errno != ENOENT)
                return helper_fail(HELPER_EXIT_SKELETON, "stat in the jail", jail, errno);
        r = walk(t, jail, WALK_FILE, 0, &dst, NULL);
        if (r == -ELOOP || r == -EISDIR)
                return 0; /* changed under us into something of the jail's own */
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, "mount point", jail, r);
        r = bind_fd(src, dst, false, true, NULL);
        if (r < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "binding read-only", host, r);
        return 0;
}

/* A host socket (systemd's journal, its notification socket) onto a file inside the jail. */
int jail_bind_host_socket(JailTree *t, const char *host, const char *jail) {
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        struct stat st;
        int r;

        src = open(host, O_PATH | O_CLOEXEC);
        if (src < 0)
                return errno == ENOENT ? 0 : helper_fail(HELPER_EXIT_SKELETON, "opening", host, errno);
        if (fstat(src, &st) < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "stat", host, errno);
        if (!S_ISSOCK(st.st_mode))
                return 0;
        r = walk(t, jail, WALK_FILE, 0755, &dst, NULL);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, "mount point", jail, r);
        r = bind_fd(src, dst, false, false, NULL);
        if (r < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "binding", host, r);
        return 0;
}

static bool jail_binds_path(const Jail *j, const char *path) {
        for (size_t i = 0; i < j->n_binds; i++)
                if (streq(j->binds[i].destination, path))
                        return true;
        return false;
}

/* /run belongs to this run of the jail: a fresh tmpfs, with lock/ in it. */
static int skeleton_run(JailTree *t) {
        static const char * const opts[] = { "mode", "0755", NULL };
        _cleanup_close_ int dst = -EBADF, mnt = -EBADF;
        int r;

        r = walk(t, "/run", WALK_DIR, 0755, &dst, NULL);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, "mount point", "/run", r);
        r = fs_new("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &mnt);
        if (r < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "creating the tmpfs for /run of", t->root, r);
        if (mkdirat(mnt, "lock", 01777) < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "creating /run/lock in", t->root, errno);
        r = attach(mnt, dst);
        if (r < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "mounting tmpfs on /run in", t->root, r);
        r = record_mount(t, "/run", mnt);
        if (r < 0)
                return helper_fail(HELPER_EXIT_SKELETON, "recording", "/run", r);
        return 0;
}

int jail_skeleton(JailTree *t, const Jail *j) {
        static const struct {
                const char *path;
                mode_t mode;
        } dirs[] = {
                { "/etc", 0755 }, { "/usr", 0755 }, { "/var/log", 0755 }, { "/tmp", 01777 }, { "/var/tmp", 01777 },
        };
        static const char * const copies[] = { "group", "passwd", "resolv.conf", "hosts" };
        static const char * const log_sockets[] = {
                "/run/systemd/journal/socket", "/run/systemd/journal/stdout", "/run/systemd/journal/dev-log",
        };
        _cleanup_close_ int etc_fd = -EBADF;
        bool own_run;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(skeleton_ro); i++) {
                const char *host = skeleton_ro[i];
                _cleanup_close_ int src = -EBADF, dst = -EBADF, tree = -EBADF;
                char target[PATH_MAX];
                struct stat st;

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
                        r = skeleton_symlink(t, host, target);
                        if (r != 0)
                                return r;
                        continue;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;

                r = walk(t, host, WALK_DIR, 0755, &dst, NULL);
                if (r < 0)
                        return fail_in_jail(HELPER_EXIT_SKELETON, "mount point", host, r);
                src = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (src < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "opening", host, errno);
                r = bind_fd(src, dst, true, true, &tree);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "binding read-only", host, r);
                r = record_mount(t, host, tree);
                if (r >= 0)
                        r = record_system_mount(t, tree);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "recording", host, r);
        }

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_close_ int fd = -EBADF;
                r = walk(t, dirs[i].path, WALK_DIR, dirs[i].mode, &fd, NULL);
                if (r < 0)
                        return fail_in_jail(HELPER_EXIT_SKELETON, "creating", dirs[i].path, r);
        }
        /* a Bind= onto /run provides it; otherwise it is this run's own */
        own_run = !jail_binds_path(j, "/run");
        if (own_run)
                r = skeleton_run(t);
        else {
                _cleanup_close_ int fd = -EBADF;
                r = walk(t, "/run/lock", WALK_DIR, 01777, &fd, NULL);
                if (r < 0)
                        r = fail_in_jail(HELPER_EXIT_SKELETON, "creating", "/run/lock", r);
        }
        if (r != 0)
                return r;
        r = skeleton_symlink(t, "/var/lock", "../run/lock");
        if (r == 0)
                r = skeleton_symlink(t, "/var/run", "../run");
        if (r != 0)
                return r;

        r = walk(t, "/etc", WALK_DIR, 0755, &etc_fd, NULL);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_SKELETON, "directory", "/etc", r);
        /* an fd of /etc obtained with O_PATH cannot be used for creation: reopen it */
        {
                int d = openat2_fd(etc_fd, ".", O_RDONLY | O_DIRECTORY, 0);
                if (d < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "opening", "/etc", d);
                safe_close(etc_fd);
                etc_fd = d;
        }
        for (size_t i = 0; i < ELEMENTSOF(copies); i++) {
                char host[64];

                snprintf(host, sizeof(host), "/etc/%s", copies[i]);
                r = copy_if_absent(t, etc_fd, copies[i], host);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_SKELETON, "copying", host, r);
        }
        for (size_t i = 0; i < ELEMENTSOF(etc_binds); i++) {
                r = skeleton_etc_bind(t, etc_fd, etc_binds[i]);
                if (r != 0)
                        return r;
        }
        /* syslog(3), sd_journal_print(3) and sd_journal_stream_fd(3) inside reach the host's journal */
        for (size_t i = 0; j->bind_log_sockets && own_run && i < ELEMENTSOF(log_sockets); i++) {
                r = jail_bind_host_socket(t, log_sockets[i], log_sockets[i]);
                if (r != 0)
                        return r;
        }
        return 0;
}

/* Parts of /proc that change the host for every process of uid 0: read-only, as
 * systemd's ProtectKernelTunables= does. */
static const char * const proc_read_only[] = {
        "sys", "sysrq-trigger", "irq", "bus", "fs", "latency_stats", "timer_list", "mtrr", "acpi", "asound",
};

static int proc_protect(int proc_fd) {
        for (size_t i = 0; i < ELEMENTSOF(proc_read_only); i++) {
                _cleanup_close_ int fd = -EBADF, tree = -EBADF;
                struct mount_attr attr = {
                        .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                };

                fd = openat2_fd(proc_fd, proc_read_only[i], O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
                if (tree < 0)
                        return -errno;
                if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                        return -errno;
                if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        return -errno;
        }
        return 0;
}

int jail_proc_new(bool hidepid, int *ret_mnt) {
        static const char * const hidepid_opts[] = { "hidepid", "invisible", NULL };
        _cleanup_close_ int mnt = -EBADF;
        int r;

        r = fs_new("proc", hidepid ? hidepid_opts : NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                   &mnt);
        if (r < 0)
                return r;
        *ret_mnt = TAKE_FD(mnt);
        return 0;
}

int jail_proc_dev(JailTree *t, gid_t tty_gid, int proc_mnt_given, bool dev_log) {
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
        static const char * const dev_opts[] = { "mode", "0755", "size", "1m", "nr_inodes", "1k", NULL };
        static const char * const shm_opts[] = { "mode", "01777", NULL };
        _cleanup_close_ int proc_fd = -EBADF, proc_mnt = -EBADF, dev_fd = -EBADF, dev_mnt = -EBADF,
                            pts_fd = -EBADF, pts_mnt = -EBADF, shm_fd = -EBADF, shm_mnt = -EBADF;
        char gid[16];
        const char *pts_opts[] = { "ptmxmode", "0666", "mode", "0620", "gid", gid, NULL };
        int r;

        r = walk(t, "/proc", WALK_DIR, 0755, &proc_fd, NULL);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_PROC_DEV, "mount point", "/proc", r);
        if (proc_mnt_given >= 0)
                proc_mnt = fcntl(proc_mnt_given, F_DUPFD_CLOEXEC, 3);
        else {
                /* no PID namespace of its own: hide other users' processes */
                r = jail_proc_new(true, &proc_mnt);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_PROC_DEV, "creating a proc instance for", t->root, r);
        }
        if (proc_mnt < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "creating a proc instance for", t->root, errno);
        r = attach(proc_mnt, proc_fd);
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting proc on /proc in", t->root, r);
        /* once attached: before 6.12 a detached mount cannot be cloned from */
        r = proc_protect(proc_mnt);
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "making kernel tunables read-only in /proc of", t->root, r);

        /* /dev: a tmpfs filled through its own fd before it is attached */
        r = walk(t, "/dev", WALK_DIR, 0755, &dev_fd, NULL);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_PROC_DEV, "mount point", "/dev", r);
        r = fs_new("tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &dev_mnt);
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "creating the tmpfs for /dev of", t->root, r);
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++)
                if (mknodat(dev_mnt, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
                        return helper_fail(HELPER_EXIT_PROC_DEV, "creating device /dev/", nodes[i].name, errno);
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i].target, dev_mnt, links[i].name) < 0)
                        return helper_fail(HELPER_EXIT_PROC_DEV, "creating symlink /dev/", links[i].name, errno);
        if (dev_log && symlinkat("/run/systemd/journal/dev-log", dev_mnt, "log") < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "creating symlink /dev/", "log", errno);
        if (mkdirat(dev_mnt, "pts", 0755) < 0 || mkdirat(dev_mnt, "shm", 0755) < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "creating /dev/pts and /dev/shm in", t->root, errno);
        r = attach(dev_mnt, dev_fd);
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting tmpfs on /dev in", t->root, r);

        /* below it, our own tmpfs: nobody else can move anything there */
        pts_fd = openat2_fd(dev_mnt, "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW, RESOLVE_JAIL);
        shm_fd = openat2_fd(dev_mnt, "shm", O_PATH | O_DIRECTORY | O_NOFOLLOW, RESOLVE_JAIL);
        if (pts_fd < 0 || shm_fd < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "opening /dev/pts and /dev/shm in", t->root,
                                   pts_fd < 0 ? pts_fd : shm_fd);
        snprintf(gid, sizeof(gid), "%u", (unsigned) tty_gid);
        r = fs_new("devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &pts_mnt);
        if (r >= 0)
                r = attach(pts_mnt, pts_fd);
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting devpts on /dev/pts in", t->root, r);
        r = fs_new("tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &shm_mnt);
        if (r >= 0)
                r = attach(shm_mnt, shm_fd);
        if (r < 0)
                return helper_fail(HELPER_EXIT_PROC_DEV, "mounting tmpfs on /dev/shm in", t->root, r);
        return 0;
}

int jail_bind_fd(JailTree *t, int src, const char *dest, bool read_only) {
        _cleanup_close_ int dst = -EBADF, tree = -EBADF;
        struct stat st;
        int r;

        if (fstat(src, &st) < 0)
                return helper_fail(HELPER_EXIT_BIND, "stat of the source of", dest, errno);
        r = walk(t, dest, S_ISDIR(st.st_mode) ? WALK_DIR : WALK_FILE, 0755, &dst, NULL);
        if (r < 0)
                return fail_in_jail(HELPER_EXIT_BIND, "bind target", dest, r);
        r = bind_fd(src, dst, false, read_only, &tree);
        if (r < 0)
                return helper_fail(HELPER_EXIT_BIND, read_only ? "binding read-only onto" : "binding onto", dest, r);
        if (S_ISDIR(st.st_mode)) {
                r = record_mount(t, dest, tree);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_BIND, "recording", dest, r);
        }
        return 0;
}

int jail_binds(JailTree *t, const Jail *j) {
        for (size_t i = 0; i < j->n_binds; i++) {
                const JailBind *b = &j->binds[i];
                _cleanup_close_ int src = -EBADF, dst = -EBADF, tree = -EBADF;
                struct stat st;
                int r;

                /* the source is the administrator's path on the host */
                src = open(b->source, O_PATH | O_CLOEXEC);
                if (src < 0) {
                        if (errno == ENOENT && b->ignore_missing)
                                continue;
                        return helper_fail(HELPER_EXIT_BIND, "opening bind source", b->source, errno);
                }
                if (fstat(src, &st) < 0)
                        return helper_fail(HELPER_EXIT_BIND, "stat", b->source, errno);
                r = walk(t, b->destination, S_ISDIR(st.st_mode) ? WALK_DIR : WALK_FILE, 0755, &dst, NULL);
                if (r < 0)
                        return fail_in_jail(HELPER_EXIT_BIND, "bind target", b->destination, r);
                r = bind_fd(src, dst, b->recursive, b->read_only, &tree);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_BIND, b->read_only ? "binding read-only" : "binding", b->source, r);
                if (S_ISDIR(st.st_mode)) {
                        /* binds nested below this one start their walk here */
                        r = record_mount(t, b->destination, tree);
                        if (r < 0)
                                return helper_fail(HELPER_EXIT_BIND, "recording", b->destination, r);
                }
        }
        return 0;
}

int jail_pivot(JailTree *t) {
        if (fchdir(t->root_fd) < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "entering", t->root, errno);
        /* new root and old root on the same directory: no put_old inside the jail needed */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "pivot_root into", t->root, errno);
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "making the old root a slave", NULL, errno);
        if (umount2(".", MNT_DETACH) < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "detaching the old root", NULL, errno);
        if (chdir("/") < 0)
                return helper_fail(HELPER_EXIT_PIVOT, "chdir", "/", errno);
        return 0;
}
