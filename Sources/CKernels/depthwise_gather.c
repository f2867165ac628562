// Depthwise convolution rows (see DepthwiseRows.swift), one copy per instruction set.
// Shapes: out [rows, ldo], each tap's source [rows, ldi]; cols ≤ ldo, cols ≤ ldi (padded sources, no bounds checks).
#include "per_isa.h"

// The body, stamped out once per target: 64 columns at a time in four 16-wide sums (independent adds hide the
// latency), then 16, then 8; a last partial chunk is recomputed ending at cols (same values); rows shorter than 8 run
// scalar. RELU_CAP applies the optional ReLU just before each store.
#define GATHER_BODY                                                                                     \
    const float cap = relu ? relu->cap : 0;                                                             \
    const v16 zero16 = {0}, cap16 = zero16 + cap;                                                       \
    const v8 zero8 = {0}, cap8 = zero8 + cap;                                                           \
    for (ptrdiff_t r = 0; r < rows; r++) {                                                              \
        float *o = out + r * ldo;                                                                       \
        const ptrdiff_t shift = r * ldi;                                                                \
        if (cols < 8) {                                                                                 \
            for (ptrdiff_t j = 0; j < cols; j++) {                                                      \
                float s = initial;                                                                      \
                for (ptrdiff_t t = 0; t < n; t++) s += taps[t].source[shift + j] * taps[t].weight;      \
                o[j] = relu ? RELU_CAP(s, 0.0f, cap) : s;                                               \
            }                                                                                           \
            continue;                                                                                   \
        }                                                                                               \
        ptrdiff_t j = 0;                                                                                \
        const v16 start16 = (v16){0} + initial;                                                         \
        for (; j + 64 <= cols; j += 64) {                                                               \
            v16 a = start16, b = start16, c = start16, d = start16;                                     \
            for (ptrdiff_t t = 0; t < n; t++) {                                                         \
                const float *s = taps[t].source + shift + j;                                            \
                const float w = taps[t].weight;                                                         \
                a += LOAD(v16, s) * w; b += LOAD(v16, s + 16) * w;                                      \
                c += LOAD(v16, s + 32) * w; d += LOAD(v16, s + 48) * w;                                 \
            }                                                                                           \
            if (relu) {                                                                                 \
                a = RELU_CAP(a, zero16, cap16); b = RELU_CAP(b, zero16, cap16);                         \
                c = RELU_CAP(c, zero16, cap16); d = RELU_CAP(d, zero16, cap16);                         \
            }                                                                                           \
            STORE(v16, o + j, a); STORE(v16, o + j + 16, b); STORE(v16, o + j + 32, c); STORE(v16, o + j + 48, d); \
        }                                                                                               \
        for (; j + 16 <= cols; j += 16) {                                                               \
            v16 a = start16;                                                                            \
            for (ptrdiff_t t = 0; t < n; t++) a += LOAD(v16, taps[t].source + shift + j) * taps[t].weight; \
            STORE(v16, o + j, relu ? RELU_CAP(a, zero16, cap16) : a);                                   \
        }                                                                                               \
        const v8 start8 = (v8){0} + initial;                                                            \
        for (; j + 8 <= cols; j += 8) {                                                                 \
            v8 a = start8;                                                                              \
            for (ptrdiff_t t = 0; t < n; t++) a += LOAD(v8, taps[t].source + shift + j) * taps[t].weight; \
            STORE(v8, o + j, relu ? RELU_CAP(a, zero8, cap8) : a);                                      \
        }                                                                                               \
        if (j < cols) {                                                                                 \
            j = cols - 8;                                                                               \
            v8 a = start8;                                                                              \
            for (ptrdiff_t t = 0; t < n; t++) a += LOAD(v8, taps[t].source + shift + j) * taps[t].weight; \
            STORE(v8, o + j, relu ? RELU_CAP(a, zero8, cap8) : a);                                      \
        }                                                                                               \
    }

#define GATHER_PARAMS float *out, ptrdiff_t ldo, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ldi, float initial, \
                      const GBTap *taps, ptrdiff_t n, const GBReLU *relu

#define GATHER_ARGS out, ldo, rows, cols, ldi, initial, taps, n, relu

INLINE void gather_body(GATHER_PARAMS) { GATHER_BODY }

GB_PER_ISA(gb_depthwise_gather, gather_body, GATHER_PARAMS, GATHER_ARGS)
