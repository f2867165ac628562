import XCTest
import Foundation
import Engine
@testable import Analysis

final class TSNETests: XCTestCase {
    /// The fused SIMD gradient equals the textbook one (Q formed explicitly, Double), for n not a multiple of 8.
    func testGradientMatchesNaive() {
        for n in [2, 37, 203] { gradientMatchesNaive(n) }   // 203: several row blocks, a tail of 3
    }

    func gradientMatchesNaive(_ n: Int) {
        var rng = RNG(seed: UInt64(n))
        var p = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in (i + 1)..<n { let v = rng.uniform(); p[i * n + j] = v; p[j * n + i] = v } }
        let total = p.reduce(0, +)
        p = p.map { $0 / total }
        let y = (0..<(2 * n)).map { _ in 3 * rng.normal() }
        var fast = [Float](repeating: 0, count: 2 * n), naive = fast
        for exaggeration: Float in [1, 12] {
            let zf = Embedding.tsneGradient(p: p, y: y, n: n, exaggeration: exaggeration, gradient: &fast)
            let zn = Embedding.tsneGradientNaive(p: p, y: y, n: n, exaggeration: exaggeration, gradient: &naive)
            XCTAssertEqual(zf, zn, accuracy: 1e-5 * zn)
            let (diff, at) = TestData.maxDifference(fast, naive)
            let scale = naive.map { abs($0) }.max()!
            XCTAssertLessThanOrEqual(diff, 1e-4 * scale, "n=\(n) exaggeration \(exaggeration): max |fast − naive| = \(diff) at \(at): \(fast[at]) vs \(naive[at])")
        }
    }

    /// Each row of the conditional affinities has the requested perplexity (entropy log(perplexity) nats) and sums
    /// to 1; the joint P is symmetric, sums to 1 and has a zero diagonal.
    func testAffinitiesHaveTheRequestedPerplexity() {
        let x = TestData.gaussian(120, 10, seed: 4, scale: 7)
        for perplexity in [5.0, 30.0] {
            let c = Embedding.tsneConditionalAffinities(x, perplexity: perplexity), n = 120
            for i in 0..<n {
                var sum = 0.0, entropy = 0.0
                for j in 0..<n { let v = Double(c[i, j]); sum += v; if v > 0 { entropy -= v * log(v) } }
                XCTAssertEqual(sum, 1, accuracy: 1e-4)
                XCTAssertEqual(entropy, log(perplexity), accuracy: 1e-3, "row \(i): perplexity \(exp(entropy)), wanted \(perplexity)")
            }
            let p = Embedding.tsneAffinities(x, perplexity: perplexity)
            XCTAssertEqual(p.array.reduce(0.0) { $0 + Double($1) }, 1, accuracy: 1e-3)
            for i in 0..<n { XCTAssertEqual(p[i, i], 0); for j in 0..<n { XCTAssertEqual(p[i, j], p[j, i]) } }
        }
    }

    /// Four well-separated Gaussian clusters in 50-D stay separated in 2-D (leave-one-out 1-NN accuracy ≥ 0.98), and
    /// the same seed gives the same embedding, also on 2 threads.
    func testSeparatedClustersStaySeparatedAndRunsRepeat() {
        let (x, labels) = TestData.clusters(4, perCluster: 40, d: 50, spread: 3, seed: 21)
        let before = Threads.count
        defer { Threads.set(before) }
        Threads.set(1)
        let a = Embedding.tsneResult(x, perplexity: 20, iterations: 400, seed: 7)
        XCTAssertEqual(a.coordinates.shape, [160, 2])
        XCTAssertTrue(a.coordinates.array.allSatisfy(\.isFinite))
        let accuracy = Separability.knnAccuracy(a.coordinates, labels: labels, k: 1)
        XCTAssertGreaterThanOrEqual(accuracy, 0.98, "1-NN accuracy in the t-SNE embedding")
        XCTAssertLessThan(a.klDivergence, 2, "KL(P‖Q) after optimisation")
        let b = Embedding.tsne(x, perplexity: 20, iterations: 400, seed: 7)
        XCTAssertEqual(a.coordinates.array, b.array, "same seed, same embedding")
        Threads.set(2)
        let c = Embedding.tsne(x, perplexity: 20, iterations: 400, seed: 7)
        XCTAssertEqual(a.coordinates.array, c.array, "the thread count must not change the embedding")
    }

    /// Inputs above 50 dimensions go through PCA first; the random initialisation is seeded.
    func testHighDimensionalInputAndRandomInitialisation() {
        let (x, labels) = TestData.clusters(3, perCluster: 30, d: 120, spread: 2, seed: 5)
        let y = Embedding.tsne(x, perplexity: 15, iterations: 500, seed: 1, initialization: .random)
        XCTAssertGreaterThanOrEqual(Separability.knnAccuracy(y, labels: labels, k: 1), 0.98)
        let other = Embedding.tsne(x, perplexity: 15, iterations: 500, seed: 2, initialization: .random)
        XCTAssertNotEqual(y.array, other.array, "a different seed must give a different random start")
    }

    /// Small sets: the perplexity is capped at (n − 1)/3, fewer than 3 points need no optimisation.
    func testSmallSets() {
        let (x, labels) = TestData.clusters(2, perCluster: 6, d: 5, spread: 10, seed: 2)
        // 1,000 iterations: with 300 (250 of them early exaggeration) whether two of the 12 points ended on the wrong
        // side hung on the last bits of the distances (it changed with the GEMM library).
        let result = Embedding.tsneResult(x, iterations: 1000, seed: 3)
        XCTAssertEqual(result.perplexity, 11.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(Separability.knnAccuracy(result.coordinates, labels: labels, k: 1), 1)
        XCTAssertEqual(Embedding.tsne(TestData.gaussian(2, 4, seed: 1), seed: 1).array, [0, 0, 1, 0])
        XCTAssertEqual(Embedding.tsne(TestData.gaussian(1, 4, seed: 1), seed: 1).shape, [1, 2])
    }

    /// Prints the time of exact t-SNE on 2,000 points × 512-D and 2,500 × 4,096-D (no assertion: machines differ).
    /// Meaningful in a release build: `swift build -c release --build-tests -Xswiftc -enable-testing`, then
    /// `GROW_TSNE_TIMING=1 GROW_THREADS=1 swift test -c release --skip-build --filter testTSNETiming`; a debug build
    /// runs the loops unoptimised.
    func testTSNETiming() throws {
        guard ProcessInfo.processInfo.environment["GROW_TSNE_TIMING"] == "1" else { throw XCTSkip("set GROW_TSNE_TIMING=1 to time t-SNE") }
        for (n, d) in [(2000, 512), (2500, 4096)] {
            let (x, labels) = TestData.clusters(10, perCluster: n / 10, d: d, spread: 0.3, seed: 9)
            let (start, cpuStart) = (Date(), clock())
            let result = Embedding.tsneResult(x, perplexity: 30, iterations: 1000, seed: 1)
            let seconds = Date().timeIntervalSince(start), cpu = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
            // Wall and process CPU time: on a shared machine the wall time includes waiting for a core.
            print(String(format: "t-SNE %d × %d → 2, 1000 iterations, %d thread(s): %.2f s wall, %.2f s CPU (KL %.3f, 1-NN accuracy %.3f)",
                         n, d, Threads.count, seconds, cpu, result.klDivergence,
                         Separability.knnAccuracy(result.coordinates, labels: labels, k: 1)))
        }
    }
}
