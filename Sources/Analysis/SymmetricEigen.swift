import Foundation

/// Eigen-decomposition of a small real symmetric matrix by the cyclic Jacobi method (Golub & Van Loan §8.5).
///
/// Jacobi is O(m³) per sweep and needs 5–10 sweeps, so it is meant for matrices up to a few hundred rows: the
/// Rayleigh–Ritz step of PCA's subspace iteration (m ≈ 2·dimensions) and the full covariance when it is small. It is
/// chosen over Householder + QL for its simplicity and its accuracy on small eigenvalues.
public enum SymmetricEigen {
    /// a: [m·m] symmetric, row-major, Double → eigenvalues in descending order and unit eigenvectors
    /// (`vectors[i]` belongs to `values[i]`, length m). Each vector's sign is chosen so that its entry of largest
    /// magnitude is positive (the first such entry on ties), so the output is deterministic.
    public static func jacobi(_ a: [Double], size m: Int, maxSweeps: Int = 60) -> (values: [Double], vectors: [[Double]]) {
        guard a.count == m * m else { fatalError("SymmetricEigen.jacobi: expected \(m)×\(m) = \(m * m) entries, got \(a.count)") }
        var A = a
        var V = [Double](repeating: 0, count: m * m)
        for i in 0..<m { V[i * m + i] = 1 }
        let total = A.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<maxSweeps {
            var off = 0.0
            for p in 0..<m { for q in (p + 1)..<m { off += A[p * m + q] * A[p * m + q] } }
            // Converged when the off-diagonal mass is at rounding level relative to the whole matrix.
            if off <= 1e-30 * total || off == 0 { break }
            for p in 0..<m {
                for q in (p + 1)..<m {
                    let apq = A[p * m + q]
                    if apq == 0 { continue }
                    // The rotation J(p, q, φ) with tan φ = t zeroes A[p, q] in JᵀAJ; t is the smaller root of
                    // t² + 2θt − 1 = 0 (|φ| ≤ π/4), which keeps the rotation stable.
                    let theta = (A[q * m + q] - A[p * m + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<m {   // columns p, q of A·J
                        let akp = A[k * m + p], akq = A[k * m + q]
                        A[k * m + p] = c * akp - s * akq
                        A[k * m + q] = s * akp + c * akq
                    }
                    for k in 0..<m {   // rows p, q of Jᵀ·(A·J)
                        let apk = A[p * m + k], aqk = A[q * m + k]
                        A[p * m + k] = c * apk - s * aqk
                        A[q * m + k] = s * apk + c * aqk
                    }
                    for k in 0..<m {   // V·J accumulates the eigenvectors as columns
                        let vkp = V[k * m + p], vkq = V[k * m + q]
                        V[k * m + p] = c * vkp - s * vkq
                        V[k * m + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        // Sort by eigenvalue, descending; equal values keep column order so the output is deterministic.
        let order = (0..<m).sorted { A[$0 * m + $0] > A[$1 * m + $1] || (A[$0 * m + $0] == A[$1 * m + $1] && $0 < $1) }
        let values = order.map { A[$0 * m + $0] }
        let vectors = order.map { col -> [Double] in
            var v = (0..<m).map { V[$0 * m + col] }
            orientLargestPositive(&v)
            return v
        }
        return (values, vectors)
    }

    /// Flips `v` so that its entry of largest magnitude (the first one on ties) is positive.
    static func orientLargestPositive(_ v: inout [Double]) {
        var best = 0
        for i in v.indices where abs(v[i]) > abs(v[best]) { best = i }
        if !v.isEmpty && v[best] < 0 { for i in v.indices { v[i] = -v[i] } }
    }
}
