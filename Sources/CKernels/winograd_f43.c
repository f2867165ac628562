// Winograd F(4×4, 3×3) transforms (see WinogradConv.swift), one copy per instruction set.
// A 6×6 input tile d and a 3×3 kernel g give the 4×4 correlation output Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A
// (Lavin & Gray 2016, interpolation points 0, ±1, ±2, ∞). The 36 products of a tile position ξ = 6i + j are
// independent, so over all tiles and channels they are 36 GEMMs, which the caller runs; these loops do the rest.
#include <stdlib.h>
#include <string.h>
#include "CKernels.h"

#define INLINE static inline __attribute__((always_inline))

typedef float v8 __attribute__((vector_size(32)));
#define LOAD(T, p) ({ T v_; memcpy(&v_, (p), sizeof(T)); v_; })
#define STORE(T, p, v) do { T v_ = (v); memcpy((p), &v_, sizeof(T)); } while (0)

/// Runs STEP(T, q) over q < n: eight lanes at a time as v8, the rest as float.
#define OVER_LANES(n, STEP) do {                                   \
        ptrdiff_t q_ = 0;                                          \
        for (; q_ + 8 <= (n); q_ += 8) STEP(v8, q_);               \
        for (; q_ < (n); q_++) STEP(float, q_);                    \
    } while (0)

/// Bᵀd for six values d[0·s], …, d[5·s] (s = stride), into r[0…5].
#define INPUT_1D(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5) do { \
        r0 = 4 * (d0) - 5 * (d2) + (d4);                             \
        r1 = -4 * ((d1) + (d2)) + (d3) + (d4);                       \
        r2 = 4 * ((d1) - (d2)) - (d3) + (d4);                        \
        r3 = 2 * ((d3) - (d1)) - (d2) + (d4);                        \
        r4 = 2 * ((d1) - (d3)) - (d2) + (d4);                        \
        r5 = 4 * (d1) - 5 * (d3) + (d5);                             \
    } while (0)

/// Aᵀm for six values, into four.
#define OUTPUT_1D(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3) do { \
        const __typeof__(m1) p12 = (m1) + (m2), n12 = (m1) - (m2); \
        const __typeof__(m1) p34 = (m3) + (m4), n34 = (m3) - (m4); \
        y0 = (m0) + p12 + p34;                                 \
        y1 = n12 + 2 * n34;                                    \
        y2 = p12 + 4 * p34;                                    \
        y3 = n12 + 8 * n34 + (m5);                             \
    } while (0)

// Weights: U[ξ][o][c] = (G g Gᵀ)[ξ] for g = w[o][c] (OIHW), or, with `flip`, for g = w[c][o] rotated by 180°
// (the kernel of the input gradient: rows of U index the layer's inputs). Rows `first` ..< `first + count` of U.
INLINE void weights_body(const float *w, ptrdiff_t rowsU, ptrdiff_t colsU, int flip, ptrdiff_t first, ptrdiff_t count,
                         float *U) {
    const float quarter = 1.0f / 4, sixth = 1.0f / 6, twelfth = 1.0f / 12, twentyfourth = 1.0f / 24;
    const ptrdiff_t s = rowsU * colsU;
    for (ptrdiff_t r = first; r < first + count; r++) {
        for (ptrdiff_t c = 0; c < colsU; c++) {
            float g[9];
            if (flip) {
                const float *src = w + (c * rowsU + r) * 9;
                for (int k = 0; k < 9; k++) g[k] = src[8 - k];
            } else {
                memcpy(g, w + (r * colsU + c) * 9, sizeof g);
            }
            float t[6][3];   // G g
            for (int b = 0; b < 3; b++) {
                const float g0 = g[b], g1 = g[3 + b], g2 = g[6 + b];
                t[0][b] = g0 * quarter;
                t[1][b] = -(g0 + g1 + g2) * sixth;
                t[2][b] = -(g0 - g1 + g2) * sixth;
                t[3][b] = g0 * twentyfourth + g1 * twelfth + g2 * sixth;
                t[4][b] = g0 * twentyfourth - g1 * twelfth + g2 * sixth;
                t[5][b] = g2;
            }
            float *u = U + r * colsU + c;
            for (int a = 0; a < 6; a++, u += 6 * s) {   // (G g) Gᵀ
                const float g0 = t[a][0], g1 = t[a][1], g2 = t[a][2];
                u[0] = g0 * quarter;
                u[s] = -(g0 + g1 + g2) * sixth;
                u[2 * s] = -(g0 - g1 + g2) * sixth;
                u[3 * s] = g0 * twentyfourth + g1 * twelfth + g2 * sixth;
                u[4 * s] = g0 * twentyfourth - g1 * twelfth + g2 * sixth;
                u[5 * s] = g2;
            }
        }
    }
}

// Tiles are handled in blocks of TB: per block, the 36 values of every window are first gathered into D[36][TB]
// (scalar loads from a zero-padded copy of the channel), then both 1-D passes of the transform run over the block
// with the tile as the inner index (contiguous, so they vectorise), and each result row goes to V with one long store.
#define TB 64

/// The tiles of a chunk of images in order (image-major, then row-major): each one's image and first row and column.
typedef struct { ptrdiff_t image, ty, tx, tilesH, tilesW; } TileCursor;

INLINE TileCursor tile_cursor(ptrdiff_t t, ptrdiff_t tilesH, ptrdiff_t tilesW) {
    const ptrdiff_t perImage = tilesH * tilesW, local = t % perImage;
    return (TileCursor){ t / perImage, local / tilesW, local % tilesW, tilesH, tilesW };
}

INLINE void tile_advance(TileCursor *c) {
    if (++c->tx < c->tilesW) return;
    c->tx = 0;
    if (++c->ty < c->tilesH) return;
    c->ty = 0;
    c->image++;
}

// Input: V[ξ][c][t] = (Bᵀ d B)[ξ] for the 6×6 window of channel c at rows 4ty − padTop …, columns 4tx − padLeft …
// (zeros outside the image) of every tile t = (image·tilesH + ty)·tilesW + tx of `count` images x [count, C, H, W].
// `scratch`: winograd_input_scratch floats.
INLINE void input_body(const float *x, ptrdiff_t count, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t padTop,
                       ptrdiff_t padLeft, ptrdiff_t tilesH, ptrdiff_t tilesW, float *V, float *scratch) {
    const ptrdiff_t T = count * tilesH * tilesW, plane = C * T;
    const ptrdiff_t Hp = 4 * tilesH + 2, Wp = 4 * tilesW + 2;   // the windows' extent
    float *padded = scratch;                                    // [count, Hp, Wp]: one channel, zeros around
    float *D = padded + count * Hp * Wp;                        // D[k·6 + l][TB]: window values
    float *E = D + 36 * TB;                                     // E[i·6 + l][TB]: (Bᵀ d)[i][l]
    for (ptrdiff_t c = 0; c < C; c++) {
        for (ptrdiff_t n = 0; n < count; n++) {
            const float *src = x + (n * C + c) * H * W;
            for (ptrdiff_t r = 0; r < Hp; r++) {
                float *row = padded + (n * Hp + r) * Wp;
                const ptrdiff_t iy = r - padTop;
                if (iy < 0 || iy >= H) { memset(row, 0, sizeof(float) * Wp); continue; }
                const ptrdiff_t left = padLeft < Wp ? padLeft : Wp, copied = W < Wp - left ? W : Wp - left;
                memset(row, 0, sizeof(float) * left);
                memcpy(row + left, src + iy * W, sizeof(float) * copied);
                memset(row + left + copied, 0, sizeof(float) * (Wp - left - copied));
            }
        }
        for (ptrdiff_t t0 = 0; t0 < T; t0 += TB) {
            const ptrdiff_t nb = T - t0 < TB ? T - t0 : TB;
            TileCursor tile = tile_cursor(t0, tilesH, tilesW);
            for (ptrdiff_t q = 0; q < nb; q++, tile_advance(&tile)) {
                const float *window = padded + (tile.image * Hp + 4 * tile.ty) * Wp + 4 * tile.tx;
                for (int k = 0; k < 6; k++)
                    for (int l = 0; l < 6; l++) D[(k * 6 + l) * TB + q] = window[k * Wp + l];
            }
            for (int l = 0; l < 6; l++) {
                const float *d = D + l * TB;
                float *e = E + l * TB;
#define VERTICAL(T, q) do {                                                                                    \
                    T r0, r1, r2, r3, r4, r5;                                                                  \
                    INPUT_1D(LOAD(T, d + q), LOAD(T, d + 6 * TB + q), LOAD(T, d + 12 * TB + q), LOAD(T, d + 18 * TB + q), \
                             LOAD(T, d + 24 * TB + q), LOAD(T, d + 30 * TB + q), r0, r1, r2, r3, r4, r5);          \
                    STORE(T, e + q, r0); STORE(T, e + 6 * TB + q, r1); STORE(T, e + 12 * TB + q, r2);         \
                    STORE(T, e + 18 * TB + q, r3); STORE(T, e + 24 * TB + q, r4); STORE(T, e + 30 * TB + q, r5); \
                } while (0)
                OVER_LANES(nb, VERTICAL);
#undef VERTICAL
            }
            for (int i = 0; i < 6; i++) {
                const float *e = E + i * 6 * TB;
                float *v = V + (ptrdiff_t)(i * 6) * plane + c * T + t0;
#define HORIZONTAL(T, q) do {                                                                                  \
                    T r0, r1, r2, r3, r4, r5;                                                                  \
                    INPUT_1D(LOAD(T, e + q), LOAD(T, e + TB + q), LOAD(T, e + 2 * TB + q), LOAD(T, e + 3 * TB + q), \
                             LOAD(T, e + 4 * TB + q), LOAD(T, e + 5 * TB + q), r0, r1, r2, r3, r4, r5);          \
                    STORE(T, v + q, r0); STORE(T, v + plane + q, r1); STORE(T, v + 2 * plane + q, r2);         \
                    STORE(T, v + 3 * plane + q, r3); STORE(T, v + 4 * plane + q, r4); STORE(T, v + 5 * plane + q, r5); \
                } while (0)
                OVER_LANES(nb, HORIZONTAL);
#undef HORIZONTAL
            }
        }
    }
}

// Output: y[image][o][4ty + a][4tx + b] = (Aᵀ M A)[a][b] (+ bias[o]) for every tile t of `count` images y [count, O,
// OH, OW], from M[ξ][o][t] (T = count·tilesH·tilesW columns); outputs past OH × OW are dropped. `scratch`: 40·TB floats.
INLINE void output_body(const float *M, ptrdiff_t count, ptrdiff_t O, ptrdiff_t tilesH, ptrdiff_t tilesW,
                        const float *bias, float *y, ptrdiff_t OH, ptrdiff_t OW, float *scratch) {
    const ptrdiff_t T = count * tilesH * tilesW, plane = O * T;
    float *E = scratch;                          // E[a·6 + j][TB] = (Aᵀ m)[a][j]
    float *R = scratch + 24 * TB;                // R[a·4 + b][TB] = the output tile
    for (ptrdiff_t o = 0; o < O; o++) {
        const float shift = bias ? bias[o] : 0;
        for (ptrdiff_t t0 = 0; t0 < T; t0 += TB) {
            const ptrdiff_t nb = T - t0 < TB ? T - t0 : TB;
            for (int j = 0; j < 6; j++) {
                const float *m = M + (ptrdiff_t)j * plane + o * T + t0;
                float *e = E + j * TB;
#define VERTICAL(T, q) do {                                                                                    \
                    T y0, y1, y2, y3;                                                                          \
                    OUTPUT_1D(LOAD(T, m + q), LOAD(T, m + 6 * plane + q), LOAD(T, m + 12 * plane + q),         \
                              LOAD(T, m + 18 * plane + q), LOAD(T, m + 24 * plane + q), LOAD(T, m + 30 * plane + q), \
                              y0, y1, y2, y3);                                                                 \
                    STORE(T, e + q, y0); STORE(T, e + 6 * TB + q, y1); STORE(T, e + 12 * TB + q, y2); STORE(T, e + 18 * TB + q, y3); \
                } while (0)
                OVER_LANES(nb, VERTICAL);
#undef VERTICAL
            }
            for (int a = 0; a < 4; a++) {
                const float *e = E + a * 6 * TB;
                float *r = R + a * 4 * TB;
#define HORIZONTAL(T, q) do {                                                                                  \
                    T y0, y1, y2, y3;                                                                          \
                    OUTPUT_1D(LOAD(T, e + q), LOAD(T, e + TB + q), LOAD(T, e + 2 * TB + q), LOAD(T, e + 3 * TB + q), \
                              LOAD(T, e + 4 * TB + q), LOAD(T, e + 5 * TB + q), y0, y1, y2, y3);                \
                    STORE(T, r + q, y0 + shift); STORE(T, r + TB + q, y1 + shift);                             \
                    STORE(T, r + 2 * TB + q, y2 + shift); STORE(T, r + 3 * TB + q, y3 + shift);                \
                } while (0)
                OVER_LANES(nb, HORIZONTAL);
#undef HORIZONTAL
            }
            TileCursor tile = tile_cursor(t0, tilesH, tilesW);
            for (ptrdiff_t q = 0; q < nb; q++, tile_advance(&tile)) {
                const ptrdiff_t oy = 4 * tile.ty, ox = 4 * tile.tx;
                const ptrdiff_t rows = OH - oy < 4 ? OH - oy : 4, cols = OW - ox < 4 ? OW - ox : 4;
                float *out = y + ((tile.image * O + o) * OH + oy) * OW + ox;
                for (ptrdiff_t a = 0; a < rows; a++)
                    for (ptrdiff_t b = 0; b < cols; b++) out[a * OW + b] = R[(a * 4 + b) * TB + q];
            }
        }
    }
}

#define WEIGHTS_PARAMS const float *w, ptrdiff_t rowsU, ptrdiff_t colsU, int flip, ptrdiff_t first, ptrdiff_t count, float *U
#define WEIGHTS_ARGS w, rowsU, colsU, flip, first, count, U
#define INPUT_PARAMS const float *x, ptrdiff_t count, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t padTop, \
                     ptrdiff_t padLeft, ptrdiff_t tilesH, ptrdiff_t tilesW, float *V, float *scratch
#define INPUT_ARGS x, count, C, H, W, padTop, padLeft, tilesH, tilesW, V, scratch
#define OUTPUT_PARAMS const float *M, ptrdiff_t count, ptrdiff_t O, ptrdiff_t tilesH, ptrdiff_t tilesW, \
                      const float *bias, float *y, ptrdiff_t OH, ptrdiff_t OW, float *scratch
#define OUTPUT_ARGS M, count, O, tilesH, tilesW, bias, y, OH, OW, scratch

#define STAMP(suffix, attributes)                                                              \
    attributes static void weights_##suffix(WEIGHTS_PARAMS) { weights_body(WEIGHTS_ARGS); }    \
    attributes static void input_##suffix(INPUT_PARAMS) { input_body(INPUT_ARGS); }           \
    attributes static void output_##suffix(OUTPUT_PARAMS) { output_body(OUTPUT_ARGS); }

STAMP(baseline, )
#if defined(__x86_64__)
STAMP(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))))
STAMP(avx2, __attribute__((target("avx2,fma"))))
#else
#define weights_avx512 weights_baseline
#define weights_avx2 weights_baseline
#define input_avx512 input_baseline
#define input_avx2 input_baseline
#define output_avx512 output_baseline
#define output_avx2 output_baseline
#endif

#define DISPATCH(name, args)                                \
    switch (gb_isa_current()) {                             \
    case GB_ISA_AVX512: name##_avx512(args); break;         \
    case GB_ISA_AVX2: name##_avx2(args); break;             \
    default: name##_baseline(args); break;                  \
    }

void gb_winograd_weights(WEIGHTS_PARAMS) { DISPATCH(weights, WEIGHTS_ARGS) }
void gb_winograd_input(INPUT_PARAMS) { DISPATCH(input, INPUT_ARGS) }
void gb_winograd_output(OUTPUT_PARAMS) { DISPATCH(output, OUTPUT_ARGS) }

ptrdiff_t gb_winograd_scratch(ptrdiff_t count, ptrdiff_t tilesH, ptrdiff_t tilesW) {
    const ptrdiff_t input = count * (4 * tilesH + 2) * (4 * tilesW + 2) + 72 * TB, output = 40 * TB;
    return input > output ? input : output;
}
