/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

/* One logging module for every program. Every message is one record, with control
 * characters and invalid UTF-8 escaped (\xNN), so nothing a jail file or a file name holds
 * reaches a terminal or a log raw.
 *
 *   console  stderr; "IDENT: message", with a "<N>" priority prefix when stderr is the
 *            journal's stream ($JOURNAL_STREAM names it), so the journal files it right;
 *   kmsg     /dev/kmsg, "<N>IDENT[PID]: message" (generators, early at boot);
 *   journal  the journal's native socket, with structured fields; console when there is
 *            no journal to talk to. */
typedef enum LogTarget {
        LOG_TARGET_CONSOLE,
        LOG_TARGET_KMSG,
        LOG_TARGET_JOURNAL,
} LogTarget;

/* IDENT NULL: program_invocation_short_name. PREFIX_IDENT: whether console lines start with
 * "IDENT: " (a daemon's do; the virtualing command's, talking to its user, do not). */
void log_setup(const char *ident, LogTarget target, bool prefix_ident);
/* kmsg for a generator run by systemd (stderr may lead nowhere), console otherwise. */
LogTarget log_target_for_generator(void);

/* Messages above LEVEL (less important: LOG_INFO above LOG_WARNING) are dropped; the
 * default, LOG_DEBUG, lets every one through. For a command's --quiet. */
void log_set_max_level(int level);

/* Logs at LEVEL (LOG_ERR, …); ERROR (positive or negative, 0 for none) is what %m prints.
 * Returns -abs(ERROR), so a caller can "return log_error_errno(r, …);". */
_printf_(3, 4) int log_full_errno(int level, int error, const char *fmt, ...);

#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error(...) (void) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...) (void) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...) (void) log_full_errno(LOG_INFO, 0, __VA_ARGS__)

/* A record with structured fields ("KEY=value", NULL-terminated; MESSAGE_ID=, VIRTUALING_…):
 * the journal target sends them all, the others print the message alone. */
_printf_(3, 4) void log_struct(int level, char * const *fields, const char *fmt, ...);

/* Where the journal's native socket is, for tests: $VIRTUALING_JOURNAL_SOCKET. */
const char *log_journal_socket(void);
