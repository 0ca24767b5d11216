/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "hashmap.h"
#include "tap.h"

int main(void) {
        static char keys[5000][16];
        Hashmap *h = hashmap_new();
        size_t n = 0, i;
        void *v;
        bool all = true;

        ok(h, "new map");
        for (i = 0; i < 5000; i++) {
                snprintf(keys[i], sizeof(keys[i]), "jail-%zu", i);
                if (hashmap_put(h, keys[i], keys[i]) < 0)
                        all = false;
        }
        ok(all, "5000 puts (the table grows)");
        is_int(hashmap_size(h), 5000, "size 5000");
        is_int(hashmap_put(h, "jail-7", NULL), -EEXIST, "a key twice is -EEXIST");
        all = true;
        for (i = 0; i < 5000; i++)
                if (hashmap_get(h, keys[i]) != keys[i])
                        all = false;
        ok(all, "every key found with its value");
        ok(!hashmap_get(h, "jail-5000"), "a missing key is NULL");
        HASHMAP_FOREACH(v, h, st)
                n++;
        is_int(n, 5000, "iteration visits every entry once");
        for (i = 0; i < 5000; i += 2)
                if (hashmap_remove(h, keys[i]) != keys[i])
                        all = false;
        ok(all, "remove returns the value");
        is_int(hashmap_size(h), 2500, "size after removing half");
        ok(!hashmap_get(h, "jail-0") && hashmap_get(h, "jail-1") == keys[1], "removed gone, others stay");
        ok(!hashmap_remove(h, "jail-0"), "removing twice is NULL");
        n = 0;
        HASHMAP_FOREACH(v, h, st)
                n++;
        is_int(n, 2500, "iteration after removals");
        hashmap_free(h);
        ok(!hashmap_get(NULL, "x") && hashmap_size(NULL) == 0, "NULL map is empty");
        return tap_done();
}
