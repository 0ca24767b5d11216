/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec NAME: resolve the identity on the host, build the tree in private namespaces, pivot
 * into it, shed privileges, and become the jail's command.
 *
 * With a PID namespace (PrivatePIDs=yes, the default) the helper makes two processes:
 *   the init     PID 1 of the namespace, forked first; it creates the namespace's /proc
 *                for the helper and then only reaps orphans (jail-init.c);
 *   the command  PID 2, made after the pivot; it sheds privileges and waits for the go.
 * Under systemd the command is made with CLONE_PARENT: its parent is systemd from the
 * start, which therefore reaps it and sees its real exit status, and takes it as the main
 * process without calling it an alien. The helper tells systemd MAINPID= and READY=1,
 * waits until systemd has read that, lets the command exec, and exits. Run otherwise,
 * the helper is the command's parent and waits for it. */
#include <errno.h>
#include <linux/keyctl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stddef.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "jail-dirs.h"
#include "jail-exec.h"
#include "jail-identity.h"
#include "jail-init.h"
#include "jail-mount.h"
#include "jail-trust.h"
#include "parse-util.h"
#include "strv.h"

#define BARRIER_TIMEOUT_MSEC 25000

typedef struct Exec {
        const Jail *j;
        Identity id;
        char **env;
        unsigned n_listen; /* socket-activated fds from 3 */
        int notify_fd;     /* connected to $NOTIFY_SOCKET, or -EBADF */
        int handover_fd;   /* where the command's PID goes, or -EBADF */
        int journal_fd;    /* O_PATH of journald's stdout socket, when fd 1 or 2 is a stream to it */
        unsigned journal_mask; /* which of them: 1 << 1, 1 << 2 */
        char *notify_inside; /* $NOTIFY_SOCKET for the command, bound into the jail */
        mode_t umask;      /* the daemon's, given to us */
} Exec;

/* Socket activation: fds 3… are the daemon's when LISTEN_PID names us (the helper). */
static unsigned listen_fds(void) {
        const char *e = getenv("LISTEN_FDS"), *p = getenv("LISTEN_PID");
        uint64_t n, pid;

        if (e && p && parse_uint64(e, &n) >= 0 && parse_uint64(p, &pid) >= 0 && pid == (uint64_t) getpid() &&
            n < 4096)
                return (unsigned) n;
        return 0;
}

/* KEY=VALUE replaces an assignment of KEY, or is added. */
static int env_set(char ***env, const char *assignment) {
        size_t k = (size_t) (strchr(assignment, '=') - assignment) + 1;
        char *n = strdup(assignment);

        if (!n)
                return -ENOMEM;
        for (char **o = *env; o && *o; o++)
                if (strncmp(*o, assignment, k) == 0) {
                        free(*o);
                        *o = n;
                        return 0;
                }
        return strv_consume(env, n);
}

static char **build_environment(const Jail *j, const Identity *id, unsigned n_listen) {
        static const char * const passed[] = { "LISTEN_FDS", "LISTEN_FDNAMES", "INVOCATION_ID" };
        _cleanup_strv_free_ char **env = NULL;
        char *s = NULL;

        if (strv_extend(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
            asprintf(&s, "HOME=%s", id->home) < 0 || strv_consume(&env, s) < 0 ||
            asprintf(&s, "USER=%s", id->user) < 0 || strv_consume(&env, s) < 0 ||
            strv_extend(&env, "LANG=C.UTF-8") < 0)
                return NULL;
        /* socket activation still works through the jail; LISTEN_PID is set just before exec */
        for (size_t i = 0; i < ELEMENTSOF(passed); i++) {
                const char *v = getenv(passed[i]);
                if (i < 2 && n_listen == 0)
                        continue; /* not ours: LISTEN_PID names another process */
                if (v && (asprintf(&s, "%s=%s", passed[i], v) < 0 || strv_consume(&env, s) < 0))
                        return NULL;
        }
        /* Environment= last: it overrides the defaults, later assignments win */
        STRV_FOREACH(e, j->environment)
                if (env_set(&env, *e) < 0)
                        return NULL;
        return TAKE_PTR(env);
}

static int close_stray_fds(unsigned n_listen) {
        if (close_range(3 + n_listen, ~0U, 0) < 0)
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

/* ---- systemd's notification socket, connected on the host: after pivot_root its path is
 * out of reach */

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

/* One message, with FD attached when not negative. */
static int send_with_fd(int sock, const void *data, size_t size, int fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) data, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *c;
                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control.buf);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

/* Receives one message of at most SIZE bytes and the fd it carries (-EBADF if none).
 * Returns the number of bytes, 0 at the end, or a negative errno. */
static ssize_t recv_with_fd(int sock, void *data, size_t size, int *ret_fd) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = data, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t n;

        *ret_fd = -EBADF;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
                        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        return n;
}

static void notify_send(int fd, const char *msg) {
        int r = send_with_fd(fd, msg, strlen(msg), -EBADF);
        if (r < 0)
                log_error("telling systemd '%.*s': %s", (int) strcspn(msg, "\n"), msg, strerror(-r));
}

/* BARRIER=1 with a pipe's write end: systemd closes it once it has read everything sent
 * before, so the main PID has changed when this returns. */
static int notify_barrier(int fd) {
        _cleanup_close_ int rd = -EBADF;
        struct pollfd p;
        int pipefd[2], r;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        rd = pipefd[0];
        r = send_with_fd(fd, "BARRIER=1", 9, pipefd[1]);
        safe_close(pipefd[1]);
        if (r < 0)
                return r;
        p = (struct pollfd) { .fd = rd, .events = 0 };
        do
                r = poll(&p, 1, BARRIER_TIMEOUT_MSEC);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        return r == 0 ? -ETIMEDOUT : 0;
}

static void notify_ready(int fd, pid_t main_pid, const char *command) {
        char msg[512];

        if (fd < 0)
                return;
        if (main_pid > 0)
                snprintf(msg, sizeof(msg), "MAINPID=%d\nREADY=1\nSTATUS=Jail built, running %s", (int) main_pid,
                         command);
        else
                snprintf(msg, sizeof(msg), "READY=1\nSTATUS=Jail built, executing %s", command);
        notify_send(fd, msg);
}

/* ---- the command's own stream to the journal */

/* Which of stdout and stderr are the journal stream systemd gave us ($JOURNAL_STREAM). */
static unsigned journal_streams(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        unsigned mask = 0;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return 0;
        for (int fd = 1; fd <= 2; fd++) {
                struct stat st;
                if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev && st.st_ino == ino)
                        mask |= 1U << fd;
        }
        return mask;
}

/* The journal names a stream's lines after what the stream's first line says, and gives
 * them the PID of whoever connected it. systemd connected ours for the helper: the command
 * connects its own, as itself, through the socket's inode (opened on the host), so that its
 * lines read "nginx[PID]" whatever the jail holds. */
static void journal_reconnect(Exec *x) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char header[512], env[64];
        const char *ident;
        struct stat st;
        int fd, n;

        if (x->journal_fd < 0)
                return;
        ident = strrchr(x->j->exec[0], '/');
        ident = ident ? ident + 1 : x->j->exec[0];
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", x->journal_fd);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return;
        /* identifier, unit, priority (info), level prefix, no forwarding: as sd_journal_stream_fd() */
        n = snprintf(header, sizeof(header), "%s\n\n6\n1\n0\n0\n0\n", ident);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || shutdown(fd, SHUT_RD) < 0 ||
            n <= 0 || (size_t) n >= sizeof(header) || write(fd, header, (size_t) n) != n || fstat(fd, &st) < 0) {
                /* keep the helper's stream: the lines still arrive, under its name */
                safe_close(fd);
                return;
        }
        for (int i = 1; i <= 2; i++)
                if (x->journal_mask & (1U << i))
                        (void) dup3(fd, i, 0);
        safe_close(fd);
        snprintf(env, sizeof(env), "JOURNAL_STREAM=%llu:%llu", (unsigned long long) st.st_dev,
                 (unsigned long long) st.st_ino);
        (void) env_set(&x->env, env);
}

/* ---- the tree */

/* /proc of the jail's PID namespace, made by its init: the helper is not in that namespace. */
static int receive_proc(const Exec *x, int sock, int *ret_mnt) {
        int err = 0, fd;
        ssize_t n = recv_with_fd(sock, &err, sizeof(err), &fd);

        if (n != sizeof(err) || err != 0 || fd < 0) {
                safe_close(fd);
                return helper_fail(HELPER_EXIT_PROC_DEV, "creating the proc instance of the jail's PID namespace for",
                                   x->j->root, n < 0 ? (int) n : err ?: EIO);
        }
        *ret_mnt = fd;
        return 0;
}

/* Type=notify daemons inside: systemd's notification socket at /run/host/notify (systemd
 * takes from the command what it sends, the command being the main process). */
static int bind_notify_socket(Exec *x, JailTree *t) {
        const char *e = getenv("NOTIFY_SOCKET");
        int r;

        if (!e)
                return 0;
        if (e[0] == '@') /* abstract: the jail shares the network namespace where it lives */
                return asprintf(&x->notify_inside, "NOTIFY_SOCKET=%s", e) < 0 ?
                        helper_fail(HELPER_EXIT_SKELETON, "building the environment", NULL, ENOMEM) : 0;
        r = jail_bind_host_socket(t, e, "/run/host/notify");
        if (r != 0)
                return r;
        if (!(x->notify_inside = strdup("NOTIFY_SOCKET=/run/host/notify")))
                return helper_fail(HELPER_EXIT_SKELETON, "building the environment", NULL, ENOMEM);
        return 0;
}

/* PROC_SOCK: where the init sends the jail's /proc, or -EBADF to make one with hidepid. */
static int build_tree(Exec *x, int proc_sock) {
        _cleanup_close_ int proc_mnt = -EBADF;
        const Jail *j = x->j;
        JailTree tree = { .root_fd = -EBADF };
        int r;

        r = jail_tree_open(&tree, j->root);
        if (r == 0 && tree.untrusted && x->id.uid == 0) {
                /* its owner controls what root would run there (ld.so.preload, the binaries):
                 * root in such a tree is the owner's root, on the host too */
                log_error("refusing to run as root in %s: it is not owned by root or is writable by "
                          "others; set User= to an unprivileged user", j->root);
                r = HELPER_EXIT_USER;
        }
        if (r == 0 && j->skeleton)
                r = jail_skeleton(&tree, j);
        if (r == 0 && j->skeleton && proc_sock >= 0)
                r = receive_proc(x, proc_sock, &proc_mnt);
        if (r == 0 && j->skeleton)
                r = jail_proc_dev(&tree, x->id.tty_gid, proc_mnt, j->bind_log_sockets);
        if (r == 0)
                r = jail_directories(&tree, j, &x->id);
        if (r == 0 && x->notify_fd >= 0 && j->skeleton)
                r = bind_notify_socket(x, &tree);
        if (r == 0)
                r = jail_binds(&tree, j);
        /* with the tree complete: may root start a program in it? */
        if (r == 0 && (x->id.uid == 0 || (!j->no_new_privileges && !tree.untrusted))) {
                _cleanup_free_ char *bad = NULL;
                const char *why = NULL;

                r = jail_trust_check(&tree, j, x->id.uid == 0, &bad, &why);
                if (r < 0)
                        r = helper_fail(HELPER_EXIT_ROOT, "checking the ownership of the jail's files in", j->root, r);
                else if (r > 0 && x->id.uid == 0) {
                        log_error("refusing to run as root in %s: %s is %s; what starts the command must be "
                                  "root's and not writable by group or others, or set User=", j->root, bad, why);
                        r = HELPER_EXIT_USER;
                } else if (r > 0)
                        /* a set-user-ID program would load what its owner does not control */
                        r = jail_tree_make_nosuid(&tree);
        }
        if (r == 0)
                r = jail_pivot(&tree);
        jail_tree_done(&tree);
        return r;
}

/* The last steps of the command's process before execve(): privileges, directory, checks. */
static int prepare_command(Exec *x) {
        const Jail *j = x->j;
        int r;

        r = privileges_drop(&x->id, j->capability_bounding_set, j->no_new_privileges);
        if (r != 0)
                return r;
        /* as the command's user: the journal records who connected */
        journal_reconnect(x);
        if (x->notify_inside && env_set(&x->env, x->notify_inside) < 0)
                return helper_fail(HELPER_EXIT_EXEC, "building the environment", NULL, ENOMEM);
        /* a session keyring of its own, the user's, linked to nothing: not its starter's
         * (systemd's KeyringMode=private); where keyrings are unavailable, there is none */
        (void) syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0UL, 0UL, 0UL, 0UL);
        if (chdir(j->working_directory ?: "/") < 0)
                return helper_fail(HELPER_EXIT_CHDIR, "changing to working directory", j->working_directory ?: "/",
                                   errno);
        /* the likeliest reason for execve() to fail, found before systemd hears "ready" */
        if (access(j->exec[0], X_OK) < 0)
                return helper_fail(HELPER_EXIT_EXEC, "executing", j->exec[0], errno);
        detach_terminal();
        return 0;
}

static int exec_command(Exec *x) {
        char pid[32];
        int r;

        if (x->n_listen > 0) {
                snprintf(pid, sizeof(pid), "LISTEN_PID=%d", (int) getpid());
                if (env_set(&x->env, pid) < 0)
                        return helper_fail(HELPER_EXIT_EXEC, "building the environment", NULL, ENOMEM);
        }
        umask(x->umask);
        r = close_stray_fds(x->n_listen);
        if (r != 0)
                return r;
        execve(x->j->exec[0], x->j->exec, x->env);
        return helper_fail(HELPER_EXIT_EXEC, "executing", x->j->exec[0], errno);
}

/* PrivatePIDs=no: this process builds the jail and becomes the command. */
static int exec_direct(Exec *x) {
        int r;

        r = jail_namespace_enter(x->j->private_ipc ? CLONE_NEWIPC : 0);
        if (r == 0)
                r = build_tree(x, -EBADF);
        if (r == 0)
                r = prepare_command(x);
        if (r != 0)
                return r;
        notify_ready(x->notify_fd, 0, x->j->exec[0]);
        x->notify_fd = safe_close(x->notify_fd);
        return exec_command(x);
}

/* ---- with a PID namespace */

/* The init: the first process of the namespace. Makes its /proc, hands it to the builder,
 * and once it gets the command's pidfd, becomes the init. */
_noreturn_ static void init_main(const Exec *x, int sock) {
        _cleanup_close_ int mnt = -EBADF;
        int err = 0, pidfd;
        char c;

        /* the pivot moves a working directory that is the old root; any other would stay behind */
        if (chdir("/") < 0)
                _exit(EXIT_FAILURE);
        err = -jail_proc_new(false, &mnt);
        if (send_with_fd(sock, &err, sizeof(err), mnt) < 0)
                _exit(EXIT_FAILURE);
        mnt = safe_close(mnt);
        if (recv_with_fd(sock, &c, 1, &pidfd) != 1 || pidfd < 0)
                _exit(EXIT_SUCCESS); /* the builder failed: no command, no namespace */
        jail_init_run(pidfd, &x->id);
}

/* The command: sheds privileges, says it is ready (one zero byte on STATUS_FD, or its exit
 * status on failure), waits for the helper's go-ahead on GO_FD, and becomes the command. */
_noreturn_ static void command_main(Exec *x, int status_fd, int go_fd) {
        unsigned char s;
        ssize_t n;
        char c;
        int r;

        r = prepare_command(x);
        s = (unsigned char) r;
        if (write(status_fd, &s, 1) != 1 || r != 0)
                _exit(r ?: HELPER_EXIT_EXEC);
        safe_close(status_fd);
        do
                n = read(go_fd, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(HELPER_EXIT_EXEC); /* the helper gave up or died: no command */
        _exit(exec_command(x));
}

/* An exit status as a shell reports it, for a wait status. */
static int status_of(int status) {
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The command ended with STATUS: end the same way, dying of its signal where we can. */
static int end_like(int status, const sigset_t *blocked) {
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                sigset_t one;

                (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* its core was its own business */
                (void) signal(sig, SIG_DFL);
                sigemptyset(&one);
                sigaddset(&one, sig);
                (void) sigprocmask(SIG_UNBLOCK, &one, NULL);
                (void) kill(getpid(), sig);
                (void) sigprocmask(SIG_SETMASK, blocked, NULL);
        }
        return status_of(status);
}

/* Waiting for the command (no systemd to hand it to): signals are passed on to it. */
static int wait_command(pid_t command, const sigset_t *mask, const sigset_t *saved) {
        for (;;) {
                siginfo_t si;
                int status;
                pid_t p;

                if (sigwaitinfo(mask, &si) < 0) {
                        if (errno == EINTR)
                                continue;
                        return helper_fail(HELPER_EXIT_EXEC, "waiting for the command", NULL, errno);
                }
                if (si.si_signo != SIGCHLD) {
                        /* the command leads its own session: its group is what a terminal would signal */
                        if (kill(-command, si.si_signo) < 0)
                                (void) kill(command, si.si_signo);
                        continue;
                }
                while ((p = waitpid(-1, &status, WNOHANG)) > 0)
                        if (p == command) {
                                /* the init follows it at once: reap it too, leave no zombie */
                                while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                                        ;
                                return end_like(status, saved);
                        }
                if (p < 0 && errno == ECHILD)
                        return helper_fail(HELPER_EXIT_EXEC, "waiting for the command", NULL, ECHILD);
        }
}

/* fork(), or with CLONE_PARENT a child of our parent; either way a pidfd for it. */
static pid_t clone_command(bool sibling, int *ret_pidfd) {
        struct clone_args args = {
                .flags = CLONE_PIDFD | (sibling ? CLONE_PARENT : 0),
                .pidfd = (uint64_t) (uintptr_t) ret_pidfd,
                .exit_signal = sibling ? 0 : SIGCHLD, /* a sibling's is ours: SIGCHLD to systemd */
        };

        return (pid_t) syscall(SYS_clone3, &args, sizeof(args));
}

static int run_in_pid_namespace(Exec *x, int host_mnt, int host_pid) {
        static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
        _cleanup_close_ int sock = -EBADF, go_wr = -EBADF, status_rd = -EBADF, pidfd = -EBADF;
        unsigned long ns = CLONE_NEWPID | (x->j->private_ipc ? CLONE_NEWIPC : 0);
        bool handover = x->notify_fd >= 0 || x->handover_fd >= 0;
        int fds[2], go_rd, status_wr, r;
        sigset_t mask, saved;
        pid_t init, command;
        unsigned char s;
        ssize_t n;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "creating a socket pair", NULL, errno);
        sock = fds[0];
        /* the namespaces are ours, the PID one for our children only: we stay where systemd sees us */
        r = jail_namespace_enter(ns);
        if (r != 0)
                return r;
        fflush(NULL);
        init = fork();
        if (init < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "starting the jail's init", NULL, errno);
        if (init == 0) {
                safe_close(sock);
                safe_close(host_mnt);
                safe_close(host_pid);
                x->notify_fd = safe_close(x->notify_fd);
                x->handover_fd = safe_close(x->handover_fd);
                init_main(x, fds[1]);
        }
        safe_close(fds[1]);

        r = build_tree(x, sock);
        if (r != 0)
                return r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return helper_fail(HELPER_EXIT_EXEC, "creating a pipe", NULL, errno);
        go_rd = fds[0];
        go_wr = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0) {
                safe_close(go_rd);
                return helper_fail(HELPER_EXIT_EXEC, "creating a pipe", NULL, errno);
        }
        status_rd = fds[0];
        status_wr = fds[1];

        /* waiting ourselves, the signals we pass on are taken as events from here */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(&mask, forwarded[i]);
        sigaddset(&mask, SIGCHLD);
        if (!handover && sigprocmask(SIG_BLOCK, &mask, &saved) < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "blocking signals", NULL, errno);

        fflush(NULL);
        command = clone_command(handover, &pidfd);
        if (command < 0)
                return helper_fail(HELPER_EXIT_EXEC, "starting the command", NULL, errno);
        if (command == 0) {
                if (!handover)
                        (void) sigprocmask(SIG_SETMASK, &saved, NULL);
                safe_close(sock);
                safe_close(host_mnt);
                safe_close(host_pid);
                safe_close(go_wr);
                safe_close(status_rd);
                x->notify_fd = safe_close(x->notify_fd);
                x->handover_fd = safe_close(x->handover_fd);
                command_main(x, status_wr, go_rd);
        }
        safe_close(go_rd);
        safe_close(status_wr);
        /* back to the host: the jail is built and its processes are made; a helper that waits
         * for the command has no business inside it */
        if (setns(host_mnt, CLONE_NEWNS) < 0 || setns(host_pid, CLONE_NEWPID) < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "returning to the host's namespaces", NULL, errno);

        /* the init ends with the command: give it what tells it so */
        r = send_with_fd(sock, "g", 1, pidfd);
        if (r < 0) {
                (void) kill(command, SIGKILL);
                return helper_fail(HELPER_EXIT_EXEC, "handing the command to the jail's init", NULL, r);
        }
        do
                n = read(status_rd, &s, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1 || s != 0)
                return n == 1 ? s : HELPER_EXIT_EXEC; /* it said what failed */

        if (x->notify_fd >= 0) {
                notify_ready(x->notify_fd, command, x->j->exec[0]);
                r = notify_barrier(x->notify_fd);
                if (r < 0)
                        log_warning("waiting for systemd to take the command as main process: %s", strerror(-r));
        } else if (x->handover_fd >= 0 && write(x->handover_fd, &command, sizeof(command)) != sizeof(command)) {
                (void) kill(command, SIGKILL);
                return helper_fail(HELPER_EXIT_EXEC, "passing on the command's PID", NULL, errno);
        }
        if (write(go_wr, "g", 1) != 1)
                return helper_fail(HELPER_EXIT_EXEC, "starting the command", NULL, errno);
        if (handover)
                _exit(EXIT_SUCCESS);
        return wait_command(command, &mask, &saved);
}

static int exec_in_pid_namespace(Exec *x) {
        _cleanup_close_ int host_mnt = -EBADF, host_pid = -EBADF;
        int r;

        host_mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        host_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (host_mnt < 0 || host_pid < 0)
                return helper_fail(HELPER_EXIT_NAMESPACE, "opening the host's namespaces", NULL, errno);
        r = run_in_pid_namespace(x, host_mnt, host_pid);
        /* failed on the way: leave the half-built jail (a sanitizer's exit handler forks too) */
        (void) setns(host_mnt, CLONE_NEWNS);
        (void) setns(host_pid, CLONE_NEWPID);
        return r;
}

int jail_exec(const Jail *j, unsigned flags, int handover_fd) {
        Exec x = { .j = j, .notify_fd = -EBADF, .handover_fd = handover_fd, .journal_fd = -EBADF };
        int r;

        r = identity_resolve(j, &x.id);
        if (r != 0) {
                identity_done(&x.id);
                return r;
        }
        x.n_listen = listen_fds();
        x.env = build_environment(j, &x.id, x.n_listen);
        if (!x.env) {
                identity_done(&x.id);
                return helper_fail(HELPER_EXIT_EXEC, "building the environment", NULL, ENOMEM);
        }
        if (flags & JAIL_EXEC_NOTIFY) {
                x.notify_fd = notify_open();
                if (x.notify_fd < 0 && x.notify_fd != -EBADF)
                        log_error("connecting to $NOTIFY_SOCKET: %s", strerror(-x.notify_fd));
        }
        x.journal_fd = -EBADF;
        x.journal_mask = journal_streams();
        if (x.journal_mask) {
                x.journal_fd = open("/run/systemd/journal/stdout", O_PATH | O_CLOEXEC);
                if (x.journal_fd < 0)
                        x.journal_mask = 0;
        }
        /* explicit modes everywhere below; the command gets the umask we were given */
        x.umask = umask(0);

        r = j->private_pids ? exec_in_pid_namespace(&x) : exec_direct(&x);
        safe_close(x.notify_fd);
        safe_close(x.journal_fd);
        free(x.notify_inside);
        strv_free(x.env);
        identity_done(&x.id);
        return r;
}
