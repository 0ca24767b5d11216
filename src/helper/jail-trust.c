/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Before root runs anything in a jail: is everything that decides what runs root's? A
 * user who owns the jail's /etc writes ld.so.preload; one who owns a library directory
 * replaces libc; either way root would run their code. Paths are resolved inside the jail
 * as the jailed process will see them (symlinks followed, but only inside the jail), from
 * the fd of the tree, and every component is checked on the way. */
#include <dirent.h>
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail-trust.h"
#include "strv.h"

#define TRUST_BAD 1
#define FOUND 2
#define HOPS_MAX 40
#define INTERPRETER_DEPTH_MAX 4 /* the kernel's own limit on nested interpreters */
#define READ_MAX (16U * 1024U * 1024U)

typedef struct Trust {
        const JailTree *t;
        const Jail *j;
        char *bad;
        const char *why;
        char **listed; /* library directories whose entries were checked */
} Trust;

static int untrusted(Trust *tr, const char *path, const char *why) {
        if (!tr->bad) {
                tr->bad = strdup(path[0] ? path : "/");
                if (!tr->bad)
                        return -ENOMEM;
                tr->why = why;
        }
        return TRUST_BAD;
}

static const char *owner_problem(mode_t mode, uid_t uid) {
        if (S_ISLNK(mode))
                return NULL; /* a link cannot be changed, only replaced in its directory */
        if (uid != 0)
                return "not owned by root";
        if (mode & (S_IWGRP | S_IWOTH))
                return "writable by group or others";
        return NULL;
}

typedef struct Resolved {
        int fd;         /* O_PATH */
        char path[PATH_MAX]; /* inside the jail, "" for / */
        struct statx sx;
        bool system;    /* on a read-only bind of the host's system directories */
} Resolved;

static void resolved_done(Resolved *r) {
        r->fd = safe_close(r->fd);
}

/* The directories walked so far: fds[0] is the jail root (borrowed), lens[i] the length of
 * the path up to fds[i]. */
typedef struct Walk {
        int fds[PATH_MAX / 2];
        size_t lens[PATH_MAX / 2];
        size_t n;
} Walk;

static void walk_pop_to(Walk *w, size_t n) {
        while (w->n > n)
                safe_close(w->fds[--w->n]);
}

/* Resolves PATH (absolute, inside the jail), checking each component that is not on a
 * system mount. 0 and *ret, TRUST_BAD, or a negative errno (-ENOENT: a part is missing). */
static int trust_resolve(Trust *tr, const char *path, Resolved *ret) {
        _cleanup_free_ char *rest = strdup(path);
        Walk *w;
        char *p, cur[PATH_MAX] = "";
        bool system = false;
        unsigned hops = 0;
        int r = 0;

        if (!rest)
                return -ENOMEM;
        w = malloc(sizeof(Walk));
        if (!w)
                return -ENOMEM;
        w->fds[0] = tr->t->root_fd;
        w->lens[0] = 0;
        w->n = 1;

        p = rest;
        for (;;) {
                char *c, target[PATH_MAX];
                struct statx sx;
                size_t len;
                int fd;

                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                c = p;
                p += strcspn(p, "/");
                if (*p)
                        *p++ = 0;
                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        if (w->n > 1) {
                                walk_pop_to(w, w->n - 1);
                                cur[w->lens[w->n - 1]] = 0;
                        }
                        continue;
                }
                len = strlen(cur);
                if (len + 1 + strlen(c) >= sizeof(cur) || w->n >= ELEMENTSOF(w->fds)) {
                        r = -ENAMETOOLONG;
                        break;
                }
                fd = openat(w->fds[w->n - 1], c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        r = -errno;
                        break;
                }
                snprintf(cur + len, sizeof(cur) - len, "/%s", c);
                if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
                          STATX_TYPE | STATX_MODE | STATX_UID | STATX_MNT_ID, &sx) < 0) {
                        r = -errno;
                        safe_close(fd);
                        break;
                }
                system = jail_tree_is_system_mount(tr->t, sx.stx_mnt_id);
                if (!system) {
                        const char *why = owner_problem(sx.stx_mode, sx.stx_uid);
                        if (why) {
                                safe_close(fd);
                                r = untrusted(tr, cur, why);
                                break;
                        }
                }
                if (S_ISLNK(sx.stx_mode)) {
                        ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
                        char *np = NULL;

                        safe_close(fd);
                        if (n < 0) {
                                r = -errno;
                                break;
                        }
                        target[n] = 0;
                        if (++hops > HOPS_MAX) {
                                r = -ELOOP;
                                break;
                        }
                        /* the link's own name goes; its target is walked from its directory */
                        cur[len] = 0;
                        if (target[0] == '/') {
                                walk_pop_to(w, 1);
                                cur[0] = 0;
                        }
                        if (asprintf(&np, "%s/%s", target, p) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        free(rest);
                        rest = np;
                        p = rest;
                        continue;
                }
                w->fds[w->n] = fd;
                w->lens[w->n] = strlen(cur);
                w->n++;
        }

        if (r == 0) {
                ret->fd = w->n > 1 ? w->fds[--w->n] : fcntl(tr->t->root_fd, F_DUPFD_CLOEXEC, 3);
                if (ret->fd < 0)
                        r = -errno;
                else if (statx(ret->fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
                               STATX_TYPE | STATX_MODE | STATX_UID | STATX_MNT_ID, &ret->sx) < 0) {
                        r = -errno;
                        ret->fd = safe_close(ret->fd);
                } else {
                        snprintf(ret->path, sizeof(ret->path), "%s", cur[0] ? cur : "/");
                        ret->system = system && ret->path[1];
                }
        }
        walk_pop_to(w, 1);
        free(w);
        return r;
}

/* A missing path is fine (nothing is read from it); one that cannot be resolved is not. */
static int resolve_or_missing(Trust *tr, const char *path, Resolved *ret) {
        int r = trust_resolve(tr, path, ret);

        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r == -ELOOP)
                return untrusted(tr, path, "a symlink loop");
        if (r == -ENAMETOOLONG)
                return untrusted(tr, path, "too long a path");
        if (r != 0)
                return r;
        return FOUND; /* the caller looks at it, then closes it */
}

static int check_file(Trust *tr, const char *path) {
        Resolved res = { .fd = -EBADF };
        int r = resolve_or_missing(tr, path, &res);

        if (r == FOUND) {
                resolved_done(&res);
                return 0;
        }
        return r;
}

/* Reads up to MAX bytes of a file we have found trusted. */
static int read_trusted(const Resolved *res, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        char proc[64];
        size_t size = 0;

        if (!S_ISREG(res->sx.stx_mode))
                return -EBADFD;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", res->fd);
        fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        while (size < max) {
                ssize_t n = read(fd, buf + size, max - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

static int check_library_dir(Trust *tr, const char *path);

/* Every entry directly in a library directory: what the linker may load from it. */
static int check_entries(Trust *tr, const Resolved *dir) {
        DIR *d;
        struct dirent *de;
        int dfd, r = 0;

        dfd = openat(dir->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return -ENOMEM;
        }
        while (r == 0 && (errno = 0, de = readdir(d))) {
                _cleanup_free_ char *full = NULL;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&full, "%s/%s", dir->path, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT)
                                r = -errno;
                        continue;
                }
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);
                        if (n < 0) {
                                r = -errno;
                                break;
                        }
                        target[n] = 0;
                        /* a link to a sibling: that sibling is an entry of its own */
                        if (strchr(target, '/'))
                                r = check_file(tr, full);
                        continue;
                }
                if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                        continue;
                {
                        const char *why = owner_problem(st.st_mode, st.st_uid);
                        if (why) {
                                r = untrusted(tr, full, why);
                                break;
                        }
                }
                if (S_ISDIR(st.st_mode) && streq(de->d_name, "glibc-hwcaps")) {
                        Resolved sub = { .fd = -EBADF };
                        DIR *hd;
                        struct dirent *he;
                        int hfd;

                        r = trust_resolve(tr, full, &sub);
                        if (r != 0)
                                break;
                        hfd = openat(sub.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        resolved_done(&sub);
                        if (hfd < 0) {
                                r = -errno;
                                break;
                        }
                        hd = fdopendir(hfd);
                        if (!hd) {
                                safe_close(hfd);
                                r = -ENOMEM;
                                break;
                        }
                        while (r == 0 && (he = readdir(hd))) {
                                _cleanup_free_ char *level = NULL;
                                if (he->d_name[0] == '.')
                                        continue;
                                if (asprintf(&level, "%s/%s", full, he->d_name) < 0)
                                        r = -ENOMEM;
                                else
                                        r = check_library_dir(tr, level);
                        }
                        closedir(hd);
                }
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        return r;
}

static int check_library_dir(Trust *tr, const char *path) {
        Resolved res = { .fd = -EBADF };
        int r;

        r = resolve_or_missing(tr, path, &res);
        if (r != FOUND)
                return r;
        r = 0;
        /* the host's system directories are trusted with all they hold; a directory is
         * listed once however many names lead to it */
        if (S_ISDIR(res.sx.stx_mode) && !res.system && !strv_contains(tr->listed, res.path)) {
                r = strv_extend(&tr->listed, res.path) < 0 ? -ENOMEM : check_entries(tr, &res);
        }
        resolved_done(&res);
        return r;
}

/* Paths in a list separated by any of SEPS; relative ones count from the working directory,
 * an empty one is the working directory itself (as the dynamic linker reads LD_LIBRARY_PATH). */
static int check_path_list(Trust *tr, const char *list, const char *seps, bool dirs) {
        _cleanup_free_ char *copy = strdup(list);
        const char *wd = tr->j->working_directory ?: "/";
        char *save = NULL;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        if (dirs && (list[0] == 0 || strstr(list, "::") || list[0] == ':' || list[strlen(list) - 1] == ':'))
                r = check_library_dir(tr, wd);
        for (char *e = strtok_r(copy, seps, &save); r == 0 && e; e = strtok_r(NULL, seps, &save)) {
                _cleanup_free_ char *full = NULL;

                if (e[0] != '/' && asprintf(&full, "%s/%s", wd, e) < 0)
                        return -ENOMEM;
                if (dirs)
                        r = check_library_dir(tr, full ?: e);
                else if (strchr(e, '/'))
                        r = check_file(tr, full ?: e);
                /* a bare library name is searched for in the library directories, checked anyway */
        }
        return r;
}

static const char *env_value(const Jail *j, const char *name) {
        size_t n = strlen(name);
        const char *v = NULL;

        STRV_FOREACH(e, j->environment)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        v = *e + n + 1; /* the last assignment wins */
        return v;
}

/* ---- the program: ELF interpreter and RPATH/RUNPATH, or "#!" */

typedef struct ElfInfo {
        char *interp;
        char *runpath;
} ElfInfo;

static bool in_file(size_t size, uint64_t off, uint64_t len) {
        return off <= size && len <= size - off;
}

/* From the first bytes of the file (the headers sit there in every sane binary). */
static int elf_parse(const char *data, size_t size, ElfInfo *ret) {
        const unsigned char *e = (const unsigned char *) data;
        uint64_t phoff, phentsize, phnum, dyn_off = 0, dyn_size = 0, strtab_vaddr = 0, rpath = UINT64_MAX,
                 runpath = UINT64_MAX;
        bool is64;

        if (size < EI_NIDENT || memcmp(e, ELFMAG, SELFMAG) != 0)
                return 0;
#if __BYTE_ORDER == __LITTLE_ENDIAN
        if (e[EI_DATA] != ELFDATA2LSB)
                return 0;
#else
        if (e[EI_DATA] != ELFDATA2MSB)
                return 0;
#endif
        is64 = e[EI_CLASS] == ELFCLASS64;
        if (is64 ? size < sizeof(Elf64_Ehdr) : size < sizeof(Elf32_Ehdr))
                return 0;
        if (is64) {
                Elf64_Ehdr h;
                memcpy(&h, data, sizeof(h));
                phoff = h.e_phoff, phentsize = h.e_phentsize, phnum = h.e_phnum;
        } else {
                Elf32_Ehdr h;
                memcpy(&h, data, sizeof(h));
                phoff = h.e_phoff, phentsize = h.e_phentsize, phnum = h.e_phnum;
        }
        if (phentsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum > 512 ||
            !in_file(size, phoff, phentsize * phnum))
                return 0;

        /* two passes: the interpreter and the dynamic section, then the string table's file offset */
        for (int pass = 0; pass < 2; pass++)
                for (uint64_t i = 0; i < phnum; i++) {
                        uint64_t type, off, filesz, vaddr;
                        const char *ph = data + phoff + i * phentsize;
                        if (is64) {
                                Elf64_Phdr p;
                                memcpy(&p, ph, sizeof(p));
                                type = p.p_type, off = p.p_offset, filesz = p.p_filesz, vaddr = p.p_vaddr;
                        } else {
                                Elf32_Phdr p;
                                memcpy(&p, ph, sizeof(p));
                                type = p.p_type, off = p.p_offset, filesz = p.p_filesz, vaddr = p.p_vaddr;
                        }
                        if (pass == 0 && type == PT_INTERP && in_file(size, off, filesz) && filesz > 1 &&
                            filesz < PATH_MAX && !ret->interp) {
                                ret->interp = strndup(data + off, filesz);
                                if (!ret->interp)
                                        return -ENOMEM;
                        } else if (pass == 0 && type == PT_DYNAMIC && in_file(size, off, filesz)) {
                                dyn_off = off;
                                dyn_size = filesz;
                                for (uint64_t k = 0; k + (is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn)) <= dyn_size;
                                     k += is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn)) {
                                        int64_t tag;
                                        uint64_t val;
                                        if (is64) {
                                                Elf64_Dyn d;
                                                memcpy(&d, data + dyn_off + k, sizeof(d));
                                                tag = d.d_tag, val = d.d_un.d_val;
                                        } else {
                                                Elf32_Dyn d;
                                                memcpy(&d, data + dyn_off + k, sizeof(d));
                                                tag = d.d_tag, val = d.d_un.d_val;
                                        }
                                        if (tag == DT_NULL)
                                                break;
                                        if (tag == DT_STRTAB)
                                                strtab_vaddr = val;
                                        else if (tag == DT_RPATH)
                                                rpath = val;
                                        else if (tag == DT_RUNPATH)
                                                runpath = val;
                                }
                        } else if (pass == 1 && type == PT_LOAD && strtab_vaddr >= vaddr &&
                                   strtab_vaddr - vaddr < filesz && (rpath != UINT64_MAX || runpath != UINT64_MAX) &&
                                   !ret->runpath) {
                                uint64_t str = off + (strtab_vaddr - vaddr) + (runpath != UINT64_MAX ? runpath : rpath);
                                if (str < size) {
                                        ret->runpath = strndup(data + str, size - str);
                                        if (!ret->runpath)
                                                return -ENOMEM;
                                }
                        }
                }
        return 0;
}

/* RPATH/RUNPATH with $ORIGIN (the program's directory) and $LIB expanded. */
static int check_runpath(Trust *tr, const char *runpath, const char *program) {
        _cleanup_free_ char *copy = strdup(runpath), *origin = strdup(program);
        char *save = NULL, *slash;
        int r = 0;

        if (!copy || !origin)
                return -ENOMEM;
        slash = strrchr(origin, '/');
        if (slash)
                *(slash == origin ? slash + 1 : slash) = 0;
        for (char *e = strtok_r(copy, ":", &save); r == 0 && e; e = strtok_r(NULL, ":", &save)) {
                static const char * const libs[] = { "lib", "lib64" };
                _cleanup_free_ char *x = NULL;
                const char *o;

                if ((o = strstr(e, "$ORIGIN")) || (o = strstr(e, "${ORIGIN}"))) {
                        size_t skip = o[1] == '{' ? 9 : 7;
                        if (asprintf(&x, "%.*s%s%s", (int) (o - e), e, origin, o + skip) < 0)
                                return -ENOMEM;
                        e = x;
                }
                if ((o = strstr(e, "$LIB")) || (o = strstr(e, "${LIB}"))) {
                        size_t skip = o[1] == '{' ? 6 : 4;
                        for (size_t i = 0; r == 0 && i < ELEMENTSOF(libs); i++) {
                                _cleanup_free_ char *y = NULL;
                                if (asprintf(&y, "%.*s%s%s", (int) (o - e), e, libs[i], o + skip) < 0)
                                        return -ENOMEM;
                                r = check_path_list(tr, y, "", true);
                        }
                        continue;
                }
                r = check_path_list(tr, e, "", true);
        }
        return r;
}

static int check_program(Trust *tr, const char *path, unsigned depth) {
        _cleanup_free_ char *data = NULL;
        Resolved res = { .fd = -EBADF };
        ElfInfo elf = {};
        size_t size;
        int r;

        if (depth > INTERPRETER_DEPTH_MAX)
                return untrusted(tr, path, "too many nested interpreters");
        r = resolve_or_missing(tr, path, &res);
        if (r != FOUND)
                return r; /* missing: executing it fails later, with that message */
        r = read_trusted(&res, 64 * 1024, &data, &size);
        if (r < 0) {
                resolved_done(&res);
                return r == -EBADFD ? 0 : r; /* not a regular file: execve() refuses it */
        }
        if (size > 2 && data[0] == '#' && data[1] == '!') {
                char *i = data + 2, *end;
                i += strspn(i, " \t");
                end = i + strcspn(i, " \t\n");
                *end = 0;
                r = *i == '/' ? check_program(tr, i, depth + 1) : 0;
        } else {
                r = elf_parse(data, size, &elf);
                if (r == 0 && elf.interp)
                        r = check_program(tr, elf.interp, depth + 1);
                if (r == 0 && elf.runpath)
                        r = check_runpath(tr, elf.runpath, res.path);
                free(elf.interp);
                free(elf.runpath);
        }
        resolved_done(&res);
        return r;
}

/* ---- the dynamic linker's configuration */

static int check_preload(Trust *tr) {
        _cleanup_free_ char *data = NULL;
        Resolved res = { .fd = -EBADF };
        size_t size;
        int r;

        r = resolve_or_missing(tr, "/etc/ld.so.preload", &res);
        if (r != FOUND)
                return r;
        r = read_trusted(&res, 64 * 1024, &data, &size);
        resolved_done(&res);
        if (r == -EBADFD)
                return 0;
        if (r < 0)
                return r;
        return check_path_list(tr, data, " \t\n:", false);
}

/* glibc's cache: "glibc-ld.so.cache1.1", counts, then entries whose value is the offset
 * of a library's full path (from the start of that header). Every directory holding one
 * is a library directory. An unreadable cache only has its own file checked. */
static int check_cache(Trust *tr) {
        static const char magic[] = "glibc-ld.so.cache1.1";
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_free_ char *data = NULL;
        Resolved res = { .fd = -EBADF };
        const char *hdr;
        uint32_t nlibs;
        size_t size, base;
        int r;

        r = resolve_or_missing(tr, "/etc/ld.so.cache", &res);
        if (r != FOUND)
                return r;
        r = read_trusted(&res, READ_MAX, &data, &size);
        resolved_done(&res);
        if (r == -EBADFD)
                return 0;
        if (r < 0)
                return r;
        hdr = memmem(data, size < 4096 ? size : 4096, magic, sizeof(magic) - 1);
        if (!hdr)
                return 0;
        base = (size_t) (hdr - data);
        if (size - base < 48)
                return 0;
        memcpy(&nlibs, hdr + 20, sizeof(nlibs));
        if (nlibs > (size - base - 48) / 24)
                return 0;
        for (uint32_t i = 0; i < nlibs; i++) {
                uint32_t value;
                const char *lib, *slash;
                char *dir;

                memcpy(&value, hdr + 48 + (size_t) i * 24 + 8, sizeof(value));
                if (value >= size - base)
                        continue;
                lib = hdr + value;
                if (!memchr(lib, 0, size - base - value) || lib[0] != '/')
                        continue;
                slash = strrchr(lib, '/');
                dir = strndup(lib, slash == lib ? 1 : (size_t) (slash - lib));
                if (!dir)
                        return -ENOMEM;
                if (strv_contains(dirs, dir))
                        free(dir);
                else if (strv_consume(&dirs, dir) < 0)
                        return -ENOMEM;
        }
        STRV_FOREACH(d, dirs) {
                r = check_library_dir(tr, *d);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int check_linker(Trust *tr) {
        static const char * const files[] = { "/etc", "/etc/ld.so.conf", "/etc/ld.so.conf.d" };
        const char * const lib_dirs[] = {
                "/lib", "/lib64", "/usr/lib", "/usr/lib64",
#ifdef MULTIARCH_TRIPLET
                "/lib/" MULTIARCH_TRIPLET, "/usr/lib/" MULTIARCH_TRIPLET,
#endif
        };
        const char *v;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                r = check_file(tr, files[i]);
                if (r != 0)
                        return r;
        }
        /* the files of ld.so.conf.d are read by ldconfig, which root may run in the jail */
        {
                Resolved res = { .fd = -EBADF };
                r = resolve_or_missing(tr, "/etc/ld.so.conf.d", &res);
                if (r != FOUND && r != 0)
                        return r;
                if (r == FOUND) {
                        bool dir = S_ISDIR(res.sx.stx_mode) && !res.system;
                        r = dir && !strv_contains(tr->listed, res.path) ?
                                (strv_extend(&tr->listed, res.path) < 0 ? -ENOMEM : check_entries(tr, &res)) : 0;
                        resolved_done(&res);
                        if (r != 0)
                                return r;
                }
        }
        r = check_preload(tr);
        if (r == 0)
                r = check_cache(tr);
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(lib_dirs); i++)
                r = check_library_dir(tr, lib_dirs[i]);
        if (r == 0 && (v = env_value(tr->j, "LD_LIBRARY_PATH")))
                r = check_path_list(tr, v, ":;", true);
        if (r == 0 && (v = env_value(tr->j, "LD_PRELOAD")))
                r = check_path_list(tr, v, " :", false);
        if (r == 0 && (v = env_value(tr->j, "LD_AUDIT")))
                r = check_path_list(tr, v, ":", false);
        return r;
}

int jail_trust_check(const JailTree *t, const Jail *j, bool command, char **ret_path, const char **ret_why) {
        Trust tr = { .t = t, .j = j };
        int r;

        if (t->untrusted)
                r = untrusted(&tr, "/", "not owned by root, or writable by group or others");
        else {
                r = command ? check_program(&tr, j->exec[0], 0) : 0;
                if (r == 0)
                        r = check_linker(&tr);
        }
        strv_free(tr.listed);
        if (r == TRUST_BAD) {
                *ret_path = TAKE_PTR(tr.bad);
                *ret_why = tr.why;
                return 1;
        }
        free(tr.bad);
        return r < 0 ? r : 0;
}
