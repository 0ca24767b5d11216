/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Sends standard output (and standard error, when that is a terminal too) through a pager,
 * as systemctl does: only when stdout is a terminal, $TERM is not "dumb" and DISABLED
 * (--no-pager) is false. The pager is $VIRTUALING_PAGER, $SYSTEMD_PAGER or $PAGER (the first
 * that is set; empty or "cat": none), split into words and executed without a shell, else
 * less, else more; LESS=FRXMK unless $LESS is set. Returns 1 with the pager started, 0
 * when output goes straight to the terminal (no pager wanted, or none could be started). */
int pager_open(bool disabled);

/* Flushes what is left, gives the pager its end of file and waits for it to exit; stdout
 * and stderr are the terminal again. Nothing without a pager. */
void pager_close(void);
