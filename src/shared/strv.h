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

/* Appending many strings in linear time: the list, its length and its capacity kept
 * together while it is built. The list stays NULL-terminated, a strv at every step. */
typedef struct StrvBuilder {
        char **l;
        size_t n, cap;
} StrvBuilder;

/* Takes VALUE (frees it on failure). */
int strv_builder_consume(StrvBuilder *b, char *value);
int strv_builder_extend(StrvBuilder *b, const char *value);

/* Room for N more elements in an array of *N_IN_USE of SIZE bytes with capacity *CAP. */
int array_reserve(void **array, size_t *cap, size_t n_in_use, size_t n_more, size_t size);
