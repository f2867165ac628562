import XCTest
import Engine
@testable import Analysis

final class PCATests: XCTestCase {
    /// Jacobi gives A·v = λv, orthonormal vectors, descending values, largest entry positive.
    func testJacobiDecomposesASymmetricMatrix() {
        let m = 7
        var rng = RNG(seed: 3)
        var a = [Double](repeating: 0, count: m * m)
        for i in 0..<m { for j in i..<m { let v = Double(rng.normal()); a[i * m + j] = v; a[j * m + i] = v } }
        let (values, vectors) = SymmetricEigen.jacobi(a, size: m)
        XCTAssertEqual(values, values.sorted(by: >))
        for r in 0..<m {
            for i in 0..<m {
                let av = (0..<m).reduce(0.0) { $0 + a[i * m + $1] * vectors[r][$1] }
                XCTAssertEqual(av, values[r] * vectors[r][i], accuracy: 1e-10, "A·v ≠ λv for eigenpair \(r), entry \(i)")
            }
            for s in 0..<m {
                let dot = zip(vectors[r], vectors[s]).reduce(0.0) { $0 + $1.0 * $1.1 }
                XCTAssertEqual(dot, r == s ? 1 : 0, accuracy: 1e-10, "vectors \(r), \(s) not orthonormal")
            }
            let largest = vectors[r].max { abs($0) < abs($1) }!
            XCTAssertGreaterThan(largest, 0)
        }
    }

    /// An anisotropic Gaussian with standard deviations 5, 2, 1, 0.5, … along a known rotated basis: the first axis
    /// found is the known one (|cos| ≈ 1) and its explained variance ≈ 25 / Σσ².
    func testPCARecoversTheKnownPrincipalAxis() {
        let (n, d) = (2000, 6)
        let stds: [Float] = [5, 2, 1, 0.5, 0.4, 0.3]
        // A known orthonormal basis: a Householder reflection H = I − 2uuᵀ of a fixed unit u.
        let u: [Float] = { let v: [Float] = [1, 2, -1, 0.5, 3, -2]; let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / s } }()
        func axis(_ k: Int) -> [Float] { (0..<d).map { (($0 == k) ? 1 : 0) - 2 * u[$0] * u[k] } }
        var rng = RNG(seed: 11)
        let x = Tensor(zeros: [n, d])
        for i in 0..<n {
            for k in 0..<d {
                let z = stds[k] * rng.normal(), a = axis(k)
                for j in 0..<d { x.pointer[i * d + j] += z * a[j] + 3 }   // + 3: PCA must centre
            }
        }
        let result = Embedding.pcaResult(x, dimensions: 2)
        XCTAssertEqual(result.coordinates.shape, [n, 2]); XCTAssertEqual(result.components.shape, [2, d])
        let first = Array(result.components.array[0..<d])
        let cosine = zip(first, axis(0)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        XCTAssertGreaterThan(abs(cosine), 0.999, "first principal axis \(first) vs known \(axis(0))")
        let total = stds.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(result.explainedVariance[0], Double(25 / total), accuracy: 0.03)
        XCTAssertGreaterThan(result.explainedVariance[0], result.explainedVariance[1])
    }

    /// The fast paths (d×d Gram, n×n Gram, and subspace iteration for a Gram above 128) give the same coordinates as
    /// a naive PCA: covariance accumulated in Double, full Jacobi, projection by loops, the same sign convention.
    func testPCAMatchesNaiveEigenComputation() {
        for (n, d, k) in [(300, 20, 3), (25, 90, 4), (400, 150, 5)] {
            // Decaying variances so the wanted components are well separated: column j scaled by 8/(1 + j/2).
            let x = TestData.gaussian(n, d, seed: UInt64(n + d))
            var rng = RNG(seed: 5)
            let mix = (0..<(d * d)).map { _ in rng.normal() / Float(d).squareRoot() }
            let y = Tensor(zeros: [n, d])
            let (xp, yp) = (x.pointer, y.pointer)
            for i in 0..<n { for j in 0..<d { let s = 8 / (1 + Float(j) / 2) * xp[i * d + j]; for c in 0..<d { yp[i * d + c] += s * mix[j * d + c] } } }
            let fast = Embedding.pcaResult(y, dimensions: k)
            let naive = naivePCA(y, k)
            let scale = naive.map { abs($0) }.max()!
            let (diff, at) = TestData.maxDifference(fast.coordinates.array, naive)
            XCTAssertLessThanOrEqual(diff, 2e-3 * scale, "n=\(n) d=\(d): max |fast − naive| = \(diff) at row \(at / k) component \(at % k)")
        }
    }

    func naivePCA(_ x: Tensor, _ k: Int) -> [Float] {
        let (n, d) = (x.shape[0], x.shape[1])
        let p = x.pointer
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(p[i * d + j]) / Double(n) } }
        let xc = (0..<(n * d)).map { Double(p[$0]) - mean[$0 % d] }
        var cov = [Double](repeating: 0, count: d * d)
        for i in 0..<n { for a in 0..<d { let xa = xc[i * d + a]; for b in 0..<d { cov[a * d + b] += xa * xc[i * d + b] } } }
        let (_, vectors) = SymmetricEigen.jacobi(cov, size: d)
        var out = [Float](repeating: 0, count: n * k)
        for r in 0..<k {
            var column = (0..<n).map { i in (0..<d).reduce(0.0) { $0 + xc[i * d + $1] * vectors[r][$1] } }
            SymmetricEigen.orientLargestPositive(&column)
            for i in 0..<n { out[i * k + r] = Float(column[i]) }
        }
        return out
    }
}
