/// im2col / col2im over one image and a channel range, the data movement around conv GEMMs.
///
/// x: [C, H, W] (one image); col: [Cg·kH·kW, ldcol] where this image fills columns
/// `0..<OH·OW` starting at `col` (the caller offsets `col` to place several images side by side).
/// Row r = (c·kH + ki)·kW + kj, column = oy·OW + ox.
public enum Im2Col {
    public static func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, channelStart: Int,
                              col: UnsafeMutablePointer<Float>, ldcol: Int) {
        if g.kernelW == 3 && g.strideW == 1 && g.dilationW == 1 { return im2colRowsOf3(x, g, channelStart: channelStart, col: col, ldcol: ldcol) }
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let (kH, kW, sH, sW) = (g.kernelH, g.kernelW, g.strideH, g.strideW)
        let (dH, dW, pT, pL) = (g.dilationH, g.dilationW, g.padTop, g.padLeft)
        var row = 0
        for c in channelStart..<(channelStart + g.groupInChannels) {
            let xc = x + c * H * W
            for ki in 0..<kH {
                for kj in 0..<kW {
                    let dst = col + row * ldcol
                    let xOffset = kj * dW - pL
                    // Valid output columns: 0 <= ox*sW + xOffset < W.
                    let oxLo = xOffset >= 0 ? 0 : Swift.min(OW, (-xOffset + sW - 1) / sW)
                    let oxHi = Swift.max(oxLo, Swift.min(OW, W - xOffset <= 0 ? 0 : (W - xOffset - 1) / sW + 1))
                    for oy in 0..<OH {
                        let iy = oy * sH - pT + ki * dH
                        let d = dst + oy * OW
                        if iy < 0 || iy >= H {
                            d.update(repeating: 0, count: OW)
                            continue
                        }
                        // Inline loops, not memcpy/memset: rows are short (OW ≈ 4…64 floats), where a
                        // library call per row costs more than the copy itself.
                        let src = xc + iy * W + xOffset
                        var ox = 0
                        while ox < oxLo { d[ox] = 0; ox += 1 }
                        if sW == 1 {
                            while ox < oxHi { d[ox] = src[ox]; ox += 1 }
                        } else {
                            while ox < oxHi { d[ox] = src[ox * sW]; ox += 1 }
                        }
                        while ox < OW { d[ox] = 0; ox += 1 }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of `im2col`: dx[C, H, W] += scatter(col). `dx` must be pre-initialised.
    public static func col2im(_ col: UnsafePointer<Float>, ldcol: Int, _ g: ConvGeometry, channelStart: Int,
                              dx: UnsafeMutablePointer<Float>) {
        if g.kernelW == 3 && g.strideW == 1 && g.dilationW == 1 { return col2imRowsOf3(col, ldcol: ldcol, g, channelStart: channelStart, dx: dx) }
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let (kH, kW, sH, sW) = (g.kernelH, g.kernelW, g.strideH, g.strideW)
        let (dH, dW, pT, pL) = (g.dilationH, g.dilationW, g.padTop, g.padLeft)
        var row = 0
        for c in channelStart..<(channelStart + g.groupInChannels) {
            let xc = dx + c * H * W
            for ki in 0..<kH {
                for kj in 0..<kW {
                    let srcRow = col + row * ldcol
                    let xOffset = kj * dW - pL
                    let oxLo = xOffset >= 0 ? 0 : Swift.min(OW, (-xOffset + sW - 1) / sW)
                    let oxHi = Swift.max(oxLo, Swift.min(OW, W - xOffset <= 0 ? 0 : (W - xOffset - 1) / sW + 1))
                    for oy in 0..<OH {
                        let iy = oy * sH - pT + ki * dH
                        if iy < 0 || iy >= H { continue }
                        let s = srcRow + oy * OW
                        let d = xc + iy * W + xOffset
                        var ox = oxLo
                        if sW == 1 {
                            while ox < oxHi { d[ox] += s[ox]; ox += 1 }
                        } else {
                            while ox < oxHi { d[ox * sW] += s[ox]; ox += 1 }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    // MARK: kernel width 3, horizontal stride 1 (3×3 convolutions, the common case)

    /// `im2col` with the three kj rows of one (c, ki) written in one pass over each input row:
    /// a third of the loop overhead, which dominates for short rows (OW = 8…32).
    static func im2colRowsOf3(_ x: UnsafePointer<Float>, _ g: ConvGeometry, channelStart: Int,
                              col: UnsafeMutablePointer<Float>, ldcol: Int) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let (kH, sH, dH, pT, pL) = (g.kernelH, g.strideH, g.dilationH, g.padTop, g.padLeft)
        // Output columns where all three taps ox−pL+kj (kj = 0, 1, 2) fall inside 0..<W.
        let lo = Swift.min(OW, Swift.max(0, pL)), hi = Swift.max(lo, Swift.min(OW, W - 2 + pL))
        var row = 0
        for c in channelStart..<(channelStart + g.groupInChannels) {
            let xc = x + c * H * W
            for ki in 0..<kH {
                let d0 = col + row * ldcol, d1 = d0 + ldcol, d2 = d1 + ldcol
                for oy in 0..<OH {
                    let iy = oy * sH - pT + ki * dH
                    let o = oy * OW
                    if iy < 0 || iy >= H {
                        for ox in 0..<OW { d0[o + ox] = 0; d1[o + ox] = 0; d2[o + ox] = 0 }
                        continue
                    }
                    let src = xc + iy * W - pL   // src[ox + kj] is input column ox − pL + kj
                    @inline(__always) func tap(_ ox: Int, _ kj: Int) -> Float {
                        let ix = ox - pL + kj
                        return ix >= 0 && ix < W ? src[ox + kj] : 0
                    }
                    for ox in 0..<lo { d0[o + ox] = tap(ox, 0); d1[o + ox] = tap(ox, 1); d2[o + ox] = tap(ox, 2) }
                    var ox = lo
                    while ox < hi { d0[o + ox] = src[ox]; d1[o + ox] = src[ox + 1]; d2[o + ox] = src[ox + 2]; ox += 1 }
                    for ox in hi..<OW { d0[o + ox] = tap(ox, 0); d1[o + ox] = tap(ox, 1); d2[o + ox] = tap(ox, 2) }
                }
                row += 3
            }
        }
    }

    /// `col2im` for kernel width 3, stride 1: each input pixel gathers its three taps in one pass,
    /// instead of three read-modify-write passes over the input row.
    static func col2imRowsOf3(_ col: UnsafePointer<Float>, ldcol: Int, _ g: ConvGeometry, channelStart: Int,
                              dx: UnsafeMutablePointer<Float>) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let (kH, sH, dH, pT, pL) = (g.kernelH, g.strideH, g.dilationH, g.padTop, g.padLeft)
        // Input columns ix whose three sources ox = ix + pL − kj (kj = 0, 1, 2) all fall inside 0..<OW.
        let lo = Swift.min(W, Swift.max(0, 2 - pL)), hi = Swift.max(lo, Swift.min(W, OW - pL))
        var row = 0
        for c in channelStart..<(channelStart + g.groupInChannels) {
            let xc = dx + c * H * W
            for ki in 0..<kH {
                let s0 = col + row * ldcol, s1 = s0 + ldcol, s2 = s1 + ldcol
                for oy in 0..<OH {
                    let iy = oy * sH - pT + ki * dH
                    if iy < 0 || iy >= H { continue }
                    let o = oy * OW + pL, d = xc + iy * W   // s_kj[o + ix − kj] feeds d[ix]
                    @inline(__always) func gather(_ ix: Int) -> Float {
                        var v: Float = 0
                        if ix + pL >= 0 && ix + pL < OW { v += s0[o + ix] }
                        if ix + pL - 1 >= 0 && ix + pL - 1 < OW { v += s1[o + ix - 1] }
                        if ix + pL - 2 >= 0 && ix + pL - 2 < OW { v += s2[o + ix - 2] }
                        return v
                    }
                    for ix in 0..<lo { d[ix] += gather(ix) }
                    var ix = lo
                    while ix < hi { d[ix] += s0[o + ix] + s1[o + ix - 1] + s2[o + ix - 2]; ix += 1 }
                    for ix in hi..<W { d[ix] += gather(ix) }
                }
                row += 3
            }
        }
    }
}
