/* oracle/forward.py --serve as a decode engine (see decode_numpy.h). */
#include "decode_numpy.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watch.h"

extern char **environ;

/* Thread counts the BLAS libraries NumPy may sit on read at start. */
static const char *const one_thread[] = {"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1",
                                         "BLIS_NUM_THREADS=1"};
enum { NONE_THREAD = sizeof one_thread / sizeof one_thread[0] };

static void remove_dump(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[512];
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* One reply line "TOKEN NS" (or "ready" when want_ready). */
static int reply(struct fk_numpy_engine *n, int want_ready, int *tok, double *ns, struct fk_err *e)
{
    char line[128];
    if (!fgets(line, sizeof line, n->from)) {
        int st = 0;
        waitpid(n->pid, &st, 0);
        n->pid = 0;
        return fk_fail(e, "oracle/forward.py --serve ended (exit status %d); its message is above",
                       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    if (want_ready)
        return strncmp(line, "ready", 5) == 0 ? 0 : fk_fail(e, "oracle/forward.py --serve: '%.60s' before 'ready'", line);
    if (sscanf(line, "%d %lf", tok, ns) != 2 || !(*ns > 0))
        return fk_fail(e, "oracle/forward.py --serve: reply '%.60s' is not 'TOKEN NS'", line);
    return 0;
}

int fk_numpy_start(struct fk_numpy_engine *n, const struct fk_model *m, const char *python, const char *forward_py,
                   struct fk_err *e)
{
    memset(n, 0, sizeof *n);
    if (!python || !forward_py || access(python, X_OK) != 0)
        return fk_fail(e, "no Python interpreter for oracle/forward.py ('%s'): set FALSIFY_PYTHON to a Python 3 with "
                          "NumPy", python ? python : "");
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(n->dir, sizeof n->dir, "%s/falsify-numpy-XXXXXX", tmp);
    if (!mkdtemp(n->dir))
        return fk_fail(e, "%s: cannot create a folder for the NumPy model: %s", n->dir, strerror(errno));
    if (fk_model_dump_npy(m, n->dir, e) != 0) {
        remove_dump(n->dir);
        return -1;
    }
    n->params = fk_model_weight_bytes(m);  /* an upper bound on the parameters: deadlines only */
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        remove_dump(n->dir);
        return fk_fail(e, "pipe: %s", strerror(errno));
    }
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **envp = calloc(ne + NONE_THREAD + 1, sizeof *envp);
    int k = 0;
    for (size_t i = 0; envp && i < ne; i++) {
        int ours = 0;
        for (int j = 0; j < NONE_THREAD; j++)
            ours |= strncmp(environ[i], one_thread[j], strchr(one_thread[j], '=') - one_thread[j] + 1) == 0;
        if (!ours)
            envp[k++] = environ[i];
    }
    for (int j = 0; envp && j < NONE_THREAD; j++)
        envp[k++] = (char *)one_thread[j];
    char *argv[] = {(char *)python, (char *)forward_py, "--model", n->dir, "--serve", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    fflush(stdout);
    const int rc = envp ? posix_spawn(&n->pid, python, &fa, NULL, argv, envp) : ENOMEM;
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        remove_dump(n->dir);
        n->pid = 0;
        return fk_fail(e, "cannot start %s %s: %s", python, forward_py, strerror(rc));
    }
    /* a dead interpreter is an error message, not a SIGPIPE */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &n->old_pipe);
    n->pipe_saved = 1;
    n->to = fdopen(in[1], "w");
    n->from = fdopen(out[0], "r");
    int dummy;
    double dns;
    fk_watch_enter("oracle/forward.py", "load the model", -1, -1, 0, 20.0 * n->params);
    const int r = n->to && n->from ? reply(n, 1, &dummy, &dns, e) : fk_fail(e, "fdopen: out of memory");
    fk_watch_leave();
    if (r != 0) {
        fk_numpy_stop(n);
        return -1;
    }
    return 0;
}

static int command(struct fk_numpy_engine *n, const char *what, int pos, int npos, int *tok, double *ns,
                   struct fk_err *e)
{
    if (fflush(n->to) != 0)
        return fk_fail(e, "oracle/forward.py --serve: cannot write to it: %s", strerror(errno));
    fk_watch_enter("oracle/forward.py (NumPy)", what, -1, pos, npos, 20.0 * n->params * npos);
    const int rc = reply(n, 0, tok, ns, e);
    fk_watch_leave();
    return rc;
}

int fk_numpy_prompt(struct fk_numpy_engine *n, const int *tokens, int ntok, int *tok, double *ns, struct fk_err *e)
{
    fprintf(n->to, "prompt ");
    for (int i = 0; i < ntok; i++)
        fprintf(n->to, "%s%d", i ? "," : "", tokens[i]);
    fprintf(n->to, "\n");
    n->pos = 0;
    if (command(n, "prefill", 0, ntok, tok, ns, e) != 0)
        return -1;
    n->pos = ntok;
    return 0;
}

int fk_numpy_step(struct fk_numpy_engine *n, int token, int *tok, double *ns, struct fk_err *e)
{
    fprintf(n->to, "step %d\n", token);
    if (command(n, "forward", n->pos, 1, tok, ns, e) != 0)
        return -1;
    n->pos++;
    return 0;
}

void fk_numpy_stop(struct fk_numpy_engine *n)
{
    if (n->to) {
        fprintf(n->to, "quit\n");
        fclose(n->to);
    }
    if (n->from)
        fclose(n->from);
    if (n->pid > 0) {
        int st;
        while (waitpid(n->pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    if (n->dir[0])
        remove_dump(n->dir);
    if (n->pipe_saved)
        sigaction(SIGPIPE, &n->old_pipe, NULL);
    memset(n, 0, sizeof *n);
}
