// The inner loops of the depthwise convolution, shared by the files that build them per instruction set
// (depthwise_gather.c, deinterleave.c, depthwise_planes.c); see DepthwiseRows.swift and DepthwisePlan.swift.
#ifndef GROWINGBRAIN_DEPTHWISE_ROWS_H
#define GROWINGBRAIN_DEPTHWISE_ROWS_H

#include "per_isa.h"

#define GATHER_PARAMS float *out, ptrdiff_t ldo, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ldi, float initial, \
                      const GBTap *taps, ptrdiff_t n, const GBReLU *relu
#define GATHER_ARGS out, ldo, rows, cols, ldi, initial, taps, n, relu

/// Sums over all taps of the 16 columns at each of `blocks` starts (independent chains), stored with the ReLU.
#define GATHER_BLOCKS16(blocks, ...)                                                                    \
    do {                                                                                                \
        const ptrdiff_t at[blocks] = {__VA_ARGS__};                                                     \
        v16 acc[blocks];                                                                                \
        for (int q = 0; q < blocks; q++) acc[q] = start16;                                              \
        for (ptrdiff_t t = 0; t < n; t++) {                                                             \
            const float *s = taps[t].source + shift;                                                    \
            const float w = taps[t].weight;                                                             \
            for (int q = 0; q < blocks; q++) acc[q] += LOAD(v16, s + at[q]) * w;                        \
        }                                                                                               \
        for (int q = 0; q < blocks; q++) STORE(v16, o + at[q], relu ? RELU_CAP(acc[q], zero16, cap16) : acc[q]); \
    } while (0)

/// out[r·ldo + j] = relu(initial + Σₜ weightₜ·sourceₜ[r·ldi + j]) (shapes: out [rows, ldo], each source [rows, ldi];
/// cols ≤ ldo, ldi; padded sources, no bounds checks). 64 columns at a time in four 16-wide sums; the rest (1–63
/// columns) in one pass over the taps with up to four 16-wide sums, the last ending at cols (columns it overlaps are
/// written again, equal up to rounding), or for a single block two partial sums over alternate taps: every chain of adds
/// is short or has company, which small planes (a 7×7 map is a 77-column grid) otherwise wait on. Rows narrower than
/// 16 run 8 wide the same way, narrower than 8 scalar. RELU_CAP applies the optional ReLU just before each store.
INLINE void gather_body(GATHER_PARAMS) {
    const float cap = relu ? relu->cap : 0;
    const v16 zero16 = {0}, cap16 = zero16 + cap, start16 = zero16 + initial;
    const v8 zero8 = {0}, cap8 = zero8 + cap, start8 = zero8 + initial;
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *o = out + r * ldo;
        const ptrdiff_t shift = r * ldi;
        ptrdiff_t j = 0;
        if (cols >= 16) {
            for (; j + 64 <= cols; j += 64) GATHER_BLOCKS16(4, j, j + 16, j + 32, j + 48);
            const ptrdiff_t rest = cols - j, last = cols - 16;
            if (rest > 48) GATHER_BLOCKS16(4, j, j + 16, j + 32, last);
            else if (rest > 32) GATHER_BLOCKS16(3, j, j + 16, last);
            else if (rest > 16) GATHER_BLOCKS16(2, j, last);
            else if (rest > 0) {
                v16 even = start16, odd = zero16;
                ptrdiff_t t = 0;
                for (; t + 2 <= n; t += 2) {
                    even += LOAD(v16, taps[t].source + shift + last) * taps[t].weight;
                    odd += LOAD(v16, taps[t + 1].source + shift + last) * taps[t + 1].weight;
                }
                if (t < n) even += LOAD(v16, taps[t].source + shift + last) * taps[t].weight;
                even += odd;
                STORE(v16, o + last, relu ? RELU_CAP(even, zero16, cap16) : even);
            }
        } else if (cols >= 8) {   // one or two 8-wide sums, the second ending at cols
            v8 a = start8, b = start8;
            for (ptrdiff_t t = 0; t < n; t++) {
                const float *s = taps[t].source + shift;
                a += LOAD(v8, s) * taps[t].weight;
                b += LOAD(v8, s + cols - 8) * taps[t].weight;
            }
            STORE(v8, o, relu ? RELU_CAP(a, zero8, cap8) : a);
            STORE(v8, o + cols - 8, relu ? RELU_CAP(b, zero8, cap8) : b);
        } else {
            for (; j < cols; j++) {
                float s = initial;
                for (ptrdiff_t t = 0; t < n; t++) s += taps[t].source[shift + j] * taps[t].weight;
                o[j] = relu ? RELU_CAP(s, 0.0f, cap) : s;
            }
        }
    }
}

/// even[j] = src[2j], odd[j] = src[2j + 1]: two vector loads and two shuffles per 2·L floats.
INLINE void deinterleave_body(const float *src, ptrdiff_t n, float *even, float *odd) {
    ptrdiff_t j = 0;   // src index, always even
    for (; j + 32 <= n; j += 32) {
        const v16 a = LOAD(v16, src + j), b = LOAD(v16, src + j + 16);
        STORE(v16, even + j / 2, SHUFFLE(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
        STORE(v16, odd + j / 2, SHUFFLE(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
    }
    for (; j + 16 <= n; j += 16) {
        const v8 a = LOAD(v8, src + j), b = LOAD(v8, src + j + 8);
        STORE(v8, even + j / 2, SHUFFLE(a, b, 0, 2, 4, 6, 8, 10, 12, 14));
        STORE(v8, odd + j / 2, SHUFFLE(a, b, 1, 3, 5, 7, 9, 11, 13, 15));
    }
    for (; j + 1 < n; j += 2) {
        even[j / 2] = src[j];
        odd[j / 2] = src[j + 1];
    }
    if (j < n) even[j / 2] = src[j];
}

/// dst[j] = src[j] for j < n, inline (planes' rows are short: a library call per row costs more than the copy).
INLINE void copy_body(const float *src, ptrdiff_t n, float *dst) {
    ptrdiff_t j = 0;
    for (; j + 16 <= n; j += 16) STORE(v16, dst + j, LOAD(v16, src + j));
    for (; j + 8 <= n; j += 8) STORE(v8, dst + j, LOAD(v8, src + j));
    for (; j < n; j++) dst[j] = src[j];
}

#endif
