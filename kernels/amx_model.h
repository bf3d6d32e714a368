/* A software model of the Intel AMX tile unit (AMX-TILE + AMX-INT8), written
 * from the instruction definitions in the Intel SDM vol. 2 (LDTILECFG,
 * TILELOADD, TILESTORED, TILEZERO, TILERELEASE, TDPB[SU][SU]D), so a plugin
 * written against the tile instructions can be run, and its data layout
 * (the {K/4, N, 4} VNNI packing of B) checked, on any machine.
 * Static inline only, portable C11 (no x86 intrinsics): builds for aarch64.
 *
 * Modelled: palette 1 = 8 tiles tmm0..tmm7, each at most 16 rows x 64 bytes
 * (1 KiB).  Not modelled: palette 0 apart from "init state", start_row
 * restarts, XFD (#NM), the #UD of a wrong VEX encoding, memory faults.
 *
 * Faults: where the hardware raises #GP (LDTILECFG) or #UD (tile use), the
 * model stores a fault code in the state and leaves tile state and memory
 * unchanged, as a faulting instruction does.  With st->trap set (plugin
 * builds) it then executes __builtin_trap(), so the harness sandbox reports
 * the plugin as crashed exactly as a real #UD would; tests clear trap and
 * inspect st->fault instead.  The first fault is kept. */
#ifndef FK_AMX_MODEL_H
#define FK_AMX_MODEL_H

#include <stdint.h>
#include <string.h>

#define FK_AMX_TILES 8          /* palette 1: tile names tmm0..tmm7 */
#define FK_AMX_MAX_ROWS 16      /* palette 1: max rows per tile */
#define FK_AMX_MAX_COLSB 64     /* palette 1: max bytes per row */

/* The 64-byte LDTILECFG memory operand (SDM table "Memory Area Layout").
 * Bytes 2-15, colsb[8..15] (32-47) and rows[8..15] (56-63) are reserved
 * under palette 1 and must be zero. */
struct fk_amx_tilecfg {
    uint8_t palette_id;   /* 0: init state (release), 1: 8 x 16 x 64 B */
    uint8_t start_row;    /* restart row of an interrupted load/store: 0 */
    uint8_t reserved[14];
    uint16_t colsb[16];   /* bytes per row of tile n, <= 64 */
    uint8_t rows[16];     /* rows of tile n, <= 16 */
};
_Static_assert(sizeof(struct fk_amx_tilecfg) == 64, "LDTILECFG operand is 64 bytes");

enum fk_amx_fault {
    FK_AMX_OK = 0,
    FK_AMX_FAULT_PALETTE,      /* #GP: palette_id is neither 0 nor 1 */
    FK_AMX_FAULT_RESERVED,     /* #GP: a reserved byte of the config is non-zero */
    FK_AMX_FAULT_ROWS,         /* #GP: a tile's rows > 16 */
    FK_AMX_FAULT_COLSB,        /* #GP: a tile's colsb > 64 */
    FK_AMX_FAULT_HALF_CONFIG,  /* #GP: a tile's rows or colsb is 0 but not both */
    FK_AMX_FAULT_UNCONFIGURED, /* #UD: tile instruction while TILES_CONFIGURED == 0 */
    FK_AMX_FAULT_TILE_INVALID, /* #UD: tile name >= 8, or a tile configured with 0 rows */
    FK_AMX_FAULT_SAME_TILE,    /* #UD: two operands of a dot product are the same tile */
    FK_AMX_FAULT_COLSB_ALIGN,  /* #UD: a dot-product operand's colsb is not a multiple of 4 */
    FK_AMX_FAULT_SHAPE_M,      /* #UD: C.rows != A.rows */
    FK_AMX_FAULT_SHAPE_K,      /* #UD: A.colsb / 4 != B.rows */
    FK_AMX_FAULT_SHAPE_N,      /* #UD: C.colsb != B.colsb */
    FK_AMX_FAULT_COUNT
};

static inline const char *fk_amx_fault_name(enum fk_amx_fault f)
{
    static const char *const names[FK_AMX_FAULT_COUNT] = {
        "ok", "#GP palette", "#GP reserved", "#GP rows > 16", "#GP colsb > 64", "#GP rows/colsb half zero",
        "#UD tiles not configured", "#UD invalid tile", "#UD same tile twice", "#UD colsb % 4",
        "#UD C.rows != A.rows (M)", "#UD A.colsb/4 != B.rows (K)", "#UD C.colsb != B.colsb (N)",
    };
    return (unsigned)f < FK_AMX_FAULT_COUNT ? names[f] : "?";
}

struct fk_amx_state {
    uint8_t tile[FK_AMX_TILES][FK_AMX_MAX_ROWS][FK_AMX_MAX_COLSB];  /* tile data */
    uint16_t colsb[FK_AMX_TILES];
    uint8_t rows[FK_AMX_TILES];
    uint8_t palette_id;
    int configured;          /* TILES_CONFIGURED */
    int trap;                /* 1: __builtin_trap() on a fault (plugin builds) */
    enum fk_amx_fault fault; /* first fault, FK_AMX_OK if none */
};

/* Init state (as after TILERELEASE): not configured, all data zero. */
static inline void fk_amx_init(struct fk_amx_state *st, int trap)
{
    memset(st, 0, sizeof *st);
    st->trap = trap;
}

/* Records fault f; returns 1 so callers can `if (...) return fk_amx__fault()`. */
static inline int fk_amx__fault(struct fk_amx_state *st, enum fk_amx_fault f)
{
    if (st->fault == FK_AMX_OK)
        st->fault = f;
    if (st->trap)
        __builtin_trap();
    return 1;
}

/* A tile operand t of a load/store/zero/dot product: #UD unless configured,
 * t names a palette-1 tile and that tile was configured (rows, colsb > 0). */
static inline int fk_amx__bad_tile(struct fk_amx_state *st, int t)
{
    if (!st->configured)
        return fk_amx__fault(st, FK_AMX_FAULT_UNCONFIGURED);
    if (t < 0 || t >= FK_AMX_TILES || st->rows[t] == 0)
        return fk_amx__fault(st, FK_AMX_FAULT_TILE_INVALID);
    return 0;
}

/* TILERELEASE: back to the init state. */
static inline void fk_amx_tilerelease(struct fk_amx_state *st)
{
    memset(st->tile, 0, sizeof st->tile);
    memset(st->colsb, 0, sizeof st->colsb);
    memset(st->rows, 0, sizeof st->rows);
    st->palette_id = 0;
    st->configured = 0;
}

/* LDTILECFG m512.  Palette 0 releases the tiles; palette 1 is validated in
 * full before anything changes (#GP leaves the old configuration), then the
 * configuration is taken and all tile data zeroed. */
static inline void fk_amx_ldtilecfg(struct fk_amx_state *st, const void *mem)
{
    uint8_t b[64];
    memcpy(b, mem, 64);
    if (b[0] == 0) {
        fk_amx_tilerelease(st);
        return;
    }
    if (b[0] != 1) {
        fk_amx__fault(st, FK_AMX_FAULT_PALETTE);
        return;
    }
    uint16_t colsb[FK_AMX_TILES];
    for (int i = 2; i < 16; i++)
        if (b[i]) {
            fk_amx__fault(st, FK_AMX_FAULT_RESERVED);
            return;
        }
    for (int i = 32; i < 48; i++)
        if (b[i]) {
            fk_amx__fault(st, FK_AMX_FAULT_RESERVED);
            return;
        }
    for (int i = 56; i < 64; i++)
        if (b[i]) {
            fk_amx__fault(st, FK_AMX_FAULT_RESERVED);
            return;
        }
    for (int n = 0; n < FK_AMX_TILES; n++) {
        colsb[n] = (uint16_t)(b[16 + 2 * n] | b[17 + 2 * n] << 8);  /* little-endian word */
        if (colsb[n] > FK_AMX_MAX_COLSB) {
            fk_amx__fault(st, FK_AMX_FAULT_COLSB);
            return;
        }
        if (b[48 + n] > FK_AMX_MAX_ROWS) {
            fk_amx__fault(st, FK_AMX_FAULT_ROWS);
            return;
        }
        if ((colsb[n] == 0) != (b[48 + n] == 0)) {
            fk_amx__fault(st, FK_AMX_FAULT_HALF_CONFIG);
            return;
        }
    }
    memset(st->tile, 0, sizeof st->tile);
    for (int n = 0; n < FK_AMX_TILES; n++) {
        st->colsb[n] = colsb[n];
        st->rows[n] = b[48 + n];
    }
    st->palette_id = 1;
    st->configured = 1;
}

/* TILELOADD tmm[t], [base + r * stride]: rows[t] rows of colsb[t] bytes;
 * bytes past colsb and rows past rows[t] become zero.  stride in bytes. */
static inline void fk_amx_tileloadd(struct fk_amx_state *st, int t, const void *base, int64_t stride)
{
    if (fk_amx__bad_tile(st, t))
        return;
    memset(st->tile[t], 0, sizeof st->tile[t]);
    for (int r = 0; r < st->rows[t]; r++)
        memcpy(st->tile[t][r], (const uint8_t *)base + (int64_t)r * stride, st->colsb[t]);
}

/* TILESTORED [base + r * stride], tmm[t]: rows[t] rows of colsb[t] bytes. */
static inline void fk_amx_tilestored(struct fk_amx_state *st, int t, void *base, int64_t stride)
{
    if (fk_amx__bad_tile(st, t))
        return;
    for (int r = 0; r < st->rows[t]; r++)
        memcpy((uint8_t *)base + (int64_t)r * stride, st->tile[t][r], st->colsb[t]);
}

/* TILEZERO tmm[t]. */
static inline void fk_amx_tilezero(struct fk_amx_state *st, int t)
{
    if (fk_amx__bad_tile(st, t))
        return;
    memset(st->tile[t], 0, sizeof st->tile[t]);
}

/* TDPB{a}{b}D tmm[c], tmm[a], tmm[b] with C (M x N dwords), A (M x K/4
 * dwords), B (K/4 x N dwords), each dword four bytes:
 *   C[m][n] += sum_{k < A.colsb/4} sum_{i < 4} A[m][4k + i] * B[k][4n + i]
 * A's bytes signed iff a_signed, B's iff b_signed; the dword sum wraps
 * modulo 2^32 (no saturation).  Bytes of C past colsb and rows past C.rows
 * are zeroed.  #UD on: unconfigured or invalid tiles, two equal operands,
 * any colsb not a multiple of 4, C.rows != A.rows, A.colsb/4 != B.rows,
 * C.colsb != B.colsb. */
static inline void fk_amx__tdpb(struct fk_amx_state *st, int c, int a, int b, int a_signed, int b_signed)
{
    if (fk_amx__bad_tile(st, c) || fk_amx__bad_tile(st, a) || fk_amx__bad_tile(st, b))
        return;
    if (c == a || c == b || a == b) {
        fk_amx__fault(st, FK_AMX_FAULT_SAME_TILE);
        return;
    }
    if (st->colsb[c] % 4 || st->colsb[a] % 4 || st->colsb[b] % 4) {
        fk_amx__fault(st, FK_AMX_FAULT_COLSB_ALIGN);
        return;
    }
    if (st->rows[c] != st->rows[a]) {
        fk_amx__fault(st, FK_AMX_FAULT_SHAPE_M);
        return;
    }
    if (st->colsb[a] / 4 != st->rows[b]) {
        fk_amx__fault(st, FK_AMX_FAULT_SHAPE_K);
        return;
    }
    if (st->colsb[c] != st->colsb[b]) {
        fk_amx__fault(st, FK_AMX_FAULT_SHAPE_N);
        return;
    }
    const int M = st->rows[c], N = st->colsb[c] / 4, K4 = st->colsb[a] / 4;
    for (int m = 0; m < M; m++) {
        uint8_t *crow = st->tile[c][m];
        for (int n = 0; n < N; n++) {
            uint32_t acc;
            memcpy(&acc, crow + 4 * n, 4);
            for (int k = 0; k < K4; k++)
                for (int i = 0; i < 4; i++) {
                    const uint8_t ab = st->tile[a][m][4 * k + i], bb = st->tile[b][k][4 * n + i];
                    const int32_t av = a_signed ? (int32_t)(int8_t)ab : (int32_t)ab;
                    const int32_t bv = b_signed ? (int32_t)(int8_t)bb : (int32_t)bb;
                    acc += (uint32_t)(av * bv);  /* |av * bv| <= 2^16: exact, then mod 2^32 */
                }
            memcpy(crow + 4 * n, &acc, 4);
        }
        memset(crow + st->colsb[c], 0, FK_AMX_MAX_COLSB - st->colsb[c]);
    }
    for (int m = M; m < FK_AMX_MAX_ROWS; m++)
        memset(st->tile[c][m], 0, FK_AMX_MAX_COLSB);
}

/* signed A x signed B */
static inline void fk_amx_tdpbssd(struct fk_amx_state *st, int c, int a, int b) { fk_amx__tdpb(st, c, a, b, 1, 1); }
/* signed A x unsigned B */
static inline void fk_amx_tdpbsud(struct fk_amx_state *st, int c, int a, int b) { fk_amx__tdpb(st, c, a, b, 1, 0); }
/* unsigned A x signed B */
static inline void fk_amx_tdpbusd(struct fk_amx_state *st, int c, int a, int b) { fk_amx__tdpb(st, c, a, b, 0, 1); }
/* unsigned A x unsigned B */
static inline void fk_amx_tdpbuud(struct fk_amx_state *st, int c, int a, int b) { fk_amx__tdpb(st, c, a, b, 0, 0); }

#endif /* FK_AMX_MODEL_H */
