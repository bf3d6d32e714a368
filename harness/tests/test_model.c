/* Model files: synthetic models written as GGUF v3 and llama2.c
 * checkpoints and read back (mmap) give the same tensors and the same
 * logits; every kind of bad file is refused with a message naming the
 * file, the offset and the rule (and `falsify decode --model` exits 2). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "../../kernels/quant.h"
#include "../cpu.h"
#include "../decode.h"
#include "../npy.h"

#define DIR "build/test-model"

static struct fk_registry reg;

static int setup(void **state)
{
    (void)state;
    struct fk_err e;
    const char *dir = getenv("FALSIFY_PLUGINS") ? getenv("FALSIFY_PLUGINS") : "build/kernels";
    if (fk_registry_scan(&reg, dir, fk_cpu_detect(), &e) != 0 || fk_mkdirs(DIR, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fk_registry_free(&reg);
    return 0;
}

static void synth(struct fk_model *m, enum fk_wconf w)
{
    struct fk_err e;
    struct fk_model_cfg cfg;
    assert_int_equal(fk_model_preset_cfg("tiny", &cfg, &e), 0);
    if (fk_model_synthetic(m, "tiny", &cfg, w, 3, &e) != 0)
        fail_msg("%s", e.msg);
}

/* Logits after a 3-token prompt and 3 greedy steps. */
static void logits_of(const struct fk_model *m, float *out)
{
    struct fk_err e;
    struct fk_decoder d;
    struct fk_decode_opts o = {.threads = 1};
    if (fk_decoder_init(&d, m, &reg, NULL, &o, 3, &e) != 0)
        fail_msg("%s", e.msg);
    int p[3] = {5, 17, 300};
    assert_int_equal(fk_decoder_forward(&d, p, 3, &e), 0);
    for (int s = 0; s < 3; s++) {
        int t = fk_decoder_argmax(&d);
        assert_int_equal(fk_decoder_forward(&d, &t, 1, &e), 0);
    }
    memcpy(out, d.logits, (size_t)m->cfg.vocab * sizeof *out);
    fk_decoder_free(&d);
}

static void same_tensor(const struct fk_tensor *a, const struct fk_tensor *b)
{
    assert_int_equal(a->fmt, b->fmt);
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->cols, b->cols);
    assert_int_equal(a->bytes, b->bytes);
    assert_memory_equal(a->data, b->data, a->bytes);
}

static void same_model(const struct fk_model *a, const struct fk_model *b)
{
    assert_memory_equal(&a->cfg, &b->cfg, sizeof a->cfg);
    same_tensor(&a->tok_emb, &b->tok_emb);
    same_tensor(&a->final_norm, &b->final_norm);
    same_tensor(&a->cls, &b->cls);
    for (int l = 0; l < a->cfg.n_layers; l++) {
        const struct fk_layer *x = &a->layers[l], *y = &b->layers[l];
        same_tensor(&x->att_norm, &y->att_norm);
        same_tensor(&x->wq, &y->wq);
        same_tensor(&x->wk, &y->wk);
        same_tensor(&x->wv, &y->wv);
        same_tensor(&x->wo, &y->wo);
        same_tensor(&x->ffn_norm, &y->ffn_norm);
        same_tensor(&x->w1, &y->w1);
        same_tensor(&x->w3, &y->w3);
        same_tensor(&x->w2, &y->w2);
    }
}

/* The exported GGUF read by the oracle's own reader (oracle/gguf.py), its
 * float64 forward pass against the engine on the file the C reader mapped:
 * 8 greedy tokens equal, logits within the bound (a second, independent
 * reading of the file the harness wrote). */
static void oracle_on_gguf(const char *path, const struct fk_model *m)
{
    struct fk_err e;
    struct fk_decoder d;
    struct fk_decode_opts o = {.threads = 1};
    if (fk_decoder_init(&d, m, &reg, NULL, &o, 3, &e) != 0)
        fail_msg("%s", e.msg);
    int p[3] = {5, 17, 300}, tok[8];
    const int V = m->cfg.vocab;
    float *lg = malloc((size_t)8 * V * sizeof *lg);
    assert_int_equal(fk_decoder_forward(&d, p, 3, &e), 0);
    for (int s = 0; s < 8; s++) {
        if (s > 0)
            assert_int_equal(fk_decoder_forward(&d, &tok[s - 1], 1, &e), 0);
        memcpy(lg + (size_t)s * V, d.logits, (size_t)V * sizeof *lg);
        tok[s] = fk_decoder_argmax(&d);
    }
    fk_decoder_free(&d);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s oracle/forward.py --gguf %s --acts %s --prompt 5,17,300 --steps 8 --out %s.oracle",
             getenv("FALSIFY_PYTHON") ? getenv("FALSIFY_PYTHON") : "/usr/bin/python3", path,
             m->acts == FK_FMT_Q8_0 ? "q8_0" : "f32", path);
    assert_int_equal(system(cmd), 0);
    struct fk_npy tk, z, g;
    char f[400];
    snprintf(f, sizeof f, "%s.oracle/tokens.npy", path);
    assert_int_equal(fk_npy_read(f, &tk, &e), 0);
    snprintf(f, sizeof f, "%s.oracle/logits.npy", path);
    assert_int_equal(fk_npy_read(f, &z, &e), 0);
    snprintf(f, sizeof f, "%s.oracle/gauge.npy", path);
    assert_int_equal(fk_npy_read(f, &g, &e), 0);
    double rho = 0;
    for (int s = 0; s < 8; s++) {
        assert_int_equal(tok[s], ((const int64_t *)tk.data)[s]);
        for (int i = 0; i < V; i++) {
            const size_t j = (size_t)s * V + i;
            const double r = fabs(lg[j] - ((const double *)z.data)[j]) / (ldexp(1.0, -24) * ((const double *)g.data)[j]);
            rho = r > rho ? r : rho;
        }
    }
    printf("  %s: oracle/gguf.py reading: 8 tokens equal, logit error %.4g (bound %.4g) x 2^-24 gauge\n", path, rho,
           fk_decode_logit_bound(m));
    assert_true(rho <= fk_decode_logit_bound(m));
    fk_npy_free(&tk);
    fk_npy_free(&z);
    fk_npy_free(&g);
    free(lg);
}

static void test_gguf_round_trip(void **state)
{
    (void)state;
    for (int w = 0; w < FK_WCONF_COUNT; w++) {
        struct fk_model a, b;
        struct fk_err e;
        synth(&a, (enum fk_wconf)w);
        char path[128];
        snprintf(path, sizeof path, DIR "/tiny-%s.gguf", fk_wconf_name((enum fk_wconf)w));
        if (fk_model_export_gguf(&a, path, &e) != 0 || fk_model_load(&b, path, &e) != 0)
            fail_msg("%s", e.msg);
        assert_string_equal(b.source, "gguf");
        assert_non_null(b.map);
        same_model(&a, &b);
        b.acts = a.acts;  /* the file holds weights; W4A8 is a choice of activations */
        oracle_on_gguf(path, &b);
        float *la = malloc(512 * sizeof *la), *lb = malloc(512 * sizeof *lb);
        logits_of(&a, la);
        logits_of(&b, lb);
        assert_memory_equal(la, lb, 512 * sizeof *la);
        free(la);
        free(lb);
        fk_model_free(&a);
        fk_model_free(&b);
    }
}

/* An f32 tensor rewritten as F16 (GGUF type 1). */
static void to_f16(struct fk_tensor *t)
{
    const size_t n = (size_t)t->rows * (size_t)t->cols;
    uint16_t *h = fk_alloc(n * sizeof *h);
    assert_non_null(h);
    for (size_t i = 0; i < n; i++)
        h[i] = fk_f32_to_fp16(((const float *)t->data)[i]);
    fk_free(t->owned);
    t->owned = h;
    t->data = h;
    t->fmt = FK_FMT_F16;
    t->bytes = n * sizeof *h;
}

/* F16 tensors (matrices, the embedding and a norm) read from GGUF: the
 * engine converts them for the f32 plugins; logits bit-identical to the
 * in-memory model's. */
static void test_gguf_f16(void **state)
{
    (void)state;
    struct fk_model a, b;
    struct fk_err e;
    synth(&a, FK_WCONF_F32);
    to_f16(&a.tok_emb);
    to_f16(&a.layers[0].wq);
    to_f16(&a.layers[1].w2);
    to_f16(&a.layers[1].ffn_norm);
    if (fk_model_export_gguf(&a, DIR "/tiny-f16.gguf", &e) != 0 || fk_model_load(&b, DIR "/tiny-f16.gguf", &e) != 0)
        fail_msg("%s", e.msg);
    assert_int_equal(b.tok_emb.fmt, FK_FMT_F16);
    assert_int_equal(b.layers[0].wq.fmt, FK_FMT_F16);
    assert_int_equal(b.layers[1].ffn_norm.fmt, FK_FMT_F32);  /* norms converted at load */
    float *la = malloc(512 * sizeof *la), *lb = malloc(512 * sizeof *lb);
    logits_of(&a, la);
    logits_of(&b, lb);
    assert_memory_equal(la, lb, 512 * sizeof *la);
    free(la);
    free(lb);
    fk_model_free(&a);
    fk_model_free(&b);
}

static void test_llama2c_round_trip(void **state)
{
    (void)state;
    struct fk_model a, b;
    struct fk_err e;
    synth(&a, FK_WCONF_F32);
    /* unshared classifier: negative vocab_size in the header */
    if (fk_model_export_llama2c(&a, DIR "/tiny-unshared.bin", &e) != 0 ||
        fk_model_load(&b, DIR "/tiny-unshared.bin", &e) != 0)
        fail_msg("%s", e.msg);
    assert_string_equal(b.source, "llama2.c");
    assert_ptr_not_equal(b.cls.data, b.tok_emb.data);
    same_model(&a, &b);
    float *la = malloc(512 * sizeof *la), *lb = malloc(512 * sizeof *lb);
    logits_of(&a, la);
    logits_of(&b, lb);
    assert_memory_equal(la, lb, 512 * sizeof *la);
    fk_model_free(&b);
    /* shared classifier: positive vocab_size, the embedding read twice */
    fk_free(a.cls.owned);
    a.cls = a.tok_emb;
    if (fk_model_export_llama2c(&a, DIR "/tiny-shared.bin", &e) != 0 ||
        fk_model_load(&b, DIR "/tiny-shared.bin", &e) != 0)
        fail_msg("%s", e.msg);
    assert_ptr_equal(b.cls.data, b.tok_emb.data);
    same_model(&a, &b);
    logits_of(&a, la);
    logits_of(&b, lb);
    assert_memory_equal(la, lb, 512 * sizeof *la);
    a.cls.owned = NULL;
    fk_model_free(&a);
    fk_model_free(&b);
    free(la);
    free(lb);
}

/* ---- bad files ---- */

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Offset of the tensor info of `name` in a GGUF image. */
static size_t tensor_info(const unsigned char *b, size_t n, const char *name)
{
    const size_t l = strlen(name);
    for (size_t i = 8; i + l < n; i++)
        if (memcmp(b + i, name, l) == 0 && b[i - 8] == l && b[i + l] != '.')
            return i + l;  /* -> u32 ndim */
    fail_msg("no tensor info %s", name);
    return 0;
}

/* The file must be refused naming itself, an offset and the words of the
 * rule; and the CLI must exit 2. */
static void refused(const char *path, const char *rule)
{
    struct fk_model m;
    struct fk_err e;
    memset(&e, 0, sizeof e);
    assert_int_equal(fk_model_load(&m, path, &e), -1);
    printf("  %s\n", e.msg);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "offset"));
    if (!strstr(e.msg, rule))
        fail_msg("'%s' does not name the rule '%s'", e.msg, rule);
    /* the CLI: not under qemu-user, which cannot exec an aarch64 binary
     * from the emulated process (it hands execve to the host kernel) */
    const char *emu = getenv("FALSIFY_EMULATED");
    if (emu && emu[0] && strcmp(emu, "0") != 0)
        return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s decode --model %s --no-write --quiet >/dev/null 2>&1",
             getenv("FALSIFY_BIN") ? getenv("FALSIFY_BIN") : "build/falsify", path);
    const int st = system(cmd);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
}

static void test_bad_llama2c(void **state)
{
    (void)state;
    struct fk_model a;
    struct fk_err e;
    synth(&a, FK_WCONF_F32);
    assert_int_equal(fk_model_export_llama2c(&a, DIR "/good.bin", &e), 0);
    fk_model_free(&a);
    size_t n;
    unsigned char *b = slurp(DIR "/good.bin", &n);
    spit(DIR "/trunc.bin", b, n - 100);
    refused(DIR "/trunc.bin", "truncated");
    spit(DIR "/hdr.bin", b, 20);
    refused(DIR "/hdr.bin", "truncated header");
    unsigned char *c = malloc(n + 8);
    memcpy(c, b, n);
    memset(c + n, 0, 8);
    spit(DIR "/trailing.bin", c, n + 8);
    refused(DIR "/trailing.bin", "shape mismatch");
    memcpy(c, b, n);
    const int32_t vocab = 1 << 30, seq = 0, kv = 3;
    memcpy(c + 20, &vocab, 4);
    spit(DIR "/vocab.bin", c, n);
    refused(DIR "/vocab.bin", "vocab_size = 1073741824 is absurd");
    memcpy(c, b, n);
    memcpy(c + 24, &seq, 4);
    spit(DIR "/seq.bin", c, n);
    refused(DIR "/seq.bin", "seq_len = 0 is absurd");
    memcpy(c, b, n);
    memcpy(c + 16, &kv, 4);
    spit(DIR "/kv.bin", c, n);
    refused(DIR "/kv.bin", "KV heads divide the heads");
    free(c);
    free(b);
}

static void test_bad_gguf(void **state)
{
    (void)state;
    struct fk_model a;
    struct fk_err e;
    synth(&a, FK_WCONF_INT4);
    assert_int_equal(fk_model_export_gguf(&a, DIR "/good.gguf", &e), 0);
    fk_model_free(&a);
    size_t n;
    unsigned char *b = slurp(DIR "/good.gguf", &n);
    unsigned char *c = malloc(n);
    /* wrong magic: read as GGUF it is refused at offset 0 */
    memcpy(c, b, n);
    memcpy(c, "GGUX", 4);
    spit(DIR "/magic.gguf", c, n);
    assert_int_equal(fk_model_load_gguf(&a, DIR "/magic.gguf", &e), -1);
    assert_non_null(strstr(e.msg, "offset 0: magic 'GGUX'"));
    refused(DIR "/magic.gguf", "absurd");  /* as a llama2.c header it is nonsense */
    memcpy(c, b, n);
    c[4] = 2;
    spit(DIR "/version.gguf", c, n);
    refused(DIR "/version.gguf", "version 3");
    spit(DIR "/trunc-meta.gguf", b, 200);
    refused(DIR "/trunc-meta.gguf", "truncated");
    spit(DIR "/trunc-data.gguf", b, n - 4096);
    refused(DIR "/trunc-data.gguf", "truncated");
    /* unsupported tensor type: Q6_K (14) */
    memcpy(c, b, n);
    size_t t = tensor_info(c, n, "blk.0.attn_q.weight");
    uint32_t nd, q6k = 14;
    memcpy(&nd, c + t, 4);
    memcpy(c + t + 4 + 8 * nd, &q6k, 4);
    spit(DIR "/type.gguf", c, n);
    refused(DIR "/type.gguf", "ggml type 14");
    /* shape mismatch: blk.1.ffn_down.weight with 64 columns */
    memcpy(c, b, n);
    t = tensor_info(c, n, "blk.1.ffn_down.weight");
    const uint64_t cols = 64;
    memcpy(c + t + 4, &cols, 8);
    spit(DIR "/shape.gguf", c, n);
    refused(DIR "/shape.gguf", "shape mismatch");
    /* absurd vocabulary: the embedding claims 2^30 rows */
    memcpy(c, b, n);
    t = tensor_info(c, n, "token_embd.weight");
    const uint64_t rows = (uint64_t)1 << 30;
    memcpy(c + t + 4 + 8, &rows, 8);
    spit(DIR "/vocab.gguf", c, n);
    refused(DIR "/vocab.gguf", "vocabulary is absurd");
    free(c);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gguf_round_trip),
        cmocka_unit_test(test_gguf_f16),
        cmocka_unit_test(test_llama2c_round_trip),
        cmocka_unit_test(test_bad_llama2c),
        cmocka_unit_test(test_bad_gguf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
