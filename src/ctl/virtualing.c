/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virtualing: the administrator's command. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "jail-init.h"
#include "log.h"
#include "jail-load.h"
#include "strv.h"

static void print_diags(const JailDiags *d) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = jail_diag_format(&d->items[i]);
                log_error("%s", s ?: d->items[i].message);
        }
}

static bool arg_is_file(const char *a) {
        size_t n = strlen(a);
        return strchr(a, '/') || (n > 5 && streq(a + n - 5, ".conf"));
}

int complain_locate(const char *name, int r) {
        if (r == -ERFKILL) {
                log_error("Jail %s is masked.", name);
                return EXIT_NO_JAIL;
        }
        if (r == -EINVAL) {
                log_error("'%s' is not a valid jail name (1-64 characters of A-Z a-z 0-9 _ . -, not starting with . or -).",
                          name);
                return EXIT_USAGE;
        }
        if (r == -ENOENT) {
                _cleanup_strv_free_ char **dirs = NULL;
                _cleanup_free_ char *path = NULL;
                if (jail_search_path(&dirs) >= 0)
                        path = strv_join(dirs, ":");
                log_error("No jail %s found (searched %s).", name, path ?: "?");
                return EXIT_NO_JAIL;
        }
        log_error("Failed to look up jail %s: %s", name, strerror(-r));
        return EXIT_FAILED;
}

/* A file given by path: its name from the file name, drop-ins from NAME.conf.d/ beside it. */
static int load_file_arg(const char *arg, Jail **ret, JailDiags *diags) {
        _cleanup_free_ char *copy = strdup(arg), *copy2 = strdup(arg), *name = NULL;
        _cleanup_strv_free_ char **dropins = NULL;
        char *dirs[2] = {}, *base;
        size_t n;
        int r;

        if (!copy || !copy2)
                return -ENOMEM;
        base = basename(copy);
        n = strlen(base);
        name = strndup(base, n > 5 && streq(base + n - 5, ".conf") ? n - 5 : n);
        if (!name)
                return -ENOMEM;
        dirs[0] = dirname(copy2);
        if (jail_name_is_valid(name)) {
                r = jail_find_dropins(dirs, name, &dropins);
                if (r < 0)
                        return r;
        }
        return jail_load_files(name, arg, dropins, jail_load_flags_default(), ret, diags);
}

int load_jail_arg(const char *arg, Jail **ret) {
        _cleanup_(jail_freep) Jail *j = NULL;
        _cleanup_(jail_diags_clearp) JailDiags diags = {};
        int r;

        if (arg_is_file(arg))
                r = load_file_arg(arg, &j, &diags);
        else
                r = jail_load(arg, jail_load_flags_default(), &j, &diags);
        if (r == -ENOMEM) {
                log_error("Out of memory.");
                return EXIT_FAILED;
        }
        if (r == -EINVAL && diags.n > 0) {
                print_diags(&diags);
                return EXIT_FAILED;
        }
        if (r < 0)
                return complain_locate(arg, r);
        if (ret)
                *ret = TAKE_PTR(j);
        return EXIT_OK;
}

static int verify_one(const char *arg) {
        return load_jail_arg(arg, NULL);
}

static int verb_verify(int argc, char *argv[]) {
        _cleanup_strv_free_ char **names = NULL;
        int ret = EXIT_OK;

        if (argc > 1) {
                for (int i = 1; i < argc; i++) {
                        int k = verify_one(argv[i]);
                        if (k != EXIT_OK && ret == EXIT_OK)
                                ret = k;
                }
                return ret;
        }

        _cleanup_strv_free_ char **dirs = NULL;
        int r = jail_search_path(&dirs);
        if (r >= 0)
                r = jail_list_names(dirs, &names);
        if (r < 0) {
                log_error("Failed to enumerate jails: %s", strerror(-r));
                return EXIT_FAILED;
        }
        STRV_FOREACH(n, names) {
                int k;

                if (!jail_name_is_valid(*n)) {
                        log_error("%s.conf: '%s' is not a valid jail name (1-64 characters of A-Z a-z 0-9 _ . -, "
                                  "not starting with . or -)", *n, *n);
                        if (ret == EXIT_OK)
                                ret = EXIT_FAILED;
                        continue;
                }
                k = verify_one(*n);
                if (k != EXIT_OK && ret == EXIT_OK)
                        ret = k;
        }
        return ret;
}

/* Prints a jail file as it is, but for control characters and invalid UTF-8, shown as
 * \xNN: what cat shows cannot move the cursor or clear the screen. */
static int cat_file(const char *path, bool first) {
        _cleanup_free_ char *shown = escape_for_display(path), *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;
        ssize_t n;
        struct stat st;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                int r = fd < 0 || errno != 0 ? -errno : -EBADFD;
                if (fd >= 0 && r == -EBADFD)
                        log_error("Failed to open %s: not a regular file", shown ?: path);
                else
                        log_error("Failed to open %s: %s", shown ?: path, strerror(-r));
                safe_close(fd);
                return r ?: -EBADFD;
        }
        f = fdopen(fd, "r");
        if (!f) {
                safe_close(fd);
                return -ENOMEM;
        }
        printf("%s# %s\n", first ? "" : "\n", shown ?: path);
        while ((n = getline(&line, &size, f)) > 0) {
                _cleanup_free_ char *l = NULL;
                bool nl = line[n - 1] == '\n';
                if (nl)
                        line[n - 1] = 0;
                l = escape_for_display(line);
                printf("%s\n", l ?: "");
        }
        if (ferror(f)) {
                log_error("Failed to read %s.", shown ?: path);
                return -EIO;
        }
        return 0;
}

static int verb_cat(int argc, char *argv[]) {
        _cleanup_strv_free_ char **dirs = NULL;
        int ret = EXIT_OK, r;

        if (argc < 2) {
                log_error("cat: expected at least one jail name.");
                return EXIT_USAGE;
        }
        r = jail_search_path(&dirs);
        if (r < 0)
                return EXIT_FAILED;

        for (int i = 1; i < argc; i++) {
                _cleanup_strv_free_ char **dropins = NULL;
                _cleanup_free_ char *path = NULL;

                r = jail_locate(dirs, argv[i], &path, &dropins);
                if (r < 0) {
                        int k = complain_locate(argv[i], r);
                        if (ret == EXIT_OK)
                                ret = k;
                        continue;
                }
                if (cat_file(path, i == 1) < 0)
                        ret = EXIT_FAILED;
                STRV_FOREACH(d, dropins)
                        if (cat_file(*d, false) < 0)
                                ret = EXIT_FAILED;
        }
        if (fflush(stdout) != 0)
                ret = EXIT_FAILED;
        return ret;
}

int parse_verb_options(int argc, char *argv[], bool *ret_json, bool *ret_no_legend) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "no-legend", no_argument, NULL, 'L' },
                {}
        };
        int c;

        /* argv[0] is the command; optind = 0 makes getopt start afresh, and permuting lets
         * options follow the arguments too ("status NAME --json") */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        if (!ret_json)
                                goto unknown;
                        *ret_json = true;
                        break;
                case 'L':
                        if (!ret_no_legend)
                                goto unknown;
                        *ret_no_legend = true;
                        break;
                default:
                unknown:
                        log_error("%s: unknown option '%s'; see %s %s --help.", argv[0], argv[optind - 1],
                                  program_invocation_short_name, argv[0]);
                        return -EXIT_USAGE;
                }
        return optind;
}

static void help(void) {
        printf("%s [OPTIONS…] COMMAND …\n"
               "\n"
               "Run daemons in chroot jails with resource limits, managed by systemd.\n"
               "\n"
               "Commands:\n"
               "  list [--json]           List every jail with its state, memory, addresses, events\n"
               "  status NAME [--json]    Show a jail's files, state, limits, usage and events\n"
               "  cat NAME…               Show a jail's file and its drop-ins\n"
               "  verify [NAME|FILE…]     Check jail files; every jail when none is given\n"
               "  properties NAME|FILE [--json]\n"
               "                          Show the unit properties the jail sets, as systemd\n"
               "                          reports them on D-Bus\n"
               "  monitor [NAME] [--json] Print the watcher's events as they happen\n"
               "  set-memory NAME SIZE    Change a running jail's MemoryMax (as root)\n"
               "  run NAME|FILE           Run a jail in the foreground as a transient scope (as root)\n"
               "\n"
               "Options:\n"
               "  -h --help               Show this help; COMMAND --help shows its usage\n"
               "     --version            Show the version\n"
               "\n"
               "Exit status: 0 success, 1 failure or invalid jail, 2 bad command line,\n"
               "4 no such jail or masked; run: the jailed command's status (see virtualing(1)).\n"
               "\n"
               "Jail files are read from $VIRTUALING_CONFIG_PATH, or\n"
               "/etc/virtualing:/run/virtualing:/usr/local/lib/virtualing:/usr/lib/virtualing.\n"
               "See virtualing(1) and virtualing.conf(5).\n",
               program_invocation_short_name);
}

static const struct {
        const char *name;
        int (*run)(int argc, char *argv[]);
        const char *usage;
} verbs[] = {
        { "list", verb_list, "list [--json] [--no-legend]" },
        { "status", verb_status, "status NAME [--json]" },
        { "cat", verb_cat, "cat NAME…" },
        { "verify", verb_verify, "verify [NAME|FILE…]" },
        { "properties", verb_properties, "properties NAME|FILE [--json]" },
        { "monitor", verb_monitor, "monitor [NAME] [--json]" },
        { "set-memory", verb_set_memory, "set-memory NAME SIZE" },
        { "run", verb_run, "run NAME|FILE" },
};

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        int c;

        jail_init_set_title_area(argc, argv); /* for the init of "virtualing run"'s jails */
        /* what the jail code of "virtualing run" reports reads "virtualing: …" */
        log_setup(NULL, LOG_TARGET_CONSOLE, false);

        /* the character set only (for "●"): numbers and dates stay as scripts expect them */
        (void) setlocale(LC_CTYPE, "");
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'V':
                        printf("virtualing %s\n", VERSION);
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }

        if (optind >= argc) {
                log_error("Expected a command; see %s --help.", program_invocation_short_name);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(argv[optind], verbs[i].name))
                        continue;
                for (int k = optind + 1; k < argc; k++)
                        if (streq(argv[k], "--help") || streq(argv[k], "-h")) {
                                printf("Usage: %s %s\nSee virtualing(1).\n", program_invocation_short_name,
                                       verbs[i].usage);
                                return EXIT_OK;
                        }
                return verbs[i].run(argc - optind, argv + optind);
        }
        log_error("Unknown command '%s'; see %s --help.", argv[optind], program_invocation_short_name);
        return EXIT_USAGE;
}
