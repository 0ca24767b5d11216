/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tables, colours and sizes for virtualing's output. */
#include <inttypes.h>
#include <langinfo.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "parse-util.h"
#include "table.h"

bool colors_enabled(void) {
        static int cached = -1;
        const char *term;

        if (cached < 0) {
                term = getenv("TERM");
                cached = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !(term && streq(term, "dumb"));
        }
        return cached;
}

const char *active_state_color(const char *state) {
        if (!colors_enabled() || !state)
                return NULL;
        if (streq(state, "active") || streq(state, "reloading"))
                return ANSI_GREEN;
        if (streq(state, "failed") || streq(state, "invalid"))
                return ANSI_RED;
        return NULL;
}

const char *special_glyph_dot(void) {
        const char *cs = nl_langinfo(CODESET);
        return cs && (streq(cs, "UTF-8") || streq(cs, "utf8")) ? "●" : "*";
}

char *format_bytes(char *buf, size_t size, uint64_t bytes) {
        static const char suffixes[] = "KMGTPE";
        double v = (double) bytes;
        size_t i;

        if (bytes == UINT64_MAX) {
                snprintf(buf, size, "infinity");
                return buf;
        }
        if (bytes < 1024) {
                snprintf(buf, size, "%" PRIu64 "B", bytes);
                return buf;
        }
        for (i = 0; i < sizeof(suffixes) - 2 && v >= 1024.0 * 1024.0; i++)
                v /= 1024.0;
        snprintf(buf, size, "%.1f%c", v / 1024.0, suffixes[i]);
        return buf;
}

char *format_timestamp(char *buf, size_t size, uint64_t usec) {
        time_t sec = (time_t) (usec / 1000000);
        struct tm tm;

        buf[0] = 0;
        if (usec == 0 || usec == UINT64_MAX || !localtime_r(&sec, &tm))
                return buf;
        if (strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                buf[0] = 0;
        return buf;
}

Table *table_new(size_t n_columns, const char * const *headers, const Align *align) {
        Table *t = calloc(1, sizeof(Table));

        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->headers = calloc(n_columns, sizeof(char *));
        t->align = calloc(n_columns, sizeof(Align));
        if (!t->headers || !t->align)
                return table_free(t);
        for (size_t i = 0; i < n_columns; i++) {
                t->headers[i] = strdup(headers[i]);
                if (!t->headers[i])
                        return table_free(t);
                t->align[i] = align ? align[i] : ALIGN_LEFT;
        }
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; t->headers && i < t->n_columns; i++)
                free(t->headers[i]);
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i].text);
        free(t->headers);
        free(t->align);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add(Table *t, const char *text, const char *color) {
        char *s;

        if (t->n_cells >= t->n_alloc) {
                size_t n = t->n_alloc ? t->n_alloc * 2 : 64;
                TableCell *c = realloc(t->cells, n * sizeof(TableCell));
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->n_alloc = n;
        }
        /* a cell may hold what a jail's daemon said (its status text): never a control
         * character on the terminal, never bytes that are not UTF-8 */
        s = escape_for_display(text ?: "");
        if (!s)
                return -ENOMEM;
        t->cells[t->n_cells++] = (TableCell) { .text = s, .color = color };
        return 0;
}

int table_addf(Table *t, const char *color, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return table_add(t, s, color);
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns;
}

/* Display width of UTF-8 text: continuation bytes take no column. */
static size_t text_width(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        n++;
        return n;
}

static void print_cell(FILE *f, const char *text, const char *color, size_t width, Align align, bool last) {
        size_t w = text_width(text), pad = width > w ? width - w : 0;

        if (align == ALIGN_RIGHT)
                fprintf(f, "%*s", (int) pad, "");
        if (color)
                fprintf(f, "%s%s%s", color, text, ANSI_NORMAL);
        else
                fputs(text, f);
        if (align == ALIGN_LEFT && !last)
                fprintf(f, "%*s", (int) pad, "");
}

int table_print(const Table *t, FILE *f, bool header) {
        _cleanup_free_ size_t *width = calloc(t->n_columns, sizeof(size_t));
        size_t rows = table_rows(t);
        bool color = colors_enabled();

        if (!width)
                return -ENOMEM;
        for (size_t c = 0; c < t->n_columns; c++) {
                width[c] = header ? text_width(t->headers[c]) : 0;
                for (size_t r = 0; r < rows; r++) {
                        size_t w = text_width(t->cells[r * t->n_columns + c].text);
                        if (w > width[c])
                                width[c] = w;
                }
        }
        if (header) {
                /* systemctl underlines the header line as a whole, padding included */
                if (color)
                        fputs(ANSI_UNDERLINE, f);
                for (size_t c = 0; c < t->n_columns; c++) {
                        print_cell(f, t->headers[c], NULL, width[c], t->align[c], c + 1 == t->n_columns);
                        if (c + 1 < t->n_columns)
                                fputc(' ', f);
                }
                if (color)
                        fputs(ANSI_NORMAL, f);
                fputc('\n', f);
        }
        for (size_t r = 0; r < rows; r++) {
                for (size_t c = 0; c < t->n_columns; c++) {
                        const TableCell *cell = &t->cells[r * t->n_columns + c];
                        print_cell(f, cell->text, cell->color, width[c], t->align[c], c + 1 == t->n_columns);
                        if (c + 1 < t->n_columns)
                                fputc(' ', f);
                }
                fputc('\n', f);
        }
        return ferror(f) ? -EIO : 0;
}
