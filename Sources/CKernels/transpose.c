// Matrix transpose (see Transpose.swift), one copy per instruction set: 8×8 blocks through eight vector loads,
// three rounds of shuffles and eight vector stores, instead of one strided scalar load per element.
// Shapes: src [rows, cols] (row stride cols) → dst [cols, rows], dst[j][i] = src[i][j] + rowBias[i].
#include "per_isa.h"

/// dst[j0 + k][i0 …] = src[i0 …][j0 + k] + bias, for the 8×8 block at (i0, j0).
INLINE void block8(const float *src, ptrdiff_t cols, float *dst, ptrdiff_t rows, v8 bias) {
    v8 r[8], t[8], u[8];
    for (int k = 0; k < 8; k++) r[k] = LOAD(v8, src + k * cols);
    for (int k = 0; k < 8; k += 2) {   // pairs of rows interleaved
        t[k] = SHUFFLE(r[k], r[k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[k + 1] = SHUFFLE(r[k], r[k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int k = 0; k < 8; k += 4) {   // quadruples: u[k + c] holds columns c and c + 4 of four rows
        u[k] = SHUFFLE(t[k], t[k + 2], 0, 1, 8, 9, 4, 5, 12, 13);
        u[k + 1] = SHUFFLE(t[k], t[k + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        u[k + 2] = SHUFFLE(t[k + 1], t[k + 3], 0, 1, 8, 9, 4, 5, 12, 13);
        u[k + 3] = SHUFFLE(t[k + 1], t[k + 3], 2, 3, 10, 11, 6, 7, 14, 15);
    }
    for (int c = 0; c < 4; c++) {      // halves of the two quadruples: columns c and c + 4 of all eight rows
        STORE(v8, dst + c * rows, SHUFFLE(u[c], u[c + 4], 0, 1, 2, 3, 8, 9, 10, 11) + bias);
        STORE(v8, dst + (c + 4) * rows, SHUFFLE(u[c], u[c + 4], 4, 5, 6, 7, 12, 13, 14, 15) + bias);
    }
}

/// Columns j0 ..< j1 of src into rows j0 ..< j1 of dst: whole 8×8 blocks vectorised, the edges one element at a time.
INLINE void band_body(const float *src, ptrdiff_t rows, ptrdiff_t cols, float *dst, const float *rowBias,
                      ptrdiff_t j0, ptrdiff_t j1) {
    const ptrdiff_t fullRows = rows / 8 * 8, fullEnd = j0 + (j1 - j0) / 8 * 8;
    for (ptrdiff_t i0 = 0; i0 < fullRows; i0 += 8) {
        const v8 bias = rowBias ? LOAD(v8, rowBias + i0) : (v8){0};
        for (ptrdiff_t j = j0; j < fullEnd; j += 8) block8(src + i0 * cols + j, cols, dst + j * rows + i0, rows, bias);
    }
    for (ptrdiff_t j = j0; j < j1; j++) {
        const ptrdiff_t from = j < fullEnd ? fullRows : 0;   // rows the blocks did not cover
        for (ptrdiff_t i = from; i < rows; i++) dst[j * rows + i] = src[i * cols + j] + (rowBias ? rowBias[i] : 0);
    }
}

#define BAND_PARAMS const float *src, ptrdiff_t rows, ptrdiff_t cols, float *dst, const float *rowBias, ptrdiff_t j0, ptrdiff_t j1
#define BAND_ARGS src, rows, cols, dst, rowBias, j0, j1

GB_PER_ISA(gb_transpose_band, band_body, BAND_PARAMS, BAND_ARGS)
