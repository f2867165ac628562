// Splitting a row into its even and odd columns (see DepthwisePlan.splitInput), one copy per instruction set:
// two vector loads and two shuffles per 2·L floats instead of one strided scalar load per float.
// Shapes: src [n] → even [(n + 1) / 2], odd [n / 2]; even[j] = src[2j], odd[j] = src[2j + 1].
#include "per_isa.h"

#define SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)

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

#define DEINTERLEAVE_PARAMS const float *src, ptrdiff_t n, float *even, float *odd
#define DEINTERLEAVE_ARGS src, n, even, odd

GB_PER_ISA(gb_deinterleave2, deinterleave_body, DEINTERLEAVE_PARAMS, DEINTERLEAVE_ARGS)
