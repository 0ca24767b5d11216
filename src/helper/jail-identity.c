/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User=, Group= and SupplementaryGroups= looked up on the host, and the switch to them. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "jail-identity.h"
#include "parse-util.h"
#include "strv.h"

void identity_done(Identity *id) {
        free(id->groups);
        free(id->user);
        free(id->home);
        *id = (Identity) {};
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

/* The user's own groups, as a login would have them. */
static int add_login_groups(Identity *id, const struct passwd *pw) {
        _cleanup_free_ gid_t *g = NULL;
        int ng = 0;

        (void) getgrouplist(pw->pw_name, pw->pw_gid, NULL, &ng);
        if (ng <= 0)
                return 0;
        g = calloc((size_t) ng, sizeof(gid_t));
        if (!g)
                return -ENOMEM;
        if (getgrouplist(pw->pw_name, pw->pw_gid, g, &ng) < 0)
                ng = 0;
        for (int i = 0; i < ng; i++)
                if (add_group(id, g[i]) < 0)
                        return -ENOMEM;
        return 0;
}

int identity_resolve(const Jail *j, Identity *id) {
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
                        if (!id->user || !id->home || add_login_groups(id, pw) < 0)
                                return helper_fail(HELPER_EXIT_USER, "resolving user", j->user, ENOMEM);
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
        if (!id->user && asprintf(&id->user, "%s", id->uid == 0 ? "root" : (j->user ?: "root")) < 0) {
                id->user = NULL;
                return helper_fail(HELPER_EXIT_USER, "resolving user", NULL, ENOMEM);
        }
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

int privileges_drop(const Identity *id, uint64_t keep, bool no_new_privileges) {
        int r;

        r = drop_bounding_set(keep);
        if (r == 0)
                r = switch_identity(id);
        if (r == 0)
                r = limit_capabilities(keep);
        if (r == 0 && no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = helper_fail(HELPER_EXIT_CAPS, "setting no_new_privs", NULL, errno);
        return r;
}
