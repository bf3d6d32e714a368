/* gemv.w8a8.mutant-nozp — DELIBERATELY WRONG: the oneDNN int8 peer
 * (kernels/peer_onednn.c) with the zero point of the u8 activations left
 * out of the dequantization: y = acc * s * d[r] instead of
 * (acc - zp * wsum[r]) * s * d[r], the classic asymmetric-quantization
 * slip.  The error is zp * s * d[r] * wsum[r] per output, about 10^5..10^7
 * gauge units where the correct peer stays under 1.  Everything else
 * (quantizers, tiles, oneDNN calls) is the peer's own code. */
#define ONEDNN_NO_PLUGIN
#pragma GCC diagnostic ignored "-Wunused-function"  /* the f32 half of the peer goes unused */
#define ONEDNN_ZP_TERM(zp, wsum_r) ((void)(zp), (void)(wsum_r), (int64_t)0)  /* the bug */
#include "../peer_onednn.c"

static const struct fk_kernel gemv_w8a8_mutant_nozp = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel), .name = "gemv.w8a8.mutant-nozp", .isa = "onednn",
    .op = FK_OP_GEMV, .weights = FK_FMT_S8_ROW, .acts = FK_FMT_U8_ASYM,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512VNNI,
    .flags = FK_KERNEL_MUTANT | FK_KERNEL_REPACKED, .cols_multiple = 1, .row_block = ONEDNN_TILE,
    .packed_size = onednn__int8_packed_size, .pack = onednn__int8_pack, .to_ggml = onednn__to_ggml,
    .prepare_size = onednn__int8_prepare_size, .prepare = onednn__int8_prepare, .run = onednn__run,
    .cost = onednn__int8_cost, .release = onednn__release,
};

FK_PLUGIN(&gemv_w8a8_mutant_nozp);
