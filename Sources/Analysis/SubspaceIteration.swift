import Engine

extension Embedding {
    /// The `count` largest eigenpairs of a symmetric positive semi-definite g: [m, m], values descending, each vector
    /// (length m) with its largest-magnitude entry positive.
    ///
    /// Small matrices (m ≤ 128) go to a full Jacobi decomposition in Double. Larger ones use subspace iteration with
    /// Rayleigh–Ritz (Saad, "Numerical Methods for Large Eigenvalue Problems", §5.2) on l = min(m, 2·count + 10)
    /// vectors, which converges like (λₗ₊₁/λ_count)^step; the oversampling keeps that ratio small for real feature
    /// spectra. It stops when every wanted Ritz pair has residual ‖g·u − θu‖ ≤ 1e-5·θ₁; or, on a nearly flat spectrum
    /// (noise dimensions) where the vectors converge slowly, once no wanted Ritz value moves by more than 1e-6·θ₁ between
    /// Rayleigh–Ritz steps (the values are then converged to second order, so the subspace holds the top variance, though its vectors
    /// may be a rotation within an almost-degenerate eigenspace — no matter for a plot or for reducing dimension before
    /// t-SNE); or after `maxSteps`. Seeded: the same seed gives the same result.
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
        let qt = Tensor(uninitialized: [l, m])
        for i in 0..<(l * m) { qt.pointer[i] = rng.normal() }
        orthonormaliseRows(qt, rng: &rng)
        let z = Tensor(uninitialized: [l, m]), t = Tensor(uninitialized: [l, l]), vmat = Tensor(uninitialized: [l, l])
        var result: (values: [Double], vectors: [[Double]]) = ([], [])
        var previous = [Double](repeating: -1, count: count)
        for step in 0..<maxSteps {
            // Z = Qt·G: [l, m] × [m, m] (= (G·Q)ᵀ, G symmetric). T = Z·Qtᵀ: [l, m] × [m, l], the Rayleigh quotient.
            GEMM.sgemm(m: l, n: m, k: m, a: qt.pointer, lda: m, b: g.pointer, ldb: m, c: z.pointer, ldc: m)
            // Rayleigh–Ritz (an l×l Jacobi, which costs more than the sgemm) every third step; plain power steps in
            // between keep the basis near the Ritz vectors, so their rows stay well conditioned for Cholesky QR.
            if step % 3 != 0 && step != maxSteps - 1 {
                orthonormaliseRows(z, rng: &rng)
                qt.assign(z)
                continue
            }
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
            let scale = Swift.max(theta[0], 1e-30)
            let moved = (0..<count).map { abs(theta[$0] - previous[$0]) }.max()!
            previous = Array(theta.prefix(count))
            lastSteps = step + 1
            if worst <= 1e-5 * scale || moved <= 1e-6 * scale || step == maxSteps - 1 {
                result.values = Array(theta.prefix(count))
                result.vectors = (0..<count).map { r in
                    var v = (0..<m).map { Double(u.pointer[r * m + $0]) }
                    SymmetricEigen.orientLargestPositive(&v)
                    return v
                }
                break
            }
            orthonormaliseRows(w, rng: &rng)
            qt.assign(w)
        }
        return result
    }

    /// The number of steps the last subspace iteration took (diagnostics for tests and tuning).
    nonisolated(unsafe) static var lastSteps = 0

    /// Makes the rows of a: [l, m] orthonormal (same span): Cholesky QR twice when the rows are well conditioned, which
    /// is the case after a Rayleigh–Ritz step (the rows are then nearly orthogonal) and costs two [l, m]×[m, l] and two
    /// [l, l]×[l, m] sgemms; otherwise Gram–Schmidt.
    static func orthonormaliseRows(_ a: Tensor, rng: inout RNG) {
        if choleskyQR(a) && choleskyQR(a) { return }
        gramSchmidtRows(a, rng: &rng)
    }

    /// One Cholesky QR pass over a: [l, m]: rows scaled to unit norm (same span, and the conditioning of their
    /// directions), S = A·Aᵀ = L·Lᵀ, A ← L⁻¹·A. Returns false, leaving a usable but not orthonormal A, when S is too
    /// ill-conditioned for float (a pivot below 1e-5, i.e. cond(A) above ≈ 300), so the caller falls back.
    static func choleskyQR(_ a: Tensor) -> Bool {
        let (l, m) = (a.shape[0], a.shape[1])
        let p = a.pointer
        for i in 0..<l {
            var norm = 0.0
            for j in 0..<m { norm += Double(p[i * m + j]) * Double(p[i * m + j]) }
            guard norm > 0 else { return false }
            let s = Float(1 / norm.squareRoot())
            for j in 0..<m { p[i * m + j] *= s }
        }
        let gram = Tensor(uninitialized: [l, l])   // A·Aᵀ: [l, m] × [m, l]
        GEMM.sgemm(transB: true, m: l, n: l, k: m, a: p, lda: m, b: p, ldb: m, c: gram.pointer, ldc: l)
        var chol = [Double](repeating: 0, count: l * l)   // lower-triangular L, row-major
        for i in 0..<l {
            for j in 0...i {
                var s = 0.5 * (Double(gram.pointer[i * l + j]) + Double(gram.pointer[j * l + i]))
                for k in 0..<j { s -= chol[i * l + k] * chol[j * l + k] }
                if i == j {
                    guard s > 1e-5 else { return false }
                    chol[i * l + i] = s.squareRoot()
                } else {
                    chol[i * l + j] = s / chol[j * l + j]
                }
            }
        }
        // L⁻¹ by forward substitution, column by column (lower triangular as well).
        let inverse = Tensor(zeros: [l, l])
        for c in 0..<l {
            for i in c..<l {
                var s = i == c ? 1.0 : 0.0
                for k in c..<i { s -= chol[i * l + k] * Double(inverse.pointer[k * l + c]) }
                inverse.pointer[i * l + c] = Float(s / chol[i * l + i])
            }
        }
        let out = Tensor(uninitialized: [l, m])   // L⁻¹·A: [l, l] × [l, m]
        GEMM.sgemm(m: l, n: m, k: l, a: inverse.pointer, lda: l, b: p, ldb: m, c: out.pointer, ldc: m)
        a.assign(out)
        return true
    }

    /// Modified Gram–Schmidt over the rows of a: [l, m], applied twice ("twice is enough", Giraud et al. 2005) with
    /// Double dot products. A row that is (numerically) in the span of earlier ones — G has lower rank than l — is
    /// replaced by a fresh random row, so the basis stays full.
    static func gramSchmidtRows(_ a: Tensor, rng: inout RNG) {
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
