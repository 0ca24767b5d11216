/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec NAME: resolve the identity on the host, build the tree in a private mount
 * namespace, pivot into it, shed privileges, and become the jail's command. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "jail-exec.h"
#include "jail-mount.h"
#include "parse-util.h"
#include "strv.h"

typedef struct Identity {
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int n_groups;
        char *user;
        char *home;
        gid_t tty_gid;
} Identity;

static void identity_done(Identity *id) {
        free(id->groups);
        free(id->user);
        free(id->home);
}

static bool parse_id(const char *s, uint32_t *ret) {
        uint64_t v;

        if (parse_uint64(s, &v) < 0 || v >= UINT32_MAX)
                return false;
        *ret = (uint32_t) v;
        return true;
}

static int add_group(Identity *id, gid_t g) {
        gid_t *n;

        for (int i = 0; i < id->n_groups; i++)
                if (id->groups[i] == g)
                        return 0;
        n = realloc(id->groups, sizeof(gid_t) * (size_t) (id->n_groups + 1));
        if (!n)
                return -ENOMEM;
        id->groups = n;
        id->groups[id->n_groups++] = g;
        return 0;
}

static int lookup_group(const char *name, gid_t *ret) {
        struct group *gr;
        uint32_t id;

        if (parse_id(name, &id)) {
                *ret = id;
                return 0;
        }
        errno = 0;
        gr = getgrnam(name);
        if (!gr)
                return errno ? -errno : -ESRCH;
        *ret = gr->gr_gid;
        return 0;
}

/* On the host, before the jail exists: NSS needs the host's files and services. */
static int resolve_identity(const Jail *j, Identity *id) {
        struct group *tty;
        int r;

        *id = (Identity) { .uid = 0, .gid = 0, .tty_gid = 5 };
        tty = getgrnam("tty");
        if (tty)
                id->tty_gid = tty->gr_gid;

        if (j->user) {
                struct passwd *pw;
                uint32_t n;

                errno = 0;
                pw = getpwnam(j->user);
                if (!pw && parse_id(j->user, &n)) {
                        errno = 0;
                        pw = getpwuid(n);
                        if (!pw) { /* a bare id without an entry: allowed, as in systemd */
                                id->uid = n;
                                id->gid = n;
                        }
                } else if (!pw)
                        return helper_fail(HELPER_EXIT_USER, "unknown user", j->user, errno ?: 0);
                if (pw) {
                        id->uid = pw->pw_uid;
                        id->gid = pw->pw_gid;
                        id->user = strdup(pw->pw_name);
                        id->home = strdup(pw->pw_dir);
                        if (!id->user || !id->home)
                                return helper_fail(HELPER_EXIT_USER, "resolving user", j->user, ENOMEM);
                        /* the user's own groups, as a login would have them */
                        int ng = 0;
                        (void) getgrouplist(pw->pw_name, pw->pw_gid, NULL, &ng);
                        if (ng > 0) {
                                gid_t *g = calloc((size_t) ng, sizeof(gid_t));
                                if (!g)
                                        return helper_fail(HELPER_EXIT_USER, "resolving groups of", j->user, ENOMEM);
                                if (getgrouplist(pw->pw_name, pw->pw_gid, g, &ng) < 0)
                                        ng = 0;
                                for (int i = 0; i < ng; i++)
                                        if (add_group(id, g[i]) < 0) {
                                                free(g);
                                                return helper_fail(HELPER_EXIT_USER, "resolving groups of", j->user,
                                                                   ENOMEM);
                                        }
                                free(g);
                        }
                }
        }
        if (j->group) {
                r = lookup_group(j->group, &id->gid);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_USER, "unknown group", j->group, r == -ESRCH ? 0 : r);
        }
        STRV_FOREACH(g, j->supplementary_groups) {
                gid_t gid;
                r = lookup_group(*g, &gid);
                if (r < 0)
                        return helper_fail(HELPER_EXIT_USER, "unknown supplementary group", *g, r == -ESRCH ? 0 : r);
                if (add_group(id, gid) < 0)
                        return helper_fail(HELPER_EXIT_USER, "resolving groups", NULL, ENOMEM);
        }
        if (!id->user && asprintf(&id->user, "%s", id->uid == 0 ? "root" : (j->user ?: "root")) < 0)
                return helper_fail(HELPER_EXIT_USER, "resolving user", NULL, ENOMEM);
        if (!id->home && !(id->home = strdup(id->uid == 0 ? "/root" : "/")))
                return helper_fail(HELPER_EXIT_USER, "resolving user", NULL, ENOMEM);
        return 0;
}

static int cap_last(void) {
        char buf[16] = {};
        int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

        safe_close(fd);
        return n > 0 ? atoi(buf) : capability_last();
}

/* Bounding set first: dropping needs CAP_SETPCAP, which we lose with a non-root uid. */
static int drop_bounding_set(uint64_t keep) {
        int last = cap_last();

        for (int c = 0; c <= last && c < 64; c++) {
                if (keep & (UINT64_C(1) << c))
                        continue;
                if (prctl(PR_CAPBSET_DROP, (unsigned long) c, 0, 0, 0) < 0 && errno != EINVAL)
                        return helper_fail(HELPER_EXIT_CAPS, "dropping capability", capability_to_name(c), errno);
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return helper_fail(HELPER_EXIT_CAPS, "clearing ambient capabilities", NULL, errno);
        return 0;
}

/* Effective/permitted limited to the bounding set, nothing inheritable. For a non-root
 * uid setresuid() has emptied them already; for root, execve() would recompute them from
 * the bounding set, but the helper's own remaining steps should hold no more either. */
static int limit_capabilities(uint64_t keep) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        if (syscall(SYS_capget, &h, d) < 0)
                return helper_fail(HELPER_EXIT_CAPS, "reading capabilities", NULL, errno);
        d[0].effective &= (uint32_t) keep;
        d[0].permitted &= (uint32_t) keep;
        d[1].effective &= (uint32_t) (keep >> 32);
        d[1].permitted &= (uint32_t) (keep >> 32);
        d[0].inheritable = d[1].inheritable = 0;
        if (syscall(SYS_capset, &h, d) < 0)
                return helper_fail(HELPER_EXIT_CAPS, "setting capabilities", NULL, errno);
        return 0;
}

static int switch_identity(const Identity *id) {
        if (setgroups((size_t) id->n_groups, id->groups) < 0)
                return helper_fail(HELPER_EXIT_USER, "setgroups", NULL, errno);
        if (setresgid(id->gid, id->gid, id->gid) < 0)
                return helper_fail(HELPER_EXIT_USER, "setresgid", NULL, errno);
        if (setresuid(id->uid, id->uid, id->uid) < 0)
                return helper_fail(HELPER_EXIT_USER, "setresuid", NULL, errno);
        return 0;
}

static unsigned listen_fds(void);

static char **build_environment(const Jail *j, const Identity *id) {
        static const char * const passed[] = { "LISTEN_FDS", "LISTEN_FDNAMES", "INVOCATION_ID" };
        _cleanup_strv_free_ char **env = NULL;
        char *s = NULL;

        if (strv_extend(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
            asprintf(&s, "HOME=%s", id->home) < 0 || strv_consume(&env, s) < 0 ||
            asprintf(&s, "USER=%s", id->user) < 0 || strv_consume(&env, s) < 0 ||
            strv_extend(&env, "LANG=C.UTF-8") < 0)
                return NULL;
        /* socket activation still works through the jail; its PID becomes ours at exec */
        for (size_t i = 0; i < ELEMENTSOF(passed); i++) {
                const char *v = getenv(passed[i]);
                if (i < 2 && listen_fds() == 0)
                        continue; /* not ours: LISTEN_PID names another process */
                if (v && (asprintf(&s, "%s=%s", passed[i], v) < 0 || strv_consume(&env, s) < 0))
                        return NULL;
        }
        if (listen_fds() > 0 && (asprintf(&s, "LISTEN_PID=%d", (int) getpid()) < 0 || strv_consume(&env, s) < 0))
                return NULL;

        /* Environment= last: it overrides the defaults, later assignments win */
        STRV_FOREACH(e, j->environment) {
                size_t k = (size_t) (strchr(*e, '=') - *e) + 1;
                bool replaced = false;

                for (char **o = env; *o; o++)
                        if (strncmp(*o, *e, k) == 0) {
                                char *n = strdup(*e);
                                if (!n)
                                        return NULL;
                                free(*o);
                                *o = n;
                                replaced = true;
                                break;
                        }
                if (!replaced && strv_extend(&env, *e) < 0)
                        return NULL;
        }
        return TAKE_PTR(env);
}

/* Socket activation: fds 3… are the daemon's when LISTEN_PID names us (it will after exec). */
static unsigned listen_fds(void) {
        const char *e = getenv("LISTEN_FDS"), *p = getenv("LISTEN_PID");
        uint64_t n, pid;

        if (e && p && parse_uint64(e, &n) >= 0 && parse_uint64(p, &pid) >= 0 && pid == (uint64_t) getpid() &&
            n < 4096)
                return (unsigned) n;
        return 0;
}

static int close_stray_fds(void) {
        if (close_range(3 + listen_fds(), ~0U, 0) < 0)
                return helper_fail(HELPER_EXIT_EXEC, "closing file descriptors", NULL, errno);
        return 0;
}

/* Run from a terminal (or by "virtualing run"), the jailed command must not keep it as its
 * controlling terminal: with TIOCSTI it could type into the administrator's shell. */
static void detach_terminal(void) {
        int fd;

        if (setsid() >= 0)
                return;
        /* a process group leader cannot setsid(): give the terminal up instead */
        fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return; /* no controlling terminal: nothing to give up */
        /* a session leader giving up its terminal hangs up its foreground group: us */
        (void) signal(SIGHUP, SIG_IGN);
        (void) ioctl(fd, TIOCNOTTY);
        (void) signal(SIGHUP, SIG_DFL);
        safe_close(fd);
}

/* Type=notify: systemd learns that the jail is built just before the command replaces us,
 * so "systemctl start" fails with our message when it is not. The socket is connected
 * here, on the host; after pivot_root its path is out of reach. */
static int notify_open(void) {
        const char *e = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t len;
        int fd;

        if (!e || (e[0] != '/' && e[0] != '@') || strlen(e) >= sizeof(sa.sun_path))
                return -EBADF;
        memcpy(sa.sun_path, e, strlen(e));
        if (sa.sun_path[0] == '@')
                sa.sun_path[0] = 0; /* abstract namespace */
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(e) + (e[0] == '/'));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, len) < 0) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        return fd;
}

static void notify_ready(int fd, const char *command) {
        char msg[512];
        int n;

        if (fd < 0)
                return;
        n = snprintf(msg, sizeof(msg), "READY=1\nSTATUS=Jail built, executing %s", command);
        if (n > 0 && send(fd, msg, (size_t) n < sizeof(msg) ? (size_t) n : sizeof(msg) - 1, MSG_NOSIGNAL) < 0)
                fprintf(stderr, "%s: telling systemd the jail is ready: %m\n", program_invocation_short_name);
}

int jail_exec(const Jail *j) {
        _cleanup_strv_free_ char **env = NULL;
        JailTree tree = { .root_fd = -EBADF };
        int notify_fd = -EBADF;
        Identity id;
        mode_t old_umask;
        int r;

        r = resolve_identity(j, &id);
        if (r != 0) {
                identity_done(&id);
                return r;
        }
        env = build_environment(j, &id);
        if (!env) {
                identity_done(&id);
                return helper_fail(HELPER_EXIT_EXEC, "building the environment", NULL, ENOMEM);
        }

        notify_fd = notify_open();
        if (notify_fd < 0 && notify_fd != -EBADF)
                fprintf(stderr, "%s: connecting to $NOTIFY_SOCKET: %s\n", program_invocation_short_name, strerror(-notify_fd));

        /* explicit modes everywhere below; the daemon gets the umask we were given */
        old_umask = umask(0);

        r = jail_namespace_enter();
        if (r == 0)
                r = jail_tree_open(&tree, j->root);
        if (r == 0 && tree.untrusted && id.uid == 0) {
                /* its owner controls what root would run there (ld.so.preload, the binaries):
                 * root in such a tree is the owner's root, on the host too */
                fprintf(stderr,
                        "%s: refusing to run as root in %s: it is not owned by root or is writable by "
                        "others; set User= to an unprivileged user\n", program_invocation_short_name,
                        j->root);
                r = HELPER_EXIT_USER;
        }
        if (r == 0 && j->skeleton)
                r = jail_skeleton(&tree);
        if (r == 0 && j->skeleton)
                r = jail_proc_dev(&tree, id.tty_gid);
        if (r == 0)
                r = jail_binds(&tree, j);
        if (r == 0)
                r = jail_pivot(&tree);
        jail_tree_done(&tree);
        if (r == 0)
                r = drop_bounding_set(j->capability_bounding_set);
        if (r == 0)
                r = switch_identity(&id);
        if (r == 0)
                r = limit_capabilities(j->capability_bounding_set);
        if (r == 0 && j->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = helper_fail(HELPER_EXIT_CAPS, "setting no_new_privs", NULL, errno);
        if (r == 0 && chdir(j->working_directory ?: "/") < 0)
                r = helper_fail(HELPER_EXIT_CHDIR, "changing to working directory", j->working_directory ?: "/",
                                errno);
        identity_done(&id);
        if (r != 0)
                return r;

        /* the likeliest reason for execve() to fail, found before systemd hears "ready" */
        if (access(j->exec[0], X_OK) < 0)
                return helper_fail(HELPER_EXIT_EXEC, "executing", j->exec[0], errno);
        detach_terminal();
        umask(old_umask);
        notify_ready(notify_fd, j->exec[0]);
        r = close_stray_fds();
        if (r != 0)
                return r;

        execve(j->exec[0], j->exec, env);
        return helper_fail(HELPER_EXIT_EXEC, "executing", j->exec[0], errno);
}
