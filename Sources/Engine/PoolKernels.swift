import CKernels

/// Pooling kernels over NCHW planes, with naive references beside them.
///
/// x: [N, C, H, W] → y: [N, C, OH, OW], window/stride/padding from `ConvGeometry`
/// (inChannels = channels; outChannels unused). Planes run in parallel.
public enum PoolKernels {
    /// Max pooling; `argmax` (when given: training keeps it for backward) receives, per output, the flat index
    /// inside its input plane (−1 if the window held only padding, which cannot happen for padding < kernel).
    /// With `relu`, y = relu(max pool of x) — the same as pooling relu(x), the activation being monotone — and the
    /// arg-max is −1 where the maximum is not inside (0, cap), where the ReLU passes no gradient: a ReLU before the
    /// pool without its own pass over the larger input (training's fusion, `Sequential`).
    public static func maxForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                  argmax: UnsafeMutablePointer<Int32>?, _ g: ConvGeometry, relu: FusedReLU? = nil) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let planes = g.batch * g.inChannels
        let (xs, ys, as_) = (UncheckedSendable(x), UncheckedSendable(y), UncheckedSendable(argmax))
        parallelFor(planes, minPerThread: Swift.max(1, 262_144 / Swift.max(H * W, 1))) { range in
            if isPlain2x2(g) {
                FusedReLU.withKernelForm(relu) { r in
                    gb_maxpool2x2(xs.value + range.lowerBound * H * W, ys.value + range.lowerBound * OH * OW,
                                  as_.value.map { $0 + range.lowerBound * OH * OW }, range.count, H, W, r)
                }
                return
            }
            // One output row's column maxima over its window's rows, [W] values and their rows, reused across planes.
            let columnMax = UnsafeMutablePointer<Float>.allocate(capacity: W), columnRow = UnsafeMutablePointer<Int32>.allocate(capacity: W)
            defer { columnMax.deallocate(); columnRow.deallocate() }
            for p in range {
                maxColumnsFirst(xs.value + p * H * W, ys.value + p * OH * OW, as_.value.map { $0 + p * OH * OW }, g, columnMax, columnRow)
            }
            guard let relu else { return }
            let first = range.lowerBound * OH * OW, count = range.count * OH * OW
            if let a = as_.value {
                for i in first..<(first + count) where !(ys.value[i] > 0 && ys.value[i] < relu.cap) { a[i] = -1 }
            }
            FusedReLU.withKernelForm(relu) { r in gb_rows_bias_relu(ys.value + first, count, ys.value + first, count, 1, count, nil, r) }
        }
    }

    /// The 2×2 window at stride 2 without padding, which `gb_maxpool2x2` runs (eight outputs a vector) with a dense backward.
    static func isPlain2x2(_ g: ConvGeometry) -> Bool {
        g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padTop == 0 && g.padLeft == 0
    }

    /// Any window as two passes per output row: the maximum down each input column over the window's rows
    /// (16 columns at a time, the top row winning ties), then the maximum of those across each window's columns,
    /// ties to the smaller row, then the left column: the first maximum in row-major order, the naive scan's
    /// choice. ResNet-18's 3×3/2 pool at batch 32, 64 px (AMD EPYC, 2 threads): 5.5 ms with the earlier
    /// rows-first scalar version, which itself replaced a per-window scan (17.5 ms at 1 thread).
    /// x: [H, W] → y, argmax: [OH, OW]; columnMax, columnRow: [W] scratch.
    @inline(__always)
    static func maxColumnsFirst(_ xp: UnsafePointer<Float>, _ yp: UnsafeMutablePointer<Float>, _ ap: UnsafeMutablePointer<Int32>?,
                                _ g: ConvGeometry, _ columnMax: UnsafeMutablePointer<Float>, _ columnRow: UnsafeMutablePointer<Int32>) {
        let (H, W, OW) = (g.height, g.width, g.outWidth)
        let tracksIndex = ap != nil
        for oy in 0..<g.outHeight {
            let y0 = oy * g.strideH - g.padTop
            let top = Swift.max(y0, 0), bottom = Swift.min(y0 + g.kernelH, H)
            let y = yp + oy * OW
            guard top < bottom else {
                y.update(repeating: -.infinity, count: OW)
                ap?.advanced(by: oy * OW).update(repeating: -1, count: OW)
                continue
            }
            columnMax.update(from: xp + top * W, count: W)
            if tracksIndex { columnRow.update(repeating: Int32(top), count: W) }
            for iy in (top + 1)..<Swift.max(bottom, top + 1) {
                let row = xp + iy * W
                let rowIndex = SIMD16<Int32>(repeating: Int32(iy))
                var i = 0
                while i + 16 <= W {
                    let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self)
                    let m = UnsafeRawPointer(columnMax + i).loadUnaligned(as: SIMD16<Float>.self)
                    let better = v .> m
                    UnsafeMutableRawPointer(columnMax + i).storeBytes(of: m.replacing(with: v, where: better), as: SIMD16<Float>.self)
                    if tracksIndex {
                        let r = UnsafeRawPointer(columnRow + i).loadUnaligned(as: SIMD16<Int32>.self)
                        UnsafeMutableRawPointer(columnRow + i).storeBytes(of: r.replacing(with: rowIndex, where: better), as: SIMD16<Int32>.self)
                    }
                    i += 16
                }
                while i < W {
                    if row[i] > columnMax[i] { columnMax[i] = row[i]; columnRow[i] = Int32(iy) }
                    i += 1
                }
            }
            for ox in 0..<OW {
                let x0 = ox * g.strideW - g.padLeft
                let left = Swift.max(x0, 0), right = Swift.min(x0 + g.kernelW, W)
                guard left < right else { y[ox] = -.infinity; ap?[oy * OW + ox] = -1; continue }
                var best = columnMax[left]
                if let ap {
                    var bestRow = columnRow[left], bestColumn = left
                    for ix in (left + 1)..<Swift.max(right, left + 1) {
                        let v = columnMax[ix], r = columnRow[ix]
                        if v > best || (v == best && r < bestRow) { best = v; bestRow = r; bestColumn = ix }
                    }
                    ap[oy * OW + ox] = bestRow * Int32(W) + Int32(bestColumn)
                } else {
                    for ix in (left + 1)..<Swift.max(right, left + 1) { let v = columnMax[ix]; best = v > best ? v : best }
                }
                y[ox] = best
            }
        }
    }

    /// dx = dy routed to each window's arg-max (−1: nowhere), 0 elsewhere; every element of dx is written. The plain
    /// 2×2 window writes each input once (`gb_maxpool2x2_backward`); other windows, which may overlap, zero dx and add.
    public static func maxBackward(dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, dx: UnsafeMutablePointer<Float>,
                                   _ g: ConvGeometry) {
        let (hw, ohw) = (g.height * g.width, g.outHeight * g.outWidth)
        let (ds, as_, xs) = (UncheckedSendable(dy), UncheckedSendable(argmax), UncheckedSendable(dx))
        parallelFor(g.batch * g.inChannels, minPerThread: Swift.max(1, 262_144 / Swift.max(hw, 1))) { range in
            if isPlain2x2(g) {
                gb_maxpool2x2_backward(ds.value + range.lowerBound * ohw, as_.value + range.lowerBound * ohw,
                                       xs.value + range.lowerBound * hw, range.count, g.height, g.width)
                return
            }
            (xs.value + range.lowerBound * hw).update(repeating: 0, count: range.count * hw)
            for p in range {
                let d = ds.value + p * ohw, a = as_.value + p * ohw, o = xs.value + p * hw
                for i in 0..<ohw where a[i] >= 0 { o[Int(a[i])] += d[i] }
            }
        }
    }

    /// The 2×2/2 max pool of a channel-blocked x (a convolution's output as oneDNN wrote it) into plain y
    /// [N, C, H/2, W/2]; `argmax` (when given) holds `maxForward`'s indices in blocked order [N, C/B, H/2, W/2, B].
    /// Images run in parallel.
    public static func maxForwardBlocked(_ x: ChannelBlocked, y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?,
                                         relu: FusedReLU? = nil) {
        let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let (image, pooled) = (c * h * w, c * (h / 2) * (w / 2))
        let (xs, ys, as_) = (UncheckedSendable(x.data.pointer), UncheckedSendable(y), UncheckedSendable(argmax))
        parallelFor(x.shape[0], minPerThread: Swift.max(1, 262_144 / Swift.max(image, 1))) { range in
            FusedReLU.withKernelForm(relu) { r in
                gb_maxpool2x2_blocked(xs.value + range.lowerBound * image, ys.value + range.lowerBound * pooled,
                                      as_.value.map { $0 + range.lowerBound * pooled }, range.count, c, h, w, x.block, r)
            }
        }
    }

    /// Its backward: dy plain [N, C, H/2, W/2] into dx [N, C, H, W] in blocks of `block`, every element written.
    public static func maxBackwardBlocked(dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, shape: [Int], block: Int) -> ChannelBlocked {
        let (c, h, w) = (shape[1], shape[2], shape[3])
        let (image, pooled) = (c * h * w, c * (h / 2) * (w / 2))
        let dx = Tensor(uninitialized: shape)
        let (ds, as_, xs) = (UncheckedSendable(dy), UncheckedSendable(argmax), UncheckedSendable(dx.pointer))
        parallelFor(shape[0], minPerThread: Swift.max(1, 262_144 / Swift.max(image, 1))) { range in
            gb_maxpool2x2_blocked_backward(ds.value + range.lowerBound * pooled, as_.value + range.lowerBound * pooled,
                                           xs.value + range.lowerBound * image, range.count, c, h, w, block)
        }
        return ChannelBlocked(data: dx, shape: shape, block: block)
    }

    /// Naive max-pool backward: dx zeroed, then each gradient added at its recorded arg-max. Tests only.
    public static func naiveMaxBackward(dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, dx: UnsafeMutablePointer<Float>,
                                        _ g: ConvGeometry) {
        let (hw, ohw) = (g.height * g.width, g.outHeight * g.outWidth)
        dx.update(repeating: 0, count: g.batch * g.inChannels * hw)
        for i in 0..<(g.batch * g.inChannels * ohw) where argmax[i] >= 0 { dx[i / ohw * hw + Int(argmax[i])] += dy[i] }
    }

    /// Average pooling, padding included in the divisor (kH·kW).
    public static func avgForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let inv = 1 / Float(g.kernelH * g.kernelW)
        for p in 0..<(g.batch * g.inChannels) {
            let xp = x + p * H * W, yp = y + p * OH * OW
            for oy in 0..<OH {
                let y0 = oy * g.strideH - g.padTop
                for ox in 0..<OW {
                    let x0 = ox * g.strideW - g.padLeft
                    var s: Float = 0
                    for iy in Swift.max(y0, 0)..<Swift.min(y0 + g.kernelH, H) {
                        for ix in Swift.max(x0, 0)..<Swift.min(x0 + g.kernelW, W) { s += xp[iy * W + ix] }
                    }
                    yp[oy * OW + ox] = s * inv
                }
            }
        }
    }

    /// dx (zeroed by the caller) += the adjoint of `avgForward`.
    public static func avgBackward(dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let inv = 1 / Float(g.kernelH * g.kernelW)
        for p in 0..<(g.batch * g.inChannels) {
            let dp = dy + p * OH * OW, xp = dx + p * H * W
            for oy in 0..<OH {
                let y0 = oy * g.strideH - g.padTop
                for ox in 0..<OW {
                    let x0 = ox * g.strideW - g.padLeft
                    let d = dp[oy * OW + ox] * inv
                    for iy in Swift.max(y0, 0)..<Swift.min(y0 + g.kernelH, H) {
                        for ix in Swift.max(x0, 0)..<Swift.min(x0 + g.kernelW, W) { xp[iy * W + ix] += d }
                    }
                }
            }
        }
    }

    /// Naive max pooling reference: scans every window position in row-major order, padding as −∞; the
    /// arg-max is the first valid position holding the maximum. Tests only.
    public static func naiveMax(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>? = nil, _ g: ConvGeometry) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        for p in 0..<(g.batch * g.inChannels) {
            for oy in 0..<OH {
                for ox in 0..<OW {
                    var best = -Float.infinity, bestIndex: Int32 = -1
                    for ki in 0..<g.kernelH {
                        for kj in 0..<g.kernelW {
                            let iy = oy * g.strideH - g.padTop + ki, ix = ox * g.strideW - g.padLeft + kj
                            guard iy >= 0 && iy < H && ix >= 0 && ix < W else { best = Swift.max(best, -.infinity); continue }
                            let v = x[p * H * W + iy * W + ix]
                            if v > best || bestIndex < 0 { best = v; bestIndex = Int32(iy * W + ix) }
                        }
                    }
                    y[p * OH * OW + oy * OW + ox] = best
                    argmax?[p * OH * OW + oy * OW + ox] = bestIndex
                }
            }
        }
    }
}
