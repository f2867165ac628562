/// Direct depthwise convolution: groups == C, one filter per channel (or m per channel: O = m·C),
/// any kernel size, stride, dilation and explicit asymmetric padding. No im2col, no GEMM.
///
/// x: [N, C, H, W], w: [C·m, 1, kH, kW], bias: [C·m], y: [N, C·m, OH, OW]; output channel o reads
/// input channel o / m. Each output row is a sum of kH·kW shifted input rows (`DepthwiseRows.gather`:
/// checked border, unchecked 8-wide interior). A horizontal stride s splits every input row into its
/// s phases first, so the taps of every inner loop are contiguous. Backward-data is the same gather
/// seen from the input side (dx row = Σ shifted dy rows), per stride phase of the dx row.
/// Forward is parallel over (image, input channel) planes; backward over input channels, so each
/// worker owns its channels' weight and bias gradients and results do not depend on the thread count.
/// The naive reference is `ConvReference` (the seven-loop convolution), which the tests compare against.
public enum DepthwiseConv {
    /// Whether `g` is a depthwise convolution this kernel handles (groups == C > 1, O a multiple of C).
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.groups > 1 && g.groups == g.inChannels && g.outChannels % g.groups == 0
    }

    /// Multiply-adds below which a worker is not worth dispatching (dispatch costs ~10 µs).
    static let minWorkPerThread = 1 << 17

    /// y = depthwise(x, w) + bias.
    // x: [N,C,H,W], w: [C·m,1,kH,kW], bias: [C·m], y: [N,C·m,OH,OW]
    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (C, H, W, OW) = (g.inChannels, g.height, g.width, g.outWidth)
        let (m, kk, sW, OHW) = (g.outChannels / C, g.kernelH * g.kernelW, g.strideW, g.outHeight * g.outWidth)
        let planeWork = Swift.max(1, m * OHW * kk)
        parallelFor(g.batch * C, minPerThread: Swift.max(1, minWorkPerThread / planeWork)) { planes in
            let phases = sW > 1 ? UnsafeMutablePointer<Float>.allocate(capacity: H * sW * DepthwiseRows.phaseWidth(W, sW)) : nil
            defer { phases?.deallocate() }
            withUnsafeTemporaryAllocation(of: Tap.self, capacity: kk) { buffer in
                let taps = buffer.baseAddress!
                for p in planes {   // p = n·C + c
                    var input = x + p * H * W
                    if let phases {
                        DepthwiseRows.splitPhases(input, height: H, width: W, stride: sW, phases)
                        input = UnsafePointer(phases)
                    }
                    for k in 0..<m {
                        let o = (p % C) * m + k
                        let yo = y + (p * m + k) * OHW
                        for oy in 0..<g.outHeight {
                            let n = forwardTaps(g, row: oy, input: input, weights: w + o * kk, taps)
                            DepthwiseRows.gather(yo + oy * OW, count: OW, initial: bias?[o] ?? 0, taps, n)
                        }
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
        let (N, C, H, W) = (g.batch, g.inChannels, g.height, g.width)
        let (m, kk, sW, OW, OHW) = (g.outChannels / C, g.kernelH * g.kernelW, g.strideW, g.outWidth, g.outHeight * g.outWidth)
        let wp = DepthwiseRows.phaseWidth(W, sW)
        let channelWork = Swift.max(1, N * m * OHW * kk)
        parallelFor(C, minPerThread: Swift.max(1, minWorkPerThread / channelWork)) { channels in
            // Per worker: x's phases (strided weight gradient), one dx row's phases (strided dx),
            // and the weight/bias gradient accumulators of one input channel's m filters.
            let xPhases = sW > 1 && dw != nil ? UnsafeMutablePointer<Float>.allocate(capacity: H * sW * wp) : nil
            let rowPhases = sW > 1 && dx != nil ? UnsafeMutablePointer<Float>.allocate(capacity: sW * wp) : nil
            let vector = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: m * (kk + 1))
            let scalar = UnsafeMutablePointer<Float>.allocate(capacity: m * (kk + 1))
            defer { xPhases?.deallocate(); rowPhases?.deallocate(); vector.deallocate(); scalar.deallocate() }
            withUnsafeTemporaryAllocation(of: Tap.self, capacity: m * kk) { buffer in
                let taps = buffer.baseAddress!
                for c in channels {
                    vector.initialize(repeating: SIMD8(), count: m * (kk + 1))
                    scalar.initialize(repeating: 0, count: m * (kk + 1))
                    for n in 0..<N {
                        let p = n * C + c
                        let dyc = dy + p * m * OHW   // the m output planes of input channel c, contiguous
                        if dw != nil {
                            var input = x + p * H * W
                            if let xPhases {
                                DepthwiseRows.splitPhases(input, height: H, width: W, stride: sW, xPhases)
                                input = UnsafePointer(xPhases)
                            }
                            for k in 0..<m {
                                let slots = k * kk
                                for oy in 0..<g.outHeight {
                                    let d = dyc + k * OHW + oy * OW
                                    let count = forwardTaps(g, row: oy, input: input, weights: w, taps)
                                    for t in 0..<count where taps[t].lo < taps[t].hi {
                                        DepthwiseRows.dot(d, taps[t].source, taps[t].lo, taps[t].hi,
                                                          vector + slots + taps[t].index, scalar + slots + taps[t].index)
                                    }
                                }
                            }
                        }
                        if dbias != nil {
                            for k in 0..<m { DepthwiseRows.sum(dyc + k * OHW, OHW, vector + m * kk + k, scalar + m * kk + k) }
                        }
                        if let dx {
                            let dxc = dx + p * H * W
                            for iy in 0..<H {
                                guard let rowPhases else {
                                    let count = dataTaps(g, row: iy, phase: 0, dy: dyc, weights: w + c * m * kk, taps)
                                    DepthwiseRows.gather(dxc + iy * W, count: W, initial: 0, taps, count)
                                    continue
                                }
                                for r in 0..<sW {
                                    let count = dataTaps(g, row: iy, phase: r, dy: dyc, weights: w + c * m * kk, taps)
                                    DepthwiseRows.gather(rowPhases + r * wp, count: (W - r + sW - 1) / sW, initial: 0, taps, count)
                                }
                                DepthwiseRows.mergePhases(rowPhases, width: W, stride: sW, dxc + iy * W)
                            }
                        }
                    }
                    for k in 0..<m {
                        let o = c * m + k
                        if let dw { for t in 0..<kk { dw[o * kk + t] += vector[k * kk + t].sum() + scalar[k * kk + t] } }
                        if let dbias { dbias[o] += vector[m * kk + k].sum() + scalar[m * kk + k] }
                    }
                }
            }
        }
    }

    /// The taps of output row `row`: every kernel position whose input row lies inside the image,
    /// reading `input` (the plane, or its stride phases when strideW > 1). Output column j of tap
    /// (ki, kj) reads input column j·sW + kj·dW − padLeft. Returns the tap count.
    @inline(__always)
    static func forwardTaps(_ g: ConvGeometry, row oy: Int, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                            _ taps: UnsafeMutablePointer<Tap>) -> Int {
        let (H, W, sW, kW) = (g.height, g.width, g.strideW, g.kernelW)
        let wp = DepthwiseRows.phaseWidth(W, sW)
        var n = 0
        for ki in 0..<g.kernelH {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            if iy < 0 || iy >= H { continue }
            for kj in 0..<kW {
                let off = kj * g.dilationW - g.padLeft
                let r = ((off % sW) + sW) % sW, q = (off - r) / sW     // column j·sW + off is phase r, index j + q
                let lo = off >= 0 ? 0 : (-off + sW - 1) / sW            // first j with j·sW + off ≥ 0
                let hi = off > W - 1 ? 0 : (W - 1 - off) / sW + 1       // first j with j·sW + off ≥ W
                taps[n] = Tap(weight: weights[ki * kW + kj], source: input + (iy * sW + r) * wp + q,
                              lo: lo, hi: Swift.min(hi, g.outWidth), index: ki * kW + kj)
                n += 1
            }
        }
        return n
    }

    /// The taps of input row `row`, stride phase `phase` (columns ix = phase + sW·j): every output
    /// position (k, oy, ox) of input channel c's m filters that reads it, from dy planes `dy` [m, OH, OW]
    /// and filters `weights` [m, kH, kW]. Returns the tap count.
    @inline(__always)
    static func dataTaps(_ g: ConvGeometry, row iy: Int, phase r: Int, dy: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                         _ taps: UnsafeMutablePointer<Tap>) -> Int {
        let (OH, OW, sH, sW, kH, kW) = (g.outHeight, g.outWidth, g.strideH, g.strideW, g.kernelH, g.kernelW)
        var n = 0
        for k in 0..<(g.outChannels / g.inChannels) {
            for ki in 0..<kH {
                let t = iy + g.padTop - ki * g.dilationH        // = oy·sH
                if t < 0 || t % sH != 0 || t / sH >= OH { continue }
                let dyRow = dy + (k * OH + t / sH) * OW
                for kj in 0..<kW {
                    let u = r + g.padLeft - kj * g.dilationW      // = ox·sW − sW·j
                    if u % sW != 0 { continue }
                    let e = u / sW                                // exact: ox = j + e
                    taps[n] = Tap(weight: weights[(k * kH + ki) * kW + kj], source: dyRow + e,
                                  lo: Swift.max(0, -e), hi: OW - e, index: ki * kW + kj)
                    n += 1
                }
            }
        }
        return n
    }
}
