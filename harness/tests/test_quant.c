/* GGML formats: kernels/quant.h (C) against oracle/formats.py (NumPy),
 * byte for byte, and C-only properties of the quantizers and fp16.
 *
 * 1. Oracle cases (gen.py, as the harness makes them): the C reference
 *    quantizer of w.npy must reproduce w-<fmt>.npy exactly.
 * 2. Hand-built float32 arrays that sit on every rounding boundary (Q4_0
 *    truncation at x*id + 8.5 = integer, Q8_0 .5 ties, Q4_K nearest_int
 *    ties), zero blocks, huge and tiny ranges, negative-max ties: written to
 *    an .npy, quantized by `$FALSIFY_PYTHON -c` importing oracle/formats.py,
 *    and compared with the C bytes.  This proves both sides make the same
 *    choice at each tie, not just on typical data.
 * 3. Properties: fp16 conversion exhaustive over all 65536 halves and
 *    round-to-nearest-even at every halfway f32; ties, zero blocks, fp16
 *    overflow and subnormal scales, first-wins negative max. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kernels/gemv_qdot_x86.h"
#include "../../kernels/quant.h"
#include "../check.h"
#include "../cpu.h"
#include "../registry.h"
#include "../npy.h"
#include "../verify.h"

extern char **environ;

static const char *python(void)
{
    const char *py = getenv("FALSIFY_PYTHON");
    return py && *py ? py : "/usr/bin/python3";
}

/* ------------------------------------------------------------ helpers */

static size_t row_bytes(enum fk_format f, int64_t n)
{
    return fk_format_row_bytes(f, n);
}

/* C reference quantizer of x (n) in format f into out (row_bytes(f, n)). */
static void quantize_c(enum fk_format f, const float *x, int64_t n, uint8_t *out)
{
    switch (f) {
    case FK_FMT_Q4_0: fk_quantize_row_q4_0_ref(x, (fk_block_q4_0 *)out, n); break;
    case FK_FMT_Q8_0: fk_quantize_row_q8_0_ref(x, (fk_block_q8_0 *)out, n); break;
    case FK_FMT_Q4_K: fk_quantize_row_q4_k_ref(x, (fk_block_q4_k *)out, n); break;
    case FK_FMT_Q8_K: fk_quantize_row_q8_k_ref(x, (fk_block_q8_k *)out, n); break;
    default: fail_msg("no quantizer for format %d", (int)f);
    }
}

static void dequantize_c(enum fk_format f, const uint8_t *q, float *y, int64_t n)
{
    switch (f) {
    case FK_FMT_Q4_0: fk_dequantize_row_q4_0(q, y, n); break;
    case FK_FMT_Q8_0: fk_dequantize_row_q8_0(q, y, n); break;
    case FK_FMT_Q4_K: fk_dequantize_row_q4_k(q, y, n); break;
    case FK_FMT_Q8_K: fk_dequantize_row_q8_k(q, y, n); break;
    default: fail_msg("no dequantizer for format %d", (int)f);
    }
}

/* First differing byte of C and oracle output, as a message. */
static void assert_same_bytes(const char *what, enum fk_format f, const uint8_t *c, const uint8_t *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (c[i] != o[i]) {
            size_t bb = f == FK_FMT_Q4_0 ? FK_Q4_0_BYTES : f == FK_FMT_Q8_0 ? FK_Q8_0_BYTES
                        : f == FK_FMT_Q4_K                      ? FK_Q4_K_BYTES
                                                                : FK_Q8_K_BYTES;
            fail_msg("%s %s: C and oracle differ at byte %zu (block %zu, offset %zu): C 0x%02x, oracle 0x%02x",
                     what, fk_format_name(f), i, i / bb, i % bb, c[i], o[i]);
        }
    }
}

/* Quantizes x (n floats, n a multiple of 256) with oracle/formats.py in
 * formats q4_0 q8_0 q4_k q8_k and compares each with the C quantizer. */
static void compare_with_oracle(const char *what, const float *x, int64_t n)
{
    char dir[] = "/tmp/test_quant.XXXXXX";
    if (!mkdtemp(dir))
        fail_msg("mkdtemp: %s", strerror(errno));
    char in[300];
    snprintf(in, sizeof in, "%s/in.npy", dir);
    struct fk_err e;
    int64_t shape[1] = {n};
    if (fk_npy_write(in, "<f4", 1, shape, x, &e) != 0)
        fail_msg("%s", e.msg);
    static const char script[] =
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import numpy as np, formats\n"
        "x = np.load(sys.argv[2])\n"
        "for f in sys.argv[4:]:\n"
        "    np.save('%s/out-%s.npy' % (sys.argv[3], f), formats.quantize(x, f).reshape(-1))\n";
    char *argv[] = {(char *)python(), "-c", (char *)script, "oracle", in, dir, "q4_0", "q8_0", "q4_k", "q8_k", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0)
        fail_msg("cannot start %s: %s (set FALSIFY_PYTHON to a Python 3 with NumPy)", argv[0], strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: oracle/formats.py failed (status %d)", what, status);
    static const enum fk_format fmts[] = {FK_FMT_Q4_0, FK_FMT_Q8_0, FK_FMT_Q4_K, FK_FMT_Q8_K};
    for (int k = 0; k < 4; k++) {
        char out[300];
        snprintf(out, sizeof out, "%s/out-%s.npy", dir, fk_format_name(fmts[k]));
        struct fk_npy a;
        if (fk_npy_read(out, &a, &e) != 0)
            fail_msg("%s", e.msg);
        size_t nb = row_bytes(fmts[k], n);
        assert_int_equal(a.count, (int64_t)nb);
        uint8_t *c = malloc(nb);
        quantize_c(fmts[k], x, n, c);
        assert_same_bytes(what, fmts[k], c, a.data, nb);
        free(c);
        fk_npy_free(&a);
        unlink(out);
    }
    unlink(in);
    rmdir(dir);
}

/* Deterministic uniform in [0, 1) (xorshift64*), for reproducible data. */
static double urand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ull) >> 11) * 0x1p-53;
}

/* ------------------------------------------------ 1. oracle gen cases */

static void test_oracle_cases(void **state)
{
    (void)state;
    static const struct fk_shape shapes[] = {{16, 512, 1}, {7, 4096, 1}, {1, 256, 1}};
    static const enum fk_format fmts[] = {FK_FMT_Q4_0, FK_FMT_Q8_0, FK_FMT_Q4_K};
    const unsigned seed = 3;
    struct fk_ctx c;
    memset(&c, 0, sizeof c);
    snprintf(c.python, sizeof c.python, "%s", python());
    snprintf(c.oracle_dir, sizeof c.oracle_dir, "build/oracle");
    snprintf(c.oracle_script, sizeof c.oracle_script, "oracle/gen.py");
    char *specs[9];
    char buf[9][160];
    int ns = 0;
    for (int s = 0; s < 3; s++)
        for (int f = 0; f < 3; f++) {
            if (fk_case_present(c.oracle_dir, FK_OP_GEMV, &shapes[s], seed, fmts[f], FK_FMT_F32))
                continue;
            fk_case_spec(FK_OP_GEMV, &shapes[s], seed, fmts[f], FK_FMT_F32, buf[ns], sizeof buf[ns]);
            specs[ns] = buf[ns];
            ns++;
        }
    struct fk_err e;
    if (fk_oracle_ensure(&c, specs, ns, &e) != 0)
        fail_msg("%s", e.msg);
    for (int s = 0; s < 3; s++)
        for (int f = 0; f < 3; f++) {
            struct fk_case cs;
            if (fk_case_load(&cs, c.oracle_dir, FK_OP_GEMV, &shapes[s], seed, fmts[f], FK_FMT_F32, &e) != 0)
                fail_msg("%s", e.msg);
            size_t rb = row_bytes(fmts[f], shapes[s].cols);
            assert_int_equal(cs.wq.count, (int64_t)(rb * (size_t)shapes[s].rows));
            uint8_t *q = malloc(rb * (size_t)shapes[s].rows);
            for (int64_t r = 0; r < shapes[s].rows; r++)
                quantize_c(fmts[f], (const float *)cs.w.data + r * shapes[s].cols, shapes[s].cols, q + r * rb);
            char what[64];
            snprintf(what, sizeof what, "case %s", cs.dir);
            assert_same_bytes(what, fmts[f], q, cs.wq.data, rb * (size_t)shapes[s].rows);
            free(q);
            fk_case_free(&cs);
        }
}

/* --------------------------------------- 2. boundary data vs the oracle */

enum { NB = 2048 };   /* 8 Q4_K blocks, 64 Q4_0 / Q8_0 blocks */

/* Q4_0 truncation boundaries: blocks whose max is -8*d for scales d whose
 * reciprocal is inexact, elements at and a few ulps around (k + 0.5) * d,
 * where x * id + 8.5 is within rounding of an integer. */
static void fill_q4_0_ties(float *x)
{
    static const float ds[] = {1.0f, 3.0f, 0.1f, 7.0f, 1.0f / 3.0f, 0.3f, 5.0f, 11.0f, 0.7f, 13.0f, 1e-3f, 6.0f};
    int nd = (int)(sizeof ds / sizeof ds[0]);
    for (int b = 0; b < NB / 32; b++) {
        float d = ds[b % nd] * (b & 1 ? -1.0f : 1.0f);
        float *xb = x + 32 * b;
        xb[0] = -8.0f * d;                  /* max |v|: d = max / -8 */
        for (int j = 1; j < 32; j++) {
            int k = (j % 16) - 8;           /* -8..7 */
            float t = (float)((k + 0.5) * (double)d);
            int nudge = (b / nd) % 5 - 2;   /* -2..2 ulps */
            for (int u = 0; u < abs(nudge); u++)
                t = nextafterf(t, nudge > 0 ? INFINITY : -INFINITY);
            if (fabsf(t) >= fabsf(xb[0]))
                t = 0.5f * t;
            xb[j] = t;
        }
    }
}

/* Q8_0 .5 ties: amax = 127 * d, elements (k + 0.5) * d and ulps around. */
static void fill_q8_0_ties(float *x)
{
    static const float ds[] = {1.0f, 0.5f, 3.0f, 0.1f, 1.0f / 7.0f, 2.0f / 127.0f, 1e-4f};
    int nd = (int)(sizeof ds / sizeof ds[0]);
    for (int b = 0; b < NB / 32; b++) {
        float d = ds[b % nd];
        float *xb = x + 32 * b;
        xb[0] = 127.0f * d * (b & 2 ? -1.0f : 1.0f);
        for (int j = 1; j < 32; j++) {
            int k = (j * 9) % 253 - 126;    /* -126..126 spread */
            float t = (float)((k + 0.5) * (double)d);
            int nudge = (b / nd) % 3 - 1;
            if (nudge)
                t = nextafterf(t, nudge > 0 ? INFINITY : -INFINITY);
            if (fabsf(t) > fabsf(xb[0]))
                t = xb[0];
            xb[j] = t;
        }
    }
}

/* Mixed hard blocks: zeros (+0 and -0), constants, all positive (Q4_K min
 * clamps to 0), all negative, normal data with one outlier, 1e30 beside
 * 1e-30 (fp16 scale overflows to inf), tiny values (subnormal fp16 scales),
 * f32 subnormals, negative-max ties (-5 and 5: first wins). */
static void fill_hard(float *x)
{
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int b = 0; b < NB / 32; b++) {
        float *xb = x + 32 * b;
        int kind = b % 12;
        for (int j = 0; j < 32; j++) {
            double u = urand(&s) * 2 - 1;
            float v;
            switch (kind) {
            case 0: v = (j & 1) ? -0.0f : 0.0f; break;
            case 1: v = 0.25f; break;
            case 2: v = (float)(fabs(u) + 0.5); break;
            case 3: v = (float)(-fabs(u) - 0.1); break;
            case 4: v = (float)u * (j == 17 ? 100.0f : 1.0f); break;
            case 5: v = j == 3 ? 1e30f : j == 9 ? -1e30f : (float)(u * 1e-30); break;
            case 6: v = (float)(u * 1e-5); break;                     /* d ~ 1e-6: fp16 subnormal */
            case 7: v = (float)(u * 3e-8); break;                     /* d below fp16 range */
            case 8: v = (float)(u * 1e-39); break;                    /* f32 subnormal inputs */
            case 9: v = j == 4 ? -5.0f : j == 20 ? 5.0f : (float)u; break;
            case 10: v = j == 4 ? 5.0f : j == 20 ? -5.0f : (float)u; break;
            default: v = (float)(u * 7e4); break;                     /* d near fp16 max */
            }
            xb[j] = v;
        }
    }
}

/* Q4_K: random sub-blocks at many scales and offsets, so make_qkx2_quants
 * takes each of its branches (this_min > 0 clamp, no better candidate,
 * 6-bit scale rounding at .5). */
static void fill_q4_k_mix(float *x)
{
    uint64_t s = 12345;
    for (int sb = 0; sb < NB / 32; sb++) {
        double scale = pow(10.0, (double)(sb % 9) - 4.0);
        double off = (sb % 4 == 0) ? 0.0 : (sb % 4 == 1 ? 0.7 : (sb % 4 == 2 ? -0.3 : 2.0));
        for (int j = 0; j < 32; j++) {
            double u = urand(&s);
            double v = sb % 3 == 0 ? (u * 2 - 1) : (sb % 3 == 1 ? u * u : -log(u + 1e-9) - 1);
            x[32 * sb + j] = (float)((v + off) * scale);
        }
    }
}

/* Q8_K (256 per block), one kind per block: nearest_int ties with iscale
 * = 1 (max = -127) and -1 (max = 127), ties and ulps around them under
 * inexact iscales, all-zero (+0 and -0), f32 subnormals whose -127 / max
 * overflows to inf, a first-wins negative max tie, 1e30 beside 1e-30,
 * all-negative data, plain random data. */
enum { NB_Q8_K = 2816 };   /* 11 blocks of 256 */

static void fill_q8_k(float *x)
{
    uint64_t s = 0x51ed27071bb5e1a1ull;
    static const float maxes[] = {3.0f, 0.1f, 1.0f / 7.0f, 1e-3f, 250.0f};
    for (int b = 0; b < NB_Q8_K / 256; b++) {
        float *xb = x + 256 * b;
        for (int j = 0; j < 256; j++) {
            const double u = urand(&s) * 2 - 1;
            const int k = (j * 37) % 254 - 127;   /* -127..126 */
            float v;
            switch (b) {
            case 0: v = j == 0 ? -127.0f : (float)k + 0.5f; break;   /* iscale = 1: exact .5 ties */
            case 1: v = j == 0 ? 127.0f : (float)k + 0.5f; break;    /* iscale = -1 */
            case 2: case 3: case 4: {                                  /* inexact iscale: ties within an ulp */
                const float mx = maxes[(b + j) % 5] * (b == 3 ? -1.0f : 1.0f);
                const float is = -127.0f / mx;
                v = j == 0 ? mx : (float)(((double)k + 0.5) / (double)is);
                const int nudge = j % 3 - 1;
                if (nudge)
                    v = nextafterf(v, nudge > 0 ? INFINITY : -INFINITY);
                if (fabsf(v) > fabsf(mx))
                    v = 0.5f * v;
                break;
            }
            case 5: v = (j & 1) ? -0.0f : 0.0f; break;
            case 6: v = (float)(u * 1e-39); break;
            case 7: v = j == 9 ? -5.0f : j == 200 ? 5.0f : (float)u; break;   /* first-wins negative max */
            case 8: v = j == 17 ? 1e30f : (float)(u * 1e-30); break;
            case 9: v = (float)(-fabs(u) - 0.1); break;
            default: v = (float)u; break;
            }
            xb[j] = v;
        }
    }
}

static void test_oracle_q8_k(void **state)
{
    (void)state;
    float *x = calloc(NB_Q8_K, sizeof *x);
    fill_q8_k(x);
    int ties = 0;
    for (int b = 0; b < NB_Q8_K / 256; b++) {
        float amax = 0, mx = 0;
        for (int j = 0; j < 256; j++)
            if (fabsf(x[256 * b + j]) > amax) {
                amax = fabsf(x[256 * b + j]);
                mx = x[256 * b + j];
            }
        if (amax == 0)
            continue;
        const float is = -127.0f / mx;
        for (int j = 0; j < 256; j++) {
            const float p = is * x[256 * b + j];
            ties += isfinite(p) && p - floorf(p) == 0.5f;
        }
    }
    print_message("[          ] q8_k ties: %d exact .5 values of iscale*x\n", ties);
    assert_true(ties > 300);
    compare_with_oracle("q8_k ties and extremes", x, NB_Q8_K);
    free(x);
}

/* Q8_K rules: nearest_int ties go to even; bsums are the sums of each 16
 * stored values; d = 1 / iscale; an all-zero block is all zero bytes; a
 * max whose iscale overflows quantizes to all-zero values. */
static void test_q8_k_rules(void **state)
{
    (void)state;
    float x[256];
    for (int j = 0; j < 256; j++)
        x[j] = (float)((j % 32) - 16) + 0.5f;   /* -15.5 .. 15.5 */
    x[255] = -127.0f;                            /* max = -127: iscale = 1, d = 1 */
    fk_block_q8_k b;
    fk_quantize_row_q8_k_ref(x, &b, 256);
    assert_true(b.d == 1.0f);
    for (int j = 0; j < 255; j++) {
        const float f = floorf(x[j]);
        const int even = ((int)f % 2 == 0) ? (int)f : (int)f + 1;   /* x - f == 0.5: the even neighbour */
        if (b.qs[j] != even)
            fail_msg("q8_k %.1f -> %d, expected %d (ties to even)", (double)x[j], b.qs[j], even);
    }
    assert_int_equal(b.qs[255], -127);
    for (int g = 0; g < 16; g++) {
        int sum = 0;
        for (int l = 0; l < 16; l++)
            sum += b.qs[16 * g + l];
        assert_int_equal(b.bsums[g], sum);
    }
    /* sign of the max: first largest |v| wins; +max gives iscale < 0 */
    memset(x, 0, sizeof x);
    x[10] = 2.0f;
    x[20] = -2.0f;
    x[30] = 1.0f;
    fk_quantize_row_q8_k_ref(x, &b, 256);
    assert_true(b.d < 0);
    assert_int_equal(b.qs[10], -127);
    assert_int_equal(b.qs[20], 127);
    assert_int_equal(b.qs[30], -64);            /* -63.5 -> -64 (even) */
    /* all zero: every byte 0 */
    for (int j = 0; j < 256; j++)
        x[j] = (j & 1) ? -0.0f : 0.0f;
    memset(&b, 0x5a, sizeof b);
    fk_quantize_row_q8_k_ref(x, &b, 256);
    const uint8_t *bytes = (const uint8_t *)&b;
    for (size_t i = 0; i < sizeof b; i++)
        if (bytes[i] != 0)
            fail_msg("q8_k zero block: byte %zu is 0x%02x", i, bytes[i]);
    /* |max| = 1e-39: -127 / max overflows to -inf, every value quantizes to 0 */
    for (int j = 0; j < 256; j++)
        x[j] = 1e-39f * (float)(j % 7 - 3) / 3.0f;
    fk_quantize_row_q8_k_ref(x, &b, 256);
    assert_true(b.d == 0.0f);
    for (int j = 0; j < 256; j++)
        assert_int_equal(b.qs[j], 0);
    float y[256];
    fk_dequantize_row_q8_k(&b, y, 256);
    for (int j = 0; j < 256; j++)
        assert_true(y[j] == 0.0f);
}

static void test_oracle_ties_q4_0(void **state)
{
    (void)state;
    float *x = calloc(NB, sizeof *x);
    fill_q4_0_ties(x);
    /* the data must contain points where a fused x*id + 8.5 would truncate
     * differently: otherwise this test could not tell contraction apart */
    int sensitive = 0;
    for (int b = 0; b < NB / 32; b++) {
        const float d = x[32 * b] / -8.0f, id = 1.0f / d;
        for (int j = 0; j < 32; j++) {
            volatile float p = x[32 * b + j] * id;
            sensitive += (int)(p + 8.5f) != (int)fmaf(x[32 * b + j], id, 8.5f);
        }
    }
    print_message("[          ] q4_0 ties: %d of %d elements truncate differently under FMA\n", sensitive, NB);
    assert_true(sensitive > 0);
    compare_with_oracle("q4_0 ties", x, NB);
    free(x);
}

static void test_oracle_ties_q8_0(void **state)
{
    (void)state;
    float *x = calloc(NB, sizeof *x);
    fill_q8_0_ties(x);
    int ties = 0;
    for (int b = 0; b < NB / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++)
            amax = fmaxf(amax, fabsf(x[32 * b + j]));
        const float id = 1.0f / (amax / 127.0f);
        for (int j = 0; j < 32; j++) {
            float v = x[32 * b + j] * id;
            ties += v != 0 && v - floorf(v) == 0.5f;
        }
    }
    print_message("[          ] q8_0 ties: %d exact .5 values of x*id\n", ties);
    assert_true(ties > 100);
    compare_with_oracle("q8_0 ties", x, NB);
    free(x);
}

static void test_oracle_hard_blocks(void **state)
{
    (void)state;
    float *x = calloc(NB, sizeof *x);
    fill_hard(x);
    compare_with_oracle("hard blocks", x, NB);
    free(x);
}

static void test_oracle_q4_k_mix(void **state)
{
    (void)state;
    float *x = calloc(NB, sizeof *x);
    fill_q4_k_mix(x);
    compare_with_oracle("q4_k mix", x, NB);
    free(x);
}

/* ------------------------------------------------------- 3. properties */

/* Every half: f32 value equals its definition and converts back to itself
 * (NaN: stays NaN of the same sign, quiet bit set). */
static void test_fp16_exhaustive(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = fk_fp16_to_f32((uint16_t)h);
        uint32_t e = (h >> 10) & 31, m = h & 1023;
        double want = e == 0 ? ldexp((double)m, -24) : ldexp(1.0 + m / 1024.0, (int)e - 15);
        if (h & 0x8000)
            want = -want;
        if (e == 31) {
            if (m == 0)
                assert_true(isinf(f) && (signbit(f) != 0) == ((h & 0x8000) != 0));
            else {
                assert_true(isnan(f));
                uint16_t back = fk_f32_to_fp16(f);
                assert_int_equal(back & 0xfe00u, (h & 0x8000u) | 0x7e00u);
            }
            continue;
        }
        if ((double)f != want || (signbit(f) != 0) != ((h & 0x8000) != 0))
            fail_msg("fp16 0x%04x -> %.9g, expected %.9g", h, (double)f, want);
        uint16_t back = fk_f32_to_fp16(f);
        if (back != h)
            fail_msg("fp16 0x%04x -> %.9g -> 0x%04x: round trip broken", h, (double)f, back);
    }
}

/* Halfway between consecutive halves goes to the even one; one f32 ulp
 * either side goes to the nearer one. */
static void test_fp16_rne(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 0x7c00; h++) {
        for (int sign = 0; sign < 2; sign++) {
            uint16_t lo = (uint16_t)(h | (sign ? 0x8000u : 0)), hi = (uint16_t)((h + 1) | (sign ? 0x8000u : 0));
            double a = fk_fp16_to_f32(lo);
            double b = h + 1 == 0x7c00 ? (sign ? -65536.0 : 65536.0) : (double)fk_fp16_to_f32(hi);
            float mid = (float)((a + b) / 2);  /* exact: 12 significant bits */
            assert_true((double)mid == (a + b) / 2);
            uint16_t even = (h & 1) ? hi : lo;
            if (fk_f32_to_fp16(mid) != even)
                fail_msg("fp16(%.9g) = 0x%04x, expected even 0x%04x", (double)mid, fk_f32_to_fp16(mid), even);
            float below = nextafterf(mid, (float)a), above = nextafterf(mid, (float)b);
            assert_int_equal(fk_f32_to_fp16(below), lo);
            assert_int_equal(fk_f32_to_fp16(above), hi);
        }
    }
    /* edges: below half the smallest subnormal -> 0; above 65520 -> inf */
    assert_int_equal(fk_f32_to_fp16(0x1p-25f), 0x0000);
    assert_int_equal(fk_f32_to_fp16(nextafterf(0x1p-25f, 1.0f)), 0x0001);
    assert_int_equal(fk_f32_to_fp16(0x1.8p-24f), 0x0002);
    assert_int_equal(fk_f32_to_fp16(-0x1p-26f), 0x8000);
    assert_int_equal(fk_f32_to_fp16(1e-45f), 0x0000);
    assert_int_equal(fk_f32_to_fp16(65519.996f), 0x7bff);
    assert_int_equal(fk_f32_to_fp16(65520.0f), 0x7c00);
    assert_int_equal(fk_f32_to_fp16(1e30f), 0x7c00);
    assert_int_equal(fk_f32_to_fp16(-INFINITY), 0xfc00);
    assert_true((fk_f32_to_fp16(NAN) & 0x7e00) == 0x7e00);
}

/* Q4_0: x * id + 8.5 truncated: exact halves round up (toward +inf) after
 * the shift: with d = 1 (max = -8), -0.5 -> q 8 (value 0), 0.5 -> q 9. */
static void test_q4_0_tie_rule(void **state)
{
    (void)state;
    float x[32];
    for (int j = 0; j < 32; j++)
        x[j] = (float)((j % 16) - 8) + 0.5f;   /* -7.5 .. 7.5 */
    x[0] = -8.0f;
    fk_block_q4_0 b;
    fk_quantize_row_q4_0_ref(x, &b, 32);
    assert_int_equal(b.d, fk_f32_to_fp16(1.0f));
    for (int j = 0; j < 32; j++) {
        int q = j < 16 ? b.qs[j] & 15 : b.qs[j - 16] >> 4;
        int want = j == 0 ? 0 : (int)floorf(x[j] + 8.5f);   /* half up */
        want = want > 15 ? 15 : want;
        if (q != want)
            fail_msg("q4_0 element %d (%.2f): q %d, expected %d", j, (double)x[j], q, want);
    }
}

/* Q8_0: roundf ties go away from zero (not to even). */
static void test_q8_0_tie_rule(void **state)
{
    (void)state;
    float x[32];
    for (int j = 0; j < 32; j++)
        x[j] = (float)(j - 16) + 0.5f;          /* -15.5 .. 15.5 */
    x[31] = 127.0f;                             /* d = 1 exactly */
    fk_block_q8_0 b;
    fk_quantize_row_q8_0_ref(x, &b, 32);
    assert_int_equal(b.d, fk_f32_to_fp16(1.0f));
    for (int j = 0; j < 31; j++) {
        int want = x[j] > 0 ? (int)(x[j] + 0.5f) : -(int)(-x[j] + 0.5f);
        if (b.qs[j] != want)
            fail_msg("q8_0 %.1f -> %d, expected %d (half away from zero)", (double)x[j], b.qs[j], want);
    }
    assert_int_equal(b.qs[31], 127);
}

/* All-zero blocks: scale 0 (Q4_0 stores -0, as ggml's 0 / -8), no NaN on
 * the way in or out, every value dequantizes to 0. */
static void test_zero_blocks(void **state)
{
    (void)state;
    static const enum fk_format fmts[] = {FK_FMT_Q4_0, FK_FMT_Q8_0, FK_FMT_Q4_K};
    float x[512], y[512];
    /* the largest of the three encodings of 512 values: Q8_0, 16 blocks of
     * 34 B = 544 B (a 512-byte buffer overflowed by 32 bytes) */
    uint8_t q[512 / FK_Q8_0_BLOCK * FK_Q8_0_BYTES];
    _Static_assert(sizeof q >= 512 / FK_Q4_0_BLOCK * FK_Q4_0_BYTES && sizeof q >= 512 / FK_Q4_K_BLOCK * FK_Q4_K_BYTES,
                   "q holds every format's blocks");
    for (int k = 0; k < 3; k++) {
        for (int j = 0; j < 512; j++)
            x[j] = (j & 1) ? -0.0f : 0.0f;
        quantize_c(fmts[k], x, 512, q);
        uint16_t d;
        memcpy(&d, q, 2);
        assert_int_equal(d & 0x7fff, 0);
        dequantize_c(fmts[k], q, y, 512);
        for (int j = 0; j < 512; j++)
            if (y[j] != 0.0f)
                fail_msg("%s zero block: element %d dequantizes to %g", fk_format_name(fmts[k]), j, (double)y[j]);
    }
    fk_block_q4_0 b;
    fk_quantize_row_q4_0_ref(x, &b, 32);
    for (int j = 0; j < 16; j++)
        assert_int_equal(b.qs[j], 0x88);       /* q = 8: value 0 */
}

/* First largest |v| sets the sign of d: (-5 ... 5) gives d > 0, (5 ... -5)
 * gives d < 0; either way both +-5 are representable (q 0 or 16 -> 15). */
static void test_q4_0_negative_max_tie(void **state)
{
    (void)state;
    float x[32] = {0};
    x[2] = -5.0f;
    x[20] = 5.0f;
    fk_block_q4_0 b;
    fk_quantize_row_q4_0_ref(x, &b, 32);
    assert_int_equal(b.d, fk_f32_to_fp16(0.625f));
    x[2] = 5.0f;
    x[20] = -5.0f;
    fk_quantize_row_q4_0_ref(x, &b, 32);
    assert_int_equal(b.d, fk_f32_to_fp16(-0.625f));
    float y[32];
    fk_dequantize_row_q4_0(&b, y, 32);
    assert_true(y[2] == 5.0f && y[20] == -4.375f);   /* +5 -> q 0 -> 5; -5 -> q 15 (clamped) */
}

/* Huge and tiny ranges.  1e30 in a block: the f32 scale is finite but the
 * fp16 scale overflows to inf, exactly as ggml stores it (format limit).
 * Tiny values: subnormal fp16 scales still dequantize within one step. */
static void test_dynamic_range(void **state)
{
    (void)state;
    float x[32];
    for (int j = 0; j < 32; j++)
        x[j] = 1e-30f * (float)(j - 16);
    x[5] = 1e30f;
    fk_block_q4_0 b4;
    fk_block_q8_0 b8;
    fk_quantize_row_q4_0_ref(x, &b4, 32);
    fk_quantize_row_q8_0_ref(x, &b8, 32);
    assert_int_equal(b4.d, 0xfc00);            /* -1.25e29 -> -inf */
    assert_int_equal(b8.d, 0x7c00);            /* 7.9e27 -> inf */
    assert_int_equal(b8.qs[5], 127);
    assert_int_equal(b8.qs[0], 0);

    /* subnormal fp16 scales: d = 1e-5 / 8 and 1e-5 / 127 < 2^-14 */
    for (int j = 0; j < 32; j++)
        x[j] = 1e-5f * (float)(j - 16) / 16.0f;
    fk_quantize_row_q4_0_ref(x, &b4, 32);
    fk_quantize_row_q8_0_ref(x, &b8, 32);
    assert_true((b4.d & 0x7c00) == 0 && (b4.d & 0x3ff) != 0);
    assert_true((b8.d & 0x7c00) == 0 && (b8.d & 0x3ff) != 0);
    float y4[32], y8[32];
    fk_dequantize_row_q4_0(&b4, y4, 32);
    fk_dequantize_row_q8_0(&b8, y8, 32);
    const float d4 = fabsf(fk_fp16_to_f32(b4.d)), d8 = fabsf(fk_fp16_to_f32(b8.d));
    for (int j = 0; j < 32; j++) {
        /* one step plus the scale's own fp16 rounding (half a subnormal ulp, 2^-25, per level) */
        assert_true(fabsf(y4[j] - x[j]) <= d4 + 8 * 0x1p-25f);
        assert_true(fabsf(y8[j] - x[j]) <= 0.5f * d8 + 127 * 0x1p-25f);
    }

    /* Q4_K over 8 decades: finite scales, every value within its sub-block's step */
    float xk[256], yk[256];
    for (int j = 0; j < 256; j++)
        xk[j] = (float)((j % 32) - 13) * powf(10.0f, (float)(j / 32) - 4.0f);
    fk_block_q4_k bk;
    fk_quantize_row_q4_k_ref(xk, &bk, 256);
    fk_dequantize_row_q4_k(&bk, yk, 256);
    for (int j = 0; j < 256; j++)
        assert_true(isfinite(yk[j]));
}

/* Q4_K layout: get_scale_min inverts the packing for every 6-bit pair, and
 * dequantization reads element 64c+l from the low nibble of qs[32c+l]. */
static void test_q4_k_layout(void **state)
{
    (void)state;
    fk_block_q4_k b;
    memset(&b, 0, sizeof b);
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; j++) {
        sc[j] = (uint8_t)(5 + 7 * j);          /* 5..54: exercises the high bits */
        m[j] = (uint8_t)(63 - 6 * j);
    }
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            b.scales[j] = sc[j];
            b.scales[j + 4] = m[j];
        } else {
            b.scales[j + 4] = (uint8_t)((sc[j] & 15) | ((m[j] & 15) << 4));
            b.scales[j - 4] |= (uint8_t)((sc[j] >> 4) << 6);
            b.scales[j] |= (uint8_t)((m[j] >> 4) << 6);
        }
    }
    for (int j = 0; j < 8; j++) {
        uint8_t s, mm;
        fk_q4_k_get_scale_min(j, b.scales, &s, &mm);
        assert_int_equal(s, sc[j]);
        assert_int_equal(mm, m[j]);
    }
    b.d = fk_f32_to_fp16(1.0f);
    b.dmin = fk_f32_to_fp16(0.0f);
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++)
            b.qs[32 * c + l] = (uint8_t)((l & 15) | ((15 - (l & 15)) << 4));
    float y[256];
    fk_dequantize_row_q4_k(&b, y, 256);
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) {
            assert_true(y[64 * c + l] == (float)(sc[2 * c] * (l & 15)));
            assert_true(y[64 * c + 32 + l] == (float)(sc[2 * c + 1] * (15 - (l & 15))));
        }
}

/* The plugins' own Q8_K activation quantizers (prepare(), SIMD on x86)
 * byte for byte against fk_quantize_row_q8_k_ref on the tie and extreme
 * blocks above plus random rows: the kernels' gate compares outputs within
 * a tolerance, which a quantizer one step off at a tie would pass. */
static void test_prepare_q8_k_exact(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int layout;   /* 0: plain Q8_K blocks, 1: x86 records (qk__prepare) */
    } plugins[] = {
        {"gemv.q4_k_q8_k.scalar", 0},    {"gemv.q4_k_q8_k.neon", 0}, {"gemv.q4_k_q8_k.neondot", 0},
        {"gemv.q4_k_q8_k.avx2", 1},      {"gemv.q4_k_q8_k.avx512vnni", 1}, {"gemv.q4_k_q8_k.avxvnni", 1},
    };
    const char *dir = getenv("FALSIFY_PLUGINS") ? getenv("FALSIFY_PLUGINS") : "build/kernels";
    struct fk_registry reg;
    memset(&reg, 0, sizeof reg);
    struct fk_err e;
    if (fk_registry_scan(&reg, dir, fk_cpu_detect(), &e) != 0)
        fail_msg("%s", e.msg);
    const int64_t n = NB_Q8_K + 256 * 5;
    float *x = calloc((size_t)n, sizeof *x);
    fill_q8_k(x);
    uint64_t s = 77;
    for (int64_t j = NB_Q8_K; j < n; j++)
        x[j] = (float)((urand(&s) * 2 - 1) * pow(10.0, (double)(j / 256 % 5) - 2));
    const size_t want_bytes = (size_t)(n / 256) * QK_XSB_BYTES;
    uint8_t *want = calloc(want_bytes, 1), *got = NULL;
    int tested = 0;
    for (size_t p = 0; p < sizeof plugins / sizeof plugins[0]; p++) {
        const struct fk_entry *en = fk_registry_find(&reg, plugins[p].name);
        if (!en || en->status != FK_RUNNABLE) {
            print_message("[  SKIP    ] %s: %s\n", plugins[p].name, en ? en->why : "not built for this architecture");
            continue;
        }
        const struct fk_kernel *k = en->k;
        const struct fk_shape sh = {1, n, 1};
        size_t bytes = k->prepare_size(&sh);
        if (plugins[p].layout == 0) {
            assert_int_equal(bytes, fk_format_row_bytes(FK_FMT_Q8_K, n));
            fk_quantize_row_q8_k_ref(x, (fk_block_q8_k *)want, n);
        } else {
            assert_int_equal(bytes, want_bytes);
            qk__prepare(x, n, want);
        }
        got = aligned_alloc(64, (bytes + 63) / 64 * 64);
        memset(got, 0xa5, bytes);
        struct fk_args a;
        memset(&a, 0, sizeof a);
        a.shape = sh;
        a.x = x;
        a.scratch = got;
        k->prepare(&a);
        for (size_t i = 0; i < bytes; i++)
            if (got[i] != want[i])
                fail_msg("%s prepare: byte %zu (block %zu) is 0x%02x, reference 0x%02x", k->name, i,
                         i / (plugins[p].layout ? QK_XSB_BYTES : FK_Q8_K_BYTES), got[i], want[i]);
        free(got);
        tested++;
    }
    print_message("[          ] %d Q8_K prepare() quantizers byte-exact\n", tested);
    assert_true(tested >= 1);
    free(want);
    free(x);
    fk_registry_free(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp16_exhaustive),
        cmocka_unit_test(test_fp16_rne),
        cmocka_unit_test(test_q4_0_tie_rule),
        cmocka_unit_test(test_q8_0_tie_rule),
        cmocka_unit_test(test_zero_blocks),
        cmocka_unit_test(test_q4_0_negative_max_tie),
        cmocka_unit_test(test_dynamic_range),
        cmocka_unit_test(test_q4_k_layout),
        cmocka_unit_test(test_oracle_cases),
        cmocka_unit_test(test_oracle_ties_q4_0),
        cmocka_unit_test(test_oracle_ties_q8_0),
        cmocka_unit_test(test_oracle_hard_blocks),
        cmocka_unit_test(test_oracle_q4_k_mix),
        cmocka_unit_test(test_q8_k_rules),
        cmocka_unit_test(test_oracle_q8_k),
        cmocka_unit_test(test_prepare_q8_k_exact),
    };
    return cmocka_run_group_tests_name("GGML formats: C vs oracle, properties", tests, NULL, NULL);
}
