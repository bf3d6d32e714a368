#include "sandbox.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(sizeof(struct fk_msg) <= 4096, "a message must fit PIPE_BUF so writes stay atomic");

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

static void send_text(int fd, int type, const char *kernel, const char *text)
{
    struct fk_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    snprintf(m.kernel, sizeof m.kernel, "%s", kernel ? kernel : "");
    snprintf(m.text, sizeof m.text, "%s", text ? text : "");
    fk_send(fd, &m);
}

void fk_send_begin(int fd, const char *kernel, const char *what) { send_text(fd, FK_MSG_BEGIN, kernel, what); }
void fk_send_end(int fd, const char *kernel) { send_text(fd, FK_MSG_END, kernel, ""); }
void fk_send_fail(int fd, const char *kernel, const char *text) { send_text(fd, FK_MSG_FAIL, kernel, text); }

/* Reads fixed-size messages from fd until EOF into out. */
static void collect(int fd, struct fk_job_out *out)
{
    int cap = 0;
    for (;;) {
        struct fk_msg m;
        size_t got = 0;
        while (got < sizeof m) {
            ssize_t r = read(fd, (char *)&m + got, sizeof m - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (got < sizeof m)
            break;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct fk_msg *nm = realloc(out->m, (size_t)cap * sizeof *nm);
            if (!nm)
                break;
            out->m = nm;
        }
        out->m[out->n++] = m;
    }
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

/* In-process mode only: where a fault handler jumps back to.  The one
 * mutable global of the harness, because a signal handler has no other way
 * to find it; thread-local, set and cleared around a single job. */
static _Thread_local sigjmp_buf *fault_jump;

static void on_fault(int sig)
{
    if (fault_jump)
        siglongjmp(*fault_jump, sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int run_in_process(fk_job_fn fn, void *ctx, struct fk_job_out *out, struct fk_err *e)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return fk_fail(e, "in-process job: tmpfile: %s", strerror(errno));
    int fd = fileno(tmp);
    /* SIGTRAP: __builtin_trap() is brk on aarch64 */
    static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGTRAP};
    enum { NSIG_CAUGHT = sizeof sigs / sizeof sigs[0] };
    struct sigaction sa, old[NSIG_CAUGHT];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    for (int i = 0; i < NSIG_CAUGHT; i++)
        sigaction(sigs[i], &sa, &old[i]);
    sigjmp_buf jb;
    int sig = sigsetjmp(jb, 1);
    int rc = 0;
    if (sig == 0) {
        fault_jump = &jb;
        rc = fn(ctx, fd);
    }
    fault_jump = NULL;
    for (int i = 0; i < NSIG_CAUGHT; i++)
        sigaction(sigs[i], &old[i], NULL);
    lseek(fd, 0, SEEK_SET);
    collect(fd, out);
    fclose(tmp);
    if (sig) {
        out->crashed = 1;
        out->signal = sig;
    } else if (rc != 0) {
        out->exit_code = 3;
    }
    if (out->crashed)
        locate(out);
    return 0;
}

int fk_sandbox(fk_job_fn fn, void *ctx, int in_process, struct fk_job_out *out, struct fk_err *e)
{
    memset(out, 0, sizeof *out);
    if (in_process)
        return run_in_process(fn, ctx, out, e);
    int p[2];
    if (pipe(p) != 0)
        return fk_fail(e, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return fk_fail(e, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        int rc = fn(ctx, p[1]);
        close(p[1]);
        _exit(rc == 0 ? 0 : 3);
    }
    close(p[1]);
    collect(p[0], out);
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
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

void fk_job_out_free(struct fk_job_out *out)
{
    free(out->m);
    memset(out, 0, sizeof *out);
}
