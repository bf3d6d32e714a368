/* Runs a job in a forked child so a kernel that faults (SIGILL, SIGSEGV,
 * ...) is reported, naming the plugin and the case, and the run goes on.
 * The child streams fixed-size messages through a pipe; the parent keeps
 * everything received before a crash. */
#ifndef FK_SANDBOX_H
#define FK_SANDBOX_H

#include <stdint.h>

#include "util.h"
#include "verify.h"

enum fk_msg_type {
    FK_MSG_BEGIN = 1,  /* about to call kernel on case (text) */
    FK_MSG_END,        /* that section finished */
    FK_MSG_ERRSTATS,   /* es = error of kernel on case */
    FK_MSG_SAMPLE,     /* v[0] = ns per call of kernel, i[0] = sample index, i[1] = reps, i[2] = slot */
    FK_MSG_FAIL,       /* text = message; the job could not run */
    FK_MSG_CLOCK,      /* timed job: v[0] = timer resolution ns, v[1] = harness ns per call, v[2] = CPU MHz (NaN: unreadable) */
};

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
    int crashed;        /* child died of a signal or exited non-zero */
    int signal;         /* the signal, or 0 */
    int exit_code;
    char where[600];    /* "kernel on case" the child was in when it died */
};

typedef int (*fk_job_fn)(void *ctx, int fd);

/* Runs fn(ctx, fd) in a child.  Returns 0 when the job ran (crashed or
 * not: see out), -1 if it could not be started.
 *
 * in_process: run fn in this process instead, messages going through a
 * temporary file, and a fault (SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGABRT)
 * caught with siglongjmp and reported the same way.  For where fork does
 * not work: qemu-user 7.2 on recent host kernels hangs in the child of
 * every fork.  Weaker than a child: a faulting kernel may have corrupted
 * this process, so the run says it continued after a fault; the job must
 * be single-threaded (correctness jobs are; timed jobs never run emulated). */
int fk_sandbox(fk_job_fn fn, void *ctx, int in_process, struct fk_job_out *out, struct fk_err *e);
void fk_job_out_free(struct fk_job_out *out);

void fk_send(int fd, const struct fk_msg *m);
void fk_send_begin(int fd, const char *kernel, const char *what);
void fk_send_end(int fd, const char *kernel);
void fk_send_fail(int fd, const char *kernel, const char *text);

#endif
