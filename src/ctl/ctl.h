/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "jail-load.h"
#include "json.h"

/* Exit statuses, documented in virtualing(1). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,  /* an invalid jail, or the operation failed */
        EXIT_USAGE = 2,   /* bad command line */
        EXIT_NO_JAIL = 4, /* no such jail, or masked */
};

/* Prints why NAME could not be located and returns the exit status for it. */
int complain_locate(const char *name, int r);

/* Loads NAME (from the search path) or FILE (an argument containing '/' or ending in .conf:
 * its name from the file name, drop-ins from NAME.conf.d/ beside it), printing every problem
 * as verify does. Returns EXIT_OK and the jail in *ret (when ret is not NULL), or the exit
 * status for the failure. */
int load_jail_arg(const char *arg, Jail **ret);

/* The options a command takes, in verbs[] of virtualing.c; each may come before the command
 * or after it, before or after its arguments. --no-ask-password is taken by every command
 * before it, and ignored where nothing asks for authorisation. */
typedef enum VerbOptions {
        VERB_JSON = 1 << 0,            /* --json[=short|pretty|off] */
        VERB_NO_LEGEND = 1 << 1,       /* --no-legend */
        VERB_NO_PAGER = 1 << 2,        /* --no-pager */
        VERB_QUIET = 1 << 3,           /* -q, --quiet */
        VERB_NO_ASK_PASSWORD = 1 << 4, /* --no-ask-password */
} VerbOptions;

/* What the options say, for the command that runs. */
extern JsonMode arg_json;       /* JSON_OFF unless --json */
extern bool arg_legend;         /* false with --no-legend */
extern bool arg_no_pager;       /* --no-pager */
extern bool arg_quiet;          /* -q: informational messages dropped (log level LOG_WARNING) */
extern bool arg_ask_password;   /* false with --no-ask-password */

/* A command gets argv[0], its name, and its arguments: the options are taken out. */
int verb_list(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_monitor(int argc, char *argv[]);
int verb_set_memory(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_properties(int argc, char *argv[]);
