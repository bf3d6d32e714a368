/* Runs a job in a forked child so a kernel that faults (SIGILL, SIGSEGV,
 * ...) or hangs is reported, naming the plugin and the case, and the run
 * goes on.  The child streams fixed-size messages through a pipe; the
 * parent keeps everything received before a crash or a timeout.
 *
 * Containment (fork mode): the child is the leader of its own process
 * group and carries PR_SET_PDEATHSIG(SIGKILL), so killing the harness
 * kills its jobs (and their pool threads) too; a job past its deadline has
 * its whole group killed and is reported as hung. */
#ifndef FK_SANDBOX_H
#define FK_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"
#include "verify.h"

enum fk_msg_type {
    FK_MSG_BEGIN = 1,  /* about to call kernel on case (text) */
    FK_MSG_END,        /* that section finished */
    FK_MSG_ERRSTATS,   /* es = error of kernel on case */
    FK_MSG_SAMPLE,     /* v[0] = ns per call of kernel, i[0] = sample index, i[1] = reps, i[2] = slot */
    FK_MSG_FAIL,       /* text = message; the job could not run, or the kernel broke a rule */
    FK_MSG_CLOCK,      /* timed job: v[0] = timer resolution ns, v[1] = harness ns per call, v[2] = CPU MHz (NaN: unreadable) */
    FK_MSG_FAULT,      /* text = what the faulting access hit (a named guard page), from the signal handler */
    FK_MSG_COST,       /* v[0..3] = the plugin's cost(): weight, act, out bytes, ops */
};

/* FK_MSG_FAIL i[0]: what kind of failure (0: the job could not run). */
#define FK_FAIL_WRONG 1    /* the kernel broke a correctness rule: it is wrong */

struct fk_msg {
    int32_t type;
    char kernel[96];
    char text[480];
    double v[6];
    int64_t i[4];
    struct fk_errstats es;
};

struct fk_job_out {
    struct fk_msg *m;
    int n;
    int crashed;        /* child died of a signal or exited non-zero, or hung */
    int hung;           /* killed at its deadline (crashed is set too) */
    int signal;         /* the signal, or 0 */
    int exit_code;
    double elapsed_s;   /* wall time of the job */
    char where[600];    /* "kernel on case" the child was in when it died */
    char fault[480];    /* the named out-of-bounds access, if a guard page caught it */
};

typedef int (*fk_job_fn)(void *ctx, int fd);

/* Deadlines.  A job's deadline is FK_JOB_BASE_S plus its expected work at
 * a rate no machine we support is slower than (FK_JOB_SLOW_OPS_PER_S,
 * divided by FK_JOB_EMULATION_FACTOR under emulation), at most
 * FK_JOB_HARD_CAP_S. */
#define FK_JOB_BASE_S           10.0
#define FK_JOB_SLOW_OPS_PER_S   5e7
#define FK_JOB_EMULATION_FACTOR 50.0
#define FK_JOB_HARD_CAP_S       1800.0
/* Deadline for a job doing about `ops` arithmetic operations (plus
 * extra_s seconds of fixed work: a timing budget). */
double fk_job_deadline(double ops, double extra_s, int emulated);

/* Runs fn(ctx, fd) in a child; deadline_s as above (<= 0: the hard cap).
 * Returns 0 when the job ran (crashed, hung or not: see out), -1 if it
 * could not be started.
 *
 * in_process: run fn in this process instead, messages going through a
 * temporary file, a fault (SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGABRT,
 * SIGTRAP) caught with siglongjmp and reported the same way, and the
 * deadline enforced by a SIGALRM watchdog that jumps out of a plugin call
 * in progress (only from inside a BEGIN..END section: the harness's own
 * code is never abandoned half-way, e.g. holding the malloc lock).  For
 * where fork does not work: qemu-user 7.2 on recent host kernels hangs in
 * the child of every fork.  Weaker than a child: a faulting kernel may have
 * corrupted this process, so the run says it continued after a fault; the
 * job must be single-threaded (correctness jobs are; timed jobs never run
 * emulated), and it must keep what it allocates reachable from ctx so the
 * caller can free it after a jump (the jump skips the job's own frees). */
int fk_sandbox_deadline(fk_job_fn fn, void *ctx, int in_process, double deadline_s, struct fk_job_out *out,
                        struct fk_err *e);
/* fk_sandbox_deadline with the hard cap. */
int fk_sandbox(fk_job_fn fn, void *ctx, int in_process, struct fk_job_out *out, struct fk_err *e);
void fk_job_out_free(struct fk_job_out *out);

/* Guard pages of the job, by name: a fault inside [guard_lo, guard_hi) is
 * reported as an access before or after buffer [buf_lo, buf_hi) called
 * name (name must outlive the job: a string literal).  At most
 * FK_GUARD_MAX at a time; fk_guard_forget drops one, fk_guard_reset all. */
#define FK_GUARD_MAX 32
void fk_guard_note(const void *buf_lo, size_t buf_bytes, const void *guard_lo, size_t guard_bytes, const char *name);
void fk_guard_forget(const void *guard_lo);
void fk_guard_reset(void);

/* Async-signal-safe formatting for fault reports: appends s (or v in
 * decimal) at b[at], NUL-terminated within cap; returns the new length. */
size_t fk_put_str(char *b, size_t at, size_t cap, const char *s);
size_t fk_put_u64(char *b, size_t at, size_t cap, uint64_t v);

void fk_send(int fd, const struct fk_msg *m);
void fk_send_begin(int fd, const char *kernel, const char *what);
void fk_send_end(int fd, const char *kernel);
void fk_send_fail(int fd, const char *kernel, const char *text);
/* A correctness-rule failure of the kernel (FK_FAIL_WRONG). */
void fk_send_wrong(int fd, const char *kernel, const char *text);

#endif
