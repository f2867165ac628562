// Depthwise convolution rows (see DepthwiseRows.swift), one copy per instruction set; the body is in depthwise_rows.h.
#include "depthwise_rows.h"

GB_PER_ISA(gb_depthwise_gather, gather_body, GATHER_PARAMS, GATHER_ARGS)
