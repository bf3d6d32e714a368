#include "sandbox.h"

#include <errno.h>
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

int fk_sandbox(fk_job_fn fn, void *ctx, struct fk_job_out *out, struct fk_err *e)
{
    memset(out, 0, sizeof *out);
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
    int cap = 0;
    const char *open_kernel = NULL;
    for (;;) {
        struct fk_msg m;
        size_t got = 0;
        while (got < sizeof m) {
            ssize_t r = read(p[0], (char *)&m + got, sizeof m - got);
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
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* the innermost BEGIN without its END is where the child was */
    int depth = 0;
    for (int i = out->n - 1; i >= 0; i--) {
        if (out->m[i].type == FK_MSG_END)
            depth++;
        else if (out->m[i].type == FK_MSG_BEGIN) {
            if (depth == 0) {
                open_kernel = out->m[i].kernel;
                snprintf(out->where, sizeof out->where, "%s on %s", out->m[i].kernel, out->m[i].text);
                break;
            }
            depth--;
        }
    }
    if (WIFSIGNALED(status)) {
        out->crashed = 1;
        out->signal = WTERMSIG(status);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        out->exit_code = WEXITSTATUS(status);
        out->crashed = out->exit_code != 3;  /* 3: the job reported its own failure */
    }
    if (!open_kernel && out->crashed)
        snprintf(out->where, sizeof out->where, "setup (no kernel running)");
    return 0;
}

void fk_job_out_free(struct fk_job_out *out)
{
    free(out->m);
    memset(out, 0, sizeof *out);
}
