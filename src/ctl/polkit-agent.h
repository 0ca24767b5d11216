/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* polkit's text agent for an interactive authorisation on this terminal, as systemctl
 * starts it: "pkttyagent --notify-fd N --fallback", waited for (at most 10 s) until it has
 * registered. Only when stdin is a terminal and we are not root (root needs no polkit);
 * $VIRTUALING_PKTTYAGENT replaces /usr/bin/pkttyagent, for tests. Returns 1 with the agent
 * running, 0 when none was started (not needed, not installed, or it failed). */
int polkit_agent_open(void);

/* Ends the agent (SIGTERM) and reaps it; nothing when none runs. */
void polkit_agent_close(void);
