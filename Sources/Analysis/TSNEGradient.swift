import Engine

extension Embedding {
    /// The exact t-SNE gradient. p: [n, n] symmetric affinities (zero diagonal), y: [2, n] (all x coordinates, then
    /// all y coordinates) → gradient: [2, n] in the same layout; returns the normaliser Z = Σᵢ≠ⱼ (1 + ‖yᵢ − yⱼ‖²)⁻¹.
    ///
    /// ∂C/∂yᵢ = 4 Σⱼ (α·pᵢⱼ − qᵢⱼ)·wᵢⱼ·(yᵢ − yⱼ) with wᵢⱼ = (1 + ‖yᵢ − yⱼ‖²)⁻¹, qᵢⱼ = wᵢⱼ/Z and α the exaggeration.
    /// Because Z is a sum over all pairs, the sum is split as 4(α·Aᵢ − Bᵢ/Z) with Aᵢ = Σⱼ pᵢⱼwᵢⱼ(yᵢ − yⱼ) and
    /// Bᵢ = Σⱼ wᵢⱼ²(yᵢ − yⱼ): one pass over the pairs, and no n×n buffer for w. Each unordered pair is visited once
    /// (j > i, the upper triangle of P) and adds its term to row i and its negation to row j, which halves the
    /// divisions that bound this loop. The inner loop runs 4 lanes at a time (one SSE register: the baseline x86-64
    /// target has 16, and 8-lane accumulators spilled without being faster).
    ///
    /// Rows are cut into a fixed number of blocks with about equal pair counts; each block adds into its own
    /// accumulators and the blocks are combined in order, so the result is the same on any number of threads.
    @discardableResult
    public static func tsneGradient(p: UnsafePointer<Float>, y: UnsafePointer<Float>, n: Int, exaggeration: Float,
                                    gradient: UnsafeMutablePointer<Float>) -> Double {
        let blocks = Swift.max(1, Swift.min(16, n / 64))
        // Block b holds rows bounds[b]..<bounds[b + 1]; row i has n − 1 − i pairs.
        var bounds = [0], done = 0
        let total = n * (n - 1) / 2
        for i in 0..<n where bounds.count < blocks {
            done += n - 1 - i
            if done * blocks >= total * bounds.count { bounds.append(i + 1) }
        }
        while bounds.count <= blocks { bounds.append(n) }
        // Per block: A x, A y, B x, B y, n each.
        let accumulators = UnsafeMutablePointer<Float>.allocate(capacity: blocks * 4 * n)
        accumulators.initialize(repeating: 0, count: blocks * 4 * n)
        let zParts = UnsafeMutablePointer<Double>.allocate(capacity: blocks)
        defer { accumulators.deallocate(); zParts.deallocate() }
        let box = UncheckedSendable((p, y, accumulators, zParts, bounds))
        parallelFor(blocks) { range in
            let (p, y, accumulators, zParts, bounds) = box.value
            for b in range {
                zParts[b] = pairBlock(p: p, y: y, n: n, rows: bounds[b]..<bounds[b + 1], into: accumulators + b * 4 * n)
            }
        }
        var z = 0.0
        for b in 0..<blocks { z += zParts[b] }
        let invZ = Float(1 / Swift.max(z, 1e-300))
        for i in 0..<n {
            var ax: Float = 0, ay: Float = 0, bx: Float = 0, by: Float = 0
            for b in 0..<blocks {
                let a = accumulators + b * 4 * n
                ax += a[i]; ay += a[n + i]; bx += a[2 * n + i]; by += a[3 * n + i]
            }
            gradient[i] = 4 * (exaggeration * ax - bx * invZ)
            gradient[n + i] = 4 * (exaggeration * ay - by * invZ)
        }
        return z
    }

    /// The pairs (i, j > i) for i in `rows`: adds ±pᵢⱼwᵢⱼ(yᵢ − yⱼ) and ±wᵢⱼ²(yᵢ − yⱼ) to rows i and j of
    /// acc: [4, n] (A x, A y, B x, B y) and returns these pairs' part of Z (both orders).
    @inline(__always)
    private static func pairBlock(p: UnsafePointer<Float>, y: UnsafePointer<Float>, n: Int, rows: Range<Int>,
                                  into acc: UnsafeMutablePointer<Float>) -> Double {
        typealias V = SIMD4<Float>
        let yx = y, yy = y + n
        let ax = acc, ay = acc + n, bx = acc + 2 * n, by = acc + 3 * n
        @inline(__always) func load(_ q: UnsafePointer<Float>) -> V { UnsafeRawPointer(q).loadUnaligned(as: V.self) }
        @inline(__always) func subtract(_ v: V, from q: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(q).storeBytes(of: UnsafeRawPointer(q).loadUnaligned(as: V.self) - v, as: V.self)
        }
        var z = 0.0
        for i in rows {
            let row = p + i * n
            let xi = yx[i], yi = yy[i]
            let vxi = V(repeating: xi), vyi = V(repeating: yi), one = V(repeating: 1)
            var sax = V(), say = V(), sbx = V(), sby = V(), zs = V()
            var j = i + 1
            while j + 4 <= n {
                let dx = vxi - load(yx + j), dy = vyi - load(yy + j)
                let w = one / (one + dx * dx + dy * dy)
                let pw = load(row + j) * w, ww = w * w
                let pdx = pw * dx, pdy = pw * dy, wdx = ww * dx, wdy = ww * dy
                sax += pdx; say += pdy; sbx += wdx; sby += wdy; zs += w
                // Row j sees yⱼ − yᵢ = −(yᵢ − yⱼ).
                subtract(pdx, from: ax + j); subtract(pdy, from: ay + j); subtract(wdx, from: bx + j); subtract(wdy, from: by + j)
                j += 4
            }
            var tax = sax.sum(), tay = say.sum(), tbx = sbx.sum(), tby = sby.sum(), tz = zs.sum()
            while j < n {
                let dx = xi - yx[j], dy = yi - yy[j]
                let w = 1 / (1 + dx * dx + dy * dy)
                let pw = row[j] * w, ww = w * w
                tax += pw * dx; tay += pw * dy; tbx += ww * dx; tby += ww * dy; tz += w
                ax[j] -= pw * dx; ay[j] -= pw * dy; bx[j] -= ww * dx; by[j] -= ww * dy
                j += 1
            }
            ax[i] += tax; ay[i] += tay; bx[i] += tbx; by[i] += tby
            z += 2 * Double(tz)
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
