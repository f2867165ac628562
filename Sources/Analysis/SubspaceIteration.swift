import Engine

extension Embedding {
    /// The `count` largest eigenpairs of a symmetric positive semi-definite g: [m, m], values descending, each vector
    /// (length m) with its largest-magnitude entry positive.
    ///
    /// Small matrices (m ≤ 128) go to a full Jacobi decomposition in Double. Larger ones use subspace iteration with
    /// Rayleigh–Ritz (Saad, "Numerical Methods for Large Eigenvalue Problems", §5.2) on l = min(m, 2·count + 10)
    /// vectors, which converges like (λₗ₊₁/λ_count)^step; the oversampling keeps that ratio small for real feature
    /// spectra. It stops when every wanted Ritz pair has residual ‖g·u − θu‖ ≤ 1e-5·θ₁, or after `maxSteps`. On a
    /// nearly flat spectrum the vectors may then be a rotation within an almost-degenerate eigenspace, which changes
    /// nothing for a plot or for reducing dimension before t-SNE. Seeded: the same seed gives the same result.
    public static func topEigenpairs(_ g: Tensor, count: Int, seed: UInt64 = 0x5EED, maxSteps: Int = 300)
        -> (values: [Double], vectors: [[Double]]) {
        let (m, m2) = matrixShape(g, "Embedding.topEigenpairs", "g")
        require(m == m2, "Embedding.topEigenpairs", "g must be square, got shape \(g.shape)")
        require(count >= 1 && count <= m, "Embedding.topEigenpairs", "count must be in 1...\(m), got \(count)")
        if m <= 128 {
            var a = [Double](repeating: 0, count: m * m)
            for i in 0..<m { for j in 0..<m { a[i * m + j] = 0.5 * (Double(g.pointer[i * m + j]) + Double(g.pointer[j * m + i])) } }
            let (values, vectors) = SymmetricEigen.jacobi(a, size: m)
            return (Array(values.prefix(count)), Array(vectors.prefix(count)))
        }
        let l = Swift.min(m, 2 * count + 10)
        var rng = RNG(seed: seed)
        // Qt: [l, m], the current basis as orthonormal rows (rows are contiguous, so Gram–Schmidt streams).
        var qt = Tensor(uninitialized: [l, m])
        for i in 0..<(l * m) { qt.pointer[i] = rng.normal() }
        orthonormaliseRows(qt, rng: &rng)
        let z = Tensor(uninitialized: [l, m]), t = Tensor(uninitialized: [l, l]), vmat = Tensor(uninitialized: [l, l])
        var result: (values: [Double], vectors: [[Double]]) = ([], [])
        for step in 0..<maxSteps {
            // Z = Qt·G: [l, m] × [m, m] (= (G·Q)ᵀ, G symmetric). T = Z·Qtᵀ: [l, m] × [m, l], the Rayleigh quotient.
            GEMM.sgemm(m: l, n: m, k: m, a: qt.pointer, lda: m, b: g.pointer, ldb: m, c: z.pointer, ldc: m)
            GEMM.sgemm(transB: true, m: l, n: l, k: m, a: z.pointer, lda: m, b: qt.pointer, ldb: m, c: t.pointer, ldc: l)
            var a = [Double](repeating: 0, count: l * l)
            for i in 0..<l { for j in 0..<l { a[i * l + j] = 0.5 * (Double(t.pointer[i * l + j]) + Double(t.pointer[j * l + i])) } }
            let (theta, y) = SymmetricEigen.jacobi(a, size: l)
            for i in 0..<l { for j in 0..<l { vmat.pointer[i * l + j] = Float(y[i][j]) } }
            // Ritz vectors U = Y·Qt and G·U = Y·Z: [l, l] × [l, m] each.
            let u = Tensor(uninitialized: [l, m]), w = Tensor(uninitialized: [l, m])
            GEMM.sgemm(m: l, n: m, k: l, a: vmat.pointer, lda: l, b: qt.pointer, ldb: m, c: u.pointer, ldc: m)
            GEMM.sgemm(m: l, n: m, k: l, a: vmat.pointer, lda: l, b: z.pointer, ldb: m, c: w.pointer, ldc: m)
            var worst = 0.0
            for r in 0..<count {
                var s = 0.0
                for j in 0..<m { let e = Double(w.pointer[r * m + j]) - theta[r] * Double(u.pointer[r * m + j]); s += e * e }
                worst = Swift.max(worst, s.squareRoot())
            }
            if worst <= 1e-5 * Swift.max(theta[0], 1e-30) || step == maxSteps - 1 {
                result.values = Array(theta.prefix(count))
                result.vectors = (0..<count).map { r in
                    var v = (0..<m).map { Double(u.pointer[r * m + $0]) }
                    SymmetricEigen.orientLargestPositive(&v)
                    return v
                }
                break
            }
            orthonormaliseRows(w, rng: &rng)
            qt = w
        }
        return result
    }

    /// Modified Gram–Schmidt over the rows of a: [l, m], applied twice ("twice is enough", Giraud et al. 2005) with
    /// Double dot products. A row that is (numerically) in the span of earlier ones — G has lower rank than l — is
    /// replaced by a fresh random row, so the basis stays full.
    static func orthonormaliseRows(_ a: Tensor, rng: inout RNG) {
        let (l, m) = (a.shape[0], a.shape[1])
        let p = a.pointer
        for i in 0..<l {
            let row = p + i * m
            var original = 0.0
            for j in 0..<m { original += Double(row[j]) * Double(row[j]) }
            for _ in 0..<3 {
                for _ in 0..<2 {
                    for r in 0..<i {
                        let other = p + r * m
                        var dot = 0.0
                        for j in 0..<m { dot += Double(row[j]) * Double(other[j]) }
                        let f = Float(dot)
                        for j in 0..<m { row[j] -= f * other[j] }
                    }
                }
                var norm = 0.0
                for j in 0..<m { norm += Double(row[j]) * Double(row[j]) }
                if norm > 1e-10 * Swift.max(original, 1e-30) && norm > 0 {
                    let s = Float(1 / norm.squareRoot())
                    for j in 0..<m { row[j] *= s }
                    break
                }
                for j in 0..<m { row[j] = rng.normal() }
                original = 0
                for j in 0..<m { original += Double(row[j]) * Double(row[j]) }
            }
        }
    }
}
