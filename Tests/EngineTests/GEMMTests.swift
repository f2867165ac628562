import XCTest
@testable import Engine

/// The OpenBLAS seam against the naive triple loop, over transposes, odd sizes and strides.
final class GEMMTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func testSgemmMatchesNaiveReference() {
        var rng = RNG(seed: 1)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 1, 33), (64, 31, 9), (2, 100, 1), (33, 65, 129)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta): (Float, Float) in [(1, 0), (0.5, 1), (-2, 0.25)] {
                        let a = randomTensor(transA ? [k, m] : [m, k], &rng), b = randomTensor(transB ? [n, k] : [k, n], &rng)
                        let c0 = randomTensor([m, n], &rng)
                        let fast = c0.copy(), slow = c0.copy()
                        let lda = transA ? m : k, ldb = transB ? k : n
                        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: lda,
                                   b: b.pointer, ldb: ldb, beta: beta, c: fast.pointer, ldc: n)
                        GEMM.naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: lda,
                                   b: b.pointer, ldb: ldb, beta: beta, c: slow.pointer, ldc: n)
                        assertClose(fast, slow, atol: 1e-4, rtol: 1e-4, "sgemm m\(m) n\(n) k\(k) tA\(transA) tB\(transB) α\(alpha) β\(beta)")
                    }
                }
            }
        }
    }

    func testThreadCountDrivesOpenBLAS() {
        Threads.set(2)
        XCTAssertEqual(Threads.count, 2)
        Threads.set(0)
        XCTAssertEqual(Threads.count, 1, "thread count is clamped to at least 1")
    }
}

func randomTensor(_ shape: [Int], _ rng: inout RNG, scale: Float = 1) -> Tensor {
    let t = Tensor(uninitialized: shape)
    for i in 0..<t.count { t.pointer[i] = scale * rng.normal() }
    return t
}

/// Fails with the first differing element, the max difference and the shape.
func assertClose(_ a: Tensor, _ b: Tensor, atol: Float, rtol: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard a.shape == b.shape else { return XCTFail("\(what): shape \(a.shape) vs \(b.shape)", file: file, line: line) }
    var worst = 0 as Float, worstIndex = -1, firstBad = -1
    for i in 0..<a.count {
        let d = abs(a.pointer[i] - b.pointer[i])
        if d > worst || d.isNaN { worst = d; worstIndex = i }
        if firstBad < 0 && !(d <= atol + rtol * abs(b.pointer[i])) { firstBad = i }
    }
    if firstBad >= 0 {
        XCTFail("\(what): shape \(a.shape), first mismatch at flat \(firstBad): \(a.pointer[firstBad]) vs \(b.pointer[firstBad]); "
                + "max |diff| \(worst) at \(worstIndex) (atol \(atol), rtol \(rtol))", file: file, line: line)
    }
}
