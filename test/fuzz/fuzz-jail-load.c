/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jail loader with drop-ins, and what it hands to systemd. The input is a jail file and
 * up to three drop-ins, separated by NUL bytes. Besides crashes and sanitizer reports, it
 * aborts when an accepted jail would reach a unit file as something else:
 *   - the unit file text holds a control character (but the newline ending each line) or
 *     bytes that are not UTF-8;
 *   - a line is not KEY=value for a key of the property table;
 *   - an IO limit's device, read back the way systemd reads the first word of the value
 *     (double quotes, backslash escaping the next character), differs from the model's;
 *   - a diagnostic, formatted for the terminal, holds a control character. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "jail-load.h"
#include "jail-properties.h"
#include "parse-util.h"

static char dir[] = "/tmp/fuzz-jail-load.XXXXXX";
static char *main_path, *dropin_paths[3];

static void cleanup(void) {
        char *d;

        for (int i = 0; i < 3; i++)
                (void) unlink(dropin_paths[i]);
        (void) unlink(main_path);
        if (asprintf(&d, "%s/fuzz.conf.d", dir) >= 0) {
                (void) rmdir(d);
                free(d);
        }
        (void) rmdir(dir);
}

static void setup(void) {
        if (main_path)
                return;
        if (!mkdtemp(dir))
                abort();
        if (asprintf(&main_path, "%s/fuzz.conf", dir) < 0)
                abort();
        char *d;
        if (asprintf(&d, "%s/fuzz.conf.d", dir) < 0 || mkdir(d, 0755) < 0)
                abort();
        for (int i = 0; i < 3; i++)
                if (asprintf(&dropin_paths[i], "%s/%d0-fuzz.conf", d, i + 1) < 0)
                        abort();
        free(d);
        atexit(cleanup);
}

static void write_file(const char *path, const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t) size) || close(fd) < 0)
                abort();
}

static bool clean_text(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
                        return false;
        return utf8_is_valid(s);
}

/* The first word of a unit file value as systemd reads it (EXTRACT_UNQUOTE, no C escapes):
 * in double or single quotes, or bare; a backslash takes the next character as it is. */
static char *first_word(const char *s, const char **rest) {
        char *out = malloc(strlen(s) + 1), *o = out, quote = 0;

        if (!out)
                abort();
        for (; *s; s++) {
                if (!quote && (*s == ' ' || *s == '\t'))
                        break;
                if (*s == '\\' && s[1] && quote != '\'') {
                        *o++ = *++s;
                        continue;
                }
                if (!quote && (*s == '"' || *s == '\'')) {
                        quote = *s;
                        continue;
                }
                if (quote && *s == quote) {
                        quote = 0;
                        continue;
                }
                *o++ = *s;
        }
        *o = 0;
        *rest = s;
        return out;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static void check_unit_text(const Jail *j, const char *text) {
        _cleanup_free_ char **devs = calloc(j->n_io_limits + 1, sizeof(char *));

        if (!devs)
                abort();
        for (size_t i = 0; i < j->n_io_limits; i++)
                devs[i] = j->io_limits[i].device;
        qsort(devs, j->n_io_limits, sizeof(char *), cmp_str);

        if (!clean_text(text))
                FUZZ_FAIL("the unit file text has a control character or is not UTF-8:\n%s", text);
        for (const char *l = text; *l;) {
                const char *nl = strchr(l, '\n'), *eq = strchr(l, '=');
                char key[64];

                if (!nl || !eq || eq > nl || (size_t) (eq - l) >= sizeof(key))
                        FUZZ_FAIL("not a KEY=value line: %.*s", (int) (nl ? nl - l : (long) strlen(l)), l);
                memcpy(key, l, (size_t) (eq - l));
                key[eq - l] = 0;
                if (strncmp(key, "IO", 2) == 0) {
                        _cleanup_free_ char *line = strndup(eq + 1, (size_t) (nl - eq - 1)), *dev = NULL;
                        const char *rest, *want;

                        if (!line)
                                abort();
                        dev = first_word(line, &rest);
                        want = dev;
                        /* a block device that exists is written /dev/block/MAJ:MIN */
                        if (strncmp(dev, "/dev/block/", 11) != 0 &&
                            !bsearch(&want, devs, j->n_io_limits, sizeof(char *), cmp_str))
                                FUZZ_FAIL("IO device read back as '%s', which the jail does not have", dev);
                        if (*rest != ' ' || !rest[1] || strchr(rest + 1, ' '))
                                FUZZ_FAIL("IO line without exactly one value after the device: %s", line);
                } else if (!streq(key, "CPUQuota") && !streq(key, "MemoryMax") && !streq(key, "MemoryHigh") &&
                           !streq(key, "MemorySwapMax") && !streq(key, "TasksMax"))
                        FUZZ_FAIL("unexpected key '%s'", key);
                l = nl + 1;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(jail_diags_clearp) JailDiags diags = {};
        _cleanup_(jail_freep) Jail *j = NULL;
        char *dropins[4] = {};
        const uint8_t *part = data, *end = data + size;
        size_t n = 0;

        if (size > 256 * 1024)
                return 0;
        setup();
        for (int i = 0; i < 4; i++) {
                const uint8_t *z = memchr(part, 0, (size_t) (end - part));
                const uint8_t *stop = z ?: end;

                if (i == 0)
                        write_file(main_path, part, (size_t) (stop - part));
                else {
                        write_file(dropin_paths[i - 1], part, (size_t) (stop - part));
                        dropins[n++] = dropin_paths[i - 1];
                }
                if (!z)
                        break;
                part = z + 1;
        }

        if (jail_load_files("fuzz", main_path, dropins, 0, &j, &diags) < 0) {
                for (size_t i = 0; i < diags.n; i++) {
                        _cleanup_free_ char *s = jail_diag_format(&diags.items[i]);
                        if (s && !clean_text(s))
                                FUZZ_FAIL("a diagnostic has a control character: %s", s);
                        if (s && strchr(s, '\n'))
                                FUZZ_FAIL("a diagnostic spans lines: %s", s);
                }
                return 0;
        }

        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f || jail_properties_write(j, f) < 0 || fclose(f) != 0)
                abort();
        check_unit_text(j, text);
        return 0;
}
