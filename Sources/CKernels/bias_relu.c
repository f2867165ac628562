// A convolution's output epilogue (see PointwiseConv.swift, ConvKernels.swift), one copy per instruction set: the bias
// add, the optional ReLU and (when src is a shared block) the copy into place, in one pass instead of up to three.
// Shapes: src [rows, lds], dst [rows, ldd], bias [rows]; cols ≤ lds, ldd.
#include "per_isa.h"

INLINE void bias_relu_body(const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd, ptrdiff_t rows, ptrdiff_t cols,
                           const float *bias, const GBReLU *relu) {
    const float cap = relu ? relu->cap : 0;
    const v16 zero16 = {0}, cap16 = zero16 + cap;
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *s = src + r * lds;
        float *d = dst + r * ldd;
        const float b = bias ? bias[r] : 0;
        ptrdiff_t j = 0;
        for (; j + 16 <= cols; j += 16) {
            const v16 v = LOAD(v16, s + j) + b;
            STORE(v16, d + j, relu ? RELU_CAP(v, zero16, cap16) : v);
        }
        for (; j < cols; j++) {
            const float v = s[j] + b;
            d[j] = relu ? RELU_CAP(v, 0.0f, cap) : v;
        }
    }
}

#define BIAS_RELU_PARAMS const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd, ptrdiff_t rows, ptrdiff_t cols, \
                         const float *bias, const GBReLU *relu
#define BIAS_RELU_ARGS src, lds, dst, ldd, rows, cols, bias, relu

GB_PER_ISA(gb_rows_bias_relu, bias_relu_body, BIAS_RELU_PARAMS, BIAS_RELU_ARGS)
