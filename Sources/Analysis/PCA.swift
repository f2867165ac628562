import Engine

/// Low-dimensional embeddings of feature matrices for plots: PCA and t-SNE.
public enum Embedding {
    /// The result of `pcaResult`.
    public struct PCAResult {
        /// [n, dimensions]: the centred rows projected on the principal axes.
        public let coordinates: Tensor
        /// [dimensions, d]: the principal axes (unit rows), in the input's feature space.
        public let components: Tensor
        /// The fraction of the total variance along each axis, in [0, 1], descending.
        public let explainedVariance: [Double]
    }

    /// x: [n, d] → [n, dimensions]: the centred rows on their top principal axes. See `pcaResult`.
    public static func pca(_ x: Tensor, dimensions: Int = 2) -> Tensor {
        pcaResult(x, dimensions: dimensions).coordinates
    }

    /// Principal component analysis of x: [n, d], 1 ≤ dimensions ≤ min(n, d).
    ///
    /// Works on the smaller Gram matrix of the centred data Xc: XcᵀXc [d, d] when d ≤ n, else XcXcᵀ [n, n] (same non-zero
    /// eigenvalues; the coordinates are then uᵢ·√λᵢ and the axes Xcᵀuᵢ/√λᵢ). The Gram matrix is one sgemm. Its top
    /// eigenpairs come from a full Jacobi decomposition when it is small (≤ 128) and otherwise from subspace iteration
    /// with Rayleigh–Ritz (`topEigenpairs`), whose cost per step is one [l, m]×[m, m] sgemm.
    ///
    /// Sign convention: each axis is oriented so that the coordinate of largest magnitude along it is positive (the
    /// lowest row index on ties); this is the same whichever Gram matrix was used.
    public static func pcaResult(_ x: Tensor, dimensions: Int = 2, seed: UInt64 = 0x5EED) -> PCAResult {
        let (n, d) = matrixShape(x, "Embedding.pca")
        require(dimensions >= 1 && dimensions <= Swift.min(n, d), "Embedding.pca",
                "dimensions must be in 1...min(n, d) = 1...\(Swift.min(n, d)) for x of shape \(x.shape), got \(dimensions)")
        let k = dimensions
        let xc = PairwiseDistances.centredCopy(x)
        var total = 0.0
        for i in 0..<(n * d) { total += Double(xc.pointer[i]) * Double(xc.pointer[i]) }
        let coordinates = Tensor(zeros: [n, k]), components = Tensor(zeros: [k, d])
        let c = xc.pointer
        if d <= n {
            let gram = Tensor(uninitialized: [d, d])   // XcᵀXc: [d, n] × [n, d]
            GEMM.sgemm(transA: true, m: d, n: d, k: n, a: c, lda: d, b: c, ldb: d, c: gram.pointer, ldc: d)
            let (values, vectors) = topEigenpairs(gram, count: k, seed: seed)
            for r in 0..<k { for j in 0..<d { components.pointer[r * d + j] = Float(vectors[r][j]) } }
            // coordinates = Xc·Vᵀ: [n, d] × [d, k].
            GEMM.sgemm(transB: true, m: n, n: k, k: d, a: c, lda: d, b: components.pointer, ldb: d,
                       c: coordinates.pointer, ldc: k)
            return finish(coordinates, components, values, total)
        }
        let gram = Tensor(uninitialized: [n, n])       // XcXcᵀ: [n, d] × [d, n]
        GEMM.sgemm(transB: true, m: n, n: n, k: d, a: c, lda: d, b: c, ldb: d, c: gram.pointer, ldc: n)
        let (values, vectors) = topEigenpairs(gram, count: k, seed: seed)
        let u = Tensor(zeros: [k, n])
        for r in 0..<k {
            let s = Swift.max(values[r], 0).squareRoot()
            for i in 0..<n {
                u.pointer[r * n + i] = Float(vectors[r][i])
                coordinates.pointer[i * k + r] = Float(vectors[r][i] * s)
            }
        }
        // axes = diag(1/√λ)·U·Xc: [k, n] × [n, d]; an axis with λ = 0 stays zero (the data has no variance there).
        GEMM.sgemm(m: k, n: d, k: n, a: u.pointer, lda: n, b: c, ldb: d, c: components.pointer, ldc: d)
        for r in 0..<k {
            let s = values[r] > 0 ? Float(1 / values[r].squareRoot()) : 0
            for j in 0..<d { components.pointer[r * d + j] *= s }
        }
        return finish(coordinates, components, values, total)
    }

    /// Applies the sign convention and turns eigenvalues into variance fractions.
    private static func finish(_ coordinates: Tensor, _ components: Tensor, _ values: [Double], _ total: Double) -> PCAResult {
        let (n, k) = (coordinates.shape[0], coordinates.shape[1]), d = components.shape[1]
        let y = coordinates.pointer, v = components.pointer
        for r in 0..<k {
            var best = 0
            for i in 0..<n where abs(y[i * k + r]) > abs(y[best * k + r]) { best = i }
            if n > 0 && y[best * k + r] < 0 {
                for i in 0..<n { y[i * k + r] = -y[i * k + r] }
                for j in 0..<d { v[r * d + j] = -v[r * d + j] }
            }
        }
        let explained = values.map { total > 0 ? Swift.min(Swift.max($0 / total, 0), 1) : 0 }
        return PCAResult(coordinates: coordinates, components: components, explainedVariance: explained)
    }
}
