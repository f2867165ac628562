// Depthwise convolution rows (see DepthwiseRows.swift), one copy per instruction set.
// Shapes: out [rows, ldo], each tap's source [rows, ldi]; cols ≤ ldo, cols ≤ ldi (padded sources, no bounds checks).
#include <stdlib.h>
#include <string.h>
#include "CKernels.h"

typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));

#define LOAD(T, p) ({ T v_; memcpy(&v_, (p), sizeof(T)); v_; })
#define STORE(T, p, v) do { T v_ = (v); memcpy((p), &v_, sizeof(T)); } while (0)

// The body, stamped out once per target: 64 columns at a time in four 16-wide sums (independent adds hide the
// latency), then 16, then 8; a last partial chunk is recomputed ending at cols (same values); rows shorter than 8 run scalar.
#define GATHER_BODY                                                                                          \
    for (ptrdiff_t r = 0; r < rows; r++) {                                                                  \
        float *o = out + r * ldo;                                                                           \
        const ptrdiff_t shift = r * ldi;                                                                    \
        if (cols < 8) {                                                                                     \
            for (ptrdiff_t j = 0; j < cols; j++) {                                                          \
                float s = initial;                                                                          \
                for (ptrdiff_t t = 0; t < n; t++) s += taps[t].source[shift + j] * taps[t].weight;          \
                o[j] = s;                                                                                   \
            }                                                                                               \
            continue;                                                                                       \
        }                                                                                                   \
        ptrdiff_t j = 0;                                                                                    \
        const v16 start16 = (v16){0} + initial;                                                             \
        for (; j + 64 <= cols; j += 64) {                                                                   \
            v16 a = start16, b = start16, c = start16, d = start16;                                        \
            for (ptrdiff_t t = 0; t < n; t++) {                                                             \
                const float *s = taps[t].source + shift + j;                                                \
                const float w = taps[t].weight;                                                             \
                a += LOAD(v16, s) * w; b += LOAD(v16, s + 16) * w;                                          \
                c += LOAD(v16, s + 32) * w; d += LOAD(v16, s + 48) * w;                                     \
            }                                                                                               \
            STORE(v16, o + j, a); STORE(v16, o + j + 16, b); STORE(v16, o + j + 32, c); STORE(v16, o + j + 48, d); \
        }                                                                                                   \
        for (; j + 16 <= cols; j += 16) {                                                                   \
            v16 a = start16;                                                                                \
            for (ptrdiff_t t = 0; t < n; t++) a += LOAD(v16, taps[t].source + shift + j) * taps[t].weight;  \
            STORE(v16, o + j, a);                                                                           \
        }                                                                                                   \
        const v8 start8 = (v8){0} + initial;                                                                \
        for (; j + 8 <= cols; j += 8) {                                                                     \
            v8 a = start8;                                                                                  \
            for (ptrdiff_t t = 0; t < n; t++) a += LOAD(v8, taps[t].source + shift + j) * taps[t].weight;   \
            STORE(v8, o + j, a);                                                                            \
        }                                                                                                   \
        if (j < cols) {                                                                                     \
            j = cols - 8;                                                                                   \
            v8 a = start8;                                                                                  \
            for (ptrdiff_t t = 0; t < n; t++) a += LOAD(v8, taps[t].source + shift + j) * taps[t].weight;   \
            STORE(v8, o + j, a);                                                                            \
        }                                                                                                   \
    }

#define GATHER_PARAMS float *out, ptrdiff_t ldo, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t ldi, float initial, \
                      const GBTap *taps, ptrdiff_t n

static void gather_baseline(GATHER_PARAMS) { GATHER_BODY }

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512vl,avx2,fma")))
static void gather_avx512(GATHER_PARAMS) { GATHER_BODY }

__attribute__((target("avx2,fma")))
static void gather_avx2(GATHER_PARAMS) { GATHER_BODY }

GBISA gb_isa_supported(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return GB_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GB_ISA_AVX2;
    return GB_ISA_BASELINE;
}
#else   // other architectures: the baseline build only
#define gather_avx512 gather_baseline
#define gather_avx2 gather_baseline
GBISA gb_isa_supported(void) { return GB_ISA_BASELINE; }
#endif

static int selected = -1;   // written once by the first call (same value from any thread), or by gb_isa_select

/// `isa`, or the CPU's best if that is lower.
static GBISA supported_up_to(GBISA isa) {
    GBISA best = gb_isa_supported();
    return isa < best ? isa : best;
}

/// The CPU's best, capped by GROW_MAX_ISA ("avx2" or "baseline"), which benchmarks set to stand in for an older CPU.
static GBISA initial_isa(void) {
    const char *cap = getenv("GROW_MAX_ISA");
    if (cap && strcmp(cap, "avx2") == 0) return supported_up_to(GB_ISA_AVX2);
    if (cap && strcmp(cap, "baseline") == 0) return supported_up_to(GB_ISA_BASELINE);
    return gb_isa_supported();
}

GBISA gb_isa_current(void) {
    int s = __atomic_load_n(&selected, __ATOMIC_RELAXED);
    if (s < 0) { s = (int)initial_isa(); __atomic_store_n(&selected, s, __ATOMIC_RELAXED); }
    return (GBISA)s;
}

void gb_isa_select(GBISA isa) {
    __atomic_store_n(&selected, (int)supported_up_to(isa), __ATOMIC_RELAXED);
}

void gb_depthwise_gather(GATHER_PARAMS) {
    switch (gb_isa_current()) {
    case GB_ISA_AVX512: gather_avx512(out, ldo, rows, cols, ldi, initial, taps, n); break;
    case GB_ISA_AVX2: gather_avx2(out, ldo, rows, cols, ldi, initial, taps, n); break;
    default: gather_baseline(out, ldo, rows, cols, ldi, initial, taps, n); break;
    }
}
