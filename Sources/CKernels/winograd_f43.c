// Winograd F(4×4, 3×3) transforms (see WinogradConv.swift), one copy per instruction set.
// A 6×6 input tile d and a 3×3 kernel g give the 4×4 correlation output Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A
// (Lavin & Gray 2016, interpolation points 0, ±1, ±2, ∞). The 36 products of a tile position ξ = 6i + j are
// independent, so over all tiles and channels they are 36 GEMMs, which the caller runs; these loops do the rest.
// Layouts: U [36, inC, outC], V [36, T, C], M [36, T, O] (T tiles), so the GEMMs are M_ξ = V_ξ · U_ξ.
#include "per_isa.h"

/// Bᵀd for six values d0…d5 (floats or vectors), into r0…r5.
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

/// Lanes < n of v to p.
INLINE void store_lanes(float *p, v8 v, ptrdiff_t n) {
    if (n == 8) { STORE(v8, p, v); return; }
    float lanes[8];
    memcpy(lanes, &v, sizeof lanes);
    memcpy(p, lanes, sizeof(float) * n);
}

/// n floats from p in the first lanes, zeros in the rest.
INLINE v8 load_lanes(const float *p, ptrdiff_t n) {
    if (n == 8) return LOAD(v8, p);
    float lanes[8] = {0};
    memcpy(lanes, p, sizeof(float) * n);
    return LOAD(v8, lanes);
}

// Weights: U[ξ][i][o] = (G g Gᵀ)[ξ] for the kernel g from input channel i to output channel o of the convolution
// computed: w[o][i] (OIHW, w [outC, inC, 3, 3]), or with `flip` w[i][o] rotated by 180° (w [inC, outC, 3, 3]: the
// layer's weights, seen from its input gradient). Rows `first` ..< `first + count` of U (input channels).
INLINE void weights_body(const float *w, ptrdiff_t inC, ptrdiff_t outC, int flip, ptrdiff_t first, ptrdiff_t count,
                         float *U) {
    const float quarter = 1.0f / 4, sixth = 1.0f / 6, twelfth = 1.0f / 12, twentyfourth = 1.0f / 24;
    const ptrdiff_t s = inC * outC;
    for (ptrdiff_t i = first; i < first + count; i++) {
        // Eight output channels a pass, one per lane: 36 vector stores instead of 288 scalar ones (the 36 rows of U
        // lie inC·outC floats apart, the same cache set when that is a large power of two).
        for (ptrdiff_t o0 = 0; o0 < outC; o0 += 8) {
            const ptrdiff_t lanes = outC - o0 < 8 ? outC - o0 : 8;
            v8 g[9];
            for (int k = 0; k < 9; k++) {
                for (ptrdiff_t lane = 0; lane < 8; lane++) {
                    const ptrdiff_t o = o0 + (lane < lanes ? lane : 0);
                    g[k][lane] = flip ? w[(i * outC + o) * 9 + 8 - k] : w[(o * inC + i) * 9 + k];
                }
            }
            v8 t[6][3];   // G g
            for (int b = 0; b < 3; b++) {
                const v8 g0 = g[b], g1 = g[3 + b], g2 = g[6 + b];
                t[0][b] = g0 * quarter;
                t[1][b] = -(g0 + g1 + g2) * sixth;
                t[2][b] = -(g0 - g1 + g2) * sixth;
                t[3][b] = g0 * twentyfourth + g1 * twelfth + g2 * sixth;
                t[4][b] = g0 * twentyfourth - g1 * twelfth + g2 * sixth;
                t[5][b] = g2;
            }
            float *u = U + i * outC + o0;
            for (int a = 0; a < 6; a++, u += 6 * s) {   // (G g) Gᵀ
                const v8 g0 = t[a][0], g1 = t[a][1], g2 = t[a][2];
                store_lanes(u, g0 * quarter, lanes);
                store_lanes(u + s, -(g0 + g1 + g2) * sixth, lanes);
                store_lanes(u + 2 * s, -(g0 - g1 + g2) * sixth, lanes);
                store_lanes(u + 3 * s, g0 * twentyfourth + g1 * twelfth + g2 * sixth, lanes);
                store_lanes(u + 4 * s, g0 * twentyfourth - g1 * twelfth + g2 * sixth, lanes);
                store_lanes(u + 5 * s, g2, lanes);
            }
        }
    }
}

// Channels are handled eight at a time, one per vector lane: a block of eight channel planes is first interleaved
// (with the zero padding) into X8[image][row][column][8], so every window value of a tile is one contiguous vector
// load, both 1-D passes run on whole vectors, and each of the 36 results is one contiguous store into V [36, T, C].

/// The tiles of a chunk of images in order (image-major, then row-major): each one's image and tile row and column.
typedef struct { ptrdiff_t image, ty, tx, tilesH, tilesW; } TileCursor;

INLINE void tile_advance(TileCursor *c) {
    if (++c->tx < c->tilesW) return;
    c->tx = 0;
    if (++c->ty < c->tilesH) return;
    c->ty = 0;
    c->image++;
}

// Input: V[ξ][t][c] = (Bᵀ d B)[ξ] for the 6×6 window of channel c at rows 4ty − padTop …, columns 4tx − padLeft …
// (zeros outside the image) of every tile t = (image·tilesH + ty)·tilesW + tx of `count` images x [count, C, H, W].
// `scratch`: gb_winograd_scratch floats.
INLINE void input_body(const float *x, ptrdiff_t count, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t padTop,
                       ptrdiff_t padLeft, ptrdiff_t tilesH, ptrdiff_t tilesW, float *V, float *scratch) {
    const ptrdiff_t T = count * tilesH * tilesW;
    const ptrdiff_t Hp = 4 * tilesH + 2, Wp = 4 * tilesW + 2;   // the windows' extent
    float *X8 = scratch;                                        // [count, Hp, Wp, 8]
    for (ptrdiff_t c0 = 0; c0 < C; c0 += 8) {
        const ptrdiff_t lanes = C - c0 < 8 ? C - c0 : 8;   // lanes past C compute copies that are never stored
        for (ptrdiff_t n = 0; n < count; n++) {
            for (ptrdiff_t r = 0; r < Hp; r++) {
                float *row = X8 + (n * Hp + r) * Wp * 8;
                const ptrdiff_t iy = r - padTop;
                if (iy < 0 || iy >= H) { memset(row, 0, sizeof(float) * Wp * 8); continue; }
                const float *src[8];   // this row of each lane's channel (lanes past C repeat the last)
                for (ptrdiff_t lane = 0; lane < 8; lane++)
                    src[lane] = x + ((n * C + c0 + (lane < lanes ? lane : lanes - 1)) * H + iy) * W;
                const ptrdiff_t left = padLeft < Wp ? padLeft : Wp, right = W + left < Wp ? W + left : Wp;
                memset(row, 0, sizeof(float) * left * 8);
                for (ptrdiff_t p = left; p < right; p++) {
                    const ptrdiff_t ix = p - left;
                    const v8 column = { src[0][ix], src[1][ix], src[2][ix], src[3][ix], src[4][ix], src[5][ix], src[6][ix], src[7][ix] };
                    STORE(v8, row + p * 8, column);
                }
                memset(row + right * 8, 0, sizeof(float) * (Wp - right) * 8);
            }
        }
        TileCursor tile = { 0, 0, 0, tilesH, tilesW };
        for (ptrdiff_t t = 0; t < T; t++, tile_advance(&tile)) {
            const float *window = X8 + ((tile.image * Hp + 4 * tile.ty) * Wp + 4 * tile.tx) * 8;
            v8 e[6][6];   // e[i][l] = (Bᵀ d)[i][l]
            for (int l = 0; l < 6; l++) {
                const float *column = window + l * 8;
                INPUT_1D(LOAD(v8, column), LOAD(v8, column + Wp * 8), LOAD(v8, column + 2 * Wp * 8),
                         LOAD(v8, column + 3 * Wp * 8), LOAD(v8, column + 4 * Wp * 8), LOAD(v8, column + 5 * Wp * 8),
                         e[0][l], e[1][l], e[2][l], e[3][l], e[4][l], e[5][l]);
            }
            float *v = V + t * C + c0;
            const ptrdiff_t step = T * C;   // between tile positions ξ
            for (int i = 0; i < 6; i++) {
                v8 r[6];
                INPUT_1D(e[i][0], e[i][1], e[i][2], e[i][3], e[i][4], e[i][5], r[0], r[1], r[2], r[3], r[4], r[5]);
                for (int j = 0; j < 6; j++) store_lanes(v + (i * 6 + j) * step, r[j], lanes);
            }
        }
    }
}

// Output: y[image][o][4ty + a][4tx + b] = (Aᵀ M A)[a][b] (+ bias[o]) for every tile t of `count` images y [count, O,
// OH, OW], from M[ξ][t][o] (T = count·tilesH·tilesW tiles); outputs past OH × OW are dropped. Eight output channels
// a pass, one per lane.
INLINE void output_body(const float *M, ptrdiff_t count, ptrdiff_t O, ptrdiff_t tilesH, ptrdiff_t tilesW,
                        const float *bias, float *y, ptrdiff_t OH, ptrdiff_t OW) {
    const ptrdiff_t T = count * tilesH * tilesW, step = T * O;
    for (ptrdiff_t o0 = 0; o0 < O; o0 += 8) {
        const ptrdiff_t lanes = O - o0 < 8 ? O - o0 : 8;
        const v8 shift = bias ? load_lanes(bias + o0, lanes) : (v8){0};
        TileCursor tile = { 0, 0, 0, tilesH, tilesW };
        for (ptrdiff_t t = 0; t < T; t++, tile_advance(&tile)) {
            const float *m = M + t * O + o0;
            v8 e[4][6];   // e[a][j] = (Aᵀ m)[a][j]
            for (int j = 0; j < 6; j++) {
                OUTPUT_1D(load_lanes(m + j * step, lanes), load_lanes(m + (6 + j) * step, lanes),
                          load_lanes(m + (12 + j) * step, lanes), load_lanes(m + (18 + j) * step, lanes),
                          load_lanes(m + (24 + j) * step, lanes), load_lanes(m + (30 + j) * step, lanes),
                          e[0][j], e[1][j], e[2][j], e[3][j]);
            }
            const ptrdiff_t oy = 4 * tile.ty, ox = 4 * tile.tx;
            const ptrdiff_t rows = OH - oy < 4 ? OH - oy : 4, cols = OW - ox < 4 ? OW - ox : 4;
            float *out = y + ((tile.image * O + o0) * OH + oy) * OW + ox;
            for (ptrdiff_t a = 0; a < rows; a++) {
                v8 r[4];
                OUTPUT_1D(e[a][0], e[a][1], e[a][2], e[a][3], e[a][4], e[a][5], r[0], r[1], r[2], r[3]);
                float values[4][8];
                for (int b = 0; b < 4; b++) STORE(v8, values[b], r[b] + shift);
                for (ptrdiff_t lane = 0; lane < lanes; lane++) {
                    float *dst = out + lane * OH * OW + a * OW;
                    for (ptrdiff_t b = 0; b < cols; b++) dst[b] = values[b][lane];
                }
            }
        }
    }
}

#define WEIGHTS_PARAMS const float *w, ptrdiff_t inC, ptrdiff_t outC, int flip, ptrdiff_t first, ptrdiff_t count, float *U
#define WEIGHTS_ARGS w, inC, outC, flip, first, count, U
#define INPUT_PARAMS const float *x, ptrdiff_t count, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t padTop, \
                     ptrdiff_t padLeft, ptrdiff_t tilesH, ptrdiff_t tilesW, float *V, float *scratch
#define INPUT_ARGS x, count, C, H, W, padTop, padLeft, tilesH, tilesW, V, scratch
#define OUTPUT_PARAMS const float *M, ptrdiff_t count, ptrdiff_t O, ptrdiff_t tilesH, ptrdiff_t tilesW, \
                      const float *bias, float *y, ptrdiff_t OH, ptrdiff_t OW
#define OUTPUT_ARGS M, count, O, tilesH, tilesW, bias, y, OH, OW

GB_PER_ISA(gb_winograd_weights, weights_body, WEIGHTS_PARAMS, WEIGHTS_ARGS)
GB_PER_ISA(gb_winograd_input, input_body, INPUT_PARAMS, INPUT_ARGS)
GB_PER_ISA(gb_winograd_output, output_body, OUTPUT_PARAMS, OUTPUT_ARGS)

ptrdiff_t gb_winograd_scratch(ptrdiff_t count, ptrdiff_t tilesH, ptrdiff_t tilesW) {
    return count * (4 * tilesH + 2) * (4 * tilesW + 2) * 8;
}
