/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON output of virtualing: documents are written compact, then printed as one line
 * (--json=short) or indented like systemd's --json=pretty. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "macro.h"

static const char * const json_mode_table[_JSON_MODE_MAX] = {
        [JSON_OFF] = "off",
        [JSON_SHORT] = "short",
        [JSON_PRETTY] = "pretty",
};

JsonMode json_mode_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(json_mode_table); i++)
                if (s && streq(s, json_mode_table[i]))
                        return (JsonMode) i;
        return _JSON_MODE_INVALID;
}

void json_string(FILE *f, const char *s) {
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        fputc('"', f);
}

void json_u64(FILE *f, uint64_t v, bool known) {
        if (known)
                fprintf(f, "%" PRIu64, v);
        else
                fputs("null", f);
}

static void indent(FILE *out, unsigned level) {
        fputc('\n', out);
        for (unsigned i = 0; i < level; i++)
                fputc('\t', out);
}

/* The document is ours, compact and valid: outside strings, a bracket opens or closes a
 * level, a comma ends a member; nothing else needs looking at. */
static void emit_pretty(FILE *out, const char *doc) {
        unsigned level = 0;
        bool in_string = false;

        for (const char *p = doc; *p; p++) {
                if (in_string) {
                        fputc(*p, out);
                        if (*p == '\\' && p[1])
                                fputc(*++p, out);
                        else if (*p == '"')
                                in_string = false;
                        continue;
                }
                switch (*p) {
                case '"':
                        in_string = true;
                        fputc('"', out);
                        break;
                case '{':
                case '[':
                        /* empty: {} and [] as they are */
                        if (p[1] == (*p == '{' ? '}' : ']')) {
                                fputc(*p, out);
                                fputc(*++p, out);
                                break;
                        }
                        fputc(*p, out);
                        indent(out, ++level);
                        break;
                case '}':
                case ']':
                        indent(out, level > 0 ? --level : 0);
                        fputc(*p, out);
                        break;
                case ',':
                        fputc(',', out);
                        indent(out, level);
                        break;
                case ':':
                        fputs(" : ", out);
                        break;
                default:
                        fputc(*p, out);
                }
        }
}

void json_emit(FILE *out, const char *doc, JsonMode mode) {
        if (mode == JSON_PRETTY)
                emit_pretty(out, doc);
        else
                fputs(doc, out);
        fputc('\n', out);
}

int json_output(JsonMode mode, int (*writer)(FILE *f, void *userdata), void *userdata) {
        _cleanup_free_ char *doc = NULL;
        size_t size = 0;
        FILE *f;
        bool failed;
        int r;

        f = open_memstream(&doc, &size);
        if (!f)
                return -ENOMEM;
        r = writer(f, userdata);
        failed = ferror(f);
        if (fclose(f) != 0 || failed)
                return -ENOMEM;
        if (r < 0)
                return r;
        json_emit(stdout, doc, mode);
        return 0;
}
