/// im2col / col2im over one image and a channel range, the data movement around conv GEMMs.
///
/// x: [C, H, W] (one image); col: [Cg·kH·kW, ldcol] where this image fills columns
/// `0..<OH·OW` starting at `col` (the caller offsets `col` to place several images side by side).
/// Row r = (c·kH + ki)·kW + kj, column = oy·OW + ox.
public enum Im2Col {
    public static func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, channelStart: Int,
                              col: UnsafeMutablePointer<Float>, ldcol: Int) {
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
}
