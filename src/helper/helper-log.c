/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one-line failure of the helper's steps, through the shared logging module. */
#include "helper.h"
#include "log.h"

int helper_fail(int status, const char *step, const char *path, int err) {
        if (err != 0)
                (void) log_error_errno(err, "%s%s%s: %m", step, path ? " " : "", path ?: "");
        else
                log_error("%s%s%s", step, path ? " " : "", path ?: "");
        return status;
}
