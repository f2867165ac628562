// Kernels compiled once per instruction set (AVX-512, AVX2 + FMA, baseline x86-64) and chosen at run time by
// what the CPU has: Swift compiles one baseline for the whole program, so these few inner loops live in C.
#ifndef GROWINGBRAIN_CKERNELS_H
#define GROWINGBRAIN_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// One (kernel position, source) pair of a depthwise convolution: adds weight·source[r·ldi + j] to out[r·ldo + j].
typedef struct {
    float weight;
    const float *source;
} GBTap;

/// A ReLU a kernel applies to each output as it stores it: min(max(v, 0), cap), NaN becoming 0 (as NN's `ReLU`);
/// cap is +∞ for a plain ReLU. Kernels take a pointer to one, NULL for no activation.
typedef struct {
    float cap;
} GBReLU;

/// The instruction sets a kernel is built for.
typedef enum { GB_ISA_BASELINE = 0, GB_ISA_AVX2 = 1, GB_ISA_AVX512 = 2 } GBISA;

/// The best variant this CPU runs (AVX-512 needs F; AVX2 needs AVX2 and FMA).
GBISA gb_isa_supported(void);
/// The variant in use; `gb_isa_select` forces one (clamped to what the CPU supports), for tests and benchmarks.
GBISA gb_isa_current(void);
void gb_isa_select(GBISA isa);

/// out[r·ldo + j] = relu(initial + Σₜ weightₜ·sourceₜ[r·ldi + j]) for r < rows, j < cols, taps in list order (relu
/// NULL: the sum itself). Sums stay in registers across all taps (one store per output).
void gb_depthwise_gather(float *out, ptrdiff_t ldo, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ldi,
                         float initial, const GBTap *taps, ptrdiff_t n, const GBReLU *relu);

/// dst[r·ldd + j] = relu(src[r·lds + j] + bias[r]) for r < rows, j < cols (bias NULL: 0; relu NULL: none); src may be
/// dst (bias_relu.c: a convolution's output epilogue).
void gb_rows_bias_relu(const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd, ptrdiff_t rows, ptrdiff_t cols,
                       const float *bias, const GBReLU *relu);

/// One depthwise geometry's plane layout (built by DepthwisePlan.swift, which documents it): input planes [height,
/// width] zero-padded and split into strideH·strideW phase blocks of phaseSize floats with rows of wq; output planes
/// [outHeight, outWidth], computed on a [outHeight, wq] grid and cropped when `flat`.
typedef struct {
    ptrdiff_t height, width, strideH, strideW, padTop, padLeft;
    ptrdiff_t wq, phaseSize, outHeight, outWidth;
    /// Input channels C, filters per input channel m, kernel positions kH·kW.
    ptrdiff_t channels, multiplier, taps;
    int flat;
    /// Per kernel position: where its reads start in the phase blocks (phase·phaseSize + offset).
    const ptrdiff_t *tapSource;
} GBDepthwisePlan;

/// Plane x [height, width] into its padded phases `out`, whose padding and slack must already be zero (never written).
void gb_depthwise_split(const GBDepthwisePlan *plan, const float *x, float *out);

/// Forward over planes first ..< end (p = n·C + c): output planes p·m + k = relu(bias[o] + depthwise), o = c·m + k (bias
/// or relu NULL: none). Scratch: input, strideH·strideW·phaseSize floats whose padding is zero; grid, outHeight·wq
/// floats when flat; taps, `taps` entries.
void gb_depthwise_forward_planes(const GBDepthwisePlan *plan, const float *x, const float *w, const float *bias,
                                 float *y, ptrdiff_t first, ptrdiff_t end, float *input, float *grid, GBTap *taps,
                                 const GBReLU *relu);

/// even[j] = src[2j] for 2j < n, odd[j] = src[2j + 1] for 2j + 1 < n (deinterleave.c: a row's stride-2 phases).
void gb_deinterleave2(const float *src, ptrdiff_t n, float *even, float *odd);

/// Max pooling 2×2 at stride 2 without padding over x [planes, H, W] into y [planes, H/2, W/2] (maxpool2x2.c): each
/// window's first maximum in row-major order; argmax (NULL: not kept) receives its flat index in the input plane.
/// With relu, y = relu(maximum) and argmax is −1 where the maximum is not inside (0, cap), where a ReLU before the
/// pool passes no gradient (pooling commutes with the ReLU, which is monotone).
void gb_maxpool2x2(const float *x, float *y, int32_t *argmax, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W,
                   const GBReLU *relu);
/// Its backward: dx [planes, H, W] = dy at each window's arg-max and 0 everywhere else (argmax −1: nowhere); every
/// element of dx is written, so it needs no zeroing.
void gb_maxpool2x2_backward(const float *dy, const int32_t *argmax, float *dx, ptrdiff_t planes, ptrdiff_t H,
                            ptrdiff_t W);

/// The same pool over x in oneDNN's channel-blocked layout [N, C/block, H, W, block] (block 8 or 16, dividing C) into
/// plain y [N, C, H/2, W/2] (maxpool2x2_blocked.c); argmax (NULL: not kept) [N, C/block, H/2, W/2, block] holds the
/// same indices as gb_maxpool2x2's, in blocked order.
void gb_maxpool2x2_blocked(const float *x, float *y, int32_t *argmax, ptrdiff_t N, ptrdiff_t C, ptrdiff_t H,
                           ptrdiff_t W, ptrdiff_t block, const GBReLU *relu);
/// Its backward: plain dy [N, C, H/2, W/2] into blocked dx [N, C/block, H, W, block], every element written.
void gb_maxpool2x2_blocked_backward(const float *dy, const int32_t *argmax, float *dx, ptrdiff_t N, ptrdiff_t C,
                                    ptrdiff_t H, ptrdiff_t W, ptrdiff_t block);

/// Winograd F(4×4, 3×3) transforms (winograd_f43.c; shapes in WinogradConv.swift). Weights: rows `first ..< first +
/// count` of U [36, inC, outC] from w [outC, inC, 3, 3], or with `flip` from w [inC, outC, 3, 3] rotated 180°.
void gb_winograd_weights(const float *w, ptrdiff_t inC, ptrdiff_t outC, int flip, ptrdiff_t first, ptrdiff_t count,
                         float *U);
/// `count` images x [count, C, H, W] into V [36, T, C], T = count·tilesH·tilesW tiles (image-major, then row-major).
void gb_winograd_input(const float *x, ptrdiff_t count, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t padTop,
                       ptrdiff_t padLeft, ptrdiff_t tilesH, ptrdiff_t tilesW, float *V, float *scratch);
/// M [36, T, O] into `count` images y [count, O, OH, OW] (+ bias[o] if given).
void gb_winograd_output(const float *M, ptrdiff_t count, ptrdiff_t O, ptrdiff_t tilesH, ptrdiff_t tilesW,
                        const float *bias, float *y, ptrdiff_t OH, ptrdiff_t OW);
/// Floats of the scratch buffer `gb_winograd_input` needs for `count` images.
ptrdiff_t gb_winograd_scratch(ptrdiff_t count, ptrdiff_t tilesH, ptrdiff_t tilesW);

/// Columns j0 ..< j1 of src [rows, cols] into rows j0 ..< j1 of dst [cols, rows], adding rowBias[i] if given
/// (transpose.c; see Transpose.swift).
void gb_transpose_band(const float *src, ptrdiff_t rows, ptrdiff_t cols, float *dst, const float *rowBias,
                       ptrdiff_t j0, ptrdiff_t j1);

#endif
