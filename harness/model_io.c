/* Model files: the oracle dump (.npy); llama2.c checkpoints and GGUF v3
 * (read with mmap, written atomically). */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kernels/quant.h"
#include "npy.h"
#include "registry.h"
#include "timing.h"

/* ---- oracle dump ---- */

static int dump_tensor(const struct fk_tensor *t, const char *dir, const char *name, struct fk_err *e)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    float *f = malloc((size_t)t->rows * (size_t)t->cols * sizeof *f);
    if (!f)
        return fk_fail(e, "out of memory dumping %s", name);
    fk_tensor_f32(t, f);
    const int64_t shape[2] = {t->rows, t->cols};
    const int rc = fk_npy_write(path, "<f4", t->rows == 1 ? 1 : 2, t->rows == 1 ? shape + 1 : shape, f, e);
    free(f);
    return rc;
}

int fk_model_dump_npy(const struct fk_model *m, const char *dir, struct fk_err *e)
{
    if (fk_mkdirs(dir, e) != 0)
        return -1;
    char path[1200];
    snprintf(path, sizeof path, "%s/config.txt", dir);
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0)
        return -1;
    const struct fk_model_cfg *c = &m->cfg;
    fprintf(a.f, "dim %d\nhidden %d\nn_layers %d\nn_heads %d\nn_kv_heads %d\nvocab %d\nseq_len %d\n", c->dim,
            c->hidden, c->n_layers, c->n_heads, c->n_kv_heads, c->vocab, c->seq_len);
    fprintf(a.f, "rope_theta %.9g\nnorm_eps %.9g\nacts %s\n", c->rope_theta, c->norm_eps, fk_format_name(m->acts));
    if (fk_atomic_commit(&a, e) != 0)
        return -1;
    if (dump_tensor(&m->tok_emb, dir, "tok_emb", e) || dump_tensor(&m->final_norm, dir, "final_norm", e) ||
        dump_tensor(&m->cls, dir, "cls", e))
        return -1;
    for (int l = 0; l < c->n_layers; l++) {
        const struct fk_layer *L = &m->layers[l];
        const struct fk_tensor *ts[] = {&L->att_norm, &L->wq, &L->wk, &L->wv, &L->wo,
                                        &L->ffn_norm, &L->w1, &L->w3, &L->w2};
        static const char *const nm[] = {"att_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w1", "w3", "w2"};
        for (int i = 0; i < 9; i++) {
            char name[64];
            snprintf(name, sizeof name, "l%d_%s", l, nm[i]);
            if (dump_tensor(ts[i], dir, name, e) != 0)
                return -1;
        }
    }
    return 0;
}
