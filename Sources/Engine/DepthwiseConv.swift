import CKernels

/// Direct depthwise convolution: groups == C, one filter per channel (or m per channel: O = m·C),
/// any kernel size, stride, dilation and explicit asymmetric padding. No im2col, no GEMM.
///
/// x: [N, C, H, W], w: [C·m, 1, kH, kW], bias: [C·m], y: [N, C·m, OH, OW]; output channel o reads
/// input channel o / m. Each input plane is copied once into a zero-padded, stride-phase-split buffer
/// (`DepthwisePlan`); every output row is then a register-accumulated sum of kH·kW contiguous shifted
/// rows of it (the C gather), with no padding checks and no strided loads; the forward runs a worker's whole range of
/// planes in one C call (`gb_depthwise_forward_planes`: split, gather, crop). Backward-data
/// is the same gather from the input side over a padded dy; backward-weights are dot products of dy
/// rows with the same shifted rows. The padding lives in the copies, so there is no separate border code.
/// Forward is parallel over (image, input channel) planes; backward over input channels, so each
/// worker owns its channels' weight and bias gradients and results do not depend on the thread count.
/// The naive reference is `ConvReference` (the seven-loop convolution), which the tests compare against.
public enum DepthwiseConv {
    /// Whether `g` is a depthwise convolution this kernel handles (groups == C > 1, O a multiple of C).
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.groups > 1 && g.groups == g.inChannels && g.outChannels % g.groups == 0
            && Swift.min(g.padTop, g.padBottom, g.padLeft, g.padRight) >= 0
    }

    /// Multiply-adds below which a worker is not worth dispatching (dispatch costs ~10 µs).
    static let minWorkPerThread = 1 << 17

    /// y = relu(depthwise(x, w) + bias), the activation applied as the kernel stores (none without `relu`).
    // x: [N,C,H,W], w: [C·m,1,kH,kW], bias: [C·m], y: [N,C·m,OH,OW]
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, relu: FusedReLU? = nil) {
        let plan = DepthwisePlan(g)
        let (C, OH, OW, m, kk) = (g.inChannels, g.outHeight, g.outWidth, plan.m, plan.kk)
        let phases = g.strideH * g.strideW
        let (yp, bp) = (UncheckedSendable(y), UncheckedSendable(bias))
        parallelFor(g.batch * C, minPerThread: Swift.max(1, minWorkPerThread / Swift.max(1, m * OH * OW * kk))) { planes in
            let input = DepthwisePlan.zeroed(phases * plan.phaseSize)
            let grid = plan.flat ? DepthwisePlan.zeroed(OH * plan.wq) : nil
            defer { input.deallocate(); grid?.deallocate() }
            plan.withKernelPlan { kernelPlan in
                FusedReLU.withKernelForm(relu) { relu in
                    withUnsafeTemporaryAllocation(of: Tap.self, capacity: kk) { taps in
                        gb_depthwise_forward_planes(kernelPlan, x, w, bp.value, yp.value, planes.lowerBound, planes.upperBound,
                                                    input, grid, taps.baseAddress, relu)
                    }
                }
            }
        }
    }

    /// Gradients of `forward`: dx overwritten (skip with nil); dw and dbias accumulated (skip with nil).
    // x: [N,C,H,W], w: [C·m,1,kH,kW], dy: [N,C·m,OH,OW], dx: [N,C,H,W], dw: [C·m,1,kH,kW], dbias: [C·m]
    public static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                dbias: UnsafeMutablePointer<Float>?, _ g: ConvGeometry) {
        let plan = DepthwisePlan(g)
        let (N, C, H, W, OH, OW) = (g.batch, g.inChannels, g.height, g.width, g.outHeight, g.outWidth)
        let (m, kk, wq, wd, phases) = (plan.m, plan.kk, plan.wq, plan.wd, g.strideH * g.strideW)
        let OHW = OH * OW
        parallelFor(C, minPerThread: Swift.max(1, minWorkPerThread / Swift.max(1, N * m * OHW * kk))) { channels in
            // Per worker: x's padded phases and (small maps) dy on the flat [OH, Wq] grid, for dw; the m padded
            // dy planes and dx's phase grids, for dx; the m·(kk + 1) dw/dbias accumulators of one channel.
            let input = dw == nil ? nil : DepthwisePlan.zeroed(phases * plan.phaseSize)
            let dyGrid = dw == nil || !plan.flat ? nil : DepthwisePlan.zeroed(OH * wq)
            let dyPad = dx == nil ? nil : DepthwisePlan.zeroed(m * plan.dyPadSize)
            let dxGrid = dx == nil || plan.dxDirect ? nil : DepthwisePlan.zeroed(phases * plan.hq * wd)
            let slots = m * (kk + 1)
            let vector = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: slots)
            let scalar = UnsafeMutablePointer<Float>.allocate(capacity: slots)
            defer {
                for p in [input, dyGrid, dyPad, dxGrid] { p?.deallocate() }
                vector.deallocate(); scalar.deallocate()
            }
            plan.withKernelPlan { kernelPlan in withUnsafeTemporaryAllocation(of: Tap.self, capacity: m * kk) { buffer in
                let taps = buffer.baseAddress!
                for c in channels {
                    vector.initialize(repeating: SIMD8(), count: slots)
                    scalar.initialize(repeating: 0, count: slots)
                    for n in 0..<N {
                        let p = n * C + c
                        let dyc = dy + p * m * OHW   // the m output planes of input channel c, contiguous
                        if let input {
                            gb_depthwise_split(kernelPlan, x + p * H * W, input)
                            for k in 0..<m {
                                var (d, ldd, rows, cols) = (dyc + k * OHW, OW, OH, OW)
                                if let dyGrid {   // flat: dy on the [OH, Wq] grid, its extra columns zero
                                    plan.copyRows(d, ld: OW, into: dyGrid, ld: wq, rows: OH, cols: OW)
                                    (d, ldd, rows, cols) = (UnsafePointer(dyGrid), 0, 1, OH * wq)
                                }
                                @inline(__always) func source(_ t: Int) -> UnsafePointer<Float> {
                                    UnsafePointer(input + plan.tapSource[t])
                                }
                                var t = 0
                                while t + 3 <= kk {   // three kernel positions per pass over dy
                                    DepthwiseRows.dot3(d, lda: ldd, (source(t), source(t + 1), source(t + 2)), ldb: wq, rows: rows, cols: cols,
                                                       vector + k * kk + t, scalar + k * kk + t)
                                    t += 3
                                }
                                for t in t..<kk {
                                    DepthwiseRows.dot(d, lda: ldd, source(t), ldb: wq, rows: rows, cols: cols, vector + k * kk + t, scalar + k * kk + t)
                                }
                            }
                        }
                        if dbias != nil {
                            for k in 0..<m { DepthwiseRows.sum(dyc + k * OHW, OHW, vector + m * kk + k, scalar + m * kk + k) }
                        }
                        if let dx, let dyPad {
                            for k in 0..<m { plan.padOutputGradient(dyc + k * OHW, dyPad + k * plan.dyPadSize) }
                            inputGradient(plan, channel: c, w: w, dyPad: dyPad, dx: dx + p * H * W, grid: dxGrid, taps)
                        }
                    }
                    for k in 0..<m {
                        let o = c * m + k
                        if let dw { for t in 0..<kk { dw[o * kk + t] += vector[k * kk + t].sum() + scalar[k * kk + t] } }
                        if let dbias { dbias[o] += vector[m * kk + k].sum() + scalar[m * kk + k] }
                    }
                }
            } }
        }
    }

    /// dx plane of input channel `channel` from its m padded dy planes: each stride phase (a, b) of the
    /// padded dx is the sum of the dy planes shifted by the kernel positions that land on that phase.
    // dyPad: m blocks of [Hd, Wd] (plan.dyPadSize apart), dx: [H, W] (overwritten), grid: sH·sW blocks of [Hq, Wd]
    static func inputGradient(_ plan: DepthwisePlan, channel c: Int, w: UnsafePointer<Float>, dyPad: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>, grid: UnsafeMutablePointer<Float>?, _ taps: UnsafeMutablePointer<Tap>) {
        let g = plan.g
        let (m, kk, wd, hq) = (plan.m, plan.kk, plan.wd, plan.hq)
        guard let grid else {   // stride 1, wide rows: gather straight into dx, starting at padded (padTop, padLeft)
            let shift = g.padTop * wd + g.padLeft
            for k in 0..<m {
                for t in 0..<kk {
                    taps[k * kk + t] = Tap(weight: w[(c * m + k) * kk + t], source: dyPad + k * plan.dyPadSize + plan.dataOffset[t] + shift)
                }
            }
            DepthwiseRows.gather(dx, ldo: g.width, rows: g.height, cols: g.width, ldi: wd, initial: 0, taps, m * kk)
            return
        }
        for phase in 0..<(g.strideH * g.strideW) {
            var n = 0
            for k in 0..<m {
                for t in 0..<kk where plan.tapPhase[t] == phase {
                    taps[n] = Tap(weight: w[(c * m + k) * kk + t], source: dyPad + k * plan.dyPadSize + plan.dataOffset[t])
                    n += 1
                }
            }
            DepthwiseRows.gather(grid + phase * hq * wd, ldo: 0, rows: 1, cols: hq * wd, ldi: 0, initial: 0, taps, n)
        }
        plan.mergeInputGradient(grid, dx)
    }
}
