/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "jail.h"
#include "strv.h"

static const char * const io_limit_type_table[_IO_LIMIT_TYPE_MAX] = {
        [IO_READ_BANDWIDTH] = "IOReadBandwidthMax",
        [IO_WRITE_BANDWIDTH] = "IOWriteBandwidthMax",
        [IO_READ_IOPS] = "IOReadIOPSMax",
        [IO_WRITE_IOPS] = "IOWriteIOPSMax",
};

static const char * const jail_event_table[_JAIL_EVENT_MAX] = {
        [JAIL_EVENT_OOM] = "oom",
        [JAIL_EVENT_OOM_KILL] = "oom_kill",
        [JAIL_EVENT_MAX] = "max",
        [JAIL_EVENT_HIGH] = "high",
        [JAIL_EVENT_USAGE] = "usage",
        [JAIL_EVENT_PRESSURE] = "pressure",
};

static const char * const pressure_kind_table[_PRESSURE_KIND_MAX] = {
        [PRESSURE_SOME] = "some",
        [PRESSURE_FULL] = "full",
};

static const char * const exec_directory_type_table[_EXEC_DIRECTORY_TYPE_MAX] = {
        [EXEC_DIRECTORY_RUNTIME] = "RuntimeDirectory",
        [EXEC_DIRECTORY_STATE] = "StateDirectory",
        [EXEC_DIRECTORY_CACHE] = "CacheDirectory",
        [EXEC_DIRECTORY_LOGS] = "LogsDirectory",
        [EXEC_DIRECTORY_CONFIGURATION] = "ConfigurationDirectory",
};

static const char * const exec_directory_root_table[_EXEC_DIRECTORY_TYPE_MAX] = {
        [EXEC_DIRECTORY_RUNTIME] = "/run",
        [EXEC_DIRECTORY_STATE] = "/var/lib",
        [EXEC_DIRECTORY_CACHE] = "/var/cache",
        [EXEC_DIRECTORY_LOGS] = "/var/log",
        [EXEC_DIRECTORY_CONFIGURATION] = "/etc",
};

const char *exec_directory_type_to_string(ExecDirectoryType t) {
        return t >= 0 && t < _EXEC_DIRECTORY_TYPE_MAX ? exec_directory_type_table[t] : NULL;
}

const char *exec_directory_root(ExecDirectoryType t) {
        return t >= 0 && t < _EXEC_DIRECTORY_TYPE_MAX ? exec_directory_root_table[t] : NULL;
}

const char *io_limit_type_to_string(IOLimitType t) {
        return t >= 0 && t < _IO_LIMIT_TYPE_MAX ? io_limit_type_table[t] : NULL;
}

const char *jail_event_to_string(JailEvent e) {
        return e >= 0 && e < _JAIL_EVENT_MAX ? jail_event_table[e] : NULL;
}

JailEvent jail_event_from_string(const char *s) {
        for (JailEvent e = 0; e < _JAIL_EVENT_MAX; e++)
                if (streq(s, jail_event_table[e]))
                        return e;
        return _JAIL_EVENT_INVALID;
}

const char *pressure_kind_to_string(PressureKind k) {
        return k >= 0 && k < _PRESSURE_KIND_MAX ? pressure_kind_table[k] : NULL;
}

uint64_t jail_default_capabilities(void) {
        return (UINT64_C(1) << CAP_CHOWN) | (UINT64_C(1) << CAP_DAC_OVERRIDE) | (UINT64_C(1) << CAP_KILL) |
               (UINT64_C(1) << CAP_SETGID) | (UINT64_C(1) << CAP_SETUID) |
               (UINT64_C(1) << CAP_NET_BIND_SERVICE);
}

Jail *jail_free(Jail *j) {
        if (!j)
                return NULL;

        free(j->name);
        free(j->path);
        strv_free(j->dropins);
        strv_free(j->files);
        free(j->root);
        strv_free(j->exec);
        for (size_t i = 0; i < j->n_binds; i++) {
                free(j->binds[i].source);
                free(j->binds[i].destination);
        }
        free(j->binds);
        free(j->user);
        free(j->group);
        strv_free(j->supplementary_groups);
        free(j->working_directory);
        strv_free(j->environment);
        for (ExecDirectoryType t = 0; t < _EXEC_DIRECTORY_TYPE_MAX; t++)
                strv_free(j->directories[t]);
        for (size_t i = 0; i < j->n_io_limits; i++)
                free(j->io_limits[i].device);
        free(j->io_limits);
        free(j->addresses);
        free(j->device);
        for (JailEvent e = 0; e < _JAIL_EVENT_MAX; e++) {
                for (size_t i = 0; i < j->n_hooks[e]; i++)
                        strv_free(j->hooks[e][i]);
                free(j->hooks[e]);
        }
        free(j->usage_thresholds);
        strv_free(j->wanted_by);
        free(j);
        return NULL;
}
