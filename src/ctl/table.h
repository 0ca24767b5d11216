/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* Escape sequences as systemctl uses them; only when colors_enabled(). */
#define ANSI_RED "\x1B[0;1;31m"
#define ANSI_GREEN "\x1B[0;1;32m"
#define ANSI_YELLOW "\x1B[0;1;33m"
#define ANSI_GREY "\x1B[0;38;5;245m"
#define ANSI_HIGHLIGHT "\x1B[0;1;39m"
#define ANSI_UNDERLINE "\x1B[0;4m"
#define ANSI_NORMAL "\x1B[0m"

/* Colour only on a terminal, and not when $NO_COLOR is set or TERM=dumb. */
bool colors_enabled(void);
/* ACTIVE state → colour: green for active, red for failed, none otherwise. */
const char *active_state_color(const char *state);
/* "●" in a UTF-8 locale, "*" otherwise. */
const char *special_glyph_dot(void);

/* "52.0M", "512B", "infinity" for UINT64_MAX; into buf, returned. */
#define FORMAT_BYTES_MAX 32
char *format_bytes(char *buf, size_t size, uint64_t bytes);
/* "Tue 2024-05-07 14:02:01 UTC" for a realtime µs timestamp; "" for 0. */
#define FORMAT_TIMESTAMP_MAX 64
char *format_timestamp(char *buf, size_t size, uint64_t usec);

typedef enum Align { ALIGN_LEFT, ALIGN_RIGHT } Align;

typedef struct TableCell {
        char *text;
        const char *color; /* an ANSI_* string or NULL */
} TableCell;

/* Aligned columns like systemctl list-units, the header underlined on a terminal. */
typedef struct Table {
        size_t n_columns;
        char **headers;
        Align *align;
        TableCell *cells; /* rows × n_columns */
        size_t n_cells, n_alloc;
} Table;

Table *table_new(size_t n_columns, const char * const *headers, const Align *align);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);
/* Appends one cell; rows fill left to right. */
int table_add(Table *t, const char *text, const char *color);
int table_addf(Table *t, const char *color, const char *fmt, ...) _printf_(3, 4);
size_t table_rows(const Table *t);
int table_print(const Table *t, FILE *f, bool header);
