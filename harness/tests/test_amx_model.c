/* The AMX software model (kernels/amx_model.h) against plain integer matrix
 * products and the documented tile semantics, with no trap (faults are read
 * from the state):
 *   1. TDPBSSD / TDPBSUD / TDPBUSD / TDPBUUD vs C0 + A . B computed on plain
 *      row-major B (K x N), with B handed to the tile in the {K/4, N, 4}
 *      layout; M in {1, 3, 16}, N in {1, 5, 16} dwords, K in {4 .. 64} bytes;
 *      bytes past C's colsb and rows past C.rows read back zero; dword wrap.
 *   2. TILELOADD / TILESTORED with strides (tail zeroing, untouched gaps),
 *      TILEZERO, TILERELEASE and palette 0.
 *   3. Each fault with its code: bad palette, reserved byte, rows > 16,
 *      colsb > 64, half-configured tile, tiles not configured, unconfigured
 *      tile, same tile twice, colsb % 4, M / K / N mismatch; a faulting
 *      LDTILECFG keeps the previous configuration.
 *   4. gemm.w4a8.amx's packing, through its B-tile unpack, is exactly the
 *      {K/4, N, 4} layout of the GGML Q4_0 quants (q - 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#define FK_AMX_MODEL 1
#include "../../kernels/amx_model.h"
#include "../../kernels/gemm_w4a8_amx.h"

static uint32_t rng_state = 12345u;

static uint32_t rng(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* Config with tile t = rows x colsb for the listed tiles, others empty. */
static void cfg_set(struct fk_amx_tilecfg *cfg, int t, int rows, int colsb)
{
    cfg->palette_id = 1;
    cfg->rows[t] = (uint8_t)rows;
    cfg->colsb[t] = (uint16_t)colsb;
}

static struct fk_amx_state *new_state(void)
{
    struct fk_amx_state *st = malloc(sizeof *st);
    assert_non_null(st);
    fk_amx_init(st, 0);
    return st;
}

typedef void (*tdp_fn)(struct fk_amx_state *, int, int, int);

/* One dot product M x N dwords, K bytes: tiles C = 0, A = 1, B = 2. */
static void check_dot(tdp_fn fn, int a_signed, int b_signed, int M, int N, int K)
{
    uint8_t a[16][64], bplain[64][16], bvnni[16][64];
    int32_t c0[16][16], c[16][16];
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++)
            a[m][k] = (uint8_t)rng();
    for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++) {
            bplain[k][n] = (uint8_t)rng();
            bvnni[k / 4][4 * n + k % 4] = bplain[k][n];  /* {K/4, N, 4} */
        }
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++)
            c0[m][n] = (int32_t)((rng() << 8) - (1u << 30));  /* wraps in uint32_t: no signed overflow */

    struct fk_amx_state *st = new_state();
    struct fk_amx_tilecfg cfg = {0};
    cfg_set(&cfg, 0, M, 4 * N);
    cfg_set(&cfg, 1, M, K);
    cfg_set(&cfg, 2, K / 4, 4 * N);
    fk_amx_ldtilecfg(st, &cfg);
    fk_amx_tileloadd(st, 0, c0, sizeof c0[0]);
    fk_amx_tileloadd(st, 1, a, sizeof a[0]);
    fk_amx_tileloadd(st, 2, bvnni, sizeof bvnni[0]);
    fn(st, 0, 1, 2);
    assert_int_equal(st->fault, FK_AMX_OK);
    memset(c, 0x55, sizeof c);
    fk_amx_tilestored(st, 0, c, sizeof c[0]);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int64_t want = c0[m][n];
            for (int k = 0; k < K; k++) {
                const int64_t av = a_signed ? (int8_t)a[m][k] : a[m][k];
                const int64_t bv = b_signed ? (int8_t)bplain[k][n] : bplain[k][n];
                want += av * bv;
            }
            if (c[m][n] != (int32_t)(uint32_t)want)
                fail_msg("tdpb%c%cd M=%d N=%d K=%d: C[%d][%d] = %d, plain product %lld", a_signed ? 's' : 'u',
                         b_signed ? 's' : 'u', M, N, K, m, n, c[m][n], (long long)want);
        }
    for (int m = 0; m < FK_AMX_MAX_ROWS; m++)
        for (int j = (m < M ? 4 * N : 0); j < FK_AMX_MAX_COLSB; j++)
            if (st->tile[0][m][j] != 0)
                fail_msg("C byte [%d][%d] outside %d x %d B not zeroed", m, j, M, 4 * N);
    free(st);
}

static void test_dot_products(void **state)
{
    (void)state;
    static const int Ms[] = {1, 3, 16}, Ns[] = {1, 5, 16}, Ks[] = {4, 8, 12, 32, 60, 64};
    const struct { tdp_fn fn; int as, bs; } v[] = {
        {fk_amx_tdpbssd, 1, 1}, {fk_amx_tdpbsud, 1, 0}, {fk_amx_tdpbusd, 0, 1}, {fk_amx_tdpbuud, 0, 0}};
    for (int i = 0; i < 4; i++)
        for (int m = 0; m < 3; m++)
            for (int n = 0; n < 3; n++)
                for (int k = 0; k < 6; k++)
                    check_dot(v[i].fn, v[i].as, v[i].bs, Ms[m], Ns[n], Ks[k]);
}

/* The dword sum wraps modulo 2^32, no saturation. */
static void test_dot_wraps(void **state)
{
    (void)state;
    struct fk_amx_state *st = new_state();
    struct fk_amx_tilecfg cfg = {0};
    cfg_set(&cfg, 0, 1, 4);
    cfg_set(&cfg, 1, 1, 4);
    cfg_set(&cfg, 2, 1, 4);
    fk_amx_ldtilecfg(st, &cfg);
    const int32_t cmax = INT32_MAX;
    const uint8_t ones[4] = {255, 255, 255, 255};
    fk_amx_tileloadd(st, 0, &cmax, 4);
    fk_amx_tileloadd(st, 1, ones, 4);
    fk_amx_tileloadd(st, 2, ones, 4);
    fk_amx_tdpbuud(st, 0, 1, 2);  /* + 4 * 255 * 255 */
    int32_t c;
    fk_amx_tilestored(st, 0, &c, 4);
    assert_int_equal(c, (int32_t)((uint32_t)INT32_MAX + 4u * 255u * 255u));
    fk_amx_tdpbssd(st, 0, 1, 2);  /* + 4 * (-1) * (-1) */
    fk_amx_tilestored(st, 0, &c, 4);
    assert_int_equal(c, (int32_t)((uint32_t)INT32_MAX + 4u * 255u * 255u + 4u));
    free(st);
}

static void test_load_store_zero(void **state)
{
    (void)state;
    enum { LD = 100, SD = 80 };
    uint8_t src[16 * LD], dst[16 * SD];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)rng();
    struct fk_amx_state *st = new_state();
    struct fk_amx_tilecfg cfg = {0};
    cfg_set(&cfg, 3, 7, 24);
    cfg_set(&cfg, 5, 16, 64);
    fk_amx_ldtilecfg(st, &cfg);
    memset(st->tile[3], 0xee, sizeof st->tile[3]);  /* stale data must be cleared by the load */
    fk_amx_tileloadd(st, 3, src, LD);
    assert_int_equal(st->fault, FK_AMX_OK);
    for (int r = 0; r < 16; r++)
        for (int j = 0; j < 64; j++)
            assert_int_equal(st->tile[3][r][j], r < 7 && j < 24 ? src[r * LD + j] : 0);
    memset(dst, 0xaa, sizeof dst);
    fk_amx_tilestored(st, 3, dst, SD);
    for (int r = 0; r < 16; r++)
        for (int j = 0; j < SD; j++)
            assert_int_equal(dst[r * SD + j], r < 7 && j < 24 ? src[r * LD + j] : 0xaa);
    /* a full 16 x 64 tile, stride = row length */
    fk_amx_tileloadd(st, 5, src, 64);
    for (int r = 0; r < 16; r++)
        assert_memory_equal(st->tile[5][r], src + 64 * r, 64);
    fk_amx_tilezero(st, 5);
    for (int r = 0; r < 16; r++)
        for (int j = 0; j < 64; j++)
            assert_int_equal(st->tile[5][r][j], 0);
    assert_int_equal(st->fault, FK_AMX_OK);
    /* release, and palette 0: init state, tile use is #UD again */
    fk_amx_tilerelease(st);
    assert_int_equal(st->configured, 0);
    fk_amx_tilezero(st, 5);
    assert_int_equal(st->fault, FK_AMX_FAULT_UNCONFIGURED);
    fk_amx_init(st, 0);
    fk_amx_ldtilecfg(st, &cfg);
    struct fk_amx_tilecfg zero = {0};
    fk_amx_ldtilecfg(st, &zero);
    assert_int_equal(st->configured, 0);
    assert_int_equal(st->fault, FK_AMX_OK);
    free(st);
}

/* LDTILECFG of cfg on a state configured with `good` must fault with f and
 * keep good's configuration. */
static void expect_cfg_fault(const struct fk_amx_tilecfg *cfg, enum fk_amx_fault f)
{
    struct fk_amx_state *st = new_state();
    struct fk_amx_tilecfg good = {0};
    cfg_set(&good, 0, 16, 64);
    fk_amx_ldtilecfg(st, &good);
    fk_amx_ldtilecfg(st, cfg);
    if (st->fault != f)
        fail_msg("ldtilecfg: fault %s, expected %s", fk_amx_fault_name(st->fault), fk_amx_fault_name(f));
    assert_int_equal(st->configured, 1);
    assert_int_equal(st->rows[0], 16);
    assert_int_equal(st->colsb[0], 64);
    free(st);
}

static void test_config_faults(void **state)
{
    (void)state;
    struct fk_amx_tilecfg c = {0};
    cfg_set(&c, 1, 8, 32);
    c.palette_id = 2;
    expect_cfg_fault(&c, FK_AMX_FAULT_PALETTE);
    c.palette_id = 1;
    c.reserved[3] = 1;
    expect_cfg_fault(&c, FK_AMX_FAULT_RESERVED);
    c.reserved[3] = 0;
    c.rows[9] = 1;  /* tile 9 does not exist in palette 1 */
    c.colsb[9] = 4;
    expect_cfg_fault(&c, FK_AMX_FAULT_RESERVED);
    c.rows[9] = 0;
    c.colsb[9] = 0;
    c.rows[2] = 17;
    c.colsb[2] = 64;
    expect_cfg_fault(&c, FK_AMX_FAULT_ROWS);
    c.rows[2] = 16;
    c.colsb[2] = 68;
    expect_cfg_fault(&c, FK_AMX_FAULT_COLSB);
    c.colsb[2] = 0;
    expect_cfg_fault(&c, FK_AMX_FAULT_HALF_CONFIG);
}

/* Runs op on a fresh state configured with cfg (NULL: not configured) and
 * checks the fault code. */
static void expect_use_fault(const struct fk_amx_tilecfg *cfg, int op, enum fk_amx_fault f)
{
    struct fk_amx_state *st = new_state();
    static uint8_t buf[16 * 64];
    if (cfg)
        fk_amx_ldtilecfg(st, cfg);
    assert_int_equal(st->fault, FK_AMX_OK);
    switch (op) {
    case 0: fk_amx_tileloadd(st, 5, buf, 64); break;
    case 1: fk_amx_tilestored(st, 5, buf, 64); break;
    case 2: fk_amx_tilezero(st, 5); break;
    case 3: fk_amx_tdpbssd(st, 0, 1, 2); break;
    case 4: fk_amx_tdpbssd(st, 0, 1, 1); break;
    default: fk_amx_tileloadd(st, 8, buf, 64); break;
    }
    if (st->fault != f)
        fail_msg("op %d: fault %s, expected %s", op, fk_amx_fault_name(st->fault), fk_amx_fault_name(f));
    free(st);
}

static void test_use_faults(void **state)
{
    (void)state;
    for (int op = 0; op < 4; op++)
        expect_use_fault(NULL, op, FK_AMX_FAULT_UNCONFIGURED);
    struct fk_amx_tilecfg c = {0};
    cfg_set(&c, 0, 16, 64);  /* C: 16 x 16 dwords */
    cfg_set(&c, 1, 16, 64);  /* A: 16 x K = 64 */
    cfg_set(&c, 2, 16, 64);  /* B: K/4 = 16 x 16 dwords */
    for (int op = 0; op < 3; op++)  /* tile 5 not configured (0 rows) */
        expect_use_fault(&c, op, FK_AMX_FAULT_TILE_INVALID);
    expect_use_fault(&c, 5, FK_AMX_FAULT_TILE_INVALID);  /* tmm8 */
    expect_use_fault(&c, 3, FK_AMX_OK);
    expect_use_fault(&c, 4, FK_AMX_FAULT_SAME_TILE);
    c.rows[2] = 8;  /* K: A has 64 bytes = 16 groups, B 8 rows */
    expect_use_fault(&c, 3, FK_AMX_FAULT_SHAPE_K);
    c.colsb[1] = 32;  /* K = 32 bytes: consistent again */
    expect_use_fault(&c, 3, FK_AMX_OK);
    c.rows[1] = 4;  /* M: A 4 rows, C 16 */
    expect_use_fault(&c, 3, FK_AMX_FAULT_SHAPE_M);
    c.rows[1] = 16;
    c.colsb[2] = 32;  /* N: B 8 dwords, C 16 */
    expect_use_fault(&c, 3, FK_AMX_FAULT_SHAPE_N);
    c.colsb[2] = 64;
    c.colsb[0] = 62;  /* C colsb not a multiple of 4 */
    expect_use_fault(&c, 3, FK_AMX_FAULT_COLSB_ALIGN);
}

/* pack() then the run's B-tile unpack give, for every block, tile row g
 * byte 4n + i = (q - 8) of GGML element k = 4g + i of weight row n: the
 * {K/4, N, 4} layout TDPBSSD multiplies as B[k][n]. */
static void test_w4a8_vnni_layout(void **state)
{
    (void)state;
    const struct fk_shape s = {19, 96, 1};  /* two panels, the second partial; three blocks */
    float *w = malloc(sizeof(float) * 19 * 96);
    for (int i = 0; i < 19 * 96; i++)
        w[i] = (float)((int)(rng() % 2001) - 1000) / 250.0f;
    uint8_t *packed = calloc(1, amx_w4a8_packed_size(&s));
    assert_int_equal(amx_w4a8_pack(&s, w, packed), 0);
    const int64_t nb = 3, pb = amx_w4a8_panel_bytes(nb);
    for (int p = 0; p < 2; p++)
        for (int b = 0; b < nb; b++) {
            _Alignas(64) int8_t bt[8][64];
            float dw[16];
            const uint8_t *panel = packed + p * pb;
            amx_w4a8_unpack(panel + b * AMX_QS, (const uint16_t *)(panel + nb * AMX_QS) + b * AMX_NR, bt, dw);
            for (int n = 0; n < 16; n++) {
                const int r = 16 * p + n;
                fk_block_q4_0 blk = {0, {0}};
                if (r < s.rows)
                    fk_quantize_row_q4_0_ref(w + r * 96 + b * 32, &blk, 32);
                assert_true(dw[n] == fk_fp16_to_f32(blk.d));
                for (int k = 0; k < 32; k++) {
                    const int q = k < 16 ? blk.qs[k] & 0x0f : blk.qs[k - 16] >> 4;
                    if (bt[k / 4][4 * n + k % 4] != q - 8)
                        fail_msg("panel %d block %d: B[%d][%d] = %d, want q - 8 = %d (row %d, k %d)", p, b, k / 4,
                                 4 * n + k % 4, bt[k / 4][4 * n + k % 4], q - 8, r, k);
                }
            }
        }
    free(packed);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_products),    cmocka_unit_test(test_dot_wraps),
        cmocka_unit_test(test_load_store_zero), cmocka_unit_test(test_config_faults),
        cmocka_unit_test(test_use_faults),      cmocka_unit_test(test_w4a8_vnni_layout),
    };
    return cmocka_run_group_tests_name("amx model", tests, NULL, NULL);
}
