/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* NULL-terminated string arrays; NULL is a valid empty list. */
char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char * const *l);
/* Append; takes ownership of value, frees it on failure. */
int strv_consume(char ***l, char *value);
int strv_extend(char ***l, const char *value);
int strv_extend_strv(char ***a, char * const *b);
char **strv_copy(char * const *l);
/* Makes a NULL list an empty one, for results that are never NULL. */
int strv_ensure(char ***l);
bool strv_contains(char * const *l, const char *s);
char *strv_join(char * const *l, const char *sep);
void strv_sort(char **l);

#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
