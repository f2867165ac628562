import CKernels

/// Inner loops of the direct depthwise convolution (`DepthwiseConv`), over already padded sources.
///
/// An output row is a weighted sum of shifted source rows. Each (kernel position, source) pair is a
/// `Tap`: it adds weight·source[r·ldi + j] to out[r·ldo + j]. The planes these loops read are padded
/// copies (`DepthwisePlan`), so every tap is valid at every column: no padding checks anywhere.
typealias Tap = GBTap

enum DepthwiseRows {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// out[r·ldo + j] = initial + Σₜ weightₜ·sourceₜ[r·ldi + j] for r < rows, j < cols (taps in list order), with the
    /// sums held in registers across all taps. `rows: 1` runs a flat grid as one long row. The C kernel is built for
    /// AVX-512, AVX2 + FMA and baseline x86-64 and runs the CPU's best (`CPUKernels`); Swift alone compiles for the
    /// baseline, 4-wide SSE without FMA (EfficientNet-Lite0 at 112 px, batch 32, AMD EPYC, 1 thread: the depthwise
    /// layers' inference 32.7 ms with the Swift loop, 25.9 ms with the AVX-512 build). The forward calls the C planes
    /// loop instead (`DepthwiseConv.forward`); this is backward's.
    @inline(__always)
    static func gather(_ out: UnsafeMutablePointer<Float>, ldo: Int, rows: Int, cols: Int, ldi: Int,
                       initial: Float, _ taps: UnsafePointer<Tap>, _ n: Int) {
        gb_depthwise_gather(out, ldo, rows, cols, ldi, initial, taps, n, nil)
    }

    /// vector, scalar += Σ a[r·lda + j]·b[r·ldb + j] over r < rows, j < cols (8-wide lanes, scalar row tails).
    static func dot(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, rows: Int, cols: Int,
                    _ vector: UnsafeMutablePointer<SIMD8<Float>>, _ scalar: UnsafeMutablePointer<Float>) {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var s: Float = 0
        for r in 0..<rows {
            let x = a + r * lda, y = b + r * ldb
            var j = 0
            while j + 16 <= cols {
                acc0 += load(x + j) * load(y + j)
                acc1 += load(x + j + 8) * load(y + j + 8)
                j += 16
            }
            if j + 8 <= cols { acc0 += load(x + j) * load(y + j); j += 8 }
            while j < cols { s += x[j] * y[j]; j += 1 }
        }
        vector.pointee += acc0 + acc1
        scalar.pointee += s
    }

    /// `dot` against three b's at once, into vector[0...2] and scalar[0...2]: a is loaded once for three
    /// products and the three sums are independent (the weight gradient of three kernel positions).
    static func dot3(_ a: UnsafePointer<Float>, lda: Int, _ b: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                     ldb: Int, rows: Int, cols: Int, _ vector: UnsafeMutablePointer<SIMD8<Float>>, _ scalar: UnsafeMutablePointer<Float>) {
        var v0 = SIMD8<Float>(), v1 = v0, v2 = v0
        var s0: Float = 0, s1: Float = 0, s2: Float = 0
        for r in 0..<rows {
            let x = a + r * lda, y0 = b.0 + r * ldb, y1 = b.1 + r * ldb, y2 = b.2 + r * ldb
            var j = 0
            while j + 8 <= cols {
                let d = load(x + j)
                v0 += d * load(y0 + j); v1 += d * load(y1 + j); v2 += d * load(y2 + j)
                j += 8
            }
            while j < cols { let d = x[j]; s0 += d * y0[j]; s1 += d * y1[j]; s2 += d * y2[j]; j += 1 }
        }
        vector[0] += v0; vector[1] += v1; vector[2] += v2
        scalar[0] += s0; scalar[1] += s1; scalar[2] += s2
    }

    /// vector, scalar += Σ a[0..<n].
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
}
