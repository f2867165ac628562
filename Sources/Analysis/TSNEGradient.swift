import Engine

extension Embedding {
    /// The exact t-SNE gradient. p: [n, n] symmetric affinities (zero diagonal), y: [2, n] (all x coordinates, then
    /// all y coordinates) → gradient: [2, n] in the same layout; returns the normaliser Z = Σᵢ≠ⱼ (1 + ‖yᵢ − yⱼ‖²)⁻¹.
    ///
    /// ∂C/∂yᵢ = 4 Σⱼ (α·pᵢⱼ − qᵢⱼ)·wᵢⱼ·(yᵢ − yⱼ) with wᵢⱼ = (1 + ‖yᵢ − yⱼ‖²)⁻¹, qᵢⱼ = wᵢⱼ/Z and α the exaggeration.
    /// Because Z is a sum over all pairs, the sum is split as 4(α·Aᵢ − Bᵢ/Z) with Aᵢ = Σⱼ pᵢⱼwᵢⱼ(yᵢ − yⱼ) and
    /// Bᵢ = Σⱼ wᵢⱼ²(yᵢ − yⱼ): one pass over the pairs instead of two, and no n×n buffer for w. The inner loop runs
    /// 8 lanes at a time over contiguous coordinates and one row of P. Rows are split over `parallelFor`; each row's
    /// sums belong to one worker and Z is added up in row order, so the result does not depend on the thread count.
    @discardableResult
    public static func tsneGradient(p: UnsafePointer<Float>, y: UnsafePointer<Float>, n: Int, exaggeration: Float,
                                    gradient: UnsafeMutablePointer<Float>) -> Double {
        // Per row: A (x, y), B (x, y), and the row's part of Z.
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: 5 * n)
        defer { partial.deallocate() }
        let box = UncheckedSendable((p, y, partial))
        parallelFor(n, minPerThread: 64) { rows in
            let (p, y, partial) = box.value
            let yx = y, yy = y + n
            for i in rows {
                let row = p + i * n
                let xi = yx[i], yi = yy[i]
                let vxi = SIMD8<Float>(repeating: xi), vyi = SIMD8<Float>(repeating: yi), one = SIMD8<Float>(repeating: 1)
                var ax = SIMD8<Float>(), ay = SIMD8<Float>(), bx = SIMD8<Float>(), by = SIMD8<Float>(), zs = SIMD8<Float>()
                var j = 0
                while j + 8 <= n {
                    let dx = vxi - UnsafeRawPointer(yx + j).loadUnaligned(as: SIMD8<Float>.self)
                    let dy = vyi - UnsafeRawPointer(yy + j).loadUnaligned(as: SIMD8<Float>.self)
                    let pij = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                    let w = one / (one + dx * dx + dy * dy)
                    let pw = pij * w, ww = w * w
                    ax += pw * dx; ay += pw * dy
                    bx += ww * dx; by += ww * dy
                    zs += w
                    j += 8
                }
                var sax = ax.sum(), say = ay.sum(), sbx = bx.sum(), sby = by.sum(), sz = zs.sum()
                while j < n {
                    let dx = xi - yx[j], dy = yi - yy[j]
                    let w = 1 / (1 + dx * dx + dy * dy)
                    sax += row[j] * w * dx; say += row[j] * w * dy
                    sbx += w * w * dx; sby += w * w * dy
                    sz += w
                    j += 1
                }
                // j == i contributed w = 1 to Z (and nothing to A, B: yᵢ − yᵢ = 0); Z excludes it.
                let o = partial + 5 * i
                o[0] = sax; o[1] = say; o[2] = sbx; o[3] = sby; o[4] = sz - 1
            }
        }
        var z = 0.0
        for i in 0..<n { z += Double(partial[5 * i + 4]) }
        let invZ = Float(1 / Swift.max(z, 1e-300))
        for i in 0..<n {
            let o = partial + 5 * i
            gradient[i] = 4 * (exaggeration * o[0] - o[2] * invZ)
            gradient[n + i] = 4 * (exaggeration * o[1] - o[3] * invZ)
        }
        return z
    }

    /// The naive reference for `tsneGradient` (same layouts): Q formed explicitly, then the textbook sum, in Double.
    /// O(n²) memory; tests only.
    @discardableResult
    public static func tsneGradientNaive(p: UnsafePointer<Float>, y: UnsafePointer<Float>, n: Int, exaggeration: Float,
                                         gradient: UnsafeMutablePointer<Float>) -> Double {
        var w = [Double](repeating: 0, count: n * n), z = 0.0
        for i in 0..<n {
            for j in 0..<n where j != i {
                let dx = Double(y[i]) - Double(y[j]), dy = Double(y[n + i]) - Double(y[n + j])
                w[i * n + j] = 1 / (1 + dx * dx + dy * dy)
                z += w[i * n + j]
            }
        }
        for i in 0..<n {
            var gx = 0.0, gy = 0.0
            for j in 0..<n where j != i {
                let m = (Double(exaggeration) * Double(p[i * n + j]) - w[i * n + j] / z) * w[i * n + j]
                gx += m * (Double(y[i]) - Double(y[j])); gy += m * (Double(y[n + i]) - Double(y[n + j]))
            }
            gradient[i] = Float(4 * gx); gradient[n + i] = Float(4 * gy)
        }
        return z
    }
}
