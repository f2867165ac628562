// Splitting a row into its even and odd columns (a row's stride-2 phases), one copy per instruction set; the body is
// in depthwise_rows.h. Shapes: src [n] → even [(n + 1) / 2], odd [n / 2].
#include "depthwise_rows.h"

#define DEINTERLEAVE_PARAMS const float *src, ptrdiff_t n, float *even, float *odd
#define DEINTERLEAVE_ARGS src, n, even, odd

GB_PER_ISA(gb_deinterleave2, deinterleave_body, DEINTERLEAVE_PARAMS, DEINTERLEAVE_ARGS)
