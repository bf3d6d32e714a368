/* A watch on plugin calls made in this process, outside the sandbox of
 * sandbox.h: `falsify decode` runs a whole forward pass with state no
 * child could hand back cheaply, so instead of a fork per call it keeps a
 * record of the plugin call in progress (plugin, op, layer, position) and
 *  - a fault handler (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, on
 *    any thread of the pool) that prints which plugin faulted in which op
 *    and exits FK_WATCH_EXIT;
 *  - a watchdog thread that does the same when one call outlives its
 *    deadline (fk_job_deadline of the call's cost: a hang, not a slow call).
 * Nothing is recovered: the process ends with the message, never hangs.
 * One watch per process (signal handlers are process-wide). */
#ifndef FK_WATCH_H
#define FK_WATCH_H

#include "util.h"

#define FK_WATCH_EXIT 1  /* "a kernel wrong or crashed" (README, exit status) */

/* Installs the handlers and starts the watchdog.  emulated scales the
 * deadlines (FK_JOB_EMULATION_FACTOR).  FALSIFY_CALL_DEADLINE_S, when set
 * to a number > 0, replaces every call's deadline (tests).  Returns 0, or
 * -1 with a message. */
int fk_watch_start(int emulated, struct fk_err *e);
/* Stops the watchdog and restores the previous handlers. */
void fk_watch_stop(void);

/* The call about to start: plugin name and what it computes (both must
 * outlive the call: string literals or a plugin's descriptor), layer and
 * positions pos .. pos+npos-1 (layer or pos -1: none), and its arithmetic
 * ops (0: unknown; the deadline is then FK_JOB_BASE_S).  No-ops when no
 * watch is running. */
void fk_watch_enter(const char *plugin, const char *op, int layer, int pos, int npos, double ops);
void fk_watch_leave(void);

#endif
