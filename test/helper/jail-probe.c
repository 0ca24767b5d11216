/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a jailed process can reach of the host: each probe tries one thing and prints one
 * line, "PROBE: reached DETAIL" or "PROBE: refused ERRNO". Bound into test jails by
 * test-boundary.sh; some probes are also run on the host to set things up. */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

static const char *probe;

static int reached(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int reached(const char *fmt, ...) {
        va_list ap;

        printf("%s: reached", probe);
        if (fmt && *fmt) {
                putchar(' ');
                va_start(ap, fmt);
                vprintf(fmt, ap);
                va_end(ap);
        }
        putchar('\n');
        return 0;
}

static int refused(int err) {
        printf("%s: refused %s\n", probe, strerrorname_np(err) ?: "?");
        return 0;
}

static pid_t pid_arg(const char *s) {
        /* a number, or a file that holds one (written by the host after the jail started) */
        if (s[0] == '/') {
                FILE *f;
                long v = 0;
                for (int i = 0; i < 100; i++) {
                        f = fopen(s, "re");
                        if (f) {
                                int n = fscanf(f, "%ld", &v);
                                fclose(f);
                                if (n == 1)
                                        return (pid_t) v;
                        }
                        usleep(50000);
                }
                fprintf(stderr, "no pid in %s\n", s);
                exit(2);
        }
        return (pid_t) atol(s);
}

static int raise_effective(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};

        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        d[0].effective = d[0].permitted;
        d[1].effective = d[1].permitted;
        if (syscall(SYS_capset, &h, d) < 0)
                return -errno;
        return 0;
}

/* The first reviewer's attack: keep the capabilities across a switch to the uid of a host
 * process, take CAP_DAC_OVERRIDE back, and go through that process's /proc/PID/root. */
static int become_keep_caps(uid_t uid, gid_t gid) {
        if (setresgid(gid, gid, gid) < 0 || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(uid, uid, uid) < 0)
                return -errno;
        return raise_effective();
}

static int p_procroot(int argc, char **argv, bool create) {
        char path[4096];
        int fd, r;

        if (argc != 3 || !strchr(argv[0], ':'))
                return 2;
        r = become_keep_caps((uid_t) atol(argv[0]), (gid_t) atol(strchr(argv[0], ':') + 1));
        if (r < 0) {
                fprintf(stderr, "switching uid and gid: %s\n", strerror(-r));
                return 2;
        }
        snprintf(path, sizeof(path), "/proc/%d/root%s", (int) pid_arg(argv[1]), argv[2]);
        if (create) {
                char file[4200];
                snprintf(file, sizeof(file), "%s/escaped-%d", path, (int) getpid());
                fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0)
                        return refused(errno);
                close(fd);
                return reached("created %s", file);
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return refused(errno);
        {
                char buf[256] = {};
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n > 0)
                        buf[strcspn(buf, "\n")] = 0;
                return reached("%s", n > 0 ? buf : "");
        }
}

static int p_ptrace(pid_t pid) {
        int status;

        if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
                return refused(errno);
        (void) waitpid(pid, &status, __WALL);
        (void) ptrace(PTRACE_DETACH, pid, NULL, NULL);
        return reached("attached to %d", (int) pid);
}

static int p_read(const char *path) {
        static char buf[65536];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return refused(errno);
        memset(buf, 0, sizeof(buf));
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0) {
                int e = errno;
                close(fd);
                return refused(e);
        }
        close(fd);
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == 0 || buf[i] == '\n')
                        buf[i] = ' ';
        return reached("%s", buf);
}

static int p_write(const char *path) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return refused(errno);
        close(fd);
        return reached("%s is writable", path);
}

static int p_kill(pid_t pid, int sig) {
        if (kill(pid, sig) < 0)
                return refused(errno);
        if (pid == 1 && sig == SIGKILL) {
                /* had it died, the kernel would have killed us with the rest of the namespace */
                usleep(300000);
                printf("%s: init survived\n", probe);
                return 0;
        }
        return reached("signal %d to %d", sig, (int) pid);
}

static int p_pids(void) {
        DIR *d = opendir("/proc");
        struct dirent *de;

        if (!d)
                return refused(errno);
        printf("%s:", probe);
        while ((de = readdir(d)))
                if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
                        printf(" %s", de->d_name);
        putchar('\n');
        closedir(d);
        return 0;
}

static int p_handle(void) {
        struct {
                struct file_handle h;
                unsigned char f[128];
        } fh = { .h.handle_bytes = 128 };
        int mount_id, fd;

        if (name_to_handle_at(AT_FDCWD, "/", &fh.h, &mount_id, 0) < 0)
                return refused(errno);
        fd = open_by_handle_at(AT_FDCWD, &fh.h, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return refused(errno);
        close(fd);
        return reached("open_by_handle_at");
}

static int p_abstract(const char *name) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        size_t n = strlen(name);

        if (fd < 0 || n + 1 > sizeof(sa.sun_path))
                return 2;
        memcpy(sa.sun_path + 1, name, n);
        if (connect(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0)
                return refused(errno);
        close(fd);
        return reached("@%s", name);
}

static long keyctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d) {
        return syscall(SYS_keyctl, op, a, b, c, d);
}

/* KEYRING is "session" or "user": the key "user:DESC" found there and read. */
static int p_key(const char *keyring, const char *desc) {
        long ring = strcmp(keyring, "session") == 0 ? KEY_SPEC_SESSION_KEYRING : KEY_SPEC_USER_KEYRING;
        char buf[256] = {};
        long id, n;

        /* a determined reader first links the keyring into its own session keyring: what is
         * found through a keyring one holds is one's own to read */
        if (ring == KEY_SPEC_USER_KEYRING)
                (void) keyctl(KEYCTL_LINK, (unsigned long) KEY_SPEC_USER_KEYRING, (unsigned long) KEY_SPEC_SESSION_KEYRING,
                              0, 0);
        id = keyctl(KEYCTL_SEARCH, (unsigned long) ring, (unsigned long) "user", (unsigned long) desc, 0);
        if (id < 0)
                return refused(errno);
        n = keyctl(KEYCTL_READ, (unsigned long) id, (unsigned long) buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return refused(errno);
        return reached("%.*s", (int) (n < (long) sizeof(buf) ? n : (long) sizeof(buf) - 1), buf);
}

/* On the host: a key in root's user keyring or in the session keyring. */
static int p_addkey(const char *keyring, const char *desc, const char *data) {
        long ring = strcmp(keyring, "session") == 0 ? KEY_SPEC_SESSION_KEYRING : KEY_SPEC_USER_KEYRING;
        long id = syscall(SYS_add_key, "user", desc, data, strlen(data), ring);

        if (id < 0)
                return refused(errno);
        /* readable by its possessor, as keyctl's default; "user" may only view it */
        (void) keyctl(KEYCTL_SETPERM, (unsigned long) id, 0x3f010000, 0, 0);
        return reached("key %ld", id);
}

static int p_raw(const char *kind) {
        int fd = strcmp(kind, "packet") == 0 ? socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)
                 : strcmp(kind, "ping") == 0 ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP)
                                             : socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
        if (fd < 0)
                return refused(errno);
        close(fd);
        return reached("%s socket", kind);
}

static int p_mount(const char *type, const char *where) {
        if (mount(type, where, type, 0, NULL) < 0)
                return refused(errno);
        return reached("%s on %s", type, where);
}

static int p_shm(const char *key) {
        int id = shmget((key_t) strtol(key, NULL, 0), 0, 0);

        if (id < 0)
                return refused(errno);
        return reached("segment %d", id);
}

/* On the host: a System V shared memory segment of that key. */
static int p_shmcreate(const char *key) {
        int id = shmget((key_t) strtol(key, NULL, 0), 4096, IPC_CREAT | 0600);

        if (id < 0)
                return refused(errno);
        return reached("segment %d", id);
}

static int p_setns(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return refused(errno);
        if (setns(fd, 0) < 0)
                return refused(errno);
        return reached("%s", path);
}

/* Where does PATH lead: to the jail's own root (the same inode as "/"), or elsewhere? */
static int p_where(const char *path) {
        struct stat a, b;

        if (stat("/", &a) < 0)
                return 2;
        if (stat(path, &b) < 0)
                return refused(errno);
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                printf("%s: jail-root\n", probe);
                return 0;
        }
        return reached("%s is not the jail's root", path);
}

/* A unix socket at PATH that answers one client with "hello", for a peer outside the jail. */
static int p_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

        if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
                return 2;
        strcpy(sa.sun_path, path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
                return refused(errno);
        printf("%s: listening on %s\n", probe, path);
        c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return refused(errno);
        if (write(c, "hello\n", 6) != 6)
                return refused(errno);
        close(c);
        return reached("a client connected");
}

static int p_sleep(void) {
        pause();
        return 0;
}

int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc < 2) {
                fprintf(stderr, "usage: jail-probe PROBE [ARGS...]\n");
                return 2;
        }
        probe = argv[1];
        argc -= 2;
        argv += 2;
        if (!strcmp(probe, "procroot"))
                return p_procroot(argc, argv, false);
        if (!strcmp(probe, "procroot-create"))
                return p_procroot(argc, argv, true);
        if (!strcmp(probe, "ptrace") && argc == 1)
                return p_ptrace(pid_arg(argv[0]));
        if (!strcmp(probe, "environ") && argc == 1) {
                char p[64];
                snprintf(p, sizeof(p), "/proc/%d/environ", (int) pid_arg(argv[0]));
                return p_read(p);
        }
        if (!strcmp(probe, "read") && argc == 1)
                return p_read(argv[0]);
        if (!strcmp(probe, "write") && argc == 1)
                return p_write(argv[0]);
        if (!strcmp(probe, "kill") && argc == 2)
                return p_kill(pid_arg(argv[0]), atoi(argv[1]));
        if (!strcmp(probe, "pids"))
                return p_pids();
        if (!strcmp(probe, "handle"))
                return p_handle();
        if (!strcmp(probe, "abstract") && argc == 1)
                return p_abstract(argv[0]);
        if (!strcmp(probe, "key") && argc == 2)
                return p_key(argv[0], argv[1]);
        if (!strcmp(probe, "addkey") && argc == 3)
                return p_addkey(argv[0], argv[1], argv[2]);
        if (!strcmp(probe, "raw") && argc == 1)
                return p_raw(argv[0]);
        if (!strcmp(probe, "mount") && argc == 2)
                return p_mount(argv[0], argv[1]);
        if (!strcmp(probe, "shm") && argc == 1)
                return p_shm(argv[0]);
        if (!strcmp(probe, "shmcreate") && argc == 1)
                return p_shmcreate(argv[0]);
        if (!strcmp(probe, "setns") && argc == 1)
                return p_setns(argv[0]);
        if (!strcmp(probe, "where") && argc == 1)
                return p_where(argv[0]);
        if (!strcmp(probe, "in-session") && argc >= 1) {
                /* a session keyring shared by everything the test starts, as a login has one */
                if (keyctl(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long) "virtualing-test", 0, 0, 0) < 0)
                        return refused(errno);
                execv(argv[0], argv);
                return refused(errno);
        }
        if (!strcmp(probe, "listen") && argc == 1)
                return p_listen(argv[0]);
        if (!strcmp(probe, "sleep"))
                return p_sleep();
        fprintf(stderr, "jail-probe: unknown probe or wrong arguments: %s\n", probe);
        return 2;
}
