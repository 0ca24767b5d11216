/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "parse-util.h"

/* The validated model of one jail file plus its drop-ins. Every program reads
 * jails through jail_load(); nothing else parses the files. */

typedef struct JailBind {
        char *source;
        char *destination;
        bool read_only;
        bool recursive;
        bool ignore_missing; /* "-SRC" */
} JailBind;

typedef enum IOLimitType {
        IO_READ_BANDWIDTH,
        IO_WRITE_BANDWIDTH,
        IO_READ_IOPS,
        IO_WRITE_IOPS,
        _IO_LIMIT_TYPE_MAX,
        _IO_LIMIT_TYPE_INVALID = -EINVAL,
} IOLimitType;

typedef struct JailIOLimit {
        IOLimitType type;
        char *device; /* as systemd wants it: a path, MAJ:MIN already turned into /dev/block/MAJ:MIN */
        uint64_t value; /* bytes/s or IOPS; UINT64_MAX = infinity */
} JailIOLimit;

typedef struct JailAddress {
        int family;
        union in_addr_union address;
        unsigned prefixlen;
} JailAddress;

typedef enum JailEvent {
        JAIL_EVENT_OOM,
        JAIL_EVENT_OOM_KILL,
        JAIL_EVENT_MAX,
        JAIL_EVENT_HIGH,
        JAIL_EVENT_USAGE,
        JAIL_EVENT_PRESSURE,
        _JAIL_EVENT_MAX,
        _JAIL_EVENT_INVALID = -EINVAL,
} JailEvent;

/* RuntimeDirectory= and friends, as systemd.exec(5) has them. */
typedef enum ExecDirectoryType {
        EXEC_DIRECTORY_RUNTIME,
        EXEC_DIRECTORY_STATE,
        EXEC_DIRECTORY_CACHE,
        EXEC_DIRECTORY_LOGS,
        EXEC_DIRECTORY_CONFIGURATION,
        _EXEC_DIRECTORY_TYPE_MAX,
        _EXEC_DIRECTORY_TYPE_INVALID = -EINVAL,
} ExecDirectoryType;

typedef enum PressureKind {
        PRESSURE_SOME,
        PRESSURE_FULL,
        _PRESSURE_KIND_MAX,
        _PRESSURE_KIND_INVALID = -EINVAL,
} PressureKind;

/* Where a setting was made, for messages about combinations of keys. */
typedef struct JailLocation {
        const char *path; /* points into Jail.files */
        unsigned line;
} JailLocation;

typedef struct Jail {
        char *name;
        char *path;       /* main file */
        char **dropins;   /* applied in this order */
        char **files;     /* path followed by dropins, owns the strings locations point at */

        /* [Jail] */
        char *root;
        char **exec;
        JailBind *binds;
        size_t n_binds;
        bool skeleton;
        char *user;
        char *group;
        char **supplementary_groups;
        char *working_directory;
        char **environment;
        uint64_t capability_bounding_set;
        bool capability_bounding_set_set;
        bool no_new_privileges;
        bool private_pids; /* a PID namespace of its own */
        bool private_ipc;  /* an IPC namespace of its own */
        bool bind_log_sockets; /* the journal's sockets and /dev/log inside */
        char **directories[_EXEC_DIRECTORY_TYPE_MAX]; /* names below exec_directory_root() */

        /* [Resources]; UINT64_MAX means "not set" for the optional limits below */
        uint64_t cpu_quota_permyriad; /* 0 = not set */
        uint64_t memory_max, memory_high, memory_swap_max, tasks_max;
        bool memory_max_set, memory_high_set, memory_swap_max_set, tasks_max_set;
        JailIOLimit *io_limits;
        size_t n_io_limits;
        uint64_t memory_grow_step, memory_grow_limit; /* 0 = not set */
        usec_t memory_grow_interval;
        usec_t memory_shrink_after;

        /* [Network] */
        JailAddress *addresses;
        size_t n_addresses;
        char *device;
        bool announce_arp;

        /* [Events] */
        char ***hooks[_JAIL_EVENT_MAX]; /* per event: NULL-terminated list of argv vectors */
        size_t n_hooks[_JAIL_EVENT_MAX];
        uint64_t *usage_thresholds;
        size_t n_usage_thresholds;
        bool pressure_set;
        PressureKind pressure_kind;
        usec_t pressure_stall, pressure_window;
        usec_t hook_timeout;

        /* [Install] */
        char **wanted_by;

        JailLocation loc_memory_max, loc_memory_grow_step, loc_memory_grow_limit, loc_address,
                loc_device, loc_pressure, loc_memory_high, loc_hooks[_JAIL_EVENT_MAX];
} Jail;

Jail *jail_free(Jail *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(Jail *, jail_free);

const char *io_limit_type_to_string(IOLimitType t) _pure_;
const char *jail_event_to_string(JailEvent e) _pure_;
JailEvent jail_event_from_string(const char *s) _pure_;
const char *pressure_kind_to_string(PressureKind k) _pure_;
/* "RuntimeDirectory", … and "/run", "/var/lib", "/var/cache", "/var/log", "/etc". */
const char *exec_directory_type_to_string(ExecDirectoryType t) _pure_;
const char *exec_directory_root(ExecDirectoryType t) _pure_;

/* The original jailing tool's six capabilities. */
uint64_t jail_default_capabilities(void);

static inline bool jail_is_elastic(const Jail *j) {
        return j->memory_grow_step > 0 && j->memory_grow_limit > 0;
}
