#include "sandbox.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

_Static_assert(sizeof(struct fk_msg) <= 4096, "a message must fit PIPE_BUF so writes stay atomic");

/* ---- state the signal handlers need ----
 * Thread-local, set and cleared around a single job: a signal handler has
 * no other way to find the job's guard pages, its message fd, or (in
 * process) where to jump back to.  These are the harness's only mutable
 * globals. */
struct guard {
    const char *name;
    uintptr_t buf_lo, buf_hi, guard_lo, guard_hi;
};
static _Thread_local struct guard guards[FK_GUARD_MAX];
static _Thread_local int nguards;
static _Thread_local int job_fd = -1;       /* where the fault handler reports */
static _Thread_local int plugin_depth;      /* open BEGIN sections: inside a plugin call */
static _Thread_local sigjmp_buf *fault_jump; /* in-process mode only */
static _Thread_local volatile sig_atomic_t watchdog_fired;

#define JUMP_HUNG 1000  /* siglongjmp value of the in-process watchdog (signals are < 100) */

void fk_guard_note(const void *buf_lo, size_t buf_bytes, const void *guard_lo, size_t guard_bytes, const char *name)
{
    if (nguards == FK_GUARD_MAX)
        return;  /* unnamed: the fault is still caught, only not attributed */
    guards[nguards++] = (struct guard){name, (uintptr_t)buf_lo, (uintptr_t)buf_lo + buf_bytes, (uintptr_t)guard_lo,
                                       (uintptr_t)guard_lo + guard_bytes};
}

void fk_guard_forget(const void *guard_lo)
{
    for (int i = 0; i < nguards; i++)
        if (guards[i].guard_lo == (uintptr_t)guard_lo) {
            guards[i] = guards[--nguards];
            return;
        }
}

void fk_guard_reset(void) { nguards = 0; }

void fk_send(int fd, const struct fk_msg *m)
{
    const char *p = (const char *)m;
    size_t left = sizeof *m;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        left -= (size_t)w;
    }
}

static void send_text(int fd, int type, const char *kernel, const char *text, int64_t i0)
{
    struct fk_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.i[0] = i0;
    snprintf(m.kernel, sizeof m.kernel, "%s", kernel ? kernel : "");
    snprintf(m.text, sizeof m.text, "%s", text ? text : "");
    fk_send(fd, &m);
}

void fk_send_begin(int fd, const char *kernel, const char *what)
{
    send_text(fd, FK_MSG_BEGIN, kernel, what, 0);
    plugin_depth++;
}

void fk_send_end(int fd, const char *kernel)
{
    if (plugin_depth > 0)
        plugin_depth--;
    send_text(fd, FK_MSG_END, kernel, "", 0);
}

void fk_send_fail(int fd, const char *kernel, const char *text) { send_text(fd, FK_MSG_FAIL, kernel, text, 0); }
void fk_send_wrong(int fd, const char *kernel, const char *text)
{
    send_text(fd, FK_MSG_FAIL, kernel, text, FK_FAIL_WRONG);
}

double fk_job_deadline(double ops, double extra_s, int emulated)
{
    double rate = FK_JOB_SLOW_OPS_PER_S / (emulated ? FK_JOB_EMULATION_FACTOR : 1.0);
    double s = FK_JOB_BASE_S + extra_s + (ops > 0 ? ops / rate : 0.0);
    return s < FK_JOB_HARD_CAP_S ? s : FK_JOB_HARD_CAP_S;
}

/* ---- the fault report, written from a signal handler ----
 * Only async-signal-safe work: fixed buffers, no stdio, one write(). */
size_t fk_put_str(char *b, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        b[at++] = *s++;
    b[at] = 0;
    return at;
}

size_t fk_put_u64(char *b, size_t at, size_t cap, uint64_t v)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n > 0 && at + 1 < cap)
        b[at++] = d[--n];
    b[at] = 0;
    return at;
}

/* 1: a write, 0: a read, -1: unknown. */
static int fault_is_write(const void *uc)
{
#if defined(__x86_64__) && defined(REG_ERR)
    return (((const ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;  /* page-fault error code W bit */
#else
    (void)uc;
    return -1;
#endif
}

static void report_fault(int sig, const siginfo_t *si, const void *uc)
{
    if (job_fd < 0 || !si || (sig != SIGSEGV && sig != SIGBUS))
        return;
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int i = 0; i < nguards; i++) {
        const struct guard *g = &guards[i];
        if (a < g->guard_lo || a >= g->guard_hi)
            continue;
        struct fk_msg m;
        memset(&m, 0, sizeof m);
        m.type = FK_MSG_FAULT;
        int w = fault_is_write(uc);
        size_t at = fk_put_str(m.text, 0, sizeof m.text, w == 1 ? "over-write: " : w == 0 ? "over-read: " : "out-of-bounds access: ");
        if (a >= g->buf_hi) {
            at = fk_put_str(m.text, at, sizeof m.text, "byte ");
            at = fk_put_u64(m.text, at, sizeof m.text, (uint64_t)(a - g->buf_hi));
            at = fk_put_str(m.text, at, sizeof m.text, " past the end of ");
        } else {
            at = fk_put_str(m.text, at, sizeof m.text, "byte ");
            at = fk_put_u64(m.text, at, sizeof m.text, (uint64_t)(g->buf_lo - a));
            at = fk_put_str(m.text, at, sizeof m.text, " before the start of ");
        }
        at = fk_put_str(m.text, at, sizeof m.text, "buffer '");
        at = fk_put_str(m.text, at, sizeof m.text, g->name);
        at = fk_put_str(m.text, at, sizeof m.text, "' (");
        at = fk_put_u64(m.text, at, sizeof m.text, (uint64_t)(g->buf_hi - g->buf_lo));
        fk_put_str(m.text, at, sizeof m.text, " bytes; a PROT_NONE guard page caught it)");
        fk_send(job_fd, &m);
        return;
    }
}

/* Fork mode: report a guard-page fault, then die of the signal. */
static void on_fault_child(int sig, siginfo_t *si, void *uc)
{
    report_fault(sig, si, uc);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* In-process mode: report, then jump back to the sandbox. */
static void on_fault_in_process(int sig, siginfo_t *si, void *uc)
{
    report_fault(sig, si, uc);
    if (fault_jump)
        siglongjmp(*fault_jump, sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* In-process watchdog: abandon the plugin call in progress; outside one,
 * look again shortly (the harness's own code always finishes). */
static void on_alarm(int sig)
{
    (void)sig;
    watchdog_fired = 1;
    if (fault_jump && plugin_depth > 0)
        siglongjmp(*fault_jump, JUMP_HUNG);
    struct itimerval again = {{0, 0}, {0, 200000}};
    setitimer(ITIMER_REAL, &again, NULL);
}

/* ---- message collection ---- */

struct collector {
    struct fk_job_out *out;
    int cap;
    struct fk_msg part;   /* a message being received */
    size_t got;
};

static void keep(struct collector *c, const struct fk_msg *m)
{
    struct fk_job_out *out = c->out;
    if (m->type == FK_MSG_FAULT && !out->fault[0])
        snprintf(out->fault, sizeof out->fault, "%s", m->text);
    if (out->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 64;
        struct fk_msg *nm = realloc(out->m, (size_t)cap * sizeof *nm);
        if (!nm)
            return;
        out->m = nm;
        c->cap = cap;
    }
    out->m[out->n++] = *m;
}

/* Reads what is available on fd (blocking read once); 0 on EOF or error. */
static int collect_some(struct collector *c, int fd)
{
    ssize_t r = read(fd, (char *)&c->part + c->got, sizeof c->part - c->got);
    if (r < 0 && errno == EINTR)
        return 1;
    if (r <= 0)
        return 0;
    c->got += (size_t)r;
    if (c->got == sizeof c->part) {
        keep(c, &c->part);
        c->got = 0;
    }
    return 1;
}

/* The innermost BEGIN without its END is where the job was. */
static void locate(struct fk_job_out *out)
{
    int depth = 0;
    for (int i = out->n - 1; i >= 0; i--) {
        if (out->m[i].type == FK_MSG_END)
            depth++;
        else if (out->m[i].type == FK_MSG_BEGIN) {
            if (depth == 0) {
                snprintf(out->where, sizeof out->where, "%s on %s", out->m[i].kernel, out->m[i].text);
                return;
            }
            depth--;
        }
    }
    snprintf(out->where, sizeof out->where, "setup (no kernel running)");
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int run_in_process(fk_job_fn fn, void *ctx, double deadline_s, struct fk_job_out *out, struct fk_err *e)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return fk_fail(e, "in-process job: tmpfile: %s", strerror(errno));
    int fd = fileno(tmp);
    /* SIGTRAP: __builtin_trap() is brk on aarch64 */
    static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGTRAP};
    enum { NSIG_CAUGHT = sizeof sigs / sizeof sigs[0] };
    struct sigaction sa, old[NSIG_CAUGHT], old_alarm;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault_in_process;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER | SA_SIGINFO;
    for (int i = 0; i < NSIG_CAUGHT; i++)
        sigaction(sigs[i], &sa, &old[i]);
    struct sigaction al;
    memset(&al, 0, sizeof al);
    al.sa_handler = on_alarm;
    sigemptyset(&al.sa_mask);
    al.sa_flags = SA_NODEFER;
    sigaction(SIGALRM, &al, &old_alarm);
    double t0 = now_s();
    sigjmp_buf jb;
    volatile int rc = 0;
    job_fd = fd;
    plugin_depth = 0;
    watchdog_fired = 0;
    int sig = sigsetjmp(jb, 1);
    if (sig == 0) {
        fault_jump = &jb;
        struct itimerval it = {{0, 0}, {(time_t)deadline_s, (suseconds_t)((deadline_s - (double)(time_t)deadline_s) * 1e6)}};
        if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
            it.it_value.tv_usec = 1;
        setitimer(ITIMER_REAL, &it, NULL);
        rc = fn(ctx, fd);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    fault_jump = NULL;
    job_fd = -1;
    plugin_depth = 0;
    fk_guard_reset();
    sigaction(SIGALRM, &old_alarm, NULL);
    for (int i = 0; i < NSIG_CAUGHT; i++)
        sigaction(sigs[i], &old[i], NULL);
    out->elapsed_s = now_s() - t0;
    lseek(fd, 0, SEEK_SET);
    struct collector col = {out, 0, {0}, 0};
    while (collect_some(&col, fd))
        ;
    fclose(tmp);
    if (sig == JUMP_HUNG) {
        out->crashed = 1;
        out->hung = 1;
    } else if (sig) {
        out->crashed = 1;
        out->signal = sig;
    } else if (rc != 0) {
        out->exit_code = 3;
    }
    if (out->crashed)
        locate(out);
    return 0;
}

int fk_sandbox_deadline(fk_job_fn fn, void *ctx, int in_process, double deadline_s, struct fk_job_out *out,
                        struct fk_err *e)
{
    memset(out, 0, sizeof *out);
    if (deadline_s <= 0 || deadline_s > FK_JOB_HARD_CAP_S)
        deadline_s = FK_JOB_HARD_CAP_S;
    if (in_process)
        return run_in_process(fn, ctx, deadline_s, out, e);
    int p[2];
    if (pipe(p) != 0)
        return fk_fail(e, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return fk_fail(e, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        /* die with the harness, and take the job's threads along */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(4);  /* the harness died before prctl took effect */
        job_fd = p[1];
        plugin_depth = 0;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fault_child;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        int rc = fn(ctx, p[1]);
        close(p[1]);
        _exit(rc == 0 ? 0 : 3);
    }
    setpgid(pid, pid);  /* either side may win the race; both set the same */
    close(p[1]);
    double t0 = now_s();
    struct collector col = {out, 0, {0}, 0};
    for (;;) {
        double left = deadline_s - (now_s() - t0);
        if (left <= 0) {
            out->hung = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pf = {p[0], POLLIN, 0};
        int ms = left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
        int r = poll(&pf, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        if (r == 0)
            continue;
        if (!collect_some(&col, p[0]))
            break;
    }
    if (out->hung) {  /* keep what the dead child had written */
        int fl;
        struct pollfd pf = {p[0], POLLIN, 0};
        while ((fl = poll(&pf, 1, 1000)) > 0 && collect_some(&col, p[0]))
            ;
    }
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    out->elapsed_s = now_s() - t0;
    if (out->hung) {
        out->crashed = 1;
    } else if (WIFSIGNALED(status)) {
        out->crashed = 1;
        out->signal = WTERMSIG(status);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        out->exit_code = WEXITSTATUS(status);
        out->crashed = out->exit_code != 3;  /* 3: the job reported its own failure */
    }
    if (out->crashed)
        locate(out);
    return 0;
}

int fk_sandbox(fk_job_fn fn, void *ctx, int in_process, struct fk_job_out *out, struct fk_err *e)
{
    return fk_sandbox_deadline(fn, ctx, in_process, FK_JOB_HARD_CAP_S, out, e);
}

void fk_job_out_free(struct fk_job_out *out)
{
    free(out->m);
    memset(out, 0, sizeof *out);
}
