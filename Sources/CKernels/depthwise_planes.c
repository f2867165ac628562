// The depthwise convolution's per-plane work (see DepthwiseConv.swift, DepthwisePlan.swift), one copy per instruction
// set: splitting a plane into its padded stride phases, and the forward over a worker's range of planes — split,
// gather each output plane, crop — in one call, the short row copies inline.
#include "depthwise_rows.h"

INLINE void split_body(const GBDepthwisePlan *plan, const float *x, float *out) {
    const ptrdiff_t H = plan->height, W = plan->width, sH = plan->strideH, sW = plan->strideW;
    const ptrdiff_t padLeft = plan->padLeft, wq = plan->wq, phaseSize = plan->phaseSize;
    for (ptrdiff_t iy = 0; iy < H; iy++) {
        const ptrdiff_t row = iy + plan->padTop;
        const float *src = x + iy * W;
        float *rowBase = out + (row % sH) * sW * phaseSize + (row / sH) * wq;
        if (sW == 1) {
            copy_body(src, W, rowBase + padLeft);
        } else if (sW == 2) {   // even source columns land in phase column padLeft mod 2, odd ones in the other
            deinterleave_body(src, W, rowBase + (padLeft % 2) * phaseSize + padLeft / 2,
                              rowBase + ((padLeft + 1) % 2) * phaseSize + (padLeft + 1) / 2);
        } else {
            for (ptrdiff_t b = 0; b < sW; b++) {   // phase column b holds padded columns j·sW + b
                const ptrdiff_t ix0 = ((b - padLeft) % sW + sW) % sW;
                float *dst = rowBase + b * phaseSize + (ix0 + padLeft) / sW;
                for (ptrdiff_t ix = ix0, j = 0; ix < W; ix += sW, j++) dst[j] = src[ix];
            }
        }
    }
}

INLINE void forward_planes_body(const GBDepthwisePlan *plan, const float *x, const float *w, const float *bias,
                                float *y, ptrdiff_t first, ptrdiff_t end, float *input, float *grid, GBTap *taps,
                                const GBReLU *relu) {
    const ptrdiff_t C = plan->channels, m = plan->multiplier, kk = plan->taps;
    const ptrdiff_t OH = plan->outHeight, OW = plan->outWidth, wq = plan->wq, HW = plan->height * plan->width;
    for (ptrdiff_t t = 0; t < kk; t++) taps[t].source = input + plan->tapSource[t];
    for (ptrdiff_t p = first; p < end; p++) {   // p = n·C + c
        split_body(plan, x + p * HW, input);
        for (ptrdiff_t k = 0; k < m; k++) {
            const ptrdiff_t o = (p % C) * m + k;
            for (ptrdiff_t t = 0; t < kk; t++) taps[t].weight = w[o * kk + t];
            const float b = bias ? bias[o] : 0;
            float *yo = y + (p * m + k) * OH * OW;
            if (plan->flat) {
                gather_body(grid, 0, 1, OH * wq, 0, b, taps, kk, relu);
                for (ptrdiff_t r = 0; r < OH; r++) copy_body(grid + r * wq, OW, yo + r * OW);
            } else {
                gather_body(yo, OW, OH, OW, wq, b, taps, kk, relu);
            }
        }
    }
}

#define SPLIT_PARAMS const GBDepthwisePlan *plan, const float *x, float *out
#define SPLIT_ARGS plan, x, out
#define FORWARD_PARAMS const GBDepthwisePlan *plan, const float *x, const float *w, const float *bias, float *y, \
                       ptrdiff_t first, ptrdiff_t end, float *input, float *grid, GBTap *taps, const GBReLU *relu
#define FORWARD_ARGS plan, x, w, bias, y, first, end, input, grid, taps, relu

GB_PER_ISA(gb_depthwise_split, split_body, SPLIT_PARAMS, SPLIT_ARGS)
GB_PER_ISA(gb_depthwise_forward_planes, forward_planes_body, FORWARD_PARAMS, FORWARD_ARGS)
