/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* --json=MODE, as systemd's tools take it. */
typedef enum JsonMode {
        JSON_OFF,    /* the text output */
        JSON_SHORT,  /* one line per document */
        JSON_PRETTY, /* indented, a member a line */
        _JSON_MODE_MAX,
        _JSON_MODE_INVALID = -EINVAL,
} JsonMode;

JsonMode json_mode_from_string(const char *s);

/* Members and values of a document written compact: a string (NULL → null), an unsigned
 * number or null. */
void json_string(FILE *f, const char *s);
void json_u64(FILE *f, uint64_t v, bool known);

/* Prints the compact document DOC (as written with the functions above) to OUT in MODE
 * (JSON_SHORT or JSON_PRETTY), followed by a newline. */
void json_emit(FILE *out, const char *doc, JsonMode mode);

/* Has WRITER write one compact document, then prints it to stdout in MODE. WRITER's
 * error, or -ENOMEM if the document could not be built. */
int json_output(JsonMode mode, int (*writer)(FILE *f, void *userdata), void *userdata);
