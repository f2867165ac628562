/// Pooling kernels over NCHW planes, with naive references beside them.
///
/// x: [N, C, H, W] → y: [N, C, OH, OW], window/stride/padding from `ConvGeometry`
/// (inChannels = channels; outChannels unused). Planes run in parallel.
public enum PoolKernels {
    /// Max pooling; `argmax` receives, per output, the flat index inside its input plane (−1 if the window
    /// held only padding, which cannot happen for padding < kernel).
    public static func maxForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                                  argmax: UnsafeMutablePointer<Int32>, _ g: ConvGeometry) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let planes = g.batch * g.inChannels
        let (xs, ys, as_) = (UncheckedSendable(x), UncheckedSendable(y), UncheckedSendable(argmax))
        let isPlain2x2 = g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padTop == 0 && g.padLeft == 0
        parallelFor(planes, minPerThread: Swift.max(1, 262_144 / Swift.max(H * W, 1))) { range in
            if isPlain2x2 { for p in range { max2x2(xs.value + p * H * W, ys.value + p * OH * OW, as_.value + p * OH * OW, W, OH, OW) }; return }
            for p in range {
                let xp = xs.value + p * H * W, yp = ys.value + p * OH * OW, ap = as_.value + p * OH * OW
                for oy in 0..<OH {
                    let y0 = oy * g.strideH - g.padTop
                    let yLo = Swift.max(y0, 0), yHi = Swift.min(y0 + g.kernelH, H)
                    for ox in 0..<OW {
                        let x0 = ox * g.strideW - g.padLeft
                        let xLo = Swift.max(x0, 0), xHi = Swift.min(x0 + g.kernelW, W)
                        var best = -Float.infinity, bestIndex = -1
                        for iy in yLo..<yHi {
                            let row = xp + iy * W
                            for ix in xLo..<xHi where row[ix] > best || bestIndex < 0 {
                                best = row[ix]; bestIndex = iy * W + ix
                            }
                        }
                        yp[oy * OW + ox] = best
                        ap[oy * OW + ox] = Int32(bestIndex)
                    }
                }
            }
        }
    }

    /// The common 2×2/2 window without padding, branch-free (selects, first maximum on ties).
    @inline(__always)
    static func max2x2(_ xp: UnsafePointer<Float>, _ yp: UnsafeMutablePointer<Float>, _ ap: UnsafeMutablePointer<Int32>,
                       _ W: Int, _ OH: Int, _ OW: Int) {
        for oy in 0..<OH {
            let r0 = xp + 2 * oy * W, r1 = r0 + W
            let base = Int32(2 * oy * W)
            for ox in 0..<OW {
                let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                let i0 = base + Int32(2 * ox)
                let topMax = b > a ? b : a, topIndex = b > a ? i0 + 1 : i0
                let bottomMax = d > c ? d : c, bottomIndex = d > c ? i0 + Int32(W) + 1 : i0 + Int32(W)
                yp[oy * OW + ox] = bottomMax > topMax ? bottomMax : topMax
                ap[oy * OW + ox] = bottomMax > topMax ? bottomIndex : topIndex
            }
        }
    }

    /// dx (zeroed by the caller) += dy routed to each window's arg-max.
    public static func maxBackward(dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, dx: UnsafeMutablePointer<Float>,
                                   planes: Int, hw: Int, ohw: Int) {
        let (ds, as_, xs) = (UncheckedSendable(dy), UncheckedSendable(argmax), UncheckedSendable(dx))
        parallelFor(planes, minPerThread: Swift.max(1, 262_144 / Swift.max(hw, 1))) { range in
            for p in range {
                let d = ds.value + p * ohw, a = as_.value + p * ohw, o = xs.value + p * hw
                for i in 0..<ohw where a[i] >= 0 { o[Int(a[i])] += d[i] }
            }
        }
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

    /// Naive max pooling reference: scans every window position including padding (as −∞). Tests only.
    public static func naiveMax(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        for p in 0..<(g.batch * g.inChannels) {
            for oy in 0..<OH {
                for ox in 0..<OW {
                    var best = -Float.infinity
                    for ki in 0..<g.kernelH {
                        for kj in 0..<g.kernelW {
                            let iy = oy * g.strideH - g.padTop + ki, ix = ox * g.strideW - g.padLeft + kj
                            let v = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[p * H * W + iy * W + ix] : -Float.infinity
                            best = Swift.max(best, v)
                        }
                    }
                    y[p * OH * OW + oy * OW + ox] = best
                }
            }
        }
    }
}
