/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where jail files are: the search path, NAME.conf and NAME.conf.d drop-ins, masking. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail-load.h"
#include "strv.h"

#ifndef VIRTUALING_DEFAULT_CONFIG_PATH
#define VIRTUALING_DEFAULT_CONFIG_PATH "/etc/virtualing:/run/virtualing:/usr/local/lib/virtualing:/usr/lib/virtualing"
#endif


int jail_search_path(char ***ret) {
        const char *e = getenv("VIRTUALING_CONFIG_PATH");
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;
        int r;

        copy = strdup(e && *e ? e : VIRTUALING_DEFAULT_CONFIG_PATH);
        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
                if (!path_is_absolute(t) || strv_contains(l, t))
                        continue;
                r = strv_extend(&l, t);
                if (r < 0)
                        return r;
        }
        if (strv_ensure(&l) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* A name seen in one search directory while scanning. */
typedef struct Seen {
        char *name;   /* file name, or stem for main files */
        unsigned dir; /* index into the search path: lower wins */
        unsigned char d_type;
        bool dropin_dir; /* NAME.conf.d rather than NAME.conf */
} Seen;

static int seen_cmp(const void *a, const void *b) {
        const Seen *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        if (c != 0)
                return c;
        if (x->dropin_dir != y->dropin_dir)
                return x->dropin_dir ? 1 : -1;
        return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static void seen_free(Seen *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(s[i].name);
        free(s);
}

static int seen_add(Seen **s, size_t *n, size_t *alloc, const char *name, size_t len, unsigned dir,
                    unsigned char d_type, bool dropin_dir) {
        if (*n >= *alloc) {
                size_t a = *alloc ? *alloc * 2 : 64;
                Seen *m = realloc(*s, a * sizeof(Seen));
                if (!m)
                        return -ENOMEM;
                *s = m;
                *alloc = a;
        }
        (*s)[*n] = (Seen) { .name = strndup(name, len), .dir = dir, .d_type = d_type, .dropin_dir = dropin_dir };
        if (!(*s)[*n].name)
                return -ENOMEM;
        (*n)++;
        return 0;
}

static bool has_suffix(const char *s, size_t n, const char *suffix) {
        size_t k = strlen(suffix);
        return n > k && memcmp(s + n - k, suffix, k) == 0;
}

/* Only a symlink can point at /dev/null: other entries are never resolved. */
static bool entry_is_masked(const char *path, unsigned char d_type) {
        _cleanup_free_ char *target = NULL;
        struct stat st;

        if (d_type != DT_LNK && d_type != DT_UNKNOWN)
                return false;
        if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
                return false;
        target = realpath(path, NULL);
        return target && streq(target, "/dev/null");
}

/* The *.conf entries of an open NAME.conf.d directory, by getdents64() in one buffer. */
static int read_dropin_dir(int fd, unsigned dir, Seen **seen, size_t *n, size_t *alloc) {
        _Alignas(struct dirent64) char buf[32768];

        for (;;) {
                ssize_t got = getdents64(fd, buf, sizeof(buf));
                if (got < 0)
                        return -errno;
                if (got == 0)
                        return 0;
                for (ssize_t off = 0; off < got;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buf + off);
                        size_t len = strlen(de->d_name);

                        off += de->d_reclen;
                        if (de->d_name[0] == '.' || !has_suffix(de->d_name, len, ".conf"))
                                continue;
                        int r = seen_add(seen, n, alloc, de->d_name, len, dir, de->d_type, false);
                        if (r < 0)
                                return r;
                }
        }
}

/* Drop-ins of NAME from the directories whose bit is set in dirmask (all when ~0). */
static int find_dropins_masked(char * const *dirs, const int *dir_fds, const char *name, uint64_t dirmask,
                               char ***ret) {
        _cleanup_strv_free_ char **result = NULL;
        Seen *seen = NULL;
        size_t n = 0, alloc = 0;
        unsigned i = 0;
        int r = 0;

        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *dir = NULL;
                struct dirent *de;
                DIR *dp;

                if (i >= 64 || !(dirmask & (UINT64_C(1) << i))) {
                        i++;
                        continue;
                }
                if (asprintf(&dir, "%s/%s.conf.d", *d, name) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                if (dir_fds && dir_fds[i] >= 0) {
                        /* relative to the search directory: a short walk; read with getdents64()
                         * itself, without the fstat() and fcntl() fdopendir() would add */
                        _cleanup_close_ int fd = openat(dir_fds[i], dir + strlen(*d) + 1,
                                                        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
                        if (fd < 0) {
                                i++;
                                if (errno == ENOENT || errno == ENOTDIR)
                                        continue;
                                r = -errno;
                                goto finish;
                        }
                        r = read_dropin_dir(fd, i, &seen, &n, &alloc);
                        if (r < 0)
                                goto finish;
                        i++;
                        continue;
                }
                dp = opendir(dir);
                if (!dp) {
                        i++;
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        r = -errno;
                        goto finish;
                }
                while ((de = readdir(dp))) {
                        size_t len = strlen(de->d_name);
                        if (de->d_name[0] == '.' || !has_suffix(de->d_name, len, ".conf"))
                                continue;
                        r = seen_add(&seen, &n, &alloc, de->d_name, len, i, de->d_type, false);
                        if (r < 0)
                                break;
                }
                closedir(dp);
                if (r < 0)
                        goto finish;
                i++;
        }

        /* By file name; for one name the highest-priority directory comes first and owns it. */
        if (n > 1)
                qsort(seen, n, sizeof(Seen), seen_cmp);
        result = calloc(n + 1, sizeof(char *)); /* filled in place: linear in the drop-ins */
        if (!result) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t k = 0, m = 0; k < n; k++) {
                char *p = NULL;

                if (k > 0 && streq(seen[k].name, seen[k - 1].name))
                        continue;
                if (asprintf(&p, "%s/%s.conf.d/%s", dirs[seen[k].dir], name, seen[k].name) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                if (entry_is_masked(p, seen[k].d_type)) {
                        free(p);
                        continue;
                }
                result[m++] = p;
        }
        r = 0;
        *ret = TAKE_PTR(result);
finish:
        seen_free(seen, n);
        return r;
}

int jail_find_dropins(char * const *dirs, const char *name, char ***ret) {
        return find_dropins_masked(dirs, NULL, name, UINT64_MAX, ret);
}

int jail_locate(char * const *dirs, const char *name, char **ret_path, char ***ret_dropins) {
        if (!jail_name_is_valid(name))
                return -EINVAL;

        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (asprintf(&p, "%s/%s.conf", *d, name) < 0)
                        return -ENOMEM;
                if (lstat(p, &st) < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        return -errno;
                }
                if (entry_is_masked(p, DT_LNK))
                        return -ERFKILL;
                if (ret_dropins) {
                        int r = jail_find_dropins(dirs, name, ret_dropins);
                        if (r < 0)
                                return r;
                }
                if (ret_path)
                        *ret_path = TAKE_PTR(p);
                return 0;
        }
        return -ENOENT;
}

JailIndex *jail_index_free(JailIndex *x) {
        if (!x)
                return NULL;
        for (size_t i = 0; i < x->n_entries; i++) {
                free(x->entries[i].name);
                free(x->entries[i].path);
        }
        free(x->entries);
        for (size_t i = 0; x->dir_fds && x->dirs && i < strv_length(x->dirs); i++)
                safe_close(x->dir_fds[i]);
        free(x->dir_fds);
        strv_free(x->dirs);
        free(x);
        return NULL;
}

int jail_index_scan(char * const *dirs, JailIndex **ret) {
        _cleanup_(jail_index_freep) JailIndex *x = NULL;
        Seen *seen = NULL;
        size_t n = 0, alloc = 0;
        unsigned i = 0;
        int r = 0;

        x = calloc(1, sizeof(JailIndex));
        if (!x)
                return -ENOMEM;
        x->dirs = strv_copy(dirs);
        x->dir_fds = malloc((strv_length(dirs) + 1) * sizeof(int));
        if (!x->dirs || !x->dir_fds)
                return -ENOMEM;
        for (size_t k = 0; k <= strv_length(dirs); k++)
                x->dir_fds[k] = -EBADF;

        /* One readdir per search directory: which NAME.conf and NAME.conf.d exist where. */
        STRV_FOREACH(d, dirs) {
                struct dirent *de;
                DIR *dp = opendir(*d);

                if (!dp) {
                        i++;
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        r = -errno;
                        goto finish;
                }
                while ((de = readdir(dp))) {
                        size_t len = strlen(de->d_name);

                        if (de->d_name[0] == '.')
                                continue;
                        if (has_suffix(de->d_name, len, ".conf"))
                                r = seen_add(&seen, &n, &alloc, de->d_name, len - 5, i, de->d_type, false);
                        else if (has_suffix(de->d_name, len, ".conf.d") && i < 64)
                                r = seen_add(&seen, &n, &alloc, de->d_name, len - 7, i, de->d_type, true);
                        if (r < 0)
                                break;
                }
                /* kept, for opening its files by their names alone (jail_load_index_entry()) */
                x->dir_fds[i] = fcntl(dirfd(dp), F_DUPFD_CLOEXEC, 3);
                closedir(dp);
                if (r < 0)
                        goto finish;
                i++;
        }
        if (n > 1)
                qsort(seen, n, sizeof(Seen), seen_cmp);

        x->entries = calloc(n ? n : 1, sizeof(JailIndexEntry));
        if (!x->entries) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t k = 0; k < n;) {
                size_t end = k;
                JailIndexEntry *e = &x->entries[x->n_entries];

                /* a group of one name: its .conf entries (by priority), then .conf.d ones */
                while (end < n && streq(seen[end].name, seen[k].name))
                        end++;
                if (!seen[k].dropin_dir) {
                        if (asprintf(&e->path, "%s/%s.conf", dirs[seen[k].dir], seen[k].name) < 0) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        e->name = TAKE_PTR(seen[k].name);
                        e->masked = entry_is_masked(e->path, seen[k].d_type);
                        for (size_t m = k; m < end; m++)
                                if (seen[m].dropin_dir)
                                        e->dropin_dirs |= UINT64_C(1) << seen[m].dir;
                        x->n_entries++;
                }
                k = end;
        }
        *ret = TAKE_PTR(x);
finish:
        seen_free(seen, n);
        return r;
}

int jail_index_dropins(const JailIndex *x, const JailIndexEntry *e, char ***ret) {
        return find_dropins_masked(x->dirs, x->dir_fds, e->name, e->dropin_dirs, ret);
}

int jail_list_names(char * const *dirs, char ***ret) {
        _cleanup_(jail_index_freep) JailIndex *x = NULL;
        _cleanup_strv_free_ char **l = NULL;
        int r;

        r = jail_index_scan(dirs, &x);
        if (r < 0)
                return r;
        l = calloc(x->n_entries + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0, k = 0; i < x->n_entries; i++)
                if (!x->entries[i].masked)
                        l[k++] = TAKE_PTR(x->entries[i].name);
        *ret = TAKE_PTR(l);
        return 0;
}

