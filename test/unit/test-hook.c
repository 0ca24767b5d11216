/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "hook.h"
#include "strv.h"
#include "tap.h"

#define CGROUP "/virtualing.slice/virtualing@apache.service"
#define UNIT "virtualing@apache.service"
#define ENV_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"

static char tmpdir[] = "/tmp/test-hook-XXXXXX";
static sd_event *event;
static HookRunner *runner;
static size_t max_running, n_samples;

static usec_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* Runs the loop until cond holds or the wall clock says stop: a stuck hook fails the test
 * instead of hanging it. */
#define WAIT_FOR(cond, seconds)                                                  \
        ({                                                                       \
                usec_t _deadline = now_usec() + (seconds) * USEC_PER_SEC;        \
                bool _ok;                                                        \
                while (!(_ok = (cond)) && now_usec() < _deadline)                \
                        if (sd_event_run(event, 10 * USEC_PER_MSEC) < 0)         \
                                break;                                           \
                _ok;                                                             \
        })
#define IDLE() (hook_runner_running(runner) == 0)

static char *path(const char *name) {
        char *p;

        if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
                abort();
        return p;
}

static char *write_script(const char *name, const char *body) {
        char *p = path(name);
        _cleanup_fclose_ FILE *f = fopen(p, "we");

        if (!f || fprintf(f, "#!/bin/sh\n%s", body) < 0 || fchmod(fileno(f), 0755) < 0)
                abort();
        return p;
}

/* The file's contents, "" when it does not exist (yet). */
static char *slurp(const char *p) {
        _cleanup_fclose_ FILE *f = fopen(p, "re");
        char *buf = NULL;
        size_t n = 0;

        if (!f || getdelim(&buf, &n, '\0', f) < 0) {
                free(buf);
                return strdup("");
        }
        return buf;
}

/* True if the process is gone or only a zombie (our PID 1 may not reap orphans). */
static bool proc_state(pid_t pid, char *ret_state, pid_t *ret_pgrp) {
        _cleanup_free_ char *p = NULL, *s = NULL;
        const char *e;

        if (asprintf(&p, "/proc/%d/stat", (int) pid) < 0)
                abort();
        s = slurp(p);
        e = strrchr(s, ')');
        return e && sscanf(e + 1, " %c %*d %d", ret_state, ret_pgrp) == 2;
}

static bool dead(pid_t pid) {
        pid_t pgrp;
        char st;

        return !proc_state(pid, &st, &pgrp) || st == 'Z' || st == 'X';
}

static size_t group_alive(pid_t pgid) {
        _cleanup_(closedirp) DIR *d = opendir("/proc");
        struct dirent *de;
        size_t n = 0;

        while (d && (de = readdir(d))) {
                pid_t pid = atoi(de->d_name), pgrp;
                char st;

                if (pid > 0 && proc_state(pid, &st, &pgrp) && pgrp == pgid && st != 'Z' && st != 'X')
                        n++;
        }
        return n;
}

static HookStats stats(void) {
        HookStats s;

        hook_runner_stats(runner, &s);
        return s;
}

static int fire(const char *jail, JailEvent ev, char ***cmds, size_t n, usec_t timeout, const HookValues *v) {
        return hook_runner_fire(runner, jail, UNIT, CGROUP, ev, cmds, n, timeout, v);
}

static int on_sample(sd_event_source *s, uint64_t usec, void *userdata) {
        size_t n = hook_runner_running(runner);

        if (n > max_running)
                max_running = n;
        n_samples++;
        if (sd_event_source_set_time_relative(s, 5 * USEC_PER_MSEC) < 0 ||
            sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) < 0)
                return -EIO;
        return 0;
}

static void test_environment(const char *env_sh) {
        _cleanup_free_ char *out = path("env.out"), *info = path("env.info"), *status = path("status");
        _cleanup_free_ char *fds = path("fds.out"), *fds_cmd = NULL, *ids = NULL, *got = NULL;
        HookStats before = stats();
        HookValues v = { .count = 3, .memory_current = 12345, .memory_max = UINT64_MAX,
                         .threshold = 77, .direction = "up" };
        char **cmd[] = { (char *[]) { (char *) env_sh, out, info, NULL } };
        int leak, self = 0;

        is_int(fire("apache", JAIL_EVENT_OOM_KILL, cmd, 1, 5 * USEC_PER_SEC, &v), 0, "fire oom_kill");
        is_int(hook_runner_running(runner), 1, "hook running right after the fire");
        ok(WAIT_FOR(IDLE(), 10), "hook finished");
        got = slurp(out);
        is_str(got, ENV_PATH
               "VIRTUALING_CGROUP=" CGROUP "\n"
               "VIRTUALING_COUNT=3\n"
               "VIRTUALING_EVENT=oom_kill\n"
               "VIRTUALING_JAIL=apache\n"
               "VIRTUALING_MEMORY_CURRENT=12345\n"
               "VIRTUALING_MEMORY_MAX=infinity\n"
               "VIRTUALING_UNIT=" UNIT "\n"
               "--\n",
               "exactly the documented environment, ran once, no usage variables");

        got = mfree(got);
        got = slurp(info);
        is_str(got, "stdin=/dev/null\n", "stdin is /dev/null");

        /* The shell resets its children's signal mask: read the hook's own state, exec'd directly. */
        cmd[0] = (char *[]) { "/bin/cp", "/proc/self/status", status, NULL };
        is_int(fire("apache", JAIL_EVENT_OOM, cmd, 1, USEC_INFINITY, &v), 0, "fire cp");
        ok(WAIT_FOR(IDLE(), 10), "cp hook finished");
        got = mfree(got);
        got = slurp(status);
        ok(strstr(got, "\nSigBlk:\t0000000000000000\n"), "no signal blocked");
        {
                /* glibc keeps signals 32 and 33 for itself (sigaction() refuses them, and every
                 * program re-arms them at start): when our own parent (make, say) ignored them,
                 * they stay so. Any other inherited ignore is a bug. */
                const char *ign = strstr(got, "\nSigIgn:\t");
                unsigned long long mask = ign ? strtoull(ign + 9, NULL, 16) : ~0ULL;
                ok(ign && (mask & ~(3ULL << 31)) == 0, "no signal ignored (but glibc's own 32 and 33)");
        }
        ok(strstr(got, "\nPid:\t") && sscanf(strstr(got, "\nPid:\t"), "\nPid:\t%d", &self) == 1, "hook's pid");
        if (asprintf(&ids, "\nNSpgid:\t%d\nNSsid:\t%d\n", self, self) < 0)
                abort();
        ok(strstr(got, ids), "own session and process group");

        /* usage adds THRESHOLD and DIRECTION; a plain number for a finite limit */
        v = (HookValues) { .count = 1, .memory_current = 1500000000, .memory_max = UINT64_C(2147483648),
                           .threshold = UINT64_C(1073741824), .direction = "down" };
        (void) unlink(out);
        cmd[0] = (char *[]) { (char *) env_sh, out, info, NULL };
        is_int(fire("apache", JAIL_EVENT_USAGE, cmd, 1, USEC_INFINITY, &v), 0, "fire usage");
        ok(WAIT_FOR(IDLE(), 10), "usage hook finished");
        got = mfree(got);
        got = slurp(out);
        is_str(got, ENV_PATH
               "VIRTUALING_CGROUP=" CGROUP "\n"
               "VIRTUALING_COUNT=1\n"
               "VIRTUALING_DIRECTION=down\n"
               "VIRTUALING_EVENT=usage\n"
               "VIRTUALING_JAIL=apache\n"
               "VIRTUALING_MEMORY_CURRENT=1500000000\n"
               "VIRTUALING_MEMORY_MAX=2147483648\n"
               "VIRTUALING_THRESHOLD=1073741824\n"
               "VIRTUALING_UNIT=" UNIT "\n"
               "--\n",
               "usage environment");

        /* A descriptor without O_CLOEXEC must not reach the hook: ls sees 0-2 and its own 3. */
        leak = open("/dev/null", O_RDONLY);
        ok(leak >= 0, "opened an inheritable fd");
        if (asprintf(&fds_cmd, "exec ls /proc/$$/fd >%s", fds) < 0)
                abort();
        cmd[0] = (char *[]) { "/bin/sh", "-c", fds_cmd, NULL };
        is_int(fire("apache", JAIL_EVENT_PRESSURE, cmd, 1, USEC_INFINITY, &v), 0, "fire pressure");
        ok(WAIT_FOR(IDLE(), 10), "fd hook finished");
        got = mfree(got);
        got = slurp(fds);
        is_str(got, "0\n1\n2\n3\n", "only stdin, stdout and stderr inherited");
        (void) close(leak);

        is_u64(stats().started - before.started, 4, "four runs started");
        is_u64(stats().failed - before.failed, 0, "none failed");
}

static void test_sequence(const char *append_sh) {
        _cleanup_free_ char *out = path("seq.out"), *got = NULL;
        char jail[] = "apache", word[] = "second";
        HookValues v = {};
        char **cmd[] = {
                (char *[]) { (char *) append_sh, out, "first", "0.2", NULL },
                (char *[]) { (char *) append_sh, out, word, "0", NULL },
        };

        is_int(fire(jail, JAIL_EVENT_MAX, cmd, 2, USEC_INFINITY, &v), 0, "fire two commands");
        /* The second command starts later: the runner must have copied what it was given. */
        memset(jail, 'X', sizeof jail - 1);
        memset(word, 'X', sizeof word - 1);
        is_int(hook_runner_running(runner), 1, "one command at a time");
        ok(WAIT_FOR(IDLE(), 10), "both finished");
        got = slurp(out);
        is_str(got, "first\nsecond\n", "both ran, in order, the second after the first");
}

static void test_coalesce(const char *slow_sh) {
        _cleanup_free_ char *out = path("slow.out"), *got = NULL;
        _cleanup_(sd_event_source_unrefp) sd_event_source *sampler = NULL;
        HookStats before = stats();
        char **cmd[] = { (char *[]) { (char *) slow_sh, out, NULL } };
        bool all_ok = true;

        max_running = n_samples = 0;
        ok(sd_event_add_time_relative(event, &sampler, CLOCK_MONOTONIC, 0, 1, on_sample, NULL) >= 0, "sampler");
        for (uint64_t i = 1; i <= 1000; i++) {
                HookValues v = { .count = i, .memory_current = 1000 + i, .memory_max = 4096 };

                all_ok = fire("apache", JAIL_EVENT_OOM, cmd, 1, 5 * USEC_PER_SEC, &v) == 0 && all_ok;
        }
        ok(all_ok, "1000 fires accepted");
        is_int(hook_runner_running(runner), 1, "one process after 1000 fires");
        ok(WAIT_FOR(IDLE(), 10), "runs finished");
        ok(n_samples > 20, "sampled while running (%zu samples)", n_samples);
        is_int(max_running, 1, "never more than one process");
        got = slurp(out);
        /* the rerun: the latest memory values, and the counts of fires 2..1000 added up */
        is_str(got, "start 1 1001\nend 1 1001\nstart 500499 2000\nend 500499 2000\n",
               "exactly two runs, one after the other, the second with the last values and the summed count");
        is_u64(stats().started - before.started, 2, "stats.started == 2");
        is_u64(stats().coalesced - before.coalesced, 999, "stats.coalesced == 999");
}

static void test_storm_memory(const char *slow_sh) {
        _cleanup_free_ char *out = path("storm.out"), *got = NULL;
        char **cmd[] = { (char *[]) { (char *) slow_sh, out, NULL } };
        size_t m1 = 0, m2;
        bool all_ok = true;

        for (uint64_t i = 1; i <= 100000; i++) {
                HookValues v = { .count = i, .memory_current = i };

                all_ok = fire("storm", JAIL_EVENT_HIGH, cmd, 1, 5 * USEC_PER_SEC, &v) == 0 && all_ok;
                if (i == 1000)
                        m1 = mallinfo2().uordblks;
        }
        m2 = mallinfo2().uordblks;
        ok(all_ok, "100000 fires accepted");
        ok(m2 <= m1 + 4096, "memory flat: %zu bytes after 1000 fires, %zu after 100000", m1, m2);
        ok(WAIT_FOR(IDLE(), 10), "storm runs finished");
        got = slurp(out);
        /* counts 2..100000 added up: 100000*100001/2 - 1 */
        is_str(got, "start 1 1\nend 1 1\nstart 5000049999 100000\nend 5000049999 100000\n",
               "storm: two runs, the second standing for every coalesced increase");
}

static void test_timeout(const char *hang_sh, const char *append_sh) {
        _cleanup_free_ char *pids = path("hang.pids"), *out = path("after.out"), *got = NULL, *p = NULL;
        HookStats before = stats();
        HookValues v = {};
        usec_t start = now_usec();
        char **hang[] = { (char *[]) { (char *) hang_sh, pids, NULL } };
        char **after[] = { (char *[]) { (char *) append_sh, out, "after-timeout", "0", NULL } };
        int sh = 0, sleeper = 0;

        is_int(fire("apache", JAIL_EVENT_OOM, hang, 1, 200 * USEC_PER_MSEC, &v), 0, "fire hanging hook");
        /* Pending with another command list: the pending run uses the latest fire's copy. */
        is_int(fire("apache", JAIL_EVENT_OOM, after, 1, 200 * USEC_PER_MSEC, &v), 0, "fire again while it hangs");
        ok(WAIT_FOR(IDLE(), 10), "killed and pending run done");
        ok(now_usec() - start < 3 * USEC_PER_SEC, "within the timeout's reach (%" PRIu64 "ms)",
           (now_usec() - start) / USEC_PER_MSEC);
        is_u64(stats().timed_out - before.timed_out, 1, "stats.timed_out == 1");
        is_u64(stats().failed - before.failed, 0, "a timeout is not also counted as failed");
        p = slurp(pids);
        ok(sscanf(p, "%d %d", &sh, &sleeper) == 2, "hook wrote its pids");
        ok(sh > 0 && WAIT_FOR(group_alive(sh) == 0, 2), "whole process group gone");
        ok(sh > 0 && dead(sh) && sleeper > 0 && dead(sleeper), "hook and its background child dead");
        got = slurp(out);
        is_str(got, "after-timeout\n", "pending run happened afterwards");
}

static void test_failures(const char *append_sh) {
        _cleanup_free_ char *out = path("missing.out"), *got = NULL;
        HookStats before = stats();
        HookValues v = {};
        char **cmd[] = {
                (char *[]) { "/nonexistent/virtualing-hook", NULL },
                (char *[]) { "/bin/sh", "-c", "exit 3", NULL },
                (char *[]) { (char *) append_sh, out, "after-missing", "0", NULL },
        };
        char **relative[] = { (char *[]) { "hook.sh", NULL } };

        is_int(fire("apache", JAIL_EVENT_HIGH, cmd, 3, USEC_INFINITY, &v), 0, "fire missing, failing, good");
        ok(WAIT_FOR(IDLE(), 10), "finished");
        is_u64(stats().failed - before.failed, 2, "missing and exit 3 counted as failed");
        got = slurp(out);
        is_str(got, "after-missing\n", "failures do not stop the next command");
        is_int(fire("apache", JAIL_EVENT_HIGH, relative, 1, USEC_INFINITY, &v), -EINVAL, "relative path refused");
        is_int(fire("apache", _JAIL_EVENT_MAX, cmd, 1, USEC_INFINITY, &v), -EINVAL, "bad event refused");
        is_int(fire("apache", JAIL_EVENT_HIGH, NULL, 0, USEC_INFINITY, &v), 0, "no commands: nothing to do");
        is_int(hook_runner_running(runner), 0, "nothing started");
}

static void test_independent(const char *slow_sh) {
        _cleanup_free_ char *a = path("a.out"), *b = path("b.out"), *c = path("c.out");
        _cleanup_free_ char *ga = NULL, *gb = NULL, *gc = NULL;
        HookStats before = stats();
        HookValues v = { .count = 7, .memory_current = 7 };
        char **ca[] = { (char *[]) { (char *) slow_sh, a, NULL } };
        char **cb[] = { (char *[]) { (char *) slow_sh, b, NULL } };
        char **cc[] = { (char *[]) { (char *) slow_sh, c, NULL } };
        usec_t start = now_usec();

        ok(fire("a", JAIL_EVENT_OOM, ca, 1, USEC_INFINITY, &v) == 0 &&
           fire("b", JAIL_EVENT_OOM, cb, 1, USEC_INFINITY, &v) == 0 &&
           fire("a", JAIL_EVENT_MAX, cc, 1, USEC_INFINITY, &v) == 0, "fire three keys");
        is_int(hook_runner_running(runner), 3, "three keys run concurrently");
        ok(WAIT_FOR(IDLE(), 10), "all finished");
        ok(now_usec() - start < 900 * USEC_PER_MSEC, "in parallel, not one after another");
        is_u64(stats().started - before.started, 3, "three runs");
        is_u64(stats().coalesced - before.coalesced, 0, "nothing coalesced");
        ga = slurp(a), gb = slurp(b), gc = slurp(c);
        ok(streq(ga, "start 7 7\nend 7 7\n") && streq(gb, ga) && streq(gc, ga), "each ran once");
}

static void test_free_kills(const char *hang_sh) {
        _cleanup_free_ char *pids = path("free.pids"), *p = NULL;
        HookRunner *r2 = NULL;
        HookValues v = {};
        char **cmd[] = { (char *[]) { (char *) hang_sh, pids, NULL } };
        int sh = 0, sleeper = 0;

        is_int(hook_runner_new(event, &r2), 0, "second runner");
        is_int(hook_runner_fire(r2, "apache", UNIT, CGROUP, JAIL_EVENT_OOM, cmd, 1, USEC_INFINITY, &v), 0, "fire");
        is_int(hook_runner_fire(r2, "apache", UNIT, CGROUP, JAIL_EVENT_OOM, cmd, 1, USEC_INFINITY, &v), 0, "pending");
        ok(WAIT_FOR((free(p), p = slurp(pids), sscanf(p, "%d %d", &sh, &sleeper) == 2), 5), "hook started");
        is_int(hook_runner_running(r2), 1, "running");
        r2 = hook_runner_free(r2);
        ok(sh > 0 && kill(sh, 0) < 0 && errno == ESRCH, "hook killed and reaped by free");
        ok(sh > 0 && WAIT_FOR(group_alive(sh) == 0, 2), "its process group is gone");
        ok(sleeper > 0 && dead(sleeper), "its background child is dead");
        ok(hook_runner_free(NULL) == NULL, "free(NULL)");
}

static bool gone(pid_t pid) { /* no process, not even a zombie */
        char st;
        pid_t pgrp;

        return pid > 0 && !proc_state(pid, &st, &pgrp);
}

static int read_pid(const char *name) {
        _cleanup_free_ char *p = path(name), *s = slurp(p);
        int pid = 0;

        return sscanf(s, "%d", &pid) == 1 ? pid : 0;
}

/* What a hook leaves behind when it exits is killed and reaped: a background child, a
 * grandchild whose parent exited (now ours: the runner is a subreaper), and a daemon that
 * left the hook's session; while a hook runs, what is in its session is left alone. */
static void test_leftovers(void) {
        _cleanup_free_ char *daemon_sh = NULL, *long_sh = NULL, *dir = path("");
        HookValues v = {};
        char **daemon_cmd[] = { NULL }, **long_cmd[] = { NULL };
        int bg, orphan, escaped, kept;

        daemon_sh = write_script("daemon.sh",
                                 "cd \"$1\"\n"
                                 "sleep 1001 & echo $! >bg.pid\n"
                                 "sh -c 'sleep 1002 & echo $! >orphan.pid'\n"
                                 "setsid sleep 1003 & echo $! >escaped.pid\n"
                                 /* until it has left the session (field 6 of its stat) */
                                 "while [ \"$(cut -d' ' -f6 /proc/$!/stat)\" = $$ ]; do sleep 0.01; done\n");
        long_sh = write_script("long.sh",
                               "cd \"$1\"\n"
                               "sh -c 'sleep 1004 & echo $! >kept.pid'\n"
                               "while [ ! -e go ]; do sleep 0.02; done\n");
        daemon_cmd[0] = (char *[]) { daemon_sh, dir, NULL };
        long_cmd[0] = (char *[]) { long_sh, dir, NULL };

        is_int(fire("leftovers", JAIL_EVENT_OOM, long_cmd, 1, USEC_INFINITY, &v), 0, "fire a hook that runs on");
        ok(WAIT_FOR((kept = read_pid("kept.pid")) > 0, 5), "its grandchild (sleep 1004) is up and has become ours");
        is_int(fire("leftovers", JAIL_EVENT_HIGH, daemon_cmd, 1, USEC_INFINITY, &v), 0,
               "fire a hook that leaves three processes behind");
        ok(WAIT_FOR(hook_runner_running(runner) == 1, 10), "it has exited, the other runs on");
        bg = read_pid("bg.pid");
        orphan = read_pid("orphan.pid");
        escaped = read_pid("escaped.pid");
        ok(bg > 0 && WAIT_FOR(gone(bg), 5), "its background child is killed and reaped");
        ok(orphan > 0 && WAIT_FOR(gone(orphan), 5), "the child of its exited child too");
        ok(escaped > 0 && WAIT_FOR(gone(escaped), 5), "and the one that left its session (setsid)");
        ok(kept > 0 && !dead(kept), "the running hook's process, ours by now, is left alone");
        {
                _cleanup_free_ char *go = path("go");
                _cleanup_fclose_ FILE *f = fopen(go, "we");
                ok(f, "let the other hook end");
        }
        ok(WAIT_FOR(IDLE(), 10), "it ended");
        ok(WAIT_FOR(gone(kept), 5), "what it left behind is killed and reaped then");
}

static void rm_tmpdir(void) {
        _cleanup_(closedirp) DIR *d = opendir(tmpdir);
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        (void) rmdir(tmpdir);
}

int main(void) {
        _cleanup_free_ char *env_sh = NULL, *append_sh = NULL, *slow_sh = NULL, *hang_sh = NULL;
        sigset_t ss;

        /* Leave a blocked and an ignored signal for the hook to (not) inherit; never SIGALRM. */
        if (sigemptyset(&ss) < 0 || sigaddset(&ss, SIGUSR1) < 0 || sigprocmask(SIG_SETMASK, &ss, NULL) < 0 ||
            signal(SIGUSR2, SIG_IGN) == SIG_ERR)
                abort();
        alarm(120); /* last resort; every wait below is bounded */

        if (!mkdtemp(tmpdir))
                abort();
        /* The hooks see only the documented environment: paths come as arguments. The
         * environment is read from /proc, because dash exports PWD by itself. */
        env_sh = write_script("env.sh",
                              "{ tr '\\0' '\\n' </proc/$$/environ | sort; echo --; } >>\"$1\"\n"
                              "echo \"stdin=$(readlink /proc/$$/fd/0)\" >\"$2\"\n");
        append_sh = write_script("append.sh", "sleep \"$3\"\necho \"$2\" >>\"$1\"\n");
        slow_sh = write_script("slow.sh",
                               "echo \"start $VIRTUALING_COUNT $VIRTUALING_MEMORY_CURRENT\" >>\"$1\"\n"
                               "sleep 0.3\n"
                               "echo \"end $VIRTUALING_COUNT $VIRTUALING_MEMORY_CURRENT\" >>\"$1\"\n");
        hang_sh = write_script("hang.sh", "sleep 100 &\necho \"$$ $!\" >\"$1\"\nwait\n");

        if (sd_event_new(&event) < 0)
                abort();
        is_int(hook_runner_new(event, &runner), 0, "hook_runner_new");
        if (!runner)
                return tap_done();

        test_environment(env_sh);
        test_sequence(append_sh);
        test_coalesce(slow_sh);
        test_storm_memory(slow_sh);
        test_timeout(hang_sh, append_sh);
        test_failures(append_sh);
        test_independent(slow_sh);
        test_free_kills(hang_sh);
        test_leftovers();

        runner = hook_runner_free(runner);
        siginfo_t si = {};
        ok(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD, "no child left, not even a zombie");
        event = sd_event_unref(event);
        rm_tmpdir();
        return tap_done();
}
