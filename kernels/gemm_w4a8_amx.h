/* Quantized GEMM on AMX tiles: Q4_0 or Q8_0 weights x Q8_0 activations with
 * TDPBSSD.  Static inline only; included by kernels/gemm_w4a8_amx.c and
 * kernels/gemm_q8_0_amx.c (plugins, each built twice: for real AMX, and with
 * -DFK_AMX_MODEL against the software tile model kernels/amx_model.h) and by
 * the novnni mutant.  The amx_gemm_* functions take the weight format
 * (`q8`: 0 = Q4_0, 1 = Q8_0, a compile-time constant at every call site);
 * amx_w4a8_* and amx_q8_0_* are the two instantiations.
 *
 * Y[m][r] = sum_b dw[r][b] * dx[m][b] * sum_{k<32} (qw[r][b][k] - 8) * qx[m][b][k]
 *
 * TDPBSSD C, A, B computes C[m][n] += sum_{g<K/4} sum_{i<4} A[m][4g+i] * B[g][4n+i]
 * (bytes signed).  So A is X row-major (batch rows, 4 consecutive k per
 * dword), and B must hold, in tile row g, the 16 weight rows n side by side,
 * each as the 4 consecutive k = 4g..4g+3: the {K/4, N, 4} "VNNI" layout.
 *
 *   pack():    W -> Q4_0 (reference quantizer), in panels of 16 weight rows.
 *              Panel p, block b: 256 quant bytes, byte g*64 + 4n + i (g < 4)
 *              = GGML qs[4g + i] of row 16p + n, i.e. low nibble k = 4g + i,
 *              high nibble k = 16 + 4g + i: the low nibbles of the 256 bytes
 *              ARE tile rows g = 0..3 of B, the high nibbles rows 4..7.  After
 *              all blocks, the 16 fp16 scales of each block.  Rows past the
 *              end are zero.  to_ggml() inverts this byte for byte.
 *              Q8_0 weights: 512 quant bytes per panel and block, byte
 *              g*64 + 4n + i (g < 8) = GGML qs[4g + i] of row 16p + n: the 8
 *              rows of the B tile as they are, loaded straight from the panel.
 *   prepare(): X -> Q8_0 (bit-exact with fk_quantize_row_q8_0_ref) stored as
 *              int8 (batch, cols) row-major (the A tiles), then f32 dx
 *              (batch, cols/32).
 *   run():     per 32 output columns (two panels) x 16 batch rows x block:
 *              B tiles = nibbles - 8 in [-8,7] (8 rows x 64 B), A tile = 16 x
 *              32 B of qx, C = 0 then C += A.B (|C| <= 32*8*127 < 2^15,
 *              exact), stored, then acc += (C * dw) * dx in f32, blocks in
 *              order: the same rounding as gemm.w4a8.scalar.  Q8_0 weights:
 *              B = the packed block itself, |C| <= 32*127*127 < 2^24 (exact
 *              in int32 and in f32), same accumulation.  Fewer than 16
 *              batch rows left: A and C are configured with that many rows
 *              (one LDTILECFG), so M = 1..15 needs no padding or copies.
 *
 * Tiles (palette 1): tmm0, tmm1 = C (mr x 16 int32), tmm4 = A (mr x 32 B),
 * tmm6, tmm7 = B (8 x 64 B). */
#ifndef FK_GEMM_W4A8_AMX_H
#define FK_GEMM_W4A8_AMX_H

#include <assert.h>

#include "amx_model.h"  /* struct fk_amx_tilecfg (both builds); the model itself */
#include "quant.h"

#ifndef AMX_W4A8_VNNI
#define AMX_W4A8_VNNI 1  /* 0: the ik_llama bug (mutant): B packed row-major in K */
#endif

#define AMX_NR 16     /* weight rows (output columns) per panel = C/B tile columns */
#define AMX_MR 16     /* batch rows per A/C tile */
#define AMX_QS 256    /* Q4_0 quant bytes per panel and block */
#define AMX_QS8 512   /* Q8_0 quant bytes per panel and block (= one B tile) */

#ifdef FK_AMX_MODEL
/* Tile operations on a model state on run()'s stack; a fault traps. */
#define AMX_DECLARE()           \
    struct fk_amx_state amx_st_; \
    fk_amx_init(&amx_st_, 1)
#define AMX_LDTILECFG(cfg)      fk_amx_ldtilecfg(&amx_st_, (cfg))
#define AMX_LOAD(t, base, ld)   fk_amx_tileloadd(&amx_st_, (t), (base), (ld))
#define AMX_STORE(t, base, ld)  fk_amx_tilestored(&amx_st_, (t), (base), (ld))
#define AMX_ZERO(t)             fk_amx_tilezero(&amx_st_, (t))
#define AMX_DPBSSD(c, a, b)     fk_amx_tdpbssd(&amx_st_, (c), (a), (b))
#define AMX_RELEASE()           fk_amx_tilerelease(&amx_st_)
#else
#include <immintrin.h>
#define AMX_DECLARE()           ((void)0)
#define AMX_LDTILECFG(cfg)      _tile_loadconfig(cfg)
#define AMX_LOAD(t, base, ld)   _tile_loadd(t, base, ld)
#define AMX_STORE(t, base, ld)  _tile_stored(t, base, ld)
#define AMX_ZERO(t)             _tile_zero(t)
#define AMX_DPBSSD(c, a, b)     _tile_dpbssd(c, a, b)
#define AMX_RELEASE()           _tile_release()
#endif

static inline int64_t amx_w4a8_round64(int64_t n)
{
    return (n + 63) & ~(int64_t)63;
}

/* Quant bytes of one panel block: 256 (Q4_0) or 512 (Q8_0). */
static inline int64_t amx_gemm_qs_bytes(int q8)
{
    return q8 ? AMX_QS8 : AMX_QS;
}

/* Bytes of one panel: nb panel blocks of quant bytes, then nb * 16 fp16
 * scales, padded so every panel starts 64-byte aligned. */
static inline int64_t amx_gemm_panel_bytes(int64_t nb, int q8)
{
    return amx_w4a8_round64(nb * amx_gemm_qs_bytes(q8) + nb * AMX_NR * 2);
}

static inline int64_t amx_w4a8_panel_bytes(int64_t nb)
{
    return amx_gemm_panel_bytes(nb, 0);
}

/* Offset within a panel block of GGML qs[t] (t < 16) of panel row n. */
static inline int amx_w4a8_qs_at(int n, int t)
{
#if AMX_W4A8_VNNI
    return (t / 4) * 64 + n * 4 + t % 4;  /* {K/4, N, 4} */
#else
    return n * 16 + t;                    /* plain row-major K: wrong for TDPBSSD */
#endif
}

/* Offset within a panel block of GGML qs[t] of panel row n: Q4_0 as above
 * (t < 16), Q8_0 always {K/4, N, 4} (t < 32). */
static inline int amx_gemm_qs_at(int n, int t, int q8)
{
    return q8 ? (t / 4) * 64 + n * 4 + t % 4 : amx_w4a8_qs_at(n, t);
}

static inline size_t amx_gemm_packed_size(const struct fk_shape *s, int q8)
{
    const int64_t panels = (s->rows + AMX_NR - 1) / AMX_NR;
    return (size_t)(panels * amx_gemm_panel_bytes(s->cols / FK_Q4_0_BLOCK, q8));
}

/* One GGML block of either format, as the reference quantizer writes it. */
union amx_gemm_block {
    fk_block_q4_0 q4;
    fk_block_q8_0 q8;
};

/* The fp16 scale and the quant bytes of block u (both formats start with d). */
static inline uint16_t *amx_gemm_block_d(union amx_gemm_block *u, int q8)
{
    return q8 ? &u->q8.d : &u->q4.d;
}

static inline uint8_t *amx_gemm_block_qs(union amx_gemm_block *u, int q8)
{
    return q8 ? (uint8_t *)u->q8.qs : u->q4.qs;
}

/* w: (rows, cols) f32 -> panels (see top of file). */
static inline int amx_gemm_pack(const struct fk_shape *s, const float *w, void *packed, int q8)
{
    if (s->rows < 1 || s->cols < 1 || s->cols % FK_Q4_0_BLOCK != 0)
        return -1;
    const int64_t nb = s->cols / FK_Q4_0_BLOCK, pb = amx_gemm_panel_bytes(nb, q8), qb = amx_gemm_qs_bytes(q8);
    const int nq = q8 ? FK_Q8_0_BLOCK : FK_Q4_0_BLOCK / 2;  /* quant bytes per GGML block */
    uint8_t *out = packed;
    for (int64_t p = 0; p * AMX_NR < s->rows; p++) {
        uint8_t *qs = out + p * pb;
        uint16_t *d = (uint16_t *)(qs + nb * qb);
        for (int64_t b = 0; b < nb; b++)
            for (int n = 0; n < AMX_NR; n++) {
                const int64_t r = p * AMX_NR + n;
                union amx_gemm_block blk;
                memset(&blk, 0, sizeof blk);
                if (r < s->rows) {
                    const float *src = w + r * s->cols + b * FK_Q4_0_BLOCK;
                    if (q8)
                        fk_quantize_row_q8_0_ref(src, &blk.q8, FK_Q8_0_BLOCK);
                    else
                        fk_quantize_row_q4_0_ref(src, &blk.q4, FK_Q4_0_BLOCK);
                }
                d[b * AMX_NR + n] = *amx_gemm_block_d(&blk, q8);
                const uint8_t *bq = amx_gemm_block_qs(&blk, q8);
                for (int t = 0; t < nq; t++)
                    qs[b * qb + amx_gemm_qs_at(n, t, q8)] = bq[t];
            }
    }
    return 0;
}

/* panels -> (rows, cols/32) plain GGML blocks of the weight format. */
static inline int amx_gemm_to_ggml(const struct fk_shape *s, const void *packed, void *ggml, int q8)
{
    const int64_t nb = s->cols / FK_Q4_0_BLOCK, pb = amx_gemm_panel_bytes(nb, q8), qb = amx_gemm_qs_bytes(q8);
    const int nq = q8 ? FK_Q8_0_BLOCK : FK_Q4_0_BLOCK / 2;
    const size_t bytes = q8 ? FK_Q8_0_BYTES : FK_Q4_0_BYTES;
    const uint8_t *in = packed;
    uint8_t *out = ggml;
    for (int64_t r = 0; r < s->rows; r++) {
        const uint8_t *qs = in + (r / AMX_NR) * pb;
        const uint16_t *d = (const uint16_t *)(qs + nb * qb);
        const int n = (int)(r % AMX_NR);
        for (int64_t b = 0; b < nb; b++) {
            union amx_gemm_block blk;
            *amx_gemm_block_d(&blk, q8) = d[b * AMX_NR + n];
            uint8_t *bq = amx_gemm_block_qs(&blk, q8);
            for (int t = 0; t < nq; t++)
                bq[t] = qs[b * qb + amx_gemm_qs_at(n, t, q8)];
            memcpy(out + (size_t)(r * nb + b) * bytes, &blk, bytes);
        }
    }
    return 0;
}

static inline size_t amx_w4a8_packed_size(const struct fk_shape *s) { return amx_gemm_packed_size(s, 0); }

static inline int amx_w4a8_pack(const struct fk_shape *s, const float *w, void *packed)
{
    return amx_gemm_pack(s, w, packed, 0);
}

static inline int amx_w4a8_to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    return amx_gemm_to_ggml(s, packed, ggml, 0);
}

/* Scratch: int8 qx (batch, cols), then f32 dx (batch, cols/32) 64-byte aligned. */
static inline int64_t amx_w4a8_dx_offset(const struct fk_shape *s)
{
    return amx_w4a8_round64(s->batch * s->cols);
}

static inline size_t amx_w4a8_prepare_size(const struct fk_shape *s)
{
    return (size_t)(amx_w4a8_dx_offset(s) + s->batch * (s->cols / FK_Q8_0_BLOCK) * 4);
}

#ifndef FK_AMX_MODEL
/* roundf (half away from zero) of v, |v| < 2^23: t = trunc(v); v - t is
 * exact, and |v - t| >= 0.5 moves t one step away from zero. */
static inline __m512 amx_w4a8_roundf(__m512 v)
{
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
    const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
    const __m512i sign = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN));
    const __m512 one = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(_mm512_set1_ps(1.0f)), sign)); /* +-1 */
    return _mm512_mask_add_ps(t, up, t, one);
}
#endif

/* One block of 32 x -> 32 int8 qs and its fp16 scale as f32, bit-exact with
 * fk_quantize_row_q8_0_ref.  SIMD (real-AMX build): amax is exact in any
 * order, d = amax / 127 and id = 1/d are the same scalar f32 divisions, x * id
 * one rounded multiply per lane (no FMA), then roundf; a block holding an inf
 * or NaN (where the reference's max depends on comparison order) goes to the
 * reference quantizer.  Model build: the reference quantizer itself. */
static inline float amx_w4a8_quantize_block(const float *x, int8_t *qs)
{
#ifndef FK_AMX_MODEL
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    const __m512 a0 = _mm512_abs_ps(x0), a1 = _mm512_abs_ps(x1);
    const __m512 fmax = _mm512_set1_ps(3.40282347e38f);
    if ((__mmask16)(_mm512_cmp_ps_mask(a0, fmax, _CMP_LE_OQ) & _mm512_cmp_ps_mask(a1, fmax, _CMP_LE_OQ)) == 0xffff) {
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const __m512 vid = _mm512_set1_ps(id);
        const __m512i q0 = _mm512_cvtps_epi32(amx_w4a8_roundf(_mm512_mul_ps(x0, vid)));
        const __m512i q1 = _mm512_cvtps_epi32(amx_w4a8_roundf(_mm512_mul_ps(x1, vid)));
        _mm_storeu_si128((__m128i *)qs, _mm512_cvtepi32_epi8(q0));
        _mm_storeu_si128((__m128i *)(qs + 16), _mm512_cvtepi32_epi8(q1));
        return fk_fp16_to_f32(fk_f32_to_fp16(d));
    }
#endif
    fk_block_q8_0 blk;
    fk_quantize_row_q8_0_ref(x, &blk, FK_Q8_0_BLOCK);
    memcpy(qs, blk.qs, FK_Q8_0_BLOCK);
    return fk_fp16_to_f32(blk.d);
}

/* x: (batch, cols) f32 -> scratch (see amx_w4a8_dx_offset). */
static inline void amx_w4a8_prepare(const struct fk_args *a)
{
    const struct fk_shape *s = &a->shape;
    const int64_t nb = s->cols / FK_Q8_0_BLOCK;
    int8_t *qx = a->scratch;                                          /* (batch, cols) */
    float *dx = (float *)((uint8_t *)a->scratch + amx_w4a8_dx_offset(s));  /* (batch, nb) */
    for (int64_t i = 0; i < s->batch * nb; i++)
        dx[i] = amx_w4a8_quantize_block(a->x + i * FK_Q8_0_BLOCK, qx + i * FK_Q8_0_BLOCK);
}

/* The 16 fp16 scales of a panel block -> f32 dw (exact). */
static inline void amx_gemm_scales(const uint16_t *d, float dw[16])
{
#ifndef FK_AMX_MODEL
    _mm512_storeu_ps(dw, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d)));
#else
    for (int n = 0; n < AMX_NR; n++)
        dw[n] = fk_fp16_to_f32(d[n]);
#endif
}

/* Block b of a panel -> B tile bytes bt[8][64]: row g < 4 = low nibbles of
 * bytes g*64 .. g*64+63, row 4 + g = their high nibbles, each minus 8
 * (nibbles [0,15] -> [-8,7]); and its 16 scales -> f32 dw. */
static inline void amx_w4a8_unpack(const uint8_t *qs, const uint16_t *d, int8_t bt[8][64], float dw[16])
{
#ifndef FK_AMX_MODEL
    const __m512i low4 = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    for (int g = 0; g < 4; g++) {
        const __m512i q = _mm512_loadu_si512(qs + g * 64);
        _mm512_store_si512(bt[g], _mm512_sub_epi8(_mm512_and_si512(q, low4), eight));
        _mm512_store_si512(bt[4 + g], _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(q, 4), low4), eight));
    }
#else
    for (int g = 0; g < 4; g++)
        for (int j = 0; j < 64; j++) {
            bt[g][j] = (int8_t)((qs[g * 64 + j] & 0x0f) - 8);
            bt[4 + g][j] = (int8_t)((qs[g * 64 + j] >> 4) - 8);
        }
#endif
    amx_gemm_scales(d, dw);
}

/* B tile of block b of a panel, for tileloadd with stride 64, and its f32
 * scales: Q8_0 weights are the tile as packed; Q4_0 are unpacked into bt. */
static inline const void *amx_gemm_b_tile(const uint8_t *panel, int64_t nb, int64_t b, int8_t bt[8][64],
                                          float dw[16], int q8)
{
    const uint8_t *qs = panel + b * amx_gemm_qs_bytes(q8);
    const uint16_t *d = (const uint16_t *)(panel + nb * amx_gemm_qs_bytes(q8)) + b * AMX_NR;
    if (q8) {
        amx_gemm_scales(d, dw);
        return qs;
    }
    amx_w4a8_unpack(qs, d, bt, dw);
    return bt;
}

/* Tile configuration for mr (1..16) batch rows: tmm0, tmm1 = C (mr x 64 B),
 * tmm4 = A (mr x 32 B), tmm6, tmm7 = B (8 x 64 B). */
static inline void amx_w4a8_config(struct fk_amx_tilecfg *cfg, int mr)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->palette_id = 1;
    cfg->rows[0] = cfg->rows[1] = (uint8_t)mr;
    cfg->colsb[0] = cfg->colsb[1] = AMX_NR * 4;
    cfg->rows[4] = (uint8_t)mr;
    cfg->colsb[4] = FK_Q4_0_BLOCK;
    cfg->rows[6] = cfg->rows[7] = FK_Q4_0_BLOCK / 4;
    cfg->colsb[6] = cfg->colsb[7] = AMX_NR * 4;
}

/* Columns [r0, r1) of Y, for every batch row. */
static inline void amx_gemm_run(const struct fk_args *a, int64_t r0, int64_t r1, int q8)
{
    assert(a->shape.cols % FK_Q4_0_BLOCK == 0 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const struct fk_shape *s = &a->shape;
    const int64_t rows = s->rows, cols = s->cols, batch = s->batch, nb = cols / FK_Q4_0_BLOCK;
    const int64_t pb = amx_gemm_panel_bytes(nb, q8);
    const int8_t *qx = a->scratch;                                                       /* (batch, cols) */
    const float *dx = (const float *)((const uint8_t *)a->scratch + amx_w4a8_dx_offset(s));  /* (batch, nb) */
    const int64_t p_end = (r1 + AMX_NR - 1) / AMX_NR;

    _Alignas(64) struct fk_amx_tilecfg cfg;
    _Alignas(64) int8_t bt[2][8][64];          /* B tiles of two panels */
    _Alignas(64) int32_t cbuf[AMX_MR][2 * AMX_NR];  /* C tiles side by side */
    float dw[2][AMX_NR];
    float acc[AMX_MR][2 * AMX_NR];
    int cfg_mr = 0;
    AMX_DECLARE();

    for (int64_t p0 = r0 / AMX_NR; p0 < p_end; p0 += 2) {
        const int np = p_end - p0 >= 2 ? 2 : 1;
        const uint8_t *panel = (const uint8_t *)a->w + p0 * pb;
        const int64_t c0 = p0 * AMX_NR;  /* first output column of the panels */
        for (int64_t m0 = 0; m0 < batch; m0 += AMX_MR) {
            const int mr = (int)(batch - m0 < AMX_MR ? batch - m0 : AMX_MR);
            if (mr != cfg_mr) {
                amx_w4a8_config(&cfg, mr);
                AMX_LDTILECFG(&cfg);
                cfg_mr = mr;
            }
            memset(acc, 0, sizeof acc);
            for (int64_t b = 0; b < nb; b++) {
                AMX_LOAD(4, qx + m0 * cols + b * FK_Q4_0_BLOCK, cols);
                AMX_ZERO(0);
                AMX_LOAD(6, amx_gemm_b_tile(panel, nb, b, bt[0], dw[0], q8), 64);
                AMX_DPBSSD(0, 4, 6);
                AMX_STORE(0, cbuf, sizeof cbuf[0]);
                if (np == 2) {
                    AMX_ZERO(1);
                    AMX_LOAD(7, amx_gemm_b_tile(panel + pb, nb, b, bt[1], dw[1], q8), 64);
                    AMX_DPBSSD(1, 4, 7);
                    AMX_STORE(1, &cbuf[0][AMX_NR], sizeof cbuf[0]);
                }
                const int nc = np * AMX_NR;
                for (int i = 0; i < mr; i++) {
                    const float dxi = dx[(m0 + i) * nb + b];
                    for (int n = 0; n < nc; n++)
                        acc[i][n] += ((float)cbuf[i][n] * dw[n / AMX_NR][n % AMX_NR]) * dxi;
                }
            }
            const int64_t lo = r0 > c0 ? r0 - c0 : 0;
            const int64_t hi = r1 - c0 < np * AMX_NR ? r1 - c0 : np * AMX_NR;
            for (int i = 0; i < mr; i++)
                for (int64_t n = lo; n < hi; n++)
                    a->y[(m0 + i) * rows + c0 + n] = acc[i][n];
        }
    }
    AMX_RELEASE();
}

static inline void amx_w4a8_run(const struct fk_args *a, int64_t r0, int64_t r1) { amx_gemm_run(a, r0, r1, 0); }

static inline void amx_w4a8_cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_Q8_0, c);
}

/* The Q8_0-weight instantiation (kernels/gemm_q8_0_amx.c). */
static inline size_t amx_q8_0_packed_size(const struct fk_shape *s) { return amx_gemm_packed_size(s, 1); }

static inline int amx_q8_0_pack(const struct fk_shape *s, const float *w, void *packed)
{
    return amx_gemm_pack(s, w, packed, 1);
}

static inline int amx_q8_0_to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    return amx_gemm_to_ggml(s, packed, ggml, 1);
}

static inline void amx_q8_0_run(const struct fk_args *a, int64_t r0, int64_t r1) { amx_gemm_run(a, r0, r1, 1); }

static inline void amx_q8_0_cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q8_0, FK_FMT_Q8_0, c);
}

#endif /* FK_GEMM_W4A8_AMX_H */
