/* Models for `falsify decode`: presets, seeded synthetic weights, tensor
 * dequantization, sizes.  File formats: model_io.c. */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../kernels/quant.h"
#include "stats.h"
#include "timing.h"

struct preset {
    const char *name;
    struct fk_model_cfg cfg;
};

/* Shapes from the model cards (SEEDS.md "Model shapes and files"). */
static const struct preset presets[] = {
    {"tiny", {256, 512, 2, 4, 2, 512, 128, 10000.0f, 1e-5f}},
    {"stories15M", {288, 768, 6, 6, 6, 32000, 256, 10000.0f, 1e-5f}},
    {"stories110M", {768, 2048, 12, 12, 12, 32000, 1024, 10000.0f, 1e-5f}},
    {"tinyllama", {2048, 5632, 22, 32, 4, 32000, 2048, 10000.0f, 1e-5f}},
};

static const char *const wconf_names[FK_WCONF_COUNT] = {"f32", "int4", "w4a8", "q8_0", "q4_k"};

int fk_model_preset_cfg(const char *preset, struct fk_model_cfg *cfg, struct fk_err *e)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, preset) == 0) {
            *cfg = presets[i].cfg;
            return 0;
        }
    return fk_fail(e, "--preset '%s': unknown (tiny, stories15M, stories110M, tinyllama)", preset);
}

int fk_wconf_parse(const char *s, enum fk_wconf *out, struct fk_err *e)
{
    for (int i = 0; i < FK_WCONF_COUNT; i++)
        if (strcmp(s, wconf_names[i]) == 0) {
            *out = (enum fk_wconf)i;
            return 0;
        }
    return fk_fail(e, "--weights '%s': unknown (f32, int4, w4a8, q8_0, q4_k)", s);
}

const char *fk_wconf_name(enum fk_wconf w)
{
    return w >= 0 && w < FK_WCONF_COUNT ? wconf_names[w] : "?";
}

void fk_tensor_row_f32(const struct fk_tensor *t, int64_t r, float *out)
{
    const size_t rb = fk_format_row_bytes(t->fmt, t->cols);
    const uint8_t *row = (const uint8_t *)t->data + (size_t)r * rb;
    switch (t->fmt) {
    case FK_FMT_F32:
        memcpy(out, row, rb);
        break;
    case FK_FMT_F16:
        for (int64_t c = 0; c < t->cols; c++) {
            uint16_t h;
            memcpy(&h, row + 2 * c, 2);
            out[c] = fk_fp16_to_f32(h);
        }
        break;
    case FK_FMT_Q4_0:
        fk_dequantize_row_q4_0(row, out, t->cols);
        break;
    case FK_FMT_Q8_0:
        fk_dequantize_row_q8_0(row, out, t->cols);
        break;
    case FK_FMT_Q4_K:
        fk_dequantize_row_q4_k(row, out, t->cols);
        break;
    default:
        memset(out, 0, (size_t)t->cols * sizeof *out);
    }
}

void fk_tensor_f32(const struct fk_tensor *t, float *out)
{
    for (int64_t r = 0; r < t->rows; r++)
        fk_tensor_row_f32(t, r, out + r * t->cols);
}

static void quantize_row(enum fk_format f, const float *x, void *dst, int64_t cols)
{
    switch (f) {
    case FK_FMT_F32:
        memcpy(dst, x, (size_t)cols * sizeof *x);
        break;
    case FK_FMT_Q4_0:
        fk_quantize_row_q4_0_ref(x, dst, cols);
        break;
    case FK_FMT_Q8_0:
        fk_quantize_row_q8_0_ref(x, dst, cols);
        break;
    case FK_FMT_Q4_K:
        fk_quantize_row_q4_k_ref(x, dst, cols);
        break;
    default:
        break;
    }
}

/* Stream for tensor `id` of layer `layer` (-1: global tensors). */
static uint64_t tensor_seed(uint64_t seed, int layer, int id)
{
    return seed * 0x9E3779B97F4A7C15ull ^ ((uint64_t)(layer + 2) << 20) ^ (uint64_t)id * 0xBF58476D1CE4E5B9ull;
}

/* kind 0: matrix, uniform(-1,1) * sqrt(3/cols) (unit output variance for
 * unit input); 1: norm gain 1 + uniform(-0.1, 0.1); 2: embedding uniform(-1,1). */
static int gen_tensor(struct fk_tensor *t, const char *name, enum fk_format f, int64_t rows, int64_t cols,
                      int kind, uint64_t seed, struct fk_err *e)
{
    if (f == FK_FMT_Q4_K && cols % FK_Q4_K_BLOCK != 0)
        f = FK_FMT_Q8_0;  /* llama.cpp's fallback for rows Q4_K cannot hold */
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->fmt = f;
    t->rows = rows;
    t->cols = cols;
    t->bytes = (size_t)rows * fk_format_row_bytes(f, cols);
    t->owned = fk_alloc(t->bytes);
    float *row = malloc((size_t)cols * sizeof *row);
    if (!t->owned || !row) {
        free(row);
        return fk_fail(e, "out of memory for tensor %s (%zu bytes)", name, t->bytes);
    }
    t->data = t->owned;
    struct fk_rng rng;
    fk_rng_seed(&rng, seed);
    const double a = kind == 0 ? sqrt(3.0 / (double)cols) : kind == 1 ? 0.1 : 1.0;
    const size_t rb = fk_format_row_bytes(f, cols);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = 0; c < cols; c++) {
            const double u = 2.0 * fk_rng_uniform(&rng) - 1.0;
            row[c] = (float)(kind == 1 ? 1.0 + a * u : a * u);
        }
        quantize_row(f, row, (uint8_t *)t->owned + (size_t)r * rb, cols);
    }
    free(row);
    return 0;
}

int fk_model_synthetic(struct fk_model *m, const char *preset, const struct fk_model_cfg *cfg, enum fk_wconf w,
                       uint64_t seed, struct fk_err *e)
{
    const uint64_t t0 = fk_now_ns();
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    snprintf(m->name, sizeof m->name, "%s", preset);
    snprintf(m->source, sizeof m->source, "synthetic seed %llu", (unsigned long long)seed);
    snprintf(m->wconf, sizeof m->wconf, "%s", fk_wconf_name(w));
    static const enum fk_format fmt_of[FK_WCONF_COUNT] = {FK_FMT_F32, FK_FMT_Q4_0, FK_FMT_Q4_0, FK_FMT_Q8_0,
                                                          FK_FMT_Q4_K};
    if (w < 0 || w >= FK_WCONF_COUNT)
        return fk_fail(e, "weight configuration %d out of range", (int)w);
    const enum fk_format f = fmt_of[w];
    m->acts = w == FK_WCONF_W4A8 ? FK_FMT_Q8_0 : FK_FMT_F32;
    const int64_t D = cfg->dim, H = cfg->hidden, hd = cfg->dim / cfg->n_heads;
    const int64_t kvd = (int64_t)cfg->n_kv_heads * hd;
    m->layers = calloc((size_t)cfg->n_layers, sizeof *m->layers);
    if (!m->layers)
        return fk_fail(e, "out of memory for %d layers", cfg->n_layers);
    /* embedding and classifier in the configuration's format, as
     * llama.cpp quantizes token_embd and output */
    if (gen_tensor(&m->tok_emb, "token_embd.weight", f, cfg->vocab, D, 2, tensor_seed(seed, -1, 0), e) ||
        gen_tensor(&m->final_norm, "output_norm.weight", FK_FMT_F32, 1, D, 1, tensor_seed(seed, -1, 1), e) ||
        gen_tensor(&m->cls, "output.weight", f, cfg->vocab, D, 0, tensor_seed(seed, -1, 2), e))
        goto fail;
    for (int l = 0; l < cfg->n_layers; l++) {
        struct fk_layer *L = &m->layers[l];
        char nm[64];
#define GEN(field, id, fmt, rows, cols, kind, suffix)                                          \
        snprintf(nm, sizeof nm, "blk.%d.%s.weight", l, suffix);                                \
        if (gen_tensor(&L->field, nm, fmt, rows, cols, kind, tensor_seed(seed, l, id), e) != 0) \
            goto fail;
        GEN(att_norm, 0, FK_FMT_F32, 1, D, 1, "attn_norm")
        GEN(wq, 1, f, D, D, 0, "attn_q")
        GEN(wk, 2, f, kvd, D, 0, "attn_k")
        GEN(wv, 3, f, kvd, D, 0, "attn_v")
        GEN(wo, 4, f, D, D, 0, "attn_output")
        GEN(ffn_norm, 5, FK_FMT_F32, 1, D, 1, "ffn_norm")
        GEN(w1, 6, f, H, D, 0, "ffn_gate")
        GEN(w3, 7, f, H, D, 0, "ffn_up")
        GEN(w2, 8, f, D, H, 0, "ffn_down")
#undef GEN
    }
    if (f == FK_FMT_Q4_K && (D % FK_Q4_K_BLOCK || H % FK_Q4_K_BLOCK))
        snprintf(m->note, sizeof m->note, "q4_k: tensors with cols %% 256 != 0 stored as q8_0 (llama.cpp's fallback)");
    m->load_s = (double)(fk_now_ns() - t0) * 1e-9;
    return 0;
fail:
    fk_model_free(m);
    return -1;
}

static void tensor_free(struct fk_tensor *t)
{
    fk_free(t->owned);
    t->owned = NULL;
}

void fk_model_free(struct fk_model *m)
{
    if (m->layers)
        for (int l = 0; l < m->cfg.n_layers; l++) {
            struct fk_layer *L = &m->layers[l];
            struct fk_tensor *ts[] = {&L->att_norm, &L->wq, &L->wk, &L->wv, &L->wo,
                                      &L->ffn_norm, &L->w1, &L->w3, &L->w2};
            for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
                tensor_free(ts[i]);
        }
    free(m->layers);
    if (m->cls.owned != m->tok_emb.owned)
        tensor_free(&m->cls);
    tensor_free(&m->tok_emb);
    tensor_free(&m->final_norm);
    if (m->map)
        munmap(m->map, m->map_bytes);
    memset(m, 0, sizeof *m);
}

static double layer_bytes(const struct fk_layer *L)
{
    return (double)(L->att_norm.bytes + L->wq.bytes + L->wk.bytes + L->wv.bytes + L->wo.bytes + L->ffn_norm.bytes +
                    L->w1.bytes + L->w3.bytes + L->w2.bytes);
}

double fk_model_weight_bytes(const struct fk_model *m)
{
    double b = (double)m->tok_emb.bytes + (double)m->final_norm.bytes;
    if (m->cls.data != m->tok_emb.data)
        b += (double)m->cls.bytes;
    for (int l = 0; l < m->cfg.n_layers; l++)
        b += layer_bytes(&m->layers[l]);
    return b;
}

double fk_model_step_weight_bytes(const struct fk_model *m)
{
    double b = (double)m->cls.bytes + (double)m->final_norm.bytes;
    if (m->cls.data != m->tok_emb.data)  /* one embedding row */
        b += (double)fk_format_row_bytes(m->tok_emb.fmt, m->tok_emb.cols);
    for (int l = 0; l < m->cfg.n_layers; l++)
        b += layer_bytes(&m->layers[l]);
    return b;
}
