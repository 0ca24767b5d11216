/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

typedef struct Entry {
        const char *key;
        void *value;
        struct Entry *next;
} Entry;

struct Hashmap {
        Entry **buckets;
        size_t n_buckets;
        size_t size;
};

static uint64_t hash_str(const char *s) {
        uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= UINT64_C(1099511628211);
        }
        return h;
}

Hashmap *hashmap_new(void) {
        Hashmap *h = calloc(1, sizeof(Hashmap));
        if (!h)
                return NULL;
        h->n_buckets = 16;
        h->buckets = calloc(h->n_buckets, sizeof(Entry *));
        if (!h->buckets) {
                free(h);
                return NULL;
        }
        return h;
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (Entry *e = h->buckets[i], *n; e; e = n) {
                        n = e->next;
                        free(e);
                }
        free(h->buckets);
        free(h);
        return NULL;
}

static int grow(Hashmap *h) {
        size_t n = h->n_buckets * 2;
        Entry **b = calloc(n, sizeof(Entry *));

        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (Entry *e = h->buckets[i], *next; e; e = next) {
                        size_t k = hash_str(e->key) & (n - 1);
                        next = e->next;
                        e->next = b[k];
                        b[k] = e;
                }
        free(h->buckets);
        h->buckets = b;
        h->n_buckets = n;
        return 0;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        size_t k;
        Entry *e;

        if (hashmap_get(h, key))
                return -EEXIST;
        if (h->size >= h->n_buckets && grow(h) < 0)
                return -ENOMEM;
        e = malloc(sizeof(Entry));
        if (!e)
                return -ENOMEM;
        k = hash_str(key) & (h->n_buckets - 1);
        *e = (Entry) { .key = key, .value = value, .next = h->buckets[k] };
        h->buckets[k] = e;
        h->size++;
        return 0;
}

void *hashmap_get(const Hashmap *h, const char *key) {
        if (!h)
                return NULL;
        for (Entry *e = h->buckets[hash_str(key) & (h->n_buckets - 1)]; e; e = e->next)
                if (strcmp(e->key, key) == 0)
                        return e->value;
        return NULL;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        Entry **p;

        if (!h)
                return NULL;
        for (p = &h->buckets[hash_str(key) & (h->n_buckets - 1)]; *p; p = &(*p)->next)
                if (strcmp((*p)->key, key) == 0) {
                        Entry *e = *p;
                        void *v = e->value;
                        *p = e->next;
                        free(e);
                        h->size--;
                        return v;
                }
        return NULL;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->size : 0;
}

void *hashmap_iterate(const Hashmap *h, size_t *state, const char **ret_key) {
        /* state: bucket index in the high bits, position in the chain in the low 16 */
        size_t bucket = *state >> 16, pos = *state & 0xffff;

        if (!h)
                return NULL;
        for (; bucket < h->n_buckets; bucket++, pos = 0) {
                size_t i = 0;
                for (Entry *e = h->buckets[bucket]; e; e = e->next, i++)
                        if (i == pos) {
                                *state = (bucket << 16) | (pos + 1);
                                if (ret_key)
                                        *ret_key = e->key;
                                return e->value;
                        }
        }
        *state = bucket << 16;
        return NULL;
}
