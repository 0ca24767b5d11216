/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing run NAME|FILE: the original's "sudo ./virtualing httpd.rb". A child is forked
 * and waits; systemd puts it (and only it) into the transient scope virtualing-NAME.scope
 * in virtualing.slice with the jail's limits; the addresses go up; the child builds the jail
 * with the helper's code and becomes the command. We wait outside the scope, forward the
 * terminal's signals, take the addresses down and return the command's status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "address.h"
#include "bus-util.h"
#include "ctl.h"
#include "log.h"
#include "helper.h"
#include "jail-dirs.h"
#include "jail-exec.h"
#include "jail-properties.h"

/* How long systemd may take to run the scope's start job. */
#define JOB_TIMEOUT_USEC (90 * USEC_PER_SEC)

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

typedef struct Run {
        const Jail *jail;
        const char *unit;
        pid_t child;
        bool forwarding;       /* the go-ahead was given: signals go to the command */
        int setup_signal;      /* a signal that arrived before: we give up */
        char *job;             /* the start job's object path */
        char *job_result;      /* from its JobRemoved */
        bool child_exited;
        siginfo_t child_info;
} Run;

/* The child: waits for the go-ahead and nothing else before it; then builds the jail. With a
 * PID namespace the command becomes our own child (the helper's CLONE_PARENT) and its PID
 * comes through HANDOVER_FD; the child then leaves the scope to the jail. */
_noreturn_ static void child_main(const Jail *j, int go_fd, int stale_fd, int handover_fd, const sigset_t *saved_mask) {
        ssize_t n;
        char c;

        /* our copy of the write end: without it, the parent's death is an end of file */
        safe_close(stale_fd);
        do
                n = read(go_fd, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(EXIT_FAILED); /* the parent gave up or died: no jail */
        safe_close(go_fd);
        /* the parent blocked these before fork() so that it could take them as events */
        (void) sigprocmask(SIG_SETMASK, saved_mask, NULL);
        _exit(jail_exec(j, 0, handover_fd)); /* 0 after the handover, or the command's status, or a HELPER_EXIT_* */
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Run *run = userdata;
        int sig = (int) si->ssi_signo;

        if (!run->forwarding) {
                if (run->setup_signal == 0)
                        run->setup_signal = sig;
                return 0;
        }
        if (run->child_exited)
                return 0;
        /* The command leads its own session (the helper made it): its group is what the
         * terminal would have signalled. Before setsid() there is no such group yet. */
        if (kill(-run->child, sig) < 0 && kill(run->child, sig) < 0 && errno != ESRCH)
                log_error("%s: forwarding signal %s to the jailed command: %m", program_invocation_short_name,
                          strsignal(sig));
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Run *run = userdata;

        run->child_info = *si;
        run->child_exited = true;
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Run *run = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        /* The reply to StartTransientUnit is read before any signal queued behind it is
         * dispatched, so the job's path is known by the time its JobRemoved comes here. */
        if (!run->job || !streq(path, run->job) || run->job_result)
                return 0;
        run->job_result = strdup(result);
        if (!run->job_result)
                return -ENOMEM;
        return 0;
}

/* 128+N for a command killed by signal N, as a shell reports it. */
static int child_status(const siginfo_t *si) {
        if (si->si_code == CLD_EXITED)
                return si->si_status;
        return 128 + si->si_status;
}

/* Kills the child (still waiting, or building the jail) and reaps it. */
static void child_kill(Run *run) {
        if (run->child <= 0 || run->child_exited)
                return;
        (void) kill(run->child, SIGKILL);
        while (waitpid(run->child, NULL, 0) < 0 && errno == EINTR)
                ;
        run->child_exited = true;
}

static int start_scope(Run *run, sd_bus *bus, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *description = NULL;
        const char *job;
        int r;

        /* first the match and the subscription, so the job's end cannot pass unseen */
        r = sd_bus_match_signal(bus, ret_slot, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, run);
        if (r < 0) {
                log_error("Failed to watch systemd's JobRemoved signal: %s", strerror(-r));
                return r;
        }
        r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", &error, NULL, NULL);
        if (r < 0) {
                log_error("Failed to subscribe to systemd's signals: %s", bus_error_text(&error, r));
                return r;
        }

        if (asprintf(&description, "virtualing jail %s (run)", run->jail->name) < 0)
                return -ENOMEM;
        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", run->unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)", "Slice", "s", "virtualing.slice", "Description", "s",
                                          description, "PIDs", "au", 1, (uint32_t) run->child);
        /* a scope that ended badly (an OOM kill) must not block the next run of the jail */
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
        if (r >= 0)
                r = jail_properties_append(run->jail, m); /* the generator's table */
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0) {
                log_error("Failed to build the request for %s: %s", run->unit, strerror(-r));
                return r;
        }
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                if (sd_bus_error_is_set(&error))
                        log_error("systemd refused to start %s: %s (%s)", run->unit,
                                  bus_error_text(&error, r), error.name);
                else
                        log_error("Failed to ask systemd to start %s: %s", run->unit, strerror(-r));
                return r;
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0) {
                log_error("Failed to parse systemd's reply to StartTransientUnit: %s", strerror(-r));
                return r;
        }
        run->job = strdup(job);
        return run->job ? 0 : -ENOMEM;
}

/* The command is gone; processes it left in the scope are not. Stop the scope, so they end
 * before the addresses they may use are taken away. A scope that emptied has gone already
 * (NoSuchUnit): nothing to do. */
static void stop_scope(Run *run, sd_bus *bus, sd_event *e) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        uint64_t now, deadline;
        const char *job;
        int r;

        run->job = mfree(run->job);
        run->job_result = mfree(run->job_result);
        r = sd_bus_match_signal(bus, &slot, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, run);
        if (r >= 0)
                r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit", &error, &reply,
                                       "ss", run->unit, "replace");
        if (r < 0)
                return;
        if (sd_bus_message_read(reply, "o", &job) < 0 || !(run->job = strdup(job)))
                return;
        if (sd_event_now(e, CLOCK_MONOTONIC, &now) < 0)
                return;
        deadline = now + JOB_TIMEOUT_USEC;
        while (!run->job_result && now < deadline) {
                if (sd_event_run(e, deadline - now) < 0 || sd_event_now(e, CLOCK_MONOTONIC, &now) < 0)
                        return;
        }
        if (!run->job_result)
                log_error("Timed out waiting for systemd to stop %s.", run->unit);
}

/* Runs the loop until the start job ends, the child dies, a signal arrives or the time is up. */
static int wait_for_job(Run *run, sd_event *e) {
        uint64_t now, deadline;
        int r;

        r = sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        deadline = now + JOB_TIMEOUT_USEC;
        while (!run->job_result && !run->child_exited && run->setup_signal == 0) {
                r = sd_event_now(e, CLOCK_MONOTONIC, &now);
                if (r < 0)
                        return r;
                if (now >= deadline) {
                        log_error("Timed out after %llu s waiting for systemd to start %s.",
                                  (unsigned long long) (JOB_TIMEOUT_USEC / USEC_PER_SEC), run->unit);
                        return -ETIMEDOUT;
                }
                r = sd_event_run(e, deadline - now);
                if (r < 0) {
                        log_error("Failed to wait for systemd: %s", strerror(-r));
                        return r;
                }
        }
        if (run->setup_signal != 0) {
                log_error("Interrupted by SIG%s while starting %s.", sigabbrev_np(run->setup_signal),
                          run->unit);
                return -EINTR;
        }
        if (!run->job_result) {
                log_error("The process waiting to become the jail died before %s started.", run->unit);
                return -ECHILD;
        }
        if (!streq(run->job_result, "done")) {
                log_error("systemd's job to start %s ended with result '%s'; see 'systemctl status %s' and "
                          "'journalctl -u %s'.", run->unit, run->job_result, run->unit, run->unit);
                return -EIO;
        }
        return 0;
}

int verb_run(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(jail_freep) Jail *j = NULL;
        _cleanup_free_ char *unit = NULL;
        _cleanup_close_ int go_read = -EBADF, go_write = -EBADF, handover_read = -EBADF, handover_write = -EBADF;
        sigset_t mask, saved_mask;
        bool addresses_up = false;
        Run run = { .child = -1 };
        int fds[2], r, ret = EXIT_FAILED;

        if (argc != 2) {
                log_error("run: expected one jail name or file.");
                return EXIT_USAGE;
        }
        if (geteuid() != 0) {
                log_error("run: only root may run a jail (it creates a systemd scope, mounts the jail's tree "
                          "and adds addresses).");
                return EXIT_FAILED;
        }

        r = load_jail_arg(argv[1], &j);
        if (r != EXIT_OK)
                return r;
        if (asprintf(&unit, "virtualing-%s.scope", j->name) < 0) {
                log_error("Out of memory.");
                return EXIT_FAILED;
        }
        run.jail = j;
        run.unit = unit;

        if (pipe2(fds, O_CLOEXEC) < 0) {
                log_error("Failed to create a pipe: %m");
                return EXIT_FAILED;
        }
        go_read = fds[0];
        go_write = fds[1];
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
                log_error("Failed to create a pipe: %m");
                return EXIT_FAILED;
        }
        handover_read = fds[0];
        handover_write = fds[1];

        /* Blocked before fork(): the parent takes them as events from here on (a Ctrl-C while
         * systemd starts the scope is handled, not fatal); the child unblocks them. */
        sigemptyset(&mask);
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++)
                sigaddset(&mask, forwarded_signals[i]);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, &saved_mask) < 0) {
                log_error("Failed to block signals: %m");
                return EXIT_FAILED;
        }

        fflush(NULL);
        run.child = fork();
        if (run.child < 0) {
                log_error("Failed to fork: %m");
                (void) sigprocmask(SIG_SETMASK, &saved_mask, NULL);
                return EXIT_FAILED;
        }
        if (run.child == 0) {
                safe_close(handover_read);
                child_main(j, go_read, go_write, handover_write, &saved_mask);
        }
        go_read = safe_close(go_read);
        handover_write = safe_close(handover_write);

        /* sd-event and sd-bus only now, in the parent: the child shares none of their state */
        r = sd_event_new(&event);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(forwarded_signals); i++)
                r = sd_event_add_signal(event, NULL, forwarded_signals[i], on_signal, &run);
        if (r >= 0)
                r = sd_event_add_child(event, NULL, run.child, WEXITED, on_child, &run);
        if (r < 0) {
                log_error("Failed to set up the event loop: %s", strerror(-r));
                goto finish;
        }
        r = bus_open(&bus);
        if (r < 0) {
                log_error("Failed to connect to the system bus: %s", strerror(-r));
                goto finish;
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error("Failed to attach the bus to the event loop: %s", strerror(-r));
                goto finish;
        }

        r = start_scope(&run, bus, &slot);
        if (r >= 0)
                r = wait_for_job(&run, event);
        if (r < 0)
                goto finish;
        slot = sd_bus_slot_unref(slot);

        if (j->n_addresses > 0) {
                addresses_up = true; /* a partial failure undoes itself; down is idempotent anyway */
                r = address_up(j);
                if (r != 0) {
                        log_error("Failed to add the addresses of jail %s.", j->name);
                        goto finish;
                }
        }

        /* as systemd-run says it; -q drops it */
        log_info("Running jail %s as unit %s.", j->name, unit);
        /* the go-ahead; a signal that came meanwhile is forwarded by the loop below */
        run.forwarding = true;
        if (write(go_write, "x", 1) != 1) {
                log_error("Failed to start the jail's process: %m");
                goto finish;
        }
        go_write = safe_close(go_write);

        for (;;) {
                pid_t command;

                while (!run.child_exited) {
                        r = sd_event_run(event, UINT64_MAX);
                        if (r < 0) {
                                /* without the loop we can still wait: signals stay blocked */
                                log_error("Failed to wait for the jail: %s", strerror(-r));
                                while (waitpid(run.child, NULL, 0) < 0 && errno == EINTR)
                                        ;
                                run.child_exited = true;
                                goto finish;
                        }
                }
                /* the helper handed the command (its PID namespace's PID 2) over to us: wait for that */
                if (run.child_info.si_code != CLD_EXITED || run.child_info.si_status != 0 ||
                    read(handover_read, &command, sizeof(command)) != sizeof(command))
                        break;
                run.child = command;
                run.child_exited = false;
                r = sd_event_add_child(event, NULL, run.child, WEXITED, on_child, &run);
                if (r < 0) {
                        log_error("Failed to watch the jailed command: %s", strerror(-r));
                        goto finish;
                }
        }
        ret = child_status(&run.child_info);
        stop_scope(&run, bus, event);

finish:
        go_write = safe_close(go_write);
        child_kill(&run);
        if (addresses_up)
                (void) address_down(j); /* says what failed itself */
        if (run.child > 0)
                (void) jail_directories_remove(j->name); /* the runtime ones; says what failed itself */
        free(run.job);
        free(run.job_result);
        /* the signals stay blocked: one that comes now must not replace the status */
        if (ret == EXIT_FAILED && run.setup_signal != 0)
                ret = 128 + run.setup_signal;
        return ret;
}
