import Foundation
import Engine

extension Embedding {
    /// How t-SNE places the points before optimising.
    public enum TSNEInitialization: Sendable {
        /// The first two principal components, scaled to standard deviation 1e-4 along the first (scikit-learn's
        /// default since 1.2: more stable global layout than random).
        case pca
        /// Gaussian with standard deviation 1e-4 from the seed (the 2008 paper's initialisation).
        case random
    }

    /// The result of `tsneResult`.
    public struct TSNEResult {
        /// [n, 2], centred.
        public let coordinates: Tensor
        /// KL(P‖Q) at the end (without exaggeration), in nats.
        public let klDivergence: Double
        /// The perplexity used: the one asked for, capped at (n − 1)/3 for small sets.
        public let perplexity: Double
    }

    /// x: [n, d] → [n, 2]: exact t-SNE (van der Maaten & Hinton 2008). See `tsneResult`.
    public static func tsne(_ x: Tensor, perplexity: Double = 30, iterations: Int = 1000, seed: UInt64,
                            learningRate: Double? = nil, initialization: TSNEInitialization = .pca) -> Tensor {
        tsneResult(x, perplexity: perplexity, iterations: iterations, seed: seed, learningRate: learningRate,
                   initialization: initialization).coordinates
    }

    /// Exact t-SNE of x: [n, d] into 2 dimensions, O(n²) per iteration (meant for n up to a few thousand).
    ///
    /// - When d > 50 the rows are first reduced to their top min(50, n) principal components, as is standard
    ///   (van der Maaten's reference code, scikit-learn's recommendation): it removes noise dimensions and makes the
    ///   distance matrix cheaper, and 50 components keep nearly all neighbourhood structure of CNN features.
    /// - P: `tsneAffinities` (Gaussian kernels calibrated to `perplexity`, symmetrised). The perplexity is capped at
    ///   (n − 1)/3 (reported in the result); fewer than 3 points are returned on a unit segment.
    /// - Optimisation as in the reference implementation: gradient descent with momentum 0.5 for the first 250
    ///   iterations and 0.8 after, early exaggeration ×12 of P for the first 250 iterations, per-coordinate gains
    ///   (+0.2 when the gradient changes sign against the last step, ×0.8 otherwise, at least 0.01), the embedding
    ///   re-centred after every step. Learning rate: `learningRate`, else max(n/12/4, 50) (Belkina et al. 2019, the
    ///   scikit-learn "auto" rule).
    /// - Deterministic for a seed, whatever the thread count: each row's sums are formed by one worker and the
    ///   normaliser Z is summed in row order.
    public static func tsneResult(_ x: Tensor, perplexity: Double = 30, iterations: Int = 1000, seed: UInt64,
                                  learningRate: Double? = nil, initialization: TSNEInitialization = .pca) -> TSNEResult {
        let (n, d) = matrixShape(x, "Embedding.tsne")
        require(iterations >= 0, "Embedding.tsne", "iterations must be ≥ 0, got \(iterations)")
        require(perplexity >= 1, "Embedding.tsne", "perplexity must be ≥ 1, got \(perplexity)")
        if n < 3 {   // nothing to optimise: the points on a unit segment
            return TSNEResult(coordinates: Tensor(shape: [n, 2], values: [Float]([0, 0, 1, 0].prefix(2 * n))),
                              klDivergence: 0, perplexity: 0)
        }
        // A perplexity near n makes every point a neighbour of every other; (n − 1)/3 is the usual ceiling, and
        // capping (instead of stopping) lets a report embed a small evaluation set.
        let used = Swift.min(perplexity, Swift.max(1, Double(n - 1) / 3))
        let input = d > 50 ? pcaResult(x, dimensions: Swift.min(50, n), seed: seed).coordinates : x
        let p = tsneAffinities(input, perplexity: used)
        var y = [Float](repeating: 0, count: 2 * n)   // [2, n]: x coordinates, then y coordinates (contiguous for SIMD)
        switch initialization {
        case .pca:
            let start = pcaResult(input, dimensions: Swift.min(2, Swift.min(n, input.shape[1])), seed: seed).coordinates
            let k = start.shape[1]
            var mean = 0.0, sq = 0.0
            for i in 0..<n { mean += Double(start.pointer[i * k]) }
            mean /= Double(n)
            for i in 0..<n { let t = Double(start.pointer[i * k]) - mean; sq += t * t }
            let scale = sq > 0 ? 1e-4 / (sq / Double(n)).squareRoot() : 0
            for i in 0..<n { for c in 0..<k { y[c * n + i] = Float(Double(start.pointer[i * k + c]) * scale) } }
        case .random:
            var rng = RNG(seed: seed)
            for i in 0..<(2 * n) { y[i] = 1e-4 * rng.normal() }
        }
        let rate = Float(learningRate ?? Swift.max(Double(n) / 12 / 4, 50))
        var update = [Float](repeating: 0, count: 2 * n), gains = [Float](repeating: 1, count: 2 * n)
        var grad = [Float](repeating: 0, count: 2 * n)
        for step in 0..<iterations {
            let early = step < 250
            y.withUnsafeBufferPointer { yb in
                grad.withUnsafeMutableBufferPointer { gb in
                    _ = tsneGradient(p: p.pointer, y: yb.baseAddress!, n: n, exaggeration: early ? 12 : 1, gradient: gb.baseAddress!)
                }
            }
            let momentum: Float = early ? 0.5 : 0.8
            for i in 0..<(2 * n) {
                // Gains grow where the gradient opposes the previous step (the step is too timid) and shrink where
                // they agree (delta-bar-delta, Jacobs 1988).
                gains[i] = (grad[i] > 0) != (update[i] > 0) ? gains[i] + 0.2 : Swift.max(gains[i] * 0.8, 0.01)
                update[i] = momentum * update[i] - rate * gains[i] * grad[i]
                y[i] += update[i]
            }
            for c in 0..<2 {
                var mean = 0.0
                for i in 0..<n { mean += Double(y[c * n + i]) }
                let m = Float(mean / Double(max(n, 1)))
                for i in 0..<n { y[c * n + i] -= m }
            }
        }
        let out = Tensor(uninitialized: [n, 2])
        for i in 0..<n { out.pointer[i * 2] = y[i]; out.pointer[i * 2 + 1] = y[n + i] }
        return TSNEResult(coordinates: out, klDivergence: tsneKL(p: p.pointer, y: y, n: n), perplexity: used)
    }

    /// KL(P‖Q) = Σᵢ≠ⱼ pᵢⱼ log(pᵢⱼ/qᵢⱼ) for p: [n, n] and y: [2, n] (one pass, Double).
    static func tsneKL(p: UnsafePointer<Float>, y: [Float], n: Int) -> Double {
        var z = 0.0
        for i in 0..<n { for j in 0..<n where j != i { z += 1 / (1 + squaredGap(y, n, i, j)) } }
        var kl = 0.0
        for i in 0..<n {
            for j in 0..<n where j != i {
                let pij = Double(p[i * n + j]), q = 1 / (1 + squaredGap(y, n, i, j)) / z
                if pij > 0 { kl += pij * log(pij / Swift.max(q, 1e-300)) }
            }
        }
        return kl
    }

    private static func squaredGap(_ y: [Float], _ n: Int, _ i: Int, _ j: Int) -> Double {
        let dx = Double(y[i]) - Double(y[j]), dy = Double(y[n + i]) - Double(y[n + j])
        return dx * dx + dy * dy
    }
}
