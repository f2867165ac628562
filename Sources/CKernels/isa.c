// Which build of the per-instruction-set kernels runs (see per_isa.h): the CPU's best, capped by GROW_MAX_ISA or by
// gb_isa_select.
#include <stdlib.h>
#include <string.h>
#include "CKernels.h"

#if defined(__x86_64__)
GBISA gb_isa_supported(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return GB_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GB_ISA_AVX2;
    return GB_ISA_BASELINE;
}
#else   // other architectures: the baseline build only
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
