/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Why did a jailed command fail? A daemon that lacks a capability says "Operation not
 * permitted" (or names EPERM) about the call that needed it. From such a line, the
 * capability that call needs when the jail's bounding set withholds it: chroot ->
 * CAP_SYS_CHROOT, setrlimit -> CAP_SYS_RESOURCE, and so on. Returns the capability's
 * number, -ENOENT for a line that says no such thing, or -ENXIO when it does but no
 * withheld capability matches what it names. */
int cap_hint_for_line(const char *line, uint64_t bounding_set);

/* True when the line reports a refusal (EPERM, "Operation not permitted"). */
bool cap_hint_is_refusal(const char *line);

typedef struct CapHint {
        char *line;   /* the last refusal the command logged */
        int cap;      /* what it needs, or negative as cap_hint_for_line() */
} CapHint;

/* Looks through the journal entries of one run of UNIT (its INVOCATION_ID) for the last
 * refusal. 0 with *ret filled, -ENOENT when there is none, or a negative errno (the
 * journal cannot be read: not root and not in group adm or systemd-journal, say). */
int cap_hint_from_journal(const char *unit, const char *invocation_id, uint64_t bounding_set, CapHint *ret);
void cap_hint_done(CapHint *h);

/* "CAP_CHOWN CAP_KILL …" for a set, or "(none)". */
char *cap_set_to_string(uint64_t set);
