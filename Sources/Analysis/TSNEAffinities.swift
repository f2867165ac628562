import Foundation
import Engine

extension Embedding {
    /// The symmetric input affinities P of exact t-SNE (van der Maaten & Hinton 2008, §2–3) for x: [n, d] → [n, n].
    ///
    /// For each row i a binary search finds the Gaussian precision βᵢ = 1/(2σᵢ²) whose conditional distribution
    /// p(j|i) ∝ exp(−βᵢ‖xᵢ − xⱼ‖²) has perplexity e^H = `perplexity` (entropy H within 1e-5 nats; Newton steps
    /// safeguarded by bisection, at most 100).
    /// Then P = (P_cond + P_condᵀ)/(2n), floored at 1e-12 so that log P is finite. Squared distances come from one
    /// sgemm (`PairwiseDistances.squared`).
    public static func tsneAffinities(_ x: Tensor, perplexity: Double) -> Tensor {
        let (n, _) = matrixShape(x, "Embedding.tsneAffinities")
        require(n >= 2 && perplexity >= 1 && perplexity < Double(n - 1), "Embedding.tsneAffinities",
                "perplexity must be in [1, n − 1) = [1, \(n - 1)) for \(n) points, got \(perplexity); use about n/3 or less")
        let conditional = tsneConditionalAffinities(x, perplexity: perplexity)
        let out = Tensor(uninitialized: [n, n])
        let c = conditional.pointer, o = out.pointer
        let scale = 1 / (2 * Float(n))
        for i in 0..<n {
            for j in 0..<n { o[i * n + j] = Swift.max((c[i * n + j] + c[j * n + i]) * scale, 1e-12) }
            o[i * n + i] = 0
        }
        return out
    }

    /// x: [n, d] → [n, n], row i the conditional distribution p(·|i) at the calibrated precision (rows sum to 1, zero
    /// diagonal). Rows are independent, so they are split over `parallelFor`.
    static func tsneConditionalAffinities(_ x: Tensor, perplexity: Double) -> Tensor {
        let n = x.shape[0]
        let distances = PairwiseDistances.squared(x)
        let conditional = Tensor(zeros: [n, n])
        let dp = UncheckedSendable(distances.pointer), cp = UncheckedSendable(conditional.pointer)
        parallelFor(n, minPerThread: 16) { rows in
            var shifted = [Double](repeating: 0, count: n), p = [Double](repeating: 0, count: n)
            for i in rows {
                conditionalRow(i, n: n, distances: dp.value + i * n, perplexity: perplexity, shifted: &shifted, p: &p,
                               out: cp.value + i * n)
            }
        }
        return conditional
    }

    /// One row of p(j|i): distances: [n] (row i of the squared distances) → out: [n], summing to 1, out[i] = 0.
    private static func conditionalRow(_ i: Int, n: Int, distances: UnsafeMutablePointer<Float>, perplexity: Double,
                                       shifted: inout [Double], p: inout [Double], out: UnsafeMutablePointer<Float>) {
        // Shift by the nearest distance: exp(−β(D − Dmin)) cannot underflow for every j at once, and the entropy
        // H = log Σp + β·Σ(D − Dmin)p/Σp is unchanged by the shift.
        var nearest = Double.infinity, mean = 0.0
        for j in 0..<n where j != i { nearest = Swift.min(nearest, Double(distances[j])); mean += Double(distances[j]) }
        for j in 0..<n { shifted[j] = j == i ? 0 : Double(distances[j]) - nearest }
        mean = mean / Double(n - 1) - nearest
        let target = log(perplexity)
        // Start from the scale of the data (β = 1/mean shifted distance). Newton steps on H(β), whose slope is
        // dH/dβ = −β·Var_p(D), converge in a handful of steps where bisection needs 20–40 (each step is n exps, the
        // cost of this function); a step that leaves the bracket [lo, hi] known so far falls back to bisection.
        var beta = mean > 0 ? 1 / mean : 1, lo = 0.0, hi = Double.infinity
        var sum = 0.0
        for _ in 0..<100 {
            var weighted = 0.0, weighted2 = 0.0
            sum = 0
            for j in 0..<n where j != i {
                let v = exp(-shifted[j] * beta)
                p[j] = v; sum += v; weighted += shifted[j] * v; weighted2 += shifted[j] * shifted[j] * v
            }
            let meanD = weighted / sum, variance = Swift.max(weighted2 / sum - meanD * meanD, 0)
            let gap = log(sum) + beta * meanD - target
            if abs(gap) < 1e-5 { break }
            // Entropy falls as β grows: too flat (gap > 0) → sharpen (raise β), too peaked → widen.
            if gap > 0 { lo = beta } else { hi = beta }
            let newton = variance > 0 ? beta + gap / (beta * variance) : .nan
            beta = newton > lo && newton < hi ? newton : hi.isFinite ? (lo + hi) / 2 : beta * 2
        }
        // p and sum belong to the last β evaluated: the converged one, or after 100 steps the last one tried.
        for j in 0..<n { out[j] = j == i ? 0 : Float(p[j] / sum) }
    }
}
