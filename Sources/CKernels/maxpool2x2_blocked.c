// Max pooling 2×2 at stride 2 without padding on oneDNN's channel-blocked layout: the input as a convolution's kernels
// wrote it (B channels side by side at every pixel), so neither direction needs a reorder between the convolution and
// the pool — forward writes the pooled output plain, backward writes the gradient blocked for the convolution's backward.
// One vector is B channels of one pixel; windows, ties, the fused ReLU and the arg-max are those of maxpool2x2.c.
// Shapes: x, dx [N, C/B, H, W, B]; y, dy [N, C, H/2, W/2]; argmax [N, C/B, H/2, W/2, B] (index h·W + w in the
// channel's plane, or −1). B is 8 or 16 and divides C.
#include <stdint.h>
#include <stdlib.h>
#include "per_isa.h"

/// One (image, channel block): x block [H, W, B] into the pooled block [OH, OW, B] (`pooled`) and the arg-max block
/// [OH, OW, B]. argmax and relu are constants where inlined, so each variant loses its branches.
#define BLOCKED_FORWARD(B, T, I)                                                                                      \
    INLINE void maxpool2x2_blocked_block##B(const float *x, float *pooled, int32_t *argmax, ptrdiff_t H,             \
                                            ptrdiff_t W, const GBReLU *relu) {                                       \
        const ptrdiff_t OH = H / 2, OW = W / 2;                                                                      \
        const T zero = {0}, cap = zero + (relu ? relu->cap : 0);                                                     \
        for (ptrdiff_t oy = 0; oy < OH; oy++) {                                                                       \
            for (ptrdiff_t ox = 0; ox < OW; ox++) {                                                                   \
                const float *p = x + (2 * oy * W + 2 * ox) * B;                                                      \
                const T a = LOAD(T, p), b = LOAD(T, p + B), c = LOAD(T, p + W * B), d = LOAD(T, p + W * B + B);      \
                const I topB = b > a, bottomD = d > c;                                                               \
                const T top = SELECT(T, I, topB, b, a), bottom = SELECT(T, I, bottomD, d, c);                        \
                const I fromBottom = bottom > top;                                                                   \
                const T best = SELECT(T, I, fromBottom, bottom, top);                                                \
                STORE(T, pooled + (oy * OW + ox) * B, relu ? RELU_CAP(best, zero, cap) : best);                      \
                if (argmax) {                                                                                         \
                    /* A true comparison is −1, so subtracting it moves the index one column right. */              \
                    const I i0 = (I){0} + (int32_t)(2 * oy * W + 2 * ox);                                            \
                    I index = SELECT(I, I, fromBottom, i0 + (int32_t)W - bottomD, i0 - topB);                        \
                    if (relu) index = SELECT(I, I, (best > zero) & (best < cap), index, (I){0} - 1);                 \
                    STORE(I, argmax + (oy * OW + ox) * B, index);                                                    \
                }                                                                                                     \
            }                                                                                                         \
        }                                                                                                             \
    }

BLOCKED_FORWARD(8, v8, v8i)
BLOCKED_FORWARD(16, v16, v16i)

/// Per (image, channel block): the pooled block into `pooled`, then transposed into the block's B planes of y (one
/// vector store per pixel and a blocked transpose, instead of B scattered scalar stores per pixel).
INLINE void maxpool2x2_blocked_images(const float *x, float *y, int32_t *argmax, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H,
                                      ptrdiff_t W, ptrdiff_t block, const GBReLU *relu, float *pooled) {
    const ptrdiff_t plane = (H / 2) * (W / 2), blocks = N * (C / block);
    for (ptrdiff_t k = 0; k < blocks; k++) {   // k = n·(C/B) + channel block, so y's planes start at k·B
        const float *xb = x + k * H * W * block;
        int32_t *ab = argmax ? argmax + k * plane * block : NULL;
        if (block == 16) maxpool2x2_blocked_block16(xb, pooled, ab, H, W, relu);
        else maxpool2x2_blocked_block8(xb, pooled, ab, H, W, relu);
        gb_transpose_band(pooled, plane, block, y + k * block * plane, NULL, 0, block);
    }
}

INLINE void maxpool2x2_blocked_body(const float *x, float *y, int32_t *argmax, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H,
                                    ptrdiff_t W, ptrdiff_t block, const GBReLU *relu) {
    float *pooled = malloc((size_t)((H / 2) * (W / 2) * block) * sizeof(float) + 64);
    if (argmax && relu) maxpool2x2_blocked_images(x, y, argmax, N, C, H, W, block, relu, pooled);
    else if (argmax) maxpool2x2_blocked_images(x, y, argmax, N, C, H, W, block, NULL, pooled);
    else if (relu) maxpool2x2_blocked_images(x, y, NULL, N, C, H, W, block, relu, pooled);
    else maxpool2x2_blocked_images(x, y, NULL, N, C, H, W, block, NULL, pooled);
    free(pooled);
}

#define BLOCKED_PARAMS const float *x, float *y, int32_t *argmax, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, \
                       ptrdiff_t block, const GBReLU *relu
#define BLOCKED_ARGS x, y, argmax, N, C, H, W, block, relu

GB_PER_ISA(gb_maxpool2x2_blocked, maxpool2x2_blocked_body, BLOCKED_PARAMS, BLOCKED_ARGS)

/// One (image, channel block) of the backward from the pooled gradient in blocked order g [OH, OW, B]: every element
/// of the dx block is written once — the gradient where it is its window's arg-max, else 0 (also the odd last row and
/// column, in no window).
#define BLOCKED_BACKWARD(B, T, I)                                                                                     \
    INLINE void maxpool2x2_blocked_backward_block##B(const float *pooled, const int32_t *argmax, float *dx,          \
                                                     ptrdiff_t H, ptrdiff_t W) {                                     \
        const ptrdiff_t OH = H / 2, OW = W / 2;                                                                      \
        const T zero = {0};                                                                                           \
        for (ptrdiff_t oy = 0; oy < OH; oy++) {                                                                       \
            for (ptrdiff_t ox = 0; ox < OW; ox++) {                                                                   \
                const T g = LOAD(T, pooled + (oy * OW + ox) * B);                                                    \
                const I w = LOAD(I, argmax + (oy * OW + ox) * B);                                                    \
                const I at = (I){0} + (int32_t)(2 * oy * W + 2 * ox);                                                \
                float *p = dx + (2 * oy * W + 2 * ox) * B;                                                           \
                STORE(T, p, SELECT(T, I, w == at, g, zero));                                                         \
                STORE(T, p + B, SELECT(T, I, w == at + 1, g, zero));                                                 \
                STORE(T, p + W * B, SELECT(T, I, w == at + (int32_t)W, g, zero));                                    \
                STORE(T, p + W * B + B, SELECT(T, I, w == at + (int32_t)W + 1, g, zero));                            \
            }                                                                                                         \
            if (W % 2) {                                                                                              \
                STORE(T, dx + (2 * oy * W + W - 1) * B, zero);                                                       \
                STORE(T, dx + ((2 * oy + 1) * W + W - 1) * B, zero);                                                 \
            }                                                                                                         \
        }                                                                                                             \
        if (H % 2) memset(dx + (H - 1) * W * B, 0, (size_t)(W * B) * sizeof(float));                                 \
    }

BLOCKED_BACKWARD(8, v8, v8i)
BLOCKED_BACKWARD(16, v16, v16i)

INLINE void maxpool2x2_blocked_backward_body(const float *dy, const int32_t *argmax, float *dx, ptrdiff_t N, ptrdiff_t C,
                                             ptrdiff_t H, ptrdiff_t W, ptrdiff_t block) {
    const ptrdiff_t plane = (H / 2) * (W / 2), blocks = N * (C / block);
    float *pooled = malloc((size_t)(plane * block) * sizeof(float) + 64);
    for (ptrdiff_t k = 0; k < blocks; k++) {
        gb_transpose_band(dy + k * block * plane, block, plane, pooled, NULL, 0, plane);   // B planes → [plane, B]
        const int32_t *ab = argmax + k * plane * block;
        float *xb = dx + k * H * W * block;
        if (block == 16) maxpool2x2_blocked_backward_block16(pooled, ab, xb, H, W);
        else maxpool2x2_blocked_backward_block8(pooled, ab, xb, H, W);
    }
    free(pooled);
}

#define BLOCKED_BACKWARD_PARAMS const float *dy, const int32_t *argmax, float *dx, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H, \
                                ptrdiff_t W, ptrdiff_t block
#define BLOCKED_BACKWARD_ARGS dy, argmax, dx, N, C, H, W, block

GB_PER_ISA(gb_maxpool2x2_blocked_backward, maxpool2x2_blocked_backward_body, BLOCKED_BACKWARD_PARAMS, BLOCKED_BACKWARD_ARGS)
