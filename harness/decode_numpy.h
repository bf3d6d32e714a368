/* The NumPy forward pass (oracle/forward.py --serve) as a timed decode
 * engine beside the plugins, for claims that compare the two (AION: "the
 * NumPy oracle is faster than the serial C baseline").  The model is
 * dumped dequantized (fk_model_dump_npy) to a temporary folder, the
 * interpreter started with one BLAS thread (OMP, OpenBLAS, MKL, BLIS) and
 * driven token by token through a pipe; each token's time is measured by
 * the interpreter around its forward pass and argmax, so the pipe is not
 * counted. */
#ifndef FK_DECODE_NUMPY_H
#define FK_DECODE_NUMPY_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "model.h"
#include "util.h"

struct fk_numpy_engine {
    pid_t pid;
    FILE *to, *from;    /* the interpreter's stdin and stdout */
    char dir[256];      /* the dumped model (removed by stop) */
    double params;      /* model parameters: deadlines for the watch */
    int pos;            /* positions in its cache */
    struct sigaction old_pipe;  /* SIGPIPE ignored while it runs */
    int pipe_saved;
};

/* Dumps m and starts `python forward_py --model DIR --serve`; waits for
 * "ready".  0, or -1 with a message (interpreter missing, load failed). */
int fk_numpy_start(struct fk_numpy_engine *n, const struct fk_model *m, const char *python, const char *forward_py,
                   struct fk_err *e);
/* Resets the cache and runs tokens[0..ntok) (prefill), or one decode
 * token at the next position (step): the greedy token and the forward
 * pass's nanoseconds. */
int fk_numpy_prompt(struct fk_numpy_engine *n, const int *tokens, int ntok, int *tok, double *ns, struct fk_err *e);
int fk_numpy_step(struct fk_numpy_engine *n, int token, int *tok, double *ns, struct fk_err *e);
/* Ends the interpreter and removes the dump. */
void fk_numpy_stop(struct fk_numpy_engine *n);

#endif
