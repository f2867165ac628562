// What the per-instruction-set kernels share: vector types, unaligned loads and stores, and GB_PER_ISA, which builds
// a body once per instruction set and defines the public function that runs the build `gb_isa_current` names.
#ifndef GROWINGBRAIN_PER_ISA_H
#define GROWINGBRAIN_PER_ISA_H

#include <stdint.h>
#include <string.h>
#include "CKernels.h"

#define INLINE static inline __attribute__((always_inline))

typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef int32_t v16i __attribute__((vector_size(64)));

/// a where mask (all ones, as a comparison gives), else b: a selection without a branch.
#define SELECT(T, I, mask, a, b) ((T)(((mask) & (I)(a)) | (~(mask) & (I)(b))))

#define LOAD(T, p) ({ T v_; memcpy(&v_, (p), sizeof(T)); v_; })
#define STORE(T, p, v) do { T v_ = (v); memcpy((p), &v_, sizeof(T)); } while (0)
#define SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)

/// `GBReLU` on a vector or a scalar: maxnum sends NaN to 0, as NN's ReLU does.
#define RELU_CAP(v, zero, cap) __builtin_elementwise_min(__builtin_elementwise_max((v), (zero)), (cap))

#if defined(__x86_64__)
#define GB_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define GB_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else   // other architectures: three baseline builds (gb_isa_current is always baseline there)
#define GB_TARGET_AVX512
#define GB_TARGET_AVX2
#endif

/// Defines `void name(PARAMS)`: `body(ARGS)` (an INLINE function) compiled for AVX-512, AVX2 + FMA and baseline,
/// dispatched on `gb_isa_current()`. PARAMS and ARGS are names of macros holding the parameter and argument lists.
#define GB_PER_ISA(name, body, PARAMS, ARGS)                                  \
    GB_TARGET_AVX512 static void name##_avx512(PARAMS) { body(ARGS); }        \
    GB_TARGET_AVX2 static void name##_avx2(PARAMS) { body(ARGS); }            \
    static void name##_baseline(PARAMS) { body(ARGS); }                       \
    void name(PARAMS) {                                                       \
        switch (gb_isa_current()) {                                           \
        case GB_ISA_AVX512: name##_avx512(ARGS); break;                       \
        case GB_ISA_AVX2: name##_avx2(ARGS); break;                           \
        default: name##_baseline(ARGS); break;                                \
        }                                                                     \
    }

#endif
