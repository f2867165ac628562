/// Row primitives of the direct depthwise convolution (`DepthwiseConv`).
///
/// One row of outputs is a weighted sum of shifted source rows. Each (kernel position, source row)
/// pair is a `Tap`: it adds weight·source[j] to out[j] for lo ≤ j < hi and nothing elsewhere
/// (there it falls in the padding). Sources are always contiguous in j: strided convolutions first
/// split input rows into their stride phases (`splitPhases`), so no inner loop is strided.
struct Tap {
    var weight: Float
    /// source[j] is read for lo ≤ j < hi only (the pointer itself may lie outside the buffer).
    var source: UnsafePointer<Float>
    var lo: Int, hi: Int
    /// The kernel position ki·kW + kj (the weight-gradient slot).
    var index: Int
}

enum DepthwiseRows {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// out[j] = initial + Σₜ weightₜ·sourceₜ[j] for 0 ≤ j < count, each tap counted only where valid.
    ///
    /// The interior, where every tap is valid, runs 8 outputs at a time with the sum kept in a register
    /// and no checks; the border columns (padding) run a checked scalar loop. Taps are summed in list
    /// order in both, so the result does not depend on where a column falls.
    static func gather(_ out: UnsafeMutablePointer<Float>, count: Int, initial: Float, _ taps: UnsafePointer<Tap>, _ n: Int) {
        var lo = 0, hi = count
        for t in 0..<n { lo = Swift.max(lo, taps[t].lo); hi = Swift.min(hi, taps[t].hi) }
        lo = Swift.min(lo, count); hi = Swift.max(hi, lo)
        @inline(__always) func checked(_ j: Int) -> Float {
            var s = initial
            for t in 0..<n where j >= taps[t].lo && j < taps[t].hi { s += taps[t].source[j] * taps[t].weight }
            return s
        }
        for j in 0..<lo { out[j] = checked(j) }
        var j = lo
        let start = SIMD8<Float>(repeating: initial)
        while j + 16 <= hi {
            var a = start, b = start
            for t in 0..<n {
                let s = taps[t].source + j, w = taps[t].weight
                a += load(s) * w
                b += load(s + 8) * w
            }
            store(a, out + j); store(b, out + j + 8)
            j += 16
        }
        while j + 8 <= hi {
            var a = start
            for t in 0..<n { a += load(taps[t].source + j) * taps[t].weight }
            store(a, out + j)
            j += 8
        }
        while j < hi {
            var s = initial
            for t in 0..<n { s += taps[t].source[j] * taps[t].weight }
            out[j] = s
            j += 1
        }
        for j in hi..<count { out[j] = checked(j) }
    }

    /// vector += Σ a[j]·b[j] over lo ≤ j < hi in 8-wide chunks; scalar += the remainder's products.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ lo: Int, _ hi: Int,
                    _ vector: UnsafeMutablePointer<SIMD8<Float>>, _ scalar: UnsafeMutablePointer<Float>) {
        var j = lo
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        while j + 16 <= hi {
            acc0 += load(a + j) * load(b + j)
            acc1 += load(a + j + 8) * load(b + j + 8)
            j += 16
        }
        if j + 8 <= hi { acc0 += load(a + j) * load(b + j); j += 8 }
        var s: Float = 0
        while j < hi { s += a[j] * b[j]; j += 1 }
        vector.pointee += acc0 + acc1
        scalar.pointee += s
    }

    /// Sum of a[0..<n] (vector part and scalar remainder, as `dot`).
    @inline(__always)
    static func sum(_ a: UnsafePointer<Float>, _ n: Int, _ vector: UnsafeMutablePointer<SIMD8<Float>>,
                    _ scalar: UnsafeMutablePointer<Float>) {
        var j = 0
        var acc = SIMD8<Float>()
        while j + 8 <= n { acc += load(a + j); j += 8 }
        var s: Float = 0
        while j < n { s += a[j]; j += 1 }
        vector.pointee += acc
        scalar.pointee += s
    }

    /// Columns of the longest stride phase of a row of `width`: ceil(width / stride).
    @inline(__always)
    static func phaseWidth(_ width: Int, _ stride: Int) -> Int { (width + stride - 1) / stride }

    /// Splits each row of plane x [H, W] into its `s` stride phases: out[(iy·s + r)·wp + j] = x[iy, r + s·j]
    /// for r + s·j < W, with wp = `phaseWidth(W, s)`. out holds H·s·wp floats.
    static func splitPhases(_ x: UnsafePointer<Float>, height: Int, width: Int, stride s: Int, _ out: UnsafeMutablePointer<Float>) {
        let wp = phaseWidth(width, s)
        for iy in 0..<height {
            let src = x + iy * width
            for r in 0..<s {
                let dst = out + (iy * s + r) * wp
                var j = 0, ix = r
                while ix < width { dst[j] = src[ix]; j += 1; ix += s }
            }
        }
    }

    /// The inverse of `splitPhases` for one row: out[r + s·j] = phases[r·wp + j].
    static func mergePhases(_ phases: UnsafePointer<Float>, width: Int, stride s: Int, _ out: UnsafeMutablePointer<Float>) {
        let wp = phaseWidth(width, s)
        for r in 0..<s {
            let src = phases + r * wp
            var j = 0, ix = r
            while ix < width { out[ix] = src[j]; j += 1; ix += s }
        }
    }
}
