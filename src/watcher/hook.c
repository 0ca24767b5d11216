/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"
#include "strv.h"

#define HOOK_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Everything one run needs, copied at fire time: the jail may be gone when it runs. */
typedef struct HookParams {
        char *jail, *unit, *cgroup, *direction;
        char ***commands;
        size_t n_commands;
        usec_t timeout;
        HookValues values; /* .direction is NULL: the copy is the field above */
} HookParams;

/* One (jail, event) key. Exists only while a run is in progress, so the list stays as
 * short as the number of busy keys, whatever jails came and went. */
typedef struct Hook {
        HookRunner *runner;
        struct Hook *next;
        JailEvent event;
        HookParams *current; /* the run in progress; current->jail is the key */
        HookParams *pending; /* one more run with the latest values, or NULL */
        size_t index;        /* the command of current running */
        pid_t pid;           /* also its process group */
        bool timed_out;
        sd_event_source *child_source, *timer_source;
} Hook;

struct HookRunner {
        sd_event *event;
        Hook *hooks;
        size_t n_running;
        HookStats stats;
        hook_notify_t notify; /* told of each run started and each command failed */
        void *notify_userdata;
        sd_event_source **orphans; /* reap the leftovers killed; freed once they are reaped */
        size_t n_orphans, n_orphans_alloc;
};

static void count_run(HookRunner *runner, const HookParams *p) {
        runner->stats.started++;
        if (runner->notify)
                runner->notify(p->jail, false, runner->notify_userdata);
}

static void count_failure(HookRunner *runner, const HookParams *p) {
        runner->stats.failed++;
        if (runner->notify)
                runner->notify(p->jail, true, runner->notify_userdata);
}

static HookParams *params_free(HookParams *p) {
        if (!p)
                return NULL;
        free(p->jail);
        free(p->unit);
        free(p->cgroup);
        free(p->direction);
        for (size_t i = 0; i < p->n_commands; i++)
                strv_free(p->commands[i]);
        free(p->commands);
        return mfree(p);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(HookParams *, params_free);

static int params_new(const char *jail, const char *unit, const char *cgroup, char ***commands, size_t n_commands,
                      usec_t timeout, const HookValues *values, HookParams **ret) {
        _cleanup_(params_freep) HookParams *p = NULL;

        p = calloc(1, sizeof(HookParams));
        if (!p)
                return -ENOMEM;
        p->jail = strdup(jail);
        p->unit = strdup(unit ?: "");
        p->cgroup = strdup(cgroup ?: "");
        p->direction = strdup(values->direction ?: "");
        p->commands = calloc(n_commands, sizeof(char **));
        if (!p->jail || !p->unit || !p->cgroup || !p->direction || !p->commands)
                return -ENOMEM;
        for (; p->n_commands < n_commands; p->n_commands++) {
                p->commands[p->n_commands] = strv_copy(commands[p->n_commands]);
                if (!p->commands[p->n_commands])
                        return -ENOMEM;
        }
        p->timeout = timeout == 0 ? USEC_INFINITY : timeout; /* 0 means none, as in systemd */
        p->values = *values;
        p->values.direction = NULL;

        *ret = TAKE_PTR(p);
        return 0;
}

_printf_(2, 3) static void log_hook(const Hook *h, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&msg, fmt, ap);
        va_end(ap);
        log_warning("hook for %s/%s: %s", h->current->jail, jail_event_to_string(h->event), n >= 0 ? msg : fmt);
}

static void kill_group(pid_t pid) {
        /* The child may not have called setsid() yet: then the group does not exist. */
        if (kill(-pid, SIGKILL) < 0 && errno == ESRCH)
                (void) kill(pid, SIGKILL);
}

/* The session of PID, from /proc/PID/stat (its sixth field), or -1. */
static pid_t session_of(pid_t pid) {
        char path[64], buf[1024], *p;
        int sid = -1;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof(buf) - 1);
        (void) close(fd);
        if (n <= 0)
                return -1;
        buf[n] = 0;
        p = strrchr(buf, ')'); /* the command name may hold anything but ends at the last ')' */
        if (!p || sscanf(p + 1, " %*c %*d %*d %d", &sid) != 1)
                return -1;
        return sid;
}

/* PID is a running hook, is in the session of one, or is already being reaped. */
static bool leave_alone(const HookRunner *runner, pid_t pid) {
        pid_t sid;

        for (size_t i = 0; i < runner->n_orphans; i++) {
                pid_t o;
                if (sd_event_source_get_child_pid(runner->orphans[i], &o) >= 0 && o == pid)
                        return true;
        }

        for (const Hook *h = runner->hooks; h; h = h->next)
                if (h->pid == pid)
                        return true;
        sid = session_of(pid);
        for (const Hook *h = runner->hooks; sid > 0 && h; h = h->next)
                if (h->pid == sid)
                        return true;
        return false;
}

static void comm_of(pid_t pid, char *buf, size_t size) {
        char path[64];
        ssize_t n = -1;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
                n = read(fd, buf, size - 1);
                (void) close(fd);
        }
        if (n <= 0)
                n = snprintf(buf, size, "?");
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
}

static int on_orphan_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        return 0; /* sd-event reaps it after this; the source is freed at the next sweep */
}

static void orphans_collect(HookRunner *runner) {
        size_t k = 0;

        for (size_t i = 0; i < runner->n_orphans; i++) {
                int enabled = SD_EVENT_OFF;

                (void) sd_event_source_get_enabled(runner->orphans[i], &enabled);
                if (enabled == SD_EVENT_OFF) /* it exited and was reaped */
                        sd_event_source_unref(runner->orphans[i]);
                else
                        runner->orphans[k++] = runner->orphans[i];
        }
        runner->n_orphans = k;
}

/* A hook's run ends when its command exits; whatever it left behind is killed then: the
 * watcher is a child subreaper, so every process a hook started and abandoned, even one
 * that left the hook's session (a daemon), becomes a child of the watcher. Children that
 * are no running hook and in no running hook's session are killed and reaped. EXCLUDE is
 * the hook that just exited, which sd-event reaps; REPORT logs each process killed that had
 * left its session. */
static void sweep_leftovers(HookRunner *runner, pid_t exclude, bool report) {
        _cleanup_closedir_ DIR *tasks = opendir("/proc/self/task");
        struct dirent *de;

        orphans_collect(runner);
        if (!tasks)
                return;
        while ((de = readdir(tasks))) {
                _cleanup_fclose_ FILE *f = NULL;
                char path[300], comm[32];
                int pid;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/self/task/%s/children", de->d_name);
                f = fopen(path, "re");
                while (f && fscanf(f, "%d", &pid) == 1) {
                        sd_event_source *src = NULL;

                        if (pid <= 0 || pid == exclude || leave_alone(runner, pid))
                                continue;
                        comm_of(pid, comm, sizeof(comm));
                        if (kill(pid, SIGKILL) < 0)
                                continue;
                        /* the exited hook's own group was killed with it; one that left it is news */
                        if (report && session_of(pid) != exclude)
                                log_warning("Killed process %d (%s), which a hook left behind.", pid, comm);
                        if (runner->n_orphans >= runner->n_orphans_alloc) {
                                size_t n = runner->n_orphans_alloc ? runner->n_orphans_alloc * 2 : 8;
                                sd_event_source **o = realloc(runner->orphans, n * sizeof(*o));
                                if (!o)
                                        continue; /* a zombie until the watcher exits */
                                runner->orphans = o;
                                runner->n_orphans_alloc = n;
                        }
                        if (sd_event_add_child(runner->event, &src, pid, WEXITED, on_orphan_exit, runner) >= 0) {
                                /* freed before it was reaped (the runner goes): sd-event reaps it then */
                                (void) sd_event_source_set_child_process_own(src, true);
                                runner->orphans[runner->n_orphans++] = src;
                        }
                }
        }
}

static Hook *hook_free(Hook *h) {
        if (!h)
                return NULL;
        if (h->pid > 0) {
                kill_group(h->pid);
                /* An owned child is reaped when its source goes: no zombie is left behind. */
                (void) sd_event_source_set_child_process_own(h->child_source, true);
                h->runner->n_running--;
        }
        sd_event_source_unref(h->child_source);
        sd_event_source_unref(h->timer_source);
        params_free(h->current);
        params_free(h->pending);
        return mfree(h);
}

_printf_(2, 3) static int env_addf(char ***env, const char *fmt, ...) {
        char *s;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return strv_consume(env, s);
}

static int hook_env(const Hook *h, char ***ret) {
        const HookParams *p = h->current;
        _cleanup_strv_free_ char **env = NULL;
        int r;

        if ((r = strv_extend(&env, HOOK_PATH)) < 0 ||
            (r = env_addf(&env, "VIRTUALING_JAIL=%s", p->jail)) < 0 ||
            (r = env_addf(&env, "VIRTUALING_UNIT=%s", p->unit)) < 0 ||
            (r = env_addf(&env, "VIRTUALING_CGROUP=%s", p->cgroup)) < 0 ||
            (r = env_addf(&env, "VIRTUALING_EVENT=%s", jail_event_to_string(h->event))) < 0 ||
            (r = env_addf(&env, "VIRTUALING_COUNT=%" PRIu64, p->values.count)) < 0 ||
            (r = env_addf(&env, "VIRTUALING_MEMORY_CURRENT=%" PRIu64, p->values.memory_current)) < 0)
                return r;
        if (p->values.memory_max == UINT64_MAX)
                r = strv_extend(&env, "VIRTUALING_MEMORY_MAX=infinity");
        else
                r = env_addf(&env, "VIRTUALING_MEMORY_MAX=%" PRIu64, p->values.memory_max);
        if (r < 0)
                return r;
        if (h->event == JAIL_EVENT_USAGE &&
            ((r = env_addf(&env, "VIRTUALING_THRESHOLD=%" PRIu64, p->values.threshold)) < 0 ||
             (r = env_addf(&env, "VIRTUALING_DIRECTION=%s", p->direction)) < 0))
                return r;

        *ret = TAKE_PTR(env);
        return 0;
}

static int move_fd(int fd, int target) {
        if (fd == target) /* dup2() onto itself would keep O_CLOEXEC */
                return fcntl(fd, F_SETFD, 0);
        return dup2(fd, target);
}

/* In the forked child of a single-threaded daemon: returns only by exec. */
_noreturn_ static void hook_exec(char **argv, char **env, const char *ident) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t ss;
        int null, out;

        /* Own session and process group, so the timeout kills all the hook started. */
        if (setsid() < 0)
                _exit(127);
        /* sd-event blocks the signals it handles; the hook must start from a clean slate.
         * Dispositions first, so nothing pending meets a parent's handler. */
        for (int sig = 1; sig < _NSIG; sig++)
                (void) sigaction(sig, &sa, NULL); /* SIGKILL, SIGSTOP, glibc's own: EINVAL */
        if (sigemptyset(&ss) < 0 || sigprocmask(SIG_SETMASK, &ss, NULL) < 0)
                _exit(127);

        /* The watcher raised its soft limit of open files (eventfds, PSI triggers); a hook
         * gets the usual one, which select() can cope with. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur > FD_SETSIZE) {
                rl.rlim_cur = FD_SETSIZE;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }

        /* In the child, not the parent: a stuck journald must not block the loop. */
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        out = sd_journal_stream_fd(ident, LOG_INFO, false);
        if (out < 0) /* no journald (tests): the watcher's own stderr, else nowhere */
                out = fcntl(STDERR_FILENO, F_GETFD) >= 0 ? STDERR_FILENO : null;
        if (null < 0 || move_fd(null, STDIN_FILENO) < 0 || move_fd(out, STDOUT_FILENO) < 0 ||
            move_fd(out, STDERR_FILENO) < 0 || close_range(3, ~0U, 0) < 0)
                _exit(127);

        execve(argv[0], argv, env);
        dprintf(STDERR_FILENO, "Failed to execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata);
static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata);

static int hook_spawn(Hook *h) {
        HookRunner *runner = h->runner;
        char **argv = h->current->commands[h->index];
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *ident = NULL;
        pid_t pid;
        int r;

        /* Built before fork(): the child should do as little as it can. */
        r = hook_env(h, &env);
        if (r < 0)
                return r;
        if (asprintf(&ident, "virtualing-hook-%s", h->current->jail) < 0)
                return -ENOMEM;

        /* Armed first so that a failure leaves no child behind. */
        if (h->current->timeout != USEC_INFINITY) {
                r = sd_event_add_time_relative(runner->event, &h->timer_source, CLOCK_MONOTONIC,
                                               h->current->timeout, 0, on_timeout, h);
                if (r < 0)
                        return r;
        }

        pid = fork();
        if (pid < 0) {
                r = -errno;
                h->timer_source = sd_event_source_unref(h->timer_source);
                return r;
        }
        if (pid == 0)
                hook_exec(argv, env, ident);

        /* sd-event reaps the child after the callback; we never waitpid() it ourselves. */
        r = sd_event_add_child(runner->event, &h->child_source, pid, WEXITED, on_child_exit, h);
        if (r < 0) {
                /* sd-event does not know this one: kill and reap it here. */
                kill_group(pid);
                (void) waitpid(pid, NULL, 0);
                h->timer_source = sd_event_source_unref(h->timer_source);
                return r;
        }

        h->pid = pid;
        h->timed_out = false;
        runner->n_running++;
        return 0;
}

static void hook_unlink(HookRunner *runner, Hook *h) {
        for (Hook **i = &runner->hooks; *i; i = &(*i)->next)
                if (*i == h) {
                        *i = h->next;
                        return;
                }
}

/* Starts the next command; after the last one, the pending run; with none, forgets the key. */
static void hook_continue(Hook *h) {
        HookRunner *runner = h->runner;
        int r;

        for (;;) {
                for (; h->index < h->current->n_commands; h->index++) {
                        r = hook_spawn(h);
                        if (r >= 0)
                                return;
                        log_hook(h, "failed to start %s: %s", h->current->commands[h->index][0], strerror(-r));
                        count_failure(runner, h->current);
                }
                if (!h->pending)
                        break;
                params_free(h->current);
                h->current = TAKE_PTR(h->pending);
                h->index = 0;
                count_run(runner, h->current);
        }

        hook_unlink(runner, h);
        hook_free(h);
}

static void format_timeout(char *buf, size_t size, usec_t t) {
        if (t % USEC_PER_SEC == 0)
                (void) snprintf(buf, size, "%" PRIu64 "s", t / USEC_PER_SEC);
        else
                (void) snprintf(buf, size, "%" PRIu64 "ms", t / USEC_PER_MSEC);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Hook *h = userdata;
        const char *path = h->current->commands[h->index][0];
        char buf[32];

        /* the rest of its process group first: the leader is not reaped yet, so the group's
         * id cannot have been taken by another */
        if (kill(-h->pid, SIGKILL) < 0 && errno != ESRCH)
                log_hook(h, "failed to kill what %s left behind: %s", path, strerror(errno));
        h->child_source = sd_event_source_unref(h->child_source);
        h->timer_source = sd_event_source_unref(h->timer_source);
        h->pid = 0;
        h->runner->n_running--;
        sweep_leftovers(h->runner, si->si_pid, true);

        if (h->timed_out) { /* counted when the timer fired */
                format_timeout(buf, sizeof buf, h->current->timeout);
                log_hook(h, "%s killed after %s", path, buf);
        } else if (si->si_code == CLD_EXITED && si->si_status != 0) {
                log_hook(h, "%s exited with status %d", path, si->si_status);
                count_failure(h->runner, h->current);
        } else if (si->si_code != CLD_EXITED) {
                log_hook(h, "%s killed by signal SIG%s", path, sigabbrev_np(si->si_status) ?: "?");
                count_failure(h->runner, h->current);
        }

        /* Whatever the status: the next command, the pending run, or the end. */
        h->index++;
        hook_continue(h);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Hook *h = userdata;

        h->timer_source = sd_event_source_unref(h->timer_source);
        h->timed_out = true;
        h->runner->stats.timed_out++;
        if (h->runner->notify) /* a failure too, for the metrics */
                h->runner->notify(h->current->jail, true, h->runner->notify_userdata);
        /* The child source then reports the death and the run goes on. */
        kill_group(h->pid);
        return 0;
}

int hook_runner_new(sd_event *e, HookRunner **ret) {
        HookRunner *runner;
        sigset_t ss;

        if (!e || !ret)
                return -EINVAL;

        /* sd-event watches children only with SIGCHLD blocked. This sets the calling thread's
         * mask: the watcher must create the runner before it starts any thread (it has none). */
        if (sigemptyset(&ss) < 0 || sigaddset(&ss, SIGCHLD) < 0 || sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return negative_errno();

        /* what a hook abandons becomes ours, to be killed and reaped (sweep_leftovers()) */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return negative_errno();

        runner = calloc(1, sizeof(HookRunner));
        if (!runner)
                return -ENOMEM;
        runner->event = sd_event_ref(e);

        *ret = runner;
        return 0;
}

HookRunner *hook_runner_free(HookRunner *runner) {
        if (!runner)
                return NULL;
        while (runner->hooks) {
                Hook *h = runner->hooks;

                runner->hooks = h->next;
                hook_free(h);
        }
        sweep_leftovers(runner, 0, false); /* no hook runs now: every leftover goes, quietly */
        for (size_t i = 0; i < runner->n_orphans; i++)
                sd_event_source_unref(runner->orphans[i]);
        free(runner->orphans);
        sd_event_unref(runner->event);
        return mfree(runner);
}

int hook_runner_fire(HookRunner *runner, const char *jail, const char *unit, const char *cgroup, JailEvent event,
                     char ***commands, size_t n_commands, usec_t timeout, const HookValues *values) {
        _cleanup_(params_freep) HookParams *p = NULL;
        Hook *h;
        int r;

        if (!runner || !jail || !jail_event_to_string(event) || !values || (n_commands > 0 && !commands))
                return -EINVAL;
        for (size_t i = 0; i < n_commands; i++) /* execve() does no PATH lookup */
                if (!commands[i] || !commands[i][0] || commands[i][0][0] != '/')
                        return -EINVAL;
        if (n_commands == 0)
                return 0;

        r = params_new(jail, unit, cgroup, commands, n_commands, timeout, values, &p);
        if (r < 0)
                return r;

        for (h = runner->hooks; h; h = h->next)
                if (h->event == event && streq(h->current->jail, jail)) {
                        /* Busy: keep only the latest values, so a storm costs no memory; the
                         * counts add up, so the rerun reports every increase it stands for. */
                        if (h->pending)
                                p->values.count = __builtin_add_overflow(p->values.count, h->pending->values.count,
                                                                         &p->values.count)
                                                          ? UINT64_MAX
                                                          : p->values.count;
                        params_free(h->pending);
                        h->pending = TAKE_PTR(p);
                        runner->stats.coalesced++;
                        return 0;
                }

        h = calloc(1, sizeof(Hook));
        if (!h)
                return -ENOMEM;
        *h = (Hook) { .runner = runner, .next = runner->hooks, .event = event, .current = TAKE_PTR(p) };
        runner->hooks = h;
        count_run(runner, h->current);
        hook_continue(h); /* spawn failures are logged and counted, as for a failing hook */
        return 0;
}

void hook_runner_set_notify(HookRunner *runner, hook_notify_t notify, void *userdata) {
        runner->notify = notify;
        runner->notify_userdata = userdata;
}

void hook_runner_stats(const HookRunner *runner, HookStats *ret) {
        *ret = runner ? runner->stats : (HookStats) {};
}

size_t hook_runner_running(const HookRunner *runner) {
        return runner ? runner->n_running : 0;
}
