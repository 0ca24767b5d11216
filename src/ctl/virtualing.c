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
#include "pager.h"
#include "strv.h"
#include "table.h"

JsonMode arg_json = JSON_OFF;
bool arg_legend = true;
bool arg_no_pager = false;
bool arg_quiet = false;
bool arg_ask_password = true;

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

/* QUIET: an invalid jail's problems are not printed (verify -q). */
static int load_jail(const char *arg, bool quiet, Jail **ret) {
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
                if (!quiet)
                        print_diags(&diags);
                return EXIT_FAILED;
        }
        if (r < 0)
                return complain_locate(arg, r);
        if (ret)
                *ret = TAKE_PTR(j);
        return EXIT_OK;
}

int load_jail_arg(const char *arg, Jail **ret) {
        return load_jail(arg, false, ret);
}

static int verify_one(const char *arg) {
        return load_jail(arg, arg_quiet, NULL);
}

static int verb_verify(int argc, char *argv[]) {
        _cleanup_strv_free_ char **names = NULL;
        int ret = EXIT_OK;

        (void) pager_open(arg_no_pager);
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
                        if (!arg_quiet)
                                        log_error("%s.conf: '%s' is not a valid jail name (1-64 characters of A-Z a-z 0-9 "
                                          "_ . -, not starting with . or -)", *n, *n);
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

        (void) pager_open(arg_no_pager);
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

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_LEGEND,
        ARG_NO_PAGER,
        ARG_NO_ASK_PASSWORD,
};

static const struct option command_options[] = {
        { "json", optional_argument, NULL, ARG_JSON },
        { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
        { "no-pager", no_argument, NULL, ARG_NO_PAGER },
        { "quiet", no_argument, NULL, 'q' },
        { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
        {}
};

/* Each option as a command's usage shows it. */
static const struct {
        VerbOptions flag;
        const char *name, *usage;
} option_names[] = {
        { VERB_JSON, "--json", "[--json[=MODE]]" },
        { VERB_NO_LEGEND, "--no-legend", "[--no-legend]" },
        { VERB_NO_PAGER, "--no-pager", "[--no-pager]" },
        { VERB_QUIET, "--quiet", "[-q]" },
        { VERB_NO_ASK_PASSWORD, "--no-ask-password", "[--no-ask-password]" },
};

/* The first of FLAGS, as the user would write it. */
static const char *option_name(VerbOptions flags) {
        for (size_t i = 0; i < ELEMENTSOF(option_names); i++)
                if (flags & option_names[i].flag)
                        return option_names[i].name;
        return "?";
}

/* One option C of command_options[] (its argument in optarg): the flag it is, 0 if it is
 * none of them. An invalid --json= mode leaves arg_json negative. */
static VerbOptions take_option(int c) {
        switch (c) {
        case ARG_JSON:
                /* --json alone as systemd's tools take it: indented for a person, a line for a program */
                arg_json = !optarg ? (isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT) : json_mode_from_string(optarg);
                return VERB_JSON;
        case ARG_NO_LEGEND:
                arg_legend = false;
                return VERB_NO_LEGEND;
        case ARG_NO_PAGER:
                arg_no_pager = true;
                return VERB_NO_PAGER;
        case 'q':
                arg_quiet = true;
                return VERB_QUIET;
        case ARG_NO_ASK_PASSWORD:
                arg_ask_password = false;
                return VERB_NO_ASK_PASSWORD;
        }
        return 0;
}

/* The options of CMD after it (argv[0]): permuted to the front, so that they may follow
 * the arguments too ("status NAME --json"). Returns the index of the first argument, or
 * -EXIT_USAGE after saying what is wrong. */
static int parse_command_options(int argc, char *argv[], VerbOptions accepted) {
        int c;

        /* optind = 0 makes getopt start afresh */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "q", command_options, NULL)) >= 0) {
                VerbOptions flag = take_option(c);

                if (flag == 0 || !(accepted & flag)) {
                        log_error("%s: unknown option '%s'; see %s %s --help.", argv[0], argv[optind - 1],
                                  program_invocation_short_name, argv[0]);
                        return -EXIT_USAGE;
                }
                if (arg_json < 0) {
                        log_error("%s: invalid --json= mode '%s'; expected short, pretty or off.", argv[0], optarg);
                        return -EXIT_USAGE;
                }
        }
        return optind;
}

static void help(void) {
        printf("%s [OPTIONS…] COMMAND …\n"
               "\n"
               "Run daemons in chroot jails with resource limits, managed by systemd.\n"
               "\n"
               "Commands:\n"
               "  list                    List every jail with its state, memory, addresses, events\n"
               "  status NAME             Show a jail's files, state, limits, usage and events\n"
               "  cat NAME…               Show a jail's file and its drop-ins\n"
               "  verify [NAME|FILE…]     Check jail files; every jail when none is given\n"
               "  properties NAME|FILE    Show the unit properties the jail sets, as systemd\n"
               "                          reports them on D-Bus\n"
               "  monitor [NAME]          Print the watcher's events as they happen\n"
               "  set-memory NAME SIZE    Change a running jail's MemoryMax (root, or as polkit allows)\n"
               "  run NAME|FILE           Run a jail in the foreground as a transient scope (as root)\n"
               "\n"
               "Options (before or after the command; COMMAND --help shows which it takes):\n"
               "  -h --help               Show this help; COMMAND --help shows its usage\n"
               "     --version            Show the version\n"
               "     --json=MODE          JSON output: short (one line), pretty or off (list, status,\n"
               "                          properties, monitor); --json alone is pretty on a\n"
               "                          terminal, short otherwise\n"
               "     --no-legend          Leave out header and footer lines (list, monitor; taken,\n"
               "                          with nothing to leave out, by status, cat, verify,\n"
               "                          properties)\n"
               "     --no-pager           Do not send the output through a pager\n"
               "  -q --quiet              Print no informational messages (verify: no problems,\n"
               "                          only the exit status; set-memory, run)\n"
               "     --no-ask-password    Do not ask for a password for polkit (set-memory)\n"
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
        VerbOptions options;
        const char *arguments; /* for its usage */
} verbs[] = {
        { "list", verb_list, VERB_JSON | VERB_NO_LEGEND | VERB_NO_PAGER, "" },
        { "status", verb_status, VERB_JSON | VERB_NO_LEGEND | VERB_NO_PAGER, "NAME" },
        { "cat", verb_cat, VERB_NO_LEGEND | VERB_NO_PAGER, "NAME…" },
        { "verify", verb_verify, VERB_NO_LEGEND | VERB_NO_PAGER | VERB_QUIET, "[NAME|FILE…]" },
        { "properties", verb_properties, VERB_JSON | VERB_NO_LEGEND | VERB_NO_PAGER, "NAME|FILE" },
        { "monitor", verb_monitor, VERB_JSON | VERB_NO_LEGEND | VERB_NO_PAGER, "[NAME]" },
        { "set-memory", verb_set_memory, VERB_NO_PAGER | VERB_QUIET | VERB_NO_ASK_PASSWORD, "NAME SIZE" },
        { "run", verb_run, VERB_NO_PAGER | VERB_QUIET, "NAME|FILE" },
};

static void usage(size_t verb) {
        printf("Usage: %s %s", program_invocation_short_name, verbs[verb].name);
        if (!isempty(verbs[verb].arguments))
                printf(" %s", verbs[verb].arguments);
        for (size_t i = 0; i < ELEMENTSOF(option_names); i++)
                if (verbs[verb].options & option_names[i].flag)
                        printf(" %s", option_names[i].usage);
        printf("\nSee virtualing(1).\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", optional_argument, NULL, ARG_JSON },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "quiet", no_argument, NULL, 'q' },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                {}
        };
        VerbOptions before = 0;
        int c, cmd, k, r;

        jail_init_set_title_area(argc, argv); /* for the init of "virtualing run"'s jails */
        /* what the jail code of "virtualing run" reports reads "virtualing: …" */
        log_setup(NULL, LOG_TARGET_CONSOLE, false);

        /* the character set only (for "●"): numbers and dates stay as scripts expect them */
        (void) setlocale(LC_CTYPE, "");
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+hq", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("virtualing %s\n", VERSION);
                        return EXIT_OK;
                default: {
                        VerbOptions flag = take_option(c);

                        if (flag == 0) {
                                log_error("Unknown option '%s'; see %s --help.", argv[optind - 1],
                                          program_invocation_short_name);
                                return EXIT_USAGE;
                        }
                        if (arg_json < 0) {
                                log_error("Invalid --json= mode '%s'; expected short, pretty or off.", optarg);
                                return EXIT_USAGE;
                        }
                        before |= flag;
                }
                }

        if (optind >= argc) {
                log_error("Expected a command; see %s --help.", program_invocation_short_name);
                return EXIT_USAGE;
        }
        cmd = optind;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                VerbOptions refused;
                char **args;

                if (!streq(argv[cmd], verbs[i].name))
                        continue;
                for (int j = cmd + 1; j < argc; j++)
                        if (streq(argv[j], "--help") || streq(argv[j], "-h")) {
                                usage(i);
                                return EXIT_OK;
                        }
                /* --no-ask-password before any command, as systemctl takes it */
                refused = before & ~(verbs[i].options | VERB_NO_ASK_PASSWORD);
                if (refused) {
                        log_error("%s: unknown option '%s'; see %s %s --help.", verbs[i].name,
                                  option_name(refused), program_invocation_short_name, verbs[i].name);
                        return EXIT_USAGE;
                }
                k = parse_command_options(argc - cmd, argv + cmd, verbs[i].options);
                if (k < 0)
                        return -k;
                if (arg_quiet)
                        log_set_max_level(LOG_WARNING);
                /* the options were permuted to the front: the command's name takes the last one's place */
                args = argv + cmd + k - 1;
                args[0] = (char *) verbs[i].name;
                r = verbs[i].run(argc - cmd - k + 1, args);
                pager_close();
                return r;
        }
        log_error("Unknown command '%s'; see %s --help.", argv[cmd], program_invocation_short_name);
        return EXIT_USAGE;
}
