// Max pooling over 2×2 windows at stride 2 without padding (the pools of MiniAlexNet, VGG and AlexNet-shaped nets),
// forward with its arg-max and a dense backward, one copy per instruction set. Eight outputs a vector: a row pair's
// 16 inputs are split into even and odd columns by shuffles.
// Shapes: x, dx [planes, H, W]; y, dy, argmax [planes, H/2, W/2].
#include <stdint.h>
#include "per_isa.h"

typedef float v4 __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/// The windows' maxima, first in row-major order on ties (a, b the top row, c, d the bottom): the top pair's winner,
/// the bottom pair's, then the bottom only if strictly greater — the selections of the naive scan. All selections are
/// by masks (a branch on the comparison mispredicts on half the windows).
#define POOL_SELECT(T, I, a, b, c, d, W, i0, yo, ao, relu, zero, cap)                                  \
    do {                                                                                             \
        const I topB = b > a, bottomD = d > c;                                                       \
        const T top = SELECT(T, I, topB, b, a), bottom = SELECT(T, I, bottomD, d, c);                \
        const I fromBottom = bottom > top;                                                           \
        const T best = SELECT(T, I, fromBottom, bottom, top);                                        \
        STORE(T, yo, relu ? RELU_CAP(best, zero, cap) : best);                                      \
        if (ao) {                                                                                    \
            /* A true comparison is −1, so subtracting it moves the index one column right. */      \
            const I topIndex = i0 - topB, bottomIndex = i0 + (int32_t)W - bottomD;                   \
            I index = SELECT(I, I, fromBottom, bottomIndex, topIndex);                               \
            if (relu) index = SELECT(I, I, (best > zero) & (best < cap), index, (I){0} - 1);         \
            STORE(I, ao, index);                                                                     \
        }                                                                                            \
    } while (0)

/// One output row (OW outputs) from its two input rows r0, r1: eight outputs a vector, four when the row is
/// narrower, the last vector overlapping the one before rather than leaving a scalar tail (MiniAlexNet's rows are 14,
/// 7 and 3 outputs wide).
INLINE void maxpool2x2_row(const float *r0, const float *r1, ptrdiff_t W, ptrdiff_t OW, int32_t base, float *yo,
                           int32_t *ao, const GBReLU *relu) {
    const float cap = relu ? relu->cap : 0;
    if (OW >= 8) {
        const v8 zero = {0}, capv = zero + cap;
        const v8i even = {0, 2, 4, 6, 8, 10, 12, 14};
        for (ptrdiff_t ox = 0;; ox += 8) {
            if (ox + 8 > OW) ox = OW - 8;
            const v16 t = LOAD(v16, r0 + 2 * ox), u = LOAD(v16, r1 + 2 * ox);
            const v8 a = SHUFFLE(t, t, 0, 2, 4, 6, 8, 10, 12, 14), b = SHUFFLE(t, t, 1, 3, 5, 7, 9, 11, 13, 15);
            const v8 c = SHUFFLE(u, u, 0, 2, 4, 6, 8, 10, 12, 14), d = SHUFFLE(u, u, 1, 3, 5, 7, 9, 11, 13, 15);
            const v8i i0 = even + (int32_t)(base + 2 * ox);
            POOL_SELECT(v8, v8i, a, b, c, d, W, i0, yo + ox, ao ? ao + ox : NULL, relu, zero, capv);
            if (ox + 8 == OW) break;
        }
    } else if (OW >= 4) {
        const v4 zero = {0}, capv = zero + cap;
        const v4i even = {0, 2, 4, 6};
        for (ptrdiff_t ox = 0;; ox += 4) {
            if (ox + 4 > OW) ox = OW - 4;
            const v8 t = LOAD(v8, r0 + 2 * ox), u = LOAD(v8, r1 + 2 * ox);
            const v4 a = SHUFFLE(t, t, 0, 2, 4, 6), b = SHUFFLE(t, t, 1, 3, 5, 7);
            const v4 c = SHUFFLE(u, u, 0, 2, 4, 6), d = SHUFFLE(u, u, 1, 3, 5, 7);
            const v4i i0 = even + (int32_t)(base + 2 * ox);
            POOL_SELECT(v4, v4i, a, b, c, d, W, i0, yo + ox, ao ? ao + ox : NULL, relu, zero, capv);
            if (ox + 4 == OW) break;
        }
    } else {
        // Under four outputs (a 7×7 map's 3): scalars, selections by arithmetic so nothing branches on the data.
        for (ptrdiff_t ox = 0; ox < OW; ox++) {
            const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
            const int32_t topB = b > a, bottomD = d > c;
            const float top = topB ? b : a, bottom = bottomD ? d : c;
            const int32_t fromBottom = bottom > top;
            const float best = fromBottom ? bottom : top;
            yo[ox] = relu ? RELU_CAP(best, 0.0f, cap) : best;
            if (ao) {
                const int32_t index = base + (int32_t)(2 * ox) + topB + fromBottom * ((int32_t)W + bottomD - topB);
                const int32_t open = relu ? (best > 0) & (best < cap) : 1;
                ao[ox] = (index + 1) * open - 1;
            }
        }
    }
}

INLINE void maxpool2x2_rows(const float *x, float *y, int32_t *argmax, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W,
                            const GBReLU *relu) {
    const ptrdiff_t OH = H / 2, OW = W / 2;
    for (ptrdiff_t p = 0; p < planes; p++) {
        for (ptrdiff_t oy = 0; oy < OH; oy++) {
            const float *r0 = x + (p * H + 2 * oy) * W;
            const ptrdiff_t out = (p * OH + oy) * OW;
            maxpool2x2_row(r0, r0 + W, W, OW, (int32_t)(2 * oy * W), y + out, argmax ? argmax + out : NULL, relu);
        }
    }
}

/// The arg-max and ReLU tests hoisted out of the loops: inlined with a constant NULL, each variant loses its branches
/// (else clang turns `if (ao) ao[ox] = …` into a masked store through NULL with an empty mask, which the CPU runs as a
/// slow assist: 1.8 ms instead of 0.25 for 2,048 planes of 28×28).
INLINE void maxpool2x2_body(const float *x, float *y, int32_t *argmax, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W,
                            const GBReLU *relu) {
    if (argmax && relu) maxpool2x2_rows(x, y, argmax, planes, H, W, relu);
    else if (argmax) maxpool2x2_rows(x, y, argmax, planes, H, W, NULL);
    else if (relu) maxpool2x2_rows(x, y, NULL, planes, H, W, relu);
    else maxpool2x2_rows(x, y, NULL, planes, H, W, NULL);
}

#define MAXPOOL_PARAMS const float *x, float *y, int32_t *argmax, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W, \
                       const GBReLU *relu
#define MAXPOOL_ARGS x, y, argmax, planes, H, W, relu

GB_PER_ISA(gb_maxpool2x2, maxpool2x2_body, MAXPOOL_PARAMS, MAXPOOL_ARGS)

/// Every input element is in at most one window, so each is written once: dy where it is its window's arg-max, else
/// 0 (also the odd last row and column, in no window) — no zeroing pass, no scattered adds. Per output row, both input
/// rows: eight outputs (16 inputs) a vector, four when narrower (at least four), overlapping at the end as in the
/// forward.
INLINE void maxpool2x2_backward_row(const float *d, const int32_t *a, float *row, ptrdiff_t OW, int32_t rowStart) {
    if (OW >= 8) {
        const v16i lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        for (ptrdiff_t ox = 0;; ox += 8) {
            if (ox + 8 > OW) ox = OW - 8;
            const v8 g = LOAD(v8, d + ox);
            const v8i w = LOAD(v8i, a + ox);
            const v16 g2 = SHUFFLE(g, g, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
            const v16i w2 = SHUFFLE(w, w, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
            const v16i position = lanes + (int32_t)(rowStart + 2 * ox);
            STORE(v16, row + 2 * ox, SELECT(v16, v16i, w2 == position, g2, (v16){0}));
            if (ox + 8 == OW) break;
        }
    } else if (OW >= 4) {
        const v8i lanes = {0, 1, 2, 3, 4, 5, 6, 7};
        for (ptrdiff_t ox = 0;; ox += 4) {
            if (ox + 4 > OW) ox = OW - 4;
            const v4 g = LOAD(v4, d + ox);
            const v4i w = LOAD(v4i, a + ox);
            const v8 g2 = SHUFFLE(g, g, 0, 0, 1, 1, 2, 2, 3, 3);
            const v8i w2 = SHUFFLE(w, w, 0, 0, 1, 1, 2, 2, 3, 3);
            const v8i position = lanes + (int32_t)(rowStart + 2 * ox);
            STORE(v8, row + 2 * ox, SELECT(v8, v8i, w2 == position, g2, (v8){0}));
            if (ox + 4 == OW) break;
        }
    }
}

INLINE void maxpool2x2_backward_body(const float *dy, const int32_t *argmax, float *dx, ptrdiff_t planes, ptrdiff_t H,
                                     ptrdiff_t W) {
    const ptrdiff_t OH = H / 2, OW = W / 2;
    if (OW < 4) {
        // Rows too short for vectors (a 7×7 map's): zero the planes, then each gradient to its arg-max. An arg-max of
        // −1 adds 0 to the plane's first element instead of branching.
        memset(dx, 0, (size_t)(planes * H * W) * sizeof(float));
        for (ptrdiff_t p = 0; p < planes; p++) {
            float *plane = dx + p * H * W;
            const float *d = dy + p * OH * OW;
            const int32_t *a = argmax + p * OH * OW;
            for (ptrdiff_t i = 0; i < OH * OW; i++) plane[a[i] < 0 ? 0 : a[i]] += a[i] < 0 ? 0 : d[i];
        }
        return;
    }
    for (ptrdiff_t p = 0; p < planes; p++) {
        float *plane = dx + p * H * W;
        for (ptrdiff_t oy = 0; oy < OH; oy++) {
            const float *d = dy + (p * OH + oy) * OW;
            const int32_t *a = argmax + (p * OH + oy) * OW;
            for (ptrdiff_t iy = 2 * oy; iy < 2 * oy + 2; iy++) {
                float *row = plane + iy * W;
                maxpool2x2_backward_row(d, a, row, OW, (int32_t)(iy * W));
                if (W % 2) row[W - 1] = 0;
            }
        }
        if (H % 2) memset(plane + (H - 1) * W, 0, (size_t)W * sizeof(float));
    }
}

#define MAXPOOL_BACKWARD_PARAMS const float *dy, const int32_t *argmax, float *dx, ptrdiff_t planes, ptrdiff_t H, \
                                ptrdiff_t W
#define MAXPOOL_BACKWARD_ARGS dy, argmax, dx, planes, H, W

GB_PER_ISA(gb_maxpool2x2_backward, maxpool2x2_backward_body, MAXPOOL_BACKWARD_PARAMS, MAXPOOL_BACKWARD_ARGS)
