/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jail.h"

#define JAIL_LINE_MAX 4096

/* A problem found while loading, for the caller to print (src/shared never logs). */
typedef struct JailDiag {
        char *path;    /* NULL when not about one file */
        unsigned line; /* 0 when about the whole file */
        char *message;
} JailDiag;

typedef struct JailDiags {
        JailDiag *items;
        size_t n;
} JailDiags;

void jail_diags_clear(JailDiags *d);
static inline void jail_diags_clearp(JailDiags *d) {
        jail_diags_clear(d);
}
/* "path:line: message", "path: message" or "message". */
char *jail_diag_format(const JailDiag *d);

enum {
        /* Refuse config and hook files not owned by root or writable by group/others.
         * Programs pass it when running as root: jail_load_flags_default(). */
        JAIL_LOAD_CHECK_OWNER = 1 << 0,
};
unsigned jail_load_flags_default(void);

/* The search path: $VIRTUALING_CONFIG_PATH or the built-in list. */
int jail_search_path(char ***ret);

/* Finds NAME.conf (first in the path wins) and its drop-ins.
 * Returns 0, -ENOENT if there is no such jail, -ERFKILL if it is masked. */
int jail_locate(char * const *dirs, const char *name, char **ret_path, char ***ret_dropins);

/* Every NAME.conf stem in the search path, sorted; masked and hidden ones left out.
 * Names may be invalid (check jail_name_is_valid()), so callers can say so. */
int jail_list_names(char * const *dirs, char ***ret);

/* The jail files of a search path, from one readdir() per directory. */
typedef struct JailIndexEntry {
        char *name; /* may be an invalid jail name: callers say so */
        char *path; /* the NAME.conf that wins */
        bool masked;
        uint64_t dropin_dirs; /* bit i: dirs[i] has NAME.conf.d */
} JailIndexEntry;

typedef struct JailIndex {
        char **dirs;
        int *dir_fds; /* each of dirs, open (-EBADF where it could not be read) */
        JailIndexEntry *entries; /* sorted by name */
        size_t n_entries;
} JailIndex;

int jail_index_scan(char * const *dirs, JailIndex **ret);
JailIndex *jail_index_free(JailIndex *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(JailIndex *, jail_index_free);
int jail_index_dropins(const JailIndex *x, const JailIndexEntry *e, char ***ret);

/* Drop-ins for NAME across dirs: NAME.conf.d/ *.conf, by file name, masked ones removed. */
int jail_find_dropins(char * const *dirs, const char *name, char ***ret);

/* Parse and validate. Returns 0 and a Jail, or a negative errno; on -EINVAL the
 * reasons are in diags (all of them, not just the first). */
int jail_load_files(const char *name, const char *path, char * const *dropins, unsigned flags, Jail **ret,
                    JailDiags *diags);
/* jail_load_files() for an entry of an index, with its drop-ins, every file opened by its
 * name relative to the directory the index holds open (no path walked from /). */
int jail_load_index_entry(const JailIndex *x, const JailIndexEntry *e, unsigned flags, Jail **ret, JailDiags *diags);
/* Locate by name in the search path, then jail_load_files(). -ENOENT/-ERFKILL as jail_locate(). */
int jail_load(const char *name, unsigned flags, Jail **ret, JailDiags *diags);

/* The MemoryHigh= handed to systemd: the configured one, or 90 % of MemoryMax for an
 * elastic jail that has none. Returns false when there is none. */
bool jail_effective_memory_high(const Jail *j, uint64_t *ret);
