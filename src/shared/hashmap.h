/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* A string-keyed map of pointers. Keys are not copied: they must live as long as the
 * entry (the usual case: the key is a field of the value). */
typedef struct Hashmap Hashmap;

Hashmap *hashmap_new(void);
Hashmap *hashmap_free(Hashmap *h); /* frees the map, not the values */
int hashmap_put(Hashmap *h, const char *key, void *value); /* -EEXIST if present */
void *hashmap_get(const Hashmap *h, const char *key);
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(const Hashmap *h);
/* Iteration: *state starts at 0; returns NULL at the end. Do not modify while iterating. */
void *hashmap_iterate(const Hashmap *h, size_t *state, const char **ret_key);

#define HASHMAP_FOREACH(v, h, st) for (size_t st = 0; ((v) = hashmap_iterate((h), &st, NULL));)
