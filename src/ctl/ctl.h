/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "jail-load.h"

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

/* A command's options, before or after its arguments: --json where ret_json is given,
 * --no-legend where ret_no_legend is. Returns the index of the first argument that is
 * not an option (argv is permuted), or -EXIT_USAGE after saying what is wrong. */
int parse_verb_options(int argc, char *argv[], bool *ret_json, bool *ret_no_legend);

int verb_list(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_monitor(int argc, char *argv[]);
int verb_set_memory(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_properties(int argc, char *argv[]);
