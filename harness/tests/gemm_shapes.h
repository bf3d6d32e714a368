/* Edge shapes for FK_OP_GEMM plugins, rows x cols x batch: batch 1 (a GEMV
 * through the GEMM path), 3 and 17 (not a multiple of any register tile:
 * 6, 12), 64; rows 1, 5, 33 (one row, less than one 16/32-row panel, one
 * past two panels); cols 32 (one Q4_0/Q8_0 block), 96 (three blocks: odd
 * block count), 2048 (long reduction).  Every cols is a multiple of 32, so
 * quantized GEMMs run all of them. */
#ifndef FK_TEST_GEMM_SHAPES_H
#define FK_TEST_GEMM_SHAPES_H

#include "../../kernels/kernel.h"

static const struct fk_shape gemm_edge_shapes[] = {
    {1, 32, 1},   {5, 32, 1},   {33, 32, 1},   {1, 96, 1},   {5, 96, 1},   {33, 96, 1},
    {1, 2048, 1}, {5, 2048, 1}, {33, 2048, 1}, {1, 32, 3},   {5, 32, 3},   {33, 32, 3},
    {1, 96, 3},   {5, 96, 3},   {33, 96, 3},   {1, 2048, 3}, {5, 2048, 3}, {33, 2048, 3},
    {1, 32, 17},  {5, 32, 17},  {33, 32, 17},  {1, 96, 17},  {5, 96, 17},  {33, 96, 17},
    {1, 2048, 17}, {5, 2048, 17}, {33, 2048, 17}, {1, 32, 64}, {5, 32, 64}, {33, 32, 64},
    {1, 96, 64},  {5, 96, 64},  {33, 96, 64},  {1, 2048, 64}, {5, 2048, 64}, {33, 2048, 64},
};

#endif
