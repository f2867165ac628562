/// Direct (seven-loop) convolution: the naive reference that `ConvKernels` is tested against.
/// Same layouts and semantics as `ConvKernels`; accumulates in Double. Tests only — slow.
public enum ConvReference {
    @inline(__always)
    static func forEachTap(_ g: ConvGeometry, _ body: (_ n: Int, _ o: Int, _ oy: Int, _ ox: Int, _ c: Int, _ ki: Int, _ kj: Int, _ iy: Int, _ ix: Int) -> Void) {
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let gi = o / g.groupOutChannels
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        for cl in 0..<g.groupInChannels {
                            for ki in 0..<g.kernelH {
                                for kj in 0..<g.kernelW {
                                    let iy = oy * g.strideH - g.padTop + ki * g.dilationH
                                    let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
                                    if iy < 0 || iy >= g.height || ix < 0 || ix >= g.width { continue }
                                    body(n, o, oy, ox, gi * g.groupInChannels + cl, ki, kj, iy, ix)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public static func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (OH, OW, O) = (g.outHeight, g.outWidth, g.outChannels)
        var acc = [Double](repeating: 0, count: g.batch * O * OH * OW)
        forEachTap(g) { n, o, oy, ox, c, ki, kj, iy, ix in
            let wv = w[((o * g.groupInChannels + c % g.groupInChannels) * g.kernelH + ki) * g.kernelW + kj]
            let xv = x[((n * g.inChannels + c) * g.height + iy) * g.width + ix]
            acc[((n * O + o) * OH + oy) * OW + ox] += Double(wv) * Double(xv)
        }
        for i in 0..<acc.count {
            let o = (i / (OH * OW)) % O
            y[i] = Float(acc[i] + Double(bias?[o] ?? 0))
        }
    }

    /// dx overwritten; dw and dbias overwritten (not accumulated) for simple comparison.
    public static func backward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (OH, OW, O) = (g.outHeight, g.outWidth, g.outChannels)
        var dxAcc = [Double](repeating: 0, count: g.batch * g.inChannels * g.height * g.width)
        var dwAcc = [Double](repeating: 0, count: O * g.patchSize)
        forEachTap(g) { n, o, oy, ox, c, ki, kj, iy, ix in
            let wi = ((o * g.groupInChannels + c % g.groupInChannels) * g.kernelH + ki) * g.kernelW + kj
            let xi = ((n * g.inChannels + c) * g.height + iy) * g.width + ix
            let d = Double(dy[((n * O + o) * OH + oy) * OW + ox])
            dxAcc[xi] += d * Double(w[wi])
            dwAcc[wi] += d * Double(x[xi])
        }
        for i in 0..<dxAcc.count { dx[i] = Float(dxAcc[i]) }
        for i in 0..<dwAcc.count { dw[i] = Float(dwAcc[i]) }
        for o in 0..<O {
            var s = 0.0
            for n in 0..<g.batch { for p in 0..<(OH * OW) { s += Double(dy[(n * O + o) * OH * OW + p]) } }
            dbias[o] = Float(s)
        }
    }
}
