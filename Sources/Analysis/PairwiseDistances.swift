import Engine

/// Pairwise squared Euclidean distances between the rows of a matrix, the kernel under t-SNE, kNN and silhouette.
///
/// The fast path uses ‖xᵢ − xⱼ‖² = ‖xᵢ‖² + ‖xⱼ‖² − 2 xᵢ·xⱼ with the Gram matrix X·Xᵀ from one sgemm, so its cost is
/// one matrix product (n²·d multiply-adds at BLAS speed) instead of an O(n²·d) scalar loop.
public enum PairwiseDistances {
    /// x: [n, d] → D: [n, n], D[i, j] = ‖xᵢ − xⱼ‖².
    ///
    /// The rows are centred first: distances do not change under translation, and smaller norms mean less float
    /// cancellation in ‖a‖² + ‖b‖² − 2a·b (features with norm 100 would otherwise lose ≈1e-3 absolute per entry).
    /// Entries that come out slightly negative through rounding are clamped to 0; the diagonal is exactly 0; the result
    /// is exactly symmetric.
    public static func squared(_ x: Tensor) -> Tensor {
        let (n, d) = matrixShape(x, "PairwiseDistances.squared")
        let centred = centredCopy(x)
        let out = Tensor(uninitialized: [n, n])
        if n == 0 { return out }
        let c = centred.pointer, g = out.pointer
        // G = Xc·Xcᵀ: [n, d] × [d, n].
        GEMM.sgemm(transB: true, m: n, n: n, k: d, a: c, lda: d, b: c, ldb: d, c: g, ldc: n)
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n { norms[i] = g[i * n + i] }
        // Upper triangle computed once and mirrored, so D is exactly symmetric whatever BLAS did.
        norms.withUnsafeBufferPointer { sq in
            for i in 0..<n {
                g[i * n + i] = 0
                for j in (i + 1)..<n {
                    let v = Swift.max(sq[i] + sq[j] - 2 * g[i * n + j], 0)
                    g[i * n + j] = v
                    g[j * n + i] = v
                }
            }
        }
        return out
    }

    /// The naive reference for `squared`: Σ (xᵢₖ − xⱼₖ)² accumulated in Double. O(n²·d); tests only.
    public static func squaredNaive(_ x: Tensor) -> Tensor {
        let (n, d) = matrixShape(x, "PairwiseDistances.squaredNaive")
        let out = Tensor(zeros: [n, n])
        let p = x.pointer
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<d { let t = Double(p[i * d + k]) - Double(p[j * d + k]); s += t * t }
                out.pointer[i * n + j] = Float(s)
            }
        }
        return out
    }

    /// x: [n, d] → a copy with each column's mean (accumulated in Double) subtracted.
    static func centredCopy(_ x: Tensor) -> Tensor {
        let (n, d) = (x.shape[0], x.shape[1])
        let out = x.copy()
        guard n > 0 else { return out }
        var mean = [Double](repeating: 0, count: d)
        let p = out.pointer
        for i in 0..<n { for k in 0..<d { mean[k] += Double(p[i * d + k]) } }
        for i in 0..<n { for k in 0..<d { p[i * d + k] = Float(Double(p[i * d + k]) - mean[k] / Double(n)) } }
        return out
    }
}
